"""Measurement 5: camera model. Noise, blur, JPEG, vignetting, aspect stretch; real vs synthetic.

    . ./env.sh && $PY camera.py          # -> out/camera.json, out/camera.md (needs out/rocks.json from rocks.py)

noise   Immerkaer's estimator (sigma = sqrt(pi/2)/6 * mean |I * [[1,-2,1],[-2,4,-2],[1,-2,1]]|) on luma, per
        8x8 block inside regolith; the frame's noise = median of its 10% flattest blocks (texture leaks in,
        so real values are upper bounds). In 8-bit DN, at the native size and at the 512x512 model input.
blur    re-blur gradient ratio at strong edges (Zhuo & Sim 2011): R = |grad I| / |grad (I * G(sigma0=1))| at
        local maxima of the top 1% gradient pixels, sigma = sigma0 / sqrt(R^2 - 1); the median over a
        frame, mapped to a true Gaussian sigma by a calibration on synthetic frames blurred by known sigmas
        (so it reads: "as blurry as our render blurred with sigma = x px", at the 512 input).
jpeg    IJG quality from each chandai file's luma quantisation table (least-squares scale of the standard
        table), chroma subsampling; blockiness = mean |horizontal+vertical luma step| across 8x8 block
        boundaries / mean step inside blocks (1.0 = no blocking), native 432 px.
vignet  per frame, regolith luma divided by its row's median regolith luma, fitted by 1 - a x^2 (x in
        [-1, 1] across the width); the augmentation's vignette (1 - s (x^2+y^2)/2) has a = s/2.
aspect  median bbox width/height of labelled rocks not touching the border (ALLD keeps the aspect;
        chandai is 432x432).
"""
from __future__ import annotations

import glob
import json

import numpy as np
from PIL import Image
from scipy import ndimage as ndi

from common import CHANDAI, OUT, REGOLITH, all_samples, families, luma, md_table, q, save_json, synth_samples, to_model_input

K = np.array([[1, -2, 1], [-2, 4, -2], [1, -2, 1]], float)


