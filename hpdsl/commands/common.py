"""Argument helpers shared by subcommands: spec, target, --set, output files."""
from __future__ import annotations

import os
import stat
import sys
import tempfile
from importlib import resources
from pathlib import Path

from hpdsl.errors import UserError
from hpdsl.generate import DEFAULT_MAX_TASKS, generate
from hpdsl.inputs import why_not
from hpdsl.lang import checked_target, load, target_warnings
from hpdsl.settings import parse_settings


def bundled_example(name: str) -> str:
    """Path of an example shipped inside the package (e.g. 'deepseek_moe.hpm')."""
    return str(resources.files("hpdsl.examples") / name)


def add_target_args(p, spec_optional: bool = False) -> None:
    if spec_optional:
        p.add_argument("spec", nargs="?", metavar="SPEC",
                       help="the .hpm file (default: the bundled examples/deepseek_moe.hpm)")
    else:
        p.add_argument("spec", metavar="SPEC", help="the .hpm file")
    p.add_argument("--target", "-t", metavar="T",
                   help="the tiling or graph to run (may be left out when the file has one)")
    p.add_argument("--set", dest="settings", action="append", default=[], metavar="KEY=VALUE",
                   help="override a workload setting or a hardware figure (with its unit), "
                        "e.g. --set devices=64 --set routing='zipf 1.2' "
                        "--set hw.link.bandwidth=107GB/s (repeatable; docs/generate.md)")


def add_solver_args(p, time_limit: float = 10.0, per: str = "") -> None:
    """--time-limit (the exact schedulers' search, `per` says what for), --seed, --seeds,
    --max-z3-tasks, --max-cpsat-tasks, --solver-workers and --lns-window."""
    p.add_argument("--time-limit", type=float, default=None, metavar="S",
                   help=f"seconds z3, cpsat, tabu and lns may search{per} "
                        f"(default: {time_limit:g}, with cpsat's deterministic search; "
                        f"given, cpsat searches in parallel, faster but not repeatable)")
    p.set_defaults(default_time_limit=time_limit)
    p.add_argument("--seed", type=int, default=0, help="seed for random priorities (default: 0)")
    p.add_argument("--seeds", type=int, default=1, metavar="N",
                   help="random: try seeds SEED..SEED+N-1 and keep the shortest schedule "
                        "(the first of equals; default: 1)")
    p.add_argument("--max-z3-tasks", type=int, default=400, metavar="N",
                   help="largest graph z3 accepts when asked for (default: 400)")
    p.add_argument("--max-cpsat-tasks", type=int, default=5000, metavar="N",
                   help="largest graph cpsat accepts when asked for (default: 5000)")
    p.add_argument("--solver-workers", type=int, default=0, metavar="N",
                   help="search threads of the cpsat scheduler (default: 0, one per CPU core)")
    p.add_argument("--lns-window", type=int, default=100, metavar="N",
                   help="tasks the lns scheduler frees and re-solves at a time (default: 100)")


def check_solver_args(args) -> None:
    """--time-limit, --seed and --max-z3-tasks as the schedulers can use them (UserError if not)."""
    import math

    # no --time-limit: the default limit, and searches that repeat exactly (Options)
    args.deterministic = args.time_limit is None
    if args.time_limit is None:
        args.time_limit = args.default_time_limit
    if not (math.isfinite(args.time_limit) and args.time_limit >= 0):
        raise UserError(f"--time-limit must be a finite number of seconds >= 0, got {args.time_limit:g}")
    if args.seed < 0:
        raise UserError(f"--seed must be a whole number >= 0, got {args.seed}")
    if getattr(args, "seeds", 1) < 1:
        raise UserError(f"--seeds must be a whole number >= 1, got {args.seeds}")
    for opt in ("max_z3_tasks", "z3_default_tasks", "max_cpsat_tasks", "solver_workers"):
        v = getattr(args, opt, 0)
        if v < 0:
            raise UserError(f"--{opt.replace('_', '-')} must be a whole number >= 0, got {v}")
    if getattr(args, "lns_window", 1) < 1:
        raise UserError(f"--lns-window must be a whole number >= 1, got {args.lns_window}")


