"""Fixtures for tests that need the OS keyring: a real Secret Service (see secret_service.py).

Import them into a test module: `from tests.helpers.keyring_fixtures import keyring_env`.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.helpers import secret_service


@pytest.fixture(scope="session")
def session_secret_service(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[secret_service.SecretService | None]:
    """.ci/run's Secret Service when there is one (None), else a private one for the run."""
    if secret_service.available_in_session():
        yield None
        return
    missing = secret_service.missing_tools()
    if missing:
        pytest.skip(
            f"no Secret Service: {', '.join(missing)} not installed (packages "
            f"{secret_service.PACKAGES}; scripts/bootstrap.sh installs them)"
        )
    service = secret_service.start(tmp_path_factory.mktemp("secret-service"))
    yield service
    service.stop()


def use_backend_of_current_env() -> None:
    """keyring finds the viable backends once per process and picks one; do both again for
    the environment the test set (an earlier test may have run without a session bus)."""
    import keyring.backend
    import keyring.core

    with contextlib.suppress(KeyError):  # nothing to forget if it never ran
        keyring.backend.get_all_keyring.reset()
    keyring.core.init_backend()


@pytest.fixture
def keyring_env(
    session_secret_service: secret_service.SecretService | None, monkeypatch: pytest.MonkeyPatch
) -> dict[str, str]:
    """The keyring reachable in this process and its children; returns the env to pass on."""
    env: dict[str, str] = {}
    if session_secret_service is not None:
        env = session_secret_service.env
        for name, value in env.items():
            monkeypatch.setenv(name, value)
    use_backend_of_current_env()
    return env


@pytest.fixture
def own_secret_service(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[secret_service.SecretService]:
    """A Secret Service of the test's own (to lock it), reachable from this process."""
    missing = secret_service.missing_tools()
    if missing:
        pytest.skip(f"no Secret Service: {', '.join(missing)} not installed")
    service = secret_service.start(tmp_path / "locked-keyring")
    try:
        monkeypatch.setenv("DBUS_SESSION_BUS_ADDRESS", service.address)
        use_backend_of_current_env()
        yield service
    finally:
        service.stop()  # the next test's keyring_env picks its backend again
