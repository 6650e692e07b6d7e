"""A real Secret Service for the key tests: gnome-keyring-daemon on a private D-Bus session.

.ci/run starts the tests inside `dbus-run-session` with an unlocked gnome-keyring (see it); a
plain `./test` has none, so `start()` launches a private dbus-daemon and gnome-keyring-daemon,
unlocked with a throw-away password, and `stop()` ends them (the keyring daemon leaves when its
bus goes). Its keyrings live in a temp home, never the user's.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
from dataclasses import dataclass
from pathlib import Path

PACKAGES = "gnome-keyring dbus dbus-x11 (Debian)"


def missing_tools() -> list[str]:
    return [t for t in ("dbus-daemon", "gnome-keyring-daemon") if shutil.which(t) is None]


@dataclass
class SecretService:
    address: str
    dbus_pid: int
    home: Path

    @property
    def env(self) -> dict[str, str]:
        return {"DBUS_SESSION_BUS_ADDRESS": self.address}

    def lock(self) -> None:
        """Lock the default collection, as a screen lock or `Lock keyring` would."""
        import secretstorage

        conn = secretstorage.dbus_init()
        try:
            secretstorage.get_default_collection(conn).lock()
        finally:
            conn.close()

    def stop(self) -> None:
        with contextlib.suppress(ProcessLookupError):
            os.kill(self.dbus_pid, signal.SIGTERM)


def start(home: Path) -> SecretService:
    """A fresh, unlocked Secret Service whose keyrings live under `home`."""
    home.mkdir(parents=True, exist_ok=True)
    runtime_dir = home / "run"
    runtime_dir.mkdir(mode=0o700, exist_ok=True)
    env = {
        **os.environ,
        "HOME": str(home),
        "XDG_DATA_HOME": str(home / "share"),
        "XDG_RUNTIME_DIR": str(runtime_dir),
    }
    out = subprocess.run(
        ["dbus-daemon", "--session", "--fork", "--nosyslog", "--print-address=1", "--print-pid=1"],
        capture_output=True,
        text=True,
        check=True,
        env=env,
        timeout=30,
    ).stdout.split()
    address, pid = out[0], int(out[1])
    env["DBUS_SESSION_BUS_ADDRESS"] = address
    try:
        subprocess.run(
            ["gnome-keyring-daemon", "--unlock", "--components=secrets"],
            input="throw-away",
            capture_output=True,
            text=True,
            check=True,
            env=env,
            timeout=30,
        )
    except BaseException:
        os.kill(pid, signal.SIGTERM)
        raise
    return SecretService(address, pid, home)


def available_in_session() -> bool:
    """Whether the current D-Bus session (.ci/run's) already has an unlocked Secret Service."""
    if not os.environ.get("DBUS_SESSION_BUS_ADDRESS"):
        return False
    try:
        import secretstorage

        conn = secretstorage.dbus_init()
        try:
            return not secretstorage.get_default_collection(conn).is_locked()
        finally:
            conn.close()
    except Exception:
        return False
