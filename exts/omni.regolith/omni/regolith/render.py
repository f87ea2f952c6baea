"""Headless renderer on Mitsuba 3: stage geometry + frame parameters -> RGB, class mask, depth.

- RGB: direct lighting from a directional sun (hard lunar shadows), `spp` samples per pixel, plus
  the light the sunlit regolith throws back up (`ground_bounce`, see `bounce_integrator`).
- Mask and depth: one primary ray through each pixel centre (`scene.ray_intersect`), so labels
  are exact and depth never blends foreground and background (multi-sample AOVs would).
- Stars are composited on sky pixels from the star texture along each pixel ray: exact, free,
  and the terrain is not lit by a noisy environment map it would barely reflect.
Rocks are one merged mesh: as Mitsuba instances they cost ~20 ms each per CPU frame.
"""
from __future__ import annotations

import glob
import os
import re
import warnings
from dataclasses import dataclass

import numpy as np

from . import REGOLITH, ROCK, SKY
from .camera import sun_direction
from .errors import RenderError
from .frame import FrameParams
from .geometry import Geometry

TEXTURE_SIZE = 1024
TEXTURE_OCTAVES_M = (0.25, 0.5, 1.0, 2.0, 4.0, 8.0)


def find_llvm() -> str | None:
    """Path of an LLVM >= 16 shared library (Dr.Jit's LLVM backend crashes on 14/15)."""
    env = os.environ.get("DRJIT_LIBLLVM_PATH")
    if env and os.path.exists(env):
        return env
    best = None
    for path in glob.glob("/usr/lib/*/libLLVM*.so*") + glob.glob("/usr/lib/llvm-*/lib/libLLVM*.so*"):
        m = re.search(r"libLLVM[-.]?(?:so\.)?(\d+)", os.path.basename(path))
        if m and int(m.group(1)) >= 16 and (best is None or int(m.group(1)) > best[0]):
            best = (int(m.group(1)), path)
    return best[1] if best else None


def _has_cuda() -> bool:
    return any(os.path.exists(p) for p in ("/dev/nvidia0", "/dev/nvidiactl")) or bool(
        glob.glob("/usr/lib/*/libcuda.so*") + glob.glob("/usr/local/nvidia/lib64/libcuda.so*"))


def choose_variant(requested: str = "auto") -> str:
    """cuda_ad_rgb with a GPU, else llvm_ad_rgb with LLVM >= 16, else scalar_rgb (slow, warned)."""
    llvm = find_llvm()
    if llvm:
        os.environ.setdefault("DRJIT_LIBLLVM_PATH", llvm)  # must be set before drjit loads
    try:
        import mitsuba as mi
    except ImportError as exc:
        raise RenderError(f"mitsuba is not installed ({exc}); run ./repo.sh setup") from None
    candidates = [requested] if requested != "auto" else (
        (["cuda_ad_rgb"] if _has_cuda() else []) + (["llvm_ad_rgb"] if llvm else []) + ["scalar_rgb"])
    for variant in candidates:
        try:
            mi.set_variant(variant)
            if variant != "scalar_rgb":
                import drjit as dr
                dr.eval(mi.Float([1.0]) + 1)  # fails here, not mid-render, if the backend is broken
            if variant == "scalar_rgb" and requested == "auto":
                warnings.warn("no GPU and no LLVM >= 16: rendering with scalar_rgb is very slow "
                              "(apt-get install libllvm19)")
            return variant
        except Exception as exc:  # noqa: BLE001 - try the next backend, report the last failure
            last = exc
    raise RenderError(f"no usable Mitsuba variant among {candidates}: {last}")


@dataclass
class RenderResult:
    rgb: np.ndarray  # (h, w, 3) uint8 sRGB
    mask: np.ndarray  # (h, w) uint8 class ids
    depth: np.ndarray  # (h, w) float32 planar depth in metres, 0 where sky


def linear_to_srgb8(x: np.ndarray) -> np.ndarray:
    x = np.clip(x, 0.0, 1.0)
    y = np.where(x <= 0.0031308, 12.92 * x, 1.055 * np.power(x, 1 / 2.4) - 0.055)
    return (y * 255 + 0.5).astype(np.uint8)


