"""SegFormer training throughput and inference latency, end to end from PNGs on disk.

Training images/s includes PNG decoding, crops and flips in DataLoader workers, the photometric
augmentation on the device and the AdamW step (the exact `TrainStep` that `regolith train` runs);
"model only" repeats it on a batch already on the device, to show whether data loading limits.
Inference is `Segmenter` on one 512x512 frame: uint8 numpy in, class mask out; `--input-size 1024`
times the model run on that frame upscaled 2x (what a model whose preprocessor says 1024 costs).
Defaults: B0 at 512x512, batch 64 on a GPU (batch 32 is launch-bound in eager mode); 256x256,
batch 4 on CPU. "compiled" is the same with `compile = true` (torch.compile). Without --data a
synthetic dataset in our layout is written to a temp dir first.
Usage: python tools/bench/train.py [--data DIR] [--device auto|cpu|cuda] [--steps N] [--batch-size N]
Targets: >= 600 train images/s on one H100/H200, <= 2 ms GPU inference, <= 150 ms CPU inference.
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import tempfile
import time
from pathlib import Path

from omni.regolith.hardware import device_name

import numpy as np


TRAIN_TARGET, GPU_MS_TARGET, CPU_MS_TARGET = 600.0, 2.0, 150.0


def _write_frames(args) -> list[str]:
    """Render-like frames (dark sky, shaded ground, bright rocks, grain) so PNG decode costs are real."""
    from PIL import Image

    root, indices, size = args
    yy, xx = np.mgrid[0:size, 0:size].astype(np.float32)
    lines = []
    for i in indices:
        rng = np.random.default_rng(i)
        horizon = int(rng.integers(size // 6, size // 3))
        mask = np.zeros((size, size), np.uint8)
        mask[:horizon] = 2
        ground = 70 + 80 * yy / size + 12 * np.sin(xx / rng.uniform(5, 30)) * np.cos(yy / rng.uniform(5, 30))
        ground += rng.normal(0, 5, (size, size)).astype(np.float32)
        for _ in range(int(rng.integers(10, 40))):
            cy, cx, r = rng.uniform(horizon, size), rng.uniform(0, size), rng.uniform(2, size / 20)
            disc = (yy - cy) ** 2 + (xx - cx) ** 2 <= r * r
            mask[disc] = 1
            ground[disc] = 200 - 100 * np.clip((xx[disc] - cx) / r, 0, 1)
        ground[:horizon] = rng.normal(6, 2, (horizon, size))
        rgb = np.clip(np.stack([ground, ground * 0.98, ground * 0.95], -1), 0, 255).astype(np.uint8)
        Image.fromarray(rgb).save(Path(root) / "rgb" / f"{i:05d}.png", compress_level=1)
        Image.fromarray(mask).save(Path(root) / "mask" / f"{i:05d}.png", compress_level=1)
        lines.append(json.dumps({"index": i, "terrain_seed": i % 8, "layout_seed": i}))
    return lines


def synthetic_dataset(root: Path, frames: int, size: int) -> Path:
    """A dataset in our layout, written by all cores (PNG level 1, as `regolith generate` writes)."""
    from concurrent.futures import ProcessPoolExecutor

    (root / "rgb").mkdir(parents=True, exist_ok=True)
    (root / "mask").mkdir(exist_ok=True)
    jobs = max(1, min(16, os.cpu_count() or 1))
    chunks = [(str(root), list(range(k, frames, jobs)), size) for k in range(jobs)]
    with ProcessPoolExecutor(jobs) as pool:
        lines = [line for part in pool.map(_write_frames, chunks) for line in part]
    lines.sort(key=lambda line: json.loads(line)["index"])
    (root / "frames.jsonl").write_text("\n".join(lines) + "\n")
    return root




def sync(device):
    import torch

    if device.type == "cuda":
        torch.cuda.synchronize(device)


def bench_train(samples, args, device, compile_model: bool) -> dict:
    import torch

    from omni.regolith.learn import data as trainset
    from omni.regolith.learn.model import build_model
    from omni.regolith.config.train import TrainConfig
    from omni.regolith.learn.step import TrainStep
    from omni.regolith.learn.train import _param_groups

    cfg = TrainConfig(model=args.model, batch_size=args.batch_size, image_size=args.image_size,
                      workers=args.workers, compile=compile_model)
    torch.manual_seed(0)
    model = build_model(args.model).to(device).to(memory_format=torch.channels_last).train()
    opt = torch.optim.AdamW(_param_groups(model, cfg.weight_decay), lr=cfg.lr, fused=device.type == "cuda" or None)
    sched = torch.optim.lr_scheduler.LambdaLR(opt, lambda s: 1.0)
    step = TrainStep(model, opt, sched, cfg, device)
    loader, sampler, _ = trainset.make_loaders(samples, samples[:1], cfg.image_size, cfg.batch_size, cfg.augment,
                                               0, args.workers, device.type == "cuda")

    sampler.set_epoch(0, 0, 10**6)  # epochs back to back in one stream, as `regolith train` runs
    it = iter(loader)
    warm = args.warmup + (10 if compile_model else 0)
    t0 = time.perf_counter()
    first = None
    for i in range(warm):
        images, masks = next(it)
        step(images, masks, i)
        if i == 0:
            sync(device)
            first = time.perf_counter() - t0
    sync(device)
    t = time.perf_counter()
    for i in range(args.steps):
        images, masks = next(it)
        step(images, masks, warm + i)
    sync(device)
    e2e = args.steps * args.batch_size / (time.perf_counter() - t)
    # the same steps on one batch already on the device: the model + augmentation alone
    images, masks = images.to(device), masks.to(device)
    sync(device)
    t = time.perf_counter()
    for i in range(args.steps):
        step(images, masks, i)
    sync(device)
    model_only = args.steps * args.batch_size / (time.perf_counter() - t)
    peak = torch.cuda.max_memory_allocated(device) / 2**30 if device.type == "cuda" else None
    # the loader alone (decode + crop/flip in workers, pinned copy): its ceiling on this machine
    for _ in range(args.workers * 4 + args.warmup):  # drain what was prefetched during the model-only run
        next(it)
    t = time.perf_counter()
    for _ in range(args.steps):
        next(it)
    loader_only = args.steps * args.batch_size / (time.perf_counter() - t)
    del loader, it
    return {"images_per_s": round(e2e, 1), "model_only_images_per_s": round(model_only, 1),
            "loader_only_images_per_s": round(loader_only, 1),
            "first_step_s": round(first, 2), "peak_gpu_gib": round(peak, 2) if peak else None}


def bench_infer(device, mode: str, iters: int, input_size: int = 512) -> dict:
    """Median ms per 512x512 frame, batch 1: predict(numpy -> numpy) and predict_tensor (on device)."""
    import torch

    from omni.regolith.learn.inference import Segmenter
    from omni.regolith.learn.model import build_model

    torch.manual_seed(0)
    seg = Segmenter(build_model("b0").eval(), (input_size, input_size), device=device)
    if "compile" in mode:
        seg.compile()
    if "graphs" in mode and not seg.enable_cuda_graphs([(1, 512, 512)]):
        return {"error": "CUDA graph capture failed"}
    frame = np.random.default_rng(0).integers(0, 255, (512, 512, 3), dtype=np.uint8)
    on_dev = torch.from_numpy(frame)[None].to(device)
    for _ in range(30 if "compile" in mode else 5):
        seg.predict(frame)
    out = {}
    for name, fn in (("predict_ms", lambda: seg.predict(frame)), ("on_device_ms", lambda: seg.predict_tensor(on_dev))):
        times = []
        for _ in range(iters):
            sync(device)
            t = time.perf_counter()
            fn()
            sync(device)
            times.append((time.perf_counter() - t) * 1000)
        out[name] = round(statistics.median(times), 3)
    return out


def profile_step(samples, args, device) -> None:
    """Top CUDA kernels of a few training steps (model + augmentation), for finding the next 2x."""
    import torch
    from torch.profiler import ProfilerActivity, profile

    from omni.regolith.learn import data as trainset
    from omni.regolith.learn.model import build_model
    from omni.regolith.config.train import TrainConfig
    from omni.regolith.learn.step import TrainStep
    from omni.regolith.learn.train import _param_groups

    cfg = TrainConfig(batch_size=args.batch_size, image_size=args.image_size)
    model = build_model(args.model).to(device).to(memory_format=torch.channels_last).train()
    opt = torch.optim.AdamW(_param_groups(model, 0.01), lr=1e-4, fused=True)
    step = TrainStep(model, opt, torch.optim.lr_scheduler.LambdaLR(opt, lambda s: 1.0), cfg, device)
    ds = trainset.TrainImages(samples, args.image_size, cfg.augment, 0)
    items = [ds[(i % len(samples), 0, i)] for i in range(args.batch_size)]
    images = torch.stack([a for a, _ in items]).to(device)
    masks = torch.stack([b for _, b in items]).to(device)
    for i in range(3):
        step(images, masks, i)
    sync(device)
    with profile(activities=[ProfilerActivity.CUDA]) as prof:
        for i in range(3):
            step(images, masks, i)
        sync(device)
    print(prof.key_averages().table(sort_by="cuda_time_total", row_limit=25, max_name_column_width=70))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", help="dataset dir in our layout (default: a synthetic one in a temp dir)")
    ap.add_argument("--device", default="auto", choices=["auto", "cpu", "cuda"])
    ap.add_argument("--steps", type=int, help="timed training steps (default 50 GPU, 3 CPU)")
    ap.add_argument("--warmup", type=int, default=None)
    ap.add_argument("--batch-size", type=int)
    ap.add_argument("--image-size", type=int)
    ap.add_argument("--workers", type=int)
    ap.add_argument("--model", default="b0")
    ap.add_argument("--input-size", type=int, default=512, help="model input side for the inference timings (frame: 512x512)")
    ap.add_argument("--frames", type=int, help="synthetic frames to write (default 256 GPU, 24 CPU)")
    ap.add_argument("--no-compile", action="store_true", help="skip the torch.compile variants")
    ap.add_argument("--skip-train", action="store_true")
    ap.add_argument("--profile", action="store_true", help="print the top CUDA kernels of a training step")
    args = ap.parse_args()

    import torch

    from omni.regolith.learn import data as trainset
    from omni.regolith.learn.inference import resolve_device

    device = resolve_device(args.device)
    gpu = device.type == "cuda"
    args.image_size = args.image_size or (512 if gpu else 256)
    args.batch_size = args.batch_size or (64 if gpu else 4)  # B0 at 512: ~10 GiB; amortises launches
    args.steps = args.steps or (50 if gpu else 3)
    args.warmup = args.warmup if args.warmup is not None else (5 if gpu else 1)
    args.workers = args.workers if args.workers is not None else (min(14, max(1, (os.cpu_count() or 2) - 2)) if gpu else 0)
    name = device_name(device.type == "cuda")
    print(f"device: {name}; torch {torch.__version__}; {os.cpu_count()} CPU cores", flush=True)
    result = {"bench": "train", "device": name, "torch": torch.__version__, "model": args.model,
              "image_size": args.image_size, "batch_size": args.batch_size, "workers": args.workers,
              "inference_input_size": args.input_size}

    # CPU inference first: a DataLoader's pin-memory thread can leave torch at 1 intra-op thread
    r = bench_infer(torch.device("cpu"), "eager", 10 if gpu else 5, args.input_size)
    r["ratio_to_target"] = round(CPU_MS_TARGET / r["predict_ms"], 3)
    r["threads"] = torch.get_num_threads()
    result["infer_cpu"] = r
    print(f"inference CPU fp32 ({r['threads']} threads, model input {args.input_size}): {r}", flush=True)
    if not gpu and not args.no_compile:  # torch.compile's C++ kernels: ~1 min to build, then faster
        r = bench_infer(torch.device("cpu"), "compile", 10, args.input_size)
        r["ratio_to_target"] = round(CPU_MS_TARGET / r["predict_ms"], 3)
        result["infer_cpu_compiled"] = r
        print(f"inference CPU fp32 compiled: {r}", flush=True)

    if not args.skip_train:
        data = Path(args.data) if args.data else None
        if data is None:
            frames = args.frames or (1024 if gpu else 24)
            data = Path(tempfile.mkdtemp(prefix="regolith-bench-"))
            t = time.perf_counter()
            synthetic_dataset(data, frames, 512)
            print(f"wrote {frames} synthetic 512x512 frames to {data} in {time.perf_counter() - t:.1f} s", flush=True)
        samples = trainset.scan(data)
        if args.profile and gpu:
            profile_step(samples, args, device)
        variants = [False] + ([True] if gpu and not args.no_compile else [])
        for compiled in variants:
            key = "train_compiled" if compiled else "train"
            try:
                r = bench_train(samples, args, device, compiled)
            except Exception as exc:  # noqa: BLE001 - report and go on to inference
                r = {"error": f"{type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}"}
            if "images_per_s" in r:
                r["ratio_to_target"] = round(r["images_per_s"] / TRAIN_TARGET, 3) if gpu else None
                print(f"{key}: {r['images_per_s']} images/s end to end ({r['model_only_images_per_s']} model only, "
                      f"{r['loader_only_images_per_s']} loader only)"
                      f", B{args.model[1:]} {args.image_size}x{args.image_size} batch {args.batch_size}"
                      + (f", {r['ratio_to_target']}x the {TRAIN_TARGET:g} target" if gpu else ""), flush=True)
            else:
                print(f"{key}: {r['error']}", flush=True)
            result[key] = r

    modes = (["eager_fp16", "cuda_graphs"] + ([] if args.no_compile else ["compile_graphs"])) if gpu else []
    for mode in modes:
        try:
            r = bench_infer(device, mode, 100, args.input_size)
        except Exception as exc:  # noqa: BLE001
            r = {"error": f"{type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}"}
        if "predict_ms" in r:
            r["ratio_to_target"] = round(GPU_MS_TARGET / r["predict_ms"], 3)
        result[f"infer_gpu_{mode}"] = r
        print(f"inference GPU {mode}: {r}", flush=True)
    print(json.dumps(result))


if __name__ == "__main__":
    main()
