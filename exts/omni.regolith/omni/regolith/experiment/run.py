"""`regolith experiment CONFIG --out DIR`: plan, run what is missing, read the arms.

A rerun of the same command after a kill (or a failed task) runs only the tasks whose outputs are
missing; a half-trained run resumes from its checkpoint. `status.json` says where it stands.
"""
from __future__ import annotations

import dataclasses
import datetime
import json
import time
from pathlib import Path

from .. import __version__
from ..config.experiment import Experiment, load_experiment
from ..errors import ConfigError, RegolithError
from ..io import atomic_write_text
from .plan import Paths, Planner, worker_counts

SCHEMA = "regolith.experiment/1"


class ExperimentError(RegolithError):
    """A task of the experiment failed; its log says why."""


def identity(exp: Experiment, real_sets: list) -> dict:
    """What makes two experiment dirs the same experiment (a rerun must match it)."""
    return {"experiment": {k: list(v) if isinstance(v, tuple) else v
                           for k, v in dataclasses.asdict(exp.experiment).items()},
            "train": exp.train, "quick": exp.quick, "real_sets": [Path(p).name for p in real_sets],
            "arms": {n: {**dataclasses.asdict(a), "set": list(a.set)} for n, a in exp.arms.items()}}


def check_identity(out: Path, ident: dict) -> None:
    file = out / "experiment.json"
    if file.is_file():
        old = json.loads(file.read_text())
        if old != ident:
            keys = sorted(k for k in set(old) | set(ident) if old.get(k) != ident.get(k))
            raise ConfigError(f"{out} holds another experiment (differs in {', '.join(keys)}); "
                              "rerun it with its own config, or pick another --out")
    else:
        atomic_write_text(file, json.dumps(ident, indent=1) + "\n")


class Status:
    """status.json and one console line per task event: what ran, how long, what is left."""

    def __init__(self, out: Path, planned: list, say=print):
        self.file, self.say = out / "status.json", say
        self.total = len(planned)
        self.done = {t.key for t, done in planned if done}
        self.started: dict = {}
        self.seconds: dict = {}
        self.failed: dict = {}
        self.write()

    def event(self, what: str, task, code=None) -> None:
        if what == "start":
            self.started[task.key] = time.time()
            self.say(f"[{len(self.done) + 1}/{self.total}] {task.key} ...")
        else:
            took = time.time() - self.started.pop(task.key, time.time())
            self.seconds[task.key] = round(took, 1)
            if code == 0:
                self.done.add(task.key)
                self.say(f"[{len(self.done)}/{self.total}] {task.key} done in {took:.0f} s")
            else:
                self.failed[task.key] = code
                self.say(f"{task.key} {'skipped (a task it needs failed)' if code == -1 else f'failed ({code})'}: "
                         f"{task.log}")
        self.write()

    def write(self) -> None:
        atomic_write_text(self.file, json.dumps({
            "tasks": self.total, "done": len(self.done), "running": sorted(self.started),
            "failed": self.failed, "seconds": self.seconds,
            "updated": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds")}, indent=1) + "\n")


def run_experiment(config, out, *, quick: bool = False, gpus=(), per_gpu: int = 1, device: str = "auto",
                   data_root=None, scheduler=None, say=print, force: bool = False) -> dict:
    """Run (or resume) the experiment in `config` into `out`; returns its metrics.json content."""
    from ..evaluate.sets import data_root as default_root
    from ..evaluate.sets import default_sets
    from .schedule import LocalScheduler

    exp = load_experiment(config, quick)
    out = Path(out).resolve()
    if out.exists() and not out.is_dir():
        raise ConfigError(f"--out {out}: exists and is not a folder")
    root = Path(data_root).resolve() if data_root else default_root().resolve()
    real = [p.resolve() for p in default_sets(root)] if exp.experiment.real else []
    out.mkdir(parents=True, exist_ok=True)
    check_identity(out, identity(exp, real))
    slots = max(1, len(gpus)) * max(1, per_gpu)
    train_workers, gen_workers = worker_counts(slots, bool(gpus))
    planned = Planner(exp, Paths(out), real, root, device, train_workers, gen_workers, force).tasks()
    status = Status(out, planned, say)
    todo = [t for t, done in planned if not done]
    say(f"{len(planned) - len(todo)} of {len(planned)} tasks already done; running {len(todo)} "
        f"on {slots} slot(s){' (GPUs ' + ','.join(map(str, gpus)) + ')' if gpus else ''}")
    scheduler = scheduler or LocalScheduler(tuple(gpus), per_gpu)
    if getattr(scheduler, "on_event", "absent") is None:
        scheduler.on_event = status.event
    t0 = time.time()
    codes = scheduler.run(todo)
    failed = {k: c for k, c in codes.items() if c != 0}
    if failed:
        first = next(t for t in todo if t.key in failed)
        raise ExperimentError(f"{len(failed)} task(s) failed or were skipped, first {first.key} (log: {first.log}); "
                              "fix the cause and rerun the same command: finished tasks are kept")
    return summarize(exp, out, time.time() - t0, status.seconds)


def report_only(config, out, *, quick: bool = False) -> dict:
    """Read the arms again from the scores already in `out` (after a change to the analysis, or on a
    machine without the models): metrics.json, report.md and arms.png rewritten, no task run."""
    exp = load_experiment(config, quick)
    out = Path(out).resolve()
    ident_file = out / "experiment.json"
    if not ident_file.is_file():
        raise ConfigError(f"--out {out}: no experiment.json there (run the experiment first)")
    check_identity(out, identity(exp, json.loads(ident_file.read_text())["real_sets"]))
    paths = Paths(out)
    missing = [f"{arm}/s{k}" for arm in exp.arms for k in range(exp.experiment.seeds)
               if not (paths.scores(arm, k) / "metrics.json").is_file()]
    if missing:
        raise ConfigError(f"--report-only: no scores for {', '.join(missing)} in {out} "
                          "(rerun without --report-only to make them)")
    old = out / "metrics.json"
    before = json.loads(old.read_text()) if old.is_file() else {}
    return summarize(exp, out, before.get("seconds", 0.0), before.get("task_seconds", {}))


def summarize(exp: Experiment, out: Path, seconds: float, task_seconds: dict) -> dict:
    """Read every run's scores and write metrics.json, report.md and arms.png."""
    from ..hardware import device_name
    from .analysis import analyse
    from .report import plot, write_report

    paths = Paths(out)
    boards = {arm: [json.loads((paths.scores(arm, k) / "metrics.json").read_text())
                    for k in range(exp.experiment.seeds)] for arm in exp.arms}
    measured_on = {b.get("device") for runs in boards.values() for b in runs} - {None}  # where the runs scored
    baseline_file = paths.baseline / "metrics.json"
    baseline = json.loads(baseline_file.read_text()) if baseline_file.is_file() else None
    ident = json.loads((out / "experiment.json").read_text())
    metrics = {"schema": SCHEMA, "generated_by": f"regolith experiment {__version__}",
               "created": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
               "device": ", ".join(sorted(measured_on)) or device_name(), "quick": exp.quick, "config": ident,
               "arms": list(exp.arms),
               "reference": exp.reference, "seconds": round(seconds, 1), "task_seconds": task_seconds,
               "sets": analyse(boards, baseline, exp.reference)}
    atomic_write_text(out / "metrics.json", json.dumps(metrics, indent=1, allow_nan=False) + "\n")
    write_report(metrics, out / "report.md")
    plot(metrics, out / "arms.png")
    return metrics
