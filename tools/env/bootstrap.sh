#!/usr/bin/env bash
# Create or repair the runningpose_mm environment, then print the path of its Python.
#
#   py=$(bash tools/env/bootstrap.sh)               # progress goes to stderr
#   py=$(bash tools/env/bootstrap.sh --full-mmcv)   # mmcv with its compiled ops
#
# The environment is a virtualenv outside the repo, named after a hash of the lock files
# (requirements/*.txt and build_mmcv.sh) and the mmcv flavour, so every clone on a machine
# shares it and a lock change makes a new one.
#
# mmcv flavours:
#   default       mmcv-lite 2.1.0 (pure Python, from PyPI; a few minutes in all): the ops
#                 our pipeline calls (nms for RTMDet) come from torchvision through
#                 runningpose_mm.mmcv_ops, every other compiled op raises a clear error
#   --full-mmcv   mmcv 2.1.0 built from the sdist with its C++ ops (7-25 minutes on
#                 2 cores, cached as a wheel next to the environments): for training or
#                 running other MMDet/MMPose models that need DeformConv, RoIAlign, ...
#                 (also RUNNINGPOSE_FULL_MMCV=1)
#
# Environment variables:
#   RUNNINGPOSE_HOME       cache root (default ~/.cache/runningpose_mm)
#   RUNNINGPOSE_PYTHON     Python 3.11 interpreter to build the venv from (default python3.11)
#   RUNNINGPOSE_FULL_MMCV  1: as --full-mmcv
set -euo pipefail

full_mmcv=${RUNNINGPOSE_FULL_MMCV:-0}
for arg in "$@"; do
    case $arg in
        --full-mmcv) full_mmcv=1 ;;
        -h|--help) sed -n '2,24p' "${BASH_SOURCE[0]}" >&2; exit 0 ;;
        *) echo "[bootstrap] unknown option: $arg (see --help)" >&2; exit 2 ;;
    esac
