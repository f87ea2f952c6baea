"""Cost of each photoreal lever group: `regolith generate` end to end, reference against each arm.

Usage: python tools/bench/levers.py [--frames 100] [--rounds 2] [--workers 4] [--arms reference,all]
The arms are those of experiments/configs/photoreal.toml (reference, each lever group, all).
Each arm first renders a short warm-up set (its kernels compile once per process), then the
rounds run interleaved (arm A, B, ..., then again), so load from other processes hits every arm
alike. Prints frames/s per round, the median, its ratio to the reference, the process's CPU
seconds per frame (all threads: a cost measure that other processes' load disturbs far less than
wall time), where the time went, and a final JSON line. Targets with every lever on: >= 4 frames/s on 2 CPU cores, >= 100 on one GPU.
"""
from __future__ import annotations

import argparse
import json
import resource
import shutil
import statistics
import tempfile
from pathlib import Path

import tomllib

ARMS = Path(__file__).resolve().parents[2] / "experiments" / "configs" / "photoreal.toml"


def arms_of(path: Path, only: str | None) -> dict:
    doc = tomllib.loads(path.read_text())
    arms = {name: list(arm.get("set", [])) for name, arm in doc["arms"].items()}
    return {k: v for k, v in arms.items() if not only or k in only.split(",")}


def cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--frames", type=int, default=100, help="timed frames per arm and round (25 per layout)")
    ap.add_argument("--warmup", type=int, default=30, help="frames rendered first per arm (not timed)")
    ap.add_argument("--rounds", type=int, default=2)
    ap.add_argument("--resolution", default="512x512")
    ap.add_argument("--workers", type=int, default=4)
    ap.add_argument("--variant", default="auto")
    ap.add_argument("--arms", help="comma-separated subset (default: all of --arms-file)")
    ap.add_argument("--arms-file", type=Path, default=ARMS)
    args = ap.parse_args()
    w, h = (int(v) for v in args.resolution.split("x"))

    from omni.regolith.config.files import load_config, replace
    from omni.regolith.hardware import device_name
    from omni.regolith.render.generate import generate

    arms = arms_of(args.arms_file, args.arms)
    work = Path(tempfile.mkdtemp(prefix="bench-levers-"))
    fps = {name: [] for name in arms}
    cpu = {name: [] for name in arms}
    timings: dict = {}
    variant = None
    try:
        for name, overrides in arms.items():
            cfg = replace(load_config(None, overrides), render={"width": w, "height": h})
            generate(cfg, work / f"warm-{name}", args.warmup, variant=args.variant, workers=args.workers,
                     progress=False)
        for r in range(args.rounds):
            for name, overrides in (arms.items() if r % 2 == 0 else reversed(list(arms.items()))):
                cfg = replace(load_config(None, overrides), render={"width": w, "height": h})
                out = work / f"{name}-{r}"
                before = cpu_seconds()
                report = generate(cfg, out, args.frames, variant=args.variant, workers=args.workers, progress=False)
                cpu[name].append((cpu_seconds() - before) / args.frames)
                variant = report.variant
                fps[name].append(report.frames_per_s)
                timings[name] = json.loads((out / "manifest.json").read_text())["timings"]
                shutil.rmtree(out, ignore_errors=True)
                print(f"round {r}: {name:12s} {report.frames_per_s:7.2f} frames/s, {cpu[name][-1] * 1e3:6.0f} CPU ms/frame",
                      flush=True)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    gpu = variant.startswith("cuda")
    ref = statistics.median(fps["reference"]) if "reference" in fps else None
    target = 100.0 if gpu else 4.0
    print(f"\n{args.frames} frames {w}x{h} per arm and round on {device_name(gpu)} [{variant}], {args.workers} writers")
    ref_cpu = statistics.median(cpu["reference"]) if "reference" in cpu else None
    print(f"{'arm':12s} {'frames/s':>9s} {'vs ref':>7s} {'x target':>8s} {'CPU ms/frame':>12s} {'vs ref':>7s}  "
          f"render_s geometry_s  levers")
    rows = []
    for name, overrides in arms.items():
        med, cms = statistics.median(fps[name]), statistics.median(cpu[name])
        t = timings[name]
        ratio = med / ref if ref else float("nan")
        cost = cms / ref_cpu if ref_cpu else float("nan")
        print(f"{name:12s} {med:9.2f} {ratio:7.2f} {med / target:8.2f} {cms * 1e3:12.0f} {cost:7.2f}  "
              f"{t.get('render_s', 0):8.1f} {t.get('geometry_s', 0):10.1f}  {' '.join(overrides) or '(none)'}")
        rows.append({"arm": name, "frames_per_s": [round(v, 2) for v in fps[name]], "median": round(med, 2),
                     "vs_reference": round(ratio, 3), "cpu_ms_per_frame": [round(v * 1e3, 1) for v in cpu[name]],
                     "cpu_vs_reference": round(cost, 3), "set": overrides})
    print(json.dumps({"bench": "levers", "device": device_name(gpu), "variant": variant, "resolution": f"{w}x{h}",
                      "frames": args.frames, "rounds": args.rounds, "workers": args.workers,
                      "target_frames_per_s": target, "arms": rows}))


if __name__ == "__main__":
    main()
