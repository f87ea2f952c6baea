"""Measurement 4 (labelled rock sizes -> label policy) and the rock half of 2 (rock vs surrounding
regolith brightness), plus rock surface roughness.

    . ./env.sh && $PY rocks.py          # -> out/rocks.json, out/rocks.md, figures/rock_sizes_internal.png

Objects:
  ALLD     8-connected components of mask == 1 (as `regolith stats` / tools/rock_sizes.py count them)
  chandai  one object per 'rock' or 'boulder' polygon (eval: 44 frames; finetune: first copy of each
           of 118 source frames; the augmentation's +-15 deg rotation / 10 deg shear changes areas a little)
  synth    8-connected components of mask == 1 (synth120 = the docs' val plan, seed 2)
Sizes: area (px), equivalent diameter d = 2 sqrt(area / pi), d / image width. For chandai the 432x432
frames are stretched from 4:3 (PCAM 2352x1728): d / width is given in the ORIGINAL frame's width,
d_orig/W = sqrt(A * (W/432) * (H/432) * 4 / pi) / W = 2 sqrt(A / pi) / 432 * sqrt(3/4) (assumes 4:3;
TCAM frames are assumed 4:3 too, see camera.py for the aspect check). Also in px at 512 wide.
Local contrast: median luma inside the object / median luma of regolith in a ring 3..9 px outside
(ALLD and synth: mask == 0 in the ring; chandai: pixels in no polygon). Roughness: std of a high-pass
(luma - gaussian(sigma 2 px)) inside the object eroded by 2 px, divided by the object's mean luma,
against the same in the ring's regolith.
"""
from __future__ import annotations

import numpy as np
from scipy import ndimage as ndi

from common import FIG, OUT, REGOLITH, ROCK, alld_samples, chandai_samples, luma, md_table, q, save_json, synth_samples

EIGHT = np.ones((3, 3), bool)


def objects_of(s):
    m = s["mask"]
    if s["set"] == "chandai":
        objs = []
        for a in s["anns"]:
            if a["category_id"] not in (2, 4):
                continue
            from PIL import Image, ImageDraw
            layer = Image.new("L", (m.shape[1], m.shape[0]), 0)
            for poly in a["segmentation"]:
                if len(poly) >= 6:
                    ImageDraw.Draw(layer).polygon([tuple(poly[i:i + 2]) for i in range(0, len(poly), 2)], fill=1)
            obj = np.array(layer) > 0
            if obj.sum():
                objs.append(obj)
        return objs
    lab, n = ndi.label(m == ROCK, structure=EIGHT)
    return [(lab == i + 1) for i in range(n)]


def measure(samples, aspect_fix=1.0):
    out = []
    for s in samples:
        rgb, m = s["rgb"], s["mask"]
        h, w = m.shape
        y = luma(rgb)
        hp = y - ndi.gaussian_filter(y, 2.0)
        regolith = (m == REGOLITH)
        for obj in objects_of(s):
            area = int(obj.sum())
            d = 2 * np.sqrt(area / np.pi)
            ys, xs = np.nonzero(obj)
            rec = {"frame": s["name"], "family": s["family"], "area_px": area, "eqdiam_px": d,
                   "d_over_width": d / w * aspect_fix, "bbox_w": int(xs.max() - xs.min() + 1), "bbox_h": int(ys.max() - ys.min() + 1),
                   "touches_border": bool(xs.min() == 0 or ys.min() == 0 or xs.max() == w - 1 or ys.max() == h - 1)}
            if area >= 12:
                ring = ndi.binary_dilation(obj, EIGHT, 9) & ~ndi.binary_dilation(obj, EIGHT, 3) & regolith
                if ring.sum() >= 20:
                    rec["ratio"] = float(np.median(y[obj]) / max(np.median(y[ring]), 1e-3))
                    inner = ndi.binary_erosion(obj, EIGHT, 2)
                    if inner.sum() >= 12:
                        rec["rough_rock"] = float(hp[inner].std() / max(y[inner].mean(), 1e-3))
                        rec["rough_ring"] = float(hp[ring].std() / max(y[ring].mean(), 1e-3))
                        rec["cv_rock"] = float(y[inner].std() / max(y[inner].mean(), 1e-3))
                        rec["cv_ring"] = float(y[ring].std() / max(y[ring].mean(), 1e-3))
            out.append(rec)
    return out


