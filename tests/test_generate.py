"""Frame plan and headless generation: determinism, ranges, resume after kill -9, sharding."""
import hashlib
import json
import signal
import subprocess
import sys

import dataclasses

import numpy as np
import pytest

from omni.regolith.config.files import replace
from omni.regolith.errors import ConfigError, DatasetError
from omni.regolith.render.generate import generate, parse_shard
from omni.regolith.plan.sample import sample_plan

from tests.conftest import SMALL

GEN = SMALL + ["randomization.frames_per_layout=3", "randomization.layouts_per_terrain=2",
               "randomization.rock_count=[20, 60]"]


@pytest.fixture(scope="module")
def gen_config():
    from omni.regolith.config.files import load_config
    return load_config(None, GEN)


def digest(root):
    h = {}
    for sub in ("rgb", "mask", "depth"):
        for p in sorted((root / sub).iterdir()):
            h[f"{sub}/{p.name}"] = hashlib.sha256(p.read_bytes()).hexdigest()
    return h


def test_plan_is_deterministic_and_prefix_stable(gen_config):
    a, b = sample_plan(gen_config, 12), sample_plan(gen_config, 12)
    assert a == b
    assert sample_plan(gen_config, 5) == a[:5]
    other = sample_plan(replace(gen_config, seed=1), 12)
    assert [r.sun_elevation_deg for r in other] != [r.sun_elevation_deg for r in a]


