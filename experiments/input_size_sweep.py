"""How much does SegFormer's output resolution limit rock IoU? Two measurements on one labelled set.

1. The oracle ceiling: the true mask averaged over s x s cells (SegFormer predicts at 1/4 of its
   input) and upsampled back, scored against itself. No model can beat it at that stride.
2. The same model run at larger input sizes (the image upscaled before inference), which makes
   each output cell cover fewer original pixels. `--keep-aspect` resizes each image to a long side
   of N instead of to N x N: real frames are not square, and the fixed square resize stretches them.

Usage: python experiments/input_size_sweep.py DATASET_OR_IMAGE_DIR [--model PATH] [--sizes 512 768 1024] [--limit N]
       [--no-oracle] [--keep-aspect]
"""
from __future__ import annotations

import argparse
import sys

import numpy as np



def oracle(image_set, strides=(4, 2)) -> dict:
    import torch
    import torch.nn.functional as F

    from PIL import Image

    from omni.regolith.evaluate.images import read_mask
    from omni.regolith.learn.metrics import ConfusionMatrix

    cms = {s: ConfusionMatrix() for s in strides}
    for sample in image_set.samples:
        with Image.open(sample.image) as im:  # the header only: the oracle needs no pixels
            shape = im.size[::-1]
        mask = read_mask(sample.mask, shape)  # validated, ALLD colour masks converted
        valid = np.where(mask == 255, 0, mask).astype(np.int64)
        onehot = F.one_hot(torch.from_numpy(valid), 3).permute(2, 0, 1)[None].float()
        for s, cm in cms.items():
            low = F.avg_pool2d(onehot, s, ceil_mode=True)
            up = F.interpolate(low, size=mask.shape, mode="bilinear", align_corners=False).argmax(1)[0].numpy()
            cm.update(mask, up)
    return {s: cm.summary() for s, cm in cms.items()}


class KeepAspect:
    """A Segmenter run on each image resized to a long side of `side` (multiples of 32), aspect kept."""

    def __init__(self, segmenter, side: int):
        self.segmenter, self.side = segmenter, side

    def predict(self, rgb):
        h, w = rgb.shape[:2]
        k = self.side / max(h, w)
        self.segmenter.size = tuple(max(32, round(x * k / 32) * 32) for x in (h, w))
        return self.segmenter.predict(rgb)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("images")
    ap.add_argument("--model", help="model dir (default: the embedded default model)")
    ap.add_argument("--sizes", type=int, nargs="+", default=[512, 768, 1024])
    ap.add_argument("--limit", type=int)
    ap.add_argument("--no-oracle", action="store_true", help="skip the oracle ceilings (slow on big sets)")
    ap.add_argument("--keep-aspect", action="store_true", help="each size is the long side; no stretch to a square")
    args = ap.parse_args()

    from omni.regolith.evaluate.scoring import evaluate_set
    from omni.regolith.evaluate.images import find_image_set
    from omni.regolith.learn.inference import Segmenter

    image_set = find_image_set(args.images, limit=args.limit)
    if not image_set.labelled:
        sys.exit("input_size_sweep: needs masks (an IoU without ground truth means nothing)")
    for stride, r in ({} if args.no_oracle else oracle(image_set)).items():
        print(f"oracle at output stride {stride}: rock IoU {r['rock_iou']:.3f}, mIoU {r['miou']:.3f}")
    for size in args.sizes:
        seg = Segmenter.load(args.model, cuda_graphs=False, input_size=size)
        if args.keep_aspect:
            seg = KeepAspect(seg, size)
        m = evaluate_set(image_set, seg, progress=False).metrics["model"]
        shape = f"long side {size}" if args.keep_aspect else f"{size}x{size}"
        print(f"model at input {shape}: rock IoU {m['rock_iou']:.3f}, mIoU {m['miou']:.3f}, "
              f"rock flood {m['rock_flood']:.2f}")


if __name__ == "__main__":
    main()
