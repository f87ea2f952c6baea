"""A generation job on a dataset folder: what every backend does before and after rendering.

Open the folder (or accept it only if it holds the same config and resolution), reuse or extend
its frame plan, and list the frames still missing, grouped by layout (geometry changes only
between layouts) and restricted to this shard's layouts. Both the Mitsuba generator and the
Replicator backend in Kit run a job this way, so they resume, shard and write manifests alike.

Concurrency: each shard (i/n) has its own lock, so one command started twice is refused while
the shards of one dataset run side by side; preparing the folder and its plan holds the
dataset's lock, so of two runs with different configs or seeds into one folder the second is
refused by the identity check instead of racing it.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from ..config.scene import Config
from ..lock import FolderLock
from ..plan.io import load_or_write_plan
from ..plan.record import FrameRecord
from ..plan.sample import layout_of
from .layout import frame_done
from .writer import prepare, remove_stale_temp_files, write_manifest

PREPARE_WAIT_S = 600.0  # shards started together wait here while the first writes (or checks) the plan


@dataclass
class Job:
    root: Path
    config: Config
    width: int
    height: int
    plan: list[FrameRecord]
    shard: tuple[int, int] = (0, 1)
    todo: dict[int, list[FrameRecord]] = field(default_factory=dict)  # layout -> frames still missing
    mine: int = 0  # frames of this shard, done or not
    planned: int = 0  # frames in the dataset's plan: more than `plan` when a run asks for fewer
    lock: FolderLock | None = None  # this shard's; released by `finish` (or the process's end)

    @property
    def pending(self) -> int:
        return sum(len(v) for v in self.todo.values())

    def finish(self, renderer_info: dict, timings: dict) -> Path:
        """Write manifest.json (frames complete so far, the backend, timings)."""
        info = {**renderer_info, "shard": f"{self.shard[0]}/{self.shard[1]}"}
        path = write_manifest(self.root, self.config, self.width, self.height, max(self.planned, len(self.plan)),
                              info, timings)
        self.release()
        return path

    def release(self) -> None:
        if self.lock is not None:
            self.lock.release()


def open_job(cfg: Config, out, frames: int, width: int, height: int, shard: tuple[int, int] = (0, 1)) -> Job:
    """Prepare `out` for `frames` frames of `cfg`'s plan at width x height; list what is missing."""
    root = Path(out)
    root.mkdir(parents=True, exist_ok=True)
    lock = FolderLock(root, f".regolith-shard-{shard[0]}-of-{shard[1]}.lock",
                      f"shard {shard[0]}/{shard[1]} of this dataset")
    try:
        with FolderLock(root, ".regolith-lock", "this dataset", wait_s=PREPARE_WAIT_S):
            prepare(root, cfg, width, height)
            remove_stale_temp_files(root)
            whole = load_or_write_plan(root, cfg, frames, width, height)
    except BaseException:
        lock.release()
        raise
    plan = whole[:frames]
    mine = [r for r in plan if layout_of(r.index, cfg) % shard[1] == shard[0]]
    todo: dict[int, list[FrameRecord]] = {}
    for record in mine:
        if not frame_done(root, record.index, cfg.render.instances):
            todo.setdefault(record.layout, []).append(record)
    return Job(root, cfg, width, height, plan, shard, dict(sorted(todo.items())), len(mine), len(whole), lock)
