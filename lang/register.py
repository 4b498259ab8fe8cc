"""Registration of the .hpm language with textX (`textx list-languages`, `textx check`).

The registered metamodel runs the whole semantic check as a model processor, so
`textx check file.hpm` reports what `hpdsl check` reports (first error located, all
errors in the message).
"""
from __future__ import annotations

from textx import LanguageDesc, TextXSemanticError, metamodel_from_file

from .load import GRAMMAR


def _check_model(model, metamodel) -> None:
    from hpdsl.errors import UserError

    from . import loads

    filename = getattr(model, "_tx_filename", None) or "<string>"
    try:
        loads(model._tx_parser.input, filename)
    except UserError as e:
        first = e.diagnostics[0].loc
        # textX prints the first location itself; later errors keep their own
        text = "\n".join([f"{e.diagnostics[0].severity}: {e.diagnostics[0].message}"]
                         + [str(d) for d in e.diagnostics[1:]])
        raise TextXSemanticError(
            text,
            line=first.line if first else None, col=first.col if first else None,
            filename=filename) from None


def _metamodel():
    """A metamodel of its own (load() keeps a plain one, so checking cannot recurse)."""
    mm = metamodel_from_file(str(GRAMMAR), autokwd=True)
    mm.register_model_processor(_check_model)
    return mm


hpm_language = LanguageDesc(
    name="hpm",
    pattern="*.hpm",
    description="hpdsl scheduling specs: hardware, MoE workloads, tilings, task graphs",
    metamodel=_metamodel,
)
