"""The Kit layer against the recording stand-in in `tests/kit_standin` (no Isaac Sim here).

Imports every Kit-layer module, builds every panel and calls every button's clicked_fn, so a
typo, a wrong widget or keyword name or an unwired button fails. The Replicator backend runs on
the stand-in's ray caster, which can drop instanced labels like IsaacSim#253/#256, to check the
audit. What this does not prove is listed in tests/kit_standin/README.md.
"""
from __future__ import annotations

import asyncio
import importlib
import json
import sys
import time
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from omni.regolith import IGNORE_ID, REGOLITH, ROCK, SKY
from omni.regolith.config.files import config_to_toml, load_config
from omni.regolith.errors import RenderError

STANDIN = Path(__file__).resolve().parent / "kit_standin"
SMALL = ["terrain.resolution=32", "terrain.size_m=30.0", "craters.count=5", "rocks.count=20",
         "rocks.prototypes=2", "rocks.spread_m=10.0", "rocks.min_radius_m=0.3", "rocks.max_radius_m=1.0",
         "randomization.rock_count=[30, 30]", "lighting.star_texture_width=64", "lighting.star_count=20",
         "render.width=32", "render.height=24"]
KIT_MODULES = ["omni.regolith.kit", "omni.regolith.kit.extension", "omni.regolith.kit.window",
               "omni.regolith.kit.preview", "omni.regolith.kit.replicator_backend"]


@pytest.fixture(scope="module")
def kit():
    sys.path.insert(0, str(STANDIN))
    import standin

    yield standin
    standin.uninstall()


@pytest.fixture
def standin(kit):
    kit.reset()
    return kit


@pytest.fixture(scope="module")
def cfg():
    return load_config(None, SMALL)


def run(coro, timeout=120):
    return asyncio.run(asyncio.wait_for(coro, timeout))


async def until(predicate, timeout=60.0, what="condition"):
    t0 = time.monotonic()
    while not predicate():
        if time.monotonic() - t0 > timeout:
            raise AssertionError(f"timed out waiting for {what}")
        await asyncio.sleep(0.02)


def test_every_kit_module_imports(kit):
    for name in KIT_MODULES:
        importlib.import_module(name)
    from omni.regolith.kit import RegolithExtension

    import omni.ext

    assert issubclass(RegolithExtension, omni.ext.IExt)


def test_menu_toggles_one_window_and_shutdown_leaves_nothing(standin):
    from omni.regolith.kit import RegolithExtension

    ext = RegolithExtension()
    ext.on_startup("omni.regolith-0.1.0")
    (item,) = standin.menus["Window"]
    assert item.name == "Regolith" and item.ticked and not item.ticked_fn()
    assert "Regolith" in standin.show_fns and "Regolith" not in standin.windows  # built on first show
    item.onclick_fn()
    window = standin.windows["Regolith"]
    assert item.ticked_fn() and window.visible
    item.onclick_fn()
    assert not item.ticked_fn() and not window.visible and standin.windows["Regolith"] is window
    item.onclick_fn()
    assert window.visible
    ext.on_shutdown()
    assert standin.menus == {} and standin.show_fns == {} and standin.windows == {} and window.destroyed


def test_show_on_startup_setting(standin):
    from omni.regolith.kit import RegolithExtension

    standin.settings["/exts/omni.regolith/show_on_startup"] = True
    ext = RegolithExtension()
    ext.on_startup("omni.regolith-0.1.0")
    assert standin.windows["Regolith"].visible
    ext.on_shutdown()
    assert standin.windows == {}


def _sections(standin) -> dict:
    """(section title, button text) -> the live Button."""
    out = {}
    for button in standin.find("Button"):
        parent = button.parent
        while parent is not None and type(parent).__name__ != "CollapsableFrame":
            parent = parent.parent
        key = (parent.title if parent else None, button.text)
        assert key not in out, f"two buttons {key}"
        out[key] = button
    return out


def _in_section(standin, title, kind):
    found = []
    for w in standin.find(kind):
        parent = w.parent
        while parent is not None and getattr(parent, "title", None) != title:
            parent = parent.parent
        if parent is not None:
            found.append(w)
    return found


