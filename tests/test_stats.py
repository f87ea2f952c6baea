"""`regolith stats`: exact numbers on a tiny hand-made dataset, and --check catching each fault."""
from __future__ import annotations

import json
import shutil
import subprocess
import sys

import numpy as np
import pytest
from PIL import Image

from omni.regolith.cli import main
from omni.regolith.dataset.check import check_dataset
from omni.regolith.errors import DatasetError
from omni.regolith.dataset.stats import compute_stats, format_table

from .tiny_data import plan_record

N, SIDE = 6, 32
# frame i: 8 sky rows if i < 4, i + 1 separate 2x2 rocks, 2 ignore rows in frame 5, rest regolith
SKY_PX = 4 * 8 * SIDE
ROCK_PX = 4 * sum(range(1, N + 1))
IGNORE_PX = 2 * SIDE
TOTAL = N * SIDE * SIDE


def make_frame(i: int):
    mask = np.zeros((SIDE, SIDE), np.uint8)
    if i < 4:
        mask[:8] = 2
    for k in range(i + 1):
        mask[20:22, 2 + 5 * k:4 + 5 * k] = 1
    if i == 5:
        mask[30:] = 255
    depth = np.where(mask == 2, 0, 5.0 + i).astype(np.float32)
    rgb = np.random.default_rng(i).integers(0, 256, (SIDE, SIDE, 3), dtype=np.uint8)
    record = plan_record(
        i, terrain_seed=i // 2, layout_seed=i // 2, layout=i // 2, rock_count=10 + i, rock_scale=1.0,
        sun_elevation_deg=5.0 + 10 * i, sun_azimuth_deg=30.0 * i, rock_albedo=0.1, regolith_albedo=0.12,
        camera_height_m=1.5, camera_pitch_deg=-10.0 - i, hfov_deg=70.0 + i,
        camera={"position": [0, 0, 1.5], "rotation": np.eye(3).tolist(), "hfov_deg": 70.0 + i},
        intrinsics={"fx": 20.0, "fy": 20.0, "cx": 15.5, "cy": 15.5, "width": SIDE, "height": SIDE})
    return rgb, mask, depth, record


@pytest.fixture(scope="module")
def clean(tmp_path_factory):
    root = tmp_path_factory.mktemp("ds") / "data"
    for sub in ("rgb", "mask", "depth"):
        (root / sub).mkdir(parents=True)
    lines = []
    for i in range(N):
        rgb, mask, depth, record = make_frame(i)
        Image.fromarray(rgb).save(root / "rgb" / f"{i:05d}.png")
        Image.fromarray(mask).save(root / "mask" / f"{i:05d}.png")
        np.save(root / "depth" / f"{i:05d}.npy", depth)
        lines.append(json.dumps(record))
    (root / "frames.jsonl").write_text("\n".join(lines) + "\n")
    (root / "manifest.json").write_text(json.dumps({"frames": N}))
    return root


@pytest.fixture
def dataset(clean, tmp_path):
    return shutil.copytree(clean, tmp_path / "data")


def cli(*args):
    return subprocess.run([sys.executable, "-m", "omni.regolith.cli", "stats", *map(str, args)],
                          capture_output=True, text=True, timeout=60)


def test_stats_numbers(clean):
    s = compute_stats(clean, progress=False)
    assert s["frames"] == s["frames_in_plan"] == s["frames_analyzed"] == N
    assert s["resolutions"] == {f"{SIDE}x{SIDE}": N}
    c = s["classes"]
    assert c["rock"]["pixel_share"] == pytest.approx(ROCK_PX / TOTAL)
    assert c["sky"]["pixel_share"] == pytest.approx(SKY_PX / TOTAL)
    assert c["ignore"]["pixel_share"] == pytest.approx(IGNORE_PX / TOTAL)
    assert c["regolith"]["pixel_share"] == pytest.approx((TOTAL - ROCK_PX - SKY_PX - IGNORE_PX) / TOTAL)
    assert c["sky"]["per_frame_share"]["mean"] == pytest.approx(SKY_PX / TOTAL)
    assert c["sky"]["per_frame_share"]["max"] == pytest.approx(0.25)
    assert c["ignore"]["frames_present"] == 1 and s["frames_with_sky"] == 4
    assert s["per_frame"]["rock_components"] == list(range(1, N + 1))
    assert s["rocks"]["components_per_frame"]["mean"] == pytest.approx(3.5)
    assert s["rocks"]["component_area_px"]["max"] == 4
    assert s["rocks"]["layout_rock_count"]["mean"] == pytest.approx(12.5)
    p = s["parameters"]
    assert (p["sun_elevation_deg"]["min"], p["sun_elevation_deg"]["max"]) == (5.0, 55.0)
    assert sum(p["sun_elevation_deg"]["histogram"]["counts"]) == N
    assert p["hfov_deg"]["mean"] == pytest.approx(72.5)
    assert p["texture_scale_m"]["n"] == N  # every typed record has every field
    assert s["terrains"] == 3 and s["layouts"] == 3
    assert s["bytes"]["total"] > s["bytes"]["depth"] >= N * SIDE * SIDE * 4
    assert "rock" in format_table(s)
    sub = compute_stats(clean, sample=3, progress=False)
    assert sub["frames_analyzed"] == 3 and sub["sample"] == 3 and sub["frames"] == N


