"""One Python BSDF for every lunar surface the levers touch: regolith, pebbles, tracks and rocks.

    f = A / pi * [2 L(g) / (mu0 + mu) + 1 - L(g)] * exp(-beta g) * (1 + B0 / (1 + tan(g/2) / h))

with `photometry` on (lunar-Lambert with McEwen's L(g), a phase term and the opposition surge:
notes, prototype A); plain Lambert (A / pi) with it off. On top, all optional and chosen when the
scene is built (so each surface traces only what it uses):
- `detail`: "plane" = rotated 2D octaves of world xy (the ground), "solid" = 3D octaves (rocks):
  the albedo times 1 + amp * sum(octaves), and a bump that tilts the shading normal by rms `slope`
  per octave (`render.noise`);
- `instance`: a per-vertex albedo multiplier (`vertex_albedo`: each rock or pebble its own);
- `track`: a wheel groove's darkening and tread bump from per-vertex `vertex_track` (along the
  path, in-groove weight) and `vertex_trackdir` (the path's direction).
Per-frame values are opaque attributes (set by `render.levers`), so frames reuse one kernel.
`eval_diffuse_reflectance` returns the (detailed) albedo, which the ground-bounce fill uses.
Methods are traced symbolically: no Python branches on array values, only `dr.select`.
"""
from __future__ import annotations

_CLASSES: dict = {}

PER_FRAME = ("b0", "h", "beta", "lunar_l", "amp", "slope", "tilt", "pixel_angle", "darkening", "tread_slope",
             "tread_freq")


def regolith_bsdf(mi, reflectance, photometry=False, detail="none", instance=False, track=False,
                  min_wavelength=0.01, octaves=6):
    """A lunar surface BSDF for the active variant (the class is built once per variant)."""
    if mi.variant() not in _CLASSES:
        _CLASSES[mi.variant()] = _make_class(mi)
    props = mi.Properties()
    props["reflectance"] = reflectance
    bsdf = _CLASSES[mi.variant()](props)
    bsdf.photometry, bsdf.detail, bsdf.instance, bsdf.track = photometry, detail, instance, track
    bsdf.min_wavelength, bsdf.octaves = float(min_wavelength), int(octaves)
    if instance:
        bsdf.instance_tex = mi.load_dict({"type": "mesh_attribute", "name": "vertex_albedo"})
    if track:
        bsdf.track_tex = mi.load_dict({"type": "mesh_attribute", "name": "vertex_track"})
        bsdf.trackdir_tex = mi.load_dict({"type": "mesh_attribute", "name": "vertex_trackdir"})
    return bsdf


