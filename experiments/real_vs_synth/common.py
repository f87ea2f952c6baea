"""Shared loaders for the real-vs-synthetic measurements.

Sets (all read in place, nothing copied; the data root is $REGOLITH_DATA, else ../shared/data):
  ALLD    real_lunar    21 Chang'e-3 frames, dense masks (0 regolith, 1 rock, 2 sky, 255 ignore)
                        internal only: never put these pixels in a docs figure
  CHANDAI chandai_ce3   432x432 stretched JPEGs, sparse COCO polygons (CC BY 4.0)
  SYNTH   $SYNTH, default _out/real_vs_synth/synth120: `regolith generate --out _out/real_vs_synth/synth120
          --frames 120 --seed 2` (the docs' val plan; run_all.sh makes it)
Outputs go to _out/real_vs_synth/ (tables out/, figures figures/).

Every sample is a dict: name, family, rgb (H,W,3 uint8), mask (H,W uint8: 0 regolith, 1 rock, 2 sky,
255 ignore/unknown) and for chandai `cats` (dict category name -> bool mask) and `regolith_proxy`.
For chandai, "regolith" = pixels in no polygon at all (labels are sparse: small rocks leak in), with a
3 px guard band around every polygon, and not near-black (max channel > 14, drops sky/no-data strips).
"""
from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw
from scipy import ndimage as ndi

REPO = Path(__file__).resolve().parents[2]
DATA = Path(os.environ.get("REGOLITH_DATA") or REPO.parent / "shared" / "data")
ALLD = DATA / "real_lunar"
CHANDAI = DATA / "chandai_ce3"
WORK = REPO / "_out" / "real_vs_synth"
SYNTH = Path(os.environ.get("SYNTH", WORK / "synth120"))
OUT = WORK / "out"
FIG = WORK / "figures"
REGOLITH, ROCK, SKY, IGNORE = 0, 1, 2, 255
CATS = {1: "artifact", 2: "boulder", 3: "crater", 4: "rock", 5: "rocky region", 6: "rover path"}


def luma(rgb: np.ndarray) -> np.ndarray:
    """Rec.709 luma of sRGB-coded values (0..255 float), the 'brightness' everyone sees."""
    rgb = rgb.astype(np.float32)
    return 0.2126 * rgb[..., 0] + 0.7152 * rgb[..., 1] + 0.0722 * rgb[..., 2]


def srgb_to_linear(rgb: np.ndarray) -> np.ndarray:
    x = rgb.astype(np.float32) / 255.0
    return np.where(x <= 0.04045, x / 12.92, ((x + 0.055) / 1.055) ** 2.4)


def alld_samples() -> list[dict]:
    out = []
    for p in sorted(ALLD.glob("*.png")):
        if p.stem.endswith("_mask"):
            continue
        m = ALLD / f"{p.stem}_mask.png"
        if not m.exists():
            continue
        fam = "ALLD-PCAM" if p.stem.startswith("PCAM") else "ALLD-TCAM"
        out.append({"name": p.stem, "family": fam, "set": "alld",
                    "rgb": np.array(Image.open(p).convert("RGB")), "mask": np.array(Image.open(m))})
    return out


def chandai_family(name: str) -> str:
    if name.startswith("PCAML-C"):
        return "chandai-PCAM-C"
    if name.startswith("PCAML-Q"):
        return "chandai-PCAM-Q"
    if name.startswith("C3_TCAM"):
        return "chandai-TCAM"
    return "chandai-other"


def chandai_samples(split: str = "eval", dedupe: bool = True) -> list[dict]:
    """`eval` (44 unaugmented frames) or `finetune` (3 augmented copies of 118 frames; dedupe keeps the
    first copy of each source frame: geometry survives the flips/rotations, brightness does not)."""
    d = json.load(open(CHANDAI / split / "_annotations.coco.json"))
    anns: dict = {}
    for a in d["annotations"]:
        if isinstance(a["segmentation"], list):  # 3 full-frame RLE 'rocky region' masks in finetune: skipped
            anns.setdefault(a["image_id"], []).append(a)
    out, seen = [], set()
    for im in d["images"]:
        name = im["extra"]["name"]
        if dedupe and name in seen:
            continue
        seen.add(name)
        rgb = np.array(Image.open(CHANDAI / split / im["file_name"]).convert("RGB"))
        h, w = rgb.shape[:2]
        cats = {}
        for a in anns.get(im["id"], []):
            c = CATS.get(a["category_id"])
            if c is None:
                continue
            layer = Image.new("L", (w, h), 0)
            for poly in a["segmentation"]:
                if len(poly) >= 6:
                    ImageDraw.Draw(layer).polygon([tuple(poly[i:i + 2]) for i in range(0, len(poly), 2)], fill=1)
            cats[c] = cats.get(c, np.zeros((h, w), bool)) | (np.array(layer) > 0)
        any_poly = np.zeros((h, w), bool)
        for v in cats.values():
            any_poly |= v
        guard = ndi.binary_dilation(any_poly, iterations=3)
        dark = rgb.max(-1) <= 14
        mask = np.full((h, w), IGNORE, np.uint8)
        mask[~guard & ~dark] = REGOLITH
        rock = cats.get("rock", np.zeros((h, w), bool)) | cats.get("boulder", np.zeros((h, w), bool))
        mask[rock] = ROCK
        for c in ("artifact", "rover path", "rocky region", "crater"):
            if c in cats:
                mask[cats[c] & ~rock] = IGNORE
        out.append({"name": name, "family": chandai_family(name), "set": "chandai", "split": split,
                    "file": str(CHANDAI / split / im["file_name"]), "rgb": rgb, "mask": mask, "cats": cats,
                    "anns": anns.get(im["id"], [])})
    return out


def synth_samples(folder: Path = SYNTH, limit: int | None = None) -> list[dict]:
    out = []
    for p in sorted((folder / "rgb").glob("*.png"))[:limit]:
        out.append({"name": p.stem, "family": "synthetic", "set": "synth",
                    "rgb": np.array(Image.open(p).convert("RGB")),
                    "mask": np.array(Image.open(folder / "mask" / p.name))})
    return out


def all_samples(chandai_split: str = "eval") -> list[dict]:
    return alld_samples() + chandai_samples(chandai_split) + synth_samples()


def families(samples) -> list[str]:
    order = ["ALLD-PCAM", "ALLD-TCAM", "chandai-PCAM-C", "chandai-PCAM-Q", "chandai-TCAM", "synthetic"]
    have = {s["family"] for s in samples}
    return [f for f in order if f in have] + sorted(have - set(order))


def to_model_input(rgb: np.ndarray, mask: np.ndarray | None = None, size: int = 512):
    """What the SegFormer sees: bilinear (antialiased when shrinking) resize to size x size."""
    img = np.array(Image.fromarray(rgb).resize((size, size), Image.BILINEAR))
    if mask is None:
        return img
    return img, np.array(Image.fromarray(mask).resize((size, size), Image.NEAREST))


def q(x, qs=(5, 50, 95)):
    x = np.asarray(x, float)
    x = x[np.isfinite(x)]
    return [float(np.percentile(x, v)) if len(x) else float("nan") for v in qs]


def save_json(obj, name: str) -> Path:
    OUT.mkdir(parents=True, exist_ok=True)
    p = OUT / name
    p.write_text(json.dumps(obj, indent=1, default=float))
    return p


def md_table(header, rows) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    for r in rows:
        lines.append("| " + " | ".join(f"{v:.3g}" if isinstance(v, float) else str(v) for v in r) + " |")
    return "\n".join(lines)
