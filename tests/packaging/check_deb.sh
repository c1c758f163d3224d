#!/usr/bin/env bash
# Builds the Debian package from a built tree, unpacks it into a temporary root and checks
# it the way a user would meet it: files in the standard places, control fields, desktop
# integration, man pages, and the installed harmonizer-cli running on the installed sample
# with its model found relative to itself.
#   check_deb.sh BUILD_DIR SOURCE_DIR VERSION [--with-studio]
set -euo pipefail
build=$1
source=$2
version=$3
with_studio=${4:-}
here=$(cd "$(dirname "$0")" && pwd)
app_id=studio.harmonizer.HarmonizerStudio
failures=0
fail() { echo "FAIL: $*" >&2; failures=$((failures + 1)); }
note() { echo "-- $*"; }

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# ---- Build the package (into the temporary folder, so the build tree stays clean) ----
if ! (cd "$build" && cpack -G DEB -B "$work/cpack") >"$work/cpack.log" 2>&1; then
  cat "$work/cpack.log" >&2
  echo "FAIL: cpack -G DEB failed" >&2
  exit 1
fi
arch=$(dpkg --print-architecture)
deb=$work/cpack/harmonizer-studio_${version}-1_${arch}.deb
if [[ ! -f $deb ]]; then
  ls -l "$work/cpack" >&2
  echo "FAIL: expected package $(basename "$deb") (name with version and architecture)" >&2
  exit 1
fi
note "built $(basename "$deb"), $(du -h "$deb" | cut -f1)"

# ---- Control fields ----
field() { dpkg-deb -f "$deb" "$1"; }
[[ $(field Package) == harmonizer-studio ]] || fail "Package: $(field Package)"
[[ $(field Version) == "$version-1" ]] || fail "Version: $(field Version), expected $version-1"
[[ $(field Section) == graphics ]] || fail "Section: $(field Section)"
[[ $(field Maintainer) == *@* ]] || fail "Maintainer has no address: $(field Maintainer)"
[[ $(field Description) == *harmonizer-cli* ]] || fail "Description does not describe the package: $(field Description)"
depends=$(field Depends)
note "Depends: $depends"
# dpkg-shlibdeps must have resolved the libraries to the Debian packages that ship them.
expected_depends=(libc6 libstdc++6 libtorch libopencv-core libopencv-imgcodecs libqt6core6)
[[ $with_studio == --with-studio ]] && expected_depends+=(libqt6widgets6 qt6-qpa-plugins)
for package in "${expected_depends[@]}"; do
  [[ $depends == *"$package"* ]] || fail "Depends lacks $package"
done

# ---- Contents ----
listing=$(dpkg-deb -c "$deb")
outside=$(awk '{print $6}' <<<"$listing" | grep -vE '^\./(usr/.*)?$' || true)
[[ -z $outside ]] || fail "files outside /usr: $outside"
not_root=$(awk '$2 != "root/root"' <<<"$listing")
[[ -z $not_root ]] || fail "files not owned by root: $not_root"

root=$work/root
dpkg-deb -x "$deb" "$root"
share=$root/usr/share/harmonizer-studio
expect_file() {
  [[ -f $root/$1 && -s $root/$1 ]] || fail "missing or empty in the package: /$1"
}
expect_file usr/bin/harmonizer-cli
[[ -x $root/usr/bin/harmonizer-cli ]] || fail "/usr/bin/harmonizer-cli is not executable"
expect_file usr/bin/harmonizer-cli-full  # the launcher hands every command but --version and apply to it
expect_file usr/share/harmonizer-studio/resources/sample/composite.jpg
expect_file usr/share/harmonizer-studio/resources/sample/mask.png
expect_file usr/share/harmonizer-studio/resources/sample/SOURCE.md
expect_file usr/share/icons/hicolor/scalable/apps/$app_id.svg
expect_file usr/share/icons/hicolor/256x256/apps/$app_id.png
expect_file usr/share/doc/harmonizer-studio/README.md
cmp -s "$source/resources/sample/composite.jpg" "$share/resources/sample/composite.jpg" \
  || fail "installed sample differs from resources/sample/composite.jpg"
if [[ -f $source/models/harmonizer.hzm ]]; then
  expect_file usr/share/harmonizer-studio/models/harmonizer.hzm
  expect_file usr/share/harmonizer-studio/models/README.md
  cmp -s "$source/models/harmonizer.hzm" "$share/models/harmonizer.hzm" \
    || fail "installed model differs from models/harmonizer.hzm"
