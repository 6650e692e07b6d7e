"""The installer sources themselves: desktop entry, maintainer scripts, build scripts, WiX.

Tools that Debian provides (desktop-file-validate, wixl) are used when installed; CI installs
them (packaging/ci_package.sh), so these checks run there.
"""

from __future__ import annotations

import configparser
import plistlib
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
LINUX = ROOT / "packaging" / "linux"
WINDOWS = ROOT / "packaging" / "windows"
WIX = "{http://schemas.microsoft.com/wix/2006/wi}"
SCRIPTS = [
    ROOT / "packaging" / "build_bundle.sh",
    ROOT / "packaging" / "build_llama_wheel.sh",
    ROOT / "packaging" / "ci_package.sh",
    LINUX / "build.sh",
    LINUX / "window_check.sh",
    ROOT / "packaging" / "macos" / "build.sh",
]


def _desktop_entry() -> configparser.SectionProxy:
    parser = configparser.ConfigParser(interpolation=None)
    parser.optionxform = str  # keys are case-sensitive
    parser.read(LINUX / "enclave.desktop", encoding="utf-8")
    return parser["Desktop Entry"]


@pytest.mark.skipif(not shutil.which("desktop-file-validate"), reason="desktop-file-utils missing")
def test_desktop_entry_validates() -> None:
    result = subprocess.run(
        ["desktop-file-validate", str(LINUX / "enclave.desktop")], capture_output=True, text=True
    )
    assert result.returncode == 0 and not result.stdout.strip(), result.stdout + result.stderr


def test_desktop_entry_starts_the_installed_gui_with_the_installed_icon() -> None:
    entry = _desktop_entry()
    assert entry["Exec"] == "/opt/enclave/enclave-gui"
    assert entry["Terminal"] == "false"
    build = (LINUX / "build.sh").read_text(encoding="utf-8")
    assert f"apps/{entry['Icon']}.png" in build and f"apps/{entry['Icon']}.svg" in build
    sizes = sorted(
        int(p.stem.split("-")[1]) for p in (ROOT / "resources/icons").glob("enclave-*.png")
    )
    assert {16, 32, 48, 256} <= set(sizes), sizes


@pytest.mark.parametrize("script", SCRIPTS, ids=[p.name for p in SCRIPTS])
def test_shell_scripts_parse(script: Path) -> None:
    result = subprocess.run(["bash", "-n", str(script)], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr


def test_postrm_keeps_user_data_on_remove(tmp_path: Path) -> None:
    """`postrm remove` (dpkg -r) must not delete anything; only purge acts."""
    script = (LINUX / "debian" / "postrm").read_text(encoding="utf-8")
    assert subprocess.run(["sh", "-n", str(LINUX / "debian" / "postrm")]).returncode == 0
    purge_block = script[script.index('if [ "$1" = "purge" ]') :]
    assert "rm " not in script[: script.index('if [ "$1" = "purge" ]')]
    assert '"${ENCLAVE_PURGE_USER_DATA:-no}" = "yes"' in purge_block
    home = tmp_path / "home"
    (home / ".local/share/Enclave").mkdir(parents=True)
    env = {"PATH": "/usr/bin:/bin", "HOME": str(home)}
    done = subprocess.run(["sh", str(LINUX / "debian" / "postrm"), "remove"], env=env)
    assert done.returncode == 0
    assert (home / ".local/share/Enclave").is_dir()


def test_deb_control_template_has_every_field_the_build_fills() -> None:
    control = (LINUX / "debian" / "control.in").read_text(encoding="utf-8")
    build = (LINUX / "build.sh").read_text(encoding="utf-8")
    for placeholder in ("@VERSION@", "@ARCH@", "@INSTALLED_SIZE@", "@LIBC_VERSION@"):
        assert placeholder in control and placeholder in build, placeholder
    assert "libxcb-cursor0" in control  # Qt 6.5+ needs it for the xcb platform plugin


def test_wix_source_declares_the_admin_properties() -> None:
    tree = ET.parse(WINDOWS / "enclave.wxs")
    package = next(tree.iter(f"{WIX}Package"))
    assert package.get("InstallScope") == "perMachine"
    props = {p.get("Id"): p for p in tree.iter(f"{WIX}Property")}
    for name in ("ALLOWDOWNLOADS", "MODELSDIR", "DEFAULTMODEL"):
        assert props[name].get("Secure") == "yes", name
    shortcut = next(tree.iter(f"{WIX}Shortcut"))
    assert shortcut.get("Target") == "[INSTALLDIR]enclave-gui.exe"
    assert next(tree.iter(f"{WIX}MajorUpgrade")) is not None


@pytest.mark.skipif(not shutil.which("wixl"), reason="wixl (Debian package wixl) missing")
def test_wixl_builds_the_msi_from_the_wix_source(tmp_path: Path) -> None:
    """wixl compiles everything it supports; the policy lines need the WiX Toolset."""
    sys.path.insert(0, str(WINDOWS))
    import wixl_check

    bundle = tmp_path / "enclave"
    (bundle / "_internal" / "models").mkdir(parents=True)
    for name in (
        "enclave.exe",
        "enclave-gui.exe",
        "_internal/python311.dll",
        "_internal/models/gemma-3-270m-q4_k_m.gguf",
    ):
        (bundle / name).write_bytes(b"MZ" + name.encode())
    msi = tmp_path / "enclave.msi"
    removed = wixl_check.build(bundle, msi, "0.1.0")
    assert sorted({r.split("/")[1] for r in removed}) == ["Condition", "IniFile", "RemoveFile"]

    def table(name: str) -> str:
        return subprocess.run(
            ["msiinfo", "export", str(msi), name], capture_output=True, text=True, check=True
        ).stdout

    files = table("File")
    assert "enclave.exe" in files and "enclave-gui.exe" in files
    assert "[INSTALLDIR]enclave-gui.exe" in table("Shortcut")
    assert {"ALLOWDOWNLOADS", "MODELSDIR", "DEFAULTMODEL"} <= {
        line.split("\t")[0] for line in table("AppSearch").splitlines()
    }
    assert "ALLOWDOWNLOADS must be 0" in table("LaunchCondition")
    assert "c51fd0b7-6fe9-48f9-899d-db19516a96b2" in table("Property")


def test_macos_info_plist_is_valid_and_used_by_the_spec() -> None:
    data = plistlib.loads((ROOT / "packaging" / "macos" / "Info.plist").read_bytes())
    assert data["CFBundleIdentifier"] == "org.enclave.Enclave"
    assert data["LSMinimumSystemVersion"]
    assert data["NSHighResolutionCapable"] is True
    spec = (ROOT / "installer.spec").read_text(encoding="utf-8")
    assert '"packaging" / "macos" / "Info.plist"' in spec
    assert f'bundle_identifier="{data["CFBundleIdentifier"]}"' in spec
