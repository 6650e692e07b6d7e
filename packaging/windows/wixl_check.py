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


def harvest(bundle: Path, target: Path) -> None:
    files = "".join(f"{p}\n" for p in sorted(bundle.rglob("*")) if p.is_file())
    fragment = subprocess.run(
        ["wixl-heat", "-p", f"{bundle}/", "--component-group", "BundleFiles",
         "--var", "var.BundleDir", "--directory-ref", "INSTALLDIR", "--win64"],
        input=files, capture_output=True, text=True, check=True,
    ).stdout
    target.write_text(fragment, encoding="utf-8")


def build(bundle: Path, out: Path, version: str) -> list[str]:
    with tempfile.TemporaryDirectory() as tmp:
        subset, files = Path(tmp) / "enclave.wxs", Path(tmp) / "files.wxs"
        removed = wixl_subset(HERE / "enclave.wxs", subset)
        harvest(bundle, files)
        subprocess.run(
            ["wixl", "-a", "x64", "-D", f"Version={version}", "-D", f"BundleDir={bundle}",
             "-D", "Win64=yes", "-o", str(out), str(subset), str(files)],
            check=True, capture_output=True, text=True,
        )
    return removed


if __name__ == "__main__":
    bundle_dir, msi = Path(sys.argv[1]), Path(sys.argv[2])
    removed = build(bundle_dir, msi, sys.argv[3] if len(sys.argv) > 3 else "0.1.0")
    print("left out for wixl:", ", ".join(removed))
    print(subprocess.run(["msiinfo", "tables", str(msi)], capture_output=True, text=True).stdout)
