"""The photoreal levers (issue #20): off changes nothing, on logs its values and keeps labels exact."""
from __future__ import annotations

import dataclasses
import hashlib
import json

import numpy as np
import pytest
from omni.regolith import IGNORE_ID, REGOLITH, ROCK, SKY
from omni.regolith.config.files import config_to_toml, load_config
from omni.regolith.config.levers import LEVER_SECTIONS
from omni.regolith.plan.io import plan_lines, read_plan, write_plan
from omni.regolith.plan.levers import LEVER_VALUES
from omni.regolith.plan.sample import sample_plan
from PIL import Image

from tests.conftest import SMALL

ALL_ON = [f"{s}.enabled=true" for s in LEVER_SECTIONS]
# The frames of a 4-frame 64x64 dataset of the SMALL config made by the renderer before the levers
# existed (commit 557c132): sha256 over file names, decoded PNG pixels, depth and frames.jsonl bytes.
BEFORE_LEVERS = "9895ea96a76422cd29bacdcd2e1c03231b0e1571eb1ebc4dd73adca7b3025571"


def dataset_digest(root) -> str:
    h = hashlib.sha256()
    for p in sorted(p for sub in ("rgb", "mask", "depth") for p in (root / sub).iterdir()) + [root / "frames.jsonl"]:
        h.update(str(p.relative_to(root)).encode())
        h.update(np.asarray(Image.open(p)).tobytes() if p.suffix == ".png" else p.read_bytes())
    return h.hexdigest()


def test_levers_off_dataset_is_byte_identical_to_before(tmp_path):
    from omni.regolith.render.generate import generate

    cfg = load_config(None, SMALL + ["randomization.frames_per_layout=2"])
    assert "microdetail" not in config_to_toml(cfg)  # untouched lever sections are not written
    generate(cfg, tmp_path / "d", 4, variant="llvm_ad_rgb", workers=1, progress=False)
    assert dataset_digest(tmp_path / "d") == BEFORE_LEVERS, (
        "frames with every lever off differ from the renderer before the levers (or this CPU's LLVM "
        "code differs: compare against main's renderer on the same plan)")


@pytest.mark.parametrize("lever", LEVER_SECTIONS)
def test_a_lever_logs_its_values_only_when_on(lever, tmp_path):
    off = sample_plan(load_config(None, SMALL), 3)
    on = sample_plan(load_config(None, SMALL + [f"{lever}.enabled=true"]), 3)
    fields = {"pebbles": {"pebbles", "label_policy"}}.get(lever, {lever})
    camera = {"intrinsics"} if lever == "camera_model" else set()  # a stretch changes fy, cy
    for a, b in zip(off, on):
        da, db = a.to_dict(), b.to_dict()
        assert not set(LEVER_VALUES) & set(da)
        assert set(db) - set(da) == fields
        keep = lambda d: {k: v for k, v in d.items() if k not in fields | camera}  # noqa: E731
        assert keep(db) == keep(da)  # nothing else moved
    write_plan(tmp_path / "frames.jsonl", on)
    assert read_plan(tmp_path / "frames.jsonl") == on
    assert plan_lines(read_plan(tmp_path / "frames.jsonl")) == plan_lines(on)


def test_a_malformed_lever_value_is_one_clear_error(tmp_path):
    from omni.regolith.errors import DatasetError

    record = sample_plan(load_config(None, SMALL + ["photometry.enabled=true"]), 1)[0].to_dict()
    record["photometry"] = {"b0": 1.0}
    (tmp_path / "frames.jsonl").write_text(json.dumps(record) + "\n")
    with pytest.raises(DatasetError, match="photometry"):
        read_plan(tmp_path / "frames.jsonl")


