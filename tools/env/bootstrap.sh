#!/usr/bin/env bash
# Create or repair the runningpose_mm environment, then print the path of its Python.
#
#   py=$(bash tools/env/bootstrap.sh)        # progress goes to stderr
#
# The environment is a virtualenv outside the repo, named after a hash of the lock files
# (requirements/*.txt and build_mmcv.sh), so every clone on a machine shares it and a lock
# change makes a new one. Source-built wheels (mmcv with ops, xtcocotools for numpy 2) are
# cached next to it: only the first run on a machine pays the ~25 min mmcv build.
#
# Environment variables:
#   RUNNINGPOSE_HOME    cache root (default ~/.cache/runningpose_mm)
#   RUNNINGPOSE_PYTHON  Python 3.11 interpreter to build the venv from (default python3.11)
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
home=${RUNNINGPOSE_HOME:-$HOME/.cache/runningpose_mm}
lock_hash=$(cat "$repo"/requirements/*.txt "$repo"/tools/env/build_mmcv.sh | sha256sum | cut -c1-12)
venv=$home/venv-$lock_hash
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
    "$venv/bin/python" - <<'EOF'
import mmcv.ops, mmdet.apis, mmpose.apis, ezc3d, pytest, torch
assert mmcv.__version__ == '2.1.0', mmcv.__version__
EOF
}
environment_works() { [ -f "$venv/.complete" ] && imports_work >/dev/null 2>&1; }

# pip, with the lock as constraints; its noise about absent local index folders is dropped
pip_install() {
    "$venv/bin/python" -m pip install --quiet --disable-pip-version-check \
        -c "$constraints" "$@" 2>&1 | { grep -v 'is ignored: it is neither a file' >&2 || true; }
}

build_environment() {
    local python
    python=$(find_python)
    log "creating $venv (first run on this machine: torch install ~3 min, mmcv build ~25 min)"
    rm -rf "$venv"
    mkdir -p "$home" "$wheels"
    "$python" -m venv "$venv"
    log "build tools"
    pip_install -r "$repo/requirements/build.txt"
    log "torch and torchvision"
    pip_install -r "$repo/requirements/torch.txt"

    if ! ls "$wheels"/mmcv-2.1.0-*.whl >/dev/null 2>&1; then
        log "building mmcv 2.1.0 with ops (about 25 minutes on 2 cores; cached afterwards in $wheels)"
        PATH="$venv/bin:$PATH" bash "$repo/tools/env/build_mmcv.sh" "$wheels" >&2
    fi
    if ! ls "$wheels"/xtcocotools-1.14.3-*.whl >/dev/null 2>&1; then
        log "building xtcocotools 1.14.3 against numpy 2"
        "$venv/bin/python" -m pip wheel --quiet --no-deps --no-binary xtcocotools \
            --no-build-isolation -c "$constraints" xtcocotools==1.14.3 -w "$wheels" >&2
    fi
    log "mmcv, xtcocotools (cached wheels), runtime packages, mmpose (--no-deps)"
    pip_install --no-deps "$wheels"/mmcv-2.1.0-*.whl "$wheels"/xtcocotools-1.14.3-*.whl
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
