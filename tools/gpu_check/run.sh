#!/usr/bin/env bash
# Builds tools/gpu_check on its own (LibTorch only: no Qt, no OpenCV) and runs it.
# The JSON goes to stdout and, when $OUT is set, to $OUT/gpu_check.json (with the build log
# next to it). Arguments are passed to gpu_check (e.g. --require-cuda, --iterations 50).
#
# LibTorch, first found wins:
#   1. Torch_DIR or CMAKE_PREFIX_PATH in the environment: find_package(Torch) with them;
#   2. GPU_CHECK_TORCH_ROOT=<folder with include/ and lib/libtorch.so>: those files directly;
#   3. python3's torch (a pip wheel): find_package with torch.utils.cmake_prefix_path, and when
#      that configure fails (the wheel's TorchConfig wants a CUDA toolkit with nvcc), the
#      wheel's files directly; without cmake, one compiler call per source;
#   4. the system's LibTorch (Debian: /usr/lib/x86_64-linux-gnu/cmake/Torch, CPU only).
# Exit status: gpu_check's (0 pass or CUDA skipped, 1 a check failed, 2 bad arguments,
# 3 no CUDA with --require-cuda); 4 no LibTorch found; 5 configure or build failed.
set -u -o pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/../.." && pwd)
build=${GPU_CHECK_BUILD_DIR:-$root/build-gpu-check}
python=${GPU_CHECK_PYTHON:-python3}
jobs=$(nproc 2>/dev/null || echo 4)
mkdir -p "$build"
log=$build/build.log
: >"$log"
[ -n "${OUT:-}" ] && mkdir -p "$OUT"

say() { echo "gpu_check/run.sh: $*" >&2; echo "== $*" >>"$log"; }

finish() {  # finish CODE JSON_FILE
    cat "$2"
    if [ -n "${OUT:-}" ]; then
        cp "$2" "$OUT/gpu_check.json"
        cp "$log" "$OUT/gpu_check_build.log"
    fi
    exit "$1"
}

