"""Scaling out: several render processes per GPU, every GPU, other machines (through Dask).

`slots` decides where workers run (GPUs x processes per GPU), `engine` is the distributed
engine (a local cluster of worker processes, or a running Dask scheduler), `generate` turns a
dataset job into shard tasks and merges the manifest once, `tasks` is the engine-backed
scheduler for any list of independent runs (an experiment's (arm, seed) runs).
"""
