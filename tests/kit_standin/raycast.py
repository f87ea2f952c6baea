"""A tiny ray caster standing in for RTX + Replicator annotators in tests.

It reads the USD stage the way a renderer would (active meshes with world transforms, point
instancers expanded, the camera's focal length and apertures), independently of the code under
test, and returns Replicator-shaped annotator data. Prims under a PointInstancer are prototypes
and are not drawn themselves (as in Hydra).
"""
from __future__ import annotations

import numpy as np
from pxr import Usd, UsdGeom, UsdSemantics


def _label(prim) -> str | None:
    while prim and prim.GetPath() != prim.GetPath().absoluteRootPath:
        attr = UsdSemantics.LabelsAPI(prim, "class").GetLabelsAttr()
        if attr and attr.Get():
            return str(attr.Get()[0])
        prim = prim.GetParent()
    return None


def _triangles(mesh, matrix):
    pts = np.asarray(mesh.GetPointsAttr().Get(), float)
    idx = np.asarray(mesh.GetFaceVertexIndicesAttr().Get(), int).reshape(-1, 3)
    m = np.asarray(matrix)
    world = pts @ m[:3, :3] + m[3, :3]
    return world[idx]


def _under_instancer(prim) -> bool:
    prim = prim.GetParent()
    while prim and not prim.IsPseudoRoot():
        if prim.IsA(UsdGeom.PointInstancer):
            return True
        prim = prim.GetParent()
    return False


def scene_triangles(stage, drop_instanced: bool, drop_rocks: bool):
    """(n, 3, 3) world triangles and a label per triangle."""
    t = Usd.TimeCode.Default()
    tris, labels = [], []
    for prim in stage.Traverse():  # active, loaded, defined prims only
        if prim.IsA(UsdGeom.Mesh) and not _under_instancer(prim):
            tri = _triangles(UsdGeom.Mesh(prim), UsdGeom.Xformable(prim).ComputeLocalToWorldTransform(t))
            label = _label(prim)
        elif prim.IsA(UsdGeom.PointInstancer):
            inst = UsdGeom.PointInstancer(prim)
            protos = [stage.GetPrimAtPath(p) for p in inst.GetPrototypesRel().GetTargets()]
            xforms = inst.ComputeInstanceTransformsAtTime(t, t)
            parent = inst.ComputeLocalToWorldTransform(t)
            indices = inst.GetProtoIndicesAttr().Get() or []
            chunks = [_triangles(UsdGeom.Mesh(protos[i]), m * parent) for i, m in zip(indices, xforms)]
            if not chunks:
                continue
            tri = np.concatenate(chunks)
            label = "UNLABELLED" if drop_instanced else _label(protos[0])
        else:
            continue
        if drop_rocks and label == "rock":
            label = "UNLABELLED"
        tris.append(tri)
        labels += [label or "UNLABELLED"] * len(tri)
    return np.concatenate(tris), labels


def camera_rays(stage, camera_path: str, width: int, height: int):
    """Origin and (unnormalised, unit forward component) world directions through pixel centres."""
    cam = UsdGeom.Camera(stage.GetPrimAtPath(camera_path))
    t = Usd.TimeCode.Default()
    gf = cam.GetCamera(t)
    m = np.asarray(cam.ComputeLocalToWorldTransform(t))
    f = gf.focalLength
    x = ((np.arange(width) + 0.5) / width - 0.5) * gf.horizontalAperture / f
    y = (0.5 - (np.arange(height) + 0.5) / height) * gf.verticalAperture / f
    gx, gy = np.meshgrid(x, y)
    local = np.stack([gx, gy, -np.ones_like(gx)], -1).reshape(-1, 3)
    return m[3, :3], local @ m[:3, :3]


def cast(origin, dirs, tris, chunk: int = 64):
    """Nearest hit distance (in units of `dirs`) and triangle index per ray (Moller-Trumbore)."""
    v0, e1, e2 = tris[:, 0], tris[:, 1] - tris[:, 0], tris[:, 2] - tris[:, 0]
    s = origin - v0
    q = np.cross(s, e1)
    best_t = np.full(len(dirs), np.inf)
    best_i = np.full(len(dirs), -1)
    for a in range(0, len(dirs), chunk):
        d = dirs[a:a + chunk]
        p = np.cross(d[:, None, :], e2[None])
        det = np.einsum("rtk,tk->rt", p, e1)
        with np.errstate(divide="ignore", invalid="ignore"):
            inv = 1.0 / det
            u = np.einsum("rtk,tk->rt", p, s) * inv
            v = np.einsum("rk,tk->rt", d, q) * inv
            t = np.einsum("tk,tk->t", e2, q)[None] * inv
        hit = (np.abs(det) > 1e-12) & (u >= 0) & (v >= 0) & (u + v <= 1) & (t > 1e-6)
        t = np.where(hit, t, np.inf)
        i = t.argmin(1)
        best_t[a:a + chunk] = t[np.arange(len(i)), i]
        best_i[a:a + chunk] = np.where(np.isfinite(best_t[a:a + chunk]), i, -1)
    return best_t, best_i


def render(stage, camera_path, width, height, drop_instanced=False, drop_rocks=False) -> dict:
    """Replicator-shaped outputs: rgb (HxWx4 uint8), semantic ids + idToLabels, planar depth."""
    tris, labels = scene_triangles(stage, drop_instanced, drop_rocks)
    origin, dirs = camera_rays(stage, camera_path, width, height)
    t, idx = cast(origin, dirs, tris)
    names = ["BACKGROUND", "UNLABELLED"] + sorted(set(labels) - {"UNLABELLED"})
    ids = np.zeros(len(dirs), np.uint32)
    hit = idx >= 0
    ids[hit] = [names.index(labels[i]) for i in idx[hit]]
    normal = np.cross(tris[:, 1] - tris[:, 0], tris[:, 2] - tris[:, 0])
    normal /= np.linalg.norm(normal, axis=1, keepdims=True) + 1e-12
    shade = np.zeros(len(dirs))
    shade[hit] = 40 + 200 * np.abs(normal[idx[hit], 2])
    rgb = np.zeros((len(dirs), 4), np.uint8)
    rgb[:, :3] = shade[:, None].astype(np.uint8)
    rgb[:, 3] = 255
    return {
        "rgb": rgb.reshape(height, width, 4),
        "semantic_segmentation": {"data": ids.reshape(height, width),
                                  "info": {"idToLabels": {str(i): {"class": n} for i, n in enumerate(names)}}},
        "distance_to_image_plane": t.reshape(height, width).astype(np.float32),  # inf where nothing is hit
    }
