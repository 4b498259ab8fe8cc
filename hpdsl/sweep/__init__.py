"""Design-space sweeps: a grid of settings x schedulers, one `compare` point per Dask task.

`grid` (axes and points), `task` (one point on a worker), `row` (a run record
flattened), `results` (the CSV or Parquet file), `engine` (the Dask cluster), `progress`,
`run` (`run_sweep`: resume, rows as points finish) and `report` (`--report DIR`).
"""
