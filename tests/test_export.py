"""Rock instance ids and the exports: each format round-trips through the library its users load it with."""
import json
import os

import numpy as np
import pytest
from omni.regolith import ROCK
from omni.regolith.cli import main
from omni.regolith.dataset.check import check_dataset
from omni.regolith.dataset.layout import frame_done, read_depth, required_kinds
from omni.regolith.plan.io import read_records
from PIL import Image

from tests.conftest import SMALL

FRAMES = 6


def regolith(*args):
    assert main([str(a) for a in args]) == 0


@pytest.fixture(scope="module")
def dataset(tmp_path_factory):
    root = tmp_path_factory.mktemp("export") / "data"
    sets = sum((["--set", s] for s in SMALL + ["render.instances=true", "randomization.frames_per_layout=2"]), [])
    regolith("generate", *sets, "--out", root, "--frames", FRAMES, "--no-progress")
    return root


def png(path):
    return np.asarray(Image.open(path))


def frame_arrays(root, i):
    stem = f"{i:05d}"
    return png(root / "instance" / f"{stem}.png"), png(root / "mask" / f"{stem}.png")


def test_instances_are_exactly_the_rock_mask_and_name_the_rock_they_see(dataset):
    from omni.regolith.config.files import load_config
    from omni.regolith.plan.layout import layout_scene

    cfg = load_config(dataset / "config.toml")
    records = read_records(dataset)
    assert check_dataset(dataset) == [] and required_kinds(dataset)[-1] == "instance"
    seen = 0
    for i, record in records.items():
        instance, mask = frame_arrays(dataset, i)
        assert instance.dtype == np.uint16
        assert ((instance > 0) == (mask == ROCK)).all()
        # every rock pixel back-projects onto the rock its id names (ids are the layout's rock order)
        rocks = layout_scene(cfg, [r for r in records.values() if r.layout == record.layout]).rocks
        v, u = np.nonzero(instance)
        d = read_depth(dataset / "depth" / f"{i:05d}.npy")[v, u]
        k = record.intrinsics
        cam = np.stack([(u - k["cx"]) / k["fx"] * d, (v - k["cy"]) / k["fy"] * d, d, np.ones_like(d)], 1)
        world = cam @ np.array(record.to_dict()["cam_to_world"]).T
        ids = instance[v, u].astype(int) - 1
        dist = np.linalg.norm(world[:, :3] - rocks.positions[ids], axis=1)
        assert (dist < 1.6 * rocks.scales[ids, 0]).all()
        seen += len(np.unique(ids))
    assert seen >= 10


def test_check_reports_instances_that_disagree_and_frame_done_needs_them_only_when_on(dataset, tmp_path):
    for sub in ("rgb", "mask", "depth"):
        (tmp_path / sub).mkdir()
        (tmp_path / sub / f"00000.{'npy' if sub == 'depth' else 'png'}").touch()
    assert frame_done(tmp_path, 0) and not frame_done(tmp_path, 0, instances=True)
    assert required_kinds(tmp_path) == ("rgb", "mask", "depth")
    import shutil

    copy = tmp_path / "copy"
    shutil.copytree(dataset, copy)
    instance, _ = frame_arrays(copy, 1)
    bad = instance.copy()
    bad[0, 0] = 0 if instance[0, 0] else 9
    Image.fromarray(bad).save(copy / "instance" / "00001.png")
    (copy / "instance" / "00002.png").unlink()
    problems = check_dataset(copy)
    assert any("instance/00001.png: 1 px where instance > 0 and mask == rock disagree" in p for p in problems)
    assert "00002: missing instance/00002.png" in problems


def test_coco_round_trip_with_pycocotools(dataset, tmp_path):
    from pycocotools.coco import COCO

    out = tmp_path / "rocks.json"
    regolith("export", dataset, "--format", "coco", "--out", out, "--no-progress")
    coco = COCO(str(out))
    assert coco.loadCats(coco.getCatIds()) == [{"id": ROCK, "name": "rock", "supercategory": "lunar"}]
    records = read_records(dataset)
    assert sorted(coco.getImgIds()) == sorted(records)
    total = 0
    for image in coco.loadImgs(coco.getImgIds()):
        i = image["id"]
        instance, mask = frame_arrays(dataset, i)
        assert image["file_name"] == f"rgb/{i:05d}.png" and (image["height"], image["width"]) == mask.shape
        assert image["extra"] == {**json.loads(json.dumps(records[i].to_dict())), "files": {
            "mask": f"mask/{i:05d}.png", "depth": f"depth/{i:05d}.npy", "instance": f"instance/{i:05d}.png"}}
        union = np.zeros(mask.shape, bool)
        anns = coco.loadAnns(coco.getAnnIds(imgIds=i))
        assert sorted(a["rock_id"] for a in anns) == sorted(set(np.unique(instance)) - {0})
        for a in anns:
            m = coco.annToMask(a).astype(bool)
            assert (m == (instance == a["rock_id"])).all()
            ys, xs = np.nonzero(m)
            assert a["area"] == m.sum()
            assert a["bbox"] == [xs.min(), ys.min(), xs.max() - xs.min() + 1, ys.max() - ys.min() + 1]
            union |= m
        assert (union == (mask == ROCK)).all()
        total += len(anns)
    assert total >= 10 and not list(tmp_path.glob(".*"))  # no temp file left behind


