"""`python -m hpdsl`: the same command line as `hpdsl`."""
import sys

from hpdsl.cli import main

if __name__ == "__main__":   # not when a test run imports the module for its doctests
    sys.exit(main())
