"""Measurement 6: hardware (COCO 'artifact') and wheel tracks ('rover path') in the chandai frames.

    . ./env.sh && $PY hardware.py          # -> out/hardware.json, out/hardware.md

Frames: eval (44, unaugmented) + finetune (first copy of each of 118 source frames) = 162 distinct
frames. Coverage = polygon pixels / frame pixels (the 432x432 frame; a stretch keeps area shares).
Appearance (per frame with the object, eval + finetune; the finetune brightness augmentation scales
numerator and denominator alike): median luma inside / median luma of the frame's regolith proxy,
share of object pixels brighter than that frame's regolith p99 or darker than its p1, clipped share
(max channel >= 254), linear R/G and B/G inside, and high-pass (sigma 2) std / mean luma inside
tracks vs regolith (tread texture).
"""
from __future__ import annotations

import numpy as np
from scipy import ndimage as ndi

from common import REGOLITH, chandai_samples, luma, md_table, q, save_json, srgb_to_linear


def main():
    frames = chandai_samples("eval") + chandai_samples("finetune")
    fams = ["chandai-PCAM-C", "chandai-PCAM-Q", "chandai-TCAM"]
    recs = []
    for s in frames:
        rgb, m = s["rgb"], s["mask"]
        y = luma(rgb)
        hp = y - ndi.gaussian_filter(y, 2.0)
        reg = m == REGOLITH
        ry = y[reg]
        rmed, r1, r99 = np.median(ry), np.percentile(ry, 1), np.percentile(ry, 99)
        rec = {"name": s["name"], "family": s["family"], "split": s["split"],
               "rough_regolith": float(hp[reg].std() / max(ry.mean(), 1e-3))}
        for c in ("artifact", "rover path"):
            n_poly = sum(1 for a in s["anns"] if a["category_id"] == (1 if c == "artifact" else 6))
            sel = s["cats"].get(c)
            if sel is None or sel.sum() == 0:
                rec[c] = None
                continue
            px = rgb[sel]
            lin = srgb_to_linear(px[(px.max(1) < 250) & (px.max(1) > 5)]).mean(0) if ((px.max(1) < 250) & (px.max(1) > 5)).sum() > 50 else np.full(3, np.nan)
            rec[c] = {"polygons": n_poly, "coverage": float(sel.mean()),
                      "ratio": float(np.median(y[sel]) / max(rmed, 1e-3)),
                      "brighter_than_reg_p99": float((y[sel] > r99).mean()), "darker_than_reg_p1": float((y[sel] < r1).mean()),
                      "clipped": float((px.max(1) >= 254).mean()), "lin_rg": float(lin[0] / lin[1]), "lin_bg": float(lin[2] / lin[1]),
                      "rough": float(hp[sel].std() / max(y[sel].mean(), 1e-3))}
        recs.append(rec)

    md, summary = [], {}
    rows = []
    for fam in fams + ["all"]:
        v = [r for r in recs if fam == "all" or r["family"] == fam]
        for c in ("artifact", "rover path"):
            have = [r[c] for r in v if r[c]]
            cov = [h["coverage"] for h in have]
            cov_all = [r[c]["coverage"] if r[c] else 0.0 for r in v]
            st = {"frames": len(v), "with": len(have), "share_frames": len(have) / len(v),
                  "coverage_when_present_q": q(cov, (10, 50, 90)) if cov else None, "coverage_max": max(cov) if cov else 0,
                  "coverage_mean_all_frames": float(np.mean(cov_all)),
                  "polygons_per_frame_when_present": float(np.mean([h["polygons"] for h in have])) if have else 0}
            summary.setdefault(fam, {})[c] = st
            if have:
                cq = st["coverage_when_present_q"]
                rows.append([fam, c, len(v), f"{len(have)} ({100 * len(have) / len(v):.0f}%)",
                             f"{100 * cq[1]:.1f}% [{100 * cq[0]:.1f}-{100 * cq[2]:.1f}], max {100 * max(cov):.0f}%",
                             f"{100 * st['coverage_mean_all_frames']:.2f}%"])
    md.append("## How often and how much (162 distinct frames: eval 44 + finetune 118)\n")
    md.append(md_table(["family", "class", "frames", "frames with it", "coverage when present: median [p10-p90], max", "mean coverage over all frames"], rows))

    rows = []
    for c in ("artifact", "rover path"):
        for fam in fams + ["all"]:
            have = [r[c] for r in recs if r[c] and (fam == "all" or r["family"] == fam)]
            if not have:
                continue
            ratio = [h["ratio"] for h in have]
            st = {k: float(np.nanmedian([h[k] for h in have])) for k in ("ratio", "brighter_than_reg_p99", "darker_than_reg_p1", "clipped", "lin_rg", "lin_bg", "rough")}
            st["ratio_q"] = q(ratio, (10, 50, 90))
            summary[fam][c + "_appearance"] = st
            reg_rough = float(np.median([r["rough_regolith"] for r in recs if r[c] and (fam == "all" or r["family"] == fam)]))
            rows.append([c, fam, len(have), f"{st['ratio']:.2f} [{st['ratio_q'][0]:.2f}-{st['ratio_q'][2]:.2f}]",
                         f"{100 * st['brighter_than_reg_p99']:.0f}% / {100 * st['darker_than_reg_p1']:.0f}%", f"{100 * st['clipped']:.1f}%",
                         f"{st['lin_rg']:.2f} / {st['lin_bg']:.2f}", f"{st['rough']:.3f} / {reg_rough:.3f}"])
    md.append("\n\n## Appearance vs the same frame's regolith (medians over frames with the object)\n")
    md.append(md_table(["class", "family", "frames", "median luma / regolith median [p10-p90]",
                        "pixels > regolith p99 / < p1", "clipped", "linear R/G / B/G", "high-pass std/mean inside / regolith"], rows))
    save_json({"per_frame": recs, "summary": summary}, "hardware.json")
    from common import OUT
    (OUT / "hardware.md").write_text("\n".join(md) + "\n")
    print("\n".join(md))


if __name__ == "__main__":
    main()