def texture_octaves(seed: int = 0, size: int = TEXTURE_SIZE, terrain_size_m: float = 80.0) -> np.ndarray:
    """(octaves, size, size) unit-variance noise layers at fixed wavelengths in metres."""
    from .terrain import value_noise

    rng = np.random.default_rng([seed, 5])
    layers = [value_noise(rng, size, terrain_size_m, w) for w in TEXTURE_OCTAVES_M]
    return np.stack([(l - l.mean()) / (l.std() + 1e-9) for l in layers]).astype(np.float32)


def texture_weights(albedo: float, scale_m: float, contrast: float) -> np.ndarray:
    """Octave weights of one texture family: noise centred on `scale_m` features, `contrast` spread."""
    w = np.exp(-0.5 * (np.log2(np.array(TEXTURE_OCTAVES_M) / scale_m) / 0.8) ** 2)
    return (w / np.linalg.norm(w) * albedo * contrast).astype(np.float32)


PAD_TRIANGLES = 16384
ANCHOR_HEIGHT_M = 1000.0


def with_bound_anchors(geometry: Geometry):
    """Terrain arrays plus two unreferenced vertices that pin the scene's bounding box.

    The directional sun bakes the scene's bounding sphere into the compiled kernel, so each new
    rock layout would recompile it (~0.15 s on 2 CPU cores); a fixed box keeps one kernel.
    """
    half = geometry.terrain_size_m
    anchors = np.array([[-half, -half, -ANCHOR_HEIGHT_M], [half, half, ANCHOR_HEIGHT_M]], np.float32)
    up = np.array([[0, 0, 1], [0, 0, 1]], np.float32)
    points = np.concatenate([geometry.terrain_points, anchors])
    normals = np.concatenate([geometry.terrain_normals, up])
    uvs = np.concatenate([geometry.terrain_uvs, np.zeros((2, 2), np.float32)])
    return points, geometry.terrain_triangles, normals, uvs


def pad_mesh(points: np.ndarray, triangles: np.ndarray, block: int = PAD_TRIANGLES):
    """Pad a mesh to a multiple of `block` triangles with degenerate ones far below the ground.

    Mitsuba bakes mesh sizes into its kernels, so every new rock count would compile new
    kernels (~0.2 s on 2 CPU cores); a few fixed capacities keep the kernel cache warm.
    Zero-area triangles are never hit.
    """
    extra = -len(triangles) % block
    if extra == 0:
        return points, triangles
    sink = len(points)
    points = np.concatenate([points, np.array([[0.0, 0.0, -1.0e4]], np.float32)]).astype(np.float32)
    triangles = np.concatenate([triangles, np.full((extra, 3), sink, np.int32)])
    return points, triangles


def ground_bounce_scale(frame: FrameParams, strength: float = 1.0) -> float:
    """The frame's bounce-light scale: a face's fill radiance is albedo_face * scale * (1 - n_z) / 2.

    The ground is taken as an infinite Lambertian plane of the frame's regolith albedo lit by the
    sun, of radiance albedo * E * sin(elevation) / pi; a face with world normal n sees a
    (1 - n_z) / 2 share of it.
    """
    sin_el = max(np.sin(np.radians(frame.sun_elevation_deg)), 0.0)
    return float(strength * frame.regolith_albedo * frame.sun_irradiance * sin_el / np.pi)


_BOUNCE_CLASSES: dict = {}


