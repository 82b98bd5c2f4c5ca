#!/usr/bin/env bash
# Distributed training with torchrun, as MMPose's tools/dist_train.sh.
#   bash tools/dist_train.sh CONFIG NUM_PROCS [train.py args]
# Multi-node: NNODES, NODE_RANK, MASTER_ADDR, PORT (see dist_launch.sh).
set -euo pipefail
exec bash "$(dirname "$0")/dist_launch.sh" train.py "$2" "$1" "${@:3}"
