"""The panels' logic without Kit: validation, TOML round trip, Build into an in-memory stage,
a training child process read line by line, and preview inference on an array."""
from __future__ import annotations

import sys
import textwrap

import numpy as np
import pytest
from pxr import Usd, UsdGeom

from omni.regolith import ROCK, SKY
from omni.regolith.config.files import load_config
from omni.regolith.viewmodels import ConfigDocument, GenerateViewModel, PreviewViewModel, RandomizationViewModel, StageViewModel, TrainViewModel
from omni.regolith.viewmodels.process import cli_command, parse_event

SMALL = ["terrain.resolution=32", "terrain.size_m=30.0", "craters.count=5", "rocks.count=20",
         "rocks.prototypes=2", "lighting.star_texture_width=64", "lighting.star_count=20"]


@pytest.fixture
def doc():
    return ConfigDocument(load_config(None, SMALL))


def test_inline_messages_name_the_field(doc):
    stage = StageViewModel(doc)
    assert stage.set("terrain.resolution", 3) == "terrain.resolution: 3 is outside the allowed range [8, 4096]"
    assert not stage.can_build and stage.errors
    assert stage.set("terrain.resolution", 32) == ""
    stage.set("rocks.min_radius_m", 2.0)
    stage.set("rocks.max_radius_m", 1.0)
    assert "below rocks.min_radius_m" in stage.message("rocks.max_radius_m")
    stage.set("rocks.max_radius_m", 3.0)
    assert stage.can_build
    assert {f.path for f in stage.fields} >= {"seed", "terrain.resolution", "craters.count", "rocks.burial"}
    with pytest.raises(KeyError):
        stage.set("terrain.nope", 1)


def test_every_randomization_range_is_a_validated_pair(doc):
    rnd = RandomizationViewModel(doc)
    names = {f.name for f in rnd.ranges}
    assert {"sun_elevation_deg", "rock_count", "camera_pitch_deg", "hfov_deg"} <= names
    assert all(f.is_pair for f in rnd.ranges) and {f.name for f in rnd.scalars} == {
        "frames_per_layout", "layouts_per_terrain", "close_boulder_share"}
    assert rnd.set_max("rock_count", 600) == ""
    assert rnd.set_min("rock_count", 700) == "randomization.rock_count: min 700 > max 600"
    assert rnd.errors == ["randomization.rock_count: min 700 > max 600"]
    rnd.set_max("rock_count", 900)
    assert rnd.message("rock_count") == "" and rnd.range("rock_count") == (700, 900)
    assert "outside the allowed range" in rnd.set_max("sun_elevation_deg", 95.0)


def test_toml_round_trip_is_the_cli_config(doc, tmp_path):
    rnd = RandomizationViewModel(doc)
    rnd.set_min("sun_elevation_deg", 10.0)
    rnd.set("frames_per_layout", 7)
    path = tmp_path / "ui.toml"
    assert rnd.save(path), rnd.status
    cfg = load_config(path)  # what `regolith generate --config ui.toml` reads
    assert cfg.randomization.sun_elevation_deg == (10.0, 90.0)
    assert cfg.randomization.frames_per_layout == 7 and cfg.terrain.resolution == 32
    other = RandomizationViewModel(ConfigDocument())
    assert other.load(path) and other.doc.config() == cfg
    rnd.set_min("hfov_deg", 200.0)
    assert not rnd.save(tmp_path / "bad.toml") and "hfov_deg" in rnd.status
    assert not (tmp_path / "bad.toml").exists()
    assert not other.load(tmp_path / "missing.toml") and "not found" in other.status