def bounce_integrator(mi):
    """Direct sun lighting plus an unshadowed ground-bounce fill, as a Mitsuba integrator.

    Why: with direct light only, every face turned from the sun is exactly black, as black as the
    shadows rocks cast on the ground, and a model cannot tell the two apart: a fifth of rock pixels
    were (0, 0, 0) against 1% in the real Chang'e-3 frames. On the Moon those faces are lit by the
    regolith around them; RTX path tracing (the Replicator backend) computes that bounce, this adds
    its first-order estimate. Faces that look down or sideways get it, flat ground in a cast shadow
    does not. Costs ~8% over Mitsuba's own `direct` on 2 CPU cores, within the noise on a GPU
    (`tools/bench/integrators.py`; its primary rays are coherent, as `direct`'s are).
    """
    if mi.variant() not in _BOUNCE_CLASSES:
        import drjit as dr

        class GroundBounceDirect(mi.SamplingIntegrator):
            def __init__(self, props=None):
                super().__init__(props or mi.Properties())
                self.scale = 0.0  # set per frame from ground_bounce_scale
                # read when a render is traced; tools/bench/integrators.py turns them off to measure them
                self.coherent, self.fill = True, True

            def sample(self, scene, sampler, ray, medium=None, active=True):
                si = scene.ray_intersect(ray, ray_flags=mi.RayFlags.All, coherent=self.coherent, active=active)
                hit = si.is_valid()
                bsdf = si.bsdf(ray)
                ds, sun = scene.sample_emitter_direction(si, sampler.next_2d(hit), True, hit)
                light = sun * bsdf.eval(mi.BSDFContext(), si, si.to_local(ds.d), hit)
                if self.fill:  # opaque scale: a per-frame literal would recompile the kernel every frame
                    light += bsdf.eval_diffuse_reflectance(si, hit) * dr.opaque(mi.Float, self.scale) \
                        * (1.0 - si.sh_frame.n.z) * 0.5
                return dr.select(hit, light, 0.0), hit, []

        _BOUNCE_CLASSES[mi.variant()] = GroundBounceDirect
    return _BOUNCE_CLASSES[mi.variant()]()


