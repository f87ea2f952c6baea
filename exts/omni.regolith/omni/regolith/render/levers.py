"""The Mitsuba side of the photoreal levers: surfaces, extra shapes, per-frame values, label inputs.

`MitsubaRenderer` calls these hooks only when a lever that touches rendering is on, so with every
lever off its scenes, kernels and bytes are what they were. Every extra shape exists in every
layout once its lever is on (an empty one is a padded degenerate mesh), and per-frame values are
opaque, so layouts and frames keep reusing compiled kernels.
"""
from __future__ import annotations

import numpy as np

from .. import IGNORE_ID
from ..config.scene import Config
from ..plan.record import FrameRecord
from .geometry import pad_mesh
from .regolith_bsdf import regolith_bsdf

HARDWARE_BSDFS = {
    "foil_gold": {"type": "roughconductor", "material": "Au", "alpha": 0.45},  # crinkled foil: broad glints
    "foil_silver": {"type": "roughconductor", "material": "Al", "alpha": 0.35},
    "panel": {"type": "roughplastic", "diffuse_reflectance": {"type": "rgb", "value": [0.02, 0.025, 0.04]},
              "alpha": 0.08},
    "structure": {"type": "diffuse", "reflectance": {"type": "rgb", "value": 0.45}},
}
TREAD_SLOPE = 0.4  # rms slope of the tread ridges in a groove


def render_levers(cfg: Config):
    """The hooks for `cfg`, or None when no lever touches rendering."""
    from ..scene.extras import uses_extras

    on = uses_extras(cfg) or any(getattr(cfg, n).enabled for n in ("microdetail", "photometry", "camera_model"))
    return RenderLevers(cfg) if on else None


def _empty_mesh():
    return np.array([[0.0, 0.0, -1.0e4]] * 3, np.float32), np.array([[0, 1, 2]], np.int32)