def test_build_writes_the_lunar_stage_into_a_given_stage(doc, tmp_path):
    vm = StageViewModel(doc, star_dir=tmp_path)
    stage = Usd.Stage.CreateInMemory()
    assert vm.build(stage), vm.status
    for path in ("/World/Terrain", "/World/Rocks", "/World/Sun", "/World/Stars", "/World/Rover/Camera"):
        assert stage.GetPrimAtPath(path).IsValid(), path
    n = len(UsdGeom.PointInstancer(stage.GetPrimAtPath("/World/Rocks")).GetPositionsAttr().Get())
    assert 0 < n <= 20 and f"{n} rocks" in vm.status
    assert (stage.GetPrimAtPath("/World/Stars").GetAttribute("inputs:texture:file").Get().path).startswith("/")
    vm.set("rocks.count", 5)
    assert vm.build(stage)  # a rebuild replaces /World instead of failing on existing ops
    assert len(UsdGeom.PointInstancer(stage.GetPrimAtPath("/World/Rocks")).GetPositionsAttr().Get()) <= 5
    assert vm.save(tmp_path / "s" / "moon.usda"), vm.status
    assert (tmp_path / "s" / "stars.png").exists()
    vm.set("terrain.resolution", 2)
    assert not vm.build(stage) and "terrain.resolution" in vm.status


FAKE_TRAINER = textwrap.dedent('''
    import json, sys
    args = sys.argv[1:]
    assert args[:2] == ["train", "--json-progress"], args
    out = args[args.index("--out") + 1]
    def emit(**kw): print(json.dumps(kw), flush=True)
    emit(event="start", total_steps=4)
    print("a line that is not JSON")
    for step in range(1, 5):
        emit(event="step", step=step, epoch=step // 3, loss=1.0 / step, lr=1e-4, images_per_s=12.5)
        if step == 2:
            emit(event="epoch", epoch=0, rock_iou=0.41, miou=0.62)
    if "--fail" in args:
        emit(event="error", message="CUDA out of memory")
        sys.exit(3)
    emit(event="done", model=out + "/model")
''')


@pytest.fixture
def fake_trainer(tmp_path):
    script = tmp_path / "fake_regolith.py"
    script.write_text(FAKE_TRAINER)
    return [sys.executable, str(script)]


def test_training_subprocess_is_parsed_into_metrics(fake_trainer, tmp_path):
    vm = TrainViewModel(data_dir=str(tmp_path), out_dir=str(tmp_path / "run"), cli=fake_trainer)
    assert vm.command()[len(fake_trainer):][:2] == ["train", "--json-progress"]
    assert vm.start(), vm.message
    assert vm.wait(timeout=60) == "done", vm.message
    assert vm.model_path == str(tmp_path / "run" / "model") and vm.progress == 1.0
    assert vm.losses == [(1, 1.0), (2, 0.5), (3, 1 / 3), (4, 0.25)]
    assert vm.metrics["rock_iou"] == 0.41 and vm.metrics["miou"] == 0.62
    assert vm.metrics["images_per_s"] == 12.5 and "a line that is not JSON" in vm.log
    assert "rock IoU 0.410" in vm.summary()


def test_training_error_and_validation(fake_trainer, tmp_path):
    vm = TrainViewModel(data_dir=str(tmp_path), out_dir=str(tmp_path / "r"), extra_args="--fail",
                        cli=fake_trainer)
    assert vm.start() and vm.wait(timeout=60) == "error"
    assert vm.message == "error: CUDA out of memory"
    bad = TrainViewModel(data_dir=str(tmp_path / "nope"), out_dir="", cli=fake_trainer)
    assert not bad.start() and "does not exist" in bad.message and "output folder" in bad.message


def test_training_can_be_stopped(tmp_path):
    script = tmp_path / "slow.py"
    script.write_text("import json, time\nprint(json.dumps({'event': 'start', 'total_steps': 9}), flush=True)\n"
                      "time.sleep(60)\n")
    vm = TrainViewModel(data_dir=str(tmp_path), out_dir=str(tmp_path), cli=[sys.executable, str(script)])
    assert vm.start()
    vm.stop()
    assert vm.state == "stopped" and not vm.proc.running


def test_parse_event_and_cli_command():
    assert parse_event('{"event": "step", "step": 3}') == {"event": "step", "step": 3}
    assert parse_event("step 3") is None and parse_event('{"step": 3}') is None
    assert parse_event("{not json") is None
    assert cli_command("/x/python") == ["/x/python", "-m", "omni.regolith.cli"]


