"""hpdsl: write down, solve and check tile-level schedules on heterogeneous accelerators."""

__version__ = "0.1.0"
