#!/usr/bin/env bash
# Distributed testing with torchrun, as MMPose's tools/dist_test.sh.
#   bash tools/dist_test.sh CONFIG CHECKPOINT NUM_PROCS [test.py args]
# Multi-node: NNODES, NODE_RANK, MASTER_ADDR, PORT (see dist_launch.sh).
set -euo pipefail
exec bash "$(dirname "$0")/dist_launch.sh" test.py "$3" "$1" "$2" "${@:4}"