def test_generate_validates_and_runs_headless_subprocess(doc, tmp_path):
    script = tmp_path / "fake_generate.py"
    script.write_text("import sys\nargs = sys.argv[1:]\nassert args[0] == 'generate'\n"
                      "n = int(args[args.index('--frames') + 1])\n"
                      "for i in range(1, n + 1):\n    print(f'generate x: {i}/{n} frames', flush=True)\n")
    vm = GenerateViewModel(doc, cli=[sys.executable, str(script)], backend="headless", frames=3)
    assert not vm.start() and "output folder: required" in vm.message
    vm.out_dir, vm.width, vm.height = str(tmp_path / "ds"), 4, 64
    assert vm.validate() == ["width: 4 must be within [8, 8192]"]
    vm.width = 32
    vm.backend = "replicator"
    assert "needs Isaac Sim" in " ".join(vm.validate())
    vm.backend = "headless"
    assert vm.start(), vm.message
    assert vm.verdict is not None and vm.verdict.message
    vm.proc.wait(60)
    vm.poll()
    assert vm.state == "done" and vm.done == 3 and vm.progress == 1.0
    argv = vm.proc.argv
    cfg = load_config(argv[argv.index("--config") + 1])
    assert cfg.terrain.resolution == 32 and argv[argv.index("--resolution") + 1] == "32x64"


def test_generate_memory_preflight_can_refuse(doc, tmp_path, monkeypatch):
    import omni.regolith.memory as memory

    monkeypatch.setattr(memory, "verdict", lambda need, *a, **k: (False, "needs 900 GiB: would NOT fit"))
    calls = []
    vm = GenerateViewModel(doc, out_dir=str(tmp_path), replicator_launcher=lambda req, v: calls.append(req))
    assert not vm.start() and "would NOT fit" in vm.message and not calls
    vm.force = True
    assert vm.start() and len(calls) == 1
    req = calls[0]
    assert (req.config.render.width, req.config.render.height) == (vm.width, vm.height)
    vm.report(40, 100)
    assert vm.progress == 0.4
    vm.finish(True, "wrote it")
    assert vm.state == "done" and vm.progress == 1.0


def test_generate_starts_when_the_preflight_itself_breaks(doc, tmp_path, monkeypatch):
    import omni.regolith.memory as memory

    def broken(*a, **k):
        raise OSError("/proc/meminfo unreadable")

    monkeypatch.setattr(memory, "verdict", broken)
    cancelled = []
    vm = GenerateViewModel(doc, out_dir=str(tmp_path), replicator_launcher=lambda r, v: lambda: cancelled.append(1))
    assert vm.start() and vm.verdict.ok is None and "failed to run" in vm.verdict.message
    vm.cancel()
    assert cancelled == [1] and vm.state == "cancelled"


class FakeSegmenter:
    """Rock where the image is bright, sky where it is black: enough to check the plumbing."""

    def predict(self, rgb):
        gray = rgb.mean(-1)
        return np.where(gray > 200, ROCK, np.where(gray < 10, SKY, 0)).astype(np.uint8)


def test_preview_inference_overlay_and_rate():
    loaded = []
    vm = PreviewViewModel(loader=lambda path: loaded.append(path) or FakeSegmenter())
    with pytest.raises(RuntimeError):
        vm.infer(np.zeros((4, 4, 3), np.uint8))
    assert vm.load() and loaded == [None]  # '' checkpoint -> the embedded default model
    img = np.full((8, 10, 4), 128, np.uint8)
    img[:2] = 0
    img[4:, 5:] = 255
    for _ in range(3):
        out = vm.infer(img)
    assert out.shape == (8, 10, 4) and out.dtype == np.uint8 and (out[..., 3] == 255).all()
    assert vm.frames == 3 and vm.rock_fraction == pytest.approx(20 / 80)
    assert tuple(out[6, 7, :3]) != (255, 255, 255)  # rock pixels are tinted
    assert vm.fps > 0 and "frames/s" in vm.summary()


def test_preview_load_error_is_reported():
    from omni.regolith.errors import ModelError

    def fail(path):
        raise ModelError("no default model; train one")

    vm = PreviewViewModel(checkpoint="", loader=fail)
    assert not vm.load() and vm.status == "error: no default model; train one" and not vm.loaded


