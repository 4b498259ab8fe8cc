"""Plan npz: `plan_to_npz` and `load_plan_npz`, the binary plan format for large plans.

An npz archive (a zip of `.npy` arrays, deflated) holding the `Plan` arrays as they are in
memory plus one JSON header:

    meta          uint8, UTF-8 JSON {"format": "hpdsl plan", "version": 1, "queues": [names],
                  "events": [names], "schedule": {...}} (the "schedule" object of the JSON plan)
    ptr           int64, one more than the queues: queue q holds instructions ptr[q]:ptr[q+1]
    code          int8 per instruction: 0 exec, 1 wait, 2 signal, 3 barrier
    arg, count    int32 per instruction: task, event id (into "events") or kernel; a wait's count
    event_device, event_flag   int32 per event
    event_base    int64 per event

Loading treats the file as untrusted: `np.load` with `allow_pickle=False`, exactly these
members with exactly these dtypes and one dimension, headers read before any data, and
the sizes the archive declares bounded (`max_plan_bytes`) before anything is unpacked, so
a zip bomb is refused, not inflated. The decoded arrays then pass `validate`, as JSON does.
Archives are written with fixed timestamps: one plan gives the same bytes every time.
"""
from __future__ import annotations

import io
import json
import zipfile
import zlib

import numpy as np

from hpdsl.errors import Loc
from hpdsl.graph import TaskGraph
from hpdsl.machine import Machine
from hpdsl.plan.program import PLAN_VERSION, Plan
from hpdsl.plan.validate import Decoded, check_version, fail, header_of, max_plan_bytes, validate

FORMAT = "hpdsl plan"
DTYPES = {"meta": "|u1", "ptr": "<i8", "code": "|i1", "arg": "<i4", "count": "<i4",
          "event_device": "<i4", "event_flag": "<i4", "event_base": "<i8"}
ZIP_MAGIC = (b"PK\x03\x04", b"PK\x05\x06")     # a zip's first entry, or an empty zip
_EPOCH = (1980, 1, 1, 0, 0, 0)                 # the earliest time a zip entry can carry


def is_npz(data: bytes) -> bool:
    """Whether `data` is a zip archive (what an npz plan is)."""
    return data[:4] in ZIP_MAGIC


def plan_to_npz(plan: Plan) -> bytes:
    """The plan as npz bytes (deflated, with fixed timestamps)."""
    h = plan.header
    meta = {"format": FORMAT, "version": PLAN_VERSION, "queues": list(plan.queues),
            "events": list(plan.event_names),
            "schedule": {"scheduler": h.scheduler, "status": h.status,
                         "makespan_ns": h.makespan_ns, "lower_bound_ns": h.lower_bound_ns,
                         "solve_seconds": h.solve_seconds}}
    arrays = {"meta": np.frombuffer(json.dumps(meta).encode(), np.uint8)}
    arrays.update((k, getattr(plan, k)) for k in DTYPES if k != "meta")
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        for name, dtype in DTYPES.items():
            info = zipfile.ZipInfo(name + ".npy", date_time=_EPOCH)
            info.compress_type = zipfile.ZIP_DEFLATED
            with z.open(info, "w", force_zip64=True) as f:
                np.lib.format.write_array(f, np.ascontiguousarray(arrays[name], dtype),
                                          allow_pickle=False)
    return buf.getvalue()


def load_plan_npz(data: bytes, graph: TaskGraph, machine: Machine,
                  filename: str = "<plan>") -> Plan:
    """Read npz plan bytes and validate them against `graph` and `machine` as JSON plans
    are (`hpdsl.plan.validate`); UserError on any mistake."""
    limit = max_plan_bytes(graph.n_tasks)
    return validate(decode_npz(data, filename, limit), graph, machine, Loc(filename))


def decode_npz(data: bytes, filename: str = "<plan>", limit: int = 2**31) -> Decoded:
    """npz plan bytes as `Decoded` rows, with the npz-only checks; the archive may unpack
    to at most `limit` bytes."""
    where = Loc(filename)
    if not is_npz(data):
        fail(where, f"not an npz plan: the file is not a zip archive (it starts with "
                    f"{data[:8]!r})")
    try:
        with np.load(io.BytesIO(data), allow_pickle=False) as npz:
            arrays = _arrays(npz, where, limit)
    except (zipfile.BadZipFile, zlib.error, EOFError, ValueError, OSError) as e:
        fail(where, f"not a readable npz plan: {e}")
    meta = _meta(arrays["meta"], where)
    _check_lengths(arrays, meta, where)
    i64 = {k: arrays[k].astype(np.int64) for k in DTYPES if k not in ("meta", "code")}
    return Decoded(queues=tuple(meta["queues"]), ptr=i64["ptr"], code=arrays["code"],
                   arg=i64["arg"], count=i64["count"], event_names=tuple(meta["events"]),
                   event_device=i64["event_device"], event_flag=i64["event_flag"],
                   event_base=i64["event_base"],
                   header=header_of(meta.get("schedule", {}) or {}, where))


