"""The prims every part of the stage is made of: labels, triangle meshes, preview materials, instancers."""
from __future__ import annotations

import numpy as np
from pxr import Gf, Sdf, Usd, UsdGeom, UsdSemantics, UsdShade, Vt


def apply_labels(prim: Usd.Prim, label: str) -> None:
    """Class label in both the 5.x LabelsAPI and the legacy Semantics schema Replicator still reads."""
    UsdSemantics.LabelsAPI.Apply(prim, "class").CreateLabelsAttr(Vt.TokenArray([label]))
    prim.AddAppliedSchema("SemanticsAPI:Semantics")
    prim.CreateAttribute("semantic:Semantics:params:semanticType", Sdf.ValueTypeNames.String).Set("class")
    prim.CreateAttribute("semantic:Semantics:params:semanticData", Sdf.ValueTypeNames.String).Set(label)


def preview_material(stage, name: str, colour, roughness: float, metallic: float = 0.0) -> UsdShade.Material:
    """/World/Looks/<name>: a UsdPreviewSurface of this diffuse colour, roughness and metalness."""
    mat = UsdShade.Material.Define(stage, f"/World/Looks/{name}")
    shader = UsdShade.Shader.Define(stage, f"/World/Looks/{name}/PreviewSurface")
    shader.CreateIdAttr("UsdPreviewSurface")
    shader.CreateInput("diffuseColor", Sdf.ValueTypeNames.Color3f).Set(Gf.Vec3f(*map(float, colour)))
    shader.CreateInput("roughness", Sdf.ValueTypeNames.Float).Set(roughness)
    shader.CreateInput("metallic", Sdf.ValueTypeNames.Float).Set(metallic)
    mat.CreateSurfaceOutput().ConnectToSource(shader.ConnectableAPI(), "surface")
    return mat


def mesh(stage, path: str, points: np.ndarray, triangles: np.ndarray) -> UsdGeom.Mesh:
    out = UsdGeom.Mesh.Define(stage, path)
    out.CreatePointsAttr(Vt.Vec3fArray.FromNumpy(points.astype(np.float32)))
    out.CreateFaceVertexCountsAttr(Vt.IntArray.FromNumpy(np.full(len(triangles), 3, np.int32)))
    out.CreateFaceVertexIndicesAttr(Vt.IntArray.FromNumpy(triangles.reshape(-1).astype(np.int32)))
    out.CreateSubdivisionSchemeAttr(UsdGeom.Tokens.none)
    lo, hi = points.min(0), points.max(0)
    out.CreateExtentAttr(Vt.Vec3fArray([Gf.Vec3f(*map(float, lo)), Gf.Vec3f(*map(float, hi))]))
    return out


def labelled_mesh(stage, path: str, points, triangles, material, label: str) -> UsdGeom.Mesh:
    out = mesh(stage, path, points, triangles)
    UsdShade.MaterialBindingAPI.Apply(out.GetPrim()).Bind(material)
    apply_labels(out.GetPrim(), label)
    return out


def instancer(stage, path: str, name: str, prototypes, layout, material, label: str) -> UsdGeom.PointInstancer:
    """A PointInstancer of labelled prototype meshes <path>/Prototypes/<name>_NN (labels on the
    prototypes and the instancer: Replicator drops them on instanced prims otherwise)."""
    inst = UsdGeom.PointInstancer.Define(stage, path)
    root = UsdGeom.Scope.Define(stage, f"{path}/Prototypes")
    targets = [labelled_mesh(stage, f"{root.GetPath()}/{name}_{i:02d}", p.points, p.triangles, material,
                             label).GetPath() for i, p in enumerate(prototypes)]
    inst.CreatePrototypesRel().SetTargets(targets)
    inst.CreateProtoIndicesAttr(Vt.IntArray.FromNumpy(layout.proto_indices))
    inst.CreatePositionsAttr(Vt.Vec3fArray.FromNumpy(layout.positions))
    inst.CreateScalesAttr(Vt.Vec3fArray.FromNumpy(layout.scales))
    inst.CreateOrientationsAttr(Vt.QuathArray([Gf.Quath(float(w), float(x), float(y), float(z))
                                               for w, x, y, z in layout.orientations]))
    apply_labels(inst.GetPrim(), label)
    return inst
