"""Suite-wide options and fixtures: `--update-golden` rewrites tests/golden/ from the
current code; `dask_address` is a Dask cluster on 127.0.0.1 shared by the sweep tests."""
import pytest


def pytest_addoption(parser):
    parser.addoption("--update-golden", action="store_true", default=False,
                     help="rewrite the golden outputs in tests/golden/ instead of comparing "
                          "(review the diff before committing it)")


@pytest.fixture(scope="session")
def dask_address():
    """A Dask scheduler and 2 worker processes on 127.0.0.1, started on first use."""
    from sweep_cluster import local_cluster

    with local_cluster(2) as address:
        yield address
