"""Reading a stage back: geometry, its own frame (sun, camera, materials) and its config, from USD.

Reading the USD stage is how the headless renderer stays a renderer *of the stage*.
"""
from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import numpy as np

from ..config.scene import Config, config_from_dict
from ..errors import StageError
from ..plan.record import FrameRecord, stage_frame
from ..scene.camera import USD_FROM_OPENCV, CameraPose
from ..scene.geometry import Geometry


def _array(attr, dtype):
    value = attr.Get()
    if value is None:
        raise StageError(f"{attr.GetPath()} has no value")
    return np.asarray(value, dtype)


def _mesh_arrays(mesh):
    counts = _array(mesh.GetFaceVertexCountsAttr(), np.int32)
    if len(counts) and (counts != 3).any():
        raise StageError(f"{mesh.GetPath()}: only triangle meshes are supported")
    return _array(mesh.GetPointsAttr(), np.float32), _array(mesh.GetFaceVertexIndicesAttr(), np.int32).reshape(-1, 3)


def _rocks_from_instancer(stage, instancer):
    from pxr import Usd, UsdGeom

    protos = []
    for target in instancer.GetPrototypesRel().GetTargets():
        protos.append(_mesh_arrays(UsdGeom.Mesh(stage.GetPrimAtPath(target))))
    xforms = instancer.ComputeInstanceTransformsAtTime(Usd.TimeCode.Default(), Usd.TimeCode.Default())
    indices = _array(instancer.GetProtoIndicesAttr(), np.int32)
    points, tris, offset = [], [], 0
    for idx, m in zip(indices, xforms):
        p, t = protos[idx]
        m = np.asarray(m)  # row-vector convention: p' = [p, 1] @ m
        points.append(p @ m[:3, :3] + m[3, :3])
        tris.append(t + offset)
        offset += len(p)
    if not points:
        return np.zeros((0, 3), np.float32), np.zeros((0, 3), np.int32)
    return np.concatenate(points).astype(np.float32), np.concatenate(tris).astype(np.int32)


def _rock_ids(stage, instancer) -> np.ndarray:
    """Each merged rock triangle's rock id (1-based instance order: the layout's, as `merge_instances`)."""
    from pxr import UsdGeom

    counts = np.array([len(_array(UsdGeom.Mesh(stage.GetPrimAtPath(t)).GetFaceVertexCountsAttr(), np.int32))
                       for t in instancer.GetPrototypesRel().GetTargets()], np.int64)
    indices = _array(instancer.GetProtoIndicesAttr(), np.int32)
    return np.repeat(np.arange(1, len(indices) + 1, dtype=np.int32), counts[indices] if len(indices) else 0)


def open_stage(path: str | Path):
    from pxr import Usd

    path = Path(path)
    if not path.exists():
        raise StageError(f"stage not found: {path}")
    if not path.is_file():
        raise StageError(f"{path}: a folder, not a USD file")
    try:
        stage = Usd.Stage.Open(str(path))
    except RuntimeError as exc:  # pxr.Tf.ErrorException: several lines of C++ locations
        reasons = [line.split(" : ", 1)[-1].strip(" '") for line in str(exc).splitlines() if " : " in line]
        raise StageError(f"cannot open USD stage {path}: {reasons[0] if reasons else 'not a USD file'}") from None
    if stage is None:
        raise StageError(f"cannot open USD stage: {path}")
    return stage


def read_stage(stage) -> tuple[Geometry, FrameRecord, Config]:
    """Geometry, the stage's own frame (sun, camera, materials) and its config, from USD; a stage
    with our prims but damaged contents is one StageError, not a traceback from deep in pxr."""
    try:
        return _read_stage(stage)
    except (RuntimeError, ValueError, TypeError, AttributeError, IndexError, KeyError) as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise StageError(f"{stage.GetRootLayer().identifier}: not a readable regolith stage ({first})") from None


def _read_stage(stage) -> tuple[Geometry, FrameRecord, Config]:
    from pxr import UsdGeom

    world = stage.GetPrimAtPath("/World")
    for path in ("/World/Terrain", "/World/Rocks", "/World/Sun", "/World/Rover/Camera"):
        if not stage.GetPrimAtPath(path).IsValid():
            raise StageError(f"stage has no {path} prim: was it written by `regolith stage build`?")
    raw = world.GetCustomDataByKey("regolith:config")
    cfg = config_from_dict(json.loads(raw)) if raw else Config()
    terrain = UsdGeom.Mesh(stage.GetPrimAtPath("/World/Terrain"))
    tp, tt = _mesh_arrays(terrain)
    normals = _array(terrain.GetNormalsAttr(), np.float32)
    uvs = _array(UsdGeom.PrimvarsAPI(terrain).GetPrimvar("st").GetAttr(), np.float32)
    instancer = UsdGeom.PointInstancer(stage.GetPrimAtPath("/World/Rocks"))
    rp, rt = _rocks_from_instancer(stage, instancer)
    size = float(tp[:, 0].max() - tp[:, 0].min())
    geometry = Geometry(tp, tt, normals, uvs, rp, rt, size, _rock_ids(stage, instancer))
    return geometry, _frame_from_stage(stage, cfg), cfg


def _frame_from_stage(stage, cfg: Config) -> FrameRecord:
    from pxr import Usd, UsdGeom

    cam = UsdGeom.Camera(stage.GetPrimAtPath("/World/Rover/Camera"))
    m = np.asarray(cam.ComputeLocalToWorldTransform(Usd.TimeCode.Default()))
    rotation = m[:3, :3].T @ USD_FROM_OPENCV  # USD rows -> columns, then back to OpenCV axes
    gf = cam.GetCamera(Usd.TimeCode.Default())
    hfov = float(np.degrees(2 * np.arctan(gf.horizontalAperture / 2 / gf.focalLength)))
    pose = CameraPose(m[3, :3].copy(), rotation, hfov)
    sun = stage.GetPrimAtPath("/World/Sun")
    frame = stage_frame(cfg, pose)
    return dataclasses.replace(frame, sun_elevation_deg=float(sun.GetCustomDataByKey("regolith:elevation_deg")),
                               sun_azimuth_deg=float(sun.GetCustomDataByKey("regolith:azimuth_deg")))