def test_every_value_within_its_range(gen_config):
    rnd = gen_config.randomization
    plan = [r.to_dict() for r in sample_plan(gen_config, 40)]
    checks = {"sun_elevation_deg": rnd.sun_elevation_deg, "sun_azimuth_deg": rnd.sun_azimuth_deg,
              "rock_albedo": rnd.rock_albedo, "regolith_albedo": rnd.regolith_albedo,
              "texture_scale_m": rnd.texture_scale_m, "texture_contrast": rnd.texture_contrast,
              "hfov_deg": rnd.hfov_deg, "camera_height_m": rnd.camera_height_m,
              "camera_pitch_deg": rnd.camera_pitch_deg, "camera_roll_deg": rnd.camera_roll_deg,
              "rock_count": rnd.rock_count, "rock_scale": rnd.rock_scale, "star_brightness": rnd.star_brightness}
    for key, (lo, hi) in checks.items():
        values = np.array([r[key] for r in plan])
        assert values.min() >= lo and values.max() <= hi, key
    # frames of one layout share geometry; layouts of one terrain share the terrain
    assert len({(r["layout"], r["layout_seed"], r["rock_count"]) for r in plan}) == len({r["layout"] for r in plan})
    assert len({r["terrain_seed"] for r in plan}) == len({r["layout"] // 2 for r in plan})
    for r in plan:  # cameras above ground, looking at or below the horizon
        assert r["camera"]["position"][2] > -10 and r["camera_pitch_deg"] <= 0
        k = r["intrinsics"]
        assert k["cx"] == (k["width"] - 1) / 2 and np.allclose(np.array(r["cam_to_world"])[:3, 3], r["camera"]["position"])


def test_close_boulders_stand_ahead_of_their_camera_and_change_nothing_else(gen_config):
    from omni.regolith.plan.layout import layout_scene
    from omni.regolith.plan.sample import camera_xy
    from omni.regolith.scene.scatter import CAMERA_CLEARANCE_M

    cfg = replace(gen_config, randomization={"close_boulder_share": 1.0})
    plain, boulders = sample_plan(gen_config, 12), sample_plan(cfg, 12)
    assert all(r.close_boulder is None for r in plain)
    assert [dataclasses.replace(r, close_boulder=None) for r in boulders] == plain
    placed = [r for r in boulders if r.close_boulder is not None]
    assert len(placed) >= 6
    rnd = cfg.randomization
    for r in placed:
        x, y, radius = r.close_boulder
        dx, dy = x - r.camera_x_m, y - r.camera_y_m
        assert rnd.close_boulder_distance_m[0] <= np.hypot(dx, dy) <= rnd.close_boulder_distance_m[1]
        assert rnd.close_boulder_radius_m[0] <= radius <= rnd.close_boulder_radius_m[1]
        off = (np.degrees(np.arctan2(dy, dx)) - r.camera_yaw_deg + 180) % 360 - 180
        assert abs(off) <= 20.0 + 1e-6  # in front of the camera
        cameras = np.array([camera_xy(cfg, i) for i in range(r.layout * 3, r.layout * 3 + 3)])
        assert np.hypot(*(cameras - [x, y]).T).min() > radius + CAMERA_CLEARANCE_M  # off every camera
    # the layout holds its frames' boulders on top of its unchanged random rocks
    first = [r for r in boulders if r.layout == placed[0].layout]
    a, b = layout_scene(gen_config, first).rocks, layout_scene(cfg, first).rocks
    k = sum(r.close_boulder is not None for r in first)
    assert len(b) == len(a) + k and np.array_equal(b.positions[:len(a)], a.positions)
    assert np.allclose(b.scales[len(a):, 0], [r.close_boulder[2] for r in first if r.close_boulder is not None])
    from omni.regolith.scene.rocks import triangle_bound
    assert triangle_bound(cfg) > triangle_bound(gen_config)  # the memory preflight counts them


def test_bad_ranges_are_clear_errors(tmp_path):
    from omni.regolith.config.files import load_config
    with pytest.raises(ConfigError, match=r"randomization.camera_height_m: min 3.0 > max 1.0"):
        load_config(None, ["randomization.camera_height_m=[3.0, 1.0]"])
    with pytest.raises(ConfigError, match="--shard"):
        parse_shard("3/2")


def test_generate_small_frames_and_resume_identical(tmp_path, gen_config):
    full = tmp_path / "full"
    report = generate(gen_config, full, 7, progress=False)
    assert report.rendered == 7
    manifest = json.loads((full / "manifest.json").read_text())
    assert manifest["frames_complete"] == 7 and manifest["classes"]["1"] == "rock"
    assert manifest["renderer"]["variant"] and manifest["resolution"] == [64, 64]
    lines = (full / "frames.jsonl").read_text().splitlines()
    assert len(lines) == 7 and json.loads(lines[3])["index"] == 3

    # a partial run, one frame deleted (as if killed mid-write), then the same command again
    part = tmp_path / "part"
    generate(gen_config, part, 4, progress=False)
    (part / "mask" / "00002.png").unlink()
    again = generate(gen_config, part, 7, progress=False)
    assert again.rendered == 4 and again.skipped == 3
    assert digest(part) == digest(full)

    with pytest.raises(DatasetError, match="another config"):
        generate(replace(gen_config, seed=5), part, 7, progress=False)


def test_a_dataset_made_before_a_new_config_key_still_resumes(tmp_path, gen_config):
    """A key added later counts at its default: old datasets resume; a changed value does not."""
    import json

    from omni.regolith.dataset.writer import prepare

    root = tmp_path / "old"
    prepare(root, gen_config, 32, 32)
    ident = json.loads((root / ".regolith-dataset.json").read_text())
    del ident["config"]["render"]["depth_format"]  # as if written before the key existed
    (root / ".regolith-dataset.json").write_text(json.dumps(ident))
    prepare(root, gen_config, 32, 32)  # the default is what the old dataset was made with
    with pytest.raises(DatasetError, match="another config"):
        prepare(root, replace(gen_config, render={"depth_format": "png16"}), 32, 32)
    ident["config"]["render"]["retired_key"] = 1
    (root / ".regolith-dataset.json").write_text(json.dumps(ident))
    with pytest.raises(DatasetError, match="another config"):
        prepare(root, gen_config, 32, 32)


def test_png16_depth_matches_float_depth_to_the_step_and_passes_check(tmp_path, gen_config):
    from omni.regolith.dataset.check import check_dataset
    from omni.regolith.dataset.layout import DEPTH_STEPS_PER_M, read_depth

    generate(gen_config, tmp_path / "npy", 3, progress=False)
    png_cfg = replace(gen_config, render={"depth_format": "png16"})
    generate(png_cfg, tmp_path / "png", 3, progress=False)
    for i in range(3):
        exact = read_depth(tmp_path / "npy" / "depth" / f"{i:05d}.npy")
        coded = read_depth(tmp_path / "png" / "depth" / f"{i:05d}.png")
        assert coded.dtype == np.float32 and coded.shape == exact.shape
        assert np.abs(coded - exact).max() <= 0.5 / DEPTH_STEPS_PER_M + 1e-6
        assert ((coded == 0) == (exact == 0)).all()  # sky stays 0, ground never becomes 0
    assert check_dataset(tmp_path / "png", progress=False) == []
    assert "uint16" in json.loads((tmp_path / "png" / "manifest.json").read_text())["depth"]
    with pytest.raises(DatasetError, match="another config"):
        generate(gen_config, tmp_path / "png", 3, progress=False)


def test_shards_fill_one_dataset(tmp_path, gen_config):
    root = tmp_path / "sharded"
    a = generate(gen_config, root, 7, shard=(0, 2), progress=False)
    b = generate(gen_config, root, 7, shard=(1, 2), progress=False)
    assert a.rendered + b.rendered == 7 and a.rendered > 0 and b.rendered > 0
    assert digest(root) == digest(_full(tmp_path, gen_config))


def _full(tmp_path, cfg):
    root = tmp_path / "ref"
    if not root.exists():
        generate(cfg, root, 7, progress=False)
    return root


# An external kill raced the run (a fast machine wrote all 9 frames first): the child kills itself mid-frame 5.
KILL_MID_FRAME_5 = """
import os, signal, sys
from omni.regolith import cli
from omni.regolith.dataset import writer
from omni.regolith.dataset.layout import frame_paths

encode = writer.encode_frame

def encode_or_die(root, index, rgb, mask, depth, depth_format="npy", instance=None):
    if index != 5:
        return encode(root, index, rgb, mask, depth, depth_format, instance)
    paths = frame_paths(root, index, depth_format)
    writer.atomic_write_bytes(paths["depth"], writer.npy_bytes(depth))  # depth written, rgb torn mid-write
    (paths["rgb"].parent / f".{paths['rgb'].name}.torn.tmp").write_bytes(b"half a png")
    os.kill(os.getpid(), signal.SIGKILL)

writer.encode_frame = encode_or_die
sys.exit(cli.main(sys.argv[1:]))
"""


def test_kill_9_mid_run_then_resume(tmp_path, gen_config):
    root = tmp_path / "killed"
    sets = sum((["--set", s] for s in GEN), [])
    args = ["generate", *sets, "--out", str(root), "--frames", "9", "--no-progress", "--workers", "1"]
    killed = subprocess.run([sys.executable, "-c", KILL_MID_FRAME_5, *args], check=False, capture_output=True,
                            text=True, timeout=300)
    assert killed.returncode == -signal.SIGKILL, killed.stderr
    done_before = len(list((root / "rgb").glob("*.png")))
    assert 0 < done_before < 9
    out = subprocess.run([sys.executable, "-m", "omni.regolith.cli", *args], check=False, capture_output=True,
                         text=True)
    assert out.returncode == 0, out.stderr
    for tmp in root.rglob(".*.tmp"):  # a temp file the kill left behind is never a frame
        assert not tmp.name.endswith((".png", ".npy"))
        tmp.unlink()
    ref = tmp_path / "ref9"
    generate(gen_config, ref, 9, progress=False)
    assert digest(root) == digest(ref)
