"""Where does a model lose rock IoU? Five cheap readings on one labelled set, one forward pass
(plus its mirror) per image:

1. Edges: the same prediction scored with a 1-pixel band around every true rock edge ignored.
   The gap to the plain score is the share of the loss that is edge placement.
2. Calibration: a constant added to the rock logit (negative: fewer rock pixels). If no bias
   beats 0, the argmax already sits at the best threshold and thresholds cannot buy IoU.
3. Flip test-time augmentation: logits averaged with the mirrored image's.
4. Darkness: the share of true rock pixels that are black (every channel <= 2 of 255) and the
   score with black pixels ignored. Black rock is unreadable: it looks like the shadows rocks cast
   (direct light alone left a fifth of synthetic rock pixels black; see render.ground_bounce).
5. Edge-aware upsampling: the class probabilities passed through a guided filter (He et al. 2010)
   steered by the image's grey level, so predicted edges snap to image edges without training.
   Radius 2, eps 1e-3 were the best of r 1/2/4 x eps 1e-3/1e-2/1e-1 on 120 val frames: an upper
   estimate of what a non-learned edge snap buys.

Usage: python experiments/rock_error_budget.py DATASET_OR_IMAGE_DIR [--model PATH] [--limit N]
"""
from __future__ import annotations

import argparse
import sys
import time

import numpy as np


BIASES = (-1.0, -0.5, 0.0, 0.5, 1.0)
BLACK = 2  # max channel value of a "black" pixel


def edge_band(mask: np.ndarray) -> np.ndarray:
    """Pixels on either side of a true rock edge (8-neighbourhood)."""
    from scipy import ndimage

    rock = mask == 1
    return ndimage.binary_dilation(rock, np.ones((3, 3))) & ~ndimage.binary_erosion(rock, np.ones((3, 3)))


def guided_filter(guide, p, radius: int = 2, eps: float = 1e-3):
    """He et al.'s guided filter: `p` (B, C, H, W) smoothed except across edges of `guide` (B, 1, H, W)."""
    import torch.nn.functional as F

    def box(x):
        return F.avg_pool2d(x, 2 * radius + 1, stride=1, padding=radius, count_include_pad=False)

    mean_i, mean_p = box(guide), box(p)
    a = (box(guide * p) - mean_i * mean_p) / (box(guide * guide) - mean_i * mean_i + eps)
    return box(a) * guide + box(mean_p - a * mean_i)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("images")
    ap.add_argument("--model", help="model dir (default: the embedded default model)")
    ap.add_argument("--limit", type=int)
    ap.add_argument("--device", default="auto")
    args = ap.parse_args()

    import torch

    from omni.regolith.evaluate.images import find_image_set, load_sample
    from omni.regolith.learn.inference import Segmenter
    from omni.regolith.learn.metrics import ConfusionMatrix

    image_set = find_image_set(args.images, limit=args.limit)
    if not image_set.labelled:
        sys.exit("rock_error_budget: needs masks (an IoU without ground truth means nothing)")
    seg = Segmenter.load(args.model, device=args.device, cuda_graphs=False)
    cms = {name: ConfusionMatrix() for name in ("plain", "edges ignored", "black ignored", "flip TTA", "guided filter")}
    rock_px = black_rock_px = 0
    guided_s = 0.0
    bias_cms = {b: ConfusionMatrix() for b in BIASES}
    for sample in image_set.samples:
        rgb, mask = load_sample(sample)
        with torch.inference_mode():
            x = torch.tensor(rgb)[None].to(seg.device)  # a copy: the decoded array is read-only
            logits, mirrored = seg.logits(x)[0].float(), seg.logits(x.flip(2))[0].float().flip(-1)
            plain, tta = logits.cpu(), ((logits + mirrored) / 2).argmax(0).cpu().numpy()
            t = time.perf_counter()
            grey = x.permute(0, 3, 1, 2).float().mean(1, keepdim=True) / 255.0
            snapped = guided_filter(grey, logits.softmax(0)[None])[0].argmax(0).cpu().numpy()
            guided_s += time.perf_counter() - t
        pred = plain.argmax(0).numpy()
        cms["plain"].update(mask, pred)
        cms["edges ignored"].update(np.where(edge_band(mask), 255, mask).astype(np.uint8), pred)
        black = rgb.max(-1) <= BLACK
        cms["black ignored"].update(np.where(black, 255, mask).astype(np.uint8), pred)
        rock_px += int((mask == 1).sum())
        black_rock_px += int(((mask == 1) & black).sum())
        cms["flip TTA"].update(mask, tta)
        cms["guided filter"].update(mask, snapped)
        for b, cm in bias_cms.items():
            shifted = plain.clone()
            shifted[1] += b
            cm.update(mask, shifted.argmax(0).numpy())
    print(f"{len(image_set.samples)} images of {args.images}, model input {seg.size[0]}x{seg.size[1]} on {seg.device}")
    for name, cm in cms.items():
        r = cm.summary()
        print(f"{name:>14}: rock IoU {r['rock_iou']:.3f}, mIoU {r['miou']:.3f}")
    print(f"guided filter: {1000 * guided_s / len(image_set.samples):.1f} ms per image on {seg.device}")
    print(f"black rock pixels (max channel <= {BLACK}): {black_rock_px / max(rock_px, 1):.3f} of {rock_px}")
    print("rock-logit bias: " + ", ".join(f"{b:+.1f} -> {cm.summary()['rock_iou']:.3f}" for b, cm in bias_cms.items()))


if __name__ == "__main__":
    main()
