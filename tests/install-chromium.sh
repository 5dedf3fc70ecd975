#!/usr/bin/env bash
# The browser test (tests/VisualWords.Tests/Server/ServerBrowserTests.cs) drives Debian's Chromium
# through Playwright; Playwright's own browser download cannot work on our machines. Installs
# /usr/bin/chromium when it is missing and this user may (root with apt-get); otherwise says why
# the browser test will be skipped. Never fails the caller.
set -uo pipefail
[[ -x /usr/bin/chromium || -n "${VW_CHROMIUM:-}" ]] && exit 0
if [[ "$(id -u)" != 0 ]] || ! command -v apt-get >/dev/null; then
  echo "note: no /usr/bin/chromium and no root apt-get to install it: the browser test will be skipped" >&2
  exit 0
fi
log="$(mktemp)"
echo "installing chromium for the browser test (apt-get install -y chromium)..." >&2
if (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium) >"$log" 2>&1; then
  rm -f "$log"
else
  echo "warning: installing chromium failed (log: $log): the browser test will be skipped" >&2
fi
exit 0