class RenderLevers:
    def __init__(self, cfg: Config):
        self.cfg = cfg
        self.linear = cfg.camera_model.enabled  # the camera model develops the linear image
        self.instances = cfg.label_policy.enabled or cfg.pebbles.enabled  # the size rule needs stones' ids
        self.bsdfs: dict = {}  # name -> RegolithBSDF, for per-frame values
        self.names: list = []  # extra shapes, in the order they were added
        self.stone_tables: dict = {}  # "rocks"/"pebbles" -> device Int32: triangle -> instance (-1: padding)

    # -- scene --------------------------------------------------------------------------------
    def _surface(self, mi, name, texture, **options):
        c = self.cfg
        detail = "plane" if c.microdetail.enabled else "none"
        options = {"photometry": c.photometry.enabled, "detail": detail, "min_wavelength": c.microdetail.min_wavelength_m,
                   "octaves": c.microdetail.octaves, **options}
        self.bsdfs[name] = regolith_bsdf(mi, texture, **options)
        return self.bsdfs[name]

    def terrain_bsdf(self, mi, default: dict):
        """The terrain's BSDF: today's `diffuse`, or the lunar surface with its albedo bitmap."""
        self.terrain_texture = mi.load_dict(default["reflectance"])
        if not (self.cfg.photometry.enabled or self.cfg.microdetail.enabled):
            self.bsdfs.pop("terrain", None)
            return mi.load_dict({"type": "diffuse", "reflectance": self.terrain_texture})
        return self._surface(mi, "terrain", self.terrain_texture)

    def rock_bsdf(self, mi, default):
        if not self.cfg.rock_surface.enabled:
            return default
        r = self.cfg.rock_surface
        rgb = mi.load_dict({"type": "rgb", "value": 0.2})
        return self._surface(mi, "rocks", rgb, photometry=False, detail="solid", instance=True,
                             min_wavelength=r.min_wavelength_m, octaves=r.octaves)

    def add_shapes(self, renderer, scene: dict, geometry) -> None:
        """Per-rock albedo on the rocks, and every extra shape of the levers that are on."""
        mi, extras, c = renderer.mi, geometry.extras, self.cfg
        self.names, self.stone_tables = [], {}
        if geometry.rock_sizes is not None and "rocks" in scene:
            self.stone_tables["rocks"] = _instance_table(mi, geometry.rock_sizes[:, 1], scene["rocks"].face_count())
        if c.rock_surface.enabled and "rocks" in scene:
            per_vertex = np.repeat(extras.rock_albedo, geometry.rock_sizes[:, 0])
            self._attribute(mi, scene["rocks"], "vertex_albedo", per_vertex, 1)
        terrain_bsdf = scene["terrain"].bsdf()
        if c.fillets.enabled:
            pts, tris = extras.fillets if extras.fillets is not None and len(extras.fillets[1]) else _empty_mesh()
            self._add(renderer, scene, "fillets", pts, tris, terrain_bsdf, uvs=_uv(geometry, pts))
        if c.pebbles.enabled:
            self._pebbles(renderer, scene, geometry)
        if c.tracks.enabled:
            self._tracks(renderer, scene, geometry)
        if c.hardware.enabled:
            for material, spec in HARDWARE_BSDFS.items():
                pts, tris = (extras.hardware or {}).get(material, _empty_mesh())
                self._add(renderer, scene, f"hw_{material}", pts, tris, mi.load_dict(spec))

    def _add(self, renderer, scene, name, points, triangles, bsdf, uvs=None, attributes=()):
        mi = renderer.mi
        padded, tris = pad_mesh(points, triangles)
        if uvs is not None:
            uvs = np.concatenate([uvs, np.zeros((len(padded) - len(uvs), 2), np.float32)])
        normals = vertex_normals(padded, tris) if name in ("fillets", "tracks") else None  # smooth surfaces
        mesh = renderer._mesh(name, padded, tris, bsdf, normals, uvs)
        for attr, values, size in attributes:
            values = np.concatenate([values, np.zeros((len(padded) - len(values),) + values.shape[1:], np.float32)])
            self._attribute(mi, mesh, attr, values, size)
        scene[name] = mesh
        self.names.append(name)

    @staticmethod
    def _attribute(mi, mesh, name, values, size):
        values = np.ascontiguousarray(values, np.float32).ravel()
        count = mesh.vertex_count() * size
        mesh.add_attribute(name, size, mi.Float(np.concatenate([values, np.ones(count - len(values), np.float32)])))

    def _pebbles(self, renderer, scene, geometry):
        mi, stones = renderer.mi, geometry.pebbles
        if stones is not None and len(stones.triangles):
            pts, tris, albedo = stones.points, stones.triangles, stones.vertex_albedo
            counts = np.diff(stones.triangle_ends, prepend=0)
        else:
            (pts, tris), albedo, counts = _empty_mesh(), np.ones(3, np.float32), np.zeros(0, np.int64)
        rgb = mi.load_dict({"type": "rgb", "value": 0.12})
        detail = "solid" if self.cfg.microdetail.enabled else "none"
        bsdf = self._surface(mi, "pebbles", rgb, instance=True, detail=detail, min_wavelength=0.005, octaves=3)
        self._add(renderer, scene, "pebbles", pts, tris, bsdf, attributes=[("vertex_albedo", albedo, 1)])
        self.stone_tables["pebbles"] = _instance_table(mi, counts, scene["pebbles"].face_count())

    def _tracks(self, renderer, scene, geometry):
        mi, tracks = renderer.mi, geometry.extras.tracks
        bsdf = self._surface(mi, "tracks", self.terrain_texture, track=True)
        if tracks is None:
            pts, tris = _empty_mesh()
            track, direction, uvs = np.zeros((3, 3), np.float32), np.zeros((3, 3), np.float32), np.zeros((3, 2))
        else:
            pts, tris, track, direction, uvs = tracks.points, tracks.triangles, tracks.track, tracks.direction, tracks.uvs
        self._add(renderer, scene, "tracks", pts, tris, bsdf, uvs=uvs.astype(np.float32),
                  attributes=[("vertex_track", track, 3), ("vertex_trackdir", direction, 3)])

    # -- per frame ----------------------------------------------------------------------------
    def apply(self, renderer, frame: FrameRecord, params) -> None:
        """The frame's lever values into the BSDFs, the rock albedo and the integrator."""
        mi = renderer.mi
        regolith = {"pixel_angle": np.radians(frame.hfov_deg) / renderer.width}
        if frame.photometry:
            p = frame.photometry
            regolith.update(b0=p.b0, h=p.h, beta=p.beta, lunar_l=p.lunar_l)
        if frame.microdetail:
            m = frame.microdetail
            regolith.update(amp=m.albedo_amplitude, slope=m.slope, tilt=m.spectral_tilt)
        for name in ("terrain", "pebbles", "tracks"):
            if name in self.bsdfs:
                self.bsdfs[name].set_values(**regolith)
        if "tracks" in self.bsdfs and frame.tracks:
            self.bsdfs["tracks"].set_values(darkening=frame.tracks.darkening, tread_slope=TREAD_SLOPE,
                                            tread_freq=1.0 / self.cfg.tracks.tread_period_m)
        if "pebbles.bsdf.reflectance.value" in params:
            params["pebbles.bsdf.reflectance.value"] = mi.Color3f(frame.regolith_albedo)
        if frame.rock_surface and "rocks" in self.bsdfs:
            r = frame.rock_surface
            self.bsdfs["rocks"].set_values(amp=r.speckle, slope=r.slope, pixel_angle=regolith["pixel_angle"])
            if "rocks.bsdf.reflectance.value" in params:
                params["rocks.bsdf.reflectance.value"] = mi.Color3f(frame.regolith_albedo * r.albedo_ratio)
        integrator = renderer.scene.integrator()
        if hasattr(integrator, "floor"):
            floor = frame.photometry.shadow_floor / max(frame.regolith_albedo, 1e-3) if frame.photometry else None
            integrator.floor = floor
            integrator.diffuse_fill_only = self.cfg.hardware.enabled

    # -- labels -------------------------------------------------------------------------------
    def class_mask(self, renderer, mask, hit, shape):
        """Hardware takes its configured label (regolith already, unless `ignore`)."""
        import drjit as dr

        mi = renderer.mi
        if self.cfg.hardware.enabled and self.cfg.hardware.label == "ignore":
            for name in self.names:
                if name.startswith("hw_"):
                    sid = dr.opaque(mi.UInt32, renderer.shape_ids[name])
                    mask = dr.select(hit & (shape == sid), mi.UInt32(IGNORE_ID), mask)
        return mask

    def ground(self, renderer, shape):
        """Device bool per pixel: on a regolith surface (terrain, fillets, tracks, pebbles), not hardware."""
        import drjit as dr

        mi, out = renderer.mi, renderer.mi.Bool(False)
        for name in ("terrain", "fillets", "tracks", "pebbles"):
            if name in renderer.shape_ids:
                out |= shape == dr.opaque(mi.UInt32, renderer.shape_ids[name])
        return out

    def stone_instances(self, renderer, shape, prim):
        """Device Int32 per pixel: the rock it sees (k >= 0), pebble k as -2 - k, -1 elsewhere; one
        gather of each stone mesh's triangle -> instance table (padding triangles: -1)."""
        import drjit as dr

        mi, out = renderer.mi, renderer.mi.Int32(-1)
        for name, table in self.stone_tables.items():
            if name not in renderer.shape_ids:
                continue
            on = shape == dr.opaque(mi.UInt32, renderer.shape_ids[name])
            inst = dr.gather(mi.Int32, table, prim, on)
            out = dr.select(on, inst if name == "rocks" else dr.select(inst >= 0, -2 - inst, -1), out)
        return out


def _instance_table(mi, triangle_counts: np.ndarray, faces: int):
    """triangle -> instance for a merged mesh of `faces` (padded) triangles: -1 past the last instance."""
    table = np.full(faces, -1, np.int32)
    inst = np.repeat(np.arange(len(triangle_counts), dtype=np.int32), triangle_counts)
    table[:len(inst)] = inst
    return mi.Int32(table)


def vertex_normals(points: np.ndarray, triangles: np.ndarray) -> np.ndarray:
    """Area-weighted vertex normals (unreferenced vertices point up)."""
    v = points[triangles].astype(np.float64)
    face = np.cross(v[:, 1] - v[:, 0], v[:, 2] - v[:, 0])
    out = np.zeros((len(points), 3))
    for k in range(3):
        np.add.at(out, triangles[:, k], face)
    length = np.linalg.norm(out, axis=1, keepdims=True)
    return np.where(length > 0, out / np.maximum(length, 1e-12), [0.0, 0.0, 1.0]).astype(np.float32)


def _uv(geometry, points):
    half = geometry.terrain_size_m / 2
    return ((points[:, :2] + half) / geometry.terrain_size_m).astype(np.float32)