fi
if command -v readelf >/dev/null; then
  for program in "$root"/usr/bin/* "$root"/usr/lib/harmonizer-studio/*.so; do
    # Installed programs must not look for libraries in the build tree.
    ! readelf -d "$program" | grep -qE 'RPATH|RUNPATH' || fail "$program has an RPATH/RUNPATH"
  done
fi

# ---- Desktop integration (the editor) ----
if [[ $with_studio == --with-studio ]]; then
  expect_file usr/bin/harmonizer-studio
  # The editor's networks (LibTorch), loaded on the first Harmonize from <bin>/../lib/harmonizer-studio.
  expect_file usr/lib/harmonizer-studio/libhz_inference.so
  desktop=$root/usr/share/applications/$app_id.desktop
  metainfo=$root/usr/share/metainfo/$app_id.metainfo.xml
  expect_file usr/share/applications/$app_id.desktop
  expect_file usr/share/metainfo/$app_id.metainfo.xml
  if [[ -f $desktop ]]; then
    exec_program=$(sed -n 's/^Exec=\([^ ]*\).*/\1/p' "$desktop")
    [[ -x $root/usr/bin/$exec_program ]] || fail "desktop file runs '$exec_program', not in /usr/bin"
    grep -qx "Icon=$app_id" "$desktop" || fail "desktop file's Icon is not $app_id"
    if command -v desktop-file-validate >/dev/null; then
      desktop-file-validate "$desktop" || fail "desktop-file-validate rejects $app_id.desktop"
    else
      note "desktop-file-validate not installed: desktop file not validated"
    fi
  fi
  if [[ -f $metainfo ]]; then
    grep -qF "<launchable type=\"desktop-id\">$app_id.desktop</launchable>" "$metainfo" \
      || fail "metainfo does not launch $app_id.desktop"
    grep -qF "<release version=\"$version\"" "$metainfo" \
      || fail "metainfo has no <release> for version $version (add one to resources/desktop/$app_id.metainfo.xml)"
    if command -v appstreamcli >/dev/null; then
      appstreamcli validate --no-net "$metainfo" >"$work/appstream.log" 2>&1 \
        || { cat "$work/appstream.log" >&2; fail "appstreamcli rejects $app_id.metainfo.xml"; }
    else
      note "appstreamcli not installed: metainfo not validated"
    fi
  fi
fi

# ---- Man pages: one per program and per command, matching --help ----
studio_program=()
[[ $with_studio == --with-studio ]] && studio_program=("$root/usr/bin/harmonizer-studio")
"$here/check_manpages.sh" "$root/usr/bin/harmonizer-cli" "$root/usr/share/man/man1" "${studio_program[@]}" \
  || fail "man pages in the package do not match the installed harmonizer-cli --help"

# ---- The installed CLI on the installed sample ----
cli=$root/usr/bin/harmonizer-cli
[[ $("$cli" --version) == *"$version"* ]] || fail "harmonizer-cli --version does not print $version"
sample=$share/resources/sample
if "$cli" apply --image "$sample/composite.jpg" --mask "$sample/mask.png" -o "$work/applied.png" \
     --temperature 0.4 --brightness 0.2; then
  [[ -s $work/applied.png ]] || fail "harmonizer-cli apply wrote no output"
  if command -v file >/dev/null; then
    # The output keeps the input's size.
    size_of() { file -b "$1" | grep -oE '[0-9]+ ?x ?[0-9]+' | tr -d ' ' | tail -1; }  # JPEG: density first, size last
    [[ $(size_of "$sample/composite.jpg") == "$(size_of "$work/applied.png")" ]] \
      || fail "applied image is $(size_of "$work/applied.png"), the sample is $(size_of "$sample/composite.jpg")"
  fi
  note "installed harmonizer-cli apply: ok"
else
  fail "installed harmonizer-cli apply failed on the installed sample"
fi
if [[ -f $share/models/harmonizer.hzm ]]; then
  # No --model: the installed program has to find the installed model relative to itself.
  if "$cli" harmonize --image "$sample/composite.jpg" --mask "$sample/mask.png" -o "$work/harmonized.jpg" \
       --params-out "$work/harmonized.json"; then
    [[ -s $work/harmonized.jpg ]] || fail "harmonizer-cli harmonize wrote no image"
    grep -q temperature "$work/harmonized.json" || fail "harmonize --params-out has no filter values"
    note "installed harmonizer-cli harmonize with the installed model: ok ($(tr -d '\n ' <"$work/harmonized.json"))"
  else
    fail "installed harmonizer-cli harmonize failed on the installed sample"
  fi
else
  note "SKIPPED harmonize: the package ships no model (models/harmonizer.hzm is not in the source tree)"
fi

# ---- The installed editor: Harmonize loads its network module from <bin>/../lib ----
if [[ $with_studio == --with-studio && -f $share/models/harmonizer.hzm ]]; then
  if QT_QPA_PLATFORM=offscreen XDG_CONFIG_HOME=$work/config "$root/usr/bin/harmonizer-studio" \
       --screenshot "$work/studio.png" --harmonize >"$work/studio.log" 2>&1 \
     && [[ -s $work/studio.png ]] && ! grep -q "note:" "$work/studio.log"; then
    note "installed harmonizer-studio harmonized the sample with the installed module and model: ok"
  else
    cat "$work/studio.log" >&2
    fail "installed harmonizer-studio could not harmonize the installed sample"
  fi
fi

((failures == 0)) || { echo "$failures package check(s) failed" >&2; exit 1; }
echo "package ok: $(basename "$deb")"
