#!/usr/bin/env bash
# Builds the one-folder frozen app in dist/enclave (Linux, macOS; Windows: see windows/README.md).
#
#   1. a build venv of its own (build/bundle-venv): the developer's .venv is left as it is;
#   2. llama-cpp-python compiled for the whole fleet (packaging/build_llama_wheel.sh, cached);
#   3. the runtime dependencies from pyproject.toml and the `package` extra (PyInstaller);
#   4. the default model assembled once (sha256-checked), the .qm translations compiled;
#   5. PyInstaller on installer.spec.
# Prints the bundle's path and size at the end. Safe to run again: finished steps are skipped.
set -euo pipefail
cd "$(dirname "$0")/.."
root="$PWD"
venv="${ENCLAVE_BUILD_VENV:-$root/build/bundle-venv}"
python="$venv/bin/python"
export PIP_DISABLE_PIP_VERSION_CHECK=1

step() { echo "== $*" >&2; }

if [ ! -x "$python" ]; then
  step "creating the build venv $venv"
  "${PYTHON:-python3}" -m venv "$venv"
fi

wheel="$(packaging/build_llama_wheel.sh "$python" | tail -n1)"

stamp="$venv/.enclave-bundle-deps"
if [ ! -f "$stamp" ] || [ pyproject.toml -nt "$stamp" ] || [ "$(cat "$stamp")" != "$wheel" ]; then
  step "installing the runtime dependencies into the build venv"
  deps=()
  while IFS= read -r dep; do deps+=("$dep"); done < <("$python" - <<'EOF'
import tomllib
project = tomllib.load(open("pyproject.toml", "rb"))["project"]
for dep in project["dependencies"] + project["optional-dependencies"]["package"]:
    if not dep.startswith("llama-cpp-python"):
        print(dep)
EOF
)
  "$python" -m pip install -q --force-reinstall --no-deps "$wheel"
  "$python" -m pip install -q "$wheel" "${deps[@]}"
  echo "$wheel" > "$stamp"
fi

# The assembled default model (253 MB): the same code as the app's first start, so the same
# checksum check; kept in build/model between runs.
model_dir="$root/build/model"
step "assembling the default model in $model_dir"
model="$("$python" -c "
import sys; sys.path.insert(0, '.')
from pathlib import Path
from app.core.default_model import ensure_default_model
print(ensure_default_model(Path('$model_dir')))
")"

# Translations: the UI keeps its built .qm files beside the .ts sources; one that is missing is
# compiled here so that no language silently drops out of the bundle.
lrelease="$("$python" -c 'import PySide6, pathlib; print(pathlib.Path(PySide6.__file__).parent / "lrelease")')"
for ts in resources/translations/*.ts; do
  [ -e "$ts" ] || continue
  qm="${ts%.ts}.qm"
  if [ ! -f "$qm" ]; then
    step "compiling $ts"
    "$lrelease" -silent "$ts" -qm "$qm"
  fi
done

step "running PyInstaller"
ENCLAVE_MODEL_FILE="$model" "$venv/bin/pyinstaller" --noconfirm --clean --log-level WARN \
  --distpath "$root/dist" --workpath "$root/build/pyinstaller" installer.spec >&2

bundle="$root/dist/enclave"
# Linux has no console/windowed distinction: the two programs come out byte-identical (each
# with the Python archive inside), so one links to the other.
if [ "$(uname -s)" = "Linux" ] && cmp -s "$bundle/enclave" "$bundle/enclave-gui"; then
  ln -sf enclave "$bundle/enclave-gui"
fi
size="$("$python" -c 'import os, sys; print(sum(os.lstat(os.path.join(d, f)).st_size
  for d, _, fs in os.walk(sys.argv[1]) for f in fs))' "$bundle")"
step "bundle: $bundle, $(( size >> 20 )) MiB ($size bytes)"
echo "$bundle"
