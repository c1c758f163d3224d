#!/usr/bin/env bash
# expect.sh CODE PATTERN -- COMMAND...: runs COMMAND and checks its exit code and that its
# stderr matches PATTERN (grep -E; empty pattern = anything). Prints what it saw on failure.
set -u
code=$1; pattern=$2; shift 3
err=$(mktemp)
"$@" 2>"$err" >/dev/null
got=$?
if [[ $got -ne $code ]]; then
  echo "expected exit $code, got $got; stderr:"; cat "$err"; rm -f "$err"; exit 1
fi
if [[ -n $pattern ]] && ! grep -qE -- "$pattern" "$err"; then
  echo "stderr does not match '$pattern':"; cat "$err"; rm -f "$err"; exit 1
fi
if [[ $(wc -l <"$err") -gt 3 ]]; then
  echo "expected a short message, got:"; cat "$err"; rm -f "$err"; exit 1
fi
rm -f "$err"
