"""`regolith evaluate`: exact metrics with a fake model, full-resolution alignment with a real tiny
SegFormer, no accuracy score anywhere without masks, one-line errors, and a sane baseline."""
from __future__ import annotations

import json

import numpy as np
import pytest
from PIL import Image

from omni.regolith.evaluate import images as ev_images
from omni.regolith.evaluate import run as ev_run
from omni.regolith.evaluate import scoring as ev_scoring
from omni.regolith.evaluate.baseline import Baseline
from omni.regolith.cli import main
from omni.regolith.learn.metrics import ConfusionMatrix

try:
    from .tiny_data import make_dataset
except ImportError:  # run as a plain directory of tests
    from tiny_data import make_dataset

# Image "a" (4x6) and "b" (3x3): targets and the fake model's fixed predictions. Hand count:
# a: [[12, 1, 0], [1, 3, 0], [1, 0, 5]] (its 255 pixel never counts), b: [[1, 0, 0], [7, 1, 0], [0, 0, 0]]
TARGET = {"a": np.array([[2, 2, 2, 2, 2, 2], [0, 0, 1, 1, 0, 0], [0, 0, 1, 1, 0, 0], [0, 0, 0, 0, 0, 255]]),
          "b": np.array([[0, 1, 1], [1, 1, 1], [1, 1, 1]])}
PRED = {(4, 6): np.array([[2, 2, 2, 2, 2, 0], [0, 1, 1, 1, 0, 0], [0, 0, 1, 0, 0, 0], [0, 0, 0, 0, 0, 1]]),
        (3, 3): np.array([[0, 1, 0], [0, 0, 0], [0, 0, 0]])}
CM = [[13, 1, 0], [8, 4, 0], [1, 0, 5]]


class FixedSegmenter:
    """Returns a fixed mask per image size: the maths is checked, not a model."""

    name = "fixed"

    def predict(self, rgb):
        return PRED[rgb.shape[:2]].astype(np.uint8)


def _save(path, array):
    Image.fromarray(np.asarray(array, np.uint8)).save(path)
    return path


def _rgb(h, w, seed=0):
    return np.random.default_rng(seed).integers(0, 256, (h, w, 3), dtype=np.uint8)


@pytest.fixture
def known(tmp_path):
    d = tmp_path / "real"
    d.mkdir()
    for i, (stem, target) in enumerate(TARGET.items()):
        _save(d / f"{stem}.png", _rgb(*target.shape, i))
        _save(d / f"{stem}_mask.png", target)
    return d


@pytest.fixture(scope="module")
def tiny_model(tmp_path_factory):
    import torch

    from omni.regolith.learn.model import build_model, save_model

    torch.manual_seed(0)
    return save_model(build_model("b0"), tmp_path_factory.mktemp("model") / "model", 32)


def _keys(obj):
    if isinstance(obj, dict):
        for k, v in obj.items():
            yield str(k)
            yield from _keys(v)
    elif isinstance(obj, list):
        for v in obj:
            yield from _keys(v)