def test_hf_round_trip_with_datasets_and_resume(dataset, tmp_path, monkeypatch):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    import datasets

    out = tmp_path / "hf"
    regolith("export", dataset, "--format", "hf", "--out", out, "--shard-frames", 4, "--no-progress")
    shards = sorted((out / "data").iterdir())
    assert [p.name for p in shards] == ["train-00000-of-00002.parquet", "train-00001-of-00002.parquet"]
    assert (out / "README.md").read_text().startswith("---\n") and json.loads((out / "id2label.json").read_text())
    ds = datasets.load_dataset(str(out), cache_dir=str(tmp_path / "cache"))["train"]
    assert isinstance(ds.features["depth"], datasets.Array2D)
    records = read_records(dataset)
    assert len(ds) == FRAMES
    for row in ds.with_format("numpy"):
        i = int(row["index"])
        instance, mask = frame_arrays(dataset, i)
        np.testing.assert_array_equal(row["image"], png(dataset / "rgb" / f"{i:05d}.png"))
        np.testing.assert_array_equal(row["label"], mask)
        np.testing.assert_array_equal(row["instance"], instance)
        np.testing.assert_array_equal(row["depth"], read_depth(dataset / "depth" / f"{i:05d}.npy"))
        assert row["sun_elevation_deg"] == records[i].sun_elevation_deg and row["layout"] == records[i].layout
        assert float(row["intrinsics"]["fx"]) == records[i].intrinsics["fx"]
    # a rerun rewrites nothing; a frame written since makes its shard (only) stale
    stamps = [p.stat().st_mtime_ns for p in shards]
    regolith("export", dataset, "--format", "hf", "--out", out, "--shard-frames", 4, "--no-progress")
    assert [p.stat().st_mtime_ns for p in shards] == stamps
    newer = shards[1].stat().st_mtime + 10
    os.utime(dataset / "rgb" / "00005.png", (newer, newer))
    regolith("export", dataset, "--format", "hf", "--out", out, "--shard-frames", 4, "--no-progress")
    assert shards[0].stat().st_mtime_ns == stamps[0] and shards[1].stat().st_mtime_ns != stamps[1]
    regolith("export", dataset, "--format", "hf", "--out", out, "--no-progress")  # one shard now: stale ones go
    assert [p.name for p in (out / "data").iterdir()] == ["train-00000-of-00001.parquet"]


def test_yolo_seg_round_trip(dataset, tmp_path):
    import yaml
    from matplotlib.path import Path as Polygon

    out = tmp_path / "yolo"
    regolith("export", dataset, "--format", "yolo-seg", "--out", out, "--no-progress")
    data = yaml.safe_load((out / "data.yaml").read_text())
    assert data["names"] == {0: "rock"} and data["train"] == "images/train"
    ious = []
    for i in read_records(dataset):
        instance, _ = frame_arrays(dataset, i)
        h, w = instance.shape
        assert (out / data["train"] / f"{i:05d}.png").read_bytes() == (dataset / "rgb" / f"{i:05d}.png").read_bytes()
        lines = (out / "labels" / "train" / f"{i:05d}.txt").read_text().splitlines()
        assert len(lines) == len(np.unique(instance)) - 1
        yy, xx = np.mgrid[:h, :w]
        centres = np.stack([xx.ravel() + 0.5, yy.ravel() + 0.5], 1)
        for line in lines:
            cls, *xy = line.split()
            inside = Polygon(np.array(xy, float).reshape(-1, 2) * [w, h]).contains_points(centres).reshape(h, w)
            rock = np.bincount(instance[inside]).argmax()  # the rock this polygon outlines
            truth = instance == rock
            assert cls == "0" and rock > 0
            ious.append((inside & truth).sum() / (inside | truth).sum())
    assert np.mean(ious) > 0.97 and min(ious) > 0.5


def test_export_errors_are_one_line(dataset, tmp_path, capsys):
    plain = tmp_path / "plain"
    sets = sum((["--set", s] for s in SMALL), [])
    regolith("generate", *sets, "--out", plain, "--frames", 1, "--no-progress")
    assert main(["export", str(plain), "--format", "coco", "--out", str(tmp_path / "c.json")]) == 2
    assert "no instance/ folder" in capsys.readouterr().err
    (tmp_path / "busy").mkdir()
    (tmp_path / "busy" / "notes.txt").write_text("mine")
    assert main(["export", str(dataset), "--format", "hf", "--out", str(tmp_path / "busy")]) == 2
    assert "not empty" in capsys.readouterr().err
    assert (tmp_path / "busy" / "notes.txt").read_text() == "mine"
