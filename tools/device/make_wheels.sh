#!/usr/bin/env bash
# Build .devwheels/mi.tar.xz: Mitsuba + Dr.Jit for the GPU box's Python 3.12, stripped to the
# variants we use (cuda_ad_rgb, scalar_rgb) so it fits the device tool's 64 MiB carry limit
# (~33 MB), and .devwheels/engine/: the Dask wheels the box lacks (dask, distributed, tornado,
# tblib, zict, partd, locket: ~3.1 MB; it has cloudpickle, msgpack, psutil, toolz, pyyaml, click,
# jinja2, fsspec, sortedcontainers, packaging). The box has torch/transformers/PIL/tqdm but no
# mitsuba or pxr, and no network. tools/device/env.sh installs both into /tmp/site.
# Then: run(command="bash tools/device/default_model.sh data", carry=[".devwheels"]).
set -euo pipefail
cd "$(dirname "$0")/../.."
tmp=$(mktemp -d)
python3 -m pip download -q --no-deps --only-binary=:all: --python-version 3.12 --implementation cp \
  --platform manylinux_2_28_x86_64 --platform manylinux_2_27_x86_64 --platform manylinux_2_17_x86_64 \
  -d "$tmp" mitsuba==3.9.1 drjit==1.5.0
mkdir -p "$tmp/site" && for w in "$tmp"/*.whl; do unzip -q -o "$w" -d "$tmp/site"; done
cd "$tmp/site"
rm -f mitsuba/*mono* mitsuba/*spectral* mitsuba/*polarized* mitsuba/llvm_ad_rgb*
rm -rf mitsuba/include mitsuba/mitsuba_stubs mitsuba/cmake mitsuba/*.pyi
cd - >/dev/null
mkdir -p .devwheels/engine
python3 -m pip download -q --no-deps --only-binary=:all: --python-version 3.12 --implementation cp \
  --platform manylinux_2_28_x86_64 --platform manylinux_2_17_x86_64 --platform manylinux2014_x86_64 \
  -d .devwheels/engine dask==2026.8.0 distributed==2026.8.0 tornado==6.6.1 tblib==3.2.2 zict==3.0.0 \
  partd==1.4.2 locket==1.0.0
tar -cJf .devwheels/mi.tar.xz -C "$tmp/site" mitsuba drjit mitsuba-3.9.1.dist-info drjit-1.5.0.dist-info
rm -rf "$tmp"
ls -la .devwheels/mi.tar.xz .devwheels/engine
