#!/usr/bin/env bash
# One entry point for the README's quick start and for CI.
#   packaging/dev.sh run    install what is missing, build, open the editor on the bundled sample
#   packaging/dev.sh test   install what is missing, build, run the whole test suite (CTest)
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
build=${HZ_BUILD_DIR:-$root/build}
mode=${1:-}

# Debian 12 packages the build, the tests and the run need.
# Photo I/O (core/photo): Exiv2 metadata, Little CMS colour, libheif HEIC/AVIF (Debian's
# libheif1 1.15 has the libde265/dav1d/aom decoders and the x265/aom encoders the tests use
# built in), libwebpmux and libpng for WebP's and PNG's own metadata chunks.
packages=(cmake ninja-build g++ pkg-config qt6-base-dev libtorch-dev libopencv-dev
          libexiv2-dev liblcms2-dev libheif-dev
          libgl-dev libjpeg62-turbo-dev libpng-dev libtiff-dev libwebp-dev xvfb xauth dpkg-dev file desktop-file-utils appstream)

install_missing() {
  local missing=()
  for p in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
  ((${#missing[@]} == 0)) && return 0
  echo "Installing: ${missing[*]}"
  local sudo=()
  ((EUID == 0)) || sudo=(sudo)
  "${sudo[@]}" apt-get update -qq
  DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}"
}

build_all() {
  # ccache, when installed, makes a rebuild in a fresh clone cheap; paths are hashed relative
  # to the checkout, so clones in other folders share the cache.
  local launcher=()
  if command -v ccache >/dev/null 2>&1; then
    launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache)
    export CCACHE_BASEDIR="${CCACHE_BASEDIR:-$root}" CCACHE_NOHASHDIR="${CCACHE_NOHASHDIR:-1}"
  fi
  cmake -S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release "${launcher[@]}"
  cmake --build "$build" -j"$(nproc)"
}

case "$mode" in
  run)
    install_missing
    build_all
    if [[ -x "$build/bin/harmonizer-studio" ]]; then
      exec "$build/bin/harmonizer-studio" "${@:2}"
    fi
    # Until the editor exists: harmonize the bundled sample from the command line.
    "$build/bin/harmonizer-cli" harmonize --image resources/sample/composite.jpg --mask resources/sample/mask.png \
      -o "$build/sample-harmonized.jpg" --params-out "$build/sample-harmonized.json"
    echo "Wrote $build/sample-harmonized.jpg"
    ;;
  test)
    install_missing
    build_all
    cd "$build"
    ctest --output-on-failure -j2 --timeout 1500
    ;;
  *)
    echo "usage: packaging/dev.sh run|test" >&2
    exit 2
    ;;
esac
