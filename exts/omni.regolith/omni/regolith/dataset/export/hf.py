"""A Hugging Face `datasets` dataset: parquet shards plus a dataset card, written with pyarrow alone.

`datasets.load_dataset(DIR)` reads it (the features travel in each shard's schema metadata, as
`datasets` itself writes them), and `huggingface-cli upload` can push it as it is; we never push.
Columns: `image` (the RGB PNG), `label` (the semantic mask PNG: 0 regolith, 1 rock, 2 sky, 255
ignore), `depth` (float32 metres, 0 = sky), `instance` (uint16 PNG rock ids, when the dataset has
them) and the frame's parameters from frames.jsonl. PNGs are stored as their files' bytes.

Shards are `data/{split}-NNNNN-of-NNNNN.parquet`, each written atomically; a rerun skips shards
that hold the same frames and are newer than their files, and removes the split's stale shards.
"""
from __future__ import annotations

import json
import time
from pathlib import Path

import numpy as np

from ..layout import read_depth
from .card import write_card
from .frames import ExportReport, SourceFrame, check_split, open_source, read_ahead, require
from .target import open_target, remove_temps

SHARD_PIXELS = 256 * 512 * 512  # frames per shard: 256 at 512x512 (~300 MB), 64 at 1024x1024
GROUP_FRAMES = 16  # parquet row group (what a reader decodes at once)
INTS = ("index", "layout", "terrain_seed", "layout_seed", "rock_count")
FLOATS = ("rock_scale", "sun_elevation_deg", "sun_azimuth_deg", "sun_irradiance", "regolith_albedo", "rock_albedo",
          "texture_scale_m", "texture_contrast", "star_brightness", "exposure", "camera_x_m", "camera_y_m",
          "camera_yaw_deg", "camera_height_m", "camera_pitch_deg", "camera_roll_deg", "hfov_deg")
INTRINSICS = {"fx": "float64", "fy": "float64", "cx": "float64", "cy": "float64", "width": "int64", "height": "int64"}
BOULDER = ("x_m", "y_m", "radius_m")


def features(width: int, height: int, instances: bool) -> dict:
    """The `datasets.Features` of the export, in the JSON form `datasets` stores in parquet metadata."""
    value = lambda dtype: {"dtype": dtype, "_type": "Value"}  # noqa: E731
    f = {"image": {"_type": "Image"}, "label": {"_type": "Image"},
         "depth": {"shape": [height, width], "dtype": "float32", "_type": "Array2D"}}
    if instances:
        f["instance"] = {"_type": "Image"}
    f |= {k: value("int64") for k in INTS} | {k: value("float64") for k in FLOATS}
    f["intrinsics"] = {k: value(t) for k, t in INTRINSICS.items()}
    f["cam_to_world"] = {"shape": [4, 4], "dtype": "float64", "_type": "Array2D"}
    f["close_boulder"] = {k: value("float64") for k in BOULDER}
    return f


def arrow_schema(feats: dict):
    """The pyarrow schema of `feats` (Array2D as its storage: nested lists) with the features attached."""
    import pyarrow as pa

    def arrow(f):
        kind = f.get("_type")
        if kind == "Image":
            return pa.struct([("bytes", pa.binary()), ("path", pa.string())])
        if kind == "Array2D":
            return pa.list_(pa.list_(pa.from_numpy_dtype(np.dtype(f["dtype"]))))
        if kind == "Value":
            return pa.from_numpy_dtype(np.dtype(f["dtype"]))
        return pa.struct([(k, arrow(v)) for k, v in f.items()])

    meta = {"huggingface": json.dumps({"info": {"features": feats}})}
    return pa.schema([(k, arrow(v)) for k, v in feats.items()], metadata=meta)


def frame_row(frame: SourceFrame) -> dict:
    """One row: PNG files as bytes, depth decoded, the record's parameters."""
    r = frame.record
    row = {kind: {"bytes": frame.paths[kind].read_bytes(), "path": frame.paths[kind].name}
           for kind in ("rgb", "mask", "instance") if kind in frame.paths}
    row["image"], row["label"] = row.pop("rgb"), row.pop("mask")
    row["depth"] = read_depth(frame.paths["depth"])
    row |= {k: int(getattr(r, k)) for k in INTS} | {k: float(getattr(r, k)) for k in FLOATS}
    row["intrinsics"] = r.intrinsics
    row["cam_to_world"] = r.camera.cam_to_world() if r.camera is not None else None
    row["close_boulder"] = dict(zip(BOULDER, r.close_boulder)) if r.close_boulder is not None else None
    return row


