#!/usr/bin/env bash
# The default model's recipe, as run on one GPU through the device tool (see docs/results.md):
# data, train, wait (until done), then VARIANTS=nocrop_lovasz tune, tunewait, tuneexport.
#   data   -- 20,000 training frames (seed 1) + 1,000 validation frames (seed 2: other terrains)
#   train  -- SegFormer-B0 from scratch, started in the background (setsid) so it runs on between
#             device calls; resumes from its checkpoint if one exists
#   wait   -- follow the training log for up to SECONDS (default 560), return when it is done
#   export -- fp16 copy of the model, metrics, curve, stats figure into $OUT
#   video  -- the 20 s 1280x720 drive with MODEL (default: the embedded default model)
#   finetune -- the embedded `fast` model (INIT=dir to start elsewhere) continued at 1024 input for
#             EPOCHS (default 6) with tune/nocrop_lovasz.toml into $W/r1024, in the background (setsid)
#             (how the embedded default was made, stopped at epoch 5: docs/results.md); then
#             RUN=_out/gpu/r1024 LOG=_out/gpu/r1024.log ... wait, and ... export
#   sweep  -- MODEL (default: the embedded model) at 512/768/1024 input on the validation set
#   tune   -- fine-tune INIT (default: the trained run's model) at 512 for EPOCHS with each
#             tools/device/tune/NAME.toml of VARIANTS in turn, in the background (setsid)
#   tunewait -- follow those runs for up to SECONDS; tuneexport -- one tar per variant into $OUT
#   valsets -- 1,000 validation frames (seed 2) with each rock model, val1k_v1 and val1k_v2, so a
#             model can be scored on both (VAL=dir picks the set the sweep reads)
#   valset -- one such set with the SET/ROCKS overrides, into VALNAME (e.g. SET='--set
#             render.ground_bounce=0.0' VALNAME=val1k_nobounce: the look before the bounce light)
# ROCKS=v1|v2 generates `data` with that rock model (default: the config's), SET='--set k=v ...' with
# any other overrides (e.g. SET='--set randomization.close_boulder_share=0.25'); EPOCHS sets the
# length of `train` (default 44) and `tune` (default 8).
# Usage: bash tools/device/default_model.sh data|valset|valsets|train|wait|export|finetune|sweep|video|tune|tunewait|tuneexport [SECONDS]
set -u
source "$(dirname "$0")/env.sh"  # needs .devwheels/ carried: tools/device/make_wheels.sh builds it
W=_out/gpu
OUT=${OUT:-_out/gpu/export}
RUN=${RUN:-$W/run_b0}
LOG=${LOG:-$W/train.log}
GEN="${ROCKS:+--set rocks.model=\"$ROCKS\"} ${SET:-}"
mkdir -p "$W" "$OUT"
case "$1" in
  data)
    python3 -m omni.regolith.cli generate --out $W/train --frames 20000 --seed 1 --workers 14 --no-progress $GEN
    python3 -m omni.regolith.cli generate --out $W/val1k --frames 1000 --seed 2 --workers 14 --no-progress $GEN
    setsid nohup python3 -m omni.regolith.cli stats $W/train --out $W/stats > $W/stats.txt 2>&1 < /dev/null & ;;
  valset)  # one more 1,000-frame validation set (seed 2) with SET/ROCKS overrides, into $W/$VALNAME
    python3 -m omni.regolith.cli generate --out $W/${VALNAME:?VALNAME=name} --frames 1000 --seed 2 --workers 14 \
      --no-progress $GEN ;;
  valsets)
    for m in v1 v2; do
      python3 -m omni.regolith.cli generate --out $W/val1k_$m --frames 1000 --seed 2 --workers 14 --no-progress \
        --set rocks.model=\"$m\"
    done ;;
  train)
    setsid nohup python3 -m omni.regolith.cli train --data $W/train --val $W/val1k --out $RUN \
      --model b0 --epochs ${EPOCHS:-44} --batch-size 64 --image-size 512 --workers 14 --device cuda \
      $( [ -f $RUN/checkpoint.pt ] && echo --resume ) --json-progress > $LOG 2>&1 < /dev/null &
    sleep 60; tail -n 3 $LOG ;;
  wait)
    end=$((SECONDS + ${2:-560}))
    while [ $SECONDS -lt $end ] && [ ! -f $RUN/metrics.json ] && pgrep -f "cli train" > /dev/null; do sleep 10; done
    grep -E '"event": "(epoch|done|error)"' $LOG | tail -n 45 ;;
  export)
    cp $RUN/metrics.json $RUN/curve.png $LOG "$OUT"/ 2>/dev/null
    cp $W/stats/stats.png "$OUT"/ 2>/dev/null
    cat $W/stats.txt $RUN/train_config.json
    python3 "$(dirname "$0")/export_fp16.py" $RUN/model "$OUT"/model ;;
  finetune)  # continue the 512 model at 1024 input (frames upscaled 2x, so SegFormer's 1/4 output is 1/2 of the frame)
    setsid nohup python3 -m omni.regolith.cli train --data $W/train --val $W/val1k --out $W/r1024 \
      --model b0 --init "${INIT:-exts/omni.regolith/data/models/fast}" --config tools/device/tune/nocrop_lovasz.toml \
      --epochs ${EPOCHS:-6} --batch-size 32 --image-size 1024 --lr 1.5e-4 --workers 14 --device cuda \
      $( [ -f $W/r1024/checkpoint.pt ] && echo --resume ) --json-progress > $W/r1024.log 2>&1 < /dev/null &
    sleep 60; tail -n 2 $W/r1024.log | cut -c1-300 ;;
  sweep)  # MODEL (default: the embedded default model) on the validation set at larger inputs, and the oracle ceilings
    timeout "${2:-150}" python3 experiments/input_size_sweep.py ${VAL:-$W/val1k} --model "${MODEL:-exts/omni.regolith/data/models/default}" \
      --sizes ${SIZES:-512 768 1024} --limit ${LIMIT:-300} ${NO_ORACLE:+--no-oracle} 2>&1 | grep -v Loading ;;
  video)  # the 20 s 1280x720 drive with MODEL (default: the embedded default model)
    timeout "${2:-200}" python3 -m omni.regolith.cli render --model "${MODEL:-exts/omni.regolith/data/models/default}" --out "$OUT"/drive720.mp4 \
      --resolution 1280x720 --frames 480 --fps 24 --spp 64 --set video.sun_passes=1 --device cuda --no-progress ;;
  tune)
    setsid nohup bash -c "for v in ${VARIANTS:-nocrop lovasz nocrop_lovasz clean_lovasz}; do
      python3 -m omni.regolith.cli train --data $W/train --val $W/val1k --out $W/tune_\$v --model b0 \
        --init ${INIT:-$RUN/model} --config tools/device/tune/\$v.toml \
        --epochs ${EPOCHS:-8} --batch-size 64 --image-size 512 --lr ${LR:-2e-4} --workers 14 \
        --device cuda --json-progress > $W/tune_\$v.log 2>&1; done" > /dev/null 2>&1 < /dev/null &
    sleep 90; tail -n 2 $W/tune_*.log | cut -c1-300 ;;
  tunewait)
    end=$((SECONDS + ${2:-560}))
    while [ $SECONDS -lt $end ] && pgrep -f "cli train" > /dev/null; do sleep 10; done
    for f in $W/tune_*.log; do echo "== $f"; grep -E '"event": "(epoch|done|error)"' $f | cut -c1-400; done ;;
  tuneexport)
    for d in $W/tune_*/; do
      v=$(basename $d); [ -f $d/metrics.json ] || continue
      python3 "$(dirname "$0")/export_fp16.py" $d/model $W/x_$v && cp $d/metrics.json $d/curve.png $d/train_config.json $W/x_$v/
      tar -cf "$OUT"/$v.tar -C $W/x_$v .
    done; ls -la "$OUT" ;;
esac
