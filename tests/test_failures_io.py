"""Issue #24, the file system and the outputs: a failed video write never replaces a good video,
unwritable outputs are refused before any work, a full disk is one line, evaluate never writes
among the images it scores and bounds huge images, and doctor names what is wrong."""
from __future__ import annotations

import resource
from pathlib import Path

import numpy as np
import pytest
from omni.regolith.cli import main
from omni.regolith.errors import DatasetError, RenderError
from omni.regolith.evaluate.run import run_evaluation
from omni.regolith.video.encode import encode_frames, video_frame_path
from PIL import Image

from .failure_helpers import one_line_error


class _FileSizeLimit:
    """`ulimit -f`: writes past `limit` bytes fail (EFBIG; ffmpeg is killed by SIGXFSZ), as on a full disk."""

    def __init__(self, limit: int):
        self.limit = limit

    def __enter__(self):
        self.old = resource.getrlimit(resource.RLIMIT_FSIZE)
        resource.setrlimit(resource.RLIMIT_FSIZE, (self.limit, self.old[1]))

    def __exit__(self, *exc):
        resource.setrlimit(resource.RLIMIT_FSIZE, self.old)


def test_a_failed_video_write_keeps_the_good_video(tmp_path):
    work, out = tmp_path / "v.mp4.frames", tmp_path / "v.mp4"
    work.mkdir()
    rng = np.random.default_rng(0)
    for i in range(6):  # noise: the video is far larger than the limit below
        Image.fromarray(rng.integers(0, 255, (64, 96, 3), dtype=np.uint8)).save(video_frame_path(work, i))
    encode_frames(work, 6, out, 24.0, progress=False)
    good = out.read_bytes()
    with _FileSizeLimit(len(good) // 2), pytest.raises(RenderError, match="ffmpeg failed"):
        encode_frames(work, 6, out, 24.0, progress=False)
    assert out.read_bytes() == good
    assert sorted(p.name for p in tmp_path.iterdir()) == ["v.mp4", "v.mp4.frames", "v.png"]  # no partial file


def test_a_full_disk_is_one_line_and_leaves_no_temp_file(tmp_path, capsys):
    with _FileSizeLimit(20_000):
        one_line_error(capsys, ["plan", "--frames", 200, "--out", tmp_path / "p.jsonl"], "p.jsonl", "too large")
    assert list(tmp_path.iterdir()) == []


def test_unwritable_outputs_are_refused_before_any_work(tmp_path, capsys):
    a_file = tmp_path / "file"
    a_file.write_text("x")
    one_line_error(capsys, ["generate", "--frames", 2, "--out", a_file], "not a folder")
    one_line_error(capsys, ["generate", "--frames", 2, "--out", a_file / "ds"], "is a file, not a folder")
    one_line_error(capsys, ["train", "--data", tmp_path, "--out", a_file / "run"], "is a file")
    one_line_error(capsys, ["plan", "--frames", 2, "--out", "/proc/regolith/p.jsonl"], "/proc")
    one_line_error(capsys, ["evaluate", "--out", "/dev/null"], "/dev")
    one_line_error(capsys, ["stage", "build", "--out", "/sys/stage.usda"], "/sys")
    folder = tmp_path / "v.mp4"
    folder.mkdir()
    one_line_error(capsys, ["render", "--out", folder, "--no-model", "--frames", 1, "--resolution", "16x16",
                            "--spp", 1, "--no-progress"], "a folder")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["file", "v.mp4"]  # no frames folder: nothing rendered


def test_a_second_render_or_training_into_one_out_is_refused(tmp_path, capsys):
    from omni.regolith.lock import FolderLock

    frames = tmp_path / "v.mp4.frames"
    frames.mkdir()
    with FolderLock(frames):  # another render of v.mp4 is running
        one_line_error(capsys, ["render", "--out", tmp_path / "v.mp4", "--no-model", "--frames", 1,
                                "--resolution", "16x16", "--no-progress"], "in use by another regolith process")
    run = tmp_path / "run"
    run.mkdir()
    with FolderLock(run):
        one_line_error(capsys, ["train", "--data", tmp_path, "--out", run], "in use", "pid")
    assert [p.name for p in run.iterdir()] == [".regolith-lock"]


class _ShapeSegmenter:
    """Predicts regolith everywhere and remembers the sizes it was given."""

    name = "shapes"

    def __init__(self):
        self.shapes = []

    def predict(self, rgb):
        self.shapes.append(rgb.shape[:2])
        return np.zeros(rgb.shape[:2], np.uint8)


def _image_folder(root: Path, h: int, w: int) -> Path:
    root.mkdir(parents=True)
    Image.fromarray(np.full((h, w, 3), 90, np.uint8)).save(root / "a.png")
    mask = np.zeros((h, w), np.uint8)
    mask[: h // 4] = 2
    Image.fromarray(mask).save(root / "a_mask.png")
    return root


def test_evaluate_never_writes_among_its_images(tmp_path):
    images = _image_folder(tmp_path / "imgs", 8, 8)
    for out in (images, images / "report", tmp_path):
        with pytest.raises(DatasetError, match="image folder"):
            run_evaluation(out, images=images, segmenter=_ShapeSegmenter(), progress=False)
    assert sorted(p.name for p in images.iterdir()) == ["a.png", "a_mask.png"]


def test_evaluate_scales_huge_images_down(tmp_path):
    images = _image_folder(tmp_path / "imgs", 40, 4200)
    seg = _ShapeSegmenter()
    metrics = run_evaluation(tmp_path / "out", images=images, segmenter=seg, progress=False)
    assert max(seg.shapes[0]) == 4096
    assert metrics["sets"][0]["per_image"][0]["scaled_from"] == [4200, 40]
    assert "scaled down to 4096" in (tmp_path / "out" / "report.md").read_text()
    assert metrics["sets"][0]["model"]["per_class_iou"]["sky"] == 0.0  # the mask was scaled alike


def test_a_bad_usd_file_is_one_line(tmp_path, capsys):
    bad = tmp_path / "bad.usda"
    bad.write_text("not usd at all")
    one_line_error(capsys, ["stage", "preview", bad, "--out", tmp_path / "p.png"], "cannot open USD stage")


def test_doctor_refuses_bad_values_and_names_a_bad_llvm_variable(capsys, monkeypatch):
    one_line_error(capsys, ["doctor", "--spp", "-1"], "--spp")
    one_line_error(capsys, ["doctor", "--batch-size", "0"], "--batch-size")
    monkeypatch.setenv("DRJIT_LIBLLVM_PATH", "/nowhere/libLLVM-19.so")
    assert main(["doctor"]) == 1
    out = capsys.readouterr().out
    assert "problem: DRJIT_LIBLLVM_PATH=/nowhere/libLLVM-19.so: no such file" in out
    for check in ("video encoder", "models", "disk", "real images"):
        assert f"\n{check:<14}: " in out
