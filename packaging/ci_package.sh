#!/usr/bin/env bash
# CI packaging stage, run after the tests (.ci/run): from a clean checkout it
#   1. builds the one-folder bundle (fleet-safe llama.cpp in its own build venv, cached wheel);
#   2. runs the frozen `enclave self-test --json` with a clean environment;
#   3. builds the .deb and the .tar.gz (one script) and checks them (tests/packaging);
#   4. installs the .deb, runs the INSTALLED /usr/bin/enclave self-test with a clean environment;
#   5. opens the installed app's window under Xvfb: time to window, screenshot;
#   6. removes the package and checks that the user's data stayed;
#   7. prints the bundle and package sizes and the figures above.
# Needs root or password-less sudo for apt-get/dpkg. Artifacts and reports go to dist/.
set -euo pipefail
cd "$(dirname "$0")/.."
root="$PWD"
t0=$(date +%s)
report="$root/dist/ci-package-report.txt"
mkdir -p "$root/dist"
: > "$report"

say() { echo "== $*" | tee -a "$report"; }
elapsed() { echo "$(( $(date +%s) - t0 )) s"; }
sudo=""
if [ "$(id -u)" -ne 0 ]; then sudo="sudo -n"; fi

# Tools for packaging checks (Debian names). Installed once; later runs skip this.
tools=(xvfb xauth xdotool x11-utils imagemagick desktop-file-utils wixl msitools)
missing=()
for pkg in "${tools[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "ok installed" || missing+=("$pkg")
done
if [ ${#missing[@]} -gt 0 ]; then
  say "installing packaging tools: ${missing[*]}"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# 1. The bundle ---------------------------------------------------------------------------
say "building the bundle ($(elapsed))"
bundle="$(packaging/build_bundle.sh | tail -n1)"
say "bundle built ($(elapsed)): $bundle"

clean_run() {  # a clean environment: an empty HOME, no venv, nothing from this shell
  local home; home="$(mktemp -d)"
  env -i HOME="$home" PATH=/usr/bin:/bin LANG=C.UTF-8 "$@"
}

# 2. The frozen self-test, straight from dist/ -------------------------------------------
say "frozen self-test: $bundle/enclave self-test --json"
clean_run "$bundle/enclave" self-test --json | tee "$root/dist/self-test-frozen.json"

# 3. Packages, and the tests that inspect them --------------------------------------------
say "building the .deb and the .tar.gz ($(elapsed))"
mapfile -t pkgs < <(ENCLAVE_BUNDLE="$bundle" packaging/linux/build.sh | tail -n2)
deb="${pkgs[0]}"; tarball="${pkgs[1]}"
say "checking the bundle, the packages and the installer sources (tests/packaging)"
ENCLAVE_BUNDLE_DIR="$bundle" ENCLAVE_DEB="$deb" ENCLAVE_TARBALL="$tarball" \
  QT_QPA_PLATFORM=offscreen .venv/bin/python -m pytest -q -p no:cacheprovider \
  tests/packaging/test_artifacts.py tests/packaging/test_installer_sources.py

# 4. Install the .deb; run the installed self-test ----------------------------------------
say "installing $deb"
$sudo dpkg -r enclave >/dev/null 2>&1 || true
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "$deb" >/dev/null
trap '$sudo dpkg -r enclave >/dev/null 2>&1 || true' EXIT  # never leave it installed on failure
user_home="$(mktemp -d)"
say "installed self-test: env -i HOME=$user_home PATH=/usr/bin:/bin enclave self-test --json"
env -i HOME="$user_home" PATH=/usr/bin:/bin LANG=C.UTF-8 enclave self-test --json \
  | tee "$root/dist/self-test-installed.json"
python3 - "$root/dist/self-test-installed.json" <<'EOF'
import json, sys
report = json.load(open(sys.argv[1]))
assert report["ok"], "the installed self-test failed"
print("installed self-test: ok;", ", ".join(c["name"] for c in report["checks"]),
      f"| load {report['load_s']} s, decode {report['decode_tokens_per_s']} tokens/s")
EOF

# No network needed: the same check in a network namespace without any interface but lo.
if unshare -rn true 2>/dev/null; then
  env -i HOME="$(mktemp -d)" PATH=/usr/bin:/bin LANG=C.UTF-8 unshare -rn enclave self-test >/dev/null
  say "installed self-test passes with no network at all (unshare -rn)"
fi

# 5. The installed app's window under Xvfb ------------------------------------------------
shot="$root/dist/enclave-window.png"
say "opening the installed app's window under Xvfb"
window_out="$(xvfb-run -a -s "-screen 0 1280x800x24" \
  packaging/linux/window_check.sh "$shot" /usr/bin/enclave-gui)"
echo "$window_out"
ttw="$(sed -n 's/^time_to_window_s=//p' <<<"$window_out")"

# 6. Remove: the user's data must stay ----------------------------------------------------
say "removing the package (dpkg -r)"
$sudo dpkg -r enclave >/dev/null
test ! -e /usr/bin/enclave
test -f "$user_home/.local/share/Enclave/enclave.sqlite3"
say "user data kept after removal: $user_home/.local/share/Enclave"

# 7. Figures --------------------------------------------------------------------------------
say "bundle size:   $(du -sh "$bundle" | cut -f1) ($(du -sb "$bundle" | cut -f1) bytes) $bundle"
say "deb size:      $(du -h "$deb" | cut -f1) ($(stat -c %s "$deb") bytes) $deb"
say "tar.gz size:   $(du -h "$tarball" | cut -f1) ($(stat -c %s "$tarball") bytes) $tarball"
say "time to window (installed enclave-gui, Xvfb, clean env): ${ttw} s"
say "screenshot: $shot"
say "packaging stage finished in $(elapsed); report: $report"
