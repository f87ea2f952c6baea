"""An experiment file: a fixed budget and arms that differ from it by config overrides.

    [experiment]            frames, resolution, seeds, sets (the budget every arm shares)
    [train]                 the training budget: any `regolith train` [train] key (epochs, batch_size, ...)
    [arms.NAME]             set = ["rocks.model=\\"v1\\"", ...]  (scene/render overrides: new data)
                            train = { lr = 3e-4 }                  (training overrides: same data)
                            init = "fast"                          (fine-tune from a model)
                            reference = true                       (exactly one arm: what others are read against)

Every value is validated before anything runs; `--quick` swaps the sizes for tiny ones.
"""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field

from ..errors import ConfigError
from .fields import build_section, num, pair, switch
from .files import merge, parse_overrides, read_toml, scene_config
from .train import TrainConfig, train_config_from_dict


@dataclass(frozen=True)
class ExperimentConfig:
    name: str = field(default="experiment", metadata={"doc": "names the report"})
    seeds: int = num(3, 1, 100, "training seeds per arm (0, 1, ... added to [train] seed)")
    train_frames: int = num(4000, 1, 10**7, "frames generated for training, per distinct data setting")
    val_frames: int = num(200, 1, 10**6, "synthetic validation frames, per distinct data setting")
    resolution: tuple = pair((512, 512), 8, 8192, "generated frames, [width, height] pixels")
    data_seed: int = num(11, 0, 2**31 - 1, "plan seed of the training frames")
    val_seed: int = num(12, 0, 2**31 - 1, "plan seed of the validation frames (other terrains)")
    config: str = field(default="", metadata={"doc": "base scene config TOML (empty: the shipped default)"})
    set: tuple = field(default=(), metadata={"doc": "--set overrides every arm's data shares"})
    init: str = field(default="", metadata={"doc": "model every arm fine-tunes from (empty: from scratch)"})
    max_steps: int = num(0, 0, 10**9, "stop each run after this many steps (0: the [train] epochs)")
    eval_limit: int = num(0, 0, 10**6, "score this many images per set, evenly spread (0: all)")
    real: bool = switch(True, "score the real sets too (the scoreboard's default sets under the data root)")


@dataclass(frozen=True)
class ArmConfig:
    set: tuple = field(default=(), metadata={"doc": "--set overrides of the data (scene, render, randomization)"})
    train: dict = field(default_factory=dict, metadata={"doc": "[train] keys overridden for this arm"})
    init: str = field(default="", metadata={"doc": "fine-tune from this model (overrides [experiment] init)"})
    reference: bool = switch(False, "the arm every other arm is compared with (exactly one)")


@dataclass(frozen=True)
class Experiment:
    experiment: ExperimentConfig
    train: dict  # the [train] table as written (each arm's merged and validated into a TrainConfig)
    arms: dict  # name -> ArmConfig, in file order
    quick: bool = False

    @property
    def reference(self) -> str:
        return next(n for n, a in self.arms.items() if a.reference)

    def train_config(self, arm: str, seed_index: int) -> TrainConfig:
        table = merge(self.train, dict(self.arms[arm].train))
        table["seed"] = int(table.get("seed", 0)) + seed_index
        return train_config_from_dict(table)

    def data_overrides(self, arm: str) -> tuple:
        """Every --set of this arm's data (shared, quick sizes, the arm's own), in that order."""
        quick = QUICK_SCENE if self.quick else ()
        return tuple(self.experiment.set) + quick + tuple(self.arms[arm].set)


# --quick: tiny frames and scenes, two steps per run, a few real images: the plumbing in minutes.
QUICK_EXPERIMENT = {"train_frames": 8, "val_frames": 4, "resolution": [64, 64], "max_steps": 2, "eval_limit": 4}


QUICK_TRAIN = {"epochs": 1, "batch_size": 2, "image_size": 32, "workers": 0}


QUICK_SCENE = ("terrain.resolution=64", "craters.count=10", "rocks.count=60", "rocks.prototypes=3",
               "lighting.star_texture_width=256", "lighting.star_count=200", "render.spp=1")


def _strings(value, path: str, problems: list) -> tuple:
    if not isinstance(value, (list, tuple)) or not all(isinstance(v, str) for v in value):
        problems.append(f"{path}: expected a list of \"section.key=value\" strings, got {value!r}")
        return ()
    return tuple(value)


def _section(cls, data, path: str, problems: list):
    """build_section plus the list/table fields it leaves to us."""
    if not isinstance(data, dict):
        problems.append(f"{path}: expected a table, got {data!r}")
        return cls()
    plain = {k: v for k, v in data.items() if k not in ("set", "train")}
    out = build_section(cls, plain, f"{path}.", problems)
    extra = {}
    if "set" in data:
        extra["set"] = _strings(data["set"], f"{path}.set", problems)
    if "train" in data and cls is ArmConfig:
        if not isinstance(data["train"], dict):
            problems.append(f"{path}.train: expected a table of [train] keys, got {data['train']!r}")
        else:
            extra["train"] = dict(data["train"])
    elif "train" in data:
        problems.append(f"{path}.train: unknown key")
    return dataclasses.replace(out, **extra) if extra else out


def _check_arms(exp: Experiment, problems: list) -> None:
    """Each arm's data overrides and training table must validate; exactly one reference."""
    refs = [n for n, a in exp.arms.items() if a.reference]
    if len(refs) != 1:
        problems.append(f"arms: mark exactly one arm `reference = true` (marked: {', '.join(refs) or 'none'})")
    for name in exp.arms:
        try:
            scene_config(merge(read_toml(exp.experiment.config or None), parse_overrides(exp.data_overrides(name))))
        except ConfigError as exc:
            problems.append(f"arms.{name}.set: {exc}")
        try:
            exp.train_config(name, 0)
        except ConfigError as exc:
            problems.append(f"arms.{name}.train: {exc}")


def experiment_from_dict(doc: dict, quick: bool = False, source: str = "experiment") -> Experiment:
    """Validate an experiment file's dict (with --quick sizes if asked); one ConfigError listing all."""
    problems: list = []
    unknown = set(doc) - {"experiment", "train", "arms"}
    if unknown:
        problems.append(f"{source}: unknown table(s) {', '.join(sorted(unknown))} (allowed: experiment, train, arms)")
    table = dict(doc.get("experiment", {}))
    train = dict(doc.get("train", {}))
    if quick:
        table, train = merge(table, QUICK_EXPERIMENT), merge(train, QUICK_TRAIN)
    exp_cfg = _section(ExperimentConfig, table, "experiment", problems)
    arms_doc = doc.get("arms", {})
    if not isinstance(arms_doc, dict) or len(arms_doc) < 2:
        problems.append("arms: an experiment needs at least two [arms.NAME] tables")
        arms_doc = arms_doc if isinstance(arms_doc, dict) else {}
    bad = [n for n in arms_doc if not n.replace("_", "").replace("-", "").isalnum()]
    if bad:
        problems.append(f"arms.{bad[0]}: arm names use letters, digits, - and _ (they name folders)")
    arms = {n: _section(ArmConfig, a, f"arms.{n}", problems) for n, a in arms_doc.items()}
    exp = Experiment(exp_cfg, train, arms, quick)
    if not problems:
        _check_arms(exp, problems)
    if problems:
        raise ConfigError("; ".join(problems))
    return exp


def load_experiment(path, quick: bool = False) -> Experiment:
    return experiment_from_dict(read_toml(path), quick, str(path))
