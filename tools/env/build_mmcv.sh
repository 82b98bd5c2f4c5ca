#!/usr/bin/env bash
# Build the mmcv wheel (with its C++ ops) against the torch of the active Python.
#
# Used by `bootstrap.sh --full-mmcv` only (the default environment is mmcv-lite with the
# plugin's stand-in for the few ops it calls, runningpose_mm/mmcv_ops.py). PyPI has mmcv
# 2.1.0 (MMDet 3.3.0 needs < 2.2.0) only as an sdist. torch 2.14's headers need C++20,
# while mmcv 2.1.0's setup.py hard-codes -std=c++14 / -std=c++17; the one patch below
# rewrites every such flag to -std=c++20. Nothing else changes.
#
# Usage: build_mmcv.sh OUT_DIR      (the wheel lands in OUT_DIR; about 25 min on 2 cores)
set -euo pipefail

out_dir=${1:?usage: build_mmcv.sh OUT_DIR}
mmcv_version=${MMCV_VERSION:-2.1.0}
mkdir -p "$out_dir"

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

echo "[build_mmcv] fetching the mmcv==$mmcv_version sdist"
# --no-build-isolation: the sdist's metadata step imports torch, which is in this env.
python -m pip download --quiet --no-deps --no-binary :all: --no-build-isolation \
    "mmcv==$mmcv_version" -d "$work"
tar xzf "$work/mmcv-$mmcv_version.tar.gz" -C "$work"
src="$work/mmcv-$mmcv_version"

echo "[build_mmcv] patching setup.py: -std=c++14/-std=c++17 -> -std=c++20"
sed -i -E 's/-std=c\+\+1[47]/-std=c++20/g' "$src/setup.py"
if grep -qE -- '-std=c\+\+1[47]' "$src/setup.py"; then
    echo "[build_mmcv] ERROR: setup.py still has a C++14/17 flag after patching" >&2
    exit 1
fi

echo "[build_mmcv] compiling (MMCV_WITH_OPS=1, CPU ops; this takes about 25 minutes on 2 cores)"
start=$(date +%s)
(cd "$src" && MMCV_WITH_OPS=1 FORCE_CUDA=0 MAX_JOBS=${MAX_JOBS:-$(nproc)} \
    python -m pip wheel --no-deps --no-build-isolation . -w "$out_dir")
echo "[build_mmcv] built in $(( $(date +%s) - start )) s: $(ls "$out_dir"/mmcv-"$mmcv_version"-*.whl)"
