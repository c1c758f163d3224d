#!/usr/bin/env bash
# Checks that the man pages say what the programs' --help says:
#   check_manpages.sh CLI MAN1_DIR [STUDIO]
# - a page for harmonizer-cli and for every command `harmonizer-cli --help` lists
#   (plus harmonizer-studio.1 when the editor STUDIO is given),
# - every option of every `--help` appears in its page, every command in harmonizer-cli.1,
# - the pages render without groff warnings (when groff is installed).
set -euo pipefail
cli=$1
man1=$2
studio=${3:-}
failures=0
fail() { echo "FAIL: $*" >&2; failures=$((failures + 1)); }

# Prints a page's roff source (pages may be gzip-compressed).
page_source() {
  if [[ -f $man1/$1.1.gz ]]; then gzip -dc "$man1/$1.1.gz"
  elif [[ -f $man1/$1.1 ]]; then cat "$man1/$1.1"
  else return 1
  fi
}

# Options as the help text prints them in its left column: "--image", "-o", "--output".
options_in_help() {
  grep -E '^  -' | sed -E 's/^ +//; s/  +.*//' | tr ',' '\n' | sed -E 's/^ +//; s/ .*//' | grep -E '^-'
}

check_page() {
  local page=$1 help=$2 source
  if ! source=$(page_source "$page"); then
    fail "no man page $page.1 in $man1"
    return
  fi
  while read -r option; do
    [[ -n $option ]] || continue
    local escaped=${option//-/\\-}
    # Each option is an entry of the page, set in bold as the generator writes it.
    grep -qF -- "\\fB$escaped\\fR" <<<"$source" || fail "$page.1 does not document option $option from its --help"
  done < <(options_in_help <<<"$help")
  if command -v groff >/dev/null; then
    local warnings
    # (Not "cannot adjust line": long paths in the help text are fine unhyphenated.)
    warnings=$(groff -man -Tutf8 -ww -Wbreak -z <<<"$source" 2>&1 || true)
    [[ -z $warnings ]] || fail "$page.1: groff warnings: $warnings"
  fi
}

overview=$("$cli" --help) || { echo "FAIL: $cli --help failed" >&2; exit 1; }
commands=$(sed -n '/^Commands:$/,/^$/p' <<<"$overview" | grep -E '^  [a-z]' | awk '{print $1}')
[[ -n $commands ]] || fail "harmonizer-cli --help lists no commands"

check_page harmonizer-cli "$overview"
for command in $commands; do
  page_source harmonizer-cli | grep -qF "harmonizer\\-cli\\-${command//-/\\-}" \
    || fail "harmonizer-cli.1 does not point to harmonizer-cli-$command(1)"
  if help=$("$cli" "$command" --help); then
    check_page "harmonizer-cli-$command" "$help"
  else
    fail "harmonizer-cli $command --help failed"
  fi
done
if [[ -n $studio ]]; then
  # Qt needs a platform even to print help; offscreen needs no display.
  if help=$(QT_QPA_PLATFORM=offscreen "$studio" --help 2>/dev/null); then
    check_page harmonizer-studio "$help"
  else
    fail "$studio --help failed"
  fi
fi

echo "man pages checked: harmonizer-cli, $(wc -w <<<"$commands") commands ($(echo $commands))${studio:+, harmonizer-studio}"
((failures == 0)) || { echo "$failures man page check(s) failed" >&2; exit 1; }
