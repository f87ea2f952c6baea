"""Measurements 1 (colour cast) and 2 (brightness / tone), real vs synthetic.

    . ./env.sh && $PY colour_tone.py          # -> out/colour_tone.json, out/colour_tone.md, figures/tone_hist_internal.png

Colour: per frame, mean linear-light R, G, B over a class's pixels (clipped >= 250 and near-black
max channel <= 5 pixels excluded), reported as R/G and B/G (1:1:1 = grey) and as luminance-preserving
gains (channel / Rec.709 luminance: what to multiply a grey albedo by). Also the same ratios on the
sRGB-coded values (what a histogram of the JPEG shows). Family stats = mean and spread over frames.
Tone: Rec.709 luma of the sRGB values (0..255) per class: mean, p5/p50/p95, clipped share (any
channel >= 254), near-black share (luma <= 10), per family (pixels pooled per frame, then frames
averaged so big frames do not dominate).
"""
from __future__ import annotations

import numpy as np

from common import FIG, OUT, REGOLITH, ROCK, SKY, all_samples, chandai_samples, families, luma, md_table, q, save_json, srgb_to_linear

W709 = np.array([0.2126, 0.7152, 0.0722])


def colour_of(rgb, sel):
    px = rgb[sel]
    ok = (px.max(1) < 250) & (px.max(1) > 5)
    px = px[ok]
    if len(px) < 200:
        return None
    lin = srgb_to_linear(px).mean(0)
    enc = px.astype(np.float64).mean(0)
    y = float(lin @ W709)
    return {"n": int(len(px)), "lin_rg": lin[0] / lin[1], "lin_bg": lin[2] / lin[1],
            "srgb_rg": enc[0] / enc[1], "srgb_bg": enc[2] / enc[1],
            "gain_r": lin[0] / y, "gain_g": lin[1] / y, "gain_b": lin[2] / y,
            "chroma_r": lin[0] / lin.sum(), "chroma_b": lin[2] / lin.sum()}


def tone_of(rgb, sel):
    if sel.sum() < 100:
        return None
    y = luma(rgb)[sel]
    mx = rgb[sel].max(1)
    p1, p5, p50, p95 = q(y, (1, 5, 50, 95))
    dark = y < 0.35 * p50  # shadow pixels (cast shadows on regolith, shaded rock faces)
    return {"n": int(sel.sum()), "mean": float(y.mean()), "p1": p1, "p5": p5, "p50": p50, "p95": p95,
            "shadow_share": float(dark.mean()), "shadow_level": float(np.median(y[dark]) / max(p50, 1e-3)) if dark.sum() >= 20 else float("nan"),
            "clipped": float((mx >= 254).mean()), "near_black": float((y <= 10).mean())}


