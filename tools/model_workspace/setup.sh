#!/usr/bin/env bash
# Rebuilds the model work area that the training sessions use, from what is committed and from
# ../shared, so that work on the model restarts on a new machine (models/README.md's commands
# name these paths). Running it again keeps what exists, except shipped_net.hzm when the
# shipped model is newer.
#
#   tools/model_workspace/setup.sh [RUNS_DIR]        (default: ../runs beside the checkout)
#
# Writes, under RUNS_DIR:
#   D.txt, Dval.txt         the trainer's eleven --data folders; the ten with masks (make-evalset)
#   evalsets/Val_{sixfilter,transfer,lut}   the validation sets of models/README.md (474 each)
#   calib1/                 a small training-split set; calibrate needs one even for one setting
#   evalsets/Tune_{sixfilter,transfer,lut}   160 each, validation photos, seed 13: test-time choices
#   shipped_net.hzm         the shipped file's network alone (its statistics head dropped)
#   eval_model.sh MODEL TAG eval of the three families -> TAG_{six,transfer,lut}.json
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
runs=${1:-$(dirname "$root")/runs}
shared=${HZ_SHARED:-$(dirname "$root")/shared}
cli=${HZ_CLI:-$root/build/bin/harmonizer-cli}
[[ -x $cli ]] || { echo "error: $cli is not built (bash packaging/dev.sh test)" >&2; exit 1; }
[[ -d $shared/data ]] || { echo "error: $shared/data not found (set HZ_SHARED)" >&2; exit 1; }
mkdir -p "$runs/evalsets"
data=$shared/data

with_masks=(lalonde_efros bsds500 sod coco_mval davis345 davis2016 grabcut portraits horses hday2night_reals)
dval=""; for f in "${with_masks[@]}"; do dval+="--data $data/$f "; done
echo "$dval--data $data/coco_plain" > "$runs/D.txt"
echo "${dval% }" > "$runs/Dval.txt"
luts=$data/luts/hyoutube

# make_set NAME make-evalset-options...: writes the set under .part/ with its final name (a set's
# list file is named after its folder), then moves it into place, so that an interrupted run
# leaves no set that looks whole. A set that exists is kept.
make_set() {
  local name=$1 final=$2; shift 2
  [[ -d $final ]] && return 0
  rm -rf "$runs/evalsets/.part/$name"
  # shellcheck disable=SC2086
  "$cli" make-evalset $dval --out "$runs/evalsets/.part/$name" "$@"
  mv "$runs/evalsets/.part/$name" "$final"
}
for family in sixfilter transfer lut; do
  make_set "Val_$family" "$runs/evalsets/Val_$family" --family "$family" --split val --seed 7 --luts "$luts"
done
make_set calib1 "$runs/calib1" --family sixfilter --split train --seed 11 --limit 30
# For choices made at test time (such as choose-scales' extra input sizes): validation photos
# with other perturbations than the Val_ sets (seed 13). Not training photos: the network has
# half-memorised those (a choice that helped validation photos by 10% did nothing there).
for family in sixfilter transfer lut; do
  make_set "Tune_$family" "$runs/evalsets/Tune_$family" --family "$family" --split val --seed 13 --luts "$luts" --limit 160
done
# Made again when a newer model has been shipped since.
if [[ ! -f $runs/shipped_net.hzm || $root/models/harmonizer.hzm -nt $runs/shipped_net.hzm ]]; then
  "$cli" calibrate --model "$root/models/harmonizer.hzm" --dataset "$runs/calib1" -o "$runs/shipped_net.hzm" \
    --gains 1 --input-sizes 256 --views 1 --threads "$(nproc)"
fi

cat > "$runs/eval_model.sh" <<EVAL
#!/usr/bin/env bash
# eval_model.sh MODEL TAG: the three validation families at 256, 8 views -> TAG_{six,transfer,lut}.json
set -euo pipefail
cli=\${HZ_CLI:-$cli}
for f in sixfilter:six transfer:transfer lut:lut; do
  "\$cli" eval --dataset "$runs/evalsets/Val_\${f%%:*}" --size 256 --model "\$1" --json --threads "\${HZ_THREADS:-2}" > "\$2_\${f##*:}.json"
done
EVAL
chmod +x "$runs/eval_model.sh"
echo "model work area ready in $runs"
