"""Activation memory of one SegFormer training step, per pixel per image: calibrates the preflight.

The slope between two batch sizes removes the fixed cost (weights, optimizer state, runtime).
On CUDA it reads torch's allocator peak; on CPU the process's peak RSS, so run one size per process.

Usage: python tools/bench/train_memory.py [--model b0] [--size 256] [--batches 2 8] [--device cpu|cuda]
"""
from __future__ import annotations

import argparse
import resource
import subprocess
import sys



def peak_bytes(model: str, batch: int, size: int, device: str) -> int:
    """One forward + backward + AdamW step; the peak memory it took."""
    import torch

    from omni.regolith.learn.model import build_model

    dev = torch.device(device)
    m = build_model(model).to(dev).train()
    opt = torch.optim.AdamW(m.parameters())
    x = torch.randn(batch, 3, size, size, device=dev)
    y = torch.randint(0, 3, (batch, size, size), device=dev)
    with torch.autocast(dev.type, dtype=torch.bfloat16, enabled=dev.type == "cuda"):
        loss = m(pixel_values=x, labels=y).loss
    loss.backward()
    opt.step()
    if dev.type == "cuda":
        return torch.cuda.max_memory_allocated(dev)
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--model", default="b0")
    ap.add_argument("--size", type=int, default=256)
    ap.add_argument("--batches", type=int, nargs=2, default=[2, 8])
    ap.add_argument("--device", default="cpu")
    ap.add_argument("--one", type=int, help=argparse.SUPPRESS)  # child: measure one batch size
    args = ap.parse_args()
    if args.one:
        print(peak_bytes(args.model, args.one, args.size, args.device))
        return
    peaks = []
    for batch in args.batches:  # a fresh process each: RSS peaks never go down
        cmd = [sys.executable, __file__, "--model", args.model, "--size", str(args.size),
               "--device", args.device, "--one", str(batch)]
        peaks.append(int(subprocess.run(cmd, capture_output=True, text=True, check=True).stdout.split()[-1]))
    (b1, b2), (p1, p2) = args.batches, peaks
    per_pixel = (p2 - p1) / ((b2 - b1) * args.size ** 2)
    print(f"{args.model} {args.size}x{args.size} on {args.device}: peak {p1 / 2**30:.2f} GiB at batch {b1}, "
          f"{p2 / 2**30:.2f} GiB at batch {b2}: {per_pixel:.0f} bytes per pixel per image")


if __name__ == "__main__":
    main()
