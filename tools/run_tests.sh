#!/usr/bin/env bash
# Fresh-machine test command: create/repair the environment, then run the test suite.
#   bash tools/run_tests.sh [pytest args]
set -euo pipefail
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
python=$(bash "$repo/tools/env/bootstrap.sh")
cd "$repo"
exec "$python" -m pytest tests -q -p no:cacheprovider "$@"
