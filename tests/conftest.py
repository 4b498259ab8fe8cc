"""Suite-wide options: `--update-golden` rewrites tests/golden/ from the current code."""


def pytest_addoption(parser):
    parser.addoption("--update-golden", action="store_true", default=False,
                     help="rewrite the golden outputs in tests/golden/ instead of comparing "
                          "(review the diff before committing it)")
