"""Author the lunar stage in USD (Z up, metres) with `pxr` only, so it runs with or without Kit.

Prims read well in a stage tree: /World/Terrain, /World/Rocks (PointInstancer with labelled
prototypes), /World/Sun, /World/Stars, /World/Rover/Camera, /World/Looks/*. Semantic labels are
written both as `UsdSemantics.LabelsAPI` (Isaac Sim 5.x) and as the legacy `SemanticsAPI`
attributes, on the prototypes *and* the instancer, because Replicator drops labels on instanced
prims that lack them on the prototype (IsaacSim#253, IsaacLab#1946).
"""
from __future__ import annotations

import json
import tempfile
from pathlib import Path

import numpy as np
from pxr import Gf, Sdf, Usd, UsdGeom, UsdLux, UsdShade, Vt

from .. import __version__
from ..config.files import config_to_dict
from ..config.scene import Config
from ..scene.build import Scene
from ..scene.camera import USD_FROM_OPENCV, focal_length_mm
from ..scene.sun import sun_frame
from .prims import apply_labels, instancer, preview_material
from .prims import mesh as _mesh

STAR_TEXTURE = "stars.png"


def _material(stage, name: str, albedo: float, roughness: float) -> UsdShade.Material:
    return preview_material(stage, name, (albedo, albedo, albedo), roughness)


def _terrain(stage, scene: Scene, material) -> None:
    hf = scene.terrain
    mesh = _mesh(stage, "/World/Terrain", hf.points(), hf.triangles())
    mesh.CreateNormalsAttr(Vt.Vec3fArray.FromNumpy(hf.normals()))
    mesh.SetNormalsInterpolation(UsdGeom.Tokens.vertex)
    st = UsdGeom.PrimvarsAPI(mesh).CreatePrimvar("st", Sdf.ValueTypeNames.TexCoord2fArray, UsdGeom.Tokens.vertex)
    st.Set(Vt.Vec2fArray.FromNumpy(hf.uvs()))
    UsdShade.MaterialBindingAPI.Apply(mesh.GetPrim()).Bind(material)
    apply_labels(mesh.GetPrim(), "regolith")


def _rocks(stage, scene: Scene, material) -> None:
    instancer(stage, "/World/Rocks", "Rock", scene.prototypes, scene.rocks, material, "rock")


def _lights(stage, cfg: Config, star_file: str) -> None:
    sun = UsdLux.DistantLight.Define(stage, "/World/Sun")
    sun.CreateAngleAttr(cfg.lighting.sun_angular_diameter_deg)
    sun.CreateIntensityAttr(cfg.lighting.sun_irradiance * 1000.0)
    m = np.eye(4)  # a DistantLight shines along its local -Z: local +Z points at the sun
    m[:3, :3] = sun_frame(cfg.lighting.sun_elevation_deg, cfg.lighting.sun_azimuth_deg)
    UsdGeom.Xformable(sun).AddTransformOp().Set(Gf.Matrix4d(m.T.tolist()))
    sun.GetPrim().SetCustomDataByKey("regolith:elevation_deg", cfg.lighting.sun_elevation_deg)
    sun.GetPrim().SetCustomDataByKey("regolith:azimuth_deg", cfg.lighting.sun_azimuth_deg)
    stars = UsdLux.DomeLight.Define(stage, "/World/Stars")
    stars.CreateTextureFileAttr(Sdf.AssetPath(star_file))
    stars.CreateTextureFormatAttr(UsdLux.Tokens.latlong)
    stars.CreateIntensityAttr(cfg.lighting.star_brightness)


