#!/usr/bin/env bash
# Rock fidelity experiment (loop stage 6): low-poly rocks (v1) vs noise-displaced basalt (v2).
# Same config, seeds and training recipe (the `regolith train` defaults); only rocks.model differs.
#   data   -- 5,000 train frames (seed 11) + 500 val frames (seed 12) per rock model
#   train  -- SegFormer-B0 from scratch, EPOCHS (default 40) each, v1 then v2, in the background
#   wait   -- follow both runs for up to SECONDS (default 560)
#   export -- one tar per rock model (fp16 model, metrics.json, curve.png) into $OUT
# Then, here: regolith evaluate --model _out/fidelity/e40_<m> --compare _out/fid_val_v1 --compare \
#   _out/fid_val_v2 --out _out/fidelity/eval40_<m> (real Chang'e-3 frames + both synthetic sets),
#   each tar unpacked into _out/fidelity/e40_<m> first
# and report synthetic vs real transfer for both, whichever way it comes out (docs/results.md).
set -u
source "$(dirname "$0")/env.sh"  # needs .devwheels/ carried: tools/device/make_wheels.sh builds it
W=_out/gpu
OUT=${OUT:-_out/gpu/fidelity}
E=${EPOCHS:-40}
mkdir -p "$W" "$OUT"
case "$1" in
  data)
    for m in v1 v2; do
      python3 -m omni.regolith.cli generate --out $W/fid_train_$m --frames 5000 --seed 11 --set rocks.model=\"$m\" --workers 14 --no-progress
      python3 -m omni.regolith.cli generate --out $W/fid_val_$m --frames 500 --seed 12 --set rocks.model=\"$m\" --workers 14 --no-progress
    done ;;
  train)
    setsid nohup bash -c "for m in v1 v2; do
      python3 -m omni.regolith.cli train --data $W/fid_train_\$m --val $W/fid_val_\$m --out $W/fid${E}_\$m \
        --model b0 --epochs $E --batch-size 64 --image-size 512 --workers 12 --device cuda \
        \$( [ -f $W/fid${E}_\$m/checkpoint.pt ] && echo --resume ) --json-progress > $W/fid${E}_\$m.log 2>&1; done" \
      > /dev/null 2>&1 < /dev/null &
    sleep 5 ;;
  wait)
    end=$((SECONDS + ${2:-560}))
    while [ $SECONDS -lt $end ] && pgrep -f "fid_train" > /dev/null; do sleep 10; done
    for m in v1 v2; do echo "== $m"; grep -E '"event": "(epoch|done|error)"' $W/fid${E}_$m.log | cut -c1-200; done ;;
  export)
    for m in v1 v2; do
      d=$W/fid${E}_$m; [ -f $d/metrics.json ] || continue
      python3 "$(dirname "$0")/export_fp16.py" $d/model $W/fidx${E}_$m && cp $d/metrics.json $d/curve.png $W/fidx${E}_$m/
      tar -cf "$OUT"/fidelity${E}_$m.tar -C $W/fidx${E}_$m .
    done ;;
esac
