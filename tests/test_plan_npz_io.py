"""The npz plan format: round trips, identical emulation, and every refusal of a bad archive."""
from __future__ import annotations

import io
import json
import zipfile

import numpy as np
import pytest

from hpdsl.emulator import emulate
from hpdsl.errors import UserError
from hpdsl.generate import generate
from hpdsl.lang import checked_target, load
from hpdsl.machine import Machine
from hpdsl.plan import check_plan, load_plan, load_plan_npz, lower, plan_to_json, plan_to_npz
from hpdsl.plan.npz_io import DTYPES, decode_npz
from hpdsl.records import emulate_record
from hpdsl.settings import parse_settings
from hpdsl.solvers import Options, run
from plan_cases import one_queue_fanin, relay

ARRAYS = ("ptr", "code", "arg", "count", "event_device", "event_flag", "event_base")


def _same_plan(p, q):
    for a in ARRAYS:
        assert np.array_equal(getattr(p, a), getattr(q, a)), a
    assert (q.queues, q.event_names, q.header) == (p.queues, p.event_names, p.header)


def test_npz_round_trip_keeps_every_array_and_the_header():
    hw, g, m, s = relay()
    p = lower(g, m, s, share_flags=True)
    assert p.event_base.tolist() == [0, 1]
    _same_plan(p, load_plan_npz(plan_to_npz(p), g, m, "p.npz"))


def test_npz_bytes_are_the_same_every_time():
    hw, g, m, s = one_queue_fanin()
    p = lower(g, m, s)
    assert plan_to_npz(p) == plan_to_npz(lower(g, m, s))


@pytest.mark.parametrize("spec, target, settings, scheduler", [
    ("examples/toy.hpm", None, [], "heft"),
    ("examples/deepseek_moe.hpm", "fine", ["devices=2"], "serial"),
    ("examples/deepseek_moe.hpm", "fine", ["devices=2", "routing=zipf 1.2"], "heft"),
])
def test_npz_plan_emulates_to_the_identical_result_as_the_json_plan(spec, target, settings,
                                                                    scheduler):
    g = generate(checked_target(load(spec), target, parse_settings(settings)))
    m = Machine.of(g.hardware, g.devices)
    p = lower(g, m, run(scheduler, g, m, Options()))
    from_json = load_plan(plan_to_json(p), g, m, "p.json")
    from_npz = load_plan_npz(plan_to_npz(p), g, m, "p.npz")
    _same_plan(from_json, from_npz)
    records = [emulate_record(q.header, emulate(g, m, q), check_plan(q, g, m))
               for q in (from_json, from_npz)]
    assert records[0] == records[1]
    assert records[0]["violations"] == []


def _members(p) -> dict:
    """The arrays plan_to_npz writes, as a dict one can break."""
    with np.load(io.BytesIO(plan_to_npz(p)), allow_pickle=False) as z:
        return {k: z[k].copy() for k in z.files}


def _pack(members: dict) -> bytes:
    buf = io.BytesIO()
    np.savez(buf, **members)          # numpy's own writer: its archives load too
    return buf.getvalue()


def _meta(members: dict, **changes) -> dict:
    meta = json.loads(members["meta"].tobytes())
    meta.update(changes)
    members["meta"] = np.frombuffer(json.dumps(meta).encode(), np.uint8)
    return members


def _load(data: bytes):
    hw, g, m, s = one_queue_fanin()
    return load_plan_npz(data, g, m, "p.npz")


def test_numpy_written_archive_loads():
    hw, g, m, s = one_queue_fanin()
    p = lower(g, m, s)
    _same_plan(p, _load(_pack(_members(p))))


def _fanin_members():
    hw, g, m, s = one_queue_fanin()
    return _members(lower(g, m, s))


def _edit(**arrays):
    def f(d):
        d.update({k: np.asarray(v, np.dtype(DTYPES[k])) for k, v in arrays.items()})
        return d
    return f


def _without(name):
    def f(d):
        del d[name]
        return d
    return f


