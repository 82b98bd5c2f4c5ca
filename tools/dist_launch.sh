#!/usr/bin/env bash
# torchrun launcher shared by dist_train.sh and dist_test.sh:
#   bash tools/dist_launch.sh SCRIPT NUM_PROCS [script args]
# Multi-node: NNODES, NODE_RANK, MASTER_ADDR, PORT. On CPU-only machines the processes
# talk over gloo (see runningpose_mm/apis/runner.py).
set -euo pipefail
SCRIPT=$1
NPROCS=$2
"${PYTHON:-python}" -m torch.distributed.run \
    --nnodes="${NNODES:-1}" \
    --node_rank="${NODE_RANK:-0}" \
    --master_addr="${MASTER_ADDR:-127.0.0.1}" \
    --nproc_per_node="$NPROCS" \
    --master_port="${PORT:-29500}" \
    "$(dirname "$0")/$SCRIPT" "${@:3}" --launcher pytorch
