"""`hpdsl lsp`: the .hpm language server, over stdio; `--grammar` prints the highlighting grammar's path."""
from __future__ import annotations

from importlib import resources

GRAMMAR = "hpm.tmLanguage.json"


def add_parser(sub) -> None:
    p = sub.add_parser(
        "lsp", help="the .hpm language server (LSP over stdio) for editors",
        description="Run the .hpm language server on stdin/stdout: diagnostics from the "
                    "checker as you type, completion, hover (a quantity's SI value), "
                    "go-to-definition and semantic highlighting. Editors start it; see "
                    "docs/editors.md for VS Code and Neovim.")
    p.add_argument("--stdio", action="store_true",
                   help="talk over stdin/stdout (the default and only transport; accepted "
                        "because editors pass it)")
    p.add_argument("--grammar", action="store_true",
                   help="print the path of the TextMate grammar for .hpm highlighting and exit")
    p.set_defaults(run=run)


def grammar_path() -> str:
    """Where the installed TextMate grammar is."""
    return str(resources.files("hpdsl.lang") / GRAMMAR)


def run(args) -> int:
    if args.grammar:
        print(grammar_path())
        return 0
    from hpdsl.lsp.server import serve

    serve()
    return 0
