"""Every path Enclave uses, in one place.

By default everything lives in the platform's per-user data directory (platformdirs). A
`--data-dir DIR` option or the `ENCLAVE_DATA_DIR` variable moves all of it, which tests, portable
installs and admins use. Directories are created private (0700), files by their writers 0600.
"""

from __future__ import annotations

import os
import secrets
import stat
import sys
from dataclasses import dataclass
from pathlib import Path

import platformdirs

from app import APP_NAME
from app.core.errors import EnclaveError, PolicyRefused

ENV_DATA_DIR = "ENCLAVE_DATA_DIR"
ENV_POLICY = "ENCLAVE_POLICY"
PRIVATE_DIR_MODE = 0o700
PRIVATE_FILE_MODE = 0o600


@dataclass(frozen=True)
class Paths:
    """The resolved locations of one Enclave data directory."""

    data_dir: Path

    @property
    def database(self) -> Path:
        return self.data_dir / "enclave.sqlite3"

    @property
    def models_dir(self) -> Path:
        return self.data_dir / "models"

    @property
    def settings_file(self) -> Path:
        return self.data_dir / "settings.json"

    @property
    def logs_dir(self) -> Path:
        return self.data_dir / "logs"

    @property
    def kv_cache_dir(self) -> Path:
        """Saved KV states of conversations (app.core.kv_cache); created when first written."""
        return self.data_dir / "kv_cache"

    @property
    def lock_file(self) -> Path:
        return self.data_dir / "enclave.lock"

    def ensure(self) -> Paths:
        """Create the private directories, or raise a clear error if that is impossible."""
        for directory in (self.data_dir, self.models_dir, self.logs_dir):
            make_private_dir(directory)
        return self


def make_private_dir(directory: Path) -> None:
    try:
        directory.mkdir(parents=True, exist_ok=True, mode=PRIVATE_DIR_MODE)
        if stat.S_IMODE(directory.stat().st_mode) != PRIVATE_DIR_MODE:
            directory.chmod(PRIVATE_DIR_MODE)
        # A name of its own: two processes starting at once must not remove each other's probe.
        probe = directory / f".write-test-{os.getpid()}-{secrets.token_hex(4)}"
        probe.touch()
        probe.unlink()
    except OSError as exc:
        raise EnclaveError(
            f"Cannot use the data directory {directory}: {exc.strerror or exc}. Choose a writable "
            f"directory with --data-dir or {ENV_DATA_DIR}."
        ) from exc


def make_private_file(path: Path) -> Path:
    """Create `path` empty if missing, owner-only (0600), and tighten an older, looser one.

    For files that are opened by name later (the log, through `logging`): created here first,
    the umask (often 022) never makes them readable by others.
    """
    os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, PRIVATE_FILE_MODE))
    if stat.S_IMODE(path.stat().st_mode) != PRIVATE_FILE_MODE:
        path.chmod(PRIVATE_FILE_MODE)
    return path


def default_data_dir() -> Path:
    return Path(platformdirs.user_data_dir(APP_NAME, appauthor=False, roaming=True))


def resolve_paths(data_dir: str | os.PathLike[str] | None = None) -> Paths:
    """The data directory from the option, else the environment, else the platform default."""
    chosen = data_dir or os.environ.get(ENV_DATA_DIR) or default_data_dir()
    return Paths(Path(chosen).expanduser().resolve())


def default_policy_file() -> Path:
    """The machine-wide policy file.

    Linux /etc/xdg/Enclave, Windows C:\\ProgramData\\Enclave, macOS /Library/Application Support.
    On Linux the path is fixed: platformdirs would follow the session's XDG_CONFIG_DIRS (Ubuntu
    sets /etc/xdg/xdg-ubuntu first), and the machine's policy must not move with a user's session.
    """
    if sys.platform.startswith("linux"):
        return Path("/etc/xdg") / APP_NAME / "policy.toml"
    return Path(platformdirs.site_config_dir(APP_NAME, appauthor=False)) / "policy.toml"


def resolve_policy_file(option: str | os.PathLike[str] | None = None) -> Path:
    """`--policy`, else ENCLAVE_POLICY, else the machine-wide file.

    Once an administrator has installed a machine-wide policy, only someone who may change that
    file (an admin) may point Enclave at another one: otherwise any user could shed the locks
    with a command-line option.
    """
    site = default_policy_file()
    chosen = option or os.environ.get(ENV_POLICY)
    if not chosen:
        return site
    path = Path(chosen).expanduser()
    if site.is_file() and path.resolve() != site.resolve() and not os.access(site, os.W_OK):
        raise PolicyRefused(
            f"An administrator policy is installed at {site}; it cannot be replaced with "
            f"--policy or {ENV_POLICY}. Ask your administrator to change it."
        )
    return path


def resources_dir() -> Path:
    """`resources/` beside the package in a checkout, or inside a frozen bundle."""
    here = Path(__file__).resolve().parents[2]  # the `app` package
    for candidate in (here / "resources", here.parent / "resources"):
        if candidate.is_dir():
            return candidate
    return here.parent / "resources"
