#!/usr/bin/env bash
# Distributed training with torchrun, as MMPose's tools/dist_train.sh.
#   bash tools/dist_train.sh CONFIG NUM_PROCS [train.py args]
# Multi-node: NNODES, NODE_RANK, MASTER_ADDR, PORT. On CPU-only machines the processes
# talk over gloo (see runningpose_mm/apis/runner.py).
set -euo pipefail
CONFIG=$1
NPROCS=$2
NNODES=${NNODES:-1}
NODE_RANK=${NODE_RANK:-0}
PORT=${PORT:-29500}
MASTER_ADDR=${MASTER_ADDR:-"127.0.0.1"}
PYTHON=${PYTHON:-python}

"$PYTHON" -m torch.distributed.run \
    --nnodes="$NNODES" \
    --node_rank="$NODE_RANK" \
    --master_addr="$MASTER_ADDR" \
    --nproc_per_node="$NPROCS" \
    --master_port="$PORT" \
    "$(dirname "$0")/train.py" \
    "$CONFIG" \
    --launcher pytorch "${@:3}"
