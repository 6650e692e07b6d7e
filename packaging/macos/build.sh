#!/usr/bin/env bash
# Builds Enclave.app and wraps it in a .dmg (drag-to-Applications) and a .pkg (silent installs
# through MDM: `sudo installer -pkg Enclave-<version>.pkg -target /`). Run on a Mac with
# Xcode's command line tools and Python 3.11+; it cannot run on Linux.
#
# Optional signing (needed for Gatekeeper on managed Macs):
#   ENCLAVE_SIGN_APP="Developer ID Application: Example Corp (TEAMID)"
#   ENCLAVE_SIGN_PKG="Developer ID Installer: Example Corp (TEAMID)"
#   ENCLAVE_NOTARY_PROFILE=enclave-notary   (xcrun notarytool store-credentials enclave-notary …)
set -euo pipefail
cd "$(dirname "$0")/../.."
[ "$(uname -s)" = "Darwin" ] || { echo "packaging/macos/build.sh runs on macOS only" >&2; exit 1; }

export MACOSX_DEPLOYMENT_TARGET="${MACOSX_DEPLOYMENT_TARGET:-12.0}"
version="$(sed -n 's/^version = "\(.*\)"/\1/p' pyproject.toml | head -n1)"
packaging/build_bundle.sh >/dev/null  # PyInstaller's BUNDLE step writes dist/Enclave.app
app="dist/Enclave.app"
[ -d "$app" ] || { echo "$app was not built" >&2; exit 1; }

if [ -n "${ENCLAVE_SIGN_APP:-}" ]; then
  # Hardened runtime; llama.cpp and Python load their own unsigned-by-Apple libraries, which the
  # deep signature covers. No entitlement for network servers or JIT is requested.
  codesign --force --deep --options runtime --timestamp --sign "$ENCLAVE_SIGN_APP" "$app"
  codesign --verify --deep --strict --verbose=2 "$app"
fi

# .dmg: the app and a link to /Applications.
stage="$(mktemp -d)"
cp -R "$app" "$stage/"
ln -s /Applications "$stage/Applications"
dmg="dist/Enclave-$version.dmg"
rm -f "$dmg"
hdiutil create -volname "Enclave $version" -srcfolder "$stage" -fs HFS+ -format UDZO "$dmg"
rm -rf "$stage"

# .pkg: installs Enclave.app into /Applications for all users.
pkg="dist/Enclave-$version.pkg"
sign_pkg=()
[ -n "${ENCLAVE_SIGN_PKG:-}" ] && sign_pkg=(--sign "$ENCLAVE_SIGN_PKG")
pkgbuild --component "$app" --install-location /Applications \
  --identifier org.enclave.Enclave --version "$version" ${sign_pkg[@]+"${sign_pkg[@]}"} "$pkg"

if [ -n "${ENCLAVE_NOTARY_PROFILE:-}" ]; then
  for artifact in "$dmg" "$pkg"; do
    xcrun notarytool submit "$artifact" --keychain-profile "$ENCLAVE_NOTARY_PROFILE" --wait
    xcrun stapler staple "$artifact"
  done
fi

"$app/Contents/MacOS/enclave" self-test
echo "$dmg"
echo "$pkg"
