"""Authoring the photoreal levers' geometry in the USD stage: pebbles, fillets, wheel tracks, hardware.

Ejecta blocks are rocks (in /World/Rocks) and pressed tracks are in the terrain's heights already.
Materials stay UsdPreviewSurface; the looks the Mitsuba backend computes in its BSDFs (micro-detail,
lunar photometry, per-rock albedo, tread pattern) are not authored here: docs/datasets.md says how
Replicator would get them. Labels: pebbles, fillets and tracks are regolith; hardware is
"regolith" or "hardware" (unknown to the mask mapping, so ignore) as `hardware.label` says.
"""
from __future__ import annotations

from pxr import Gf, Sdf, UsdGeom, UsdShade, Vt

HARDWARE_LOOKS = {  # material -> (diffuse colour, metallic, roughness)
    "foil_gold": ((0.85, 0.62, 0.22), 1.0, 0.35),
    "foil_silver": ((0.85, 0.85, 0.88), 1.0, 0.3),
    "panel": ((0.02, 0.025, 0.05), 0.0, 0.2),
    "structure": ((0.45, 0.45, 0.45), 0.0, 0.6),
}


def _look(stage, name: str, colour, metallic: float, roughness: float) -> UsdShade.Material:
    mat = UsdShade.Material.Define(stage, f"/World/Looks/{name}")
    shader = UsdShade.Shader.Define(stage, f"/World/Looks/{name}/PreviewSurface")
    shader.CreateIdAttr("UsdPreviewSurface")
    shader.CreateInput("diffuseColor", Sdf.ValueTypeNames.Color3f).Set(Gf.Vec3f(*colour))
    shader.CreateInput("metallic", Sdf.ValueTypeNames.Float).Set(metallic)
    shader.CreateInput("roughness", Sdf.ValueTypeNames.Float).Set(roughness)
    mat.CreateSurfaceOutput().ConnectToSource(shader.ConnectableAPI(), "surface")
    return mat


def _labelled_mesh(stage, path, points, triangles, material, label, mesh_fn, apply_labels):
    mesh = mesh_fn(stage, path, points, triangles)
    UsdShade.MaterialBindingAPI.Apply(mesh.GetPrim()).Bind(material)
    apply_labels(mesh.GetPrim(), label)
    return mesh


def author_extras(stage, scene, regolith, mesh_fn, apply_labels) -> None:
    """Write `scene.extras` under /World (`mesh_fn` and `apply_labels` are stage.author's)."""
    extras, cfg = scene.extras, scene.config
    if extras.fillets is not None and len(extras.fillets[1]):
        _labelled_mesh(stage, "/World/Fillets", *extras.fillets, regolith, "regolith", mesh_fn, apply_labels)
    if extras.tracks is not None:
        t = extras.tracks
        mesh = _labelled_mesh(stage, "/World/Tracks", t.points, t.triangles, regolith, "regolith", mesh_fn, apply_labels)
        api = UsdGeom.PrimvarsAPI(mesh)
        api.CreatePrimvar("st", Sdf.ValueTypeNames.TexCoord2fArray, UsdGeom.Tokens.vertex).Set(
            Vt.Vec2fArray.FromNumpy(t.uvs))
        for name, values in (("track", t.track), ("trackdir", t.direction)):  # along, groove weight; heading
            api.CreatePrimvar(name, Sdf.ValueTypeNames.Float3Array, UsdGeom.Tokens.vertex).Set(
                Vt.Vec3fArray.FromNumpy(values))
    if extras.pebbles is not None and len(extras.pebbles):
        _pebbles(stage, extras, regolith, mesh_fn, apply_labels)
    label = "regolith" if cfg.hardware.label == "regolith" else "hardware"
    if extras.hardware:
        UsdGeom.Xform.Define(stage, "/World/Hardware")
    for material, (points, triangles) in sorted(extras.hardware.items()):
        look = _look(stage, f"Hardware_{material}", *HARDWARE_LOOKS[material])
        _labelled_mesh(stage, f"/World/Hardware/{material}", points, triangles, look, label, mesh_fn, apply_labels)


def _pebbles(stage, extras, regolith, mesh_fn, apply_labels) -> None:
    inst = UsdGeom.PointInstancer.Define(stage, "/World/Pebbles")
    UsdGeom.Scope.Define(stage, "/World/Pebbles/Prototypes")
    targets = []
    for i, proto in enumerate(extras.pebble_prototypes):
        path = f"/World/Pebbles/Prototypes/Pebble_{i:02d}"
        targets.append(_labelled_mesh(stage, path, proto.points, proto.triangles, regolith, "regolith", mesh_fn,
                                      apply_labels).GetPath())
    inst.CreatePrototypesRel().SetTargets(targets)
    lay = extras.pebbles
    inst.CreateProtoIndicesAttr(Vt.IntArray.FromNumpy(lay.proto_indices))
    inst.CreatePositionsAttr(Vt.Vec3fArray.FromNumpy(lay.positions))
    inst.CreateScalesAttr(Vt.Vec3fArray.FromNumpy(lay.scales))
    inst.CreateOrientationsAttr(Vt.QuathArray([Gf.Quath(float(w), float(x), float(y), float(z))
                                               for w, x, y, z in lay.orientations]))
    UsdGeom.PrimvarsAPI(inst).CreatePrimvar("albedoScale", Sdf.ValueTypeNames.FloatArray,
                                            UsdGeom.Tokens.vertex).Set(Vt.FloatArray.FromNumpy(extras.pebble_albedo))
    apply_labels(inst.GetPrim(), "regolith")
