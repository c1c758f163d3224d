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
  # OpenCV's FFmpeg writer rounds an odd width or height down with every codec (the output
  # used to come out one pixel smaller while the summary printed the input size). Since it
  # cannot write an odd-sized clip at all, the writer itself is exercised through video_tool,
  # which writes through the same AtomicVideoWriter as the video command.
  for ext in mp4 mkv avi; do
    "$TOOL" clip "$work/odd.$ext" 65 49 3 25 2>"$work/err"
    [[ $? -eq 1 ]] || fail "an odd size was accepted for .$ext"
    grep -q "odd.$ext: the video is 65x49; the video encoders only keep an even width and height" "$work/err" || fail "message"
    [[ ! -e $work/odd.$ext ]] || fail "an output was written"
  done
  ;;
damaged-middle)
  # A tenth of a 60-frame clip overwritten in the middle: either an error naming the file, or
  # every frame - never a silently shorter video.
  "$TOOL" clip "$work/damaged.mkv" 64 48 60 30 || fail "fixture"
  size=$(stat -c %s "$work/damaged.mkv")
  dd if=/dev/zero of="$work/damaged.mkv" bs=1 seek=$(( size / 2 )) count=$(( size / 10 )) conv=notrunc status=none
  "$CLI" video --composite "$work/damaged.mkv" --mask "$DIR/mask.png" --model "$DIR/random.hzm" -o "$work/out.mkv" 2>"$work/err"
  code=$?
  if [[ $code -eq 0 ]]; then
    "$TOOL" info "$work/out.mkv" 60 64 48 30 || fail "exit 0 but the output is not the whole video"
  else
    grep -q "damaged.mkv" "$work/err" || fail "the error does not name the file"
    # Progress lines come once a second, so a loaded machine prints more of them: not counted.
    [[ $(grep -vc " frames, .* fps, ETA " "$work/err") -le 3 ]] || fail "more than a short message"
    grep -q "^\[" "$work/err" && fail "FFmpeg's own lines were printed"
  fi
  ;;
*) echo "unknown case"; exit 2 ;;
esac
echo "ok: $case_"
