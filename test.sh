#!/usr/bin/env bash
# Runs the whole test suite against real redis-server processes, installing what it needs first.
# Extra arguments go to dotnet test, e.g. ./test.sh --filter FullyQualifiedName~PubSub
set -uo pipefail
cd "$(dirname "$0")"
eng/install-deps.sh test || exit 1
log=$(mktemp)
dotnet test Runtime.sln -c Release "$@" 2>&1 | tee "$log"
status=${PIPESTATUS[0]}
# One closing line in the plain form CI reads: "tests: N passed, N failed, N skipped".
summary=$(grep -E '^(Passed|Failed)! +- Failed:' "$log" | tail -n 1)
if [[ -n "$summary" ]]; then
  failed=$(sed -E 's/.*Failed: +([0-9]+).*/\1/' <<<"$summary")
  passed=$(sed -E 's/.*Passed: +([0-9]+).*/\1/' <<<"$summary")
  skipped=$(sed -E 's/.*Skipped: +([0-9]+).*/\1/' <<<"$summary")
  echo "tests: $passed passed, $failed failed, $skipped skipped"
fi
rm -f "$log"
exit "$status"
