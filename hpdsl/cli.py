"""The `hpdsl` command: parses arguments, calls the stages, prints. Nothing else.

Each subcommand lives in `hpdsl/commands/<name>.py` with `add_parser(subparsers)` and
`run(args) -> int`. User errors exit 1 with located messages and no traceback; a bad
command line is a user error too (argparse alone would exit 2), so 1 means "your input".
"""
from __future__ import annotations

import argparse
import importlib
import sys

from hpdsl import __version__
from hpdsl.errors import UserError
from hpdsl.progress import quiet

COMMANDS = ("check", "graph", "schedulers", "schedule", "emulate", "compare", "sweep", "lsp")
EXIT_STATUS = ("Exit status: 0 on success; 1 on any user error (a bad command line included), "
               "an invalid plan (emulate) or a failed scheduler (compare); 130 when interrupted.")


class Parser(argparse.ArgumentParser):
    """argparse, with usage errors exiting 1 like every other user error (not 2)."""

    def error(self, message: str):
        self.print_usage(sys.stderr)
        self.exit(1, f"{self.prog}: error: {message}\n")


def build_parser() -> argparse.ArgumentParser:
    p = Parser(
        prog="hpdsl",
        description="Write down, solve and check tile-level schedules on heterogeneous "
                    "accelerators. Pipeline: .hpm spec -> task graph -> schedule -> plan -> emulation.",
        epilog="Run 'hpdsl COMMAND --help' for a command's options. Docs: docs/index.md. "
               "Long stages draw progress bars on stderr when it is a terminal (never with "
               "--json; TQDM_DISABLE=1 turns them off). " + EXIT_STATUS
               + " Limits on inputs: docs/limits.md.")
    p.add_argument("--version", action="version", version=f"hpdsl {__version__}")
    sub = p.add_subparsers(dest="command", metavar="COMMAND")
    for name in COMMANDS:
        try:
            mod = importlib.import_module(f"hpdsl.commands.{name}")
        except ModuleNotFoundError as e:
            if e.name != f"hpdsl.commands.{name}":
                raise
            continue  # a stage not built yet
        mod.add_parser(sub)
    return p


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return 0
    try:
        with quiet(getattr(args, "json", False)):   # bars never in a run whose output is JSON
            return int(args.run(args) or 0)
    except UserError as e:
        print(str(e), file=sys.stderr)
        return 1
    except BrokenPipeError:
        return 0
    except KeyboardInterrupt:
        print("hpdsl: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
