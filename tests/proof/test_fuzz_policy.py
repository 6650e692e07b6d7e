"""Fuzzing the admin policy parser: any file gives a valid Policy or one clear PolicyError.

Two kinds of input: arbitrary text (mostly not TOML at all) and well-formed TOML documents
built from the policy's own section and key names with values of every TOML type, so most
examples get past the TOML parser and exercise the validation itself. When a file is accepted,
every value in the resulting Policy must have the type the rest of Enclave relies on.
"""

from __future__ import annotations

import itertools
import re
from dataclasses import fields
from pathlib import Path
from typing import Any

import pytest
import tomli_w
from hypothesis import given
from hypothesis import strategies as st

from app.core.config.policy import LOCKABLE_SETTINGS, Policy, load_policy
from app.core.config.settings import Settings
from app.core.errors import EnclaveError
from tests.helpers.fuzz import assert_clear, fuzz_settings

_counter = itertools.count()
SECTIONS = {
    "network": ["allow_model_downloads", "allowed_hosts"],
    "models": ["directory", "default", "allowlist_sha256", "mirror_url"],
    "history": ["enabled", "retention_days"],
    "settings": ["locked", *sorted(LOCKABLE_SETTINGS)],
}
SETTING_TYPES = {f.name: type(f.default) for f in fields(Settings)}

scalars = st.one_of(
    st.booleans(),
    st.integers(-(2**63), 2**63 - 1),
    st.floats(),
    st.text(max_size=40),
    st.sampled_from(["model", "temperature", "https://models.example/", "a" * 64, "ftp://x"]),
    st.datetimes(),
    st.dates(),
)
values = st.recursive(
    scalars,
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=3)
    ),
    max_leaves=8,
)


@st.composite
def policy_documents(draw: st.DrawFn) -> dict[str, Any]:
    document: dict[str, Any] = {}
    for section, keys in SECTIONS.items():
        if not draw(st.booleans()):
            continue
        chosen = draw(st.lists(st.sampled_from(keys), max_size=4, unique=True))
        table = {key: draw(values) for key in chosen}
        if draw(st.integers(0, 9)) == 0:
            table[draw(st.text(min_size=1, max_size=10))] = draw(values)
        document[section] = table
    if draw(st.integers(0, 9)) == 0:
        document[draw(st.text(min_size=1, max_size=10))] = draw(values)
    return document


@pytest.fixture(scope="module")
def workdir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("policy-fuzz")


def load_only_clear_errors(folder: Path, text: str) -> Policy | None:
    path = folder / f"policy{next(_counter)}.toml"
    path.write_text(text, encoding="utf-8", errors="surrogatepass")
    try:
        return load_policy(path)
    except EnclaveError as exc:
        assert_clear(exc)
        return None
    finally:
        path.unlink()


def assert_well_typed(policy: Policy) -> None:
    """What the rest of Enclave relies on once a policy is accepted."""
    assert isinstance(policy.network.allow_model_downloads, bool)
    assert all(isinstance(h, str) and h == h.lower() for h in policy.network.allowed_hosts)
    assert all(re.fullmatch(r"[0-9a-f]{64}", s) for s in policy.models.allowlist_sha256)
    assert policy.models.mirror_url is None or policy.models.mirror_url.startswith("http")
    assert isinstance(policy.history.enabled, bool)
    assert type(policy.history.retention_days) is int and policy.history.retention_days >= 0
    assert set(policy.settings.locked) <= LOCKABLE_SETTINGS
    for name, value in policy.settings.values.items():
        expected = SETTING_TYPES[name]
        ok = type(value) is expected or (expected is float and type(value) is int)
        assert ok, f"[settings] {name} = {value!r} was accepted, but Enclave needs a {expected}"
    Settings(**policy.settings.values)  # the merged settings can be built


@fuzz_settings(examples=300)
@given(document=policy_documents())
def test_structured_policies_are_valid_or_clear_errors(workdir: Path, document: dict) -> None:
    policy = load_only_clear_errors(workdir, tomli_w.dumps(document))
    if policy is not None:
        assert_well_typed(policy)


@fuzz_settings(examples=200)
@given(
    text=st.one_of(
        st.text(max_size=300),
        st.sampled_from(["[network]\n", "[models]\n", "[settings]\nlocked = ", "a = "]).flatmap(
            lambda head: st.text(max_size=200).map(lambda tail: head + tail)
        ),
    )
)
def test_arbitrary_text_is_a_policy_or_a_clear_error(workdir: Path, text: str) -> None:
    policy = load_only_clear_errors(workdir, text)
    if policy is not None:
        assert_well_typed(policy)
