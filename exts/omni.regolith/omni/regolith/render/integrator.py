"""The ground-bounce integrator: direct sun plus the light the sunlit regolith throws back up."""
from __future__ import annotations

import numpy as np

from ..plan.record import FrameRecord


def ground_bounce_scale(frame: FrameRecord, strength: float = 1.0) -> float:
    """The frame's bounce-light scale: a face's fill radiance is albedo_face * scale * (1 - n_z) / 2.

    The ground is taken as an infinite Lambertian plane of the frame's regolith albedo lit by the
    sun, of radiance albedo * E * sin(elevation) / pi; a face with world normal n sees a
    (1 - n_z) / 2 share of it.
    """
    sin_el = max(np.sin(np.radians(frame.sun_elevation_deg)), 0.0)
    return float(strength * frame.regolith_albedo * frame.sun_irradiance * sin_el / np.pi)


_BOUNCE_CLASSES: dict = {}


def lever_fill(mi, dr, integrator, bsdf, si, hit):
    """The fill with the levers' shadow floor and without fill on non-diffuse (metal) surfaces."""
    share = (1.0 - si.sh_frame.n.z) * 0.5
    if integrator.floor is not None:
        share = dr.maximum(share, dr.opaque(mi.Float, integrator.floor))
    fill = bsdf.eval_diffuse_reflectance(si, hit) * dr.opaque(mi.Float, integrator.scale) * share
    if integrator.diffuse_fill_only:
        fill = dr.select(mi.has_flag(bsdf.flags(), mi.BSDFFlags.DiffuseReflection), fill, 0.0)
    return fill


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
                # the photoreal levers (render.levers): light in cast shadows on flat ground, as a share
                # of the fill's full strength (None: off), and no fill on glossy metal (its albedo is no fill)
                self.floor, self.diffuse_fill_only = None, False
                # read when a render is traced; tools/bench/integrators.py turns them off to measure them
                self.coherent, self.fill = True, True

            def sample(self, scene, sampler, ray, medium=None, active=True):
                si = scene.ray_intersect(ray, ray_flags=mi.RayFlags.All, coherent=self.coherent, active=active)
                hit = si.is_valid()
                bsdf = si.bsdf(ray)
                ds, sun = scene.sample_emitter_direction(si, sampler.next_2d(hit), True, hit)
                light = sun * bsdf.eval(mi.BSDFContext(), si, si.to_local(ds.d), hit)
                if self.fill and self.floor is None and not self.diffuse_fill_only:
                    # opaque scale: a per-frame literal would recompile the kernel every frame
                    light += bsdf.eval_diffuse_reflectance(si, hit) * dr.opaque(mi.Float, self.scale) \
                        * (1.0 - si.sh_frame.n.z) * 0.5
                elif self.fill:
                    light += lever_fill(mi, dr, self, bsdf, si, hit)
                return dr.select(hit, light, 0.0), hit, []

        _BOUNCE_CLASSES[mi.variant()] = GroundBounceDirect
    return _BOUNCE_CLASSES[mi.variant()]()
