"""`regolith export DATASET --format coco|hf|yolo-seg --out PATH`."""
from __future__ import annotations

HELP = "export a dataset for other trainers: COCO rock instances, a Hugging Face dataset, YOLO segmentation"


def add_arguments(p) -> None:
    from ..dataset.export import FORMATS

    p.add_argument("dataset", metavar="DATASET", help="a dataset folder (docs/dataset-format.md)")
    p.add_argument("--format", required=True, choices=FORMATS,
                   help="coco and yolo-seg need a dataset made with --set render.instances=true")
    p.add_argument("--out", required=True,
                   help="coco: a .json file (replaced when done); hf, yolo-seg: a folder (rerun to resume)")
    p.add_argument("--split", help="hf, yolo-seg: the split these frames become (default train; "
                                   "export a second dataset with --split validation into the same --out)")
    p.add_argument("--workers", type=int, default=2, help="reading and encoding threads")
    p.add_argument("--shard-frames", type=int, metavar="N", help="hf: frames per parquet shard "
                                                                 "(default: 256 at 512x512, fewer for larger frames)")
    p.add_argument("--no-progress", action="store_true")


def run(args) -> int:
    from ..dataset.export import export
    from ..errors import ConfigError

    for name in ("workers", "shard_frames"):
        value = getattr(args, name)
        if value is not None and value < 1:
            raise ConfigError(f"--{name.replace('_', '-')} {value}: must be at least 1")
    if args.format == "coco" and args.split:
        raise ConfigError("--split applies to hf and yolo-seg; a COCO file is one split")
    if args.format != "hf" and args.shard_frames:
        raise ConfigError("--shard-frames applies to hf only")
    report = export(args.dataset, args.format, args.out, args.split or "train", args.workers,
                    not args.no_progress, args.shard_frames)
    print(report.summary())
    return 0
