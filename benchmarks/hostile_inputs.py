"""Hostile inputs against the `hpdsl` command: each must end in a clean error (exit 1, no
traceback) or its documented outcome, in bounded time and memory (docs/limits.md).

    .venv/bin/python benchmarks/hostile_inputs.py [--limit-gb 3] [--timeout 60] [CASE...]

Every case is built in a temporary folder and run as its own process under an address
space limit; the table gives the exit status, wall and CPU seconds, peak RSS and the
first line of stderr. A case fails when it shows a traceback, exits otherwise than
expected, runs out of time, or leaves a file it must not.
"""
from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from hpdsl.lang.load import MAX_FILE_BYTES

ROOT = Path(__file__).resolve().parents[1]
TOY = str(ROOT / "examples" / "toy.hpm")
RACE = str(ROOT / "examples" / "labs" / "sync_race.hpm")
HPDSL = [sys.executable, "-m", "hpdsl.cli"]
LIMIT = MAX_FILE_BYTES   # the most a spec may be


def _write(d: Path, name: str, text: str) -> str:
    (d / name).write_text(text)
    return str(d / name)


def _plan(d: Path, edit=None, spec=TOY, name="plan.json") -> str:
    out = d / f"base-{Path(spec).stem}.json"
    if not out.exists():
        subprocess.run(HPDSL + ["schedule", spec, "-s", "heft", "-o", str(out)], check=True,
                       capture_output=True)
    doc = json.loads(out.read_text())
    if edit:
        edit(doc)
    # "BIG" stands for an integer too long for json.dumps itself (Python's 4300 digits)
    return _write(d, name, json.dumps(doc).replace('"BIG"', "9" * 5000))


def _events(doc, n, used):
    base = sum(1 for q in doc["queues"].values() for i in q if i["op"] == "signal"
               and doc["events"][i["event"]] == {"device": 0, "flag": 0})
    for i in range(n):
        doc["events"][f"x{i}"] = {"device": 0, "flag": 0, **({"base": base + i} if used else {})}
    if used:
        doc["queues"]["d0.MX0.mx"] += [{"op": "signal", "event": f"x{i}"} for i in range(n)]
        doc["queues"]["d0.MX1.mx"] += [{"op": "wait", "event": f"x{i}", "count": 1} for i in range(n)]


def _declarations() -> str:
    """Dense hardware declarations just under MAX_FILE_BYTES: the slowest file to parse."""
    out, size, i = [], 0, 0
    while True:
        line = f"hardware h{i} {{ core C count 1 }}\n"
        if size + len(line) > LIMIT:
            return "".join(out)
        out.append(line)
        size, i = size + len(line), i + 1