def noise_dn(rgb, mask):
    y = luma(rgb).astype(np.float64)
    r = np.abs(ndi.convolve(y, K, mode="reflect")) * np.sqrt(np.pi / 2) / 6
    reg = ndi.binary_erosion(mask == REGOLITH, iterations=2)
    h, w = y.shape
    vals = []
    for i in range(0, h - 7, 8):
        for j in range(0, w - 7, 8):
            if reg[i:i + 8, j:j + 8].all():
                vals.append(r[i:i + 8, j:j + 8].mean())
    if len(vals) < 20:
        return np.nan
    vals = np.sort(vals)
    return float(np.median(vals[: max(3, len(vals) // 10)]))


def blur_raw(rgb, mask=None, sigma0=1.0):
    y = luma(rgb).astype(np.float64)
    gy, gx = np.gradient(y)
    g1 = np.hypot(gx, gy)
    y2 = ndi.gaussian_filter(y, sigma0)
    gy2, gx2 = np.gradient(y2)
    g2 = np.hypot(gx2, gy2)
    thr = np.percentile(g1, 99)
    edge = (g1 >= thr) & (g1 == ndi.maximum_filter(g1, 3)) & (g1 > 8)
    edge[:3] = edge[-3:] = False
    edge[:, :3] = edge[:, -3:] = False
    if mask is not None:  # stars: single bright pixels inside the sky are not edges
        edge &= ~ndi.binary_erosion(mask == 2, iterations=2)
    if edge.sum() < 20:
        return np.nan
    R = g1[edge] / np.maximum(g2[edge], 1e-6)
    R = R[R > 1.0 + 1e-3]
    return float(np.median(sigma0 / np.sqrt(R ** 2 - 1))) if len(R) > 10 else np.nan


def blur_of(rgb, sigma):
    x = rgb.astype(np.float64)
    if sigma > 0:
        x = np.stack([ndi.gaussian_filter(x[..., c], sigma) for c in range(3)], -1)
    return np.clip(np.round(x), 0, 255).astype(np.uint8)


def jpeg_quality(path):
    std = np.array([16, 11, 10, 16, 24, 40, 51, 61, 12, 12, 14, 19, 26, 58, 60, 55, 14, 13, 16, 24, 40, 57, 69, 56,
                    14, 17, 22, 29, 51, 87, 80, 62, 18, 22, 37, 56, 68, 109, 103, 77, 24, 35, 55, 64, 81, 104, 113, 92,
                    49, 64, 78, 87, 103, 121, 120, 101, 72, 92, 95, 98, 112, 100, 103, 99], float)
    im = Image.open(path)
    # PIL returns the tables in zigzag order; compare sorted-invariant via least squares on the scale
    from PIL import JpegImagePlugin
    t = np.array(im.quantization[0], float)
    zz = np.array([0, 1, 8, 16, 9, 2, 3, 10, 17, 24, 32, 25, 18, 11, 4, 5, 12, 19, 26, 33, 40, 48, 41, 34, 27, 20, 13, 6, 7, 14, 21,
                   28, 35, 42, 49, 56, 57, 50, 43, 36, 29, 22, 15, 23, 30, 37, 44, 51, 58, 59, 52, 45, 38, 31, 39, 46, 53, 60, 61,
                   54, 47, 55, 62, 63])
    best = None
    for order in (np.arange(64), zz):
        ref = std[order]
        for qual in range(1, 101):
            s = (5000 / qual if qual < 50 else 200 - 2 * qual)
            tab = np.clip(np.floor((ref * s + 50) / 100), 1, 255)
            err = np.abs(tab - t).sum()
            if best is None or err < best[0]:
                best = (err, qual)
    return best[1], best[0], JpegImagePlugin.get_sampling(im)


def blockiness(rgb):
    y = luma(rgb).astype(np.float64)
    dx = np.abs(np.diff(y, axis=1))  # dx[:, j] = step between columns j and j+1
    dy = np.abs(np.diff(y, axis=0))
    bx = (np.arange(dx.shape[1]) % 8) == 7
    by = (np.arange(dy.shape[0]) % 8) == 7
    across = np.concatenate([dx[:, bx].ravel(), dy[by].ravel()]).mean()
    inside = np.concatenate([dx[:, ~bx].ravel(), dy[~by].ravel()]).mean()
    return float(across / max(inside, 1e-9))


def vignette_a(rgb, mask):
    y = luma(rgb).astype(np.float64)
    reg = mask == REGOLITH
    h, w = y.shape
    xs = np.linspace(-1, 1, w)
    X, V = [], []
    for i in range(h):
        sel = reg[i]
        if sel.mean() < 0.6:
            continue
        med = np.median(y[i, sel])
        if med < 10:
            continue
        X.append(xs[sel])
        V.append(y[i, sel] / med)
    if len(X) < h * 0.2:
        return np.nan
    X, V = np.concatenate(X), np.concatenate(V)
    A = np.stack([np.ones_like(X), -X ** 2], 1)
    c0, a = np.linalg.lstsq(A, V, rcond=None)[0]
    return float(a / c0)


def main():
    samples = all_samples("eval")
    # blur calibration: every 3rd synthetic frame (40) blurred by known sigmas (at 512)
    calib_frames = synth_samples()[::3]
    cal = {}
    for sg in (0.0, 0.5, 0.75, 1.0, 1.25, 1.5, 2.0, 2.5, 3.0):
        cal[sg] = float(np.nanmedian([blur_raw(blur_of(s["rgb"], sg), s["mask"]) for s in calib_frames]))
    cs = np.array(sorted(cal)), np.array([cal[k] for k in sorted(cal)])

    def to_sigma(raw):
        return float(np.interp(raw, cs[1], cs[0], left=0.0, right=np.nan))

    per = []
    for s in samples:
        img, m = to_model_input(s["rgb"], s["mask"])
        rec = {"name": s["name"], "family": s["family"],
               "noise_native": noise_dn(s["rgb"], s["mask"]), "noise_512": noise_dn(img, m),
               "blur_raw_512": blur_raw(img, m), "blur_raw_native": blur_raw(s["rgb"], s["mask"]), "blockiness_native": blockiness(s["rgb"]),
               "vignette_a": vignette_a(s["rgb"], s["mask"])}
        rec["blur_sigma_512"] = to_sigma(rec["blur_raw_512"])
        per.append(rec)

    md = ["## Blur calibration (every 3rd synthetic frame, 40, blurred with a known sigma at 512)\n",
          md_table(["true sigma px"] + [f"{k}" for k in sorted(cal)], [["estimator median"] + [cal[k] for k in sorted(cal)]]),
          "\n\n## Camera measurements per family (median over frames [p10-p90])\n"]
    rows, summary = [], {}
    for fam in families(samples):
        v = [p for p in per if p["family"] == fam]
        st = {}
        row = [fam, len(v)]
        for k in ("noise_native", "noise_512", "blur_raw_512", "blur_sigma_512", "blur_raw_native", "blockiness_native", "vignette_a"):
            a, b, c = q([p[k] for p in v], (10, 50, 90))
            st[k] = {"p10": a, "median": b, "p90": c}
            row.append(f"{b:.2f} [{a:.2f}-{c:.2f}]")
        summary[fam] = st
        rows.append(row)
    md.append(md_table(["family", "frames", "noise DN native", "noise DN @512", "blur estimator raw @512", "blur: equiv. sigma px @512",
                        "blur estimator raw native",
                        "blockiness (1 = none)", "vignette a (1 - a x^2)"], rows))

    # JPEG tables of every chandai file
    files = sorted(glob.glob(str(CHANDAI / "*" / "*" / "*.jpg")))
    quals = [jpeg_quality(f) for f in files]
    qv = np.array([x[0] for x in quals])
    sampling = {int(k): int(n) for k, n in zip(*np.unique([x[2] for x in quals], return_counts=True))}
    uq, cnt = np.unique(qv, return_counts=True)
    md.append(f"\n\nchandai JPEG files: {len(files)}; IJG quality from the luma table: "
              + ", ".join(f"q{a}: {b}" for a, b in zip(uq, cnt))
              + f"; table mismatch (sum |diff|) max {max(x[1] for x in quals):.0f}; chroma subsampling code (PIL get_sampling; 2 = 4:2:0): {sampling}")

    # aspect check from rock bboxes
    try:
        objs = json.load(open(OUT / "rocks.json"))["objects"]
        arow = []
        for setname, lst in objs.items():
            if "finetune" in setname:  # augmented copies include 90 deg rotations: bbox aspect meaningless
                continue
            for fam in sorted({o["family"] for o in lst}):
                r = [o["bbox_w"] / o["bbox_h"] for o in lst if o["family"] == fam and not o["touches_border"] and o["area_px"] >= 30]
                if len(r) >= 5:
                    a, b, c = q(r, (25, 50, 75))
                    arow.append([setname, fam, len(r), f"{b:.2f}", f"{a:.2f}-{c:.2f}"])
                    summary.setdefault("aspect", {})[f"{setname}|{fam}"] = {"n": len(r), "median": b, "iqr": [a, c]}
        md.append("\n\n## Aspect check: rock bbox width/height (rocks >= 30 px, not on the border)\n")
        md.append(md_table(["set", "family", "rocks", "median w/h", "IQR"], arow))
    except FileNotFoundError:
        pass

    # augmentation's noise range in DN at mid grey (regolith median ~96 sRGB), as augment.photometric does it
    x = (96 / 255) ** 2.2
    d = (1 / 2.2) * x ** (1 / 2.2 - 1) * 255
    aug = {"read_max_dn": 0.02 * d, "shot_max_dn": 0.03 * np.sqrt(x) * d, "both_max_dn": np.hypot(0.02, 0.03 * np.sqrt(x)) * d}
    md.append(f"\n\nCurrent augment noise at luma 96 (gamma-2.2 path of augment.photometric): read 0..0.02 -> 0..{aug['read_max_dn']:.1f} DN, "
              f"shot 0..0.03 -> 0..{aug['shot_max_dn']:.1f} DN, both at max {aug['both_max_dn']:.1f} DN (then resized/cropped).")
    save_json({"per_frame": per, "summary": summary, "blur_calibration": cal, "jpeg": {"files": len(files), "quality": qv.tolist()},
               "augment_noise_dn": aug}, "camera.json")
    (OUT / "camera.md").write_text("\n".join(md) + "\n")
    print("\n".join(md))


if __name__ == "__main__":
    main()