def test_known_ious_accumulate_over_the_set(known, tmp_path):
    metrics = ev_run.run_evaluation(tmp_path / "rep", images=known, segmenter=FixedSegmenter(), progress=False)
    (s,) = metrics["sets"]
    m = s["model"]
    assert s["labelled"] and s["images_evaluated"] == 2
    assert m["confusion_matrix"] == CM
    assert m["per_class_iou"] == pytest.approx({"regolith": 13 / 23, "rock": 4 / 13, "sky": 5 / 6}, abs=1e-6)
    assert m["miou"] == pytest.approx((13 / 23 + 4 / 13 + 5 / 6) / 3, abs=1e-6)
    assert m["pixel_accuracy"] == pytest.approx(22 / 32, abs=1e-6)
    assert m["rock_flood"] == pytest.approx(5 / 12, abs=1e-6)  # predicted rock / true rock, 255 excluded
    assert m["rock_share"] == pytest.approx(6 / 33, abs=1e-6)  # share of all predicted pixels
    a, b = s["per_image"]
    assert (a["id"], b["id"]) == ("a", "b")
    assert a["model"]["iou"]["rock"] == pytest.approx(0.6) and b["model"]["iou"]["rock"] == pytest.approx(1 / 8)
    assert a["model"]["rock_flood"] == 1.0 and b["model"]["rock_flood"] == pytest.approx(1 / 8)
    # the set's rock IoU is not the mean of the images' (0.3625): pixels are pooled first
    assert m["rock_iou"] != pytest.approx((0.6 + 1 / 8) / 2, abs=1e-3)
    assert np.sum(s["baseline"]["confusion_matrix"]) == 32
    boot = s["bootstrap"]  # resampling the two images: rock IoU between theirs
    lo, hi = boot["model"]["rock_iou"]
    assert boot["images"] == 2 and 1 / 8 - 1e-6 <= lo <= hi <= 0.6 + 1e-6
    text = (tmp_path / "rep" / "report.md").read_text()
    assert "rock flood" in text and "baseline" in text and "0.308" in text
    assert "95% intervals over 1000 resamples of the 2 images" in text
    saved = json.loads((tmp_path / "rep" / "metrics.json").read_text())
    assert saved["schema"] == ev_run.SCHEMA and saved["sets"][0]["model"]["confusion_matrix"] == CM
    assert (tmp_path / "rep" / "real_sheet.png").is_file() and (tmp_path / "rep" / "real_rock.png").is_file()


def test_horizon_check():
    pred = np.zeros((6, 4), np.uint8)
    pred[:2] = 2
    pred[4, 1] = 2  # sky under the ground of column 1, detached from the top
    assert ev_scoring.horizon(pred) == (9, 1, 1)
    assert ev_scoring.horizon(np.zeros((3, 3), np.uint8)) == (0, 0, 0)


def test_full_resolution_alignment_with_a_real_segformer(tmp_path, tiny_model):
    from omni.regolith.learn.inference import Segmenter

    seg = Segmenter.load(tiny_model, device="cpu")
    d = tmp_path / "odd"
    d.mkdir()
    yy, xx = np.mgrid[0:37, 0:53]
    img = np.stack([xx * 4, yy * 6, (xx * yy) % 256], -1).astype(np.uint8)  # asymmetric structure
    _save(d / "wide.png", img)
    _save(d / "tall.png", img.transpose(1, 0, 2)[:, ::-1])
    Image.fromarray(img[:, :, 0]).save(d / "gray.jpg", quality=95)
    for stem, ext in (("wide", "png"), ("tall", "png"), ("gray", "jpg")):
        rgb = ev_images.read_image(d / f"{stem}.{ext}")
        pred = seg.predict(rgb)
        assert pred.shape == rgb.shape[:2] and pred.dtype == np.uint8
        _save(d / f"{stem}_mask.png", pred)  # the model's own prediction as ground truth
    assert len(np.unique(pred)) >= 2, "a one-class prediction would make the alignment check vacuous"
    assert main(["evaluate", "--model", str(tiny_model), "--images", str(d), "--out", str(tmp_path / "r"),
                 "--device", "cpu"]) == 0
    s = json.loads((tmp_path / "r" / "metrics.json").read_text())["sets"][0]
    assert {(r["id"], r["width"], r["height"]) for r in s["per_image"]} == {
        ("wide", 53, 37), ("tall", 37, 53), ("gray", 53, 37)}
    assert s["model"]["pixel_accuracy"] == 1.0 and s["model"]["pixels"] == 3 * 37 * 53