FAKE_TRAINER = """
import json, sys
out = sys.argv[sys.argv.index("--out") + 1]
print(json.dumps({"event": "start", "total_steps": 2}), flush=True)
for s in (1, 2):
    print(json.dumps({"event": "step", "step": s, "epoch": 0, "loss": 1.0 / s, "lr": 1e-4, "images_per_s": 9.0}), flush=True)
print(json.dumps({"event": "epoch", "epoch": 0, "rock_iou": 0.5, "miou": 0.7}), flush=True)
print(json.dumps({"event": "done", "model": out + "/model"}), flush=True)
"""


class FakeSegmenter:
    def predict(self, rgb):
        return np.where(rgb[..., 1] > 128, ROCK, REGOLITH).astype(np.uint8)


def test_every_button_of_every_panel_is_wired(standin, cfg, tmp_path):
    from omni.regolith.kit.window import RegolithWindow

    (tmp_path / "small.toml").write_text(config_to_toml(cfg))
    trainer = tmp_path / "fake_regolith.py"
    trainer.write_text(FAKE_TRAINER)
    settings = {"config": str(tmp_path / "small.toml"), "out_dir": str(tmp_path / "out"), "rt_subframes": 1}

    async def scenario():
        import omni.usd

        harness = asyncio.all_tasks()
        win = RegolithWindow("Regolith", settings)
        win.train_vm.cli = [sys.executable, str(trainer)]
        win.preview.vm.loader = lambda path: FakeSegmenter()
        standin.windows["Regolith"].draw()
        buttons = _sections(standin)
        expected = [("Stage", "Build"), ("Stage", "Save"), ("Randomization", "Save"), ("Randomization", "Load"),
                    ("Generate", "Check memory"), ("Generate", "Start"), ("Generate", "Cancel"),
                    ("Train", "Start"), ("Train", "Stop"),
                    ("Preview", "Load model"), ("Preview", "Start"), ("Preview", "Stop")]
        assert sorted(buttons) == sorted(expected)
        (label,) = standin.find("Label", text="terrain.resolution")
        field = next(w for w in label.parent.children if type(w).__name__ == "IntField")
        field.model.set_value(3)
        (message,) = [m for m in standin.find("Label") if m.text.startswith("terrain.resolution: 3 ")]
        assert message.visible and not win.stage_vm.can_build
        field.model.set_value(32)
        assert not message.visible and message.text == ""
        _in_section(standin, "Generate", "IntField")[0].model.set_value(2)  # frames
        assert win.gen_vm.frames == 2 and win.gen_vm.backend == "replicator"
        stage = omni.usd.get_context().get_stage()
        for key in expected:
            _sections(standin)[key].call_clicked_fn()
            if key == ("Stage", "Build"):
                assert stage.GetPrimAtPath("/World/Terrain").IsValid(), win.stage_vm.status
            elif key == ("Stage", "Save"):
                assert Path(win.stage_path).exists(), win.stage_vm.status
            elif key == ("Randomization", "Save"):
                assert load_config(win.toml_path) == cfg, win.rand_vm.status
            elif key == ("Randomization", "Load"):
                assert "loaded" in win.rand_vm.status and standin.windows["Regolith"].frame.builds == 2
            elif key == ("Generate", "Check memory"):
                assert win.gen_vm.verdict.message
            elif key == ("Generate", "Start"):
                assert win.gen_vm.state == "running", win.gen_vm.message
                await until(lambda: win.generate_task.done(), what="the Replicator run")
                assert win.gen_vm.state == "done", win.gen_vm.message
            elif key == ("Train", "Start"):
                await until(lambda: win.train_vm.state != "running", what="the fake trainer")
                assert win.train_vm.state == "done", (win.train_vm.message, win.train_vm.log)
            elif key == ("Preview", "Load model"):
                await until(lambda: win.preview.vm.loaded, what="the model")
            elif key == ("Preview", "Start"):
                await until(lambda: win.preview.shown >= 2, what="two overlays")
                assert "frames/s" in win.preview._status.text
        await until(lambda: "done" in win._train_status.text and "rock IoU 0.500" in win._train_status.text,
                    what="the train panel")
        assert win._gen_bar.model.get_value_as_float() == 1.0 and win._train_bar.model.get_value_as_float() == 1.0
        win.destroy()
        await asyncio.sleep(0.05)
        others = asyncio.all_tasks() - harness
        assert not others, f"tasks left running: {others}"
        assert standin.windows == {}

    run(scenario())
    data = tmp_path / "out" / "dataset"
    assert sorted(p.name for p in (data / "mask").iterdir()) == ["00000.png", "00001.png"]
    manifest = json.loads((data / "manifest.json").read_text())
    assert manifest["renderer"]["backend"] == "replicator" and manifest["frames_complete"] == 2


