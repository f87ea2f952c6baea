"""What does the ground-bounce light cost? Mitsuba's `direct` integrator against ours and two variants.

Each integrator renders the same 300 frames of the default stage through `MitsubaRenderer.render`
(RGB 4 spp + mask + depth, sun and camera changing), then 100 bare `mi.render` calls. Variants:
`direct` (Mitsuba's, ground_bounce 0), `bounce` (ours, the default), `nocoherent` (ours with
incoherent primary rays), `nofill` (ours without the fill term); `direct` runs again last, to show
the run-to-run spread on one machine.
Usage: python tools/bench/integrators.py [--frames 300] [--resolution 512x512]
"""
from __future__ import annotations

import argparse
import dataclasses
import time



def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--frames", type=int, default=300)
    ap.add_argument("--resolution", default="512x512")
    args = ap.parse_args()
    w, h = (int(v) for v in args.resolution.split("x"))

    from omni.regolith.render.backend import choose_variant
    from omni.regolith.render.mitsuba import MitsubaRenderer
    from omni.regolith.scene.camera import look_rotation
    from omni.regolith.config.files import load_config
    from omni.regolith.plan.record import stage_frame
    from omni.regolith.scene.geometry import geometry_from_scene
    from omni.regolith.scene.build import build_scene

    variant = choose_variant("auto")
    import drjit as dr
    import mitsuba as mi

    cfg = load_config(None, [])
    scene = build_scene(cfg)
    geometry, f0 = geometry_from_scene(scene), stage_frame(cfg, scene.camera)
    frames = [dataclasses.replace(f0, sun_elevation_deg=5 + (i * 7) % 80, sun_azimuth_deg=(i * 37) % 360,
                                  camera=dataclasses.replace(f0.camera, rotation=look_rotation(30 + i * 3, -12)))
              for i in range(args.frames)]
    print(f"{args.frames} frames {w}x{h}, 4 spp, {variant}")
    for kind in ("direct", "bounce", "nocoherent", "nofill", "direct"):
        r = MitsubaRenderer(w, h, 4, ground_bounce=0.0 if kind == "direct" else 1.0)
        r.set_geometry(geometry)
        if kind in ("nocoherent", "nofill"):  # the shipped integrator with one of its switches off
            integrator = r.scene.integrator()
            integrator.coherent, integrator.fill = kind != "nocoherent", kind != "nofill"
        for f in frames[:3]:  # warm-up: kernel compilation
            r.render(f)
        t = time.perf_counter()
        for i, f in enumerate(frames):
            r.render(f, seed=i)
        t1 = time.perf_counter()
        for i, f in enumerate(frames[:100]):
            r._apply(f)
            dr.eval(mi.render(r.scene, spp=4, seed=i))
        dr.sync_thread()
        t2 = time.perf_counter()
        print(f"{kind:>11}: full {len(frames) / (t1 - t):.1f} frames/s; mi.render only "
              f"{min(100, len(frames)) / (t2 - t1):.1f}/s", flush=True)


if __name__ == "__main__":
    main()
