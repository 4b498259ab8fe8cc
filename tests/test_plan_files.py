"""Plan files on disk: `schedule -o` picks the format by suffix, `emulate` reads either by content."""
from __future__ import annotations

import json
import shutil

from hpdsl.cli import main
from hpdsl.plan import wants_npz
from hpdsl.plan.npz_io import is_npz

SPEC = ["examples/deepseek_moe.hpm", "-t", "fine", "--set", "devices=2"]


def _emulate(capsys, plan, spec=SPEC) -> dict:
    capsys.readouterr()
    assert main(["emulate", *spec, str(plan), "--json"]) == 0
    return json.loads(capsys.readouterr().out)["results"][0]


def test_schedule_writes_npz_by_suffix_and_emulate_reads_both_alike(tmp_path, capsys):
    js, npz = tmp_path / "p.json", tmp_path / "p.npz"
    assert main(["schedule", *SPEC, "-s", "heft", "-o", str(js)]) == 0
    assert main(["schedule", *SPEC, "-s", "heft", "-o", str(npz)]) == 0
    assert is_npz(npz.read_bytes()) and js.read_text().startswith('{"version": 1')
    assert js.stat().st_size >= 4 * npz.stat().st_size
    a, b = _emulate(capsys, js), _emulate(capsys, npz)
    # the two plans come from two scheduler runs: only the solve time in the header differs
    a.pop("solve_seconds"), b.pop("solve_seconds")
    assert a == b and a["violations"] == []


def test_the_content_tells_the_format_not_the_name(tmp_path, capsys):
    npz, spec = tmp_path / "p.npz", ["examples/diamond.hpm"]
    assert main(["schedule", *spec, "-s", "heft", "-o", str(npz)]) == 0
    renamed = tmp_path / "plan.json"
    shutil.copy(npz, renamed)
    assert _emulate(capsys, renamed, spec) == _emulate(capsys, npz, spec)


def test_a_json_file_named_npz_is_reported_as_not_an_archive(tmp_path, capsys):
    bad = tmp_path / "p.npz"
    bad.write_text('{"version": 1, "queues": {}}')
    assert main(["emulate", "examples/diamond.hpm", str(bad)]) == 1
    assert (f"{bad}: error: not an npz plan: the file is not a zip archive (it starts with "
            f"b'{{\"versio')") in capsys.readouterr().err


def test_npz_is_asked_for_by_the_suffix_only():
    assert wants_npz("p.npz") and wants_npz("dir/P.NPZ")
    assert not wants_npz("p.json") and not wants_npz("-") and not wants_npz("npz")
