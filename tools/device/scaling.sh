#!/usr/bin/env bash
# The scaling rows of docs/benchmarks.md on the GPU box (device tool; carry .devwheels). Stages:
#   gen    -- 10,000 frames 512x512 with 1, 2, 4, 6, 8 processes on one GPU, then kernel cache
#             cold vs warm (300 frames); ~5 minutes on one H200. Keeps the warm kernel cache as
#             $OUT/kernels.tar: untar it into .kcache/ here and carry it (KCACHE=.kcache) to start warm
#   gpus   -- (a machine of 2+ GPUs) 10,000 frames with PROCS (default 4) per GPU on 1, 2, 4 GPUs
#   train  -- B0 512, batch 64 per GPU, 300 steps on 1, 2, 4 GPUs (GPUS_LIST) from _out/loop/train
#             (make it first: bash tools/device/full_loop.sh data)
# Usage: bash tools/device/scaling.sh gen|gpus|train     (prints markdown rows + JSON lines)
set -u
source "$(dirname "$0")/env.sh"
export NCCL_NVLS_ENABLE=0 TORCH_SYMM_MEM_DISABLE_MULTICAST=1 NVSHMEM_DISABLE_NVLS=1
OUT=${OUT:-_out/scaling}; mkdir -p "$OUT"
B="python3 tools/bench/scaling.py"
case "$1" in
  gen)
    $B generate --frames ${FRAMES:-10000} --procs ${PROCS_LIST:-1,2,4,6,8} --gpus-list 1 --keep _out/scaling/w | tee "$OUT"/gen.txt
    $B cache --frames 300 --keep _out/scaling/c | tee "$OUT"/cache.txt
    tar -cf "$OUT"/kernels.tar -C _out/scaling/c cold_cache && ls -la "$OUT"/kernels.tar ;;
  gpus)
    $B generate --frames ${FRAMES:-10000} --procs ${PROCS:-4} --gpus-list ${GPUS_LIST:-1,2,4} | tee "$OUT"/gpus.txt ;;
  train)
    $B train --data _out/loop/train --val _out/loop/val --gpus-list ${GPUS_LIST:-1,2,4} --steps ${STEPS:-300} \
      | tee "$OUT"/train.txt ;;
  *) echo "usage: $0 gen|gpus|train"; exit 2 ;;
esac
