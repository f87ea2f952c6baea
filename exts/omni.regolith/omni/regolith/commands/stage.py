"""`regolith stage build|preview`."""
from __future__ import annotations

from .common import add_config_arguments, check_output, int_in, load_from_args, parse_resolution

HELP = "build the lunar USD stage, or render a preview of one"


def add_arguments(p) -> None:
    sub = p.add_subparsers(dest="action", required=True, metavar="ACTION")
    b = sub.add_parser("build", help="write the procedural lunar stage as USD")
    add_config_arguments(b)
    b.add_argument("--out", required=True, help="output .usda path (stars.png is written beside it)")
    v = sub.add_parser("preview", help="render RGB, class mask and depth of a stage headless (Mitsuba)")
    v.add_argument("stage", help="a stage written by `regolith stage build`")
    v.add_argument("--out", required=True, help="preview PNG; <name>_mask.png and <name>_depth.npy beside it")
    v.add_argument("--resolution", help="WIDTHxHEIGHT (default: the stage's render config)")
    v.add_argument("--spp", type=int_in(1, 65536), help="samples per pixel")
    v.add_argument("--variant", default=None, help="Mitsuba variant (default: auto)")


def run(args) -> int:
    if args.action == "build":
        from ..scene.build import build_scene
        from ..stage.author import write_stage

        cfg = load_from_args(args)
        check_output(args.out, folder=False)
        scene = build_scene(cfg)
        out = write_stage(scene, args.out)
        n = scene.terrain.n
        print(f"wrote {out}: terrain {n}x{n} vertices over {cfg.terrain.size_m:g} m, "
              f"{len(scene.rocks)} rocks from {len(scene.prototypes)} prototypes ({cfg.rocks.model})")
        return 0
    from ..render.preview import render_preview

    check_output(args.out, folder=False)
    paths = render_preview(args.stage, args.out, parse_resolution(args.resolution), args.spp, args.variant)
    for path in paths:
        print(f"wrote {path}")
    return 0
