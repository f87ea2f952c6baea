"""The distributed engine's local mode on 2 CPU cores: two worker processes write the same bytes as
one process, one merged manifest, and a worker killed mid-run loses nothing (its shard is retried)."""
import json
import os
import signal
import threading
import time

import pytest
from omni.regolith.config.files import load_config
from omni.regolith.errors import ConfigError
from omni.regolith.render.generate import generate
from omni.regolith.scale.engine import Task, open_engine, run_tasks
from omni.regolith.scale.generate import generate_scaled, task_shards
from omni.regolith.scale.slots import Slot, make_slots, pick_gpus, procs_per_gpu

from tests.conftest import SMALL

FRAMES = 24
CFG = SMALL + ["render.width=32", "render.height=32", "randomization.frames_per_layout=2",
               "randomization.rock_count=[20, 40]"]


@pytest.fixture(scope="module")
def cfg():
    return load_config(None, CFG)


@pytest.fixture(scope="module")
def reference(cfg, tmp_path_factory):
    out = tmp_path_factory.mktemp("one_process") / "data"
    generate(cfg, out, FRAMES, progress=False)
    return files(out)


@pytest.fixture(scope="module")
def client():
    with open_engine(make_slots([], 2)) as c:
        yield c


def files(root) -> dict:
    """Every frame file and the plan, by name (atomic-write temporaries would show up too)."""
    found = {p.relative_to(root).as_posix(): p.read_bytes() for sub in ("rgb", "mask", "depth")
             for p in (root / sub).iterdir()}
    found["frames.jsonl"] = (root / "frames.jsonl").read_bytes()
    return found


def test_slots_gpus_and_shards():
    assert procs_per_gpu("auto", [], cpu_count=64) == 1  # one CPU process already uses every core
    assert procs_per_gpu("auto", ["0"], cpu_count=16) == 4
    assert procs_per_gpu("auto", ["0", "1", "2", "3"], cpu_count=16) == 1
    assert procs_per_gpu("3", ["0"]) == 3
    with pytest.raises(ConfigError, match="procs-per-gpu"):
        procs_per_gpu("many", ["0"])
    assert pick_gpus("all", ["0", "1"]) == ["0", "1"] and pick_gpus("1", ["0", "1"]) == ["1"]
    with pytest.raises(ConfigError, match="GPU 7 not visible"):
        pick_gpus("0,7", ["0", "1"])
    assert [s.name for s in make_slots(["0", "1"], 2)] == ["gpu0-p0", "gpu1-p0", "gpu0-p1", "gpu1-p1"]
    assert Slot("cpu-p0", None).env("/k") == {"CUDA_VISIBLE_DEVICES": "", "DRJIT_CACHE_DIR": "/k"}
    # sub-shards of shard 1/3 cover exactly its layouts, each once
    subs = task_shards((1, 3), layouts=40, workers=2)
    owners = [[j for j, (a, b) in enumerate(subs) if layout % b == a] for layout in range(120)]
    assert all(len(o) == (1 if layout % 3 == 1 else 0) for layout, o in enumerate(owners))


def test_run_tasks_returns_every_result_by_key(client):
    results = run_tasks(client, [Task(f"t{i}", pow, (i, 2)) for i in range(5)])
    assert results == {f"t{i}": i * i for i in range(5)}


def test_two_workers_write_the_bytes_of_one_process(cfg, reference, client, tmp_path):
    report = generate_scaled(cfg, tmp_path / "data", FRAMES, make_slots([], 2), client=client, progress=False)
    assert report.rendered == FRAMES
    assert files(tmp_path / "data") == reference
    manifest = json.loads((tmp_path / "data" / "manifest.json").read_text())
    assert manifest["frames_complete"] == FRAMES
    assert sum(w["rendered"] for w in manifest["workers"]) == FRAMES  # each worker's timings, merged once
    assert manifest["renderer"]["workers"] == 2 and manifest["timings"]["total_s"] > 0


def test_a_worker_killed_mid_run_loses_nothing(cfg, reference, client, tmp_path):
    out = tmp_path / "data"
    run = threading.Thread(target=generate_scaled, args=(cfg, out, FRAMES, make_slots([], 2)),
                           kwargs={"client": client, "progress": False})
    run.start()
    busy = {}
    while run.is_alive() and not busy:  # the first frame is written: kill a worker that holds a task
        time.sleep(0.01)
        if any((out / "rgb").glob("0*.png")):
            busy = {w: keys for w, keys in client.processing().items() if keys}
    assert busy, "the job ended before a worker could be killed; give it more frames"
    worker = sorted(busy)[0]
    victim = client.run(os.getpid, workers=[worker])[worker]
    os.kill(victim, signal.SIGKILL)
    run.join()
    assert files(out) == reference
    assert victim not in client.run(os.getpid).values()  # the nanny started a new worker process
    assert json.loads((out / "manifest.json").read_text())["frames_complete"] == FRAMES


def test_the_engine_scheduler_runs_commands_in_dependency_order(client, tmp_path):
    from dataclasses import dataclass

    from omni.regolith.scale.experiment import SKIPPED, EngineScheduler

    @dataclass(frozen=True)
    class Cmd:  # experiment.schedule.Task's fields
        key: str
        argv: tuple
        after: tuple = ()
        log: str = ""

    tasks = [Cmd("b", ("--version",), ("a",), str(tmp_path / "b.log")), Cmd("a", ("--version",)),
             Cmd("bad", ("train",)), Cmd("after-bad", ("--version",), ("bad",)), Cmd("done-before", ("--version",),
                                                                                      ("elsewhere",))]
    events = []
    codes = EngineScheduler(client=client, on_event=lambda what, t, code: events.append((what, t.key, code))).run(tasks)
    assert codes == {"a": 0, "b": 0, "bad": 2, "after-bad": SKIPPED, "done-before": 0}
    assert "regolith" in (tmp_path / "b.log").read_text()
    assert sorted(k for what, k, _ in events if what == "end") == sorted(codes)