def main():
    sets = {
        "ALLD (dense)": (alld_samples(), 1.0),
        "chandai eval (sparse)": (chandai_samples("eval"), np.sqrt(3 / 4)),
        "chandai finetune (sparse)": (chandai_samples("finetune"), np.sqrt(3 / 4)),
        "synthetic (seed 2)": (synth_samples(), 1.0),
    }
    res = {k: measure(v[0], v[1]) for k, v in sets.items()}
    md = ["## Labelled rock sizes (d = equivalent diameter)\n"]
    rows = []
    summary = {}
    for k, objs in res.items():
        a = np.array([o["area_px"] for o in objs])
        d = np.array([o["eqdiam_px"] for o in objs])
        f = np.array([o["d_over_width"] for o in objs])
        nf = len(sets[k][0])
        summary[k] = {"frames": nf, "objects": len(objs), "area_min": int(a.min()), "area_q": q(a, (1, 5, 10, 50, 90)),
                      "d_min": float(d.min()), "d_q": q(d, (1, 5, 10, 50, 90)), "f_q": q(f, (1, 5, 10, 25, 50, 75, 90)),
                      "f_min": float(f.min())}
        fq = summary[k]["f_q"]
        rows.append([k, nf, len(objs), f"{len(objs) / nf:.1f}", int(a.min()), f"{q(a, (5,))[0]:.0f} / {np.median(a):.0f}",
                     f"{d.min():.1f} / {q(d, (5,))[0]:.1f} / {np.median(d):.1f}",
                     f"{100 * f.min():.2f} / {100 * fq[0]:.2f} / {100 * fq[1]:.2f} / {100 * fq[2]:.2f} / {100 * fq[4]:.2f} / {100 * fq[6]:.2f}",
                     f"{512 * f.min():.1f} / {512 * fq[1]:.1f} / {512 * fq[2]:.1f} / {512 * fq[4]:.1f}"])
    md.append(md_table(["set", "frames", "rocks", "per frame", "min area px", "area p5 / p50", "d px min / p5 / p50",
                        "d/width % min / p1 / p5 / p10 / p50 / p90", "d at 512 wide: min / p5 / p10 / p50"], rows))

    # per-family detail for chandai (all eval + finetune objects)
    md.append("\n\n### chandai rock/boulder polygons by camera family (eval + finetune)\n")
    rows = []
    for fam in ("chandai-PCAM-C", "chandai-PCAM-Q", "chandai-TCAM"):
        f = np.array([o["d_over_width"] for k in ("chandai eval (sparse)", "chandai finetune (sparse)") for o in res[k] if o["family"] == fam])
        if len(f):
            rows.append([fam, len(f)] + [f"{100 * v:.2f}" for v in q(f, (0, 5, 10, 50, 90))])
    md.append(md_table(["family", "polygons", "d/W % min", "p5", "p10", "p50", "p90"], rows))

    md.append("\n\n## Rock vs surrounding regolith (per rock, area >= 12 px, ring 3-9 px outside)\n")
    rows = []
    for k, objs in res.items():
        r = np.array([o["ratio"] for o in objs if "ratio" in o])
        rr = np.array([o["rough_rock"] for o in objs if "rough_rock" in o])
        rg = np.array([o["rough_ring"] for o in objs if "rough_ring" in o])
        cr = np.array([o["cv_rock"] for o in objs if "cv_rock" in o])
        cg = np.array([o["cv_ring"] for o in objs if "cv_ring" in o])
        summary[k].update({"ratio_q": q(r, (10, 25, 50, 75, 90)), "brighter_share": float((r > 1).mean()),
                           "rough_rock_med": float(np.median(rr)), "rough_ring_med": float(np.median(rg)),
                           "cv_rock_med": float(np.median(cr)), "cv_ring_med": float(np.median(cg))})
        rq = summary[k]["ratio_q"]
        rows.append([k, len(r), f"{rq[2]:.2f}", f"{rq[0]:.2f} / {rq[1]:.2f} / {rq[3]:.2f} / {rq[4]:.2f}", f"{100 * (r > 1).mean():.0f}%",
                     f"{np.median(cr):.3f} / {np.median(cg):.3f}", f"{np.median(rr):.3f} / {np.median(rg):.3f}",
                     f"{np.median(rr / np.maximum(rg, 1e-6)):.2f}"])
    md.append(md_table(["set", "rocks", "median(rock)/median(ring) median", "p10 / p25 / p75 / p90", "rocks brighter",
                        "luma CV rock / ring", "high-pass (sigma 2) std/mean rock / ring", "rough rock/ring (median of per-rock ratio)"], rows))
    save_json({"summary": summary, "objects": res}, "rocks.json")
    (OUT / "rocks.md").write_text("\n".join(md) + "\n")
    print("\n".join(md))

    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    fig, ax = plt.subplots(1, 2, figsize=(12, 4))
    for k, objs in res.items():
        f = np.sort([o["d_over_width"] for o in objs])
        ax[0].plot(f * 100, np.arange(1, len(f) + 1) / len(f), label=f"{k} ({len(f)})")
        r = np.array([o["ratio"] for o in objs if "ratio" in o])
        ax[1].hist(np.log2(r), bins=40, range=(-3, 2), density=True, histtype="step", label=k)
    ax[0].set_xscale("log"); ax[0].set_xlabel("rock equivalent diameter, % of image width"); ax[0].set_ylabel("CDF"); ax[0].legend(fontsize=8)
    ax[0].axvline(1.5, color="k", ls=":")
    ax[1].set_xlabel("log2 median(rock) / median(ring regolith)"); ax[1].legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(FIG / "rock_sizes_internal.png", dpi=90)


if __name__ == "__main__":
    main()