# -- the child interpreter (issue #22, bug 3) ---------------------------------------------------
from omni.regolith.viewmodels.layout import PANELS, DockStep, dock_step, menu_path, window_title  # noqa: E402
from omni.regolith.viewmodels.preview_vm import FrameRate, class_layer  # noqa: E402
from omni.regolith.viewmodels.process import (InterpreterError, PythonSetting, check_python,  # noqa: E402
                                              child_env, find_python, script_python)
from omni.regolith.viewmodels.stage_vm import outline  # noqa: E402


def test_child_env_drops_kit_interpreter_variables():
    kit = {"PYTHONPATH": "/isaac/kit/python/lib", "PYTHONHOME": "/isaac/kit/python", "LD_PRELOAD": "libcarb.so",
           "PATH": "/usr/bin", "HOME": "/root"}
    env = child_env(kit, extra={"X": "1"})
    assert env == {"PATH": "/usr/bin", "HOME": "/root", "PYTHONUNBUFFERED": "1", "X": "1"}
    assert kit["PYTHONPATH"]  # the caller's dict is untouched


def test_find_python_order_setting_path_repo_venv(tmp_path):
    venv = tmp_path / "venv"
    (venv / "bin").mkdir(parents=True)
    (venv / "bin" / "python3").write_text("")
    assert find_python(str(venv)) .python == str(venv / "bin" / "python3")  # a venv folder
    assert find_python(str(venv / "bin" / "python3")).source == "setting"
    with pytest.raises(InterpreterError, match=r"^/exts/omni.regolith/python = '/nope': no such interpreter"):
        find_python("/nope")
    script = tmp_path / "regolith"
    script.write_text(f"#!{venv}/bin/python3\nimport sys\n")
    found = find_python("", which=lambda name: str(script))
    assert found.python == f"{venv}/bin/python3" and "`regolith` on PATH" in found.source
    repo = tmp_path / "repo"
    (repo / ".venv" / "bin").mkdir(parents=True)
    (repo / ".venv" / "bin" / "python").write_text("")
    assert find_python("", [repo], which=lambda name: None).python == str(repo / ".venv" / "bin" / "python")
    with pytest.raises(InterpreterError, match="no Python for `regolith` jobs"):
        find_python("", [tmp_path / "elsewhere"], which=lambda name: None)  # never sys.executable by default
    assert find_python("", [], which=lambda name: None, allow_current=True).python == sys.executable
    assert script_python(tmp_path / "missing") is None


def test_check_python_runs_the_interpreter_once_with_a_clear_message(monkeypatch):
    from omni.regolith.viewmodels.process import ChildPython

    child = ChildPython(sys.executable, "setting")
    monkeypatch.setenv("PYTHONPATH", "/kit/only")  # scrubbed: the child finds omni.regolith on its own or not
    assert "Python 3." in check_python(child, ["json"])
    with pytest.raises(InterpreterError) as err:
        check_python(child, ["json", "surely_not_a_module_xyz"])
    assert str(err.value).startswith(f"{sys.executable} (from setting) lacks surely_not_a_module_xyz: ")
    assert "\n" not in str(err.value)
    with pytest.raises(InterpreterError, match="is not a usable Python"):
        check_python(ChildPython("/bin/false", "setting"), ["json"])
    with pytest.raises(InterpreterError, match="cannot run /no/such/python"):
        check_python(ChildPython("/no/such/python", "setting"), ["json"])


def test_python_setting_checks_once_per_need_and_scrubs_the_child(tmp_path, monkeypatch):
    calls = []

    def run(argv, **kw):
        calls.append(argv)
        import subprocess

        return subprocess.CompletedProcess(argv, 0, stdout='{"version": [3, 11], "missing": [], "regolith": "/r"}\n',
                                           stderr="")

    setting = PythonSetting(sys.executable, run=run)
    assert setting.command(["torch"]) == [sys.executable, "-m", "omni.regolith.cli"]
    setting.command(["torch"])
    setting.command(["mitsuba"])
    assert len(calls) == 2 and "Python 3.11" in setting.status
    # A real child started through a view-model gets Kit's variables removed.
    script = tmp_path / "env_trainer.py"
    script.write_text("import json, os\nprint(json.dumps({'event': 'done', 'model': '%s|%s' % ("
                      "os.environ.get('PYTHONPATH'), os.environ.get('LD_PRELOAD'))}), flush=True)\n")
    monkeypatch.setenv("PYTHONPATH", "/isaac/kit/python/lib")
    monkeypatch.setenv("LD_PRELOAD", "libkit.so")
    vm = TrainViewModel(data_dir=str(tmp_path), out_dir=str(tmp_path), cli=[sys.executable, str(script)],
                        interpreter=PythonSetting(sys.executable, run=run))
    assert vm.start() and vm.wait(timeout=60) == "done", vm.message
    assert vm.model_path == "None|None"


