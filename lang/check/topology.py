"""Checks of a hardware's topology: its links, `package dies` and `fabric`."""
from __future__ import annotations

from hpdsl.errors import Diagnostic
from hpdsl.spec import Hardware

from .common import not_negative, positive


def check_topology(d: list[Diagnostic], hw: Hardware) -> None:
    for link in (hw.link, hw.package_link):
        if link is not None:
            positive(d, link.loc, f"link '{link.name}' bandwidth", link.bandwidth)
            not_negative(d, link.loc, f"link '{link.name}' latency", link.latency, " ns")
    positive(d, hw.loc_of("package"), "package dies", hw.package_dies, "devices")
    if hw.package_link is not None and hw.package_dies == 1:
        d.append(Diagnostic(hw.package_link.loc, f"link '{hw.package_link.name}' of scope "
                            f"'package' joins the dies of a package, but hardware '{hw.name}' "
                            "has one die per package; declare 'package dies N' with N > 1"))
    f = hw.fabric
    if f is None:
        return
    positive(d, f.loc, f"fabric '{f.name}' bandwidth", f.bandwidth)
    not_negative(d, f.loc, f"fabric '{f.name}' per_peer", f.per_peer, " ns")
    if hw.link is None:
        d.append(Diagnostic(f.loc, f"fabric '{f.name}' needs a link of scope 'fabric' that "
                            f"joins each die to it; hardware '{hw.name}' has none (declare "
                            "'link NAME bandwidth B latency T')"))