def test_stretch_keeps_labels_and_intrinsics_exact():
    """Rows are resampled nearest and fy, cy are rescaled so each output row's ray is the source row's."""
    from omni.regolith.plan.levers import resolved_levers, stretch_rows
    from omni.regolith.render.camera_model import stretch

    h = w = 40
    mask = np.repeat(np.arange(h, dtype=np.uint8)[:, None], w, 1)
    depth = mask.astype(np.float32) + 0.5
    rgb = np.zeros((h, w, 3), np.uint8)
    _, (m2, d2, none) = stretch(rgb, 0.75, (mask, depth, None))
    assert none is None
    top, rows = stretch_rows(h, 0.75)
    src = m2[:, 0].astype(int)
    assert src.min() == top and src.max() == top + rows - 1 and (d2[:, 0] == src + 0.5).all()
    cfg = load_config(None, ["camera_model.enabled=true"])
    k = {"fx": 30.0, "fy": 30.0, "cx": (w - 1) / 2, "cy": (h - 1) / 2, "width": w, "height": h}
    values = sample_plan(load_config(None, ["camera_model.enabled=true", "camera_model.stretch_share=1.0"]), 1)[0]
    k2 = resolved_levers(cfg, k, dataclasses.replace(values.camera_model, stretch=0.75))["intrinsics"]
    centres = top - 0.5 + (np.arange(h) + 0.5) * rows / h  # continuous source row of each output row
    assert np.allclose((np.arange(h) - k2["cy"]) / k2["fy"], (centres - k["cy"]) / k["fy"])
    assert np.abs(centres - src).max() <= 0.5  # nearest rows


def test_size_rule_labels_stones_by_their_size_in_the_image():
    from omni.regolith.render.labels import PEBBLE_ID0, rock_instances, size_rule

    mask = np.zeros((40, 40), np.uint8)
    stones = np.full((40, 40), -1, np.int32)
    stones[0:2, 0:2] = -2  # pebble 0: 4 px, d 2.3 -> regolith
    stones[10:16, 10:16] = -3  # pebble 1: 36 px, d 6.8 -> ignore
    stones[20:30, 20:30] = -4  # pebble 2: d 11.3 -> rock
    stones[30:32, 0:2] = 0  # rock 0: small
    mask[30:32, 0:2] = ROCK
    out = size_rule(mask, stones, rock_min_px=7.68, regolith_max_px=5.12, rocks_too=False)
    assert out[0, 0] == REGOLITH and out[12, 12] == IGNORE_ID and out[25, 25] == ROCK and out[31, 1] == ROCK
    both = size_rule(mask, stones, 7.68, 5.12, rocks_too=True)
    assert both[31, 1] == REGOLITH
    instance = np.where(mask == ROCK, 7, 0).astype(np.uint16)  # a renderer's rock instance map
    ids = rock_instances(instance, both, stones)
    assert ((ids > 0) == (both == ROCK)).all() and ids[25, 25] == PEBBLE_ID0 + 2


def test_camera_model_exposes_casts_and_is_deterministic():
    from omni.regolith.config.levers import CameraModelConfig
    from omni.regolith.plan.levers import CameraModelValues
    from omni.regolith.render.camera_model import develop

    rng = np.random.default_rng(0)
    linear = (0.05 + 0.02 * rng.random((32, 32, 3))).astype(np.float32)
    ground, mask, depth = np.ones((32, 32), bool), np.zeros((32, 32), np.uint8), np.ones((32, 32), np.float32)
    tan = CameraModelValues(100.0, 1.0, (1.15, 0.98, 0.72), 0.05, 0.5, 0.002, 0.004, 75, 0.84, 1.0)
    rgb, (m, d) = develop(linear, ground, (mask, depth), tan, CameraModelConfig(), [1, 2])
    luma = rgb.astype(float) @ [0.2126, 0.7152, 0.0722]
    assert abs(np.median(luma) - 100) < 8 and rgb[..., 0].mean() > rgb[..., 2].mean() + 10
    assert (m == mask).all() and (d == depth).all()
    again, _ = develop(linear, ground, (mask, depth), tan, CameraModelConfig(), [1, 2])
    assert (again == rgb).all()


@pytest.fixture(scope="module")
def lever_frames():
    """Raw and finished 64x64 frames of one layout with every lever on, and each pixel's shape."""
    from omni.regolith.plan.layout import layout_scene
    from omni.regolith.render.develop import finish
    from omni.regolith.render.levers import render_levers
    from omni.regolith.render.mitsuba import MitsubaRenderer
    from omni.regolith.scene.geometry import geometry_from_scene

    cfg = load_config(None, SMALL + ALL_ON + [
        "randomization.frames_per_layout=3", "hardware.rover_share=1.0", "hardware.lander_share=0.0",
        "tracks.share=1.0", "camera_model.stretch_share=0.0", "pebbles.density_per_m2=[200.0, 200.0]",
        "randomization.camera_pitch_deg=[-35.0, -25.0]", "rocks.model=\"v3\"", "hardware.label=\"ignore\""])
    plan = sample_plan(cfg, 3)
    renderer = MitsubaRenderer(64, 64, 1, "llvm_ad_rgb", levers=render_levers(cfg))
    renderer.set_geometry(geometry_from_scene(layout_scene(cfg, plan)))
    names = {sid: name for name, sid in renderer.shape_ids.items()}
    out = []
    for record in plan:
        raw = renderer.render(record, seed=record.index)
        _, shape, _, _, _ = renderer._trace(record)
        shapes = np.vectorize(lambda s: names.get(int(s), "sky"))(shape.numpy().reshape(64, 64))
        out.append((record, raw, finish(raw, record, cfg), shapes))
    return cfg, out


