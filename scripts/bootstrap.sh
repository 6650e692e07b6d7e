#!/usr/bin/env bash
# Sets up everything Enclave needs on a fresh machine: Debian libraries for Qt (when apt-get is
# available and we may use it), a virtual environment in .venv and the Python packages.
# Safe to run again: each step is skipped when already done.
set -euo pipefail
cd "$(dirname "$0")/.."

DEBIAN_PACKAGES=(
  libegl1 libgl1 libfontconfig1 libxkbcommon0 libdbus-1-3 libglib2.0-0
  libxkbcommon-x11-0 libxcb-cursor0 libxcb-icccm4 libxcb-keysyms1 libxcb-image0
  libxcb-render-util0 libxcb-shape0 libxcb-randr0 libxcb-xinerama0 libxcb-xkb1
  xvfb xauth fonts-dejavu-core cmake build-essential
  strace  # the zero-network proof watches socket system calls with it (tests/proof)
  gnome-keyring dbus-daemon  # a real Secret Service for the history-key tests (.ci/run)
)

install_debian_packages() {
  command -v apt-get >/dev/null 2>&1 || return 0
  local missing=()
  for pkg in "${DEBIAN_PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "ok installed" || missing+=("$pkg")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  local sudo=""
  if [ "$(id -u)" -ne 0 ]; then
    if sudo -n true 2>/dev/null; then sudo="sudo"; else
      echo "Please install these Debian packages first: sudo apt-get install ${missing[*]}" >&2
      return 0
    fi
  fi
  echo "Installing Debian packages: ${missing[*]}"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
}

install_python_packages() {
  local python="${PYTHON:-python3}"
  [ -x .venv/bin/python ] || "$python" -m venv .venv
  # llama-cpp-python compiles llama.cpp from source here (several minutes the first time;
  # pip's wheel cache makes later installs fast).
  local stamp=.venv/.enclave-installed
  if [ ! -f "$stamp" ] || [ pyproject.toml -nt "$stamp" ]; then
    CMAKE_BUILD_PARALLEL_LEVEL="${CMAKE_BUILD_PARALLEL_LEVEL:-$(nproc 2>/dev/null || echo 2)}" \
      .venv/bin/python -m pip install --disable-pip-version-check -q -e ".[test]"
    touch "$stamp"
  fi
}

install_debian_packages
install_python_packages