fail() {  # fail CODE STAGE MESSAGE: one JSON object even when nothing could be built
    say "$3"
    local message=${3//\\/\\\\}
    message=${message//\"/\\\"}
    printf '{"tool": "gpu_check", "result": "error", "stage": "%s", "error": "%s", "exit_code": %s}\n' \
        "$2" "$message" "$1" >"$build/gpu_check.json"
    [ -f "$log" ] && tail -n 30 "$log" >&2
    finish "$1" "$build/gpu_check.json"
}

start=$(date +%s)
# As every program of the project does (core/runtime.h): libgomp's spinning workers otherwise
# make CPU timings depend on whatever else runs on the machine.
export OMP_WAIT_POLICY=${OMP_WAIT_POLICY:-PASSIVE}
py_root="" py_prefix="" abi=${GPU_CHECK_CXX11_ABI:-}
# One interpreter start (importing torch takes seconds): root, cmake prefix, ABI, versions.
if py_info=$("$python" -c 'import os, torch, torch.utils
print(os.path.dirname(torch.__file__)); print(torch.utils.cmake_prefix_path)
print(int(torch._C._GLIBCXX_USE_CXX11_ABI)); print(torch.__version__, "cuda", torch.version.cuda)' 2>/dev/null); then
    { read -r py_root; read -r py_prefix; read -r py_abi; read -r py_version; } <<<"$py_info"
    abi=${abi:-$py_abi}
    say "python torch $py_version in $py_root"
fi
abi=${abi:-1}

# The configure attempts, in order: "config:<prefix or empty>" or "files:<torch root>".
attempts=()
if [ -n "${Torch_DIR:-}" ] || [ -n "${CMAKE_PREFIX_PATH:-}" ]; then
    attempts+=("config:")
elif [ -n "${GPU_CHECK_TORCH_ROOT:-}" ]; then
    attempts+=("files:$GPU_CHECK_TORCH_ROOT")
elif [ -n "$py_root" ]; then
    attempts+=("config:$py_prefix" "files:$py_root")
else
    attempts+=("config:")
fi

gpu_name=""
if command -v nvidia-smi >/dev/null 2>&1; then
    gpu_name=$(nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader 2>/dev/null | head -n 1)
    say "nvidia-smi: ${gpu_name:-no answer}"
fi

exe="" source=""
if command -v cmake >/dev/null 2>&1 && [ -z "${GPU_CHECK_NO_CMAKE:-}" ]; then
    generator=()
    command -v ninja >/dev/null 2>&1 && generator=(-G Ninja)
    launcher=()
    command -v ccache >/dev/null 2>&1 && launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache)
    for attempt in "${attempts[@]}"; do
        kind=${attempt%%:*} value=${attempt#*:}
        rm -rf "$build/cmake"
        args=(-S "$here" -B "$build/cmake" -DCMAKE_BUILD_TYPE=Release "${generator[@]}" "${launcher[@]}")
        if [ "$kind" = files ]; then
            args+=(-DHZ_TORCH_PYTHON_ROOT="$value" -DHZ_TORCH_CXX11_ABI="$abi")
            source="files of $value"
        elif [ -n "$value" ]; then
            args+=(-DCMAKE_PREFIX_PATH="$value")
            source="find_package(Torch) in $value"
        else
            source="find_package(Torch) (Torch_DIR=${Torch_DIR:-} CMAKE_PREFIX_PATH=${CMAKE_PREFIX_PATH:-})"
        fi
        say "configure: $source"
        if cmake "${args[@]}" >>"$log" 2>&1; then
            exe=$build/cmake/gpu_check
            break
        fi
        say "configure failed with $source"
    done
    [ -z "$exe" ] && fail 4 configure "no usable LibTorch found (tried: ${attempts[*]}); see the build log"
    say "build with $jobs jobs"
    cmake --build "$build/cmake" -j "$jobs" >>"$log" 2>&1 || fail 5 build "the build failed; see the build log"
else
    # No cmake: compile the three sources straight against a torch folder's files.
    torch_root=${GPU_CHECK_TORCH_ROOT:-$py_root}
    [ -z "$torch_root" ] && fail 4 configure "no cmake and no torch folder (python3 torch or GPU_CHECK_TORCH_ROOT)"
    source="files of $torch_root (no cmake)"
    say "compile: $source"
    cxx=${CXX:-c++}
    flags=(-O2 -DNDEBUG -std=c++17 -fPIC -D_GLIBCXX_USE_CXX11_ABI="$abi" -I"$root"
           -isystem "$torch_root/include" -isystem "$torch_root/include/torch/csrc/api/include"
           -DHZ_DEFAULT_MODEL="\"$root/models/harmonizer.hzm\"")
    mkdir -p "$build/direct"
    pids=()
    for src in core/model/network.cpp core/model/hzm_container.cpp tools/gpu_check/gpu_check.cpp; do
        "$cxx" "${flags[@]}" -c "$root/$src" -o "$build/direct/$(basename "$src" .cpp).o" >>"$log" 2>&1 &
        pids+=($!)
    done
    for pid in "${pids[@]}"; do wait "$pid" || fail 5 build "compiling failed; see the build log"; done
    libs=(-ltorch -ltorch_cpu -lc10)
    for lib in torch_cuda c10_cuda; do [ -f "$torch_root/lib/lib$lib.so" ] && libs+=(-l$lib); done
    "$cxx" -o "$build/direct/gpu_check" "$build"/direct/*.o -Wl,--no-as-needed,--allow-shlib-undefined -L"$torch_root/lib" "${libs[@]}" \
        -Wl,-rpath,"$torch_root/lib" -pthread >>"$log" 2>&1 || fail 5 build "linking failed; see the build log"
    exe=$build/direct/gpu_check
fi
say "built in $(( $(date +%s) - start )) s; running $exe $*"

"$exe" --torch-source "$source" ${gpu_name:+--gpu-name "$gpu_name"} "$@" >"$build/gpu_check.json" 2>>"$log"
rc=$?
[ "$rc" -ne 0 ] && tail -n 20 "$log" >&2
say "gpu_check exited $rc after $(( $(date +%s) - start )) s in all"
# A crash before the JSON was written still leaves one object to read.
if ! grep -q '"tool"' "$build/gpu_check.json"; then
    fail "$rc" run "gpu_check exited $rc without printing its JSON; see the build log"
fi
finish "$rc" "$build/gpu_check.json"
