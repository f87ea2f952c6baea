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
from ..scene.extras import uses_extras
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


def _merged_instances(stage, instancer):
    """A PointInstancer's instances merged into one mesh in instance order, as `merge_instances`:
    (points, triangles, (n, 2) vertex and triangle counts of each instance)."""
    from pxr import Usd, UsdGeom

    protos = [_mesh_arrays(UsdGeom.Mesh(stage.GetPrimAtPath(t))) for t in instancer.GetPrototypesRel().GetTargets()]
    xforms = instancer.ComputeInstanceTransformsAtTime(Usd.TimeCode.Default(), Usd.TimeCode.Default())
    indices = _array(instancer.GetProtoIndicesAttr(), np.int32)
    points, tris, offset = [], [], 0
    for idx, m in zip(indices, xforms):
        p, t = protos[idx]
        m = np.asarray(m)  # row-vector convention: p' = [p, 1] @ m
        points.append(p @ m[:3, :3] + m[3, :3])
        tris.append(t + offset)
        offset += len(p)
    counts = np.array([[len(p), len(t)] for p, t in protos], np.int64).reshape(-1, 2)
    sizes = counts[indices] if len(indices) else np.zeros((0, 2), np.int64)
    if not points:
        return np.zeros((0, 3), np.float32), np.zeros((0, 3), np.int32), sizes
    return np.concatenate(points).astype(np.float32), np.concatenate(tris).astype(np.int32), sizes


def _rock_ids(sizes: np.ndarray) -> np.ndarray:
    """Each merged rock triangle's rock id (1-based instance order: the layout's, as `merge_instances`)."""
    return np.repeat(np.arange(1, len(sizes) + 1, dtype=np.int32), sizes[:, 1])


def _albedo_scale(prim, count: int) -> np.ndarray:
    from pxr import UsdGeom

    primvar = UsdGeom.PrimvarsAPI(prim).GetPrimvar("albedoScale")
    values = primvar.Get() if primvar else None
    return np.ones(count, np.float32) if values is None else np.asarray(values, np.float32)


def extras_from_stage(stage, cfg: Config, rock_count: int):
    """The photoreal levers' geometry the stage holds (`stage.extras` wrote it): (Extras, the pebbles
    merged as the renderer takes them, or None)."""
    from pxr import UsdGeom

    from ..scene.extras import Extras
    from ..scene.pebbles import StoneMesh
    from ..scene.tracks import TrackMesh

    def mesh(path):
        prim = stage.GetPrimAtPath(path)
        return _mesh_arrays(UsdGeom.Mesh(prim)) if prim.IsValid() else None

    tracks = None
    if (points_tris := mesh("/World/Tracks")) is not None:
        api = UsdGeom.PrimvarsAPI(stage.GetPrimAtPath("/World/Tracks"))
        uvs, track, direction = (_array(api.GetPrimvar(n).GetAttr(), np.float32) for n in ("st", "track", "trackdir"))
        tracks = TrackMesh(*points_tris, uvs, track, direction)
    hardware = {}
    if (root := stage.GetPrimAtPath("/World/Hardware")).IsValid():
        hardware = {child.GetName(): _mesh_arrays(UsdGeom.Mesh(child)) for child in root.GetChildren()}
    pebbles = None
    if (prim := stage.GetPrimAtPath("/World/Pebbles")).IsValid():
        points, triangles, sizes = _merged_instances(stage, UsdGeom.PointInstancer(prim))
        albedo = _albedo_scale(prim, len(sizes))
        pebbles = StoneMesh(points, triangles, np.repeat(albedo, sizes[:, 0]).astype(np.float32),
                            np.cumsum(sizes[:, 1]))
    rock_albedo = _albedo_scale(stage.GetPrimAtPath("/World/Rocks"), rock_count) if cfg.rock_surface.enabled else None
    return Extras(rock_albedo=rock_albedo, fillets=mesh("/World/Fillets"), tracks=tracks, hardware=hardware), pebbles


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
    rp, rt, sizes = _merged_instances(stage, instancer)
    size = float(tp[:, 0].max() - tp[:, 0].min())
    geometry = Geometry(tp, tt, normals, uvs, rp, rt, size, _rock_ids(sizes))
    if uses_extras(cfg):
        extras, pebbles = extras_from_stage(stage, cfg, len(sizes))
        geometry = dataclasses.replace(geometry, extras=extras, rock_sizes=sizes, pebbles=pebbles)
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