def test_all_levers_keep_labels_exact(lever_frames):
    cfg, frames = lever_frames
    seen = set()
    for record, raw, (rgb, mask, depth, instance), shapes in frames:
        assert instance is None  # no instance map asked for
        seen |= set(np.unique(shapes))
        assert rgb.dtype == np.uint8 and rgb.shape == (64, 64, 3)
        assert ((mask == SKY) == (depth == 0)).all() and ((shapes == "sky") == (mask == SKY)).all()
        for regolith in ("terrain", "fillets", "tracks"):
            assert (mask[shapes == regolith] == REGOLITH).all(), regolith
        assert (mask[np.char.startswith(shapes, "hw_")] == IGNORE_ID).all()
        stones = np.isin(shapes, ["rocks", "pebbles"])
        assert (raw.stones[stones] != -1).all() and (raw.stones[~stones] == -1).all()
        assert set(np.unique(mask[stones])) <= {REGOLITH, ROCK, IGNORE_ID}
        assert record.label_policy.rock_min_px == pytest.approx(0.015 * 64)
    assert {"terrain", "rocks", "pebbles", "tracks"} <= seen, seen


def test_levers_change_the_look_not_the_labels():
    """Micro-detail, photometry and rock surfaces change pixels, never the mask or depth."""
    from omni.regolith.plan.layout import layout_scene
    from omni.regolith.render.levers import render_levers
    from omni.regolith.render.mitsuba import MitsubaRenderer
    from omni.regolith.scene.geometry import geometry_from_scene

    results = []
    for extra in ([], ["microdetail.enabled=true", "photometry.enabled=true", "rock_surface.enabled=true"]):
        cfg = load_config(None, SMALL + ["randomization.frames_per_layout=1"] + extra)
        record = sample_plan(cfg, 1)[0]
        renderer = MitsubaRenderer(64, 64, 1, "llvm_ad_rgb", levers=render_levers(cfg))
        renderer.set_geometry(geometry_from_scene(layout_scene(cfg, [record])))
        results.append(renderer.render(record, seed=0))
    plain, detailed = results
    assert (plain.mask == detailed.mask).all() and np.array_equal(plain.depth, detailed.depth)
    assert np.abs(plain.rgb.astype(int) - detailed.rgb.astype(int)).mean() > 1.0


def test_tracks_press_the_heightfield_and_carry_grooves():
    from omni.regolith.scene.surface import mesh_height
    from omni.regolith.scene.terrain import make_heightfield
    from omni.regolith.scene.tracks import press, track_mesh

    cfg = load_config(None, SMALL)
    terrain = make_heightfield(cfg.terrain, cfg.craters, seed=3)
    paths = [(0.0, 0.0, 20.0, 0.05, 8.0, 0.02)]
    pressed, ribbon = press(terrain, paths, cfg.tracks), track_mesh(terrain, paths, cfg.tracks)
    lowered = pressed.heights < terrain.heights
    assert lowered.any() and (terrain.heights - pressed.heights)[lowered].min() >= 0.02
    below = ribbon.points[:, 2] - mesh_height(terrain, ribbon.points[:, 0], ribbon.points[:, 1])
    assert below.min() < -0.015 and (ribbon.track[:, 1] > 0.9).any()  # grooves 2 cm deep
    groove = ribbon.track[:, 1] > 0  # the terrain under every groove is pressed below it
    ground = mesh_height(pressed, ribbon.points[groove, 0], ribbon.points[groove, 1])
    assert (ground < ribbon.points[groove, 2]).all()


