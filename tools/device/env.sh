# Source on the GPU box (device tool): unpack the carried cp312 Mitsuba/Dr.Jit build and put our
# package on the path. The box has Python 3.12 + torch + transformers but no pxr/mitsuba and no network.
set -e
if [ ! -d /tmp/site/mitsuba ]; then
  mkdir -p /tmp/site && tar -xJf .devwheels/mi.tar.xz -C /tmp/site
fi
if [ -d .devwheels/engine ] && [ ! -d /tmp/site/distributed ]; then  # Dask, for generate's workers
  python3 -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --target /tmp/site .devwheels/engine/*.whl
fi
export PYTHONPATH=/tmp/site:$PWD/exts/omni.regolith:$PWD${PYTHONPATH:+:$PYTHONPATH}
export PYTHONUNBUFFERED=1
set +e
