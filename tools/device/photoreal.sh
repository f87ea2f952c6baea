#!/usr/bin/env bash
# Issue #20's photoreal levers on one GPU (device tool). Each action fits one 10-minute call.
#   check      -- 200 frames at 512 with every lever on (first run of the Python BSDFs and integrator on
#                 cuda_ad_rgb), `regolith stats`, and 16 rgb/mask pairs copied to $OUT/check for a look
#   bench      -- tools/bench/levers.py (reference, each lever group, all; interleaved) and
#                 tools/bench/generate.py with every lever on (the >= 100 frames/s target)
#   experiment -- regolith experiment experiments/configs/photoreal.toml (needs issue #19's command)
#   data       -- the default model's 20,000 + 1,000 frames with every lever on (or SET='--set ...'),
#                 through default_model.sh data; then default_model.sh train/wait/export as usual
# Bring back: $OUT (check/, stats.txt, levers_bench.txt, generate_all.txt).
# Usage: bash tools/device/photoreal.sh check|bench|experiment|data
set -u
source "$(dirname "$0")/env.sh"  # needs .devwheels/ carried: tools/device/make_wheels.sh builds it
W=_out/gpu
OUT=${OUT:-_out/gpu/photoreal}
ALL=$(python3 -c "import tomllib; a = tomllib.load(open('experiments/configs/photoreal.toml', 'rb'))['arms']['all']
print(' '.join('--set ' + s for s in a['set']))")
mkdir -p "$W" "$OUT"
case "$1" in
  check)
    python3 -m omni.regolith.cli generate --out $W/levers_check --frames 200 --seed 2 --workers 14 --no-progress $ALL
    python3 -m omni.regolith.cli stats $W/levers_check --out $OUT/stats > $OUT/stats.txt 2>&1; cat $OUT/stats.txt
    mkdir -p $OUT/check && for i in $(seq -w 0 12 180); do
      cp $W/levers_check/rgb/00$i.png $OUT/check/rgb_$i.png; cp $W/levers_check/mask/00$i.png $OUT/check/mask_$i.png
    done ;;
  bench)
    python3 tools/bench/levers.py --frames 2000 --warmup 200 --rounds 1 --workers 14 | tee $OUT/levers_bench.txt
    python3 tools/bench/generate.py --frames 2000 --workers 14 $ALL | tee $OUT/generate_all.txt ;;
  experiment)
    python3 -m omni.regolith.cli experiment experiments/configs/photoreal.toml --out $W/photoreal ;;
  data)
    SET="${SET:-$ALL}" bash "$(dirname "$0")/default_model.sh" data ;;
esac
