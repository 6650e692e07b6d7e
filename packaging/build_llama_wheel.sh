#!/usr/bin/env bash
# Builds the llama-cpp-python wheel that goes into the frozen bundle: compiled WITHOUT the build
# machine's own CPU instructions, with every x86-64 CPU variant of llama.cpp's CPU backend as a
# separate library; at run time ggml loads the best variant the desktop's CPU can run.
#
# pip's own wheel cache cannot tell builds with different CMAKE_ARGS apart (it would hand back
# the developer's -march=native wheel), so the result is kept in a wheelhouse of its own, keyed
# by version, CMake arguments and machine: a second run finds it and compiles nothing.
#
# Usage: packaging/build_llama_wheel.sh PYTHON   -> prints the wheel's path on the last line
set -euo pipefail
cd "$(dirname "$0")/.."

python="${1:?usage: build_llama_wheel.sh PYTHON}"
version="$(sed -n 's/.*"llama-cpp-python==\([^"]*\)".*/\1/p' pyproject.toml)"
[ -n "$version" ] || { echo "llama-cpp-python is not pinned in pyproject.toml" >&2; exit 1; }

# GGML_NATIVE=OFF: no -march=native. GGML_BACKEND_DL + GGML_CPU_ALL_VARIANTS: one CPU backend
# per instruction-set level (x64, sse42, sandybridge, haswell, skylakex, icelake, alderlake, …),
# chosen at run time. LLAVA_BUILD=OFF: Enclave uses no vision model, so libmtmd is not built.
fleet_args="-DGGML_NATIVE=OFF -DGGML_BACKEND_DL=ON -DGGML_CPU_ALL_VARIANTS=ON -DLLAVA_BUILD=OFF"
case "$(uname -s)" in
  Darwin) fleet_args="-DGGML_NATIVE=OFF -DLLAVA_BUILD=OFF" ;;  # Metal; see macos/README.md
esac
key="$("$python" -c 'import hashlib, sys; print(hashlib.sha256(sys.argv[1].encode()).hexdigest()[:12])' \
  "$version|$fleet_args|$(uname -sm)")"
wheelhouse="${ENCLAVE_WHEELHOUSE:-${XDG_CACHE_HOME:-$HOME/.cache}/enclave-build/wheels}/llama-$version-$key"

wheel="$(ls "$wheelhouse"/llama_cpp_python-"$version"-*.whl 2>/dev/null | head -n1 || true)"
if [ -z "$wheel" ]; then
  echo "== compiling llama-cpp-python $version for the fleet ($fleet_args); several minutes" >&2
  mkdir -p "$wheelhouse"
  start=$(date +%s)
  CMAKE_ARGS="$fleet_args" \
  CMAKE_BUILD_PARALLEL_LEVEL="${CMAKE_BUILD_PARALLEL_LEVEL:-$(nproc 2>/dev/null || echo 2)}" \
    "$python" -m pip wheel --disable-pip-version-check --no-deps --no-cache-dir \
      --no-binary llama-cpp-python "llama-cpp-python==$version" -w "$wheelhouse" >&2
  echo "== llama-cpp-python compiled in $(( $(date +%s) - start )) s" >&2
  wheel="$(ls "$wheelhouse"/llama_cpp_python-"$version"-*.whl | head -n1)"
fi
echo "$wheel"
