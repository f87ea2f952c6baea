#!/usr/bin/env bash
# The default model's recipe, as run on one GPU through the device tool (see docs/results.md).
#   stage 1: data   -- 10,000 training frames (seed 1) + 1,000 validation frames (seed 2: other terrains)
#   stage 2: train  -- SegFormer-B0 from scratch, resumable: rerun the same line to continue
#   stage 3: export -- fp16 copy of the model, metrics, curve, stats figure into $OUT
# Usage: bash tools/device/default_model.sh data|train|export [SECONDS]
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
    python3 - <<'PY'
import os, torch
from transformers import SegformerForSemanticSegmentation
m = SegformerForSemanticSegmentation.from_pretrained("_out/gpu/run_b0/model").half()
m.save_pretrained(os.environ.get("OUT", "_out/gpu/export") + "/model", safe_serialization=True)
PY
    cp $W/run_b0/model/preprocessor_config.json "$OUT"/model/ ;;
  video) ;;
esac
# stage 4 (video): bash tools/device/default_model.sh video -- the 20 s 1280x720 drive with the trained model
if [ "$1" = video ]; then
  timeout "${2:-200}" python3 -m omni.regolith.cli render --model $W/run_b0/model --out "$OUT"/drive720.mp4 \
    --resolution 1280x720 --frames 480 --fps 24 --spp 64 --set video.sun_passes=1 --device cuda --no-progress
fi
