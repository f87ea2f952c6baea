"""Whole-set confusion-matrix metrics on hand-made masks."""
import json
import math

import numpy as np
import pytest

from omni.regolith.learn.metrics import ConfusionMatrix, confusion_matrix, mean_iou, per_class_iou, pixel_accuracy, summarize
from omni.regolith.evaluate.bootstrap import bootstrap_intervals


def test_counts_rows_target_columns_prediction_and_skips_ignore():
    target = np.array([[0, 0, 1], [2, 255, 1]], np.uint8)
    pred = np.array([[0, 1, 1], [2, 0, 0]], np.uint8)
    cm = confusion_matrix(target, pred)
    assert cm.tolist() == [[1, 1, 0], [1, 1, 0], [0, 0, 1]]
    assert cm.sum() == 5  # the 255 pixel never counts, whatever was predicted there


def test_perfect_prediction():
    target = np.array([[0, 1], [2, 255]], np.uint8)
    cm = confusion_matrix(target, np.array([[0, 1], [2, 2]], np.uint8))
    assert per_class_iou(cm).tolist() == [1.0, 1.0, 1.0]
    assert mean_iou(cm) == 1.0 and pixel_accuracy(cm) == 1.0


def test_absent_class_is_nan_and_left_out_of_the_mean():
    target = np.array([[0, 0], [2, 2]], np.uint8)  # no rock anywhere
    cm = confusion_matrix(target, target.copy())
    iou = per_class_iou(cm)
    assert iou[0] == 1.0 and math.isnan(iou[1]) and iou[2] == 1.0
    assert mean_iou(cm) == 1.0
    s = summarize(cm)
    assert s["per_class_iou"]["rock"] is None and s["rock_iou"] is None
    json.dumps(s, allow_nan=False)  # valid JSON: nan became null


def test_class_only_in_prediction_counts_as_zero():
    target = np.zeros((2, 2), np.uint8)
    pred = np.array([[0, 1], [0, 0]], np.uint8)  # a false rock
    iou = per_class_iou(confusion_matrix(target, pred))
    assert iou[0] == pytest.approx(0.75) and iou[1] == 0.0 and math.isnan(iou[2])
    assert mean_iou(confusion_matrix(target, pred)) == pytest.approx(0.375)


def test_empty_prediction_and_all_ignore():
    target = np.array([[1, 1], [0, 0]], np.uint8)
    cm = confusion_matrix(target, np.zeros_like(target))  # model never says rock
    assert per_class_iou(cm)[1] == 0.0 and pixel_accuracy(cm) == 0.5
    empty = confusion_matrix(np.full((3, 3), 255, np.uint8), np.zeros((3, 3), np.uint8))
    assert empty.sum() == 0 and math.isnan(mean_iou(empty)) and math.isnan(pixel_accuracy(empty))
    assert summarize(empty)["miou"] is None


def test_accumulates_over_the_set_not_per_image_means():
    cm = ConfusionMatrix()
    big = np.ones((10, 10), np.uint8)
    cm.update(big, big)  # 100 rock pixels right
    small_t, small_p = np.array([[1]], np.uint8), np.array([[0]], np.uint8)
    cm.update(small_t, small_p)  # one rock pixel wrong
    assert per_class_iou(cm.matrix)[1] == pytest.approx(100 / 101)  # per-image mean would say 0.5


def test_torch_tensors_are_counted_like_numpy():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(0)
    t = rng.choice([0, 1, 2, 255], (16, 16)).astype(np.uint8)
    p = rng.integers(0, 3, (16, 16)).astype(np.uint8)
    assert (confusion_matrix(torch.from_numpy(t), torch.from_numpy(p)) == confusion_matrix(t, p)).all()


