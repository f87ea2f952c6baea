"""Preview render throughput: frames/s at 512x512 for the default stage, RGB + mask + depth.

Sun and camera change every frame (free: no BVH rebuild), as in a dataset layout group.
Usage: python tools/bench/render.py [--frames N] [--resolution 512x512] [--variant auto] [--set key=value ...]
Prints a table line and a final JSON line. Target: >= 5 frames/s on 2 CPU cores, >= 150 on one H100.
"""
from __future__ import annotations

import argparse
import dataclasses
import json
import tempfile
import time
from pathlib import Path

from omni.regolith.hardware import device_name


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--frames", type=int, default=40)
    ap.add_argument("--resolution", default="512x512")
    ap.add_argument("--variant", default="auto")
    ap.add_argument("--from-usd", action="store_true", help="read the stage back from a .usda (needs pxr)")
    ap.add_argument("--set", dest="overrides", action="append", default=[], help="config override, as for regolith")
    args = ap.parse_args()
    w, h = (int(v) for v in args.resolution.split("x"))

    from omni.regolith.config.files import load_config
    from omni.regolith.plan.record import stage_frame
    from omni.regolith.render.mitsuba import MitsubaRenderer
    from omni.regolith.scene.build import build_scene
    from omni.regolith.scene.camera import look_rotation
    from omni.regolith.scene.geometry import geometry_from_scene
    from omni.regolith.scene.stars import star_texture

    cfg = load_config(None, args.overrides)
    scene = build_scene(cfg)
    if args.from_usd:
        from omni.regolith.stage.author import write_stage
        from omni.regolith.stage.read import open_stage, read_stage
        path = write_stage(scene, Path(tempfile.mkdtemp()) / "stage.usda")
        geometry, frame, _ = read_stage(open_stage(path))
    else:
        geometry, frame = geometry_from_scene(scene), stage_frame(cfg, scene.camera)
    renderer = MitsubaRenderer(w, h, cfg.render.spp, args.variant,
                               star_texture=star_texture(cfg.lighting.star_texture_width, cfg.lighting.star_count, 0),
                               ground_bounce=cfg.render.ground_bounce, instances=cfg.render.instances)
    t = time.perf_counter()
    renderer.set_geometry(geometry)
    bvh_s = time.perf_counter() - t
    frames = [dataclasses.replace(frame, sun_elevation_deg=5 + (i * 7) % 80, sun_azimuth_deg=(i * 37) % 360,
                                  camera=dataclasses.replace(frame.camera, rotation=look_rotation(30 + i * 3, -12)))
              for i in range(args.frames)]
    for f in frames[:3]:  # warm-up: kernel compilation
        renderer.render(f)
    t = time.perf_counter()
    for i, f in enumerate(frames):
        res = renderer.render(f, seed=i)
    elapsed = time.perf_counter() - t
    fps = args.frames / elapsed
    target = 150.0 if renderer.variant.startswith("cuda") else 5.0
    result = {"bench": "render", "device": device_name(renderer.variant.startswith("cuda")), "variant": renderer.variant,
              "resolution": f"{w}x{h}", "spp": cfg.render.spp, "ground_bounce": cfg.render.ground_bounce,
              "instances": cfg.render.instances, "frames": args.frames,
              "terrain_triangles": int(len(geometry.terrain_triangles)), "rock_triangles": int(len(geometry.rock_triangles)),
              "frames_per_s": round(fps, 2), "ms_per_frame": round(1000 / fps, 2), "bvh_build_s": round(bvh_s, 3),
              "target_frames_per_s": target, "ratio_to_target": round(fps / target, 2),
              "mask_classes": sorted(int(c) for c in set(res.mask.ravel().tolist()))}
    print(f"render {w}x{h} spp {cfg.render.spp} on {result['device']} [{renderer.variant}]: "
          f"{fps:.1f} frames/s ({1000 / fps:.1f} ms/frame, incl. mask + depth{' + instances' * cfg.render.instances}), {fps / target:.2f}x the target {target:g}")
    print(json.dumps(result))


if __name__ == "__main__":
    main()
