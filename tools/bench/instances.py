"""What rock instance ids (`render.instances`) cost: the label pass and the extra file, paired.

Two renderers on the default stage, one with instance ids and one without, render the same frames
alternately (which goes first alternates too), so a noisy or shared machine slows both alike; the
figure is the median of the per-frame differences. The write side is timed the same way: encoding
a frame's files with and without its instance PNG.
Usage: python tools/bench/instances.py [--frames N] [--resolution 512x512] [--variant auto] [--set key=value ...]
Prints the figures and a final JSON line.
"""
from __future__ import annotations

import argparse
import dataclasses
import json
import statistics
import tempfile
import time
from pathlib import Path


def paired_ms(first, second, items) -> tuple[list, list]:
    """Time `first(x)` and `second(x)` on each item, alternating which runs first (ms)."""
    a, b = [], []
    for i, x in enumerate(items):
        for fn, out in ((first, a), (second, b))[:: 1 if i % 2 == 0 else -1]:
            t = time.perf_counter()
            fn(x)
            out.append((time.perf_counter() - t) * 1000)
    return a, b


def summary(name: str, off: list, on: list) -> dict:
    diff = statistics.median(y - x for x, y in zip(off, on))
    base = statistics.median(off)
    print(f"{name}: {base:.1f} ms/frame without instances, {statistics.median(on):.1f} with; "
          f"median paired difference {diff:+.2f} ms ({diff / base:+.1%})")
    return {"off_ms": round(base, 2), "on_ms": round(statistics.median(on), 2), "paired_diff_ms": round(diff, 2),
            "relative": round(diff / base, 4)}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--frames", type=int, default=40)
    ap.add_argument("--resolution", default="512x512")
    ap.add_argument("--variant", default="auto")
    ap.add_argument("--set", dest="overrides", action="append", default=[], help="config override, as for regolith")
    args = ap.parse_args()
    w, h = (int(v) for v in args.resolution.split("x"))

    from omni.regolith.config.files import load_config
    from omni.regolith.dataset.writer import encode_frame
    from omni.regolith.hardware import device_name
    from omni.regolith.plan.record import stage_frame
    from omni.regolith.render.mitsuba import MitsubaRenderer
    from omni.regolith.scene.build import build_scene
    from omni.regolith.scene.camera import look_rotation
    from omni.regolith.scene.geometry import geometry_from_scene
    from omni.regolith.scene.stars import star_texture

    cfg = load_config(None, args.overrides)
    scene = build_scene(cfg)
    geometry, frame = geometry_from_scene(scene), stage_frame(cfg, scene.camera)
    stars = star_texture(cfg.lighting.star_texture_width, cfg.lighting.star_count, 0)
    off, on = (MitsubaRenderer(w, h, cfg.render.spp, args.variant, star_texture=stars,
                               ground_bounce=cfg.render.ground_bounce, instances=inst) for inst in (False, True))
    for r in (off, on):
        r.set_geometry(geometry)
    frames = [dataclasses.replace(frame, sun_elevation_deg=5 + (i * 7) % 80, sun_azimuth_deg=(i * 37) % 360,
                                  camera=dataclasses.replace(frame.camera, rotation=look_rotation(30 + i * 3, -12)))
              for i in range(args.frames)]
    for f in frames[:3]:  # warm-up: kernel compilation
        off.render(f), on.render(f)
    render = summary("render", *paired_ms(off.render, on.render, frames))
    results = [on.render(f) for f in frames[:8]]
    root = Path(tempfile.mkdtemp())
    fmt = cfg.render.depth_format
    write = summary("encode + write", *paired_ms(
        lambda r: encode_frame(root / "off", 0, r.rgb, r.mask, r.depth, fmt),
        lambda r: encode_frame(root / "on", 0, r.rgb, r.mask, r.depth, fmt, r.instance), results * 5))
    inst_bytes = (root / "on" / "instance" / "00000.png").stat().st_size
    result = {"bench": "instances", "device": device_name(off.variant.startswith("cuda")), "variant": off.variant,
              "resolution": f"{w}x{h}", "frames": args.frames, "render": render, "write": write,
              "instance_png_bytes": inst_bytes, "rocks": len(scene.rocks)}
    print(f"on {result['device']} [{off.variant}], {len(scene.rocks)} rocks; last instance PNG {inst_bytes / 1024:.1f} KiB")
    print(json.dumps(result))


if __name__ == "__main__":
    main()
