"""Authoring the photoreal levers' geometry in the USD stage: pebbles, fillets, wheel tracks, hardware.

Ejecta blocks are rocks (in /World/Rocks) and pressed tracks are in the terrain's heights already.
Materials stay UsdPreviewSurface; the looks the Mitsuba backend computes in its BSDFs (micro-detail,
lunar photometry, tread pattern) are not authored here (per-rock and per-pebble albedo are, as
`albedoScale` primvars): docs/datasets.md says how Replicator would get them. Labels: pebbles,
fillets and tracks are regolith; hardware is "regolith" or "hardware" (unknown to the mask
mapping, so ignore) as `hardware.label` says. `stage.read.extras_from_stage` reads all of it
back, so `regolith stage preview` renders it.
"""
from __future__ import annotations

from pxr import Sdf, UsdGeom, Vt

from .prims import instancer, labelled_mesh, preview_material

HARDWARE_LOOKS = {  # material -> (diffuse colour, metallic, roughness)
    "foil_gold": ((0.85, 0.62, 0.22), 1.0, 0.35),
    "foil_silver": ((0.85, 0.85, 0.88), 1.0, 0.3),
    "panel": ((0.02, 0.025, 0.05), 0.0, 0.2),
    "structure": ((0.45, 0.45, 0.45), 0.0, 0.6),
}


def author_extras(stage, scene, regolith) -> None:
    """Write `scene.extras` under /World (`regolith`: the terrain's material)."""
    extras, cfg = scene.extras, scene.config
    if extras.fillets is not None and len(extras.fillets[1]):
        labelled_mesh(stage, "/World/Fillets", *extras.fillets, regolith, "regolith")
    if extras.tracks is not None:
        t = extras.tracks
        mesh = labelled_mesh(stage, "/World/Tracks", t.points, t.triangles, regolith, "regolith")
        api = UsdGeom.PrimvarsAPI(mesh)
        api.CreatePrimvar("st", Sdf.ValueTypeNames.TexCoord2fArray, UsdGeom.Tokens.vertex).Set(
            Vt.Vec2fArray.FromNumpy(t.uvs))
        for name, values in (("track", t.track), ("trackdir", t.direction)):  # along, groove weight; heading
            api.CreatePrimvar(name, Sdf.ValueTypeNames.Float3Array, UsdGeom.Tokens.vertex).Set(
                Vt.Vec3fArray.FromNumpy(values))
    if extras.rock_albedo is not None:  # per-rock albedo multiplier, read back by `stage.read`
        UsdGeom.PrimvarsAPI(stage.GetPrimAtPath("/World/Rocks")).CreatePrimvar(
            "albedoScale", Sdf.ValueTypeNames.FloatArray, UsdGeom.Tokens.vertex).Set(
            Vt.FloatArray.FromNumpy(extras.rock_albedo))
    if extras.pebbles is not None and len(extras.pebbles):
        inst = instancer(stage, "/World/Pebbles", "Pebble", extras.pebble_prototypes, extras.pebbles, regolith,
                         "regolith")
        UsdGeom.PrimvarsAPI(inst).CreatePrimvar("albedoScale", Sdf.ValueTypeNames.FloatArray,
                                                UsdGeom.Tokens.vertex).Set(Vt.FloatArray.FromNumpy(extras.pebble_albedo))
    label = "regolith" if cfg.hardware.label == "regolith" else "hardware"
    if extras.hardware:
        UsdGeom.Xform.Define(stage, "/World/Hardware")
    for material, (points, triangles) in sorted(extras.hardware.items()):
        colour, metallic, roughness = HARDWARE_LOOKS[material]
        look = preview_material(stage, f"Hardware_{material}", colour, roughness, metallic)
        labelled_mesh(stage, f"/World/Hardware/{material}", points, triangles, look, label)
