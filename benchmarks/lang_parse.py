"""How fast `hpdsl.lang.loads` reads a large explicit graph (tasks per second).

    .venv/bin/python benchmarks/lang_parse.py [TASKS]
"""
from __future__ import annotations

import sys
import time

from hpdsl.lang import loads


def graph_text(n: int) -> str:
    lines = ["hardware H { core C count 4 core D count 2 }", "graph g on H {"]
    for i in range(n):
        after = f" after t{i - 1}, t{i // 2}" if i > 1 else ""
        lines.append(f"    task t{i} on {'C' if i % 3 else 'D'} takes {i % 7 + 1} us{after}")
    lines.append("}")
    return "\n".join(lines) + "\n"


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 10_000
    text = graph_text(n)
    t0 = time.perf_counter()
    spec = loads(text, "bench.hpm")
    dt = time.perf_counter() - t0
    assert len(spec.graphs[0].tasks) == n
    print(f"{n} tasks, {len(text) / 2**20:.2f} MiB: {dt:.2f} s, {n / dt:.0f} tasks/s")


if __name__ == "__main__":
    main()
