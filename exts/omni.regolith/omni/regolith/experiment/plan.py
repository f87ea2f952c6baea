"""An experiment as tasks: generate once per distinct data setting, then per (arm, seed) train and
score, and score the baseline once. Each task knows when its output is complete, so a rerun after
a kill plans only what is missing (and a half-trained run resumes from its checkpoint).

    OUT/experiment.json           the resolved experiment (a rerun must match it)
    OUT/data/<group>/train, val_<group>   generated datasets (arms with the same overrides share one)
    OUT/runs/<arm>/s<k>/          a `regolith train` run dir; scores/ its scoreboard
    OUT/baseline/                 the baseline's scoreboard on the same sets
    OUT/logs/<task>.log           each task's output
"""
from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from ..config.experiment import Experiment
from .schedule import Task


@dataclass(frozen=True)
class Paths:
    root: Path

    def data(self, group: str) -> Path:
        return self.root / "data" / group

    def train_set(self, group: str) -> Path:
        return self.data(group) / "train"

    def val_set(self, group: str) -> Path:
        return self.data(group) / f"val_{group}"  # the set's name on the scoreboard

    def run(self, arm: str, k: int) -> Path:
        return self.root / "runs" / arm / f"s{k}"

    def scores(self, arm: str, k: int) -> Path:
        return self.run(arm, k) / "scores"

    @property
    def baseline(self) -> Path:
        return self.root / "baseline"

    def log(self, key: str) -> str:
        return str(self.root / "logs" / (key.replace("/", "_") + ".log"))


def data_groups(exp: Experiment) -> dict:
    """group name (its first arm's) -> (data overrides, [arms]); arms with equal overrides share data."""
    groups: dict = {}
    for arm in exp.arms:
        overrides = exp.data_overrides(arm)
        name = next((g for g, (o, _) in groups.items() if o == overrides), arm)
        groups.setdefault(name, (overrides, []))[1].append(arm)
    return groups


def group_of(exp: Experiment, arm: str) -> str:
    return next(g for g, (_, arms) in data_groups(exp).items() if arm in arms)


def dataset_complete(root: Path, frames: int) -> bool:
    from ..dataset.layout import frame_done
    from ..plan.io import read_plan

    plan = root / "frames.jsonl"
    if not plan.is_file():
        return False
    try:
        records = read_plan(plan)
    except Exception:  # noqa: BLE001 - an unreadable plan is an unfinished dataset; generate says why
        return False
    return len(records) == frames and all(frame_done(root, r.index) for r in records)


def _sets_args(paths: list) -> list:
    return ["--images", str(paths[0])] + [a for p in paths[1:] for a in ("--compare", str(p))]


@dataclass
class Planner:
    exp: Experiment
    paths: Paths
    real_sets: list  # absolute paths of the real sets scored beside the val sets
    data_root: Path | None = None
    device: str = "auto"
    train_workers: int = -1  # -1: `regolith train`'s own choice
    gen_workers: int = 4
    force: bool = False  # pass --force: the memory preflight sizes one run, not runs sharing a GPU

    def generate(self, group: str, overrides: tuple) -> list:
        e = self.exp.experiment
        common = ["--resolution", f"{e.resolution[0]}x{e.resolution[1]}", "--no-progress",
                  "--workers", str(self.gen_workers), "--procs-per-gpu", "1"]  # the experiment runs tasks side by side
        common += ["--force"] if self.force else []
        common += (["--config", str(Path(e.config).resolve())] if e.config else [])
        common += [a for o in overrides for a in ("--set", o)]
        out = []
        for split, frames, seed, where in (("train", e.train_frames, e.data_seed, self.paths.train_set(group)),
                                           ("val", e.val_frames, e.val_seed, self.paths.val_set(group))):
            argv = ["generate", "--out", str(where), "--frames", str(frames), "--seed", str(seed), *common]
            key = f"generate/{group}/{split}"
            out.append((Task(key, tuple(argv), (), self.paths.log(key)), dataset_complete(where, frames)))
        return out

    def train(self, arm: str, k: int) -> tuple:
        from ..config.files import config_to_toml
        from ..io import atomic_write_text

        e, run, group = self.exp.experiment, self.paths.run(arm, k), group_of(self.exp, arm)
        cfg_file = run.parent / f"s{k}.train.toml"
        text = config_to_toml(self.exp.train_config(arm, k)).replace("\n[augment]", "\n[train.augment]")
        atomic_write_text(cfg_file, "[train]\n" + text)
        init = self.exp.arms[arm].init or e.init
        argv = ["train", "--data", str(self.paths.train_set(group)), "--val", str(self.paths.val_set(group)),
                "--out", str(run), "--config", str(cfg_file), "--device", self.device, "--json-progress"]
        argv += (["--init", init] if init else []) + (["--max-steps", str(e.max_steps)] if e.max_steps else [])
        argv += (["--workers", str(self.train_workers)] if self.train_workers >= 0 else [])
        argv += (["--resume"] if (run / "checkpoint.pt").is_file() else [])
        argv += ["--force"] if self.force else []
        key = f"train/{arm}/s{k}"
        after = (f"generate/{group}/train", f"generate/{group}/val")
        done = (run / "metrics.json").is_file() and (run / "model" / "config.json").is_file()
        return Task(key, tuple(argv), after, self.paths.log(key)), done

    def scored_sets(self) -> list:
        return [self.paths.val_set(g) for g in data_groups(self.exp)] + list(self.real_sets)

    def score(self, key: str, models: list, out: Path, after: tuple) -> tuple:
        e = self.exp.experiment
        argv = ["evaluate", "--scoreboard", *[a for m in models for a in ("--model", m)],
                *_sets_args(self.scored_sets()), "--out", str(out), "--no-figures", "--device", self.device]
        argv += (["--data-root", str(self.data_root)] if self.data_root else [])
        argv += (["--limit", str(e.eval_limit)] if e.eval_limit else [])
        argv += (["--no-baseline"] if models != ["baseline"] else [])
        return Task(key, tuple(argv), after, self.paths.log(key)), (out / "metrics.json").is_file()

    def tasks(self) -> list:
        """[(Task, done)] for the whole experiment, in a sensible order."""
        groups = data_groups(self.exp)
        out = [t for g, (overrides, _) in groups.items() for t in self.generate(g, overrides)]
        vals = tuple(f"generate/{g}/val" for g in groups)
        out.append(self.score("score/baseline", ["baseline"], self.paths.baseline, vals))
        for k in range(self.exp.experiment.seeds):  # seed 0 of every arm first: early results to read
            for arm in self.exp.arms:
                out.append(self.train(arm, k))
                model = f"{arm}={self.paths.run(arm, k) / 'model'}"
                out.append(self.score(f"score/{arm}/s{k}", [model], self.paths.scores(arm, k),
                                      (f"train/{arm}/s{k}",) + vals))
        return out


def worker_counts(slots: int, gpus: bool) -> tuple[int, int]:
    """(DataLoader workers per training run, generation writer threads): the cores shared out."""
    cores = os.cpu_count() or 2
    if not gpus:
        return 0, max(2, cores // max(1, slots))
    return max(1, (cores - 2) // max(1, slots)), max(2, cores // max(1, slots))
