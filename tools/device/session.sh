#!/usr/bin/env bash
# One GPU session of the photoreal work (#20, #19, #21), run in the background on one H200 so that a
# 30-minute device budget is spent on the GPU, not on calls: a lever check, the benchmarks on an idle
# card, both experiments side by side (chapter 06 rock fidelity from scratch, the photoreal arms
# fine-tuned from `fast`), the pick of the levers by the rule in tools/device/pick_levers.py, the new
# default model (the embedded default fine-tuned at 1024 input on frames with the kept levers), the
# real-tuned row, the scoreboard and synthetic scores, the drive video. Each stage leaves
# $S/<stage>.done; `pack` gathers the results into $S/pack (<= 8 files, each < 16 MiB).
#   start   -- the whole chain in the background (setsid); rerun it after a lost machine: done stages skip
#   wait N  -- follow it for up to N seconds, then `status`
#   status  -- stages done, the experiments' progress, the last lines of the current log
#   final   -- `pack`, then copy $S/pack into $OUT
#   realdata -- HERE, before the calls: the real sets into .realdata/ and .realdata_ft/ (git-ignored)
# Calls (carry [".devwheels", ".realdata"]; the real-tuned set travels later as [".realdata_ft"]:
# all three would pass the 64 MiB limit):
#   bash tools/device/session.sh start && bash tools/device/session.sh wait 520
#   bash tools/device/session.sh wait 560 ...; bash tools/device/session.sh final
# CPU smoke test here: LOCAL=1 QUICK=1 bash tools/device/session.sh start (then wait, final)
set -u
cd "$(dirname "$0")/../.."
if [ "${1:-}" = realdata ]; then  # here: no Python needed
  src=${SRC:-../shared/data}
  bash tools/device/experiment.sh realdata
  rm -rf .realdata_ft && mkdir -p .realdata_ft/chandai_ce3 && cp -r "$src/chandai_ce3/finetune" .realdata_ft/chandai_ce3/
  cp "$src/chandai_ce3/SOURCES.md" .realdata_ft/chandai_ce3/ && du -sh .realdata .realdata_ft
  exit 0
fi
if [ -n "${LOCAL:-}" ]; then  # here: the repo's venv
  export PATH=$PWD/.venv/bin:$PATH PYTHONPATH=$PWD/exts/omni.regolith${PYTHONPATH:+:$PYTHONPATH} PYTHONUNBUFFERED=1
else
  source tools/device/env.sh
fi
export REGOLITH_DATA=${REGOLITH_DATA:-.realdata} NCCL_NVLS_ENABLE=0
S=${S:-_out/session}; OUT=${OUT:-$S/out}
CLI="python3 -m omni.regolith.cli"
DEV=${DEV:-cuda}; GPUS=${GPUS-0}; WK=${WK:-14}
if [ -n "${QUICK:-}" ]; then  # the plumbing in minutes on a CPU
  DEV=cpu GPUS= WK=2 QFLAG=--quick NTRAIN=16 NVAL=8 NTEST=8 EP=1 BS=2 SIZE=64 RES=64x64 VFR=4 VRES=96x64 VSPP=2
  BENCH_FRAMES=8 SCALE_FRAMES=16 SCALE_PROCS=1,2 FT_STEPS="--max-steps 2"
fi
QFLAG=${QFLAG:-}; NTRAIN=${NTRAIN:-8000}; NVAL=${NVAL:-500}; NTEST=${NTEST:-300}; EP=${EP:-2}; BS=${BS:-32}
SIZE=${SIZE:-1024}; RES=${RES:-512x512}; VFR=${VFR:-480}; VRES=${VRES:-1280x720}; VSPP=${VSPP:-64}
BENCH_FRAMES=${BENCH_FRAMES:-250}; SCALE_FRAMES=${SCALE_FRAMES:-3000}; SCALE_PROCS=${SCALE_PROCS:-1,4,8}
FT_STEPS=${FT_STEPS:-}
mkdir -p "$S/logs" "$S/pack" "$OUT"

