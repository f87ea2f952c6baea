"""COCO label sets: polygons (holes, several per object), RLE, empty images, the label map, and the
sparse metrics on hand-made cases with exact expected numbers."""
from __future__ import annotations

import json

import numpy as np
import pytest
from omni.regolith.cli import main
from omni.regolith.dataset.coco import read_coco, read_sparse_label
from omni.regolith.dataset.labelmap import check_mapped, labelmap_from_dict, load_labelmap
from omni.regolith.dataset.rasterize import SparseLabel, polygons_mask, rle_mask, segmentation_mask
from omni.regolith.errors import DatasetError
from omni.regolith.evaluate.counts import dense_counts, metrics_for, values
from omni.regolith.learn.sparse import sparse_counts, summarize_sparse

try:
    from .tiny_data import make_coco, square
except ImportError:  # run as a plain directory of tests
    from tiny_data import make_coco, square


def test_polygon_squares_cover_exact_pixels():
    m = polygons_mask([square(2, 1, 5, 3)], 6, 8)
    assert m.sum() == 6 and m[1:3, 2:5].all()


def test_polygon_with_a_hole_and_an_island():
    rings = [square(0, 0, 10, 10), square(2, 2, 8, 8), square(4, 4, 6, 6)]  # outer, hole, island in the hole
    m = polygons_mask(rings, 12, 12)
    assert m.sum() == 100 - 36 + 4
    assert m[0, 0] and not m[3, 3] and m[4, 4] and not m[11, 11]


def test_several_polygons_of_one_object_add_up():
    m = polygons_mask([square(0, 0, 2, 2), square(5, 5, 8, 6)], 10, 10)
    assert m.sum() == 4 + 3


def test_rle_compressed_and_plain():
    m = np.zeros((6, 5), bool)
    m[1:4, 1:3] = True
    m[5, 4] = m[0, 0] = True
    assert (rle_mask({"size": [6, 5], "counts": "0162M0:N"}, 6, 5) == m).all()  # the COCO tools' string
    big = rle_mask({"size": "[40, 30]", "counts": "c272" + ";;EE" * 22 + ";`6"}, 40, 30)  # Roboflow's text size
    assert big.sum() == 575 and not big[10:12].any() and big[3, 2]
    plain = segmentation_mask({"size": [2, 3], "counts": [1, 2, 3]}, 2, 3)
    assert (plain == [[0, 1, 0], [1, 0, 0]]).all()  # runs go column by column
    with pytest.raises(ValueError):
        rle_mask({"size": [2, 3], "counts": [1, 2]}, 2, 3)


def test_read_coco_attaches_annotations_and_keeps_empty_images(tmp_path):
    coco = read_coco(make_coco(tmp_path / "set", images=3))
    assert [len(im.annotations) > 0 for im in coco.images] == [True, True, False]
    assert coco.images[0].source == "frame0" and coco.images[2].source == "frame0"  # Roboflow's extra.name
    assert {"rock", "artifact", "rover path", "crater"} <= coco.used
    label = read_sparse_label(coco.images[2], load_labelmap())
    assert label.rocks.max() == 0 and label.known.max() == 0 and (label.target() == 255).all()


def test_label_map_roles_conflicts_and_unmapped_categories(tmp_path):
    lm = load_labelmap()
    assert lm.role("Boulder") == ("rock", None) and lm.role("artifact") == ("non_rock", "hardware")
    assert lm.role("rover path") == ("non_rock", "track") and lm.role("rocky region") == ("ignore", None)
    with pytest.raises(DatasetError, match="'shadow'.*no role"):
        check_mapped(lm, {"rock", "shadow"}, "x.json")
    with pytest.raises(DatasetError, match="both rock and ignore"):
        labelmap_from_dict({"rock": ["rock"], "ignore": ["Rock"]})
    with pytest.raises(DatasetError, match="unknown key"):
        labelmap_from_dict({"rock": ["rock"], "sky": ["sky"]})
    # a rock outline over a hardware outline: those pixels are neither
    from omni.regolith.dataset.rasterize import sparse_label

    label = sparse_label([("rock", [square(0, 0, 4, 4)]), ("artifact", [square(2, 0, 6, 4)])], lm, 4, 6)
    assert (label.rocks > 0).sum() == 8 and (label.known > 0).sum() == 8
    assert (label.target() == [[1, 1, 255, 255, 0, 0]] * 4).all()


