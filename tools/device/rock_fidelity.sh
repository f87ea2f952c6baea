#!/usr/bin/env bash
# Rock fidelity experiment (loop stage 6): low-poly rocks (v1) vs noise-displaced basalt (v2).
# Same config, seeds and training recipe; only rocks.model differs. NOT RUN YET (no device time).
#   data   -- 5,000 train frames (seed 11) + 500 val frames (seed 12) per rock model
#   train  -- SegFormer-B0, 15 epochs each, resumable: rerun until both are done
#   export -- both models (fp16) + their metrics into $OUT (8 files)
# Then, here: regolith evaluate --model <v1 or v2 model> --images ../shared/data/real_lunar \
#   --compare _out/fid_val_v1 --compare _out/fid_val_v2 --out _out/fidelity_<model>
# and report synthetic vs real transfer for both, whichever way it comes out (docs/results.md).
set -u
source "$(dirname "$0")/../device_env.sh"  # needs .devwheels/ carried: tools/device/make_wheels.sh builds it
W=_out/gpu
OUT=${OUT:-_out/gpu/fidelity}
mkdir -p "$W" "$OUT"
case "$1" in
  data)
    for m in v1 v2; do
      python3 -m omni.regolith.cli generate --out $W/fid_train_$m --frames 5000 --seed 11 --set rocks.model=\"$m\" --workers 14 --no-progress
      python3 -m omni.regolith.cli generate --out $W/fid_val_$m --frames 500 --seed 12 --set rocks.model=\"$m\" --workers 14 --no-progress
    done ;;
  train)
    for m in v1 v2; do
      [ -f $W/fid_run_$m/metrics.json ] && grep -q '"complete": true' $W/fid_run_$m/metrics.json && continue
      timeout "${2:-500}" python3 -m omni.regolith.cli train --data $W/fid_train_$m --val $W/fid_val_$m \
        --out $W/fid_run_$m --model b0 --epochs 15 --batch-size 64 --image-size 512 --workers 14 --device cuda \
        $( [ -f $W/fid_run_$m/checkpoint.pt ] && echo --resume ) 2>&1 | grep -E "epoch|done|error" | tail -n 20
    done ;;
  export)
    for m in v1 v2; do
      mkdir -p "$OUT/$m"
      cp $W/fid_run_$m/metrics.json "$OUT/$m/" 2>/dev/null
      python3 "$(dirname "$0")/export_fp16.py" $W/fid_run_$m/model "$OUT/$m"
    done ;;
esac
