#!/usr/bin/env bash
# The default model's recipe, as run on one GPU through the device tool (see docs/results.md).
#   stage 1: data   -- 10,000 training frames (seed 1) + 1,000 validation frames (seed 2: other terrains)
#   stage 2: train  -- SegFormer-B0 from scratch, resumable: rerun the same line to continue
#   stage 3: export -- fp16 copy of the model, metrics, curve, stats figure into $OUT
#   stage 4: video  -- the 20 s 1280x720 drive with the trained model
# Usage: bash tools/device/default_model.sh data|train|export|video [SECONDS]
set -u
source "$(dirname "$0")/../device_env.sh"  # needs .devwheels/ carried: tools/device/make_wheels.sh builds it
W=_out/gpu
OUT=${OUT:-_out/gpu/export}
mkdir -p "$W" "$OUT"
case "$1" in
  data)
    python3 -m omni.regolith.cli generate --out $W/train10k --frames 10000 --seed 1 --workers 14 --no-progress
    python3 -m omni.regolith.cli generate --out $W/val1k --frames 1000 --seed 2 --workers 14 --no-progress
    setsid nohup python3 -m omni.regolith.cli stats $W/train10k --out $W/stats10k > $W/stats10k.txt 2>&1 < /dev/null & ;;
  train)
    timeout "${2:-500}" python3 -m omni.regolith.cli train --data $W/train10k --val $W/val1k --out $W/run_b0 \
      --model b0 --epochs 30 --batch-size 64 --image-size 512 --workers 14 --device cuda \
      $( [ -f $W/run_b0/checkpoint.pt ] && echo --resume ) 2>&1 | grep -v '^\s*$' | tail -n 40 ;;
  export)
    cp $W/run_b0/metrics.json $W/run_b0/curve.png "$OUT"/ 2>/dev/null
    cp $W/stats10k/stats.png "$OUT"/ 2>/dev/null
    cat $W/stats10k.txt $W/run_b0/train_config.json
    python3 "$(dirname "$0")/export_fp16.py" $W/run_b0/model "$OUT"/model ;;
  video)  # the 20 s 1280x720 drive with the trained model
    timeout "${2:-200}" python3 -m omni.regolith.cli render --model $W/run_b0/model --out "$OUT"/drive720.mp4 \
      --resolution 1280x720 --frames 480 --fps 24 --spp 64 --set video.sun_passes=1 --device cuda --no-progress ;;
esac