def _backend_run(standin, cfg, out, frames=2, **kw):
    import omni.usd

    from omni.regolith.kit.replicator_backend import ReplicatorBackend
    from omni.regolith.viewmodels.generate_vm import GenerateRequest

    warnings, progress = [], []
    backend = ReplicatorBackend(lambda: omni.usd.get_context().get_stage(), rt_subframes=1,
                                warn=warnings.append, **kw)
    request = GenerateRequest(cfg, frames, cfg.render.width, cfg.render.height, out)
    result = run(backend.run(request, progress=lambda d, t: progress.append((d, t))))
    return backend, warnings, progress, result


def test_replicator_run_writes_our_layout(standin, cfg, tmp_path):
    backend, warnings, progress, result = _backend_run(standin, cfg, tmp_path / "ds")
    assert warnings == [] and not backend.deinstanced and progress == [(1, 2), (2, 2)]
    assert backend.audits[0].ok is True  # the probe always concludes
    for i in range(2):
        rgb = np.asarray(Image.open(tmp_path / "ds" / "rgb" / f"{i:05d}.png"))
        mask = np.asarray(Image.open(tmp_path / "ds" / "mask" / f"{i:05d}.png"))
        depth = np.load(tmp_path / "ds" / "depth" / f"{i:05d}.npy")
        assert rgb.shape == (24, 32, 3) and mask.shape == (24, 32) and depth.dtype == np.float32
        assert set(np.unique(mask)) <= {REGOLITH, ROCK, SKY} and (depth[mask == SKY] == 0).all()
        assert (depth[mask != SKY] > 0).all()
    assert (tmp_path / "ds" / "frames.jsonl").read_text().count("\n") == 2
    import omni.usd

    assert not omni.usd.get_context().get_stage().GetPrimAtPath("/RegolithCapture")  # cleaned up
    import omni.replicator.core as rep

    assert rep._annotators == [] and rep._live == []  # detached and destroyed
    assert "wrote 2 frames" in result


def test_dropped_instance_labels_are_caught_and_rerendered(standin, cfg, tmp_path):
    standin.replicator["drop_instanced_labels"] = True
    backend, warnings, _, _ = _backend_run(standin, cfg, tmp_path / "ds")
    assert backend.deinstanced and len(warnings) == 1 and "IsaacSim#253" in warnings[0]
    assert backend.audits[0].ok is False and backend.audits[1].ok is True
    import omni.usd
    from pxr import UsdGeom

    stage = omni.usd.get_context().get_stage()
    assert not stage.GetPrimAtPath("/World/Rocks").IsActive()
    n_rocks = len(UsdGeom.PointInstancer(stage.GetPrimAtPath("/World/Rocks")).GetPositionsAttr().Get())
    assert len(stage.GetPrimAtPath("/World/RockMeshes").GetChildren()) == n_rocks > 20
    masks = [np.asarray(Image.open(tmp_path / "ds" / "mask" / f"{i:05d}.png")) for i in range(2)]
    assert any((m == ROCK).any() for m in masks) and all((m != IGNORE_ID).all() for m in masks)
    manifest = json.loads((tmp_path / "ds" / "manifest.json").read_text())
    assert manifest["renderer"]["deinstanced_rocks"] is True


def test_missing_rock_labels_stop_the_run_before_any_mask(standin, cfg, tmp_path):
    standin.replicator["drop_all_rock_labels"] = True
    with pytest.raises(RenderError, match="still missing after de-instancing"):
        _backend_run(standin, cfg, tmp_path / "ds")
    assert list((tmp_path / "ds" / "mask").iterdir()) == []