def test_v3_rocks_mix_shape_families():
    from omni.regolith.scene.rocks import TRIANGLES, make_prototypes

    protos = make_prototypes("v3", 8, seed=0)
    assert {len(p.triangles) for p in protos} >= {320, 1280} and max(len(p.triangles) for p in protos) <= TRIANGLES["v3"]
    for p in protos:
        assert np.linalg.norm(p.points, axis=1).max() == pytest.approx(1.0, abs=1e-5)
    heights = [np.ptp(p.points[:, 2]) for p in protos]
    assert min(heights) < 0.75 < max(heights)  # slabs and blocks


def test_stage_authors_lever_geometry(tmp_path):
    from omni.regolith.scene.build import build_scene
    from omni.regolith.stage.author import write_stage
    from pxr import Usd, UsdSemantics

    cfg = load_config(None, SMALL + ALL_ON + ["hardware.label=\"ignore\""])
    stage = Usd.Stage.Open(str(write_stage(build_scene(cfg), tmp_path / "s.usda")))
    for path, label in (("/World/Fillets", "regolith"), ("/World/Tracks", "regolith"),
                        ("/World/Pebbles", "regolith"), ("/World/Hardware/structure", "hardware")):
        prim = stage.GetPrimAtPath(path)
        assert prim.IsValid(), path
        assert list(UsdSemantics.LabelsAPI(prim, "class").GetLabelsAttr().Get()) == [label]
    # read back, it is the scene's own lever geometry, and `stage preview` renders it
    from omni.regolith.render.preview import render_preview
    from omni.regolith.scene.geometry import geometry_from_scene
    from omni.regolith.stage.read import read_stage

    direct, (read, _, _) = geometry_from_scene(build_scene(cfg)), read_stage(stage)
    a, b = direct.extras, read.extras
    np.testing.assert_allclose(b.fillets[0], a.fillets[0], atol=1e-6)
    np.testing.assert_array_equal(b.tracks.triangles, a.tracks.triangles)
    np.testing.assert_allclose(b.tracks.track, a.tracks.track, atol=1e-6)
    assert sorted(b.hardware) == sorted(a.hardware) and len(b.rock_albedo) == len(a.rock_albedo)
    np.testing.assert_allclose(b.rock_albedo, a.rock_albedo, rtol=1e-6)
    np.testing.assert_array_equal(read.rock_sizes, direct.rock_sizes)
    assert len(read.pebbles.triangle_ends) == len(direct.pebbles.triangle_ends) > 0
    assert len(read.pebbles.points) == len(direct.pebbles.points)
    off = load_config(None, SMALL)
    write_stage(build_scene(off), tmp_path / "off.usda")
    for name in ("s", "off"):
        render_preview(tmp_path / f"{name}.usda", tmp_path / f"{name}.png", (64, 48), spp=1, variant="llvm_ad_rgb")
    lit, plain = (np.asarray(Image.open(tmp_path / f"{n}.png")).astype(float) for n in ("s", "off"))
    mask = np.asarray(Image.open(tmp_path / "s_mask.png"))
    assert lit.shape == plain.shape == (48, 64, 3) and mask.shape == (48, 64, 3)
    chroma = lambda im: np.abs(im[..., 0] - im[..., 2]).mean()  # noqa: E731  the camera model's colour cast
    assert chroma(plain) < 1.0 and chroma(lit) > chroma(plain)


def test_noise_kernels_match_their_numpy_twin():
    import mitsuba as mi
    from omni.regolith.render.backend import choose_variant
    from omni.regolith.render.noise import value_noise2, value_noise_np

    choose_variant("llvm_ad_rgb")
    rng = np.random.default_rng(0)
    x, y = rng.uniform(-300, 300, 2000).astype(np.float32), rng.uniform(-300, 300, 2000).astype(np.float32)
    n, _, _ = value_noise2(mi, mi.Float(x), mi.Float(y), 5)
    assert np.abs(np.asarray(n) - value_noise_np(x.astype(float), y.astype(float), 5)).max() < 1e-5


def test_photoreal_experiment_arms_are_valid_overrides():
    from pathlib import Path

    import tomllib

    doc = tomllib.loads((Path(__file__).parents[1] / "experiments" / "configs" / "photoreal.toml").read_text())
    arms = doc["arms"]
    assert sum(bool(a.get("reference")) for a in arms.values()) == 1 and "all" in arms
    for name, arm in arms.items():
        load_config(None, list(doc["experiment"].get("set", [])) + list(arm.get("set", [])))