def test_no_masks_never_produce_an_iou(tmp_path, tiny_model, capsys):
    d = tmp_path / "apollo"
    d.mkdir()
    _save(d / "frame1.png", _rgb(37, 53))
    Image.fromarray(_rgb(40, 30, 1)[:, :, 0]).save(d / "frame2.jpg")
    _save(d / "stray_mask.png", np.zeros((37, 53)))  # a *_mask file is never an input
    out = tmp_path / "rep"
    assert main(["evaluate", "--model", str(tiny_model), "--images", str(d), "--out", str(out),
                 "--device", "cpu"]) == 0
    printed = capsys.readouterr().out
    raw = (out / "metrics.json").read_text()
    metrics = json.loads(raw)
    assert not any("iou" in k.lower() for k in _keys(metrics))
    assert "iou" not in raw.lower()
    assert "iou" not in (out / "report.md").read_text().lower()
    assert "iou" not in printed.lower()
    s = metrics["sets"][0]
    assert not s["labelled"] and [r["id"] for r in s["per_image"]] == ["frame1", "frame2"]
    assert "confusion_matrix" not in s["model"] and "rock_flood" not in s["model"]
    assert 0 <= s["model"]["rock_share"] <= 1 and "sky_below_ground" in s["model"]["horizon"]
    assert (out / "apollo_sheet.png").is_file() and str(out / "report.md") in printed


def test_input_size_overrides_the_preprocessor(tmp_path, tiny_model, capsys):
    d = tmp_path / "set"
    d.mkdir()
    _save(d / "a.png", _rgb(37, 53))
    _save(d / "a_mask.png", np.zeros((37, 53)))
    args = ["evaluate", "--model", str(tiny_model), "--images", str(d), "--device", "cpu"]
    assert main([*args, "--out", str(tmp_path / "r"), "--input-size", "96"]) == 0
    model = json.loads((tmp_path / "r" / "metrics.json").read_text())["model"]
    assert model["input_size"] == [96, 96]
    capsys.readouterr()
    assert main([*args, "--out", str(tmp_path / "r2"), "--input-size", "100"]) == 2
    assert "--input-size 100: must be a multiple of 32" in capsys.readouterr().err


@pytest.mark.parametrize("case, expected", [
    ("size", "must match their image"), ("value", "mask values 7"), ("unreadable", "unreadable image"),
    ("partial", "1 of 2 images"), ("missing", "no such folder")])
def test_bad_inputs_are_one_line_errors(tmp_path, tiny_model, capsys, case, expected):
    d = tmp_path / "bad"
    d.mkdir()
    _save(d / "a.png", _rgb(8, 8))
    _save(d / "a_mask.png", np.zeros((8, 9) if case == "size" else (8, 8)))
    if case == "value":
        _save(d / "a_mask.png", np.full((8, 8), 7))
    if case == "unreadable":
        (d / "b.png").write_bytes(b"not a png at all")
        _save(d / "b_mask.png", np.zeros((8, 8)))
    if case == "partial":
        _save(d / "b.png", _rgb(8, 8))
    images = d / "nope" if case == "missing" else d
    rc = main(["evaluate", "--model", str(tiny_model), "--images", str(images), "--out", str(tmp_path / "r"),
               "--device", "cpu"])
    err = capsys.readouterr().err.strip()
    assert rc == 2
    assert len(err.splitlines()) == 1 and err.startswith("regolith evaluate: error:") and expected in err


def test_missing_defaults_say_what_to_do(tmp_path, monkeypatch, capsys, known):
    import omni.regolith.learn.inference as inference

    monkeypatch.setattr(ev_images, "DEFAULT_IMAGES", tmp_path / "absent")
    assert main(["evaluate", "--out", str(tmp_path / "r")]) == 2
    err = capsys.readouterr().err
    assert "romainpessia/artificial-lunar-rocky-landscape-dataset" in err and "real_moon_images" in err
    assert "Traceback" not in err
    monkeypatch.setattr(inference, "DEFAULT_MODEL_DIR", tmp_path / "no_model")
    assert main(["evaluate", "--images", str(known), "--out", str(tmp_path / "r")]) == 2
    assert "no default model" in capsys.readouterr().err


