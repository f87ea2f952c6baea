"""`regolith experiment`: config checks, the whole --quick run end to end (tiny frames, two steps),
and resuming after a kill: nothing finished is redone, and a redone run scores what it scored."""
from __future__ import annotations

import json
from pathlib import Path

import pytest
from omni.regolith.cli import main
from omni.regolith.config.experiment import experiment_from_dict
from omni.regolith.errors import ConfigError
from omni.regolith.experiment.run import run_experiment
from omni.regolith.experiment.schedule import LocalScheduler, Task

try:
    from .tiny_data import make_real_root
except ImportError:  # run as a plain directory of tests
    from tiny_data import make_real_root

CONFIG = """
[experiment]
name = "tiny"
seeds = 2

[train]
lr = 1e-3

[arms.basalt]
set = ['rocks.model="v2"']
reference = true

[arms.lowpoly]
set = ['rocks.model="v1"']
"""


class Recorder:
    """A scheduler that runs tasks locally, records them, and can stop (like a kill) after one."""

    on_event = None

    def __init__(self, stop_after: str | None = None):
        self.stop_after, self.ran = stop_after, []

    def run(self, tasks):
        return LocalScheduler(on_event=self._event).run(tasks)

    def _event(self, what, task, code):
        if self.on_event:
            self.on_event(what, task, code)
        if what == "end":
            self.ran.append(task.key)
            if task.key == self.stop_after:
                raise KeyboardInterrupt


def _values(metrics: dict) -> dict:
    return {(s["name"], k): {a: v["seeds"] for a, v in m["arms"].items()}
            for s in metrics["sets"] for k, m in s["metrics"].items()}


@pytest.mark.parametrize("doc, expected", [
    ({"arms": {"a": {"reference": True}}}, "at least two"),
    ({"arms": {"a": {}, "b": {}}}, "exactly one arm"),
    ({"arms": {"a": {"reference": True}, "b": {"set": ["rocks.count=-3"]}}}, "arms.b.set: rocks.count"),
    ({"arms": {"a": {"reference": True}, "b": {"train": {"epochs": 0}}}}, "arms.b.train: train.epochs"),
    ({"experiment": {"seeds": 0}, "arms": {"a": {"reference": True}, "b": {}}}, "experiment.seeds"),
    ({"arms": {"a": {"reference": True}, "b": {"colour": 1}}}, "arms.b.colour: unknown key"),
])
def test_bad_experiment_configs_name_the_key(doc, expected):
    with pytest.raises(ConfigError, match=expected):
        experiment_from_dict(doc)


def test_local_scheduler_skips_what_depends_on_a_failure(tmp_path):
    tasks = [Task("bad", ("train", "--data", str(tmp_path / "none"), "--out", str(tmp_path / "r")), (),
                  str(tmp_path / "bad.log")),
             Task("after", ("doctor",), ("bad",), str(tmp_path / "after.log"))]
    assert LocalScheduler().run(tasks) == {"bad": 2, "after": -1}
    assert "no such dataset" in (tmp_path / "bad.log").read_text()
    chain = [Task("c", ("--version",), ("b",), str(tmp_path / "c.log")), Task("a", ("--version",)),
             Task("b", ("--version",), ("a",), str(tmp_path / "b.log"))]
    events = []
    two = LocalScheduler(per_gpu=2, poll_s=0.05, on_event=lambda what, t, code: events.append((what, t.key)))
    assert two.run(chain) == {"a": 0, "b": 0, "c": 0}  # two processes at a time, dependencies kept
    assert [k for what, k in events if what == "end"] == ["a", "b", "c"]
    assert "regolith" in (tmp_path / "c.log").read_text()