def load_graph(args, max_tasks: int = DEFAULT_MAX_TASKS, warnings: list | None = None):
    """Load args.spec, pick args.target, apply --set and generate the task graph; the
    target's warnings (after --set) are added to `warnings` when it is given."""
    spec = load(args.spec)
    target = checked_target(spec, args.target, parse_settings(args.settings))
    if warnings is not None:
        warnings += target_warnings(target)
    return spec, generate(target, max_tasks)


def check_output_path(path: str | Path, folder: bool = False, inputs=()) -> os.stat_result | None:
    """Refuse an output path that cannot be written, before any long work; its stat or None.

    A symbolic link is written through (its target is replaced, the link kept), as a
    shell's `>` does. Refused: a path that is, through links, one of `inputs` (the spec,
    the plan); a folder where a file goes, or a file where a folder goes (`folder`); a
    folder that does not exist or where no file can be created (probed by creating one).
    """
    path = Path(path)
    real = Path(os.path.realpath(path))
    try:
        st = os.stat(path)
    except (FileNotFoundError, NotADirectoryError):
        st = None   # the folder is looked at below
    except OSError as e:
        raise UserError(f"cannot write '{path}': it {why_not(str(path), e)}") from None
    for i in inputs:
        if os.path.realpath(i) == str(real):
            raise UserError(f"cannot write '{path}': it is an input of this command ('{i}'); "
                            "choose another output")
    if st is not None and stat.S_ISDIR(st.st_mode) != folder:
        raise UserError(f"cannot write '{path}': it is {'a file' if folder else 'a folder'}")
    if st is not None and not stat.S_ISREG(st.st_mode) and not folder:
        if not os.access(real, os.W_OK):   # a device or pipe is written in place
            raise UserError(f"cannot write '{path}': permission denied")
        return st
    parent = real.parent
    if not parent.is_dir():
        shown = path.parent
        raise UserError(f"cannot write '{path}': " + (f"'{shown}' is a file, not a folder"
                        if parent.exists() else f"folder '{shown}' does not exist"))
    try:   # what the write will do: a temporary file (or folder) next to the target
        fd, probe = tempfile.mkstemp(prefix=f".{real.name}.", dir=parent)
        os.close(fd)
        os.unlink(probe)
    except OSError as e:
        raise UserError(f"cannot write '{path}': cannot create files in '{parent}' "
                        f"({e.strerror})") from None
    return st


def write_atomic(path: str, data: str | bytes, inputs=()) -> None:
    """Write a file so that readers see the old or the new content, never half of it.

    A path that exists and is not a regular file (/dev/null, /dev/stdout, a pipe) is written
    in place: replacing it would swap a device for a file. A symbolic link is written
    through: its target gets the new content.
    """
    mode = "wb" if isinstance(data, bytes) else "w"
    st = check_output_path(path, inputs=inputs)
    real = Path(os.path.realpath(path))
    try:
        if st is not None and not stat.S_ISREG(st.st_mode):
            with open(path, mode) as f:
                f.write(data)
            return
        fd, tmp = tempfile.mkstemp(prefix=f".{real.name}.", dir=real.parent)
    except OSError as e:
        raise UserError(f"cannot write '{path}': {e.strerror}") from None
    try:
        with os.fdopen(fd, mode) as f:
            f.write(data)
        os.chmod(tmp, 0o666 & ~_umask())  # mkstemp makes 0600; give the usual mode
        os.replace(tmp, real)
    except BaseException as e:
        os.unlink(tmp)
        if isinstance(e, OSError):
            raise UserError(f"cannot write '{path}': {e.strerror}") from None
        raise


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def emit(text: str, out: str | None, inputs=()) -> None:
    """Write `text` to file `out` atomically, or to stdout when out is None or '-'."""
    if out in (None, "-"):
        sys.stdout.write(text if text.endswith("\n") else text + "\n")
    else:
        write_atomic(out, text, inputs)


def progress(msg: str) -> None:
    print(f"hpdsl: {msg}", file=sys.stderr, flush=True)


def print_result(result: dict, as_json: bool, summary: str, written: tuple[str, str] | None = None) -> None:
    """One result as `{"results": [result]}` JSON on stdout, or the human summary plus the
    file it wrote (`written` = (label, path))."""
    if as_json:
        import json

        json.dump({"results": [result]}, sys.stdout, indent=2)
        sys.stdout.write("\n")
    else:
        print(summary)
        if written and written[1]:
            print(f"{written[0]:<12} {written[1]}")
