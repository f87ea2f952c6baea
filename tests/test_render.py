"""Real renders at 128x128 (the exact-label guarantees) and the preview CLI."""
import dataclasses
import subprocess
import sys

import numpy as np
import pytest
from PIL import Image

from omni.regolith import REGOLITH, ROCK, SKY
from omni.regolith.scene.camera import look_rotation
from omni.regolith.plan.record import stage_frame
from omni.regolith.scene.geometry import geometry_from_scene
from omni.regolith.render.mitsuba import MitsubaRenderer
from omni.regolith.render.backend import choose_variant
from omni.regolith.scene.build import build_scene


@pytest.fixture(scope="module")
def horizon_setup(small_config):
    scene = build_scene(small_config)
    # look at the horizon, slightly down, so sky, terrain and rocks are all in view
    cam = dataclasses.replace(scene.camera, rotation=look_rotation(30.0, -8.0))
    frame = stage_frame(small_config, cam)
    renderer = MitsubaRenderer(128, 128, spp=2)
    return scene, frame, renderer


def test_variant_is_not_scalar_when_llvm_present():
    from omni.regolith.render.backend import find_llvm
    if find_llvm():
        assert choose_variant("auto") in ("llvm_ad_rgb", "cuda_ad_rgb")


def test_mask_has_all_classes_and_rocks_are_exact(horizon_setup):
    scene, frame, renderer = horizon_setup
    renderer.set_geometry(geometry_from_scene(scene))
    with_rocks = renderer.render(frame)
    bare = dataclasses.replace(geometry_from_scene(scene), rock_points=np.zeros((0, 3), np.float32),
                               rock_triangles=np.zeros((0, 3), np.int32))
    renderer.set_geometry(bare)
    without = renderer.render(frame)

    counts = np.bincount(with_rocks.mask.ravel(), minlength=3)
    assert counts[REGOLITH] > 0 and counts[ROCK] > 0 and counts[SKY] > 0
    assert set(np.unique(with_rocks.mask)) <= {REGOLITH, ROCK, SKY}
    assert not (without.mask == ROCK).any()

    rock = with_rocks.mask == ROCK
    # every rock pixel is geometry in front of the bare terrain (or in front of the sky) ...
    closer = (with_rocks.depth < without.depth - 1e-4) | (without.mask == SKY)
    assert closer[rock].all()
    # ... and every non-rock pixel sees exactly what it sees without rocks
    np.testing.assert_allclose(with_rocks.depth[~rock], without.depth[~rock], rtol=1e-5)
    assert (with_rocks.mask[~rock] == without.mask[~rock]).all()
    # depth is planar and positive on surfaces, zero on sky
    assert (with_rocks.depth[with_rocks.mask != SKY] > 0).all()
    assert (with_rocks.depth[with_rocks.mask == SKY] == 0).all()


def test_rgb_rocks_align_with_mask(horizon_setup):
    """Where the mask says rock, the picture changes when rocks are removed (alignment check)."""
    scene, frame, renderer = horizon_setup
    frame = dataclasses.replace(frame, rock_albedo=0.9, regolith_albedo=0.05, texture_contrast=0.0,
                                star_brightness=0.0, sun_elevation_deg=60.0)
    renderer.set_geometry(geometry_from_scene(scene))
    res = renderer.render(frame)
    rock = res.mask == ROCK
    bright = res.rgb.mean(-1) > 2 * res.rgb[res.mask == REGOLITH].mean()
    interior = rock & np.roll(rock, 1, 0) & np.roll(rock, -1, 0) & np.roll(rock, 1, 1) & np.roll(rock, -1, 1)
    if interior.sum() >= 5:
        # lit rock interiors are bright; allow shadowed faces
        assert bright[interior].mean() > 0.5
    assert bright[res.mask == SKY].mean() < 0.05


def test_back_projection_hits_terrain(horizon_setup):
    scene, frame, renderer = horizon_setup
    renderer.set_geometry(dataclasses.replace(geometry_from_scene(scene), rock_points=np.zeros((0, 3), np.float32),
                                              rock_triangles=np.zeros((0, 3), np.int32)))
    res = renderer.render(frame)
    k = frame.camera.intrinsics(128, 128)
    v, u = np.nonzero(res.mask == REGOLITH)
    d = res.depth[v, u]
    cam = np.stack([(u - k["cx"]) / k["fx"] * d, (v - k["cy"]) / k["fy"] * d, d], 1)
    world = cam @ frame.camera.rotation.T + frame.camera.position
    ground = scene.terrain.height_at(world[:, 0], world[:, 1])
    assert np.abs(world[:, 2] - ground).max() < 0.05


def test_stage_build_and_preview_cli(tmp_path):
    from tests.conftest import SMALL
    sets = sum((["--set", s] for s in SMALL), [])
    run = lambda *a: subprocess.run([sys.executable, "-m", "omni.regolith.cli", *a], capture_output=True, text=True)
    out = run("stage", "build", *sets, "--out", str(tmp_path / "stage.usda"))
    assert out.returncode == 0, out.stderr
    assert (tmp_path / "stars.png").exists()
    out = run("stage", "preview", str(tmp_path / "stage.usda"), "--out", str(tmp_path / "preview.png"),
              "--resolution", "96x64")
    assert out.returncode == 0, out.stderr
    assert Image.open(tmp_path / "preview.png").size == (96, 64)
    assert Image.open(tmp_path / "preview_mask.png").size == (96, 64)
    assert np.load(tmp_path / "preview_depth.npy").shape == (64, 96)
    missing = run("stage", "preview", str(tmp_path / "nope.usda"), "--out", str(tmp_path / "p.png"))
    assert missing.returncode == 2 and "stage not found" in missing.stderr and "Traceback" not in missing.stderr


def test_ground_bounce_lights_faces_turned_from_the_sun(horizon_setup):
    """Direct light alone leaves rock faces turned from the sun pure black, like the shadows rocks
    cast: the bounce from the sunlit ground lights the faces, leaves labels alone and barely
    touches the ground."""
    scene, frame, _ = horizon_setup
    frame = dataclasses.replace(frame, sun_elevation_deg=25.0, star_brightness=0.0)
    results = {}
    for bounce in (0.0, 1.0):
        renderer = MitsubaRenderer(128, 128, spp=2, ground_bounce=bounce)
        renderer.set_geometry(geometry_from_scene(scene))
        results[bounce] = renderer.render(frame, seed=3)
    direct, bounced = results[0.0], results[1.0]
    assert (direct.mask == bounced.mask).all() and np.array_equal(direct.depth, bounced.depth)
    rock, ground = direct.mask == ROCK, direct.mask == REGOLITH
    black_before = (direct.rgb.max(-1)[rock] == 0).mean()
    black_after = (bounced.rgb.max(-1)[rock] == 0).mean()
    assert black_before > 0.05 and black_after < black_before / 4, (black_before, black_after)
    assert (bounced.rgb.astype(int) >= direct.rgb).all()  # light is only ever added
    assert abs(bounced.rgb[ground].mean() / direct.rgb[ground].mean() - 1) < 0.05
