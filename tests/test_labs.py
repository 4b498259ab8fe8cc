"""The labs run as written: every command of every `sh` block in docs/labs/*.md.

A line is one command (no pipes or redirections); `hpdsl` runs this checkout's CLI and
`python` this interpreter. It must exit 0, unless it ends in `# fails: TEXT` (exit 1 and
TEXT in the output); `# prints: TEXT` also requires TEXT in the output. Each lab's
commands run in order in one scratch folder that sees `examples/`, so later commands can
read the files earlier ones wrote.
"""
import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
LABS = ROOT / "docs" / "labs"
BLOCK = re.compile(r"^```sh\n(.*?)^```", re.S | re.M)
MARK = re.compile(r"\s+#\s*(prints|fails):\s*(.+)$")


def lab_files() -> list[Path]:
    return sorted(LABS.glob("lab*.md"))


def commands(doc: Path) -> list[tuple[list[str], str | None, str | None]]:
    """(argv, 'prints'|'fails'|None, expected text) for each command line of the doc."""
    out = []
    for block in BLOCK.findall(doc.read_text()):
        for line in block.splitlines():
            line = line.strip()
            if not line or line.startswith("#"):
                continue
            mode = text = None
            m = MARK.search(line)
            if m:
                mode, text = m.group(1), m.group(2).strip()
                line = line[:m.start()]
            argv = shlex.split(line)
            assert argv[0] in ("hpdsl", "python"), f"{doc.name}: unexpected command: {line}"
            out.append((argv, mode, text))
    return out


def _argv(argv: list[str]) -> list[str]:
    if argv[0] == "hpdsl":
        return [sys.executable, "-m", "hpdsl.cli"] + argv[1:]
    return [sys.executable] + argv[1:]


def test_there_are_at_least_four_labs_with_commands():
    docs = lab_files()
    assert len(docs) >= 4
    for doc in docs:
        cmds = commands(doc)
        assert len(cmds) >= 2, doc.name
        assert any(mode for _, mode, _ in cmds), f"{doc.name} pins no observation"
        text = doc.read_text()
        for word in ("**Goal.**", "**Observe", "**Questions.**"):
            assert word in text, f"{doc.name} lacks {word}"


def test_lab_specs_exist():
    for doc in lab_files():
        for argv, _, _ in commands(doc):
            for a in argv:
                if a.endswith(".hpm"):
                    assert (ROOT / a).is_file(), f"{doc.name}: {a} does not exist"


def test_markers_are_parsed():
    cmds = commands(LABS / "lab4-synchronization.md")
    fails = [(a, t) for a, m, t in cmds if m == "fails"]
    assert [t for _, t in fails] == ["missing-sync: mul0 (task 2)", "never-satisfied", "deadlock"]
    assert fails[0][0][:2] == ["hpdsl", "emulate"]


@pytest.mark.parametrize("doc", lab_files(), ids=lambda p: p.stem)
def test_lab_commands_run(doc, tmp_path):
    (tmp_path / "examples").symlink_to(ROOT / "examples")
    env = dict(os.environ, MPLBACKEND="Agg")
    for argv, mode, text in commands(doc):
        p = subprocess.run(_argv(argv), cwd=tmp_path, env=env, capture_output=True, text=True,
                           timeout=120)
        shown = f"{doc.name}: {shlex.join(argv)}\n{p.stdout}\n{p.stderr}"
        assert "Traceback" not in p.stderr, shown
        assert p.returncode == (1 if mode == "fails" else 0), shown
        if text:
            assert text in p.stdout + p.stderr, shown


def test_docs_index_links_resolve():
    """Every relative link in docs/index.md and docs/labs/README.md points to a file."""
    for page in (ROOT / "docs" / "index.md", LABS / "README.md"):
        links = re.findall(r"\]\(([^)#]+)\)", page.read_text())
        local = [l for l in links if "://" not in l]
        assert local, page
        for link in local:
            target = (page.parent / link).resolve()
            if target.name == "reproduction.md" and not target.exists():
                continue   # written with the reproduction study; linked ahead of it
            assert target.exists(), f"{page.name}: broken link {link}"
