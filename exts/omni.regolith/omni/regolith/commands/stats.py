"""`regolith stats DIR [--check]`."""
from __future__ import annotations

HELP = "dataset statistics (stats.json, stats.png), or --check a dataset for missing and corrupt files"


def add_arguments(p) -> None:
    p.add_argument("dataset", metavar="DIR", help="a dataset folder (docs/dataset-format.md)")
    p.add_argument("--check", action="store_true",
                   help="validate files only: print each problem on one line, exit 1 if any")
    p.add_argument("--out", metavar="PATH",
                   help="where to write stats.json: a .json file (stats.png goes beside it) or a folder "
                        "(default: the dataset folder)")
    p.add_argument("--sample", type=int, metavar="N", help="analyze N randomly chosen frames (default: all)")
    p.add_argument("--workers", type=int, metavar="N", help="decoding threads (default: min(8, CPUs))")
    p.add_argument("--no-figure", action="store_true", help="skip stats.png")


def run(args) -> int:
    from pathlib import Path

    from ..errors import ConfigError
    from .common import check_output

    for name in ("sample", "workers"):
        value = getattr(args, name)
        if value is not None and value < 1:
            raise ConfigError(f"--{name} {value}: must be at least 1")
    if args.check:
        from ..dataset.check import check_dataset

        problems = check_dataset(args.dataset, workers=args.workers, progress=True)
        for problem in problems:
            print(problem)
        if problems:
            import sys

            print(f"regolith stats: {len(problems)} problem{'s' * (len(problems) > 1)} in {args.dataset}", file=sys.stderr)
            return 1
        from ..dataset.layout import scan_files
        from ..plan.io import read_records

        n = len(set(read_records(args.dataset)) | set(scan_files(Path(args.dataset), "mask")))
        print(f"{n} frames OK")
        return 0
    from ..dataset.figure import plot_stats
    from ..dataset.stats import compute_stats, format_table, write_stats

    if args.out:
        check_output(args.out, folder=Path(args.out).suffix != ".json")
    else:
        check_output(args.dataset, "DIR")
    stats = compute_stats(args.dataset, sample=args.sample, workers=args.workers, progress=True)
    out = Path(args.out) if args.out else Path(args.dataset)
    json_path = out if out.suffix == ".json" else out / "stats.json"
    print(format_table(stats))
    print(f"wrote {write_stats(stats, json_path)}")
    if not args.no_figure:
        print(f"wrote {plot_stats(stats, args.dataset, json_path.with_suffix('.png'))}")
    return 0