def test_stats_writes_json_and_png(dataset, tmp_path, capsys):
    assert main(["stats", str(dataset)]) == 0
    assert "frames with sky: 4 of 6" in capsys.readouterr().out
    s = json.loads((dataset / "stats.json").read_text())
    assert s["frames"] == N and set(s["classes"]) == {"regolith", "rock", "sky", "ignore"}
    with Image.open(dataset / "stats.png") as im:
        assert im.width > 500
    assert main(["stats", str(dataset), "--out", str(tmp_path / "o" / "s.json"), "--no-figure"]) == 0
    assert (tmp_path / "o" / "s.json").is_file() and not (tmp_path / "o" / "s.png").exists()


def test_check_clean(clean):
    assert check_dataset(clean) == []
    r = cli(clean, "--check")
    assert r.returncode == 0, r.stdout + r.stderr
    assert r.stdout.strip() == f"{N} frames OK"


def test_check_catches_faults(dataset):
    (dataset / "mask" / "00001.png").unlink()
    data = (dataset / "rgb" / "00002.png").read_bytes()
    (dataset / "rgb" / "00002.png").write_bytes(data[: len(data) // 2])
    np.save(dataset / "depth" / "00003.npy", np.ones((SIDE, SIDE - 1), np.float32))
    mask = np.array(Image.open(dataset / "mask" / "00004.png"))
    mask[0, 0] = 7
    Image.fromarray(mask).save(dataset / "mask" / "00004.png")
    r = cli(dataset, "--check")
    assert r.returncode == 1, r.stdout + r.stderr
    out = r.stdout.splitlines()
    assert len(out) == 4, out
    assert any("00001" in line and "missing mask/00001.png" in line for line in out)
    assert any(line.startswith("rgb/00002.png: unreadable") for line in out)
    assert any("00003: size mismatch" in line and "depth 31x32" in line for line in out)
    assert any(line.startswith("mask/00004.png: values outside") and "7 (1 px)" in line for line in out)


def test_check_formats_and_records(dataset):
    Image.fromarray(np.zeros((SIDE, SIDE, 4), np.uint8)).save(dataset / "rgb" / "00000.png")
    Image.fromarray(np.zeros((SIDE, SIDE, 3), np.uint8)).save(dataset / "mask" / "00005.png")
    shutil.copy(dataset / "rgb" / "00001.png", dataset / "rgb" / "00009.png")
    (dataset / "rgb" / "notes.txt").write_text("x")
    np.save(dataset / "depth" / "00002.npy", np.ones((SIDE, SIDE)))
    problems = check_dataset(dataset)
    text = "\n".join(problems)
    assert "rgb/00000.png: 4 channels" in text
    assert "mask/00005.png: 3 channels" in text
    assert "rgb/00009.png: no record in frames.jsonl" in text
    assert "00009: missing mask/00009.png, depth/00009.npy" in text
    assert "rgb/notes.txt: unexpected file" in text
    assert "depth/00002.npy: dtype float64" in text
    assert len(problems) == 6, problems


def test_missing_or_empty_dataset(tmp_path):
    r = cli(tmp_path / "nope", "--check")
    assert r.returncode == 2 and "no such dataset folder" in r.stderr
    assert len(r.stderr.strip().splitlines()) == 1 and "Traceback" not in r.stderr
    with pytest.raises(DatasetError, match="no frames"):
        check_dataset(tmp_path)
    with pytest.raises(DatasetError, match="no frames"):
        compute_stats(tmp_path, progress=False)
