"""Graph JSON, DOT and SVG (hpdsl.export), through `hpdsl graph --format`."""
from __future__ import annotations

import json
import shutil
from pathlib import Path

from hpdsl.cli import main

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"


def run(capsys, *argv):
    rc = main(list(argv))
    out, err = capsys.readouterr()
    return rc, out, err


def test_json(capsys, tmp_path):
    path = tmp_path / "g.json"
    rc, out, err = run(capsys, "graph", str(EXAMPLES / "toy.hpm"), "--format", "json", "-o", str(path))
    assert rc == 0 and "tiny: 48 tasks" not in err
    data = json.loads(path.read_text())
    assert len(data["tasks"]) == 48 and len(data["edges"]) == 48
    t = data["tasks"][8]
    assert {"id", "op", "kind", "device", "cores"} <= set(t)
    assert (t["op"], t["kind"], t["cores"]) == ("up", "matmul", ["MX"])
    ids = {tk["id"]: tk for tk in data["tasks"]}
    for u, v in data["edges"]:
        assert ids[u]["op"] != ids[v]["op"]
    rc, out, err = run(capsys, "graph", str(EXAMPLES / "diamond.hpm"), "--format", "json", "--stats")
    data = json.loads(out)
    assert [t["name"] for t in data["tasks"]] == ["load", "left", "right", "side", "merge"]
    assert data["tasks"][1]["kind"] == "ACC" and data["tasks"][1]["fixed_ns"] == 5000
    assert "diamond: 5 tasks" in err            # stats go to stderr when the graph is on stdout


def test_dot_and_svg(capsys, tmp_path):
    rc, out, _ = run(capsys, "graph", str(EXAMPLES / "toy.hpm"), "--format", "dot")
    assert rc == 0 and out.count("subgraph cluster_") == 5 and out.count("->") >= 48
    assert "#a6cee3" in out and "#b2df8a" in out        # two devices, two colours
    if shutil.which("dot"):
        rc, _, _ = run(capsys, "graph", str(EXAMPLES / "diamond.hpm"), "--format", "svg",
                       "-o", str(tmp_path / "d.svg"))
        assert rc == 0 and "<svg" in (tmp_path / "d.svg").read_text()


def test_refuses_big_drawing(capsys):
    rc, _, err = run(capsys, "graph", str(EXAMPLES / "deepseek_moe.hpm"), "-t", "coarse",
                     "--format", "dot")
    assert rc == 1
    # 16 x 256 sends each way, 256 experts x (16 up + 1 act + 14 down) tiles
    assert 2 * 16 * 256 + 256 * (16 + 1 + 14) == 16128
    assert "error: the graph has 16,128 tasks; a drawing of more than 2,000 is unreadable" in err
