#!/usr/bin/env bash
# `regolith experiment` on the GPU box (one H200: all arms x seeds share it, PER_GPU processes at a
# time), and the real-tuned fine-tune. The box has no ../shared/data: the real sets travel in the
# repo as .realdata/ (ignored by git, never committed), made here by the `realdata` stage.
#   realdata -- HERE, not on the box: copy ../shared/data/real_lunar and chandai_ce3/eval (with
#               FINETUNE=1 also chandai_ce3/finetune) into .realdata/ (ignored by .gitignore: never committed,
#               travels only when named in carry)
#   start    -- the experiment CONFIG (default experiments/configs/rock_fidelity.toml) into $W/$NAME,
#               in the background (setsid); rerunning `start` resumes whatever is missing
#   wait     -- follow it for up to SECONDS (default 540), then print `status`
#   status   -- tasks done / total, each running task's last step, finished runs' last epochs, failures
#   final    -- into $OUT (<= 8 files, each < 16 MiB): report.md, metrics.json, arms.png, status.json,
#               scores.tar.gz (every run's scoreboard counts: re-analysable here), logs.tar.gz and the
#               seed-0 model of each of the first two arms in fp16 (<arm>_s0.tar, ~7.5 MB each)
#   realtuned -- the `default` model fine-tuned on .realdata/chandai_ce3/finetune (tune/real_tuned.toml,
#               1024 input), validated on chandai_ce3/eval; foreground, ~2-4 min on an H200
#   realfinal -- its fp16 model + metrics.json + curve.png + log as real_tuned.tar into $OUT
# Calls (device tool; carry [".devwheels", ".realdata"] for the experiment, [".realdata"] made with
# FINETUNE=1 for realtuned: 33 + 17 + 7 MB fit the 64 MiB limit, the finetune set's 14 MB more would not):
#   bash tools/device/experiment.sh start && bash tools/device/experiment.sh wait 520
#   bash tools/device/experiment.sh wait 480; bash tools/device/experiment.sh final
#   bash tools/device/experiment.sh realtuned && bash tools/device/experiment.sh realfinal
# CPU smoke test here: LOCAL=1 QUICK=1 GPUS= bash tools/device/experiment.sh start (then wait, final)
set -u
cd "$(dirname "$0")/../.."
if [ "${1:-}" = realdata ]; then  # here: no Python needed
  src=${SRC:-../shared/data}
  sets="real_lunar chandai_ce3/eval${FINETUNE:+ chandai_ce3/finetune}"
  rm -rf .realdata && for d in $sets; do mkdir -p ".realdata/$d" && cp -r "$src/$d/." ".realdata/$d/"; done
  cp "$src/chandai_ce3/SOURCES.md" .realdata/chandai_ce3/
  du -sh .realdata
  exit 0
fi
if [ -n "${LOCAL:-}" ] || [ ! -f .devwheels/mi.tar.xz ]; then
  export PYTHONPATH=$PWD/exts/omni.regolith${PYTHONPATH:+:$PYTHONPATH} PYTHONUNBUFFERED=1
else
  source tools/device/env.sh  # unpacks the carried Mitsuba, puts the package on PYTHONPATH
fi
W=${W:-_out/gpu}
OUT=${OUT:-_out/gpu/export}
CONFIG=${CONFIG:-experiments/configs/rock_fidelity.toml}
NAME=${NAME:-$(basename "$CONFIG" .toml)}
GPUS=${GPUS-0}; PER_GPU=${PER_GPU:-3}
export REGOLITH_DATA=${REGOLITH_DATA:-.realdata}
CLI="python3 -m omni.regolith.cli"
EXP="^$CLI experiment"  # anchored: never match the shell that runs this script
mkdir -p "$W" "$OUT"
case "$1" in
  start)
    setsid nohup $CLI experiment "$CONFIG" --out "$W/$NAME" ${GPUS:+--gpus $GPUS} --per-gpu "$PER_GPU" \
      ${QUICK:+--quick} > "$W/$NAME.log" 2>&1 < /dev/null &
    sleep 20; tail -n 5 "$W/$NAME.log" ;;
  wait)
    end=$((SECONDS + ${2:-540}))
    while [ $SECONDS -lt $end ] && pgrep -f "$EXP" > /dev/null; do sleep 10; done
    tail -n 3 "$W/$NAME.log"; python3 tools/device/experiment_status.py "$W/$NAME" ;;
  status)
    python3 tools/device/experiment_status.py "$W/$NAME" ;;
  final)
    pgrep -f "$EXP" > /dev/null && echo "still running: packing what is there (rerun start to finish it)"
    d=$W/$NAME; out=$(cd "$OUT" && pwd)
    cp "$d"/report.md "$d"/metrics.json "$d"/arms.png "$d"/status.json "$OUT"/ 2>/dev/null
    (cd "$d" && tar -czf "$out/scores.tar.gz" experiment.json baseline/metrics.json runs/*/s*/scores/metrics.json \
      runs/*/s*/metrics.json runs/*/s*.train.toml 2>/dev/null)
    mkdir -p "$d/logs" && cp "$W/$NAME.log" "$d/logs/experiment.log" && tar -czf "$OUT/logs.tar.gz" -C "$d" logs
    for arm in $(ls "$d/runs" 2>/dev/null | head -n 2); do
      [ -f "$d/runs/$arm/s0/model/config.json" ] || continue
      python3 tools/device/export_fp16.py "$d/runs/$arm/s0/model" "$W/x_$NAME/$arm" > /dev/null &&
        tar -cf "$OUT/${arm}_s0.tar" -C "$W/x_$NAME/$arm" .
    done
    ls -la "$OUT"; python3 tools/device/experiment_status.py "$d" ;;
  realtuned)
    $CLI train --init default --data .realdata/chandai_ce3/finetune --val .realdata/chandai_ce3/eval \
      --out "$W/real_tuned" --model b0 --config tools/device/tune/real_tuned.toml --device cuda --workers 12 \
      $( [ -f "$W/real_tuned/checkpoint.pt" ] && echo --resume ) --json-progress > "$W/real_tuned.log" 2>&1
    python3 tools/device/epoch_lines.py "$W/real_tuned.log"
    python3 -c "import json,sys; m=json.load(open(sys.argv[1])); print({k: v for k, v in m['sparse'].items() if k != 'counts'})" \
      "$W/real_tuned/metrics.json" ;;
  realfinal)
    python3 tools/device/export_fp16.py "$W/real_tuned/model" "$W/x_real_tuned" &&
      cp "$W/real_tuned/metrics.json" "$W/real_tuned/curve.png" "$W/real_tuned/train_config.json" "$W/real_tuned.log" \
        "$W/x_real_tuned/" && tar -cf "$OUT/real_tuned.tar" -C "$W/x_real_tuned" .
    ls -la "$OUT" ;;
esac