def test_dataset_layout_compare_and_limit(tmp_path, known):
    val = make_dataset(tmp_path / "val", frames=4, size=32)

    truth = {np.asarray(Image.open(p)).tobytes(): np.asarray(Image.open(val / "mask" / p.name)).clip(0, 2)
             for p in (val / "rgb").iterdir()}

    class Truth:  # perfect on the synthetic set, the fixed masks on the "real" one
        def predict(self, rgb):
            return PRED[rgb.shape[:2]].astype(np.uint8) if rgb.shape[:2] in PRED else truth[rgb.tobytes()]

    metrics = ev_run.run_evaluation(tmp_path / "rep", images=val, compare=[known], segmenter=Truth(), progress=False)
    syn, real = metrics["sets"]
    assert syn["kind"] == "dataset" and syn["masks"].endswith("mask") and syn["images_evaluated"] == 4
    assert syn["model"]["miou"] > 0.99  # the 255 pixels are ignored, so clipping them to 2 costs nothing
    comp = metrics["comparison"]
    assert comp["reference"] == "val" and len(comp["rows"]) == 4
    gap = next(g for g in comp["gaps"] if g["method"] == "model")
    assert gap["set"] == "real" and gap["rock_iou_drop"] == pytest.approx(1 - 4 / 13, abs=1e-6)
    text = (tmp_path / "rep" / "report.md").read_text()
    assert "sim-to-real" in text
    # a dataset's frames are resampled by rock layout (two frames each here), real images one by one
    assert (syn["bootstrap"]["unit"], syn["bootstrap"]["units"], real["bootstrap"]["unit"]) == ("layout", 2, "image")
    assert "resamples of the 2 rock layouts of 4 images" in text
    limited = ev_images.find_image_set(val, limit=2)
    assert [s.id for s in limited.samples] == ["00000", "00003"] and limited.found == 4


def test_alld_colour_masks_are_read(tmp_path):
    d = tmp_path / "real_moon_images"
    d.mkdir()
    _save(d / "PCAM1.png", _rgb(6, 4))
    g = np.zeros((6, 4, 3), np.uint8)
    g[:2] = (255, 0, 0)  # sky
    g[3, 1] = (0, 255, 0)  # small rock
    g[4, 2] = (0, 0, 250)  # large rock
    g[5, 3] = (128, 128, 128)  # off-palette: ignore
    _save(d / "g_PCAM1.png", g)
    s = ev_images.find_image_set(d)
    assert [x.id for x in s.samples] == ["PCAM1"] and s.labelled
    mask = ev_images.read_mask(s.samples[0].mask, (6, 4))
    assert (mask[:2] == 2).all() and mask[3, 1] == 1 and mask[4, 2] == 1 and mask[5, 3] == 255
    assert mask[2].tolist() == [0, 0, 0, 0]


def test_baseline_black_sky_and_rocks():
    rng = np.random.default_rng(3)
    h, w = 120, 160
    yy, xx = np.mgrid[0:h, 0:w]
    target = np.zeros((h, w), np.uint8)
    horizon = (35 + 4 * np.sin(xx / 20)).astype(int)
    target[yy < horizon] = 2
    gray = 100 + 30 * yy / h + rng.normal(0, 5, (h, w))
    gray[target == 2] = 3
    gray[(target == 2) & (rng.random((h, w)) < 0.01)] = 200  # stars
    for cy, cx, r, value in ((70, 30, 7, 210), (90, 90, 9, 200), (100, 140, 6, 35), (60, 120, 5, 215)):
        disc = (yy - cy) ** 2 + (xx - cx) ** 2 <= r * r
        target[disc] = 1
        gray[disc] = value
    rgb = np.repeat(np.clip(gray, 0, 255).astype(np.uint8)[:, :, None], 3, 2)
    pred = Baseline().predict(rgb)
    assert pred.shape == (h, w)
    s = ConfusionMatrix().update(target, pred).summary()
    assert s["per_class_iou"]["sky"] > 0.97
    assert s["per_class_iou"]["rock"] > 0.6
    assert s["per_class_iou"]["regolith"] > 0.9
    _, below, detached = ev_scoring.horizon(pred)
    assert below == 0 and detached == 0
    # no sky on a frame that has none, even with a dark shadow touching the top edge
    ground = rgb.copy()
    ground[:] = 110
    ground[:20, 10:25] = 5
    assert (Baseline().predict(ground) != 2).all()
