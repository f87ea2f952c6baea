"""Rock size distribution of labelled masks: how big the labelled rocks are, per dataset.

Why: a rock IoU depends as much on how small the labelled rocks are as on the model. This compares
our synthetic label statistics with real annotated frames (e.g. the Chang'e-3 set), in a unit
independent of resolution: sqrt(component area) / image width, also shown as pixels at 512 wide.

    python experiments/rock_sizes.py ../shared/data/real_lunar _out/val_seed2 [--limit 300]
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np


QUANTILES = (10, 25, 50, 75, 90)


def mask_paths(folder: Path) -> list[Path]:
    """The masks of a dataset or a real-image folder, found as `regolith evaluate` finds them."""
    from omni.regolith.evaluate.images import find_image_set

    image_set = find_image_set(folder)
    if not image_set.labelled:
        sys.exit(f"rock_sizes: {folder} has no masks")
    return [s.mask for s in image_set.samples]


def rock_sizes(paths: list[Path]) -> dict:
    """Rock components as `regolith stats` counts them (8-connected), summarised by size."""
    from omni.regolith.dataset.stats import mask_stats

    sizes, rock_px, total_px = [], 0, 0
    for path in paths:
        (h, w), _, _, areas = mask_stats(path)
        sizes.extend(np.sqrt(areas) / w)
        rock_px += int(areas.sum())
        total_px += h * w
    sizes = np.asarray(sizes)
    area = sizes**2
    small = float(area[sizes * 512 < 8].sum() / max(area.sum(), 1e-12))
    return {
        "frames": len(paths),
        "rocks_per_frame": len(sizes) / max(len(paths), 1),
        "rock_share": rock_px / max(total_px, 1),
        "quantiles_px512": {q: float(np.percentile(sizes, q) * 512) if len(sizes) else float("nan") for q in QUANTILES},
        "rock_pixels_in_rocks_under_8px": small,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folders", nargs="+", type=Path)
    parser.add_argument("--limit", type=int, default=300, help="masks read per folder")
    args = parser.parse_args()
    head = " / ".join(f"q{q}" for q in QUANTILES)
    print(f"| masks | frames | rocks/frame | rock px share | rock size px@512 {head} | rock px in rocks < 8 px |")
    print("|---|---|---|---|---|---|")
    for folder in args.folders:
        s = rock_sizes(mask_paths(folder)[: args.limit])
        qs = " / ".join(f"{v:.1f}" for v in s["quantiles_px512"].values())
        print(f"| {folder} | {s['frames']} | {s['rocks_per_frame']:.1f} | {s['rock_share']:.3f} | {qs} |"
              f" {s['rock_pixels_in_rocks_under_8px']:.3f} |")


if __name__ == "__main__":
    main()
