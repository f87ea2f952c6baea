"""`regolith render`: the drive path, overlay colours, a real 6-frame video, resume, CLI errors."""
import dataclasses

import imageio_ffmpeg
import numpy as np
import pytest

from omni.regolith import REGOLITH, ROCK, SKY
from omni.regolith.video.path import plan_drive, track_points
from omni.regolith.cli import main
from omni.regolith.errors import ConfigError
from omni.regolith.palette import COLORS
from omni.regolith.config.video import VideoConfig
from omni.regolith.video.drive import drive_frames, frames_dir, render_video
from omni.regolith.video.overlay import compose, overlay

from .conftest import SMALL

TINY = VideoConfig(frames=6, fps=12.0, width=64, height=64, spp=2, sun_passes=2)


@pytest.fixture(scope="module")
def tiny_model(tmp_path_factory):
    import torch

    from omni.regolith.learn.model import build_model, save_model

    torch.manual_seed(0)
    return save_model(build_model("b0"), tmp_path_factory.mktemp("model") / "model", 64)


@pytest.fixture(scope="module")
def full_run(small_config, tiny_model, tmp_path_factory):
    out = tmp_path_factory.mktemp("full") / "drive.mp4"
    report = render_video(small_config, out, TINY, model=tiny_model, keep_frames=True, progress=False)
    return out, report


def test_drive_is_smooth_above_ground_and_clear_of_rocks(small_config):
    scene, frames = drive_frames(small_config, dataclasses.replace(TINY, frames=48))
    pos = np.array([f.camera.position for f in frames])
    step = np.linalg.norm(np.diff(pos[:, :2], axis=0), axis=1)
    assert np.allclose(step, TINY.step_m, rtol=0.05)  # constant speed
    ground = scene.terrain.height_at(pos[:, 0], pos[:, 1])
    assert (pos[:, 2] - ground > 0.5 * small_config.camera.height_m).all()
    fwd = np.array([f.camera.forward for f in frames])
    assert np.degrees(np.arccos(np.clip((fwd[1:] * fwd[:-1]).sum(1), -1, 1))).max() < 3.0  # no jumps
    assert np.abs(pos[:, :2]).max() < small_config.terrain.size_m / 2
    dist = np.linalg.norm(scene.rocks.positions[:, None, :2] - pos[None, :, :2], axis=-1).min(1)
    assert (dist > 0.8).all()  # scatter_rocks kept the track clear
    assert frames[0].sun_elevation_deg == small_config.lighting.sun_elevation_deg  # the scene's own sun


def test_longer_drive_starts_the_same_way(small_config):
    a, b = plan_drive(10.0, 3, 15.0), plan_drive(40.0, 3, 15.0)
    assert np.allclose(a.at(np.linspace(0, 5, 20)), b.at(np.linspace(0, 5, 20)), atol=1e-6)
    assert len(track_points(b, 10.0)) == 21


def test_overlay_alpha_one_is_the_palette():
    rng = np.random.default_rng(0)
    mask = rng.integers(0, 3, (120, 160)).astype(np.uint8)
    mask[0, 0] = 255
    rgb = rng.integers(0, 256, (120, 160, 3)).astype(np.uint8)
    out = overlay(rgb, mask, 1.0, 1.0)
    for cls in (REGOLITH, ROCK, SKY):
        assert (out[mask == cls] == COLORS[cls]).all()
    assert (out[0, 0] == rgb[0, 0]).all()  # ignore keeps the image
    soft = overlay(rgb, mask, 0.5, 0.0)
    assert (soft[mask == REGOLITH] == rgb[mask == REGOLITH]).all()
    # the composed frame too, away from the title and legend boxes
    frame = compose(rgb, mask, mask, "overlay", "prediction", 1.0, 1.0)
    assert frame.shape == (120, 160, 3)
    inner = (slice(30, 70), slice(20, 160))
    assert (frame[inner] == np.asarray([COLORS[int(c)] for c in mask[inner].ravel()]).reshape(40, 140, 3)).all()


def test_side_by_side_is_even_sized():
    rgb = np.zeros((33, 21, 3), np.uint8)
    mask = np.zeros((33, 21), np.uint8)
    assert compose(rgb, mask, mask, "side-by-side").shape == (34, 64, 3)
    assert compose(rgb, mask, None, "side-by-side").shape == (34, 42, 3)


def test_video_has_all_frames_and_a_poster(full_run):
    out, report = full_run
    frames, _ = imageio_ffmpeg.count_frames_and_secs(str(out))
    assert frames == 6 and report.rendered == 6 and report.skipped == 0
    assert report.poster.exists() and report.poster.suffix == ".png"
    assert report.size == (64, 64)
    assert report.rock_iou is None or 0.0 <= report.rock_iou <= 1.0
    assert sorted(p.name for p in frames_dir(out).glob("*.png")) == [f"{i:06d}.png" for i in range(6)]