def _make_class(mi):
    import drjit as dr

    from .noise import fbm_plane, fbm_solid

    class RegolithBSDF(mi.BSDF):
        def __init__(self, props):
            mi.BSDF.__init__(self, props)
            self.reflectance = props["reflectance"]
            defaults = {"b0": 0.0, "h": 0.06, "beta": 0.0, "lunar_l": -1.0, "amp": 0.0, "slope": 0.0, "tilt": 0.0,
                        "pixel_angle": 0.0024, "darkening": 1.0, "tread_slope": 0.0, "tread_freq": 25.0}
            for name, value in defaults.items():
                setattr(self, name, dr.opaque(mi.Float, value))
            self.photometry, self.detail, self.instance, self.track = False, "none", False, False
            flags = mi.BSDFFlags.DiffuseReflection | mi.BSDFFlags.FrontSide
            self.m_components, self.m_flags = [flags], flags

        def set_values(self, **values):
            """Per-frame values as opaque variables: a literal would recompile the kernel every frame."""
            for name, value in values.items():
                setattr(self, name, dr.opaque(mi.Float, float(value)))

        def _albedo_and_bump(self, si, active, bump=True):
            """(albedo, world-space bump gradient or None; the gradient's arithmetic only with `bump`)."""
            albedo = self.reflectance.eval(si, active)
            factor, grad = mi.Float(1.0), None
            if self.instance:
                factor *= self.instance_tex.eval_1(si, active)
            if self.detail != "none":
                cos_i = dr.maximum(dr.abs(mi.Frame3f.cos_theta(si.wi)), 0.05)
                foot = si.t * self.pixel_angle * dr.rsqrt(cos_i)
                if self.detail == "plane":
                    m, gx, gy = fbm_plane(mi, si.p, foot, self.min_wavelength, self.octaves, self.tilt, grad=bump)
                    grad = mi.Vector3f(gx, gy, 0.0) * self.slope
                else:
                    m, g = fbm_solid(mi, si.p, foot, self.min_wavelength, self.octaves, grad=bump)
                    grad = g * self.slope
                factor *= dr.maximum(1.0 + self.amp * m, 0.05)
            if self.track:
                t = self.track_tex.eval(si, active)
                groove = dr.clip(t[1], 0.0, 1.0)
                factor *= 1.0 - groove * (1.0 - self.darkening)
                d = self.trackdir_tex.eval(si, active)
                ridge = dr.cos(t[0] * self.tread_freq * (2.0 * dr.pi)) * groove * self.tread_slope
                tread = mi.Vector3f(d[0], d[1], 0.0) * ridge
                grad = tread if grad is None else grad + tread
            return albedo * factor, grad

        def _response(self, wi, wo, active):
            """f / (A / pi) * cos(wo), and where it is valid."""
            mu, mu0 = mi.Frame3f.cos_theta(wi), mi.Frame3f.cos_theta(wo)
            active = active & (mu > 0.0) & (mu0 > 0.0)
            if not self.photometry:
                return dr.select(active, mu0, 0.0), active
            cos_g = dr.clip(dr.dot(wi, wo), -1.0, 1.0)
            g = dr.safe_acos(cos_g)
            gd = g * (180.0 / dr.pi)
            poly = 1.0 + gd * (-0.019 + gd * (2.42e-4 - gd * 1.46e-6))  # McEwen (1991)
            lam = dr.select(self.lunar_l >= 0.0, self.lunar_l, dr.clip(poly, 0.0, 1.0))
            shape = 2.0 * lam / dr.maximum(mu0 + mu, 1e-4) + (1.0 - lam)
            tan_half = dr.sqrt(dr.maximum((1.0 - cos_g) / dr.maximum(1.0 + cos_g, 1e-6), 0.0))
            surge = self.b0 / (1.0 + tan_half / dr.maximum(self.h, 1e-4))
            return dr.select(active, shape * dr.exp(-self.beta * g) * (1.0 + surge) * mu0, 0.0), active

        def eval(self, ctx, si, wo, active=True):
            if not ctx.is_enabled(mi.BSDFFlags.DiffuseReflection):
                return mi.Spectrum(0.0)
            albedo, grad = self._albedo_and_bump(si, active)
            wi_l, wo_l = si.wi, wo
            if grad is not None:  # tilt the shading normal: n' = normalize(n - (grad - (grad.n) n))
                n = si.sh_frame.n
                bumped = mi.Frame3f(dr.normalize(n - grad + dr.dot(n, grad) * n))
                wi_l, wo_l = bumped.to_local(si.to_world(si.wi)), bumped.to_local(si.to_world(wo))
                active = active & (mi.Frame3f.cos_theta(wo) > 0.0)  # no light through the surface itself
            k, active = self._response(wi_l, wo_l, active)
            return dr.select(active, albedo * (k * dr.inv_pi), 0.0)

        def pdf(self, ctx, si, wo, active=True):
            ok = active & (mi.Frame3f.cos_theta(si.wi) > 0.0) & (mi.Frame3f.cos_theta(wo) > 0.0)
            return dr.select(ok, mi.warp.square_to_cosine_hemisphere_pdf(wo), 0.0)

        def eval_pdf(self, ctx, si, wo, active=True):
            return self.eval(ctx, si, wo, active), self.pdf(ctx, si, wo, active)

        def sample(self, ctx, si, sample1, sample2, active=True):
            """Cosine sampling (the direct-light integrators never call it; a path tracer could)."""
            bs = dr.zeros(mi.BSDFSample3f)
            bs.wo = mi.warp.square_to_cosine_hemisphere(sample2)
            bs.pdf = mi.warp.square_to_cosine_hemisphere_pdf(bs.wo)
            bs.eta = 1.0
            bs.sampled_type = mi.UInt32(+mi.BSDFFlags.DiffuseReflection)
            bs.sampled_component = mi.UInt32(0)
            value = self.eval(ctx, si, bs.wo, active)
            return bs, dr.select(active & (bs.pdf > 0.0), value / dr.maximum(bs.pdf, 1e-8), 0.0)

        def eval_diffuse_reflectance(self, si, active=True):
            return self._albedo_and_bump(si, active, bump=False)[0]

        def traverse(self, callback):
            callback.put("reflectance", self.reflectance, mi.ParamFlags.Differentiable)

        def parameters_changed(self, keys):
            pass

        def to_string(self):
            return f"RegolithBSDF[photometry={self.photometry}, detail={self.detail}, track={self.track}]"

    return RegolithBSDF
