"""Where a lever's per-layout cost goes: building the Mitsuba scene, and the first render after it.

Usage: python tools/bench/scene_build.py [--layouts 4] [--resolution 512x512] [--arms reference,ground]
       [--split-ground]
For each arm of experiments/configs/photoreal.toml (with --split-ground also each ground lever alone),
one renderer builds the scenes of several layouts in turn (layout arrays made beforehand, so only
`set_geometry` is timed) and renders three frames of each. Dr.Jit's kernel history says how many
kernels each step compiled (a kernel built again for every layout is a cache miss that costs far more
on CUDA, where OptiX compiles, than on the CPU backend) and how long their code generation took. The
first layout is a warm-up and is left out of the medians. Prints one row per arm and a JSON line.
"""
from __future__ import annotations

import argparse
import json
import statistics
import time
from collections import defaultdict
from pathlib import Path
from types import SimpleNamespace

import tomllib

ARMS = Path(__file__).resolve().parents[2] / "experiments" / "configs" / "photoreal.toml"
GROUND = ("microdetail.enabled=true", "pebbles.enabled=true", "ejecta.enabled=true", "label_policy.enabled=true")


def compiled(dr) -> tuple[int, float]:
    """(kernels compiled, ms of codegen + backend compile) since the history was last read."""
    misses = [k for k in (dr.kernel_history() or []) if k.get("type") == dr.KernelType.JIT and not k.get("cache_hit")]
    return len(misses), sum(k.get("codegen_time", 0.0) + k.get("backend_time", 0.0) for k in misses)


def measure(name: str, overrides: list, layouts: int, w: int, h: int, variant: str) -> dict:
    import drjit as dr
    from omni.regolith.config.files import load_config
    from omni.regolith.plan.sample import sample_plan
    from omni.regolith.render.generate import layout_geometry, make_renderer

    cfg = load_config(None, overrides)
    per_layout = cfg.randomization.frames_per_layout
    by = defaultdict(list)
    for record in sample_plan(cfg, per_layout * layouts, w, h):
        by[record.layout].append(record)
    groups = list(by.values())[:layouts]
    t = time.perf_counter()
    geometries = [layout_geometry(cfg, g) for g in groups]
    arrays_s = (time.perf_counter() - t) / len(groups)
    job = SimpleNamespace(width=w, height=h, plan=[r for g in groups for r in g])  # all make_renderer reads
    renderer = make_renderer(cfg, job, variant)
    dr.set_flag(dr.JitFlag.KernelHistory, True)
    rows = []
    for geometry, records in zip(geometries, groups):
        compiled(dr)
        t0 = time.perf_counter()
        renderer.set_geometry(geometry)
        dr.sync_thread()
        t1 = time.perf_counter()
        build = compiled(dr)
        renderer.render(records[0], seed=records[0].index)
        t2 = time.perf_counter()
        first = compiled(dr)
        for record in records[1:3]:
            renderer.render(record, seed=record.index)
        t3 = time.perf_counter()
        rows.append({"set_geometry_s": t1 - t0, "build_kernels": build[0], "build_compile_ms": build[1],
                     "first_render_s": t2 - t1, "first_kernels": first[0], "first_compile_ms": first[1],
                     "render_s": (t3 - t2) / max(1, len(records[1:3]))})
    dr.set_flag(dr.JitFlag.KernelHistory, False)
    steady = rows[1:] or rows

    def med(key):
        return statistics.median(r[key] for r in steady)

    return {"arm": name, "set": overrides, "variant": renderer.variant, "arrays_s": round(arrays_s, 4),
            "set_geometry_s": round(med("set_geometry_s"), 4), "build_kernels": med("build_kernels"),
            "first_render_s": round(med("first_render_s"), 4), "first_kernels": med("first_kernels"),
            "first_compile_ms": round(med("first_compile_ms"), 1), "render_s": round(med("render_s"), 4),
            "layouts": rows}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--layouts", type=int, default=4, help="layouts per arm (the first is a warm-up)")
    ap.add_argument("--resolution", default="512x512")
    ap.add_argument("--variant", default="auto")
    ap.add_argument("--arms", help="comma-separated subset of the photoreal arms (default: reference,ground,all)",
                    default="reference,ground,all")
    ap.add_argument("--split-ground", action="store_true", help="also each ground lever alone")
    args = ap.parse_args()
    if args.layouts < 2:
        ap.error("--layouts must be at least 2 (the first is a warm-up)")
    w, h = (int(v) for v in args.resolution.split("x"))
    doc = tomllib.loads(ARMS.read_text())
    arms = {n: list(a.get("set", [])) for n, a in doc["arms"].items() if n in args.arms.split(",")}
    if args.split_ground:
        arms.update({s.split(".")[0]: [s] for s in GROUND})

    from omni.regolith.hardware import device_name

    results = []
    print(f"{'arm':14s} {'arrays s':>9s} {'set_geometry s':>15s} {'kernels':>8s} {'1st render s':>13s} "
          f"{'kernels':>8s} {'compile ms':>11s} {'render s':>9s}")
    for name, overrides in arms.items():
        r = measure(name, overrides, args.layouts, w, h, args.variant)
        results.append(r)
        print(f"{name:14s} {r['arrays_s']:9.3f} {r['set_geometry_s']:15.3f} {r['build_kernels']:8.0f} "
              f"{r['first_render_s']:13.3f} {r['first_kernels']:8.0f} {r['first_compile_ms']:11.1f} "
              f"{r['render_s']:9.3f}", flush=True)
    gpu = results[0]["variant"].startswith("cuda")
    print(f"\nmedians over layouts 2..{args.layouts} at {w}x{h} on {device_name(gpu)} [{results[0]['variant']}]")
    print(json.dumps({"bench": "scene_build", "device": device_name(gpu), "resolution": f"{w}x{h}",
                      "layouts": args.layouts, "arms": [{k: v for k, v in r.items() if k != "layouts"}
                                                        for r in results]}))


if __name__ == "__main__":
    main()
