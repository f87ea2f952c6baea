"""Issue #24, bad input and bad luck around configs, plans and datasets: NaN and inf refused by name,
malformed --set and config files as one line, bounded frame counts, an edited or corrupt plan
refused on resume and flagged by `stats --check`, a manifest that counts what is on disk, and
locks that refuse a second writer, let shards share a dataset, and die with their process."""
from __future__ import annotations

import json
import shutil
import subprocess
import sys
import threading
import time

import numpy as np
import pytest
from omni.regolith.config.files import load_config, replace
from omni.regolith.config.train import train_config_from_dict
from omni.regolith.config.video import load_video_config
from omni.regolith.dataset import writer as dataset_writer
from omni.regolith.dataset.check import check_dataset
from omni.regolith.dataset.job import open_job
from omni.regolith.errors import ConfigError, DatasetError
from omni.regolith.memory import estimate_generate
from omni.regolith.render.generate import generate

from .failure_helpers import TINY, one_line_error


@pytest.fixture(scope="module")
def tiny():
    return load_config(None, TINY)


@pytest.fixture(scope="module")
def made(tiny, tmp_path_factory):
    """6 generated frames (2 layouts) with their plan, digest, identity and manifest."""
    root = tmp_path_factory.mktemp("gen") / "ds"
    generate(tiny, root, 6, progress=False)
    return root


@pytest.fixture
def ds(made, tmp_path):
    return shutil.copytree(made, tmp_path / "ds")


# -- numbers ---------------------------------------------------------------------------------------
@pytest.mark.parametrize("override", ["render.exposure=nan", "terrain.size_m=nan", "lighting.sun_irradiance=inf",
                                      "randomization.sun_elevation_deg=[nan, 10.0]"])
def test_nan_and_inf_in_a_config_are_refused_by_name(override):
    with pytest.raises(ConfigError, match=f"{override.split('=')[0]}.*finite"):
        load_config(None, [override])


def test_nan_in_command_tables_and_flags_is_refused(tmp_path, capsys):
    with pytest.raises(ConfigError, match="video.speed_mps.*finite"):
        load_video_config(None, ["video.speed_mps=nan"])
    with pytest.raises(ConfigError, match="train.lr.*finite"):
        train_config_from_dict({"lr": float("nan")})
    one_line_error(capsys, ["render", "--out", tmp_path / "v.mp4", "--fps", "nan"], "--fps", "finite")
    one_line_error(capsys, ["train", "--data", tmp_path, "--out", tmp_path / "r", "--lr", "nan"], "--lr", "finite")
    one_line_error(capsys, ["evaluate", "--out", tmp_path / "e", "--crop", "inf"], "--crop", "finite")
    one_line_error(capsys, ["plan", "--frames", "2", "--out", tmp_path / "p.jsonl", "--set", "render.exposure=nan"],
                   "render.exposure")
    assert not (tmp_path / "p.jsonl").exists()


def test_set_and_config_file_mistakes_are_one_line(tmp_path, capsys):
    out = tmp_path / "p.jsonl"
    one_line_error(capsys, ["plan", "--frames", 2, "--out", out, "--set", "rocks.count=1", "--set", "rocks.count.x=1"],
                   "rocks.count is a value")
    one_line_error(capsys, ["plan", "--frames", 2, "--out", out, "--set", "rocks=1", "--set", "rocks.count=1"],
                   "rocks")
    one_line_error(capsys, ["plan", "--frames", 2, "--out", out, "--config", tmp_path], "a folder")
    latin = tmp_path / "latin1.toml"
    latin.write_bytes("seed = 1 # Mond\xe9\n".encode("latin-1"))
    one_line_error(capsys, ["plan", "--frames", 2, "--out", out, "--config", latin], "UTF-8")
    assert not out.exists()


@pytest.mark.parametrize("frames", ["0", "-1", "99999999999"])
def test_frame_counts_are_bounded(tmp_path, capsys, frames):
    one_line_error(capsys, ["plan", "--frames", frames, "--out", tmp_path / "p.jsonl"], "--frames")
    one_line_error(capsys, ["generate", "--frames", frames, "--out", tmp_path / "d"], "--frames")
    assert list(tmp_path.iterdir()) == []


def test_the_generate_preflight_counts_the_plan():
    base = estimate_generate(64, 64, 1, 64, 1000)
    assert estimate_generate(64, 64, 1, 64, 1000, frames=1_000_000) - base >= 1_000_000 * 1400


# -- plans and manifests -----------------------------------------------------------------------------
def test_an_edited_plan_is_refused_on_resume_and_flagged_by_check(tiny, ds):
    lines = (ds / "frames.jsonl").read_text().splitlines()
    record = json.loads(lines[4])
    record["sun_elevation_deg"] = -500.0
    lines[4] = json.dumps(record, sort_keys=True)
    (ds / "frames.jsonl").write_text("\n".join(lines) + "\n")
    problems = check_dataset(ds)
    assert any("frame 4: sun_elevation_deg is -500.0" in p for p in problems), problems
    (ds / "rgb" / "00004.png").unlink()  # so that a resume would render the edited frame
    with pytest.raises(DatasetError, match="frame 4: sun_elevation_deg"):
        generate(tiny, ds, 6, progress=False)
    assert not (ds / "rgb" / "00004.png").exists()


def test_a_plan_without_its_digest_is_checked_and_resumes(tiny, ds):
    """A kill between writing frames.jsonl and its digest must not lose the dataset."""
    (ds / "frames.jsonl.sha256").unlink()
    (ds / "rgb" / "00005.png").unlink()
    assert generate(tiny, ds, 6, progress=False).rendered == 1
    assert (ds / "frames.jsonl.sha256").is_file() and check_dataset(ds) == []