class MitsubaRenderer:
    """One renderer per resolution; geometry swapped per layout, everything else per frame.

    `ground_bounce` scales the light the sunlit regolith reflects onto faces turned from the sun
    (1 = the first-order physical estimate, 0 = direct sun only, Mitsuba's `direct` integrator).
    """

    def __init__(self, width: int, height: int, spp: int = 4, variant: str = "auto", star_texture=None,
                 ground_bounce: float = 1.0):
        self.variant = choose_variant(variant)
        import mitsuba as mi

        self.mi = mi
        self.width, self.height, self.spp = width, height, spp
        self.ground_bounce = float(ground_bounce)
        self.stars = star_texture  # (h, 2h, 3) float32 equirectangular radiance, or None
        self.scene = None
        self._stars_flat = None
        self._octaves = None
        self._pixel_grid = None  # pixel-centre offsets from the principal point, on the device

    def set_geometry(self, geometry: Geometry) -> None:
        """Build the Mitsuba scene (this rebuilds the BVH: group frames per geometry)."""
        mi = self.mi
        if self._octaves is None or self._terrain_size != geometry.terrain_size_m:
            self._octaves = [mi.Float(layer.ravel()) for layer in texture_octaves(terrain_size_m=geometry.terrain_size_m)]
            self._terrain_size = geometry.terrain_size_m
        flat = np.full((4, 4, 1), 0.1, np.float32)
        regolith_bsdf = {"type": "diffuse", "reflectance": {
            "type": "bitmap", "bitmap": mi.Bitmap(flat), "raw": True, "filter_type": "bilinear"}}
        scene = {
            "type": "scene",
            "integrator": bounce_integrator(mi) if self.ground_bounce > 0 else
            {"type": "direct", "emitter_samples": 1, "bsdf_samples": 0},
            "sun": {"type": "directional", "direction": [0, 0, -1], "irradiance": {"type": "rgb", "value": 1.0}},
            "terrain": self._terrain_mesh(geometry, mi.load_dict(regolith_bsdf)),
            "sensor": {
                "type": "perspective", "fov_axis": "x", "fov": 60.0, "near_clip": 0.01, "far_clip": 1e5,
                "film": {"type": "hdrfilm", "width": self.width, "height": self.height,
                         "rfilter": {"type": "box"}, "pixel_format": "rgb"},
                "sampler": {"type": "independent", "sample_count": self.spp},
            },
        }
        if len(geometry.rock_triangles):
            rock_bsdf = mi.load_dict({"type": "diffuse", "reflectance": {"type": "rgb", "value": 0.2}})
            points, triangles = pad_mesh(geometry.rock_points, geometry.rock_triangles)
            scene["rocks"] = self._mesh("rocks", points, triangles, rock_bsdf)
        self.scene = mi.load_dict(scene)
        self.params = mi.traverse(self.scene)
        import drjit as dr

        self._ids = {}
        for shape in self.scene.shapes():
            sid = int(dr.reinterpret_array(mi.UInt32, mi.ShapePtr(shape))[0])
            self._ids[ROCK if shape.id() == "rocks" else REGOLITH] = sid

    def _terrain_mesh(self, geometry: Geometry, bsdf):
        points, triangles, normals, uvs = with_bound_anchors(geometry)
        return self._mesh("terrain", points, triangles, bsdf, normals, uvs)

    def _mesh(self, name, points, triangles, bsdf, normals=None, uvs=None):
        mi = self.mi
        props = mi.Properties()
        props["bsdf"] = bsdf
        mesh = mi.Mesh(name, len(points), len(triangles), props,
                       has_vertex_normals=normals is not None, has_vertex_texcoords=uvs is not None)
        p = mi.traverse(mesh)
        p["vertex_positions"] = mi.Float(np.ascontiguousarray(points, np.float32).ravel())
        p["faces"] = mi.UInt32(np.ascontiguousarray(triangles, np.uint32).ravel())
        if normals is not None:
            p["vertex_normals"] = mi.Float(np.ascontiguousarray(normals, np.float32).ravel())
        if uvs is not None:
            p["vertex_texcoords"] = mi.Float(np.ascontiguousarray(uvs, np.float32).ravel())
        p.update()
        return mesh

    def _apply(self, frame: FrameParams) -> None:
        mi, p = self.mi, self.params
        T = mi.ScalarTransform4f
        pose = frame.camera
        origin = pose.position
        up = -pose.rotation[:, 1]
        p["sensor.to_world"] = T().look_at(origin=origin.tolist(), target=(origin + pose.forward).tolist(), up=up.tolist())
        p["sensor.x_fov"] = float(pose.hfov_deg)
        to_sun = sun_direction(frame.sun_elevation_deg, frame.sun_azimuth_deg)
        p["sun.to_world"] = T().look_at(origin=[0, 0, 0], target=(-to_sun).tolist(), up=_any_perpendicular(to_sun))
        p["sun.irradiance.value"] = mi.Color3f(frame.sun_irradiance)
        import drjit as dr

        weights = texture_weights(frame.regolith_albedo, frame.texture_scale_m, frame.texture_contrast)
        tex = dr.opaque(mi.Float, frame.regolith_albedo)
        for w, layer in zip(weights, self._octaves):  # opaque weights: one compiled kernel for all frames
            tex = tex + dr.opaque(mi.Float, float(w)) * layer
        p["terrain.bsdf.reflectance.data"] = mi.TensorXf(dr.clip(tex, 0.005, 1.0), (TEXTURE_SIZE, TEXTURE_SIZE, 1))
        if "rocks.bsdf.reflectance.value" in p:
            p["rocks.bsdf.reflectance.value"] = mi.Color3f(frame.rock_albedo)
        p.update()
        if self.ground_bounce > 0:
            self.scene.integrator().scale = ground_bounce_scale(frame, self.ground_bounce)

    def _trace(self, frame: FrameParams):
        """One ray through each pixel centre: hit, shape id, planar depth and unit direction (device)."""
        import drjit as dr

        mi = self.mi
        if self._pixel_grid is None:
            k = frame.camera.intrinsics(self.width, self.height)
            v, u = np.divmod(np.arange(self.width * self.height), self.width)
            self._pixel_grid = (mi.Float((u - k["cx"]).astype(np.float32)), mi.Float((v - k["cy"]).astype(np.float32)))
        # Camera values enter as opaque variables, not literals: a literal that changes every frame
        # would recompile the kernel every frame (~30 ms on LLVM, far more for an OptiX pipeline).
        inv_fx = dr.opaque(mi.Float, 1.0 / frame.camera.intrinsics(self.width, self.height)["fx"])
        du, dv = self._pixel_grid
        cam = mi.Vector3f(du * inv_fx, dv * inv_fx, 1.0)  # camera space, z = 1: planar depth = t / |cam|
        length = dr.norm(cam)
        r = [[dr.opaque(mi.Float, float(x)) for x in row] for row in frame.camera.rotation]
        world = mi.Vector3f(*(r[i][0] * cam.x + r[i][1] * cam.y + r[i][2] * cam.z for i in range(3))) / length
        o = mi.Point3f(*[dr.opaque(mi.Float, float(x)) for x in frame.camera.position])
        si = self.scene.ray_intersect(mi.Ray3f(o, world), ray_flags=mi.RayFlags.Minimal, coherent=True)
        shape = dr.reinterpret_array(mi.UInt32, si.shape)
        depth = dr.select(si.is_valid(), si.t / length, 0.0)
        return si.is_valid(), shape, depth, world

    def _class_mask(self, hit, shape):
        import drjit as dr

        mi = self.mi
        mask = dr.select(hit, mi.UInt32(REGOLITH), mi.UInt32(SKY))
        if ROCK in self._ids:
            rock_id = dr.opaque(mi.UInt32, self._ids[ROCK])  # ids change per scene: not a literal
            mask = dr.select(hit & (shape == rock_id), mi.UInt32(ROCK), mask)
        return mask

    def _star_radiance(self, direction, channel: int):
        """Star texture along unit `direction` (equirectangular, Z up), gathered on the device."""
        import drjit as dr

        mi = self.mi
        h, w = self.stars.shape[:2]
        row = dr.minimum(mi.UInt32(dr.acos(dr.clip(direction.z, -1, 1)) * (h / dr.pi)), h - 1)
        phi = dr.atan2(direction.y, direction.x)
        phi = dr.select(phi < 0, phi + 2 * dr.pi, phi)
        col = dr.minimum(mi.UInt32(phi * (w / (2 * dr.pi))), w - 1)
        return dr.gather(mi.Float, self._stars_flat, (row * w + col) * 3 + channel)

    def render(self, frame: FrameParams, seed: int = 0) -> RenderResult:
        """RGB (spp samples), exact mask and depth; all per-pixel work stays on the device."""
        import drjit as dr

        if self.scene is None:
            raise RenderError("set_geometry() must be called before render()")
        mi = self.mi
        self._apply(frame)
        img = mi.render(self.scene, spp=self.spp, seed=seed)
        hit, shape, depth, direction = self._trace(frame)
        mask = self._class_mask(hit, shape)
        n = self.width * self.height
        pix = dr.arange(mi.UInt32, n)
        exposure = dr.opaque(mi.Float, frame.exposure)
        stars = self.stars is not None and frame.star_brightness > 0
        if stars and self._stars_flat is None:
            self._stars_flat = mi.Float(np.ascontiguousarray(self.stars, np.float32).ravel())
        brightness = dr.opaque(mi.Float, frame.star_brightness)
        packed = mi.UInt32(0)
        for c in range(3):
            value = dr.gather(mi.Float, img.array, pix * 3 + c) * exposure
            if stars:
                value += dr.select(hit, 0.0, self._star_radiance(direction, c) * brightness)
            value = dr.clip(value, 0.0, 1.0)
            srgb = dr.select(value <= 0.0031308, 12.92 * value, 1.055 * dr.power(value, 1 / 2.4) - 0.055)
            packed |= mi.UInt32(srgb * 255.0 + 0.5) << (8 * c)
        dr.eval(packed, mask, depth)
        rgb = packed.numpy().view(np.uint8).reshape(self.height, self.width, 4)[..., :3].copy()
        shape2 = (self.height, self.width)
        return RenderResult(rgb, mask.numpy().astype(np.uint8).reshape(shape2),
                            depth.numpy().astype(np.float32).reshape(shape2))


def _any_perpendicular(v: np.ndarray) -> list:
    a = np.array([0.0, 0.0, 1.0]) if abs(v[2]) < 0.9 else np.array([1.0, 0.0, 0.0])
    p = np.cross(v, a)
    return (p / np.linalg.norm(p)).tolist()