def _camera(stage, scene: Scene) -> None:
    pose, cam_cfg, render = scene.camera, scene.config.camera, scene.config.render
    rover = UsdGeom.Xform.Define(stage, "/World/Rover")
    ground = pose.position - np.array([0.0, 0.0, cam_cfg.height_m])
    rover.AddTranslateOp().Set(Gf.Vec3d(*map(float, ground)))
    rover.AddRotateZOp().Set(float(cam_cfg.yaw_deg))
    cam = UsdGeom.Camera.Define(stage, "/World/Rover/Camera")
    # Camera transform relative to the rover: height above ground, then the USD-convention rotation.
    yaw = np.radians(cam_cfg.yaw_deg)
    rover_rot = np.array([[np.cos(yaw), -np.sin(yaw), 0], [np.sin(yaw), np.cos(yaw), 0], [0, 0, 1]])
    local = np.eye(4)
    local[:3, :3] = rover_rot.T @ pose.rotation @ USD_FROM_OPENCV
    local[:3, 3] = [0.0, 0.0, cam_cfg.height_m]
    UsdGeom.Xformable(cam).AddTransformOp().Set(Gf.Matrix4d(local.T.tolist()))
    aperture = cam_cfg.sensor_width_mm
    cam.CreateFocalLengthAttr(float(focal_length_mm(cam_cfg.hfov_deg, aperture)))
    cam.CreateHorizontalApertureAttr(float(aperture))
    cam.CreateVerticalApertureAttr(float(aperture * render.height / render.width))
    cam.CreateClippingRangeAttr(Gf.Vec2f(0.01, 10000.0))
    cam.CreateProjectionAttr(UsdGeom.Tokens.perspective)


def author_stage(scene: Scene, stage: Usd.Stage | None = None, star_file: str = STAR_TEXTURE) -> Usd.Stage:
    """Write the scene under /World of `stage` (a new in-memory stage by default)."""
    stage = stage or Usd.Stage.CreateInMemory()
    cfg = scene.config
    UsdGeom.SetStageUpAxis(stage, UsdGeom.Tokens.z)
    UsdGeom.SetStageMetersPerUnit(stage, 1.0)
    world = UsdGeom.Xform.Define(stage, "/World")
    stage.SetDefaultPrim(world.GetPrim())
    world.GetPrim().SetCustomDataByKey("regolith:version", __version__)
    world.GetPrim().SetCustomDataByKey("regolith:config", json.dumps(config_to_dict(cfg), sort_keys=True))
    UsdGeom.Scope.Define(stage, "/World/Looks")
    regolith = _material(stage, "Regolith", cfg.regolith.albedo, 0.95)
    rock = _material(stage, "Rock", cfg.rocks.albedo, 0.8)
    _terrain(stage, scene, regolith)
    _rocks(stage, scene, rock)
    if scene.extras is not None:  # the photoreal levers' geometry
        from .extras import author_extras

        author_extras(stage, scene, regolith)
    _lights(stage, cfg, star_file)
    _camera(stage, scene)
    return stage


def write_stage(scene: Scene, out: str | Path) -> Path:
    """Write `out` (.usda/.usd) and the star texture beside it; byte-identical for equal input."""
    from PIL import Image

    from ..io import atomic_write_bytes, png_bytes
    from ..scene.stars import star_texture, to_png8

    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    lighting = scene.config.lighting
    stars = to_png8(star_texture(lighting.star_texture_width, lighting.star_count, scene.config.seed))
    atomic_write_bytes(out.parent / STAR_TEXTURE, png_bytes(Image.fromarray(stars)))
    stage = author_stage(scene, star_file=f"./{STAR_TEXTURE}")
    text = stage.GetRootLayer().ExportToString()
    atomic_write_bytes(out, text.encode())
    return out


def star_texture_file(cfg, folder: str | Path | None = None) -> Path:
    """The DomeLight's star texture as a PNG with an absolute path (Kit stages are often
    anonymous, so a relative `./stars.png` would resolve nowhere); cached by its parameters."""
    from PIL import Image

    from ..io import atomic_write_bytes, png_bytes
    from ..scene.stars import star_texture, to_png8

    lighting = cfg.lighting
    folder = Path(folder) if folder else Path(tempfile.gettempdir()) / "regolith-stars"
    path = folder / f"stars_{cfg.seed}_{lighting.star_texture_width}_{lighting.star_count}.png"
    if not path.exists():
        img = to_png8(star_texture(lighting.star_texture_width, lighting.star_count, cfg.seed))
        atomic_write_bytes(path, png_bytes(Image.fromarray(img)))
    return path.resolve()


def clear_world(stage) -> None:
    """Remove a previous /World so a rebuild never mixes two layouts."""
    if stage.GetPrimAtPath("/World"):
        stage.RemovePrim("/World")
