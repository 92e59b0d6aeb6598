#!/usr/bin/env bash
# Starts SharpGears on 127.0.0.1:6379 in front of its own embedded redis-server (data in ./data).
# Any SharpGears option may follow, e.g. ./run.sh --port 7000 --backend redis://127.0.0.1:6380
set -euo pipefail
cd "$(dirname "$0")"
eng/install-deps.sh run
eng/publish-gateway.sh
# exec: signals (Ctrl+C, a service manager's SIGTERM) reach SharpGears itself, which then stops the
# embedded redis-server cleanly.
exec dotnet src/Runtime/bin/Release/published/SharpGears.Runtime.dll "$@"
