"""Is model A better than model B on a labelled set, or is the difference one of which frames?

`regolith evaluate` bootstraps one model against the non-learned baseline; choosing between two
models (say, whether a new default transfers worse to real frames) needs the same paired
resampling between them: every draw of images scores both models on the same frames, so a
frame that is hard for both cancels. Prints each model's rock IoU and mIoU with 95% intervals,
then the first model's rock IoU minus each other's.

Usage: python experiments/paired_models.py MODEL_A MODEL_B [MODEL ...] [--images DIR] [--limit N]
         [--input-size N]   (default images: the Chang'e-3 set in ../shared/data/real_lunar)
"""
from __future__ import annotations

import argparse
from pathlib import Path



def main(argv=None) -> int:
    from omni.regolith.evaluate.images import find_image_set, load_sample
    from omni.regolith.learn.inference import Segmenter
    from omni.regolith.learn.metrics import ConfusionMatrix, per_class_iou
    from omni.regolith.evaluate.bootstrap import bootstrap_intervals
    from omni.regolith.evaluate.report import interval_text, resampled

    import numpy as np

    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("models", nargs="+", help="model dirs (or run dirs); the first is compared with each other")
    p.add_argument("--images", default=None, help="labelled folder or dataset dir (default: real_lunar)")
    p.add_argument("--limit", type=int, default=None)
    p.add_argument("--input-size", type=int, default=None, help="run every model at N x N input")
    args = p.parse_args(argv)
    if len(args.models) < 2:
        p.error("give at least two models")
    image_set = find_image_set(args.images, limit=args.limit)
    if not image_set.labelled:
        p.error(f"{image_set.images} has no masks: nothing to compare against")
    samples = [load_sample(s, image_set.crop) for s in image_set.samples]
    names = [Path(m).name if Path(m).name != "model" else Path(m).parent.name for m in args.models]
    if len(set(names)) < len(names):
        p.error(f"models need distinct folder names to be told apart: {', '.join(names)}")
    cms = {}
    for name, path in zip(names, args.models):
        segmenter = Segmenter.load(path, device="cpu", input_size=args.input_size)
        cms[name] = [ConfusionMatrix().update(target, segmenter.predict(rgb)).matrix for rgb, target in samples]
    boot = bootstrap_intervals(cms, groups=image_set.groups, unit="layout")  # a dataset's frames by layout
    print(f"{image_set.name}: 95% intervals over {boot['rounds']} resamples of {resampled(boot)} (paired)")
    ious = {name: per_class_iou(np.sum(cms[name], axis=0)) for name in names}
    for name in names:
        b = boot[name]
        print(f"  {name}: rock IoU {ious[name][1]:.3f} {interval_text(b['rock_iou'])}, "
              f"mIoU {np.nanmean(ious[name]):.3f} {interval_text(b['miou'])}")
    for name in names[1:]:
        diff = ious[names[0]][1] - ious[name][1]
        print(f"  {names[0]} - {name}: rock IoU {diff:+.3f} "
              f"{interval_text(boot[f'{names[0]}_minus_{name}_rock_iou'], signed=True)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