@pytest.mark.parametrize("damage", ["identity", "plan_line", "plan_bytes"])
def test_corrupt_dataset_files_are_one_line_on_resume(ds, tmp_path, capsys, damage):
    if damage == "identity":
        (ds / ".regolith-dataset.json").write_text('{"config": ')
    elif damage == "plan_line":
        (ds / "frames.jsonl").write_text((ds / "frames.jsonl").read_text() + '{"index": 6\n')
    else:
        (ds / "frames.jsonl").write_bytes(b"\xff\xfe" + (ds / "frames.jsonl").read_bytes())
    args = [f"--set={s}" for s in TINY]
    msg = one_line_error(capsys, ["generate", "--frames", 6, "--out", ds, "--no-progress", *args])
    assert {"identity": ".regolith-dataset.json", "plan_line": "frames.jsonl:7",
            "plan_bytes": "UTF-8"}[damage] in msg


def test_a_smaller_frames_run_keeps_the_manifest_true(tiny, ds):
    report = generate(tiny, ds, 3, progress=False)
    manifest = json.loads((ds / "manifest.json").read_text())
    assert (manifest["frames_planned"], manifest["frames_complete"]) == (6, 6)
    assert report.planned == 6 and check_dataset(ds) == []


def test_check_compares_manifest_plan_and_disk(ds):
    manifest = json.loads((ds / "manifest.json").read_text())
    (ds / "manifest.json").write_text(json.dumps({**manifest, "frames_planned": 3, "frames_complete": 3}))
    depth = np.load(ds / "depth" / "00001.npy")
    dataset_writer.atomic_write_bytes(ds / "depth" / "00001.png", dataset_writer.depth_png16_bytes(depth))
    problems = "\n".join(check_dataset(ds))
    assert "frames_planned 3, but frames.jsonl plans 6" in problems
    assert "frames_complete 3, but 6 frames are complete" in problems
    assert "depth/00001: both .npy and .png" in problems


def test_check_without_a_config_still_checks_ranges(ds):
    (ds / ".regolith-dataset.json").unlink()
    lines = (ds / "frames.jsonl").read_text().splitlines()
    record = json.loads(lines[0])
    record.update(sun_elevation_deg=-500.0, rock_albedo="grey")
    lines[0] = json.dumps(record)
    (ds / "frames.jsonl").write_text("\n".join(lines) + "\n")
    problems = "\n".join(check_dataset(ds))
    assert "frame 0: sun_elevation_deg -500.0 is outside [0.0, 90.0]" in problems
    assert "frame 0: rock_albedo is \"grey\", not a finite number" in problems


# -- concurrent writers ------------------------------------------------------------------------------
def test_one_shard_has_one_writer(tiny, tmp_path):
    from omni.regolith.errors import BusyError

    job = open_job(tiny, tmp_path / "d", 3, 32, 32)
    with pytest.raises(BusyError, match="shard 0/1 .* in use by another regolith process"):
        generate(tiny, tmp_path / "d", 3, progress=False)
    with pytest.raises(BusyError):  # another seed into the same folder, at the same time
        generate(replace(tiny, seed=5), tmp_path / "d", 3, progress=False)
    job.release()
    assert generate(tiny, tmp_path / "d", 3, progress=False).rendered == 3


def _race(tmp_path, monkeypatch, configs_and_shards):
    """open_job from threads started together, with the identity write slowed down so a
    check-then-write race (both see an empty folder, both write) would show every time."""
    real = dataset_writer.atomic_write_text

    def slow(path, text):
        time.sleep(0.3)
        return real(path, text)

    monkeypatch.setattr(dataset_writer, "atomic_write_text", slow)
    results, start = {}, threading.Barrier(len(configs_and_shards))

    def run(i, cfg, shard):
        start.wait()
        try:
            results[i] = open_job(cfg, tmp_path / "d", 3, 32, 32, shard)
        except DatasetError as exc:
            results[i] = exc

    threads = [threading.Thread(target=run, args=(i, c, s)) for i, (c, s) in enumerate(configs_and_shards)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return [results[i] for i in range(len(threads))]


def test_two_seeds_started_together_into_one_folder_one_is_refused(tiny, tmp_path, monkeypatch):
    got = _race(tmp_path, monkeypatch, [(tiny, (0, 2)), (replace(tiny, seed=7), (1, 2))])
    assert sorted(type(r).__name__ for r in got) == ["DatasetError", "Job"], got
    assert "another config" in str(next(r for r in got if isinstance(r, DatasetError)))


def test_shards_started_together_share_one_dataset(tiny, tmp_path, monkeypatch):
    jobs = _race(tmp_path, monkeypatch, [(tiny, (0, 2)), (tiny, (1, 2))])
    assert all(not isinstance(j, Exception) for j in jobs), jobs
    assert sorted(j.shard for j in jobs) == [(0, 2), (1, 2)] and jobs[0].plan == jobs[1].plan


def test_a_killed_writer_leaves_no_stuck_lock(tmp_path):
    from omni.regolith.errors import BusyError
    from omni.regolith.lock import FolderLock

    holder = subprocess.Popen([sys.executable, "-c", "import sys, time; from omni.regolith.lock import FolderLock; "
                               f"lock = FolderLock({str(tmp_path)!r}); print('held', flush=True); time.sleep(60)"],
                              stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "held"
        with pytest.raises(BusyError, match=f"pid {holder.pid}"):
            FolderLock(tmp_path)
    finally:
        holder.kill()  # SIGKILL: no cleanup runs in the holder
        holder.wait()
    FolderLock(tmp_path).release()