def _nested(arrays: list, dtype, pa):
    """Equal-shaped 2-D arrays as a list<list<dtype>> column, without Python lists."""
    if any(a is None for a in arrays):
        return pa.array([None if a is None else a.tolist() for a in arrays])
    stack = np.stack(arrays).astype(dtype)
    n, h, w = stack.shape
    inner = pa.ListArray.from_arrays(np.arange(0, n * h * w + 1, w, dtype=np.int32), pa.array(stack.ravel()))
    return pa.ListArray.from_arrays(np.arange(0, n * h + 1, h, dtype=np.int32), inner)


def rows_table(rows: list, schema):
    import pyarrow as pa

    columns = []
    for field in schema:
        values = [row[field.name] for row in rows]
        if pa.types.is_list(field.type):
            columns.append(_nested(values, field.type.value_type.value_type.to_pandas_dtype(), pa))
        else:
            columns.append(pa.array(values, field.type))
    return pa.Table.from_arrays(columns, schema=schema)


def write_shard(path: Path, frames: list, schema, workers: int, bar) -> None:
    """One parquet shard, row group by row group (bounded memory), atomically."""
    import pyarrow.parquet as pq

    from ...io import atomic_file

    meta = dict(schema.metadata) | {b"regolith": json.dumps({"indices": [f.index for f in frames]})}
    schema = schema.with_metadata(meta)
    with atomic_file(path) as f, pq.ParquetWriter(f, schema, compression="zstd") as writer:
        rows = []
        for row in read_ahead(frame_row, frames, workers, desc=path.name, progress=False):
            rows.append(row)
            bar.update(1)
            if len(rows) == GROUP_FRAMES:
                writer.write_table(rows_table(rows, schema))
                rows = []
        if rows:
            writer.write_table(rows_table(rows, schema))


def shard_is_current(path: Path, frames: list) -> bool:
    """The shard exists, holds exactly these frames, and is newer than every one of their files."""
    import pyarrow.parquet as pq

    if not path.is_file():
        return False
    try:
        meta = pq.read_schema(path).metadata or {}
        indices = json.loads(meta.get(b"regolith", b"{}")).get("indices")
    except Exception:  # noqa: BLE001 - an unreadable shard is rewritten
        return False
    mtime = path.stat().st_mtime
    return indices == [f.index for f in frames] and all(f.newest_mtime() <= mtime for f in frames)


def export_hf(root, out, split: str = "train", workers: int = 2, progress: bool = True,
              shard_frames: int | None = None) -> ExportReport:
    """Write (or bring up to date) split `split` of the parquet dataset `out` from the dataset `root`."""
    from tqdm import tqdm

    require("pyarrow", "hf", "pyarrow")
    src = open_source(root)
    check_split(split)
    target = open_target(out, "hf")
    h, w = read_depth(src.frames[0].paths["depth"]).shape  # one resolution per dataset
    schema = arrow_schema(features(w, h, src.instances))
    per = shard_frames or max(1, SHARD_PIXELS // (w * h))
    shards = [src.frames[i:i + per] for i in range(0, len(src.frames), per)]
    names = [f"{split}-{i:05d}-of-{len(shards):05d}.parquet" for i in range(len(shards))]
    data = target / "data"
    remove_temps(data)
    t0, reused = time.perf_counter(), 0
    bar = tqdm(total=len(src.frames), desc=f"hf {split}", unit="frame", disable=None if progress else True)
    for name, frames in zip(names, shards):
        if shard_is_current(data / name, frames):
            reused += len(frames)
            bar.update(len(frames))
        else:
            write_shard(data / name, frames, schema, workers, bar)
    bar.close()
    for stale in set(p.name for p in data.glob(f"{split}-*.parquet")) - set(names):
        (data / stale).unlink()
    write_card(target, src, features(w, h, src.instances))
    return ExportReport("hf", target, len(src.frames), src.skipped, reused, time.perf_counter() - t0,
                        {"shards": len(shards), "split": split})
