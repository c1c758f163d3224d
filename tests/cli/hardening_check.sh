#!/usr/bin/env bash
# hardening_check.sh CASE CLI MODEL DATA OUT: hostile-user cases that need more than one
# command (fault injection: a file-size limit, a signal, a FIFO, folders of files).
# Prints what went wrong and exits 1 on failure, 77 when the case could not be provoked.
set -u
case_=$1; CLI=$2; MODEL=$3; DATA=$4; OUT=$5
work=$OUT/hardening/$case_
rm -rf "$work"; mkdir -p "$work"
fail() { echo "FAIL: $*"; [[ -f $work/err ]] && { echo "stderr:"; cat "$work/err"; }; exit 1; }
temporaries() { find "$1" -maxdepth 1 -name '.*' ! -name . ! -name .. | wc -l; }
IMAGE=$DATA/small_composite.png
MASK=$DATA/small_mask.png

case $case_ in
full-disk-webp|full-disk-png)
  # A file-size limit stands for a full disk (SIGXFSZ ignored, so writes fail with EFBIG as
  # they would with ENOSPC): the command fails, the previous output stays.
  ext=${case_#full-disk-}
  "$CLI" apply --image "$IMAGE" --mask "$MASK" -o "$work/out.$ext" || fail "first write"
  cp "$work/out.$ext" "$work/before"
  size=$(stat -c %s "$work/before")
  limit_kb=$(( size / 1024 / 2 ))
  (( limit_kb >= 1 )) || { echo "output too small to provoke"; exit 77; }
  ( trap '' XFSZ; ulimit -f "$limit_kb"; exec "$CLI" apply --image "$IMAGE" --mask "$MASK" -o "$work/out.$ext" --contrast 0.7 ) 2>"$work/err"
  code=$?
  [[ $code -eq 1 ]] || fail "exit $code, expected 1"
  grep -q "out.$ext: cannot be written" "$work/err" || fail "message"
  cmp -s "$work/before" "$work/out.$ext" || fail "the previous output was replaced"
  [[ $(temporaries "$work") -eq 0 ]] || fail "a temporary file was left"
  ;;
jpeg-cut)
  head -c $(( $(stat -c %s "$DATA/small_composite.jpg") / 2 )) "$DATA/small_composite.jpg" >"$work/cut.jpg"
  "$CLI" apply --image "$work/cut.jpg" --mask "$MASK" -o "$work/out.png" 2>"$work/err"
  [[ $? -eq 1 ]] || fail "a cut JPEG was accepted"
  grep -q "cut.jpg: damaged JPEG" "$work/err" || fail "message"
  [[ ! -e $work/out.png ]] || fail "an output was written"
  ;;
batch-collision)
  # a.jpg and a.png both become a.png with --format png: refused before anything is written.
  mkdir -p "$work/images" "$work/masks" "$work/results"
  cp "$DATA/small_composite.jpg" "$work/images/a.jpg"; cp "$IMAGE" "$work/images/a.png"; cp "$MASK" "$work/masks/a.png"
  "$CLI" harmonize --model "$MODEL" --image-dir "$work/images" --mask-dir "$work/masks" --out-dir "$work/results" --format png 2>"$work/err"
  [[ $? -eq 1 ]] || fail "exit status"
  grep -q "both a.jpg and a.png would be written there" "$work/err" || fail "message"
  [[ -z $(ls -A "$work/results") ]] || fail "something was written"
  ;;
batch-into-inputs)
  # --out-dir equal to --image-dir with --format png: the result for a.jpg would replace the
  # input a.png (and b.png's result b.png itself).
  mkdir -p "$work/images" "$work/masks"
  cp "$DATA/small_composite.jpg" "$work/images/a.jpg"; cp "$IMAGE" "$work/images/a.png"; cp "$IMAGE" "$work/images/b.png"
  cp "$MASK" "$work/masks/a.png"; cp "$MASK" "$work/masks/b.png"
  cp "$work/images/a.png" "$work/before"
  "$CLI" harmonize --model "$MODEL" --image-dir "$work/images" --mask-dir "$work/masks" --out-dir "$work/images" --format png 2>"$work/err"
  [[ $? -eq 1 ]] || fail "exit status"
  grep -Eq "would be written there|refusing to overwrite an input" "$work/err" || fail "message"
  cmp -s "$work/before" "$work/images/a.png" || fail "the input a.png was replaced"
  [[ $(ls "$work/images" | wc -l) -eq 3 ]] || fail "files were added to the input folder"
  [[ $(temporaries "$work/images") -eq 0 ]] || fail "a temporary file was left"
  ;;
