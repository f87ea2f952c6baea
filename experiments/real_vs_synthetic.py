"""Docs figure: real Chang'e-3 frames beside synthetic frames before and after the photoreal levers.

Why: issue #20 asks what the real frames have that ours lack; this shows it, and what the levers
change, on the same plan frames (same terrain, rocks, sun and camera; the levers only add).
Real frames are chandai_ce3 only (CC BY 4.0, attribution printed), never the evaluation-only
ALLD frames. All frames are shown as the model sees them: 512x512.

    python experiments/real_vs_synthetic.py [--out docs/images/real_vs_synthetic.png] [--seed 2]
"""
from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np
from PIL import Image

REPO = Path(__file__).resolve().parents[1]
CHANDAI = REPO.parent / "shared" / "data" / "chandai_ce3" / "eval"
REAL = ("PCAML-C-046", "PCAML-Q-044", "PCAML-C-056", "C3_TCAM_7_2A_061")
ATTRIBUTION = ("Real: Chang'e-3 (CNSA) frames from \"Lunar Scene Analysis\" v5 by chandai, Roboflow Universe, "
               "CC BY 4.0 (432x432, stretched from 4:3, shown at 512)")
SIZE = 512


def real_frames() -> list[np.ndarray]:
    doc = json.loads((CHANDAI / "_annotations.coco.json").read_text())
    by_name = {im["extra"]["name"]: im["file_name"] for im in doc["images"]}
    out = []
    for prefix in REAL:
        name = next(n for n in sorted(by_name) if n.startswith(prefix))
        out.append(np.asarray(Image.open(CHANDAI / by_name[name]).convert("RGB").resize((SIZE, SIZE), Image.BICUBIC)))
    return out


def pick_frames(plan_after) -> list[int]:
    """Four plan frames with a mid-height sun looking at the ground near the camera: the first that
    asks for hardware, the first with tracks, and two without either."""
    ok = [r for r in plan_after if 12 <= r.sun_elevation_deg <= 50 and r.camera_pitch_deg < -12]
    hardware = next(r.index for r in ok if r.hardware.pieces and r.hardware.pieces[0][0] == "rover")
    tracks = next(r.index for r in ok if r.tracks.paths and r.index != hardware)
    plain = [r.index for r in ok if not r.hardware.pieces and not r.tracks.paths][::7][:2]
    return [plain[0], hardware, tracks, plain[1]]


def render(cfg, plan, indices) -> list[np.ndarray]:
    from omni.regolith.plan.layout import layout_scene
    from omni.regolith.plan.sample import layout_of
    from omni.regolith.render.develop import finish
    from omni.regolith.render.levers import render_levers
    from omni.regolith.render.mitsuba import MitsubaRenderer
    from omni.regolith.scene.geometry import geometry_from_scene
    from omni.regolith.scene.stars import star_texture

    stars = star_texture(cfg.lighting.star_texture_width, cfg.lighting.star_count, cfg.seed)
    renderer = MitsubaRenderer(SIZE, SIZE, cfg.render.spp, star_texture=stars, levers=render_levers(cfg))
    out = []
    for index in indices:
        layout = [r for r in plan if r.layout == layout_of(index, cfg)]
        renderer.set_geometry(geometry_from_scene(layout_scene(cfg, layout)))
        result = renderer.render(plan[index], seed=index)
        out.append(result.rgb if result.rgb is not None and result.linear is None
                   else finish(result, plan[index], cfg)[0])  # (rgb, mask, depth, instance)
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", type=Path, default=REPO / "docs" / "images" / "real_vs_synthetic.png")
    ap.add_argument("--seed", type=int, default=2, help="plan seed (2: the docs' validation plan)")
    ap.add_argument("--frames", type=int, default=200, help="plan frames to choose from")
    args = ap.parse_args()

    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from omni.regolith.config.files import load_config
    from omni.regolith.config.levers import LEVER_SECTIONS
    from omni.regolith.plan.sample import sample_plan

    base = [f"seed={args.seed}"]
    before = load_config(None, base)
    after = load_config(None, base + [f"{s}.enabled=true" for s in LEVER_SECTIONS] + ['rocks.model="v3"'])
    plan_after = sample_plan(after, args.frames)
    indices = pick_frames(plan_after)
    rows = [("real Chang'e-3 (chandai)", real_frames()),
            ("synthetic, levers off (today)", render(before, sample_plan(before, args.frames), indices)),
            ("synthetic, every lever on", render(after, plan_after, indices))]
    fig, axes = plt.subplots(3, 4, figsize=(12, 9.4), dpi=100)
    for r, (title, images) in enumerate(rows):
        for c, image in enumerate(images):
            ax = axes[r, c]
            ax.imshow(image)
            ax.set_xticks([]), ax.set_yticks([])
            if c == 0:
                ax.set_ylabel(title, fontsize=10)
            if r > 0:
                ax.set_title(f"plan frame {indices[c]} (seed {args.seed})", fontsize=8)
    fig.text(0.5, 0.01, ATTRIBUTION, ha="center", fontsize=8)
    fig.tight_layout(rect=(0, 0.025, 1, 1))
    args.out.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(args.out)
    print(f"wrote {args.out}: frames {indices} of the seed-{args.seed} plan")


if __name__ == "__main__":
    main()
