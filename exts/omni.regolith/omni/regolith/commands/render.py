"""`regolith render`: a rover drive as an .mp4 with the segmentation overlaid (resumable)."""
from __future__ import annotations

from .common import MODEL_HELP, add_config_arguments, check_output, finite_float, parse_resolution

HELP = "render a rover drive across the terrain as an .mp4 with the model's segmentation overlaid"

# CLI option -> VideoConfig field; None means "not given": the [video] table (or its default) wins.
_FIELDS = {"frames": "frames", "fps": "fps", "spp": "spp", "layout": "layout", "overlay": "overlay"}


def add_arguments(p) -> None:
    add_config_arguments(p)
    p.epilog = ("Settings also come from a [video] table in --config or --set video.KEY=VALUE "
                "(see omni.regolith.video.VideoConfig). Finished frames wait in OUT.frames/: rerun the "
                "same command to resume after an interruption.")
    p.add_argument("--out", required=True, help="output .mp4 (a poster .png is written beside it)")
    p.add_argument("--model", help=MODEL_HELP)
    p.add_argument("--no-model", action="store_true", help="no segmentation model: overlay the ground truth")
    p.add_argument("--frames", type=int, help="frames to render (default: drive length / speed * fps = 48)")
    p.add_argument("--fps", type=finite_float, help="frames per second of the video (default 24)")
    p.add_argument("--resolution", help="WIDTHxHEIGHT of the render (default 320x180)")
    p.add_argument("--spp", type=int, help="samples per pixel (default 4)")
    p.add_argument("--layout", choices=["overlay", "side-by-side"],
                   help="one overlaid view, or render | prediction | ground truth (default overlay)")
    p.add_argument("--overlay", choices=["prediction", "truth"], help="what the overlay layout shows")
    p.add_argument("--device", default="auto", choices=["auto", "cpu", "cuda"], help="where the model runs")
    p.add_argument("--variant", help="Mitsuba variant (default: auto: cuda_ad_rgb > llvm_ad_rgb > scalar_rgb)")
    p.add_argument("--fresh", action="store_true", help="discard frames left by an earlier run of OUT")
    p.add_argument("--keep-frames", action="store_true", help="keep OUT.frames/ (the PNG frames) after encoding")
    p.add_argument("--no-progress", action="store_true")


def video_from_args(args):
    """(Config, VideoConfig) from --config/--set, then the explicit CLI options (validated as one-liners)."""
    import dataclasses

    from ..config.video import load_video_config, video_config
    from ..errors import ConfigError

    cfg, video = load_video_config(args.config, args.overrides)
    given = {field: getattr(args, opt) for opt, field in _FIELDS.items() if getattr(args, opt) is not None}
    if args.no_model and given.get("overlay") == "prediction":
        raise ConfigError("--overlay prediction needs a model; drop --no-model or use --overlay truth")
    if given.get("frames") == 0:
        raise ConfigError("--frames 0: must be at least 1")
    video_config(given, prefix="--")  # range checks with the option's own name
    resolution = parse_resolution(args.resolution)
    if resolution:
        given.update(width=resolution[0], height=resolution[1])
    return cfg, dataclasses.replace(video, **given)


def run(args) -> int:
    from ..video.drive import render_video

    cfg, video = video_from_args(args)
    check_output(args.out, folder=False)  # before minutes of rendering, not at the final rename
    report = render_video(cfg, args.out, video, model=args.model, no_model=args.no_model, device=args.device,
                          variant=args.variant, fresh=args.fresh, keep_frames=args.keep_frames,
                          progress=not args.no_progress)
    w, h = report.size
    iou = f", rock IoU over the video {report.rock_iou:.3f}" if report.rock_iou is not None else ""
    speed = f" at {report.frames_per_s:.2f} frames/s on {report.variant}" if report.rendered else ""
    print(f"wrote {report.path} ({report.frames} frames, {w}x{h}, {video.fps:g} fps, {report.encoder}) "
          f"and {report.poster}; rendered {report.rendered} frames ({report.skipped} resumed) in "
          f"{report.seconds:.1f} s{speed}{iou}")
    return 0
