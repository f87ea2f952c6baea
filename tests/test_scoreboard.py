"""The scoreboard: every method on every labelled set (dense and sparse) in one table, paired
intervals model vs baseline and model vs model, real-tuned models apart; and the partial-label
fine-tune on a COCO set."""
from __future__ import annotations

import json

import numpy as np
import pytest
from omni.regolith import ROCK
from omni.regolith.cli import main
from omni.regolith.evaluate.bootstrap import paired_bootstrap
from omni.regolith.evaluate.scoreboard import Method, run_scoreboard
from omni.regolith.learn.sparse import ratio

try:
    from .tiny_data import make_coco, make_real_root
except ImportError:  # run as a plain directory of tests
    from tiny_data import make_coco, make_real_root


class Constant:
    def __init__(self, cls):
        self.cls = cls

    def predict(self, rgb):
        return np.full(rgb.shape[:2], self.cls, np.uint8)


@pytest.fixture(scope="module")
def real_root(tmp_path_factory):
    return make_real_root(tmp_path_factory.mktemp("data"))


@pytest.fixture(scope="module")
def tiny_model(tmp_path_factory):
    import torch
    from omni.regolith.learn.model import build_model, save_model

    torch.manual_seed(0)
    return save_model(build_model("b0"), tmp_path_factory.mktemp("model") / "model", 32)


def test_scoreboard_scores_dense_and_sparse_sets_side_by_side(real_root, tmp_path):
    methods = [Method("all_rock", Constant(ROCK)), Method("no_rock", Constant(0)),
               Method("baseline", Constant(0), "baseline")]
    m = run_scoreboard(tmp_path / "r", root=real_root, methods=methods, figures=False, rounds=200)
    dense, sparse = m["sets"]
    assert (dense["name"], dense["kind"], sparse["name"], sparse["kind"]) == (
        "real_lunar", "dense", "chandai_ce3_eval", "sparse")
    v = sparse["values"]
    assert v["all_rock"]["rock_recall"] == 1.0 and v["all_rock"]["hardware_as_rock"] == 1.0
    assert v["all_rock"]["rock_share"] == 1.0 and v["no_rock"]["rock_recall"] == 0.0
    assert v["no_rock"]["objects_found"] == 0.0 and v["all_rock"]["objects_found"] == 1.0
    assert dense["values"]["all_rock"]["rock_recall"] == 1.0 and dense["values"]["no_rock"]["rock_iou"] == 0.0
    assert sparse["pairs"] == ["all_rock - baseline", "no_rock - baseline", "all_rock - no_rock"]
    diff = sparse["bootstrap"]["differences"]["all_rock - no_rock"]
    assert diff["rock_recall"] == [1.0, 1.0] and diff["hardware_as_rock"] == [1.0, 1.0]
    report = (tmp_path / "r" / "report.md").read_text()
    assert "chandai_ce3_eval: hardware as rock" in report and "| all_rock - no_rock | chandai_ce3_eval |" in report
    assert "## Real-tuned" not in report and json.loads((tmp_path / "r" / "metrics.json").read_text())["device"]


