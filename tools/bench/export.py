"""Export throughput: frames/s of `regolith export` to COCO, Hugging Face parquet and YOLO segmentation.

Generates a dataset with rock instances (the defaults at 512x512 plus `render.instances = true`),
or reuses `--data DIR`, then exports it to each format from scratch, then once more (the resume
pass: nothing is stale). Peak RSS shows that memory stays bounded while streaming.
Usage: python tools/bench/export.py [--frames 300] [--data DIR] [--workers 2] [--formats coco,hf,yolo-seg]
Prints one line per format and a final JSON line.
"""
from __future__ import annotations

import argparse
import json
import resource
import shutil
import tempfile
from pathlib import Path


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--frames", type=int, default=300)
    ap.add_argument("--resolution", default="512x512")
    ap.add_argument("--data", help="dataset to export (made here when missing; kept)")
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--formats", default="coco,hf,yolo-seg")
    args = ap.parse_args()
    w, h = (int(v) for v in args.resolution.split("x"))

    from omni.regolith.config.files import load_config, replace
    from omni.regolith.dataset.export import export
    from omni.regolith.hardware import device_name
    from omni.regolith.render.generate import generate

    work = Path(tempfile.mkdtemp())
    data = Path(args.data) if args.data else work / "data"
    cfg = replace(load_config(None, ["render.instances=true"]), render={"width": w, "height": h})
    if not (data / "manifest.json").exists():  # a finished dataset is reused as it is
        gen = generate(cfg, data, args.frames, progress=False)
        print(f"generated {gen.rendered} frames at {gen.frames_per_s:.1f} frames/s")
    results = {}
    for fmt in args.formats.split(","):
        out = work / ("rocks.json" if fmt == "coco" else fmt)
        first = export(data, fmt, out, workers=args.workers, progress=False)
        again = export(data, fmt, out, workers=args.workers, progress=False)
        files = [out] if out.is_file() else [p for p in out.rglob("*") if p.is_file()]
        size = sum(st.st_size for p in files if (st := p.stat()).st_nlink == 1)  # hard links to the dataset: free
        results[fmt] = {"frames_per_s": round(first.frames_per_s, 1), "seconds": round(first.seconds, 2),
                        "rerun_s": round(again.seconds, 2), "bytes_per_frame": size // first.frames, **first.extra}
        print(f"{fmt:9s} {first.frames} frames: {first.frames_per_s:6.1f} frames/s ({first.seconds:.1f} s), "
              f"rerun {again.seconds:.2f} s, {size / first.frames / 1024:.0f} KiB/frame written")
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024 ** 2
    print(f"on {device_name(False)}, {args.workers} workers, peak RSS {rss:.2f} GiB (with generation, if it ran)")
    print(json.dumps({"bench": "export", "device": device_name(False), "resolution": f"{w}x{h}",
                      "frames": args.frames, "workers": args.workers, "formats": results,
                      "peak_rss_gib": round(rss, 2)}))
    shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