# the fan-in plan: d0.C0.q = [exec 0, signal E, exec 1, signal E], d0.C1.q = [wait E 2, exec 2]
@pytest.mark.parametrize("edit, message", [
    (_without("count"), "an npz plan holds the arrays meta, ptr, code, arg, count, event_device, "
                        "event_flag, event_base; this one lacks count"),
    (lambda d: {**d, "extra": np.zeros(1)}, "this one also holds extra"),
    (lambda d: {**d, "arg": d["arg"].astype(np.int64)},
     "array 'arg' holds <i8 of shape (6,); an npz plan holds it as <i4 in one dimension"),
    (lambda d: {**d, "code": d["code"].reshape(2, 3)},
     "array 'code' holds |i1 of shape (2, 3); an npz plan holds it as |i1 in one dimension"),
    (lambda d: {**d, "meta": np.array([object()], object)},
     "array 'meta' holds |O of shape (1,)"),
    (_edit(arg=[0, 0, 1, 0]), "arrays 'code', 'arg' and 'count' must have one entry per "
                              "instruction; their lengths are 6, 4, 6"),
    (_edit(event_flag=[0, 0]), "arrays 'event_device', 'event_flag' and 'event_base' must have "
                               "one entry per event of meta (1); their lengths are 1, 2, 1"),
    (_edit(ptr=[0, 6]), "array 'ptr' must have one entry more than the 2 queues of meta; it has 2"),
    (_edit(ptr=[0, 5, 4]), "array 'ptr' must start at 0, never decrease and end at the 6 "
                           "instructions"),
    (_edit(ptr=[1, 4, 6]), "array 'ptr' must start at 0"),
    (lambda d: {**d, "meta": np.frombuffer(b"\xff{", np.uint8)}, "array 'meta' is not UTF-8 JSON"),
    (lambda d: _meta(d, format="other"),
     "array 'meta' must be a JSON object with \"format\": \"hpdsl plan\""),
    (lambda d: _meta(d, version=2), "unsupported plan version 2; this hpdsl reads version 1"),
    (lambda d: _meta(d, queues="d0.C0.q"), "array 'meta' field \"queues\" must be a list of names"),
    (lambda d: _meta(d, events=[1]), "array 'meta' field \"events\" must be a list of names"),
    (lambda d: _meta(d, schedule={"makespan_ns": -1}),
     "\"schedule\" field \"makespan_ns\" must be a non-negative integer, found -1"),
    (lambda d: _meta(d, queues=["d0.C0.q", "d0.C0.q"]), "queue 'd0.C0.q' appears twice"),
    (lambda d: _meta(d, queues=["d0.C0.q", "d0.C9.q"]), "unknown queue 'd0.C9.q'"),
    (lambda d: _edit(event_device=[0, 0], event_flag=[0, 1], event_base=[0, 0])(
        _meta(d, events=["E", "E"])), "event 'E' is declared twice"),
    (_edit(code=[0, 2, 0, 7, 1, 0]),
     "queue 'd0.C0.q' instruction 3: unknown opcode 7; opcodes are 0 (exec), 1 (wait), "
     "2 (signal), 3 (barrier)"),
    (_edit(arg=[0, 0, 1, 0, 5, 2]),
     "queue 'd0.C1.q' instruction 0: unknown event id 5; the plan declares events 0..0"),
])
def test_npz_refusals(edit, message):
    data = _pack(edit(_fanin_members()))
    with pytest.raises(UserError) as e:
        _load(data)
    assert str(e.value).startswith("p.npz: error: ") and message in str(e.value)


@pytest.mark.parametrize("data, message", [
    (b'{"version": 1}', "not an npz plan: the file is not a zip archive (it starts with "
                        "b'{\"versio')"),
    (b"PK\x03\x04garbage", "not a readable npz plan: "),
    (b"", "not an npz plan: the file is not a zip archive (it starts with b'')"),
])
def test_files_that_are_no_npz_are_refused(data, message):
    with pytest.raises(UserError) as e:
        _load(data)
    assert message in str(e.value)


def _zip(entries: dict[str, bytes], method=zipfile.ZIP_DEFLATED) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", method) as z:
        for name, raw in entries.items():
            z.writestr(name, raw)
    return buf.getvalue()


def _npy(a: np.ndarray) -> bytes:
    buf = io.BytesIO()
    np.lib.format.write_array(buf, a)
    return buf.getvalue()


def test_a_zip_bomb_is_refused_before_it_is_unpacked():
    members = {k + ".npy": _npy(v) for k, v in _fanin_members().items()}
    members["code.npy"] = _npy(np.zeros(50_000_000, np.int8))    # 50 MB of zeros, 50 kB deflated
    data = _zip(members)
    assert len(data) < 200_000
    with pytest.raises(UserError, match=r"p.npz: error: the npz plan unpacks to 5000\d{4} bytes "
                                        r"in 8 members, more than any plan for this graph takes "
                                        r"\(at most 1000000 bytes in 8 members\)"):
        decode_npz(data, "p.npz", limit=1_000_000)


def test_a_header_larger_than_its_member_is_refused():
    members = {k + ".npy": _npy(v) for k, v in _fanin_members().items()}
    head = _npy(np.zeros(10**9, np.int8)[:0])       # a valid header, then lie about the shape
    members["code.npy"] = head.replace(b"(0,)", b"(999999999,)", 1)
    with pytest.raises(UserError, match="array 'code' says it holds 999999999 bytes, more than "
                                        "its archive member's"):
        _load(_zip(members))


def test_a_truncated_array_is_refused():
    members = {k + ".npy": _npy(v) for k, v in _fanin_members().items()}
    members["arg.npy"] = members["arg.npy"][:-4]
    with pytest.raises(UserError, match="array 'arg' holds 20 bytes of data where its header "
                                        "says 24"):
        _load(_zip(members))


def test_an_npy_version_other_than_1_or_2_is_refused():
    members = {k + ".npy": _npy(v) for k, v in _fanin_members().items()}
    raw = members["ptr.npy"]
    members["ptr.npy"] = raw[:6] + b"\x03\x00" + raw[8:]
    with pytest.raises(UserError, match=r"array 'ptr' has .npy format version \(3, 0\); "
                                        r"expected 1.0 or 2.0"):
        _load(_zip(members))


def test_a_corrupt_member_is_a_user_error():
    members = {k + ".npy": _npy(v) for k, v in _fanin_members().items()}
    data = bytearray(_zip(members, zipfile.ZIP_STORED))
    i = data.index(members["arg.npy"]) + len(members["arg.npy"]) - 1   # arg's last byte
    data[i] ^= 0xFF
    with pytest.raises(UserError, match="p.npz: error: not a readable npz plan: Bad CRC-32 "
                                        "for file 'arg.npy'"):
        _load(bytes(data))
