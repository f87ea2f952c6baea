"""Scaling table: generation over processes per GPU and GPUs, training over GPUs, the kernel cache.

Every figure is one `regolith` command timed from its start to its exit (imports, kernel
compilation and worker start-up included), so it is what a user waits for. Prints markdown rows
for docs/benchmarks.md, then one JSON line per measurement.

  python tools/bench/scaling.py generate --frames 10000 --procs 1,2,4,6 --gpus-list 1   # one H200
  python tools/bench/scaling.py generate --frames 10000 --procs 4 --gpus-list 1,2,4      # four GPUs
  python tools/bench/scaling.py train --data DIR --val DIR --gpus-list 1,2,4 --steps 300  # B0 512, batch 64/GPU
  python tools/bench/scaling.py cache --frames 300                                         # cold vs warm kernels
On 2 CPU cores: python tools/bench/scaling.py generate --frames 60 --procs 1,2 --gpus-list 0
"""
from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

CLI = [sys.executable, "-m", "omni.regolith.cli"]


def timed(argv: list[str], lines: list | None = None) -> float:
    """Run `regolith ARGV`; seconds from start to exit. With `lines`, (arrival s, stdout line) each."""
    t0 = time.perf_counter()
    proc = subprocess.Popen(CLI + argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    tail = []
    for line in proc.stdout:
        tail = (tail + [line])[-20:]
        if lines is not None:
            lines.append((time.perf_counter() - t0, line))
    if proc.wait():
        sys.exit(f"failed ({proc.returncode}): regolith {' '.join(argv)}\n{''.join(tail)}")
    return time.perf_counter() - t0


def gpu_list(n: int) -> list[str]:
    return ["--gpus", ",".join(map(str, range(n)))] if n else []


def device() -> str:
    from omni.regolith.hardware import device_name

    return device_name()


def generate_rows(args, tmp: Path) -> list[dict]:
    """Every row starts with a warm kernel cache (a short run fills it first): the `cache` rows
    measure the cold start on their own."""
    rows = []
    timed(["generate", "--out", str(tmp / "warmup"), "--frames", "2", "--resolution", args.resolution, "--no-progress",
           "--force", "--kernel-cache", str(tmp / "kernels"), *args.extra,
           *(["--variant", "llvm_ad_rgb"] if 0 in args.gpus_list else [])])
    for gpus in args.gpus_list:
        for procs in args.procs:
            out = tmp / f"g{gpus}p{procs}"
            argv = ["generate", "--out", str(out), "--frames", str(args.frames), "--resolution", args.resolution,
                    "--seed", "7", "--procs-per-gpu", str(procs), "--workers", str(args.writers), "--no-progress",
                    "--force", "--kernel-cache", str(tmp / "kernels"), *gpu_list(gpus), *args.extra]
            if gpus == 0:
                argv += ["--variant", "llvm_ad_rgb"]
            seconds = timed(argv)
            rows.append({"bench": "scaling/generate", "gpus": gpus, "procs_per_gpu": procs, "frames": args.frames,
                         "resolution": args.resolution, "seconds": round(seconds, 2),
                         "frames_per_s": round(args.frames / seconds, 1)})
            shutil.rmtree(out, ignore_errors=True)
    base = rows[0]["frames_per_s"]
    for r in rows:
        r["x_first_row"] = round(r["frames_per_s"] / base, 2)
    return rows


def train_rows(args, tmp: Path) -> list[dict]:
    rows = []
    for gpus in args.gpus_list:
        lines: list = []
        argv = ["train", "--data", args.data, "--out", str(tmp / f"t{gpus}"), "--model", "b0", "--epochs", "1000",
                "--batch-size", str(args.batch_size), "--image-size", str(args.image_size), "--max-steps",
                str(args.steps), "--gpus", str(max(1, gpus)), "--json-progress", "--force",
                *(["--val", args.val] if args.val else []), *(["--device", "cpu"] if gpus == 0 else [])]
        seconds = timed(argv, lines)
        steps = [(t, json.loads(s)) for t, s in lines if s.startswith('{"event": "step"')]
        (t0, first), (t1, last) = steps[min(len(steps) - 1, 1)], steps[-1]  # skip the first: compile, warm-up
        images = (last["step"] - first["step"]) * args.batch_size * max(1, gpus)
        rows.append({"bench": "scaling/train", "gpus": gpus, "batch_per_gpu": args.batch_size,
                     "image_size": args.image_size, "steps": args.steps, "seconds": round(seconds, 1),
                     "images_per_s": round(images / max(t1 - t0, 1e-9), 1)})
    base = rows[0]["images_per_s"]
    for r in rows:
        r["x_first_row"] = round(r["images_per_s"] / base, 2)
    return rows


def cache_rows(args, tmp: Path) -> list[dict]:
    rows, cache = [], tmp / "cold_cache"
    shutil.rmtree(cache, ignore_errors=True)
    for state in ("cold", "warm"):
        out = tmp / f"c_{state}"
        seconds = timed(["generate", "--out", str(out), "--frames", str(args.frames), "--resolution", args.resolution,
                         "--seed", "7", "--procs-per-gpu", "1", "--no-progress", "--force", "--kernel-cache", str(cache),
                         *args.extra])
        rows.append({"bench": "scaling/kernel_cache", "cache": state, "frames": args.frames, "seconds": round(seconds, 2),
                     "frames_per_s": round(args.frames / seconds, 2),
                     "cache_files": sum(1 for p in cache.iterdir() if p.is_file())})
    return rows


def markdown(kind: str, rows: list[dict], card: str) -> str:
    if kind == "generate":
        head = "| card | GPUs | processes per GPU | frames | resolution | wall s (start-up included) | frames/s | x first row |"
        body = [f"| {card} | {r['gpus'] or 'CPU'} | {r['procs_per_gpu']} | {r['frames']} | {r['resolution']} | "
                f"{r['seconds']} | {r['frames_per_s']} | {r['x_first_row']} |" for r in rows]
    elif kind == "train":
        head = "| card | GPUs | batch per GPU | input | steps | wall s | images/s (steady) | x first row |"
        body = [f"| {card} | {r['gpus'] or 'CPU'} | {r['batch_per_gpu']} | {r['image_size']} | {r['steps']} | "
                f"{r['seconds']} | {r['images_per_s']} | {r['x_first_row']} |" for r in rows]
    else:
        head = "| card | kernel cache | frames | wall s (start-up included) | frames/s | cache files |"
        body = [f"| {card} | {r['cache']} | {r['frames']} | {r['seconds']} | {r['frames_per_s']} | {r['cache_files']} |"
                for r in rows]
    return "\n".join([head, "|" + "---|" * head.count(" | ") + "---|", *body])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("kind", choices=["generate", "train", "cache"])
    ap.add_argument("--frames", type=int, default=1000)
    ap.add_argument("--resolution", default="512x512")
    ap.add_argument("--procs", default="1,2,4", help="processes per GPU to try (generate)")
    ap.add_argument("--gpus-list", default="1", help="GPU counts to try; 0 = CPU only")
    ap.add_argument("--writers", type=int, default=4, help="file-writing threads per process")
    ap.add_argument("--data", help="training dataset (train)")
    ap.add_argument("--val", help="validation dataset (train)")
    ap.add_argument("--steps", type=int, default=300)
    ap.add_argument("--batch-size", type=int, default=64)
    ap.add_argument("--image-size", type=int, default=512)
    ap.add_argument("--set", dest="extra", action="append", default=[], type=lambda kv: f"--set={kv}")
    ap.add_argument("--keep", help="work folder to keep (default: a temp folder, deleted)")
    args = ap.parse_args()
    args.procs = [int(v) for v in args.procs.split(",")]
    args.gpus_list = [int(v) for v in args.gpus_list.split(",")]
    with tempfile.TemporaryDirectory(prefix="scaling-") as t:
        tmp = Path(args.keep or t)
        tmp.mkdir(parents=True, exist_ok=True)
        rows = {"generate": generate_rows, "train": train_rows, "cache": cache_rows}[args.kind](args, tmp)
    print(markdown(args.kind, rows, device()))
    for r in rows:
        print(json.dumps({**r, "device": device()}))


if __name__ == "__main__":
    main()
