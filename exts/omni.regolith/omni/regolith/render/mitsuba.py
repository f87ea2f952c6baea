"""Headless renderer on Mitsuba 3: stage geometry + frame record -> RGB, class mask, depth.

- RGB: direct lighting from a directional sun (hard lunar shadows), `spp` samples per pixel, plus
  the light the sunlit regolith throws back up (`ground_bounce`, see `integrator`).
- Mask and depth: one primary ray through each pixel centre (`scene.ray_intersect`), so labels
  are exact and depth never blends foreground and background (multi-sample AOVs would).
- Stars are composited on sky pixels from the star texture along each pixel ray: exact, free,
  and the terrain is not lit by a noisy environment map it would barely reflect.
Rocks are one merged mesh: as Mitsuba instances they cost ~20 ms each per CPU frame.
"""
from __future__ import annotations

import numpy as np

from .. import REGOLITH, ROCK, SKY
from ..errors import RenderError
from ..plan.record import FrameRecord
from ..scene.geometry import Geometry
from ..scene.sun import sun_direction
from .backend import choose_variant
from .contract import RenderResult
from .geometry import pad_mesh, with_bound_anchors
from .instances import instance_ids, padded_rock_ids
from .integrator import bounce_integrator, ground_bounce_scale
from .textures import TEXTURE_SIZE, texture_octaves, texture_weights


class MitsubaRenderer:
    """One renderer per resolution; geometry swapped per layout, everything else per frame.

    `ground_bounce` scales the light the sunlit regolith reflects onto faces turned from the sun
    (1 = the first-order physical estimate, 0 = direct sun only, Mitsuba's `direct` integrator).
    """

    def __init__(self, width: int, height: int, spp: int = 4, variant: str = "auto", star_texture=None,
                 ground_bounce: float = 1.0, instances: bool = False, levers=None):
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
        self.instances = instances  # also return rock instance ids (`render.instances`)
        self._rock_ids = None  # per rock triangle, on the device (with `instances`)
        self.levers = levers  # render.levers.RenderLevers when a photoreal lever is on, else None

    def info(self) -> dict:
        return {"backend": "mitsuba", "variant": self.variant, "spp": self.spp}

    def set_layout(self, scene) -> None:
        """The contract's entry: a layout's scene (generate prefetches `set_geometry`'s arrays instead)."""
        from ..scene.geometry import geometry_from_scene

        self.set_geometry(geometry_from_scene(scene))

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
            "terrain": self._terrain_mesh(geometry, self.levers.terrain_bsdf(mi, regolith_bsdf) if self.levers
                                          else mi.load_dict(regolith_bsdf)),
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
            scene["rocks"] = self._mesh("rocks", points, triangles, self.levers.rock_bsdf(mi, rock_bsdf)
                                        if self.levers else rock_bsdf)
        if self.levers:
            self.levers.add_shapes(self, scene, geometry)
        self.scene = mi.load_dict(scene)
        self.params = mi.traverse(self.scene)
        import drjit as dr

        self._ids, self.shape_ids = {}, {}
        for shape in self.scene.shapes():
            sid = int(dr.reinterpret_array(mi.UInt32, mi.ShapePtr(shape))[0])
            self._ids[ROCK if shape.id() == "rocks" else REGOLITH] = sid
            self.shape_ids[shape.id()] = sid
        self._rock_ids = mi.UInt32(padded_rock_ids(geometry)) if self.instances else None

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

    def _apply(self, frame: FrameRecord) -> None:
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
        if self.levers:
            self.levers.apply(self, frame, p)
        p.update()
        if self.ground_bounce > 0:
            self.scene.integrator().scale = ground_bounce_scale(frame, self.ground_bounce)

    def _trace(self, frame: FrameRecord):
        """One ray through each pixel centre: hit, shape id, planar depth, unit direction, primitive (device)."""
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
        return si.is_valid(), shape, depth, world, si.prim_index

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

    def render(self, frame: FrameRecord, seed: int = 0) -> RenderResult:
        """RGB (spp samples), exact mask and depth; all per-pixel work stays on the device."""
        import drjit as dr

        if self.scene is None:
            raise RenderError("set_geometry() must be called before render()")
        mi = self.mi
        self._apply(frame)
        img = mi.render(self.scene, spp=self.spp, seed=seed)
        hit, shape, depth, direction, prim = self._trace(frame)
        mask = self._class_mask(hit, shape)
        instance = None if self._rock_ids is None else instance_ids(mi, self._rock_ids, prim, mask == ROCK)
        if self.levers:
            mask = self.levers.class_mask(self, mask, hit, shape)
        n = self.width * self.height
        pix = dr.arange(mi.UInt32, n)
        exposure = dr.opaque(mi.Float, frame.exposure)
        stars = self.stars is not None and frame.star_brightness > 0
        if stars and self._stars_flat is None:
            self._stars_flat = mi.Float(np.ascontiguousarray(self.stars, np.float32).ravel())
        brightness = dr.opaque(mi.Float, frame.star_brightness)
        channels = []
        for c in range(3):
            value = dr.gather(mi.Float, img.array, pix * 3 + c) * exposure
            if stars:
                value += dr.select(hit, 0.0, self._star_radiance(direction, c) * brightness)
            channels.append(value)
        return self._result(channels, mask, depth, shape, prim, instance)

    def _pack_srgb(self, channels):
        """Linear channels -> clipped, sRGB-encoded, packed 8-bit RGB (on the device)."""
        import drjit as dr

        packed = self.mi.UInt32(0)
        for c, value in enumerate(channels):
            value = dr.clip(value, 0.0, 1.0)
            srgb = dr.select(value <= 0.0031308, 12.92 * value, 1.055 * dr.power(value, 1 / 2.4) - 0.055)
            packed |= self.mi.UInt32(srgb * 255.0 + 0.5) << (8 * c)
        return packed

    def _result(self, channels, mask, depth, shape, prim, instance) -> RenderResult:
        """The frame's arrays on the host: sRGB, or, for `render.develop` to finish, linear RGB when the
        camera model develops it and the stones' ids when the size rule labels them."""
        import drjit as dr

        mi, shape2, levers = self.mi, (self.height, self.width), self.levers
        linear = levers is not None and levers.linear
        stones = levers.stone_instances(self, shape, prim) if levers is not None and levers.instances else None
        ground = levers.ground(self, shape) if linear else None
        out = mi.Vector3f(*channels) if linear else self._pack_srgb(channels)
        dr.eval(*(a for a in (out, mask, depth, stones, ground, instance) if a is not None))

        def host(a, dtype):
            return None if a is None else a.numpy().astype(dtype).reshape(shape2)

        rgb, lin = None, None
        if linear:
            lin = np.stack([np.asarray(out[c]) for c in range(3)], -1).reshape(*shape2, 3).astype(np.float32)
        else:
            rgb = out.numpy().view(np.uint8).reshape(*shape2, 4)[..., :3].copy()
        return RenderResult(rgb, host(mask, np.uint8), host(depth, np.float32), host(instance, np.uint16),
                            linear=lin, stones=host(stones, np.int32), ground=host(ground, bool))


def _any_perpendicular(v: np.ndarray) -> list:
    a = np.array([0.0, 0.0, 1.0]) if abs(v[2]) < 0.9 else np.array([1.0, 0.0, 0.0])
    p = np.cross(v, a)
    return (p / np.linalg.norm(p)).tolist()
