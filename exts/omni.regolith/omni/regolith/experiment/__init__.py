"""`regolith experiment`: arms (config overrides) x training seeds, generated, trained and scored on
a synthetic val set and the real scoreboard, resumable per (arm, seed); the report reads each arm
against a reference with paired intervals.

- `plan`: the tasks (generate per data setting, train and score per (arm, seed), the baseline).
- `schedule`: the Scheduler interface and the local one (GPUs, or in process on a CPU).
- `run`: `run_experiment` end to end; `analysis`: seeds and images into differences and verdicts;
  `report`: report.md and the plot.
"""