def main():
    samples = all_samples("eval")
    # extra colour statistics: the 118 distinct finetune source frames (augmentation: brightness /
    # exposure only, which leaves channel ratios ~unchanged)
    ft = chandai_samples("finetune")
    for s in ft:
        s["family"] = s["family"] + " (finetune)"
    rows = []
    for s in samples + ft:
        rgb, m = s["rgb"], s["mask"]
        r = {"name": s["name"], "family": s["family"]}
        for cname, cid in (("regolith", REGOLITH), ("rock", ROCK), ("sky", SKY)):
            r["colour_" + cname] = colour_of(rgb, m == cid)
            r["tone_" + cname] = tone_of(rgb, m == cid)
        if "cats" in s and "artifact" in s["cats"]:
            r["colour_artifact"] = colour_of(rgb, s["cats"]["artifact"])
            r["tone_artifact"] = tone_of(rgb, s["cats"]["artifact"])
        whole = np.ones(m.shape, bool)
        r["tone_frame"] = tone_of(rgb, whole)
        rows.append(r)

    fams = families(samples) + sorted({s["family"] for s in ft})
    summary = {}
    md = ["## Colour (linear light; per-frame means, then mean ± sd over frames)\n"]
    crow = []
    for fam in fams:
        for cname in ("regolith", "rock"):
            vals = [r["colour_" + cname] for r in rows if r["family"] == fam and r.get("colour_" + cname)]
            if not vals:
                continue
            st = {k: (float(np.mean([v[k] for v in vals])), float(np.std([v[k] for v in vals])),
                      float(np.min([v[k] for v in vals])), float(np.max([v[k] for v in vals])))
                  for k in vals[0] if k != "n"}
            summary.setdefault(fam, {})["colour_" + cname] = {"frames": len(vals), **st}
            grey = sum(abs(v["lin_rg"] - 1) < 0.01 and abs(v["lin_bg"] - 1) < 0.01 for v in vals)
            summary[fam]["colour_" + cname]["grey_frames"] = grey
            crow.append([fam, cname, f"{len(vals)} ({grey} grey)",
                         f"{st['lin_rg'][0]:.3f} ± {st['lin_rg'][1]:.3f} ({st['lin_rg'][2]:.2f}-{st['lin_rg'][3]:.2f})",
                         f"{st['lin_bg'][0]:.3f} ± {st['lin_bg'][1]:.3f} ({st['lin_bg'][2]:.2f}-{st['lin_bg'][3]:.2f})",
                         f"{st['gain_r'][0]:.3f} : {st['gain_g'][0]:.3f} : {st['gain_b'][0]:.3f}",
                         f"{st['srgb_rg'][0]:.3f} / {st['srgb_bg'][0]:.3f}"])
    md.append(md_table(["family", "class", "frames", "R/G linear mean ± sd (min-max)", "B/G linear", "lum-preserving gains R:G:B",
                        "sRGB-coded R/G / B/G"], crow))

    md.append("\n\n## Tone: Rec.709 luma of sRGB values, 0..255 (per-frame stats averaged over frames)\n")
    trow = []
    for fam in fams:
        if "finetune" in fam:
            continue
        for cname in ("frame", "regolith", "rock", "sky", "artifact"):
            vals = [r["tone_" + cname] for r in rows if r["family"] == fam and r.get("tone_" + cname)]
            if not vals:
                continue
            st = {k: float(np.nanmean([v[k] for v in vals])) for k in vals[0] if k != "n"}
            st["shadow_level_median"] = float(np.nanmedian([v["shadow_level"] for v in vals])) if any(np.isfinite(v["shadow_level"]) for v in vals) else float("nan")
            summary.setdefault(fam, {})["tone_" + cname] = {"frames": len(vals), **st}
            trow.append([fam, cname, len(vals), st["mean"], st["p1"], st["p5"], st["p50"], st["p95"],
                         f"{100 * st['clipped']:.2f}%", f"{100 * st['near_black']:.2f}%",
                         f"{100 * st['shadow_share']:.2f}%", f"{st['shadow_level_median']:.2f}"])
    md.append(md_table(["family", "class", "frames", "mean", "p1", "p5", "p50", "p95", "clipped (max ch >= 254)", "near-black (luma <= 10)",
                        "shadow share (< 0.35 x median)", "shadow level / median (median over frames)"], trow))

    # pooled rock/regolith ratio of medians per frame (frame-level; local ring ratios are in rocks.py)
    md.append("\n\n## Frame-level rock / regolith median-luma ratio (frames with both classes)\n")
    rrow = []
    for fam in fams:
        if "finetune" in fam:
            continue
        v = [r["tone_rock"]["p50"] / r["tone_regolith"]["p50"] for r in rows
             if r["family"] == fam and r.get("tone_rock") and r.get("tone_regolith") and r["tone_regolith"]["p50"] > 0]
        if v:
            p5, p50, p95 = q(v, (10, 50, 90))
            summary.setdefault(fam, {})["rock_over_regolith_frame"] = {"median": p50, "p10": p5, "p90": p95, "frames": len(v),
                                                                       "share_brighter": float(np.mean(np.array(v) > 1))}
            rrow.append([fam, len(v), p50, p5, p95, f"{100 * np.mean(np.array(v) > 1):.0f}%"])
    md.append(md_table(["family", "frames", "median ratio", "p10", "p90", "frames with rock brighter"], rrow))

    save_json({"per_frame": rows, "summary": summary}, "colour_tone.json")
    (OUT / "colour_tone.md").write_text("\n".join(md) + "\n")
    print("\n".join(md))

    # internal diagnostic figure (contains ALLD statistics only, no pixels)
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    fig, axes = plt.subplots(1, 3, figsize=(15, 4))
    for ax, (cname, cid) in zip(axes, (("regolith", REGOLITH), ("rock", ROCK), ("sky", SKY))):
        for fam in families(samples):
            ys = [luma(s["rgb"])[s["mask"] == cid] for s in samples if s["family"] == fam]
            ys = np.concatenate(ys) if ys else np.zeros(0)
            if len(ys) > 1000:
                ax.hist(ys, bins=64, range=(0, 256), density=True, histtype="step", label=fam, lw=1.5)
        ax.set_title(f"{cname} luma (sRGB 0..255)")
        ax.set_yscale("log")
    axes[0].legend(fontsize=8)
    fig.tight_layout()
    FIG.mkdir(exist_ok=True)
    fig.savefig(FIG / "tone_hist_internal.png", dpi=90)


if __name__ == "__main__":
    main()