def test_quick_experiment_end_to_end_and_resume_after_a_kill(tmp_path, capsys):
    config = tmp_path / "tiny.toml"
    config.write_text(CONFIG)
    root, out = make_real_root(tmp_path / "data"), tmp_path / "exp"
    first = Recorder(stop_after="score/lowpoly/s0")  # killed once the first (arm, seed) pair is scored
    with pytest.raises(KeyboardInterrupt):
        run_experiment(config, out, quick=True, data_root=root, scheduler=first, say=lambda s: None)
    assert first.ran[-2:] == ["train/lowpoly/s0", "score/lowpoly/s0"] and "train/basalt/s1" not in first.ran

    second = Recorder()
    metrics = run_experiment(config, out, quick=True, data_root=root, scheduler=second, say=lambda s: None)
    assert not set(first.ran) & set(second.ran)  # nothing finished was redone
    assert sorted(second.ran) == ["score/basalt/s1", "score/lowpoly/s1", "train/basalt/s1", "train/lowpoly/s1"]
    names = [s["name"] for s in metrics["sets"]]
    assert names == ["val_basalt", "val_lowpoly", "real_lunar", "chandai_ce3_eval"]
    reading = metrics["sets"][3]["metrics"]["hardware_as_rock"]["vs_reference"]["lowpoly"]
    assert len(reading["per_seed"]) == 2 and reading["verdict"] in ("clear", "lean", "noise", "none")
    report = (out / "report.md").read_text()
    assert "arm **lowpoly**" in report and "rock recall on `chandai_ce3_eval` vs basalt" in report
    assert (out / "arms.png").stat().st_size > 10_000
    assert json.loads((out / "status.json").read_text())["done"] == 13

    import shutil

    shutil.rmtree(out / "runs" / "lowpoly" / "s0")  # lost: that pair alone is made again, and scores the same
    third = Recorder()
    again = run_experiment(config, out, quick=True, data_root=root, scheduler=third, say=lambda s: None)
    assert third.ran == ["train/lowpoly/s0", "score/lowpoly/s0"]
    assert _values(again) == _values(metrics)

    for model in (out / "runs").glob("*/s*/model"):  # the analysis read again without the models
        shutil.rmtree(model)
    assert main(["experiment", str(config), "--out", str(out), "--quick", "--report-only"]) == 0
    assert _values(json.loads((out / "metrics.json").read_text())) == _values(metrics)
    assert "rock share on `real_lunar`" in (out / "report.md").read_text()

    config.write_text(CONFIG.replace("seeds = 2", "seeds = 3"))
    assert main(["experiment", str(config), "--out", str(out), "--quick", "--data-root", str(root)]) == 2
    assert "holds another experiment (differs in experiment)" in capsys.readouterr().err


def _board(hits, px=10, groups=("hardware",)):
    n = len(hits)
    counts = {"rock_hit": list(hits), "rock_px": [px] * n, "found": [0] * n, "objects": [1] * n,
              "hardware_hit": [1] * n, "hardware_px": [4] * n, "pred_rock": [5] * n, "pixels": [100] * n}
    return {"sets": [{"name": "real", "kind": "sparse", "synthetic": False, "non_rock_groups": list(groups),
                      "per_image": {"ids": list(range(n)), "groups": None, "counts": {"m": counts}}}]}


def test_seeds_paired_and_images_resampled_give_the_reading():
    from omni.regolith.experiment.analysis import analyse, verdict

    base = [3, 5, 2, 7, 4, 6]
    boards = {"ref": [_board(base), _board([h + 2 for h in base])],
              "arm": [_board([h + 1 for h in base]), _board([h + 3 for h in base])]}  # +1 px of 10 per image
    (real,) = analyse(boards, None, "ref", rounds=200)
    d = real["metrics"]["rock_recall"]["vs_reference"]["arm"]
    assert d["mean"] == 0.1 and d["interval"] == [0.1, 0.1] and d["per_seed"] == [0.1, 0.1]
    assert (d["verdict"], d["reading"]) == ("clear", "clear (better)")
    assert real["metrics"]["rock_recall"]["arms"]["ref"]["seeds"] == [0.45, 0.65]
    assert real["metrics"]["hardware_as_rock"]["vs_reference"]["arm"]["verdict"] == "noise"  # equal: [0, 0]
    assert verdict(0.03, [0.01, 0.05], [0.04, -0.01], "rock_iou")[0] == "lean"
    assert verdict(0.03, [-0.01, 0.05], [0.04, 0.02], "rock_iou")[0] == "noise"
    assert verdict(0.03, [0.01, 0.05], [0.04, 0.02], "hardware_as_rock")[1] == "clear (worse)"


def test_the_plot_draws_an_interval_that_misses_the_mean(tmp_path):
    """With 2 rock layouts a percentile interval can miss the full-data mean: still a figure."""
    from omni.regolith.experiment.report import plot

    metrics = json.loads((Path(__file__).parent / "data" / "experiment_metrics.json").read_text())
    plot(metrics, tmp_path / "arms.png")
    assert (tmp_path / "arms.png").stat().st_size > 1000
