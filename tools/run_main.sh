#!/usr/bin/env bash
# Fresh-machine main job: create/repair the environment, then run tools/main_job.py.
#   bash tools/run_main.sh [main_job.py args]
set -euo pipefail
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
python=$(bash "$repo/tools/env/bootstrap.sh")
cd "$repo"
exec "$python" tools/main_job.py "$@"