def _spec_cases(d: Path) -> dict:
    hw = "hardware H { core C count 1 }\n"
    names = "".join(f"hardware hw_number_{i} {{ core C count 1 }}\n" for i in range(1500))
    names += "".join(f"graph g{i} on hw_nmber_{i} {{ task a on C takes 1 us }}\n" for i in range(1500))
    chain = [_write(d, f"f{i}.hpm", f'import "f{i + 1}.hpm"\n' + hw.replace("H", f"H{i}"))
             for i in range(1200)]
    os.mkfifo(d / "fifo.hpm")
    os.symlink("loop.hpm", d / "loop.hpm")
    (d / "dir.hpm").mkdir()
    return {
        "unterminated /* (512 KiB)": ["check", _write(d, "c1.hpm", hw + "/*\n" * (LIMIT // 3 - 20))],
        "closed comments (512 KiB)": (["check", _write(d, "c2.hpm", hw + "/* x */\n" * (LIMIT // 8 - 10))], 0),
        "declarations (512 KiB)": (["check", _write(d, "c3.hpm", _declarations())], 0),
        "1500 unknown names": ["check", _write(d, "names.hpm", names)],
        "imports 1200 deep": ["check", chain[0]],
        "import a folder": ["check", _write(d, "i1.hpm", 'import "dir.hpm"\n' + hw)],
        "import /dev/zero": ["check", _write(d, "i2.hpm", 'import "/dev/zero"\n' + hw)],
        "import a FIFO": ["check", _write(d, "i3.hpm", 'import "fifo.hpm"\n' + hw)],
        "import a link loop": ["check", _write(d, "i4.hpm", 'import "loop.hpm"\n' + hw)],
        "routing zipf 1e999": ["check", _write(d, "z.hpm", open(TOY).read().replace(
            "routing balanced seed 1", "routing zipf 1e999 seed 1"))],
        "workers 100000 x 64": ["graph", _write(d, "w.hpm", open(TOY).read().replace(
            "core MX count 2", "core MX count 100000").replace("devices 2", "devices 64")
            .replace("experts 4", "experts 64")), "--stats"],
    }


def _set_cases() -> dict:
    g = ["graph", TOY, "--stats"]
    return {
        "devices x experts 4096 x 65536": g + ["--set", "devices=4096", "--set", "experts=65536",
                                               "--set", "tokens=1"],
        "seed=abc after routing": g + ["--set", "routing=balanced", "--set", "seed=abc"],
        "routing zipf inf": g + ["--set", "routing=zipf inf"],
        "routing zipf 1e400": g + ["--set", "routing=zipf 1e400"],
        "routing zipf infinity": g + ["--set", "routing=zipf infinity"],
        "usage error": ["schedule", TOY, "--time-limit", "abc"],
    }


def _plan_cases(d: Path) -> dict:
    def q(doc, name="d0.MX0.mx"):
        return doc["queues"][name]
    os.mkfifo(d / "fifo.json")
    e = ["emulate", TOY]
    return {
        "300,000 unused events": e + [_plan(d, lambda p: _events(p, 300_000, False), name="u.json")],
        "300,000 events on one flag": e + [_plan(d, lambda p: _events(p, 300_000, True), name="s.json")],
        # within the size bound: a valid plan whose flag-sharing proof keeps ~600 MB
        "100,000 events on one flag": (e + [_plan(d, lambda p: _events(p, 100_000, True),
                                                  name="s1.json")], 0),
        "barrier kernel 2^31": e + [_plan(d, lambda p: [v.append({"op": "barrier", "kernel": 2**31})
                                                        for v in p["queues"].values()], name="k.json")],
        "event is an object": e + [_plan(d, lambda p: q(p).append({"op": "wait", "event": {}}),
                                         name="o.json")],
        "5000-digit integer": e + [_plan(d, lambda p: q(p).append({"op": "exec", "task": "BIG"}),
                                         name="i.json")],
        "version true": e + [_plan(d, lambda p: p.update(version=True), name="v.json")],
        "event moved to device 1": e + [_plan(d, lambda p: p["events"]["d0.MX0.mx>d0"].update(
            device=1), name="m.json")],
        "plan is a FIFO": e + [str(d / "fifo.json")],
        "deadlock": ["emulate", RACE, _plan(d, lambda p: p["queues"]["d0.DMA0.DMA"].insert(
            2, p["queues"]["d0.DMA0.DMA"].pop(4)), spec=RACE, name="cycle.json")],
    }


def _output_cases(d: Path) -> dict:
    rep = d / "mine"
    rep.mkdir()
    (rep / "report.html").write_text("mine")
    (rep / "thesis.tex").write_text("precious")
    spec = _write(d, "toy.hpm", open(TOY).read())
    (d / "afile").write_text("")
    return {
        "--report onto a folder of mine": ["compare", TOY, "-s", "heft", "--report", str(rep)],
        "-o onto the spec": ["schedule", spec, "-s", "heft", "-o", spec],
        "-o under a file": ["schedule", TOY, "-s", "heft", "-o", str(d / "afile" / "x.json")],
        "--trace under a file": ["emulate", TOY, "p.json", "--trace", str(d / "afile" / "t.json")],
        "-o into /proc": ["schedule", TOY, "-s", "heft", "-o", "/proc/x.json"],
        "-o - --json": ["schedule", TOY, "-s", "heft", "-o", "-", "--json"],
        "compare, z3 refuses": ["compare", TOY, "-s", "serial,z3", "--max-z3-tasks", "10"],
    }


# runs the command as its only child, so that its rusage is the command's own
WRAP = ("import json, resource, subprocess, sys\n"
        "p = subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)\n"
        "r = resource.getrusage(resource.RUSAGE_CHILDREN)\n"
        "sys.stderr.buffer.write(p.stderr)\n"
        "print(json.dumps([p.returncode, r.ru_maxrss, r.ru_utime + r.ru_stime]))\n")


def run_case(argv: list[str], limit_gb: float, timeout: float) -> dict:
    def cap():
        lim = int(limit_gb * 2**30)
        resource.setrlimit(resource.RLIMIT_AS, (lim, lim))

    t0 = time.perf_counter()
    p = subprocess.Popen([sys.executable, "-c", WRAP] + HPDSL + argv, stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE, preexec_fn=cap, cwd=ROOT, start_new_session=True)
    try:
        out, err = p.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(p.pid, 9)
        p.communicate()
        return {"rc": -9, "wall": time.perf_counter() - t0, "err": "TIMEOUT", "rss_mb": 0, "cpu": 0}
    rc, rss_kb, cpu = json.loads(out.decode().strip().splitlines()[-1])
    return {"rc": rc, "wall": time.perf_counter() - t0, "err": err.decode(errors="replace"),
            "rss_mb": rss_kb / 1024, "cpu": cpu}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--limit-gb", type=float, default=3.0)
    ap.add_argument("--timeout", type=float, default=60.0)
    ap.add_argument("cases", nargs="*")
    args = ap.parse_args()
    bad = 0
    with tempfile.TemporaryDirectory() as tmp:
        d = Path(tmp)
        cases = {**_spec_cases(d), **_set_cases(), **_plan_cases(d), **_output_cases(d)}
        print(f"{'case':<34} {'rc':>3} {'wall s':>7} {'cpu s':>6} {'peak MB':>8}  first line of stderr")
        for name, argv in cases.items():
            if args.cases and name not in args.cases:
                continue
            argv, want = argv if isinstance(argv, tuple) else (argv, 1)
            r = run_case(argv, args.limit_gb, args.timeout)
            ok = r["rc"] == want and "Traceback" not in r["err"] and r["err"] != "TIMEOUT"
            bad += not ok
            first = r["err"].strip().splitlines()[0][:110] if r["err"].strip() else ""
            print(f"{name:<34} {r['rc']:>3} {r['wall']:>7.1f} {r['cpu']:>6.1f} {r['rss_mb']:>8.0f}  "
                  f"{'' if ok else 'FAIL '}{first}")
        survived = (d / "mine" / "thesis.tex").read_text() == "precious"
        spec_kept = (d / "toy.hpm").read_text() == open(TOY).read()
        print(f"folder of mine kept: {survived}; spec kept: {spec_kept}")
        bad += (not survived) + (not spec_kept)
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
