"""Check enclave.wxs with Debian's msitools (`wixl`), which builds MSIs on Linux.

wixl implements only part of WiX v3: it has no IniFile, no RemoveFile and no Component-level
Condition, the three elements that write and remove the admin policy. This script removes
exactly those (and nothing else), builds the rest with wixl against a bundle folder, and lists
the MSI's tables, so everything else (files, Start-menu shortcut, upgrade rules, properties,
remembered values, launch condition) is compiled and linked for real. The full MSI is built on
Windows with the WiX Toolset (README.md).

Usage: wixl_check.py BUNDLE_DIR OUT.msi [VERSION]
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
import xml.etree.ElementTree as ET
from pathlib import Path

WIX_NS = "http://schemas.microsoft.com/wix/2006/wi"
UNSUPPORTED_BY_WIXL = ("IniFile", "RemoveFile")
HERE = Path(__file__).resolve().parent


def wixl_subset(source: Path, target: Path) -> list[str]:
    """Write `source` minus what wixl cannot compile; return what was removed."""
    ET.register_namespace("", WIX_NS)
    tree = ET.parse(source)
    removed = []
    for parent in tree.iter():
        for child in list(parent):
            name = child.tag.removeprefix("{" + WIX_NS + "}")
            component_condition = name == "Condition" and parent.tag.endswith("}Component")
            if name in UNSUPPORTED_BY_WIXL or component_condition:
                removed.append(f"{parent.get('Id')}/{name}")
                parent.remove(child)
    tree.write(target, encoding="utf-8", xml_declaration=True)
    return removed


def harvest(bundle: Path, target: Path, cwd: Path) -> None:
    """List the bundle's files (relative to `cwd`) as a WiX fragment with wixl-heat."""
    files = "".join(
        f"{p.relative_to(cwd)}\n" for p in sorted((cwd / bundle).rglob("*")) if p.is_file()
    )
    command = ["wixl-heat", "-p", f"{bundle}/", "--component-group", "BundleFiles"]
    command += ["--var", "var.BundleDir", "--directory-ref", "INSTALLDIR", "--win64"]
    fragment = subprocess.run(
        command, input=files, capture_output=True, text=True, check=True, cwd=cwd
    ).stdout
    target.write_text(fragment, encoding="utf-8")


def build(bundle: Path, out: Path, version: str) -> list[str]:
    """Build `out` from the wixl subset; wixl wants file sources relative to its directory."""
    bundle, out = bundle.resolve(), out.resolve()
    with tempfile.TemporaryDirectory() as tmp:
        subset, files = Path(tmp) / "enclave.wxs", Path(tmp) / "files.wxs"
        removed = wixl_subset(HERE / "enclave.wxs", subset)
        harvest(Path(bundle.name), files, cwd=bundle.parent)
        defines = [f"Version={version}", f"BundleDir={bundle.name}", "Win64=yes"]
        command = ["wixl", "-a", "x64", "-o", str(out), str(subset), str(files)]
        for define in defines:
            command[1:1] = ["-D", define]
        done = subprocess.run(command, cwd=bundle.parent, capture_output=True, text=True)
        if done.returncode != 0:
            errors = [line for line in done.stderr.splitlines() if "WARNING" not in line]
            raise RuntimeError("wixl failed: " + " | ".join(e for e in errors if e.strip()))
    return removed


if __name__ == "__main__":
    bundle_dir, msi = Path(sys.argv[1]), Path(sys.argv[2])
    removed = build(bundle_dir, msi, sys.argv[3] if len(sys.argv) > 3 else "0.1.0")
    print("left out for wixl:", ", ".join(removed))
    print(subprocess.run(["msiinfo", "tables", str(msi)], capture_output=True, text=True).stdout)
