"""Ctrl-C during an exact solver: exit status 130, one line on stderr, no output file."""
import os
import signal
import subprocess
import sys
import time

import pytest

from hpdsl.benchdata import jobshop_hpm, parse_jobshop
from solvers_graphs import BENCHDATA


@pytest.mark.parametrize("scheduler,instance,started", [
    ("z3", "la16", "ordering pairs"), ("cpsat", "orb01", "search workers")])
def test_ctrl_c_during_a_solver_exits_130_and_writes_nothing(tmp_path, scheduler, instance,
                                                             started):
    js = parse_jobshop((BENCHDATA / f"jsplib/instances/{instance}").read_text(), instance)
    spec = tmp_path / f"{instance}.hpm"
    spec.write_text(jobshop_hpm(js))
    plan = tmp_path / "plan.json"
    p = subprocess.Popen([sys.executable, "-m", "hpdsl.cli", "schedule", str(spec), "-s",
                          scheduler, "--time-limit", "120", "--solver-workers", "1", "-o",
                          str(plan)], stderr=subprocess.PIPE, text=True,
                         env={**os.environ, "PYTHONUNBUFFERED": "1"})
    lines = []
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        line = p.stderr.readline()
        lines.append(line)
        if started in line or not line:
            break
    assert started in lines[-1], lines
    time.sleep(0.5)                      # inside the search
    t0 = time.monotonic()
    p.send_signal(signal.SIGINT)
    rest = p.stderr.read()
    assert p.wait(timeout=30) == 130
    assert time.monotonic() - t0 < 10
    assert rest.strip().splitlines()[-1] == "hpdsl: interrupted"
    assert not plan.exists()
    assert not list(tmp_path.glob("*.tmp*")) and sorted(os.listdir(tmp_path)) == [spec.name]