stage() {  # stage NAME COMMAND...: run once (a .done marker), log to $S/logs/NAME.log
  local name=$1; shift
  [ -f "$S/$name.done" ] && return 0
  echo "$(date +%T) start $name" >> "$S/session.log"
  "$@" > "$S/logs/$name.log" 2>&1
  local rc=$?
  if [ $rc = 0 ]; then touch "$S/$name.done"; echo "$(date +%T) done $name" >> "$S/session.log"
  else echo "$(date +%T) FAILED $name (exit $rc): $S/logs/$name.log" >> "$S/session.log"; fi
}

check_levers() {  # each lever group alone, a few frames: a group that fails on this GPU leaves the experiment
  while read -r arm sets; do
    [ "$arm" = reference ] && continue
    ( $CLI generate --out "$S/check/$arm" --frames 8 --resolution 256x256 --no-progress --procs-per-gpu 1 --force \
        $sets > "$S/logs/check_$arm.log" 2>&1 && echo "$arm ok" || echo "$arm FAILED" ) &
  done < <(python3 tools/device/pick_levers.py arms experiments/configs/photoreal.toml)
  wait
  python3 tools/device/pick_levers.py filter experiments/configs/photoreal.toml "$S/check" "$S/photoreal.toml"
}

bench() {
  python3 tools/bench/levers.py --frames $BENCH_FRAMES --warmup $((BENCH_FRAMES / 5)) --rounds 1 --workers $WK
  python3 tools/bench/generate.py --frames $((BENCH_FRAMES * 6)) --workers $WK \
    $(python3 tools/device/pick_levers.py sets experiments/configs/photoreal.toml all)
  [ -n "${QUICK:-}" ] && return 0  # the scaling rows need a GPU
  python3 tools/bench/scaling.py generate --frames $SCALE_FRAMES --procs $SCALE_PROCS --gpus-list 1 --keep "$S/scaling"
}

experiments() {  # both at once: the GPU holds 6 training runs; each resumes what a lost machine left
  local gpu=${GPUS:+--gpus $GPUS}
  $CLI experiment experiments/configs/rock_fidelity.toml --out "$S/rock_fidelity" $gpu --per-gpu 2 \
    --device $DEV --force $QFLAG > "$S/logs/rock_fidelity.log" 2>&1 &
  $CLI experiment "$S/photoreal.toml" --out "$S/photoreal" $gpu --per-gpu 4 --device $DEV --force $QFLAG \
    > "$S/logs/photoreal.log" 2>&1
  local rc=$?; wait; return $rc
}

default_data() {  # the new default's frames: the kept levers, the seeds of the default recipe
  local sets; sets=$(python3 tools/device/pick_levers.py chosen "$S/photoreal/metrics.json" "$S/chosen.json")
  for split in "train $NTRAIN 1" "val $NVAL 2" "test $NTEST 3"; do set -- $split
    $CLI generate --out "$S/data/$1" --frames $2 --seed $3 --resolution $RES --workers $WK --no-progress --force $sets || return 1
  done
}

default_model() {  # the embedded default (1024 input) fine-tuned on them, as the default was made (docs/results.md)
  $CLI train --data "$S/data/train" --val "$S/data/val" --out "$S/r1024_new" --model b0 \
    --init exts/omni.regolith/data/models/default --config tools/device/tune/nocrop_lovasz.toml --epochs $EP \
    --batch-size $BS --image-size $SIZE --lr 1.5e-4 --workers $WK --device $DEV --json-progress --force $FT_STEPS \
    $( [ -f "$S/r1024_new/checkpoint.pt" ] && echo --resume ) || return 1
  python3 tools/device/export_fp16.py "$S/r1024_new/model" "$S/model_new"
}

tune_real() {  # tune_real NAME [TRAIN ARGS]: the embedded default on chandai finetune/, then its fp16 model
  local name=$1; shift
  $CLI train --data .realdata_ft/chandai_ce3/finetune "$@" --out "$S/$name" --init exts/omni.regolith/data/models/default \
    --config tools/device/tune/real_tuned.toml --device $DEV --workers $WK --json-progress --force $FT_STEPS \
    $( [ -n "${QUICK:-}" ] && echo --image-size 64 --batch-size 2 ) || return 1
  python3 tools/device/export_fp16.py "$S/$name/model" "$S/model_$name"
}

