"""Docs figure: real Chang'e-3 frames (chandai_ce3, CC BY 4.0 ONLY) next to our synthetic frames.

    . ./env.sh && $PY figure_side_by_side.py     # -> figures/real_vs_synth_chandai.png

Row 1: four chandai eval frames, shown un-stretched to 4:3 (they are stored 432x432, stretched from
~4:3). Row 2: four synthetic frames (synth120, seed 2) with a sun 12-45 deg up and visible rocks.
Row 3: ~5x zoom of a 64 px wide patch at the bottom centre of each frame above (the regolith nearest the
camera): the 'smooth grey ground' problem. No ALLD (real_lunar) pixels are used.
Attribution (required, printed in the figure): "Lunar Scene Analysis v5 by chandai, Roboflow Universe, CC BY 4.0".
"""
from __future__ import annotations

import json

import numpy as np
from PIL import Image, ImageDraw, ImageFont

from common import CHANDAI, FIG, SYNTH

REAL = ["PCAML-C-046", "PCAML-Q-044", "PCAML-C-056", "C3_TCAM_7_2A_061"]
H = 300
W43 = 400


def chandai_file(prefix):
    d = json.load(open(CHANDAI / "eval" / "_annotations.coco.json"))
    for im in d["images"]:
        if im["extra"]["name"].startswith(prefix):
            return CHANDAI / "eval" / im["file_name"], im["extra"]["name"]
    raise KeyError(prefix)


def pick_synth(n=4):
    recs = [json.loads(l) for l in open(SYNTH / "frames.jsonl")]
    good = []
    for r in recs:
        m = np.array(Image.open(SYNTH / "mask" / f"{r['index']:05d}.png"))
        if 12 <= r["sun_elevation_deg"] <= 45 and 0.03 <= (m == 1).mean() <= 0.2 and (m == 2).mean() < 0.3:
            good.append(r["index"])
    step = max(1, len(good) // n)
    return good[::step][:n]


def zoom(img: Image.Image, frac_w=0.16):
    w, h = img.size
    pw = int(w * frac_w)
    ph = int(pw * 0.75)
    box = ((w - pw) // 2, h - ph - int(0.02 * h), (w + pw) // 2, h - int(0.02 * h))
    return img.crop(box).resize((W43, H), Image.NEAREST), box


def main():
    real = []
    for p in REAL:
        f, name = chandai_file(p)
        real.append((Image.open(f).convert("RGB"), name))
    syn_idx = pick_synth()
    syn = [(Image.open(SYNTH / "rgb" / f"{i:05d}.png").convert("RGB"), f"synthetic #{i}") for i in syn_idx]
    pad, top, foot = 6, 26, 44
    cols = 4
    Wt = cols * (W43 + pad) + pad
    Ht = top + 3 * (H + pad + 18) + foot
    canvas = Image.new("RGB", (Wt, Ht), (255, 255, 255))
    dr = ImageDraw.Draw(canvas)
    try:
        font = ImageFont.truetype("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf", 13)
    except OSError:
        font = ImageFont.load_default()
    dr.text((pad, 6), "Real Chang'e-3 (top) vs regolith synthetic (middle); bottom: zoom (~5x) of the ground nearest the camera "
                      "(left two: real frames 1-2, right two: synthetic 1-2)", fill=(0, 0, 0), font=font)
    y = top
    for row in (real, syn):
        for k, (im, name) in enumerate(row):
            x = pad + k * (W43 + pad)
            tile = im.resize((W43, H), Image.LANCZOS) if row is real else im.resize((H, H), Image.LANCZOS)
            ox = x if row is real else x + (W43 - H) // 2
            canvas.paste(tile, (ox, y))
            if row is real:
                zb = zoom(im)[1]
                sx, sy = W43 / im.size[0], H / im.size[1]
            else:
                zb = zoom(im)[1]
                sx, sy = H / im.size[0], H / im.size[1]
            if k < 2:
                ImageDraw.Draw(canvas).rectangle([ox + zb[0] * sx, y + zb[1] * sy, ox + zb[2] * sx, y + zb[3] * sy], outline=(255, 80, 0), width=2)
            dr.text((x, y + H + 2), name.replace(".png", "")[:44], fill=(0, 0, 0), font=font)
        y += H + pad + 18
    crops = [zoom(real[0][0])[0], zoom(real[1][0])[0], zoom(syn[0][0])[0], zoom(syn[1][0])[0]]
    labels = ["real (zoomed ~5x)", "real (zoomed ~5x)", "synthetic (zoomed ~5x)", "synthetic (zoomed ~5x)"]
    for k, (c, lab) in enumerate(zip(crops, labels)):
        x = pad + k * (W43 + pad)
        canvas.paste(c, (x, y))
        dr.text((x, y + H + 2), lab, fill=(0, 0, 0), font=font)
    y += H + pad + 18
    dr.text((pad, y + 2), "Real frames: \"Lunar Scene Analysis v5\" by chandai, Roboflow Universe, CC BY 4.0 "
                          "(Chang'e-3 / CNSA imagery); resized from 432x432 to 4:3, crops zoomed.", fill=(0, 0, 0), font=font)
    dr.text((pad, y + 20), "Synthetic: regolith generate --frames 120 --seed 2 (Mitsuba 3, llvm_ad_rgb, 512x512, 4 spp).",
            fill=(0, 0, 0), font=font)
    FIG.mkdir(exist_ok=True)
    out = FIG / "real_vs_synth_chandai.png"
    canvas.save(out, optimize=True)
    print(out, canvas.size, "synthetic frames", syn_idx)


if __name__ == "__main__":
    main()
