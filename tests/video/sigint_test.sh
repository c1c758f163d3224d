#!/usr/bin/env bash
# sigint_test.sh CLI DIR [SIGNAL]: starts `harmonizer-cli video` on a long clip, sends SIGNAL
# (default INT, as Ctrl+C does) once it reports progress, and checks that it exits with 130
# and leaves nothing at (or next to) the output path.
set -u
cli=$1; dir=$2; signal=${3:-INT}
name=sig${signal}_out.mp4
out=$dir/$name
err=$dir/sig${signal}_stderr.txt
rm -f "$out" "$err"
"$cli" video --composite "$dir/long.mp4" --mask "$dir/mask.png" --model "$dir/random.hzm" -o "$out" 2>"$err" &
pid=$!
for _ in $(seq 1 600); do
  grep -q "frames" "$err" 2>/dev/null && break
  kill -0 "$pid" 2>/dev/null || break
  sleep 0.1
done
if ! grep -q "frames" "$err"; then
  echo "no progress line before the run ended or timed out:"; cat "$err"; kill "$pid" 2>/dev/null; exit 1
fi
kill -"$signal" "$pid"
wait "$pid"
code=$?
if [[ $code -ne 130 ]]; then echo "expected exit 130 after SIG$signal, got $code:"; cat "$err"; exit 1; fi
if [[ -e $out ]]; then echo "$out exists after SIG$signal"; exit 1; fi
leftovers=$(find "$dir" -maxdepth 1 -name ".$name.tmp-*")
if [[ -n $leftovers ]]; then echo "temporary files left: $leftovers"; exit 1; fi
grep -q "interrupted" "$err" || { echo "no 'interrupted' message:"; cat "$err"; exit 1; }
exit 0
