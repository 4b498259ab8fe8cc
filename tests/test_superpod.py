"""The SuperPoD example: the kernel-by-kernel all-to-all's per-rank bandwidth at EP16
against DeepEP-Ascend's measurement (A3 SuperPoD, 4096 tokens, hidden 7168, top-8; INT8
dispatch 107 GB/s, BF16 combine 103 GB/s; docs/reproduction.md, "The fabric"). EP16 is
a validation point: the fabric is calibrated at EP32 and EP64."""
from __future__ import annotations

from pathlib import Path

import pytest

from hpdsl.collective import collective_bandwidth
from hpdsl.emulator import emulate
from hpdsl.generate import generate
from hpdsl.lang import checked_target, load
from hpdsl.machine import Machine
from hpdsl.plan import lower
from hpdsl.settings import parse_settings
from hpdsl.solvers import run

SPEC = Path(__file__).resolve().parents[1] / "examples" / "deepseek_superpod.hpm"
DEEPEP_EP16 = {"dispatch": 107e9, "combine": 103e9}


def _graph(*settings: str):
    g = generate(checked_target(load(str(SPEC)), "fine",
                                parse_settings(["devices=16", *settings])))
    return g, Machine.of(g.hardware, g.devices)


@pytest.fixture(scope="module")
def ep16():
    return _graph()


def test_serial_all_to_all_bandwidth_at_ep16_is_deepep_ascends(ep16):
    g, m = ep16
    res = emulate(g, m, lower(g, m, run("serial", g, m)))
    assert not res.errors
    for op, want in DEEPEP_EP16.items():
        assert collective_bandwidth(g, m, res, op) == pytest.approx(want, rel=0.15), op


def _op_sum(g, op, field):
    return float(getattr(g, field)[g.op == g.ops.index(op)].sum())


def test_dispatch_sends_int8_rows_and_combine_bf16(ep16):
    # the same rows go out and come back: INT8 (1 byte) out, BF16 (2 bytes) back
    g, _ = ep16
    assert _op_sum(g, "combine", "bytes_sent") == pytest.approx(
        2 * _op_sum(g, "dispatch", "bytes_sent"))


def test_the_first_gmm_reads_the_dispatch_at_its_int8(ep16, tmp_path):
    # the GMM reads its input in the dtype its producer wrote; with a bf16 dispatch the
    # same GMM reads more (a dequantization's cost is not modelled: docs/reproduction.md)
    g, _ = ep16
    text = SPEC.read_text()
    assert "op dispatch : dispatch dtype int8" in text
    (tmp_path / "a3_superpod.hpm").write_text((SPEC.parent / "a3_superpod.hpm").read_text())
    bf16 = tmp_path / SPEC.name
    bf16.write_text(text.replace("op dispatch : dispatch dtype int8", "op dispatch : dispatch"))
    g16 = generate(checked_target(load(str(bf16)), "fine", parse_settings(["devices=16"])))
    assert _op_sum(g, "up", "bytes_in") < _op_sum(g16, "up", "bytes_in")


def test_the_fabric_is_what_lowers_the_bandwidth():
    # without the fabric's per-peer cost and share, the same collective runs near the
    # UB link's 196 GB/s: the calibration is in the fabric, not elsewhere
    g, m = _graph("hw.fabric.per_peer=0us", "hw.fabric.bandwidth=1000GB/s")
    s = run("serial", g, m)
    assert collective_bandwidth(g, m, s, "combine") > 170e9


def test_the_calibration_table_gives_each_eps_errors_against_deepep():
    import importlib.util
    path = SPEC.parents[1] / "benchmarks" / "reproduce.py"
    spec = importlib.util.spec_from_file_location("reproduce_under_test", path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    case = {"devices": 32, "tag": " [fabric 112GB/s 8us]",
            "runs": {"serial": {"dispatch_GBps": 91.8, "combine_GBps": 103.55}}}
    row = mod.calibration_table([case]).splitlines()[-1]
    assert row == "| 112GB/s 8us | 32 | -10.0% | +9.0% | 10.0% |"
