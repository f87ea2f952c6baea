#!/usr/bin/env bash
# Every number of docs/real-vs-synthetic.md (the real Chang'e-3 frames measured against ours), about
# 5 minutes on 2 CPU cores. Reads the real sets in place ($REGOLITH_DATA, else ../shared/data); writes
# only under _out/real_vs_synth/ (tables in out/, figures in figures/; ALLD statistics never as pixels).
set -euo pipefail
cd "$(dirname "$0")/../.."
W=_out/real_vs_synth; mkdir -p $W/out $W/figures
[ -d $W/synth120/rgb ] || regolith generate --out $W/synth120 --frames 120 --seed 2 --no-progress  # the docs' val plan
cd experiments/real_vs_synth
python colour_tone.py > ../../$W/out/colour_tone.log      # sections 1, 2
python rocks.py > ../../$W/out/rocks.log                  # 4 (+ rock brightness for 2); camera.py reads out/rocks.json
python texture.py > ../../$W/out/texture.log              # 3
python camera.py > ../../$W/out/camera.log                # 5
python hardware.py > ../../$W/out/hardware.log            # 6
python geometry_scale.py > /dev/null                      # px -> m
python figure_side_by_side.py                             # the synthetic-only and chandai-only figure