def test_train_and_generate_refuse_a_bad_interpreter_in_one_line(doc, tmp_path):
    bad = PythonSetting(str(tmp_path / "missing-venv"))
    train = TrainViewModel(data_dir=str(tmp_path), out_dir=str(tmp_path), interpreter=bad)
    assert not train.start() and train.proc is None
    assert train.message.startswith("error: /exts/omni.regolith/python = ") and "\n" not in train.message
    gen = GenerateViewModel(doc, out_dir=str(tmp_path / "ds"), backend="headless", frames=1, interpreter=bad)
    gen.force = True
    assert not gen.start() and gen.proc is None and gen.message.startswith("error: /exts/omni.regolith/python")
    assert not (tmp_path / "ds").exists()


# -- panels, docking, overlay accounting, stage outline ----------------------------------------
def test_panels_have_unique_titles_menu_paths_and_dock_together():
    assert [window_title(p) for p in PANELS] == [f"Regolith {p}" for p in PANELS]
    assert "Stage" not in [window_title(p) for p in PANELS]  # Kit's own Stage window keeps its title
    assert menu_path("Train") == "Window/Regolith/Train"
    with pytest.raises(KeyError):
        window_title("Nope")
    exists = {"Viewport", "Property", "Regolith Stage"}.__contains__
    assert dock_step("Regolith Stage", [], exists) == DockStep("Regolith Stage", "Property", "SAME", 0.5)
    assert dock_step("Regolith Stage", [], {"Viewport"}.__contains__).position == "RIGHT"
    assert dock_step("Regolith Train", ["Regolith Stage"], exists) == DockStep("Regolith Train", "Regolith Stage", "SAME")
    assert dock_step("Regolith Train", ["Regolith Gone"], {"Viewport"}.__contains__).target == "Viewport"
    assert dock_step("Regolith Train", [], lambda t: False) is None


def test_overlay_frame_rates_follow_the_clock():
    now = [0.0]
    rate = FrameRate(window_s=2.0, clock=lambda: now[0])
    assert rate.fps == 0.0
    for _ in range(5):
        rate.tick()
        now[0] += 0.1
    assert rate.fps == pytest.approx(10.0) and rate.count == 5
    now[0] = 10.0
    rate.tick()
    assert rate.fps == 0.0  # older stamps left the window

    class Model:
        def predict(self, rgb):
            return np.where(rgb[..., 0] > 100, ROCK, 255).astype(np.uint8)

    vm = PreviewViewModel(loader=lambda p: Model(), on_viewport=True, clock=lambda: now[0], alpha=0.5)
    assert vm.load()
    image = np.zeros((4, 6, 3), np.uint8)
    image[:, :3, 0] = 200
    layer = vm.infer(image)
    assert layer.shape == (4, 6, 4) and (layer[:, :3, 3] == 128).all() and (layer[:, 3:, 3] == 0).all()
    for _ in range(3):
        vm.shown()
        now[0] += 0.5
    assert vm.display_fps == pytest.approx(2.0)
    assert vm.overlay_text().startswith("Regolith preview | 2.0 fps") and "rock 50.0%" in vm.overlay_text()
    np.testing.assert_array_equal(class_layer(np.array([[ROCK]], np.uint8), 1.0)[0, 0, 3], 255)


def test_stage_outline_lists_the_built_tree(doc):
    stage = Usd.Stage.CreateInMemory()
    vm = StageViewModel(doc)
    assert outline(stage) == [] and vm.build(stage), vm.status
    assert vm.tree[0].startswith("World  ") and any("PointInstancer, 20 instances" in line for line in vm.tree)
    assert all(line.startswith("  ") for line in vm.tree[1:])