params-out-is-output)
  "$CLI" harmonize --model "$MODEL" --image "$IMAGE" --mask "$MASK" -o "$work/x.png" --params-out "$work/x.png" 2>"$work/err"
  [[ $? -eq 1 ]] || fail "exit status"
  grep -q "x.png: given as two outputs" "$work/err" || fail "message"
  [[ ! -e $work/x.png ]] || fail "something was written"
  ;;
fifo-image)
  mkfifo "$work/image.png"
  timeout 20 "$CLI" apply --image "$work/image.png" --mask "$MASK" -o "$work/out.png" 2>"$work/err"
  code=$?
  [[ $code -ne 124 ]] || fail "hung on a FIFO"
  [[ $code -eq 1 ]] || fail "exit $code"
  grep -q "image.png: is not a regular file" "$work/err" || fail "message"
  ;;
batch-interrupt)
  # SIGTERM during a batch (SIGINT is ignored by background jobs of a script): it stops after the image in progress, prints its summary, exits
  # 130 and leaves no temporary file.
  mkdir -p "$work/images" "$work/masks" "$work/results"
  for i in $(seq -w 1 300); do cp "$IMAGE" "$work/images/p$i.png"; cp "$MASK" "$work/masks/p$i.png"; done
  "$CLI" harmonize --model "$MODEL" --image-dir "$work/images" --mask-dir "$work/masks" --out-dir "$work/results" 2>"$work/err" &
  pid=$!
  for _ in $(seq 1 600); do grep -q "\[3/300\]" "$work/err" 2>/dev/null && break; sleep 0.05; done
  kill -TERM $pid
  wait $pid
  code=$?
  grep -q "300 of 300 images harmonized" "$work/err" && { echo "finished before the signal"; exit 77; }
  [[ $code -eq 130 ]] || fail "exit $code, expected 130"
  grep -Eq "[0-9]+ of 300 images harmonized into .*; interrupted, [0-9]+ not started" "$work/err" || fail "no summary"
  [[ $(temporaries "$work/results") -eq 0 ]] || fail "a temporary file was left"
  ;;
apply-interrupt)
  # SIGTERM during a long apply: exit 130, a one-line message, the previous output kept.
  cp "$IMAGE" "$work/out.png"; cp "$work/out.png" "$work/before"
  "$CHECK" make-noise 6000 4000 "$work/big.jpg" "$work/big-mask.png" || fail "fixture"
  "$CLI" apply --image "$work/big.jpg" --mask "$work/big-mask.png" -o "$work/out.png" --contrast 0.5 2>"$work/err" &
  pid=$!
  # Wait until the handler is installed (SIGTERM, bit 15, in /proc's SigCgt mask): the
  # program re-executes itself once at start, and the work follows right after.
  for _ in $(seq 1 150); do
    mask=$(awk '/^SigCgt:/ {print $2}' /proc/$pid/status 2>/dev/null)
    [[ -n $mask ]] && (( (16#$mask >> 14) & 1 )) && break
    sleep 0.02
  done
  sleep 0.2
  kill -TERM $pid
  wait $pid
  code=$?
  [[ $code -eq 0 ]] && { echo "finished before the signal"; exit 77; }
  [[ $code -eq 130 ]] || fail "exit $code, expected 130"
  grep -q "harmonizer-cli apply: interrupted" "$work/err" || fail "message"
  cmp -s "$work/before" "$work/out.png" || fail "the previous output was replaced"
  [[ $(temporaries "$work") -eq 0 ]] || fail "a temporary file was left"
  ;;
*) echo "unknown case $case_"; exit 2 ;;
esac
echo "ok: $case_"
