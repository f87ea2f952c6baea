"""`./repo.sh demo`: the whole loop on the embedded defaults, CPU-friendly (a few minutes on 2 cores).

Each step is a plain `regolith` command, printed before it runs, so users can copy them.
Everything is written under `_out/demo/` (ignored by git).
"""
from __future__ import annotations

import shlex
import shutil
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "_out" / "demo"
DEFAULT_MODEL = ROOT / "exts" / "omni.regolith" / "data" / "models" / "default" / "config.json"
REAL = ROOT.parent / "shared" / "data" / "real_lunar"
APOLLO = ROOT.parent / "shared" / "data" / "apollo"


def step(title: str, *args: str) -> None:
    cmd = ["regolith", *args]
    print(f"\n== {title}\n$ {shlex.join(cmd)}", flush=True)
    t = time.perf_counter()
    proc = subprocess.run([sys.executable, "-m", "omni.regolith.cli", *args], cwd=ROOT)
    if proc.returncode != 0:
        sys.exit(f"demo: step '{title}' failed (exit {proc.returncode})")
    print(f"   ({time.perf_counter() - t:.1f} s)", flush=True)


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    rel = lambda p: str(p.relative_to(ROOT))  # noqa: E731
    step("1. build the lunar stage (USD)", "stage", "build", "--out", rel(OUT / "stage.usda"))
    step("2. render its preview headless (RGB, class mask, depth)", "stage", "preview", rel(OUT / "stage.usda"),
         "--out", rel(OUT / "preview.png"))
    # Rebuilt each run (~15 s): a dataset left by an older version's defaults would be refused as
    # another config, which is right for user datasets and wrong for the demo's scratch folder.
    shutil.rmtree(OUT / "dataset", ignore_errors=True)
    step("3. generate a small randomized dataset", "generate", "--out", rel(OUT / "dataset"), "--frames", "48",
         "--resolution", "256x256", "--set", "randomization.frames_per_layout=12")
    step("4. dataset statistics", "stats", rel(OUT / "dataset"))
    have_model = DEFAULT_MODEL.exists()
    step("5. a short drive with the segmentation overlaid (.mp4)", "render", "--out", rel(OUT / "drive.mp4"),
         *([] if have_model else ["--no-model"]))
    if have_model and REAL.exists():
        step("6. the real-transfer scoreboard: the default model and the non-learned baseline on every labelled "
             "real set (dense masks and sparse COCO polygons), with intervals", "evaluate", "--scoreboard",
             "--out", rel(OUT / "scoreboard"))
        if APOLLO.exists():
            step("7. the default model on Apollo frames (no masks: no IoU, qualitative only)", "evaluate",
                 "--images", str(APOLLO), "--out", rel(OUT / "eval_apollo"))
    elif not REAL.exists():
        print("\n== real images not found: get the ALLD real frames (Kaggle 'Artificial Lunar Landscape Dataset', "
              "romainpessia/artificial-lunar-rocky-landscape-dataset, folder real_moon_images) and run "
              "`regolith evaluate --images DIR --out REPORT`")
    print(f"\nDone. Everything is in {rel(OUT)}/:")
    for name, what in [("stage.usda", "the lunar stage (open it in usdview or Isaac Sim)"),
                       ("preview.png / preview_mask.png", "headless render and its class mask"),
                       ("dataset/", "randomized RGB + mask + depth, frames.jsonl, manifest.json, stats.png"),
                       ("drive.mp4 / drive.png", "the overlay video and its poster frame"),
                       ("scoreboard/report.md", "real-image scores with ground truth (Chang'e-3, two label styles), "
                                                "model vs baseline, paired intervals"),
                       ("scoreboard/*.png", "contact sheets: image | model | baseline | labels"),
                       ("eval_apollo/report.md", "Apollo frames: predictions only, no IoU"),
                       ("eval_apollo/*_sheet.png, *_rock.png", "Apollo contact sheets")]:
        first = name.split(" ")[0].rstrip(",")
        if list(OUT.glob(first)):  # list only what this run wrote
            print(f"  {name:38s} {what}")


if __name__ == "__main__":
    main()
