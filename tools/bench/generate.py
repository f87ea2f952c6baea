"""End-to-end dataset generation throughput: render + encode + write, with peak memory.

Usage: python tools/bench/generate.py [--frames N] [--resolution 512x512] [--workers 8] [--out DIR]
Prints frames/s, peak RSS and a final JSON line. Targets: >= 4 frames/s on 2 CPU cores,
>= 100 frames/s on one H100.
"""
from __future__ import annotations

import argparse
import json
import resource
import shutil
import subprocess
import threading
import tempfile
from pathlib import Path



class GpuMemoryPoller:
    """Peak GPU memory in use (MiB, whole device) sampled with nvidia-smi every 0.5 s."""

    def __init__(self):
        self.peak, self._stop = None, threading.Event()
        if shutil.which("nvidia-smi"):
            self._thread = threading.Thread(target=self._run, daemon=True)
            self._thread.start()

    def _run(self):
        while not self._stop.wait(0.5):
            out = subprocess.run(["nvidia-smi", "--query-gpu=memory.used", "--format=csv,noheader,nounits"],
                                 capture_output=True, text=True)
            if out.returncode == 0 and out.stdout.strip():
                self.peak = max(self.peak or 0, int(out.stdout.split()[0]))

    def stop(self):
        self._stop.set()
        return self.peak


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--frames", type=int, default=100)
    ap.add_argument("--resolution", default="512x512")
    ap.add_argument("--workers", type=int, default=4)
    ap.add_argument("--variant", default="auto")
    ap.add_argument("--out", help="keep the dataset here (default: a temp folder, deleted)")
    ap.add_argument("--set", dest="overrides", action="append", default=[])
    args = ap.parse_args()
    w, h = (int(v) for v in args.resolution.split("x"))

    from omni.regolith.hardware import device_name
    from omni.regolith.config.files import load_config, replace
    from omni.regolith.render.generate import generate

    cfg = replace(load_config(None, args.overrides), render={"width": w, "height": h})
    out = Path(args.out) if args.out else Path(tempfile.mkdtemp()) / "bench"
    poller = GpuMemoryPoller()
    report = generate(cfg, out, args.frames, variant=args.variant, workers=args.workers, progress=False)
    peak_gib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024 ** 2
    gpu_peak = poller.stop()
    timings = json.loads((out / "manifest.json").read_text())["timings"]
    disk = sum(p.stat().st_size for p in out.rglob("*") if p.is_file())
    target = 100.0 if report.variant.startswith("cuda") else 4.0
    fps = report.frames_per_s
    result = {"bench": "generate", "device": device_name(report.variant.startswith("cuda")), "variant": report.variant,
              "resolution": f"{w}x{h}", "frames": args.frames, "workers": args.workers,
              "frames_per_s": round(fps, 2), "seconds": round(report.seconds, 2), "peak_rss_gib": round(peak_gib, 2),
              "gpu_peak_mib": gpu_peak, "timings_s": {k: round(v, 2) for k, v in timings.items()}, "bytes_per_frame": disk // max(1, args.frames),
              "target_frames_per_s": target, "ratio_to_target": round(fps / target, 2)}
    print(f"generate {args.frames} frames {w}x{h} on {result['device']} [{report.variant}]: {fps:.1f} frames/s end to end, "
          f"peak RSS {peak_gib:.2f} GiB, peak GPU {gpu_peak} MiB, {disk / args.frames / 1024:.0f} KiB/frame, {fps / target:.2f}x the target {target:g}")
    print(json.dumps(result))
    if not args.out:
        shutil.rmtree(out.parent, ignore_errors=True)


if __name__ == "__main__":
    main()
