"""Drive-video throughput: render + segment + overlay + encode, end to end, from an empty frames folder.

Usage: python tools/bench/video.py [--frames 48] [--resolution 320x180] [--spp 4] [--model auto|none|random|PATH]
`--model auto` uses the embedded default model if one ships, else a random SegFormer-B0 (same cost).
Prints the device, the encoder actually used (imageio-ffmpeg's libx264, else OpenCV), a table line and
a final JSON line; the video and its poster PNG land under --out (default _out/bench/video.mp4).
"""
from __future__ import annotations

import argparse
import dataclasses
import json
import sys
import tempfile
from pathlib import Path

from omni.regolith.hardware import device_name

ROOT = Path(__file__).resolve().parents[2]




def pick_model(choice: str):
    """(model argument for render_video, no_model, description)."""
    from omni.regolith.learn.inference import DEFAULT_MODEL_DIR

    if choice == "none":
        return None, True, "none (ground truth overlay)"
    if choice == "auto" and (DEFAULT_MODEL_DIR / "config.json").is_file():
        return DEFAULT_MODEL_DIR, False, "default"
    if choice in ("auto", "random"):
        import torch

        from omni.regolith.learn.model import build_model, save_model

        torch.manual_seed(0)
        path = save_model(build_model("b0"), Path(tempfile.mkdtemp()) / "model", 512)
        return path, False, "random b0 (512x512 input)"
    return Path(choice), False, choice


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--frames", type=int, default=48)
    ap.add_argument("--fps", type=float, default=24.0)
    ap.add_argument("--resolution", default="320x180")
    ap.add_argument("--spp", type=int, default=4)
    ap.add_argument("--sun-passes", type=int, default=4)
    ap.add_argument("--layout", default="overlay", choices=["overlay", "side-by-side"])
    ap.add_argument("--model", default="auto", help="auto | none | random | a model dir")
    ap.add_argument("--encoder", default="auto", choices=["auto", "imageio-ffmpeg", "opencv"])
    ap.add_argument("--variant", default=None)
    ap.add_argument("--device", default="auto")
    ap.add_argument("--out", default=str(ROOT / "_out" / "bench" / "video.mp4"))
    ap.add_argument("--set", dest="overrides", action="append", default=[], metavar="KEY=VALUE")
    ap.add_argument("--keep-frames", action="store_true")
    args = ap.parse_args()
    w, h = (int(v) for v in args.resolution.lower().split("x"))

    from omni.regolith.config.video import load_video_config
    from omni.regolith.video.drive import render_video

    cfg, video = load_video_config(None, args.overrides)
    video = dataclasses.replace(video, frames=args.frames, fps=args.fps, width=w, height=h, spp=args.spp,
                                sun_passes=args.sun_passes, layout=args.layout, encoder=args.encoder)
    model, no_model, model_text = pick_model(args.model)
    device = device_name()
    print(f"video bench on {device}: {args.frames} frames {w}x{h} spp {args.spp} "
          f"({video.sun_passes} sun passes), model {model_text}", flush=True)
    r = render_video(cfg, args.out, video, model=model, no_model=no_model, device=args.device, variant=args.variant,
                     fresh=True, keep_frames=args.keep_frames, progress=sys.stderr.isatty())
    t = r.timings
    per = lambda key: round(1000 * t[key] / max(r.rendered, 1), 2)  # noqa: E731
    result = {"bench": "video", "device": device, "variant": r.variant, "encoder": r.encoder,
              "resolution": f"{w}x{h}", "video_size": f"{r.size[0]}x{r.size[1]}", "spp": args.spp,
              "sun_passes": video.sun_passes, "frames": r.frames, "fps": args.fps, "layout": args.layout,
              "model": model_text, "seconds": round(r.seconds, 2), "frames_per_s": round(r.frames_per_s, 2),
              "setup_s": t["setup_s"], "render_ms_per_frame": per("render_s"), "predict_ms_per_frame": per("predict_s"),
              "compose_ms_per_frame": per("compose_s"), "encode_s": t["encode_s"],
              "rock_iou": None if r.rock_iou is None else round(r.rock_iou, 4),
              "video": str(r.path), "poster": str(r.poster), "video_bytes": r.path.stat().st_size}
    print(f"video {w}x{h} spp {args.spp}: {r.frames} frames in {r.seconds:.1f} s = {r.frames_per_s:.2f} frames/s "
          f"on {device} [{r.variant}], encoder {r.encoder}; poster {r.poster}")
    print(json.dumps(result))


if __name__ == "__main__":
    main()