def _arrays(npz, where: Loc, limit: int) -> dict[str, np.ndarray]:
    """The members, each checked (name, dtype, shape, size) before its data is read."""
    names = set(npz.files)
    if names != set(DTYPES):
        missing, extra = sorted(set(DTYPES) - names), sorted(names - set(DTYPES))
        fail(where, f"an npz plan holds the arrays {', '.join(DTYPES)}; this one "
                    + (f"lacks {', '.join(missing)}" if missing else f"also holds {', '.join(extra)}"))
    infos = npz.zip.infolist()
    total = sum(i.file_size for i in infos)
    if total > limit or len(infos) != len(DTYPES):
        fail(where, f"the npz plan unpacks to {total} bytes in {len(infos)} members, more "
                    f"than any plan for this graph takes (at most {limit} bytes in "
                    f"{len(DTYPES)} members)")
    return {name: _array(npz.zip, name, np.dtype(dt), where) for name, dt in DTYPES.items()}


def _array(z: zipfile.ZipFile, name: str, dtype: np.dtype, where: Loc) -> np.ndarray:
    info = z.getinfo(name + ".npy")
    with z.open(info) as f:
        version = np.lib.format.read_magic(f)
        if version not in ((1, 0), (2, 0)):
            fail(where, f"array '{name}' has .npy format version {version}; expected 1.0 or 2.0")
        read = (np.lib.format.read_array_header_1_0 if version == (1, 0)
                else np.lib.format.read_array_header_2_0)
        shape, _, found = read(f)
        if found != dtype or len(shape) != 1 or shape[0] < 0:
            fail(where, f"array '{name}' holds {found.str} of shape {shape}; an npz plan "
                        f"holds it as {dtype.str} in one dimension")
        nbytes = shape[0] * dtype.itemsize
        if nbytes > info.file_size:
            fail(where, f"array '{name}' says it holds {nbytes} bytes, more than its "
                        f"archive member's {info.file_size}")
        buf = f.read(nbytes)
        if len(buf) != nbytes or f.read(1):   # reading to the end checks the CRC
            fail(where, f"array '{name}' holds {len(buf)} bytes of data where its header "
                        f"says {nbytes}")
    return np.frombuffer(buf, dtype)


def _meta(raw: np.ndarray, where: Loc) -> dict:
    try:
        meta = json.loads(raw.tobytes().decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError) as e:
        fail(where, f"array 'meta' is not UTF-8 JSON ({e})")
    if not isinstance(meta, dict) or meta.get("format") != FORMAT:
        fail(where, f"array 'meta' must be a JSON object with \"format\": \"{FORMAT}\"")
    check_version(meta.get("version"), where)
    for key in ("queues", "events"):
        names = meta.get(key)
        if not isinstance(names, list) or not all(isinstance(n, str) for n in names):
            fail(where, f"array 'meta' field \"{key}\" must be a list of names")
    return meta


def _check_lengths(a: dict, meta: dict, where: Loc) -> None:
    """The arrays' lengths agree with each other and with the names in meta."""
    rows = {k: len(a[k]) for k in ("code", "arg", "count")}
    if len(set(rows.values())) != 1:
        fail(where, "arrays 'code', 'arg' and 'count' must have one entry per instruction; "
                    "their lengths are " + ", ".join(map(str, rows.values())))
    n_ev = len(meta["events"])
    found = [len(a[k]) for k in ("event_device", "event_flag", "event_base")]
    if found != [n_ev] * 3:
        fail(where, f"arrays 'event_device', 'event_flag' and 'event_base' must have one "
                    f"entry per event of meta ({n_ev}); their lengths are "
                    + ", ".join(map(str, found)))
    ptr = a["ptr"]
    if len(ptr) != len(meta["queues"]) + 1:
        fail(where, f"array 'ptr' must have one entry more than the {len(meta['queues'])} "
                    f"queues of meta; it has {len(ptr)}")
    if ptr[0] != 0 or ptr[-1] != rows["code"] or np.any(np.diff(ptr) < 0):
        fail(where, f"array 'ptr' must start at 0, never decrease and end at the "
                    f"{rows['code']} instructions")