real_tuned() {  # the real-tuned row: the embedded default on chandai finetune/ (whole source frames held out)
  until [ -d .realdata_ft/chandai_ce3/finetune ]; do sleep 5; done  # carried by a later call
  tune_real real_tuned || return 1
  # the same with synthetic frames mixed in (--mix), which kept sky alive on 2 CPU cores (docs/results.md)
  $CLI generate --out "$S/data/mix" --frames 150 --seed 41 --resolution $RES --workers $WK --no-progress \
    --force || return 1
  tune_real real_tuned_mix --mix "$S/data/mix"
}

scores() {  # real scoreboard (shipped inputs) and the synthetic val/test of the new look at 1024 and 512
  local rt=; [ -d "$S/model_real_tuned" ] && rt="--model real-tuned=$S/model_real_tuned"
  [ -d "$S/model_real_tuned_mix" ] && rt="$rt --model real-tuned-mix=$S/model_real_tuned_mix"
  $CLI evaluate --scoreboard --model new=$S/model_new --model default --model fast $rt --out "$S/scoreboard" \
    --device $DEV --no-figures
  for set in val test; do
    $CLI evaluate --images "$S/data/$set" --model "$S/model_new" --out "$S/eval_${set}_shipped" --device $DEV --no-figures
    $CLI evaluate --images "$S/data/$set" --model "$S/model_new" --input-size 512 --out "$S/eval_${set}_512" \
      --device $DEV --no-figures
    $CLI evaluate --images "$S/data/$set" --model default --out "$S/eval_${set}_olddefault" --device $DEV --no-figures
  done
}

video() {
  $CLI render --model "$S/model_new" --out "$S/drive.mp4" --resolution $VRES --frames $VFR --fps 24 --spp $VSPP \
    --set video.sun_passes=1 --device $DEV --no-progress $(cat "$S/chosen.sets" 2>/dev/null)
}

pack() {
  rm -rf "$S/pack" && mkdir -p "$S/pack"
  (cd "$S" && find . -maxdepth 4 \( -name '*.json' -o -name '*.md' -o -name '*.png' -o -name '*.log' -o -name '*.txt' \
      -o -name '*.toml' -o -name '*.jsonl' \) -not -path './data/*' -not -path './pack/*' -not -path './check/*' \
      -not -path '*/rgb/*' -not -path '*/mask/*' -not -path '*/labels/*' -not -path '*.frames/*' \
      -size -2M | tar -czf pack/results.tar.gz -T -)
  for m in model_new model_real_tuned model_real_tuned_mix; do [ -d "$S/$m" ] && tar -cf "$S/pack/$m.tar" -C "$S" $m; done
  for f in drive.mp4 drive.png; do [ -f "$S/$f" ] && cp "$S/$f" "$S/pack/"; done
  ls -la "$S/pack"
}

run() {
  stage check check_levers
  stage bench bench
  ( stage real_tuned real_tuned ) &
  stage experiments experiments
  stage default_data default_data
  stage default_model default_model
  wait  # the real-tuned run
  stage scores scores
  stage video video
  stage pack pack
  echo "$(date +%T) session finished" >> "$S/session.log"
}

case "${1:-}" in
  start)
    pgrep -f "session.sh run" > /dev/null && { echo "already running"; exit 0; }
    setsid nohup bash "$0" run > "$S/run.log" 2>&1 < /dev/null &
    sleep ${2:-20}; cat "$S/session.log" 2>/dev/null ;;
  run) run ;;
  wait)
    end=$((SECONDS + ${2:-540}))
    while [ $SECONDS -lt $end ] && pgrep -f "session.sh run" > /dev/null; do sleep 10; done
    bash "$0" status ;;
  status)
    cat "$S/session.log" 2>/dev/null
    for e in rock_fidelity photoreal; do
      [ -d "$S/$e" ] && echo "-- $e: $(python3 tools/device/experiment_status.py "$S/$e" 2>/dev/null | head -n 3 | tr '\n' ' ')"
    done
    cur=$(ls -t "$S"/logs/*.log 2>/dev/null | head -n 1); [ -n "$cur" ] && { echo "-- $cur"; tail -n 3 "$cur" | cut -c1-300; } ;;
  pack) pack ;;
  final)
    pgrep -f "session.sh run" > /dev/null && echo "still running: packing what is there"
    pack > /dev/null; cp "$S"/pack/* "$OUT"/ && ls -la "$OUT" ;;
  *) echo "usage: $0 realdata|start|wait [SECONDS]|status|final"; exit 2 ;;
esac