def _hand_label():
    """10x10: rock A 4x4 (16 px), rock B 2x2 (4 px), hardware 3x3 (9 px), track 1x10 (10 px)."""
    rocks = np.zeros((10, 10), np.int32)
    rocks[0:4, 0:4] = 1
    rocks[6:8, 0:2] = 2
    known = np.zeros((10, 10), np.uint8)
    known[0:3, 7:10] = 1
    known[9, :] = 2
    return SparseLabel(rocks, known, ("hardware", "track"))


def test_sparse_metrics_exact_on_a_hand_made_case():
    pred = np.zeros((10, 10), np.uint8)
    pred[0:4, 0:2] = 1  # 8 of rock A's 16 px: exactly half, found
    pred[6, 0] = 1  # 1 of rock B's 4 px: not found
    pred[0, 7:10] = 1  # 3 of 9 hardware px
    pred[5, 5] = 1  # a rock nobody outlined: counts only in the rock share
    c = sparse_counts(pred, _hand_label())
    assert (c["rock_px"], c["rock_hit"], c["objects"], c["found"]) == (20, 9, 2, 1)
    assert (c["objects_lt16"], c["found_lt16"]) == (2, 1)  # diameters 4.5 and 2.3 px
    assert (c["hardware_px"], c["hardware_hit"], c["track_px"], c["track_hit"]) == (9, 3, 10, 0)
    s = summarize_sparse([c, c], ("hardware", "track"))  # two identical images: the same ratios
    assert s["rock_recall"] == 0.45 and s["objects_found"] == 0.5 and s["objects_found_ge64"] is None
    assert s["hardware_as_rock"] == pytest.approx(1 / 3, abs=1e-6) and s["track_as_rock"] == 0.0
    assert s["rock_share"] == 0.13


def test_size_bins_by_equivalent_diameter():
    rocks = np.zeros((200, 200), np.int32)
    rocks[0:10, 0:10] = 1  # 100 px: d = 11.3 -> < 16
    rocks[20:40, 0:20] = 2  # 400 px: d = 22.6 -> 16-32
    rocks[50:90, 0:40] = 3  # 1600 px: d = 45.1 -> 32-64
    rocks[100:170, 0:70] = 4  # 4900 px: d = 79 -> >= 64
    pred = (rocks >= 3).astype(np.uint8)
    c = sparse_counts(pred, SparseLabel(rocks, np.zeros_like(rocks, np.uint8), ()))
    assert [c[f"objects_{b}"] for b in ("lt16", "16to32", "32to64", "ge64")] == [1, 1, 1, 1]
    assert [c[f"found_{b}"] for b in ("lt16", "16to32", "32to64", "ge64")] == [0, 0, 1, 1]


def test_dense_metrics_from_counts_match_the_confusion_matrix():
    target = np.array([[2, 2, 2], [0, 1, 1], [0, 0, 255]])
    pred = np.array([[2, 2, 0], [0, 1, 0], [1, 0, 1]])
    v = values({k: [x] for k, x in dense_counts(pred, target).items()}, metrics_for("dense"))
    # rock: tp 1, true 2, predicted 2 (the ignored pixel does not count) -> IoU 1/3; sky 2/3; regolith 2/5
    assert v["rock_iou"] == pytest.approx(1 / 3, abs=1e-6) and v["rock_recall"] == 0.5 and v["rock_flood"] == 1.0
    assert v["miou"] == pytest.approx((1 / 3 + 2 / 3 + 2 / 5) / 3, abs=1e-6)
    assert v["rock_share"] == pytest.approx(3 / 9, abs=1e-6)


def test_bad_coco_sets_are_one_line_errors(tmp_path, capsys):
    root = make_coco(tmp_path / "set", images=2)
    doc = json.loads((root / "_annotations.coco.json").read_text())
    doc["categories"].append({"id": 9, "name": "shadow"})
    doc["annotations"].append({"id": 99, "image_id": 0, "category_id": 9, "segmentation": [square(0, 0, 2, 2)]})
    (root / "_annotations.coco.json").write_text(json.dumps(doc))
    assert main(["evaluate", "--images", str(root), "--out", str(tmp_path / "r"), "--model", "fast"]) == 2
    assert "'shadow'" in capsys.readouterr().err
    (root / doc["images"][1]["file_name"]).unlink()
    with pytest.raises(DatasetError, match="not found"):
        read_coco(root)