def test_paired_bootstrap_is_paired_and_resamples_groups():
    rng = np.random.default_rng(0)
    hard = rng.integers(1, 100, 30)  # per-image difficulty shared by both methods
    a = {"hit": hard, "px": np.full(30, 100)}
    b = {"hit": hard + 1, "px": np.full(30, 100)}
    boot = paired_bootstrap({"a": a, "b": b}, {"r": ratio("hit", "px")}, [("b", "a")], rounds=300)
    assert boot["differences"]["b - a"]["r"] == [0.01, 0.01]  # the shared difficulty cancels exactly
    assert boot["methods"]["a"]["r"][0] < boot["methods"]["a"]["r"][1]
    grouped = paired_bootstrap({"a": a}, {"r": ratio("hit", "px")}, groups=[i // 10 for i in range(30)])
    assert (grouped["unit"], grouped["units"], grouped["images"]) == ("layout", 3, 30)


def test_cli_scoreboard_defaults_real_tuned_rows_and_sheets(real_root, tiny_model, tmp_path, capsys, monkeypatch):
    tuned = tmp_path / "tuned"
    import shutil

    shutil.copytree(tiny_model, tuned)
    (tuned / "trained_on.json").write_text(json.dumps({"data": "x", "real_labels": True}))
    monkeypatch.setenv("REGOLITH_DATA", str(real_root))
    out = tmp_path / "board"
    assert main(["evaluate", "--scoreboard", "--model", f"zs={tiny_model}", "--model", f"rt={tuned}",
                 "--device", "cpu", "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "chandai_ce3_eval (3 images, sparse labels)" in printed and "zs: rock recall" in printed
    m = json.loads((out / "metrics.json").read_text())
    assert [x["kind"] for x in m["methods"]] == ["model", "real-tuned", "baseline"]
    assert sorted(p.name for p in out.glob("*.png")) == ["chandai_ce3_eval_sheet.png", "real_lunar_sheet.png"]
    assert "## Real-tuned (trained on real labels: not zero-shot)" in (out / "report.md").read_text()
    assert main(["evaluate", "--images", str(real_root / "chandai_ce3" / "eval"), "--model", str(tiny_model),
                 "--device", "cpu", "--out", str(tmp_path / "one"), "--no-figures"]) == 0  # a COCO set: sparse
    assert main(["evaluate", "--scoreboard", "--data-root", str(tmp_path / "empty"), "--out", str(tmp_path / "x")]) == 2
    assert "no real sets under" in capsys.readouterr().err


def test_partial_label_fine_tune_on_a_coco_set(tmp_path, tiny_model, capsys):
    data, val = make_coco(tmp_path / "ft", images=6), make_coco(tmp_path / "ev", images=3, seed=5)
    before = sorted(p.name for p in data.rglob("*"))
    run = tmp_path / "run"
    assert main(["train", "--data", str(data), "--val", str(val), "--out", str(run), "--init", str(tiny_model),
                 "--image-size", "32", "--batch-size", "2", "--max-steps", "2", "--device", "cpu"]) == 0
    metrics = json.loads((run / "metrics.json").read_text())
    assert metrics["sparse"]["images"] == 3 and 0.0 <= metrics["sparse"]["rock_recall"] <= 1.0
    assert "hardware_as_rock" in metrics["sparse"] and "track_as_rock" in metrics["sparse"]
    origin = json.loads((run / "model" / "trained_on.json").read_text())
    assert origin["real_labels"] is True and origin["labels"].startswith("coco")
    from PIL import Image

    masks = sorted((run / "labels" / "train" / "mask").glob("*.png"))
    assert len(masks) == 6 and set(np.unique(np.asarray(Image.open(masks[0])))) <= {0, 1, 255}
    assert sorted(p.name for p in data.rglob("*")) == before  # nothing written beside the set
    # without --val: whole source frames are held out (the copies of frame0 / frame1 stay together)
    from omni.regolith.config.train import TrainConfig
    from omni.regolith.learn.train import load_training_data

    frames = load_training_data(data, None, TrainConfig(batch_size=2, val_fraction=0.5), cache=tmp_path / "cache")
    assert len(frames.train) == len(frames.val) == 3 and frames.sparse_val
    assert not {s.terrain_seed for s in frames.train} & {s.terrain_seed for s in frames.val}
    assert frames.val_source.startswith("source images [")


def test_a_real_fine_tune_can_mix_in_synthetic_frames(tmp_path, tiny_model, capsys):
    """--mix: a dataset's frames join the training split only; never the validation frames."""
    from .tiny_data import make_dataset

    data, val = make_coco(tmp_path / "ft", images=6), make_coco(tmp_path / "ev", images=3, seed=5)
    synth = make_dataset(tmp_path / "synth", frames=4, size=32)
    run = tmp_path / "run"
    assert main(["train", "--data", str(data), "--val", str(val), "--mix", str(synth), "--out", str(run),
                 "--init", str(tiny_model), "--image-size", "32", "--batch-size", "2", "--max-steps", "2",
                 "--device", "cpu"]) == 0
    origin = json.loads((run / "model" / "trained_on.json").read_text())
    assert origin["train_frames"] == 6 + 4 and origin["mixed_with"] == str(synth.resolve())
    assert json.loads((run / "train_config.json").read_text())["config"]["mix"] == str(synth)
    assert main(["train", "--data", str(data), "--val", str(synth), "--mix", str(synth), "--out",
                 str(tmp_path / "bad"), "--init", str(tiny_model), "--device", "cpu"]) == 2
    assert "--mix" in capsys.readouterr().err and not (tmp_path / "bad").exists()
