#!/usr/bin/env bash
# Kit-style repo tool for regolith. On a fresh machine: ./repo.sh demo   and   ./repo.sh test
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
VENV="$ROOT/.venv"
PY="$VENV/bin/python"
cd "$ROOT"

say() { printf '[repo] %s\n' "$*"; }

llvm_ok() {  # an LLVM >= 16 shared library for Mitsuba's llvm_ad_rgb backend
  ls /usr/lib/*/libLLVM*.so* /usr/lib/llvm-*/lib/libLLVM*.so* 2>/dev/null \
    | grep -Eq 'libLLVM([-.]|\.so\.)(1[6-9]|[2-9][0-9])'
}

setup() {
  if ! llvm_ok; then
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
      say "installing libllvm19 (Mitsuba's CPU backend needs LLVM >= 16)"
      (apt-get install -y -qq libllvm19 >/dev/null 2>&1 || { apt-get update -qq >/dev/null && apt-get install -y -qq libllvm19 >/dev/null; }) \
        && say "installed libllvm19" || say "could not install libllvm19: rendering falls back to the slow scalar backend"
    else
      say "no LLVM >= 16 found; install libllvm19 (Debian) for fast CPU rendering"
    fi
  else
    say "LLVM >= 16 present"
  fi
  if [ ! -x "$PY" ]; then
    say "creating .venv"
    python3 -m venv "$VENV"
  fi
  if ! "$PY" -c "import torch, pxr, mitsuba, transformers, imageio_ffmpeg, PIL, tqdm, pytest, matplotlib, pycocotools, pyarrow, datasets, distributed" 2>/dev/null; then
    say "installing Python dependencies (torch first, pinned to the local CPU wheel)"
    "$PY" -m pip install -q --disable-pip-version-check "torch==2.13.0" 2>&1 | grep -v '^WARNING: Location' || true
    "$PY" -m pip install -q --disable-pip-version-check -r requirements.txt 2>&1 | grep -v '^WARNING: Location' || true
  else
    say "Python dependencies present"
  fi
  if ! "$VENV/bin/regolith" --version >/dev/null 2>&1; then
    say "installing omni.regolith (editable) and the regolith command"
    "$PY" -m pip install -q --disable-pip-version-check --no-deps --no-build-isolation -e . 2>&1 | grep -v '^WARNING: Location' || true
  fi
  "$VENV/bin/regolith" --version
  touch "$VENV/.regolith-ready"
}

ensure() { [ -f "$VENV/.regolith-ready" ] && [ -x "$VENV/bin/regolith" ] || setup; }

# A Python 3.12 venv with the real Kit kernel (the omniverse-kit wheel, Kit 110) for
# tests/kit_kernel: numpy, usd-core and pillow stand in for what Isaac Sim bundles. Cached in
# .venv-kit (gitignored); skipped, with the reason, when no Python 3.12 is found.
KIT_VENV="$ROOT/.venv-kit"
KIT_PIP=(omniverse-kit==110.4.0.386251 numpy==2.5.5 usd-core==26.11 pillow==13.0.0)
find_py312() {
  local c
  for c in "${KIT_PYTHON312:-}" "$(command -v python3.12 2>/dev/null)" "$HOME"/.pyenv/versions/3.12*/bin/python3.12; do
    [ -n "$c" ] && [ -x "$c" ] && "$c" -c 'import sys, venv; assert sys.version_info[:2] == (3, 12)' 2>/dev/null \
      && { echo "$c"; return 0; }
  done
  return 1
}
kit_venv() {
  [ -f "$KIT_VENV/.kit-ready" ] && [ -x "$KIT_VENV/bin/python" ] && return 0
  local py
  if ! py="$(find_py312)"; then
    say "no Python 3.12 found (set KIT_PYTHON312=/path/to/python3.12): the real-kernel Kit test will be skipped"
    return 0
  fi
  say "creating .venv-kit with $py and the Kit kernel wheel (omniverse-kit, ~1-3 min the first time)"
  rm -rf "$KIT_VENV"
  if "$py" -m venv "$KIT_VENV" \
     && "$KIT_VENV/bin/python" -m pip install -q --disable-pip-version-check "${KIT_PIP[@]}" 2>&1 | grep -v '^WARNING: Location'; \
     "$KIT_VENV/bin/python" -c "import numpy, pxr, PIL" 2>/dev/null && [ -f "$KIT_VENV/lib/python3.12/site-packages/omni/kit_app.py" ]; then
    touch "$KIT_VENV/.kit-ready"
  else
    say "could not set up .venv-kit: the real-kernel Kit test will be skipped"
  fi
}

case "${1:-help}" in
  setup) setup ;;
  demo) shift; ensure; exec "$PY" "$ROOT/tools/demo.py" "$@" ;;
  test)
    shift; ensure
    if [ "${1:-}" = "--kit" ]; then
      shift
      if [ -z "${ISAACSIM_PATH:-}" ]; then
        say "skipped Kit tests: set ISAACSIM_PATH to an Isaac Sim 5.1 or 6.x install to run them"; exit 0
      fi
      # our venv's pytest starts Kit's own test runner on omni.regolith (tests/kit/test_in_kit.py)
      exec "$PY" -m pytest "$ROOT/tests/kit/test_in_kit.py" "$@"
    fi
    kit_venv
    exec "$PY" -m pytest "$@" ;;
  kit-venv) kit_venv ;;
  bench) shift; ensure; for b in tools/bench/*.py; do say "$b"; "$PY" "$b" "$@"; done ;;
  launch)
    shift
    if [ -z "${ISAACSIM_PATH:-}" ] || [ ! -x "${ISAACSIM_PATH}/isaac-sim.sh" ]; then
      echo "regolith launch: set ISAACSIM_PATH to an Isaac Sim 5.1 or 6.x install (the folder with isaac-sim.sh), e.g. ISAACSIM_PATH=~/isaacsim ./repo.sh launch" >&2
      exit 2
    fi
    # Isaac Sim's extension folders (as its isaacsim.exp.full.kit lists them), then ours; the
    # apps folder makes "isaacsim.exp.full" resolvable as a dependency of app/omni.regolith.app.kit.
    folders=()
    for d in exts extscache extsDeprecated extsUser apps; do
      [ -d "$ISAACSIM_PATH/$d" ] && folders+=(--ext-folder "$ISAACSIM_PATH/$d")
    done
    exec "$ISAACSIM_PATH/kit/kit" "$ROOT/app/omni.regolith.app.kit" "${folders[@]}" --ext-folder "$ROOT/exts" "$@" ;;
  *) echo "usage: ./repo.sh {setup|demo|test [--kit]|kit-venv|bench|launch}"; exit 2 ;;
esac
