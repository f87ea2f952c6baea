"""Measurement 3: regolith micro-texture, band-pass contrast energy per octave, real vs synthetic.

    . ./env.sh && $PY texture.py          # -> out/texture.json, out/texture.md, figures/texture_bands.png (statistics only)

Every frame is first resized to the model's 512x512 input (bilinear, as `inference.preprocess` does),
so the octaves are in the pixels the model sees; the same numbers at each frame's native size are in
the JSON (`native`). Luma (Rec.709 of the sRGB values) is split by a difference-of-Gaussians pyramid:
band k = G(s_k) - G(s_{k+1}) with s = 0, 1, 2, 4, 8, 16 px, i.e. wavelengths of roughly
2-4, 4-8, 8-16, 16-32, 32-64 px. A band's contrast = robust rms (1.4826 MAD) of the band over
regolith pixels / mean regolith luma in the same rows (Weber contrast); the MAD keeps rock shadows
and edges (sparse, strong) from dominating the texture floor. Regolith = mask 0 (ALLD, synth), no
polygon and not near-black (chandai), eroded by 2 s_{k+1} px so class edges do not leak in.
Rows: "near" = 70-95% of the image height (bottom, near the camera), "mid" = 40-60%.
"""
from __future__ import annotations

import numpy as np
from scipy import ndimage as ndi

from common import FIG, OUT, REGOLITH, all_samples, families, luma, md_table, save_json, to_model_input

SIGMAS = [0, 1, 2, 4, 8, 16]
BANDS = ["2-4", "4-8", "8-16", "16-32", "32-64"]
ROWS = {"near": (0.70, 0.95), "mid": (0.40, 0.60)}


def band_contrast(rgb, mask):
    y = luma(rgb).astype(np.float64)
    g = [y if s == 0 else ndi.gaussian_filter(y, s, mode="reflect") for s in SIGMAS]
    h = y.shape[0]
    reg = mask == REGOLITH
    out = {}
    for rname, (a, b) in ROWS.items():
        rows = np.zeros_like(reg)
        rows[int(a * h):int(b * h)] = True
        base = reg & rows
        if base.sum() < 500:
            continue
        mean = y[base].mean()
        vals = []
        for k in range(len(BANDS)):
            sel = ndi.binary_erosion(reg, iterations=max(1, 2 * SIGMAS[k + 1])) & rows
            if sel.sum() < 300:
                vals.append(np.nan)
                continue
            band = (g[k] - g[k + 1])[sel]
            vals.append(1.4826 * np.median(np.abs(band - np.median(band))) / max(mean, 1e-3))
        out[rname] = vals
    return out


def main():
    samples = all_samples("eval")
    per = []
    for s in samples:
        img, m = to_model_input(s["rgb"], s["mask"])
        per.append({"name": s["name"], "family": s["family"], "model_input": band_contrast(img, m),
                    "native": band_contrast(s["rgb"], s["mask"])})
    fams = families(samples)
    summary, md = {}, []
    for res in ("model_input", "native"):
        md.append(f"\n## Regolith band contrast (robust rms / mean luma), {res.replace('_', ' ')} pixels; median over frames\n")
        rows = []
        for rname in ROWS:
            syn = np.nanmedian([p[res][rname] for p in per if p["family"] == "synthetic" and rname in p[res]], 0)
            for fam in fams:
                v = [p[res][rname] for p in per if p["family"] == fam and rname in p[res]]
                if not v:
                    continue
                med = np.nanmedian(np.array(v, float), 0)
                summary.setdefault(res, {}).setdefault(rname, {})[fam] = {"frames": len(v), "median": med.tolist(),
                                                                         "p25": np.nanpercentile(v, 25, 0).tolist(),
                                                                         "p75": np.nanpercentile(v, 75, 0).tolist()}
                cells = [f"{x:.4f}" + ("" if fam == "synthetic" else (f" ({x / y:.0f}x)" if y >= 5e-4 else " (>100x)"))
                         for x, y in zip(med, syn)]
                rows.append([rname, fam, len(v)] + cells)
        md.append(md_table(["rows", "family", "frames"] + [f"{b} px" for b in BANDS], rows))
    md.append("\n(x) = real / synthetic ratio of the per-band medians; '>100x' where the synthetic value is below"
              " 0.0005 (smooth ramps that 8-bit quantisation turns into constant runs).")
    save_json({"per_frame": per, "summary": summary, "bands_px": BANDS, "rows": ROWS}, "texture.json")
    (OUT / "texture.md").write_text("\n".join(md) + "\n")
    print("\n".join(md))

    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.ticker import NullFormatter
    centres = [3, 6, 12, 24, 48]
    for fname, keep in (("texture_bands_internal.png", lambda f: True), ("texture_bands.png", lambda f: not f.startswith("ALLD"))):
        fig, axes = plt.subplots(1, 2, figsize=(11, 4), sharey=True)
        for ax, rname in zip(axes, ROWS):
            for fam, st in summary["model_input"][rname].items():
                if not keep(fam):
                    continue
                ax.plot(centres, st["median"], "o-", label=f"{fam} ({st['frames']})", lw=2.5 if fam == "synthetic" else 1.2,
                        color="k" if fam == "synthetic" else None)
            ax.set_xscale("log"); ax.set_yscale("log")
            ax.set_xticks(centres); ax.set_xticklabels(BANDS); ax.xaxis.set_minor_formatter(NullFormatter())
            ax.set_xlabel("wavelength band, px at the 512x512 model input")
            ax.set_title(f"regolith texture, {rname} rows {ROWS[rname]}")
            ax.grid(alpha=0.3, which="both")
        axes[0].set_ylabel("band contrast (robust rms / mean luma)")
        axes[0].legend(fontsize=7)
        if not fname.endswith("internal.png"):
            fig.text(0.01, 0.01, "real: Lunar Scene Analysis v5 by chandai, Roboflow Universe, CC BY 4.0 (statistics of the eval frames)", fontsize=7)
        fig.tight_layout(rect=(0, 0.03, 1, 1))
        FIG.mkdir(exist_ok=True)
        fig.savefig(FIG / fname, dpi=100)


if __name__ == "__main__":
    main()
