"""One module per `hpdsl` subcommand (see hpdsl/cli.py)."""
