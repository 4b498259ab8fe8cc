"""The results file of a sweep: CSV, or Parquet when the name ends in `.parquet`.

The whole file is rewritten atomically (`write_atomic`) each time points finish, so a
reader or a crash sees the rows finished so far and never half a row; rows are in grid
order whatever order the points finished in. The columns before `scheduler` are the
grid keys, which is how a rerun finds the points it can skip.
"""
from __future__ import annotations

import csv
import io
import math
from pathlib import Path

from hpdsl.commands.common import write_atomic
from hpdsl.errors import UserError
from hpdsl.sweep.row import columns

TEXT = ("scheduler", "status", "error")


def is_parquet(path: str) -> bool:
    return str(path).endswith(".parquet")


def cell(v) -> str:
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return ""
    return repr(v) if isinstance(v, float) else str(v)


def _number(text: str):
    for kind in (int, float):
        try:
            return kind(text)
        except ValueError:
            pass
    return text


def _csv_text(cols: list[str], rows: list[dict]) -> str:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(cols)
    for r in rows:
        w.writerow([cell(r.get(c)) for c in cols])
    return buf.getvalue()


def _arrow_type(values):
    import pyarrow as pa

    present = [v for v in values if v is not None]
    if present and all(isinstance(v, str) for v in present):
        return pa.string()
    if all(isinstance(v, int) and not isinstance(v, bool) for v in present):
        return pa.int64() if present else pa.string()
    if all(isinstance(v, (int, float)) for v in present):
        return pa.float64()
    return pa.string()


def _parquet_bytes(cols: list[str], rows: list[dict], keys) -> bytes:
    import pyarrow as pa
    import pyarrow.parquet as pq

    arrays = []
    for c in cols:
        values = [r.get(c) for r in rows]
        t = pa.string() if c in keys or c in TEXT else _arrow_type(values)
        if t == pa.string():
            values = [None if v is None else str(v) for v in values]
        elif t == pa.float64():
            values = [None if v is None else float(v) for v in values]
        arrays.append(pa.array(values, type=t))
    buf = io.BytesIO()
    pq.write_table(pa.table(arrays, names=cols), buf)
    return buf.getvalue()


def write_results(path: str, keys: tuple[str, ...], rows: list[dict]) -> None:
    """Write `rows` (grid keys `keys`) to `path`, replacing it atomically."""
    cols = columns(keys, rows)
    if is_parquet(path):
        write_atomic(path, _parquet_bytes(cols, rows, keys))
    else:
        write_atomic(path, _csv_text(cols, rows))


def _read_parquet(path: str) -> tuple[list[str], list[dict]]:
    import pyarrow.parquet as pq

    table = pq.read_table(path)
    return list(table.column_names), table.to_pylist()


def _read_csv(path: str) -> tuple[list[str], list[dict]]:
    with open(path, newline="", encoding="utf-8") as f:
        reader = csv.reader(f)
        cols = next(reader, [])
        rows = [dict(zip(cols, line)) for line in reader]
    return cols, rows


def read_results(path: str) -> tuple[tuple[str, ...], list[dict]] | None:
    """The grid keys and rows of an existing results file; None when there is none."""
    if not Path(path).is_file():
        return None
    try:
        cols, rows = (_read_parquet if is_parquet(path) else _read_csv)(path)
    except Exception as e:   # a damaged or foreign file: any reader error means the same
        raise UserError(f"cannot read the results file '{path}' to resume from it: {e}; "
                        f"delete it or choose another -o") from None
    if "scheduler" not in cols:
        raise UserError(f"'{path}' is not the results file of a sweep (no 'scheduler' "
                        f"column); delete it or choose another -o")
    keys = tuple(cols[:cols.index("scheduler")])
    if not is_parquet(path):
        text = set(keys) | set(TEXT)
        rows = [{c: (v if c in text else _number(v)) if v != "" else None
                 for c, v in r.items()} for r in rows]
    return keys, rows
