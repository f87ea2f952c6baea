"""A generation job on a dataset folder: what every backend does before and after rendering.

Open the folder (or accept it only if it holds the same config and resolution), reuse or extend
its frame plan, and list the frames still missing, grouped by layout (geometry changes only
between layouts) and restricted to this shard's layouts. Both the Mitsuba generator and the
Replicator backend in Kit run a job this way, so they resume, shard and write manifests alike.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from ..config.scene import Config
from ..plan.io import load_or_write_plan
from ..plan.record import FrameRecord
from ..plan.sample import layout_of
from .layout import frame_done
from .writer import prepare, remove_stale_temp_files, write_manifest


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

    @property
    def pending(self) -> int:
        return sum(len(v) for v in self.todo.values())

    def finish(self, renderer_info: dict, timings: dict) -> Path:
        """Write manifest.json (frames complete so far, the backend, timings)."""
        info = {**renderer_info, "shard": f"{self.shard[0]}/{self.shard[1]}"}
        return write_manifest(self.root, self.config, self.width, self.height, len(self.plan), info, timings)


def open_job(cfg: Config, out, frames: int, width: int, height: int, shard: tuple[int, int] = (0, 1)) -> Job:
    """Prepare `out` for `frames` frames of `cfg`'s plan at width x height; list what is missing."""
    root = Path(out)
    prepare(root, cfg, width, height)
    remove_stale_temp_files(root)
    plan = load_or_write_plan(root, cfg, frames, width, height)
    mine = [r for r in plan if layout_of(r.index, cfg) % shard[1] == shard[0]]
    todo: dict[int, list[FrameRecord]] = {}
    for record in mine:
        if not frame_done(root, record.index, cfg.render.instances):
            todo.setdefault(record.layout, []).append(record)
    return Job(root, cfg, width, height, plan, shard, dict(sorted(todo.items())), len(mine))