def test_usd_capture_camera_matches_the_plan_record(standin, cfg):
    """Depth rendered through the USD camera, back-projected with the record's OpenCV intrinsics
    and cam_to_world, lands on the terrain: the two camera conventions agree."""
    import raycast
    from pxr import Usd

    from omni.regolith.kit import replicator_backend as rb
    from omni.regolith.plan.sample import sample_plan

    record = sample_plan(cfg, 1)[0]
    from omni.regolith.plan.layout import layout_scene

    scene = layout_scene(cfg, [record])
    stage = Usd.Stage.CreateInMemory()
    rb.author_layout(stage, scene, "/tmp/stars.png", deinstance=False)
    rb.ensure_capture_camera(stage)
    rb.apply_frame(stage, record, cfg, 32, 24)
    out = raycast.render(stage, rb.CAPTURE_CAMERA, 32, 24)
    ids = out["semantic_segmentation"]
    mask = rb.semantic_to_mask(ids["data"], ids["info"]["idToLabels"])
    depth = rb.planar_depth(out["distance_to_image_plane"], mask)
    k, m = record.intrinsics, record.camera.cam_to_world()
    v, u = np.nonzero(mask == REGOLITH)
    d = depth[v, u]
    cam = np.stack([d * (u - k["cx"]) / k["fx"], d * (v - k["cy"]) / k["fy"], d, np.ones_like(d)])
    world = (m @ cam)[:3].T
    ground = scene.terrain.height_at(world[:, 0], world[:, 1])
    assert len(d) > 50 and np.abs(world[:, 2] - ground).max() < 0.05


def test_deinstancing_keeps_the_world_geometry(kit, cfg):
    from pxr import Usd, UsdGeom

    from omni.regolith.stage.read import _rocks_from_instancer
    from omni.regolith.kit.replicator_backend import deinstance_rocks
    from omni.regolith.stage.author import author_stage
    from omni.regolith.scene.build import build_scene

    stage = author_stage(build_scene(cfg))
    before, _ = _rocks_from_instancer(stage, UsdGeom.PointInstancer(stage.GetPrimAtPath("/World/Rocks")))
    n = deinstance_rocks(stage)
    pts = []
    for prim in stage.GetPrimAtPath("/World/RockMeshes").GetChildren():
        mesh = UsdGeom.Mesh(prim.GetChild("Mesh"))
        mat = np.asarray(mesh.ComputeLocalToWorldTransform(Usd.TimeCode.Default()))
        p = np.asarray(mesh.GetPointsAttr().Get(), float)
        pts.append(p @ mat[:3, :3] + mat[3, :3])
        assert list(prim.GetChild("Mesh").GetAttribute("semantics:labels:class").Get()) == ["rock"]
        assert not prim.IsInstanceable()
    assert n == 20 and not stage.GetPrimAtPath("/World/Rocks").IsActive()
    np.testing.assert_allclose(np.concatenate(pts), before, atol=1e-4)


def test_semantic_ids_map_to_our_classes(kit):
    from omni.regolith.kit.replicator_backend import semantic_to_mask

    ids = np.array([[0, 1, 2], [3, 4, 5]], np.uint32)
    labels = {"0": {"class": "BACKGROUND"}, "1": {"class": "UNLABELLED"}, "2": {"class": "regolith"},
              "3": {"class": "rock,rock"}, "4": "class:rock", "5": {"class": "crater_marker"}}
    np.testing.assert_array_equal(semantic_to_mask(ids, labels),
                                  [[SKY, IGNORE_ID, REGOLITH], [ROCK, ROCK, IGNORE_ID]])


def test_viewport_capture_capsule_becomes_an_image(standin):
    from omni.regolith.kit.preview import PreviewPanel
    from omni.regolith.viewmodels import PreviewViewModel

    async def scenario():
        panel = PreviewPanel(PreviewViewModel(loader=lambda p: FakeSegmenter()))
        frame = await panel._capture(asyncio.get_running_loop())
        panel.destroy()
        return frame

    frame = run(scenario())
    assert frame.shape == (48, 64, 4) and frame[0, -1, 0] == 255 and frame[-1, 0, 1] == 220
