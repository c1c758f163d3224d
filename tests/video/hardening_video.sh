#!/usr/bin/env bash
# hardening_video.sh CASE CLI TOOL DIR: video outputs that must never be wrong silently.
# DIR holds the fixtures of `video_tool fixtures` (composite.mp4, mask.png, random.hzm).
set -u
case_=$1; CLI=$2; TOOL=$3; DIR=$4
work=$DIR/hardening-$case_
rm -rf "$work"; mkdir -p "$work"
fail() { echo "FAIL: $*"; [[ -f $work/err ]] && { echo "stderr:"; cat "$work/err"; }; exit 1; }
case $case_ in
full-disk-mp4)
  # A file-size limit (SIGXFSZ ignored, so writes fail as on a full disk): the truncated
  # video must not replace the previous one, and the command must not report success.
  "$TOOL" clip "$work/long.mkv" 64 48 120 30 || fail "fixture"
  "$CLI" video --composite "$work/long.mkv" --mask "$DIR/mask.png" --model "$DIR/random.hzm" -o "$work/out.mp4" 2>/dev/null || fail "first write"
  cp "$work/out.mp4" "$work/before"
  limit_kb=$(( $(stat -c %s "$work/before") / 1024 / 2 ))
  (( limit_kb >= 1 )) || { echo "output too small to provoke"; exit 77; }
  ( trap '' XFSZ; ulimit -f "$limit_kb"
    exec "$CLI" video --composite "$work/long.mkv" --mask "$DIR/mask.png" --model "$DIR/random.hzm" -o "$work/out.mp4" --amount 0.5 ) 2>"$work/err"
  code=$?
  [[ $code -eq 1 ]] || fail "exit $code, expected 1"
  grep -q "out.mp4: not written" "$work/err" || fail "message"
  cmp -s "$work/before" "$work/out.mp4" || fail "the previous video was replaced"
  [[ -z $(find "$work" -maxdepth 1 -name '.out.mp4.tmp-*') ]] || fail "a temporary file was left"
  ;;
odd-size)
  # 4:2:0 codecs drop an odd row or column: refused clearly, and ffv1 keeps the size.
  "$TOOL" clip "$work/odd.mkv" 65 49 5 25 || fail "fixture"
  "$TOOL" clip "$work/odd-mask.mkv" 65 49 5 25 || fail "fixture"
  "$CLI" video --composite "$work/odd.mkv" --mask "$work/odd-mask.mkv" --model "$DIR/random.hzm" -o "$work/out.mp4" 2>"$work/err"
  [[ $? -eq 1 ]] || fail "odd size accepted for mp4v"
  grep -q "needs an even width and height, the video is 65x49" "$work/err" || fail "message"
  [[ ! -e $work/out.mp4 ]] || fail "an output was written"
  "$CLI" video --composite "$work/odd.mkv" --mask "$work/odd-mask.mkv" --model "$DIR/random.hzm" -o "$work/out.mkv" 2>"$work/err" || fail "ffv1 run"
  grep -q "65x49" "$work/err" || fail "summary does not print the real size"
  "$TOOL" info "$work/out.mkv" 5 65 49 25 || fail "written size"
  ;;
damaged-middle)
  # Bytes overwritten in the middle: either an error naming the file, or every frame - never
  # a silently shorter video.
  cp "$DIR/composite.mp4" "$work/damaged.mp4"
  size=$(stat -c %s "$work/damaged.mp4")
  dd if=/dev/zero of="$work/damaged.mp4" bs=1 seek=$(( size / 2 )) count=$(( size / 4 )) conv=notrunc status=none
  "$CLI" video --composite "$work/damaged.mp4" --mask "$DIR/mask.png" --model "$DIR/random.hzm" -o "$work/out.mkv" 2>"$work/err"
  code=$?
  if [[ $code -eq 0 ]]; then
    "$TOOL" info "$work/out.mkv" 10 64 48 30 || fail "exit 0 but the output is not the whole video"
  else
    grep -q "damaged.mp4" "$work/err" || fail "the error does not name the file"
    [[ $(wc -l <"$work/err") -le 3 ]] || fail "more than a short message"
  fi
  ;;
*) echo "unknown case"; exit 2 ;;
esac
echo "ok: $case_"
