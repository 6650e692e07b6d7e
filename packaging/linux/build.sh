#!/usr/bin/env bash
# Builds both Linux packages from the one-folder bundle:
#   dist/enclave_<version>_<arch>.deb        files under /opt/enclave, /usr/bin/enclave,
#                                            a .desktop entry, hicolor icons
#   dist/enclave-<version>-linux-<arch>.tar.gz  the same tree, to unpack and run in place
# The bundle is built first (packaging/build_bundle.sh) unless dist/enclave already exists or
# ENCLAVE_BUNDLE points at one. Prints the two package paths on the last two lines.
set -euo pipefail
if [ -n "${ENCLAVE_BUNDLE:-}" ]; then ENCLAVE_BUNDLE="$(cd "$ENCLAVE_BUNDLE" && pwd)"; fi
cd "$(dirname "$0")/../.."
root="$PWD"
here="$root/packaging/linux"

bundle="${ENCLAVE_BUNDLE:-$root/dist/enclave}"
if [ ! -x "$bundle/enclave" ]; then
  bundle="$(packaging/build_bundle.sh | tail -n1)"
fi
version="$(sed -n 's/^version = "\(.*\)"/\1/p' pyproject.toml | head -n1)"
arch="$(dpkg --print-architecture 2>/dev/null || uname -m)"
out="$root/dist"
stage="$root/build/linux-stage"
rm -rf "$stage"
mkdir -p "$stage"

# One tree for both packages: <prefix>/{enclave,enclave-gui,_internal,share}.
install_tree() {  # $1 = where the program folder goes, $2 = where share/ goes (desktop, icons)
  local prefix="$1" share="$2"
  mkdir -p "$prefix" "$share/applications"
  cp -a "$bundle/." "$prefix/"
  mkdir -p "$prefix/share"
  install -m 0644 packaging/policy/policy.example.toml "$prefix/share/policy.example.toml"
  install -m 0644 "$here/enclave.desktop" "$share/applications/enclave.desktop"
  for png in resources/icons/enclave-*.png; do
    local size="${png##*enclave-}"; size="${size%.png}"
    install -D -m 0644 "$png" "$share/icons/hicolor/${size}x${size}/apps/enclave.png"
  done
  install -D -m 0644 resources/icons/enclave.svg "$share/icons/hicolor/scalable/apps/enclave.svg"
}

# ---- .deb ----------------------------------------------------------------------------------
deb_root="$stage/deb"
install_tree "$deb_root/opt/enclave" "$deb_root/usr/share"
mkdir -p "$deb_root/usr/bin" "$deb_root/usr/share/doc/enclave" "$deb_root/DEBIAN"
ln -s /opt/enclave/enclave "$deb_root/usr/bin/enclave"
ln -s /opt/enclave/enclave-gui "$deb_root/usr/bin/enclave-gui"
printf 'Enclave\nLicense: Apache-2.0 (see /usr/share/common-licenses/Apache-2.0)\n' \
  > "$deb_root/usr/share/doc/enclave/copyright"
installed_kb="$(du -sk --exclude=DEBIAN "$deb_root" | cut -f1)"
# The newest glibc symbol version any bundled binary needs: the oldest libc6 it runs on.
libc_version="$(find "$bundle" -type f \( -name '*.so*' -o -perm -u+x \) -print0 \
  | xargs -0 objdump -T 2>/dev/null | grep -o 'GLIBC_[0-9][0-9.]*' | sed 's/GLIBC_//' \
  | sort -uV | tail -n1)"
sed -e "s/@VERSION@/$version/" -e "s/@ARCH@/$arch/" -e "s/@INSTALLED_SIZE@/$installed_kb/" \
  -e "s/@LIBC_VERSION@/${libc_version:-2.31}/" \
  "$here/debian/control.in" > "$deb_root/DEBIAN/control"
install -m 0755 "$here/debian/postrm" "$deb_root/DEBIAN/postrm"
# Files root-owned and world-readable whoever builds; the shipped model stays read-only.
chmod -R u+rwX,go+rX,go-w "$deb_root"
deb="$out/enclave_${version}_${arch}.deb"
mkdir -p "$out"
# The model (most of the size) is already quantized and barely compresses: gzip is as good
# as xz here at a fraction of the time.
dpkg-deb --root-owner-group -Zgzip -z6 --build "$deb_root" "$deb" >&2

# ---- .tar.gz -------------------------------------------------------------------------------
tar_name="enclave-$version-linux-$(uname -m)"
install_tree "$stage/tar/$tar_name" "$stage/tar/$tar_name/share"
cat > "$stage/tar/$tar_name/README.txt" <<EOF
Enclave $version: unpack anywhere and run ./enclave-gui (the window) or ./enclave (the command
line, e.g. ./enclave self-test). For a system-wide install use the .deb, or see docs/admin.md.
The admin policy example is share/policy.example.toml; it is not active until copied to
/etc/xdg/Enclave/policy.toml.
EOF
tarball="$out/$tar_name.tar.gz"
tar -C "$stage/tar" --owner=0 --group=0 --numeric-owner -czf "$tarball" "$tar_name"

rm -rf "$stage"
echo "== $(basename "$deb"): $(du -h "$deb" | cut -f1) ($(stat -c %s "$deb") bytes)" >&2
echo "== $(basename "$tarball"): $(du -h "$tarball" | cut -f1) ($(stat -c %s "$tarball") bytes)" >&2
echo "$deb"
echo "$tarball"