done
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
home=${RUNNINGPOSE_HOME:-$HOME/.cache/runningpose_mm}
lock_hash=$(cat "$repo"/requirements/*.txt "$repo"/tools/env/build_mmcv.sh | sha256sum | cut -c1-12)
if [ "$full_mmcv" = 1 ]; then venv=$home/venv-full-$lock_hash; else venv=$home/venv-$lock_hash; fi
wheels=$home/wheels
constraints=$repo/requirements/constraints.txt
log() { echo "[bootstrap] $*" >&2; }

find_python() {
    local candidate
    for candidate in "${RUNNINGPOSE_PYTHON:-}" python3.11 python3; do
        [ -n "$candidate" ] || continue
        if command -v "$candidate" >/dev/null 2>&1 &&
            "$candidate" -c 'import sys; sys.exit(sys.version_info[:2] != (3, 11))'; then
            echo "$candidate"; return 0
        fi
    done
    log "ERROR: Python 3.11 is required (torch 2.14.1 wheels on this machine are cp311)."
    log "Set RUNNINGPOSE_PYTHON to a Python 3.11 interpreter."
    return 1
}

imports_work() {
    # mmcv-lite needs the plugin's stand-in for the compiled ops before mmcv.ops loads
    # (warnings off: mmengine's pkg_resources deprecation notice is not ours to act on)
    PYTHONWARNINGS=ignore "$venv/bin/python" - "$repo" "$full_mmcv" <<'EOF'
import importlib.util, sys
spec = importlib.util.spec_from_file_location(
    'mmcv_ops_check', sys.argv[1] + '/runningpose_mm/mmcv_ops.py')
mmcv_ops = importlib.util.module_from_spec(spec)
spec.loader.exec_module(mmcv_ops)
stand_in = mmcv_ops.install()
assert stand_in == (sys.argv[2] != '1'), \
    'expected ' + ('compiled mmcv ops' if sys.argv[2] == '1' else 'mmcv-lite')
import mmcv, mmcv.ops, mmdet.apis, mmpose.apis, ezc3d, pytest, torch
assert mmcv.__version__ == '2.1.0', mmcv.__version__
EOF
}
environment_works() { [ -f "$venv/.complete" ] && imports_work >/dev/null 2>&1; }

# pip, with the lock as constraints; its noise about absent local index folders is dropped
pip_install() {
    "$venv/bin/python" -m pip install --quiet --disable-pip-version-check \
        -c "$constraints" "$@" 2>&1 | { grep -v 'is ignored: it is neither a file' >&2 || true; }
}

compiler_check() {
    # what building mmcv's C++ ops needs, named before a 25-minute build starts
    local missing=()
    command -v "${CXX:-g++}" >/dev/null 2>&1 || missing+=("a C++ compiler (${CXX:-g++})")
    "$1" -c 'import os, sys, sysconfig; sys.exit(not os.path.isfile(os.path.join(sysconfig.get_paths()["include"], "Python.h")))' \
        || missing+=("the Python 3.11 headers (Python.h)")
    if [ ${#missing[@]} -gt 0 ]; then
        log "ERROR: --full-mmcv builds mmcv's C++ ops from source, and this machine lacks:"
        for item in "${missing[@]}"; do log "  - $item"; done
        log "install them (Debian: apt install g++ python3.11-dev) or drop --full-mmcv"
        log "(the default environment uses mmcv-lite and needs no compiler)"
        return 1
    fi
}

build_environment() {
    local python mmcv_wheel
    python=$(find_python)
    if [ "$full_mmcv" = 1 ] && ! ls "$wheels"/mmcv-2.1.0-*.whl >/dev/null 2>&1; then
        compiler_check "$python"  # before anything is installed
    fi
    if [ "$full_mmcv" = 1 ]; then
        log "creating $venv (mmcv with compiled ops: torch ~3 min, mmcv build 7-25 min once)"
    else
        log "creating $venv (mmcv-lite: a few minutes, most of it torch)"
    fi
    rm -rf "$venv"
    mkdir -p "$home" "$wheels"
    "$python" -m venv "$venv"
    log "build tools"
    pip_install -r "$repo/requirements/build.txt"
    log "torch and torchvision"
    pip_install -r "$repo/requirements/torch.txt"

    if [ "$full_mmcv" = 1 ]; then
        if ! ls "$wheels"/mmcv-2.1.0-*.whl >/dev/null 2>&1; then
            log "building mmcv 2.1.0 with ops (7-25 minutes on 2 cores; cached afterwards in $wheels)"
            PATH="$venv/bin:$PATH" bash "$repo/tools/env/build_mmcv.sh" "$wheels" >&2
        fi
        mmcv_wheel=$(ls "$wheels"/mmcv-2.1.0-*.whl)
    else
        mmcv_wheel=mmcv-lite==2.1.0
    fi
    if ! ls "$wheels"/xtcocotools-1.14.3-*.whl >/dev/null 2>&1; then
        log "building xtcocotools 1.14.3 against numpy 2"
        "$venv/bin/python" -m pip wheel --quiet --no-deps --no-binary xtcocotools \
            --no-build-isolation -c "$constraints" xtcocotools==1.14.3 -w "$wheels" 2>&1 |
            { grep -v 'is ignored: it is neither a file' >&2 || true; }
    fi
    log "$(basename "$mmcv_wheel"), xtcocotools (cached wheel), runtime packages, mmpose (--no-deps)"
    pip_install --no-deps "$mmcv_wheel" "$wheels"/xtcocotools-1.14.3-*.whl
    pip_install -r "$repo/requirements/runtime.txt" -r "$repo/requirements/tests.txt"
    pip_install --no-deps mmpose==1.3.2
    if ! imports_work >&2; then
        log "ERROR: the environment was installed but the imports above fail"
        return 1
    fi
    touch "$venv/.complete"
    log "environment ready"
}

if ! environment_works; then
    build_environment
fi

# the plugin itself: editable, pointing at this checkout (cheap; re-pointed per clone)
# (asked from / so that a checkout in the current directory does not answer instead)
installed=$(cd / && "$venv/bin/python" -c 'import importlib.util as u; s = u.find_spec("runningpose_mm"); print(s.submodule_search_locations[0] if s else "")')
if [ "$installed" != "$repo/runningpose_mm" ]; then
    log "installing runningpose_mm from $repo (editable)"
    (cd "$repo" && "$venv/bin/python" -m pip install --quiet --no-deps --no-build-isolation -e . >&2)
fi
echo "$venv/bin/python"
