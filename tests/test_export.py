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
    # the coarse tiling of the spec: 16 devices x 4096 tokens, 256 experts, top-8, hidden
    # 7168, expert FFN 2048 (up: n 4096). Balanced routing gives each (device, expert) pair
    # 4096 * 8 / 256 = 128 rows, each expert 16 * 128 = 2048 rows: one chunk (4096 rows) per
    # pair and way, one 4096-row block per expert, cut into 4096 / 256 = 16 up tiles,
    # 2048 / 2048 = 1 act tile and 7168 / 512 = 14 down tiles
    sends = 2 * 16 * 256                     # dispatch and combine
    tiles = 256 * (4096 // 256 + 2048 // 2048 + 7168 // 512)
    assert f"error: the graph has {sends + tiles:,} tasks; a drawing of more than 2,000 is " \
           "unreadable" in err
