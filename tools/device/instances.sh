#!/usr/bin/env bash
# What rock instance ids (render.instances) cost on a GPU, for docs/benchmarks.md. From the repo root
# on the device box:   bash tools/device/instances.sh
# Bring back every printed line (each run ends in a JSON line). ~3 minutes on an H200.
source tools/device/env.sh
python3 tools/bench/instances.py --frames 500  # the label pass and the instance PNG, paired per frame
for i in 1 2; do  # end to end, alternating, so a warming machine does not favour one side
  python3 tools/bench/generate.py --frames 2000 --workers 14
  python3 tools/bench/generate.py --frames 2000 --workers 14 --set render.instances=true
done
