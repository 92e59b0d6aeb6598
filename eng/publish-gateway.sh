#!/usr/bin/env bash
# Publishes the gateway the way ./run.sh and the benchmarks run it: precompiled with ReadyToRun for
# this machine's runtime (framework-dependent), into src/Runtime/bin/Release/published. Why: see the
# comment on PublishReadyToRun in src/Runtime/Runtime.csproj. Incremental: about 10 s when nothing changed.
set -euo pipefail
cd "$(dirname "$0")/.."
dotnet publish src/Runtime -c Release --use-current-runtime --self-contained false \
  -p:PublishReadyToRun=true -o src/Runtime/bin/Release/published -nologo -v quiet