def test_resume_after_interruption_gives_identical_frames(small_config, tiny_model, full_run, tmp_path):
    out = tmp_path / "drive.mp4"

    def stop_after_three(index):
        if index == 2:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        render_video(small_config, out, TINY, model=tiny_model, keep_frames=True, progress=False,
                     on_frame=stop_after_three)
    assert not out.exists()
    assert len(list(frames_dir(out).glob("*.png"))) == 3
    report = render_video(small_config, out, TINY, model=tiny_model, keep_frames=True, progress=False)
    assert (report.rendered, report.skipped) == (3, 3)
    assert imageio_ffmpeg.count_frames_and_secs(str(out))[0] == 6
    for i in range(6):
        name = f"{i:06d}.png"
        assert (frames_dir(out) / name).read_bytes() == (frames_dir(full_run[0]) / name).read_bytes(), name
    with pytest.raises(ConfigError, match="video.spp"):  # other settings never mix into these frames
        render_video(small_config, out, dataclasses.replace(TINY, spp=4), model=tiny_model, progress=False)


def test_cli_no_model_side_by_side(tmp_path, capsys):
    out = tmp_path / "sbs.mp4"
    sets = [a for s in SMALL for a in ("--set", s)]
    rc = main(["render", *sets, "--out", str(out), "--no-model", "--frames", "2", "--resolution", "48x32",
               "--spp", "1", "--layout", "side-by-side", "--no-progress"])
    assert rc == 0, capsys.readouterr().err
    assert imageio_ffmpeg.count_frames_and_secs(str(out))[0] == 2
    assert not frames_dir(out).exists()  # removed once encoded
    assert "rendered 2 frames" in capsys.readouterr().out


@pytest.mark.parametrize("args, message", [
    (["--spp", "0"], "--spp: 0 is outside"),
    (["--fps", "0"], "--fps: 0"),
    (["--frames", "0"], "--frames 0"),
    (["--resolution", "12"], "--resolution"),
    (["--set", "video.sun_passes=0"], "video.sun_passes"),
    (["--overlay", "prediction"], "needs a model"),
])
def test_cli_errors_are_one_line(tmp_path, capsys, args, message):
    assert main(["render", "--out", str(tmp_path / "v.mp4"), "--no-model", *args]) == 2
    err = capsys.readouterr().err.strip()
    assert message in err and "\n" not in err


def test_cli_needs_mp4_and_one_model_choice(tmp_path, capsys):
    assert main(["render", "--out", str(tmp_path / "v.avi"), "--no-model", "--frames", "1"]) == 2
    assert ".mp4" in capsys.readouterr().err
    assert main(["render", "--out", str(tmp_path / "v.mp4"), "--no-model", "--model", "x", "--frames", "1"]) == 2
    assert "contradict" in capsys.readouterr().err


@pytest.mark.parametrize("kind", ["imageio-ffmpeg", "opencv"])
def test_encoders_write_every_frame(tmp_path, kind):
    from omni.regolith.video.encode import Encoder

    if kind == "opencv":
        pytest.importorskip("cv2")
    enc = Encoder(tmp_path / "e.mp4", 64, 48, 12.0, kind=kind)
    for i in range(5):
        enc.write(np.full((48, 64, 3), 40 * i, np.uint8))
    enc.close()
    assert ("imageio" if kind == "imageio-ffmpeg" else "opencv") in enc.name.lower()
    assert imageio_ffmpeg.count_frames_and_secs(str(tmp_path / "e.mp4"))[0] == 5


def test_transcode_to_h264(full_run, tmp_path):
    from omni.regolith.video.encode import transcode_h264

    dst = transcode_h264(full_run[0], tmp_path / "h264.mp4")
    assert imageio_ffmpeg.count_frames_and_secs(str(dst))[0] == 6


def test_video_table_in_the_config_file(tmp_path):
    from omni.regolith.config.video import load_video_config

    path = tmp_path / "c.toml"
    path.write_text("[rocks]\ncount = 7\n\n[video]\nspp = 32\nlayout = \"side-by-side\"\n")
    cfg, video = load_video_config(path, ["video.fps=30", "terrain.resolution=64"])
    assert (cfg.rocks.count, cfg.terrain.resolution) == (7, 64)
    assert (video.spp, video.layout, video.fps) == (32, "side-by-side", 30.0)
    assert cfg.lighting.sun_elevation_deg == 8.0  # the video's low sun overrides the file's ...
    cfg, _ = load_video_config(path, ["lighting.sun_elevation_deg=30"])
    assert cfg.lighting.sun_elevation_deg == 30.0  # ... and --set overrides it
    path.write_text("[video]\nlayout = \"grid\"\n")
    with pytest.raises(ConfigError, match="video.layout: 'grid' is not one of"):
        load_video_config(path)


def test_a_drive_renders_the_photoreal_look(small_config, tmp_path):
    """The levers' look reaches the video (not the dataset camera model, nor hardware on the track)."""
    from omni.regolith.config.files import replace
    from omni.regolith.video.drive import drive_frames, video_scene_config

    on = {name: {"enabled": True} for name in ("microdetail", "pebbles", "label_policy", "rock_surface",
                                                "photometry", "camera_model", "hardware")}
    cfg = video_scene_config(replace(small_config, **on))
    assert not cfg.camera_model.enabled and not cfg.hardware.enabled and cfg.pebbles.enabled
    _, frames = drive_frames(cfg, TINY)
    assert frames[0].microdetail is not None and frames[0].photometry is not None and frames[0].label_policy
    assert frames[0].microdetail == frames[-1].microdetail  # one look for the whole drive
    report = render_video(replace(small_config, **on), tmp_path / "look.mp4", dataclasses.replace(TINY, frames=2),
                          no_model=True, progress=False)
    assert report.frames == 2 and report.path.is_file()
