"""`Options`: the knobs every scheduler takes, each reading the ones it needs."""
from __future__ import annotations

import sys
from dataclasses import dataclass
from typing import Callable


@dataclass(frozen=True, slots=True)
class Options:
    """Knobs shared by all schedulers; each reads the ones it needs."""

    time_limit: float = 60.0        # seconds, for z3, cpsat, tabu and lns
    seed: int = 0                   # random priorities
    max_z3_tasks: int = 400         # z3 refuses larger graphs before building a model
    max_cpsat_tasks: int = 5000     # cpsat refuses larger graphs before building a model
    solver_workers: int = 0         # cpsat's search workers; 0: one per CPU core
    # cpsat's interleaved search: the same schedule on any machine and any worker count
    # when it ends before the time limit (slower than its parallel portfolio)
    deterministic: bool = True
    tabu_iterations: int = 10_000   # tabu's iteration budget; 0: until the time limit
    tabu_pool_moves: int = 4        # moves to other workers tabu evaluates per iteration
    tabu_shift_moves: int = 8       # N7 shifts within critical blocks tabu evaluates per iteration
    tabu_link_moves: int = 4        # reorderings of sends on a link tabu evaluates per iteration
    lns_window: int = 100           # tasks lns frees and re-solves at a time
    lns_choices: int = 4            # workers a freed task may take: its own + the most slack
    lns_iterations: int = 200       # lns's windows; 0: until the time limit
    lns_window_dtime: float = 0.5   # CP-SAT deterministic time per window
    progress: Callable[[str], None] | bool = False   # True: messages on stderr
    seeds: int = 1                  # `random` tries seeds seed..seed+seeds-1, keeps the best
    portfolio: tuple[str, ...] = ("heft", "dispatch", "cp", "fifo", "random")
    random_restarts: int = 8        # extra random-priority runs in the portfolio
    nondelay_max_tasks: int = 20_000   # the portfolio skips its slower members above this
    warm_start: str = "portfolio"   # heuristic whose schedule z3 starts from

    def report(self, msg: str) -> None:
        if self.progress is True:
            print(f"hpdsl: {msg}", file=sys.stderr, flush=True)
        elif callable(self.progress):
            self.progress(msg)
