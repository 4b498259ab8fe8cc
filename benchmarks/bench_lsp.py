"""How long the language server's features take on a large spec (what an editor waits for).

Per size: the checker (`analyse`, run off the event loop), then what the first request
after an edit pays (tokens + outline), then completion, hover and definition at the end
of the file (the costliest place: the walk starts at the enclosing top-level statement)
and semantic tokens for the whole file.

    .venv/bin/python benchmarks/bench_lsp.py [TASKS ...]     # default: 1000 10000 50000
"""
from __future__ import annotations

import sys
import time

from lang_parse import graph_text

from hpdsl.lang import analyse
from hpdsl.lsp.document import Document
from hpdsl.lsp.features import completion, definition, hover
from hpdsl.lsp.semantic import semantic_tokens


def _timed(f, *args):
    t0 = time.perf_counter()
    out = f(*args)
    return out, time.perf_counter() - t0


def run(n: int) -> None:
    text = graph_text(n)
    _, check_s = _timed(analyse, text, "bench.hpm")
    doc = Document("file:///bench.hpm", "/bench.hpm", text)
    _, outline_s = _timed(lambda: doc.outline)
    at = doc.position(text.rindex(" on ") + 4)
    items, complete_s = _timed(completion, doc, at)
    assert [i.label for i in items.items] == ["C", "D"]
    h, hover_s = _timed(hover, doc, doc.position(text.rindex(" us") - 1))
    assert h is not None
    loc, def_s = _timed(definition, doc, doc.position(text.rindex(", t") + 3))
    assert loc is not None
    _, sem_s = _timed(semantic_tokens, doc)
    print(f"{n:>7} tasks {len(text) / 2**20:5.2f} MiB: check {check_s:6.2f} s, "
          f"outline {outline_s:5.2f} s, completion {complete_s * 1e3:5.1f} ms, "
          f"hover {hover_s * 1e3:5.1f} ms, definition {def_s * 1e3:5.1f} ms, "
          f"semantic tokens {sem_s:5.2f} s")


def main() -> None:
    for n in [int(a) for a in sys.argv[1:]] or [1000, 10_000, 50_000]:
        run(n)


if __name__ == "__main__":
    main()
