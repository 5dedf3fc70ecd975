#!/usr/bin/env bash
# Runs the whole test suite (Release) and ends with a one-line "N passed, N failed" summary.
#   ./test.sh                      all tests
#   ./test.sh --filter Sam         only tests whose full name contains "Sam"
set -uo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
args=()
if [[ "${1:-}" == "--filter" && -n "${2:-}" ]]; then args=(--filter "FullyQualifiedName~$2"); fi
"$root/tests/install-chromium.sh"
log="$(mktemp)"
dotnet test "$root/tests/VisualWords.Tests/VisualWords.Tests.csproj" -c Release --nologo "${args[@]}" 2>&1 | tee "$log"
rc=${PIPESTATUS[0]}
summary="$(grep -E '(Passed|Failed)! +- Failed: +[0-9]+, Passed: +[0-9]+' "$log" | tail -1)"
rm -f "$log"
if [[ -n "$summary" ]]; then
  failed="$(sed -E 's/.*Failed: +([0-9]+).*/\1/' <<<"$summary")"
  passed="$(sed -E 's/.*Passed: +([0-9]+).*/\1/' <<<"$summary")"
  skipped="$(sed -E 's/.*Skipped: +([0-9]+).*/\1/' <<<"$summary")"
  echo "$passed passed, $failed failed, $skipped skipped"
fi
exit "$rc"
