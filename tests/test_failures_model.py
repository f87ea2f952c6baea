"""Issue #24, models, checkpoints and training data: damaged or pickled weights, impossible input
sizes and broken checkpoints are one-line errors; a truncated frame stops training before it
starts (and leaves no run folder); --val must not be --data; nothing in the repo unpickles code."""
from __future__ import annotations

import json
import pickle
import shutil
from pathlib import Path

import pytest
from omni.regolith.errors import ModelError
from omni.regolith.learn.model import build_model, load_model, read_preprocessor, save_model

from .failure_helpers import one_line_error
from .tiny_data import make_dataset

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def model_dir(tmp_path_factory):
    return save_model(build_model("b0"), tmp_path_factory.mktemp("m") / "model", 64)


@pytest.fixture
def copy(model_dir, tmp_path):
    return Path(shutil.copytree(model_dir, tmp_path / "model"))


@pytest.mark.parametrize("cut", [0, 1000])
def test_damaged_weights_are_one_error(copy, cut):
    weights = copy / "model.safetensors"
    weights.write_bytes(weights.read_bytes()[:cut])
    with pytest.raises(ModelError, match="cannot load the SegFormer weights"):
        load_model(copy)


def test_pickled_weights_are_refused_unread(copy, monkeypatch):
    import torch

    (copy / "model.safetensors").unlink()
    torch.save({"anything": torch.zeros(1)}, copy / "pytorch_model.bin")
    monkeypatch.setattr(torch, "load", lambda *a, **k: pytest.fail("a pickle file was opened"))
    with pytest.raises(ModelError, match="safetensors only") as info:
        load_model(copy)
    assert "weights_only" not in str(info.value)


@pytest.mark.parametrize("size", [0, -5, "abc", None, 10**6, 4097])
def test_impossible_preprocessor_sizes_are_refused(copy, size):
    file = copy / "preprocessor_config.json"
    pre = json.loads(file.read_text())
    file.write_text(json.dumps({**pre, "size": {"height": size, "width": size}}))
    with pytest.raises(ModelError, match="not a model input size"):
        read_preprocessor(copy)


class _Evil:
    def __reduce__(self):
        return (print, ("this ran",))


@pytest.mark.parametrize("content", ["empty", "pickle", "list"])
def test_broken_checkpoints_are_one_error(tmp_path, content, capsys):
    import torch
    from omni.regolith.learn.checkpoint import load_checkpoint

    path = tmp_path / "checkpoint.pt"
    if content == "empty":
        path.write_bytes(b"")
    elif content == "pickle":
        path.write_bytes(pickle.dumps({"model": _Evil()}, protocol=2))
    else:
        torch.save([1, 2], path)
    model = torch.nn.Linear(2, 2)
    opt = torch.optim.AdamW(model.parameters())
    sched = torch.optim.lr_scheduler.LambdaLR(opt, lambda s: 1.0)
    with pytest.raises(ModelError, match="unusable checkpoint"):
        load_checkpoint(path, model, opt, sched, torch.device("cpu"))
    assert "this ran" not in capsys.readouterr().out


def test_a_truncated_frame_stops_training_before_it_starts(tmp_path, capsys):
    data = make_dataset(tmp_path / "data", frames=6, size=32, terrains=3)
    rgb = data / "rgb" / "00004.png"
    rgb.write_bytes(rgb.read_bytes()[:200])  # the header survives: only a full decode notices
    one_line_error(capsys, ["train", "--data", data, "--out", tmp_path / "runs" / "r", "--image-size", "32",
                            "--batch-size", "2", "--epochs", "1", "--device", "cpu"], "00004.png", "unreadable")
    assert not (tmp_path / "runs").exists()  # a refused run leaves nothing behind


def test_val_must_not_be_the_training_data(tmp_path, capsys):
    data = make_dataset(tmp_path / "data", frames=4, size=32, terrains=2)
    inner = make_dataset(data / "val", frames=4, size=32, terrains=2)
    (tmp_path / "link").symlink_to(data)
    for val, word in ((data, "same folder"), (tmp_path / "link", "same folder"), (inner, "overlap")):
        one_line_error(capsys, ["train", "--data", data, "--out", tmp_path / "r", "--val", val, "--image-size", "32",
                                "--device", "cpu"], "--val", word)
    assert not (tmp_path / "r").exists()


def test_nothing_in_the_repo_unpickles_code():
    needle = "weights_only" + "=False"
    hits = [str(p.relative_to(REPO)) for p in REPO.rglob("*")
            if p.suffix in (".py", ".sh", ".md", ".toml") and ".venv" not in p.parts and ".git" not in p.parts
            and p.is_file() and needle in p.read_text(errors="ignore")]
    assert hits == []