def test_bad_ids_and_shapes_are_rejected():
    with pytest.raises(ValueError, match="class ids"):
        confusion_matrix(np.array([[7]], np.uint8), np.array([[0]], np.uint8))
    with pytest.raises(ValueError, match="shape"):
        confusion_matrix(np.zeros((2, 2), np.uint8), np.zeros((2, 3), np.uint8))


def test_lovasz_loss_is_one_minus_miou_for_hard_predictions():
    """The Lovasz extension equals the Jaccard loss on one-hot predictions: 1 - mean IoU over the
    classes present, ignoring 255; and it has a gradient for soft ones."""
    torch = pytest.importorskip("torch")
    from omni.regolith.learn.losses import lovasz_softmax

    target = torch.tensor([[[0, 0, 1, 1], [0, 1, 1, 255], [0, 0, 0, 0]]])  # no sky: absent class
    pred = torch.tensor([[[0, 1, 1, 1], [0, 0, 1, 2], [0, 0, 0, 0]]])
    logits = torch.nn.functional.one_hot(pred, 3).permute(0, 3, 1, 2).float() * 50
    expected = 1 - mean_iou(confusion_matrix(target.numpy(), pred.numpy()))
    assert float(lovasz_softmax(logits, target)) == pytest.approx(expected, abs=1e-6)
    perfect = torch.nn.functional.one_hot(target.clamp_max(2), 3).permute(0, 3, 1, 2).float() * 50
    assert float(lovasz_softmax(perfect, target)) == pytest.approx(0.0, abs=1e-6)
    soft = torch.zeros(1, 3, 3, 4, requires_grad=True)
    lovasz_softmax(soft, target).backward()
    assert soft.grad.abs().sum() > 0


def test_bootstrap_intervals_over_images():
    same = np.array([[[8, 2, 0], [1, 3, 0], [0, 0, 5]]] * 4)  # four identical images: nothing to resample
    b = bootstrap_intervals({"model": same, "copy": same})
    rock = 3 / (3 + 2 + 1)
    assert b["images"] == 4 and b["model"]["rock_iou"] == pytest.approx([rock, rock])
    assert b["model_minus_copy_rock_iou"] == [0.0, 0.0]  # paired: the same draws for both methods
    good, bad = np.array([[9, 0, 0], [0, 9, 0], [0, 0, 9]]), np.array([[9, 0, 0], [9, 1, 0], [0, 0, 9]])
    mixed = np.stack([good, bad] * 5)
    b = bootstrap_intervals({"model": mixed}, seed=1)
    lo, hi = b["model"]["rock_iou"]
    assert lo < summarize(mixed.sum(0))["rock_iou"] < hi and 0.1 <= lo and hi <= 1.0
    assert b == bootstrap_intervals({"model": mixed}, seed=1)  # seeded: the same intervals every run
    assert bootstrap_intervals({"model": mixed[:1]}) is None  # one image: no interval to give


def test_bootstrap_resamples_whole_groups():
    good, bad = np.array([[9, 0, 0], [0, 9, 0], [0, 0, 9]]), np.array([[9, 0, 0], [9, 1, 0], [0, 0, 9]])
    mixed = np.stack([good, bad] * 5)
    alone = bootstrap_intervals({"model": mixed}, seed=1)
    singles = bootstrap_intervals({"model": mixed}, seed=1, groups=list(range(10)), unit="layout")
    assert singles["model"] == alone["model"]  # groups of one image each: the image bootstrap
    pairs = bootstrap_intervals({"model": mixed}, seed=1, groups=[i // 2 for i in range(10)], unit="layout")
    assert (pairs["unit"], pairs["units"], pairs["images"]) == ("layout", 5, 10)
    assert pairs["model"]["rock_iou"][0] == pairs["model"]["rock_iou"][1]  # every pair holds one good, one bad
    assert bootstrap_intervals({"model": mixed}, groups=[0] * 10) is None  # one group: nothing to resample
    with pytest.raises(ValueError, match="group keys"):
        bootstrap_intervals({"model": mixed}, groups=[0, 1])

