"""A GGUF's chat template cannot hang the app or eat its memory: limits, errors, cleanup."""

from __future__ import annotations

import gc
import json
import os
from collections.abc import Iterator
from pathlib import Path
from time import perf_counter

import psutil
import pytest
from jinja2.sandbox import ImmutableSandboxedEnvironment

from app.core.engine import LocalEngine
from app.core.templates import ChatTemplate, ChatTemplateError, gguf_template, select_template
from app.core.types import ChatMessage, LoadOptions
from tests.helpers.gguf_edit import copy_with_metadata

HELLO = [ChatMessage("user", "hello")]
CHATML_JINJA = (
    "{% for message in messages %}{{ '<|im_start|>' + message['role'] + '\\n' + message['content']"
    " + '<|im_end|>' + '\\n' }}{% endfor %}{% if add_generation_prompt %}"
    "{{ '<|im_start|>assistant\\n' }}{% endif %}"
)
# Shaped like the templates real GGUFs carry: namespace, loop state, filters, tojson, slicing.
RICH_JINJA = """{{ bos_token }}{% set ns = namespace(system='') %}
{% for m in messages %}{% if m.role == 'system' %}{% set ns.system = m.content %}{% endif %}
{% endfor %}
{% if ns.system %}<<SYS>>{{ ns.system | trim }}<</SYS>>
{% endif %}
{% for m in messages if m.role != 'system' %}
{{ '[%s #%d]' % (m.role | upper, loop.index) }} {{ m.content[:40] }}{{ '{:>6}'.format('|') }}
{% if loop.last %}{{ {'n': loop.length, 'r': m.role} | tojson }}{% endif %}
{% endfor %}
{% if add_generation_prompt %}{{ 'ASSISTANT:' | center(16) }}{{ eos_token * 2 }}{% endif %}"""
CONVERSATION = [
    ChatMessage("system", "  Be brief.  "),
    ChatMessage("user", "Hi — é"),
    ChatMessage("assistant", "Hello!"),
    ChatMessage("user", "Name a colour, " * 5),
]

# Each would hang the worker thread or fill the memory if rendered in the app's own process.
HOSTILE = {
    "nested-loops-with-output": (
        "{% for a in range(100000) %}{% for b in range(100000) %}x{% endfor %}{% endfor %}"
    ),
    "repeat": "{{ 'x' * 10**10 }}",
    "power": "{{ 9 ** (9 ** 9) }}",
    "center-method": "{{ ' '.center(10**9) }}",
    "center-filter": "{{ ' ' | center(10**9) }}",
    "batch-filter-fill": "{{ [1] | batch(10**9, 0) | list }}",
    "percent-width": "{{ '%0999999999d' % 1 }}",
    "percent-star-width": "{{ '%*d' % (10**9, 1) }}",
    "format-width": "{{ '{:>999999999}'.format(1) }}",
    "format-filter-width": "{{ '%0999999999d' | format(1) }}",
    "format-computed-width": "{{ '{:{w}}'.format(1, w=10**9) }}",
    "lipsum": "{{ lipsum(10**6) }}",
    "huge-output": "{% for i in range(100000) %}{{ 'y' * 100 }}{% endfor %}",
    "doubling-concat": "{% set ns = namespace(s='xx') %}{% for i in range(40) %}"
    "{% set ns.s = ns.s + ns.s %}{% endfor %}{{ ns.s | length }}",
    "recursive-macro": "{% macro f(n) %}{{ f(n + 1) }}{% endmacro %}{{ f(0) }}",
}
# A template that behaves until a message tells it to misbehave: one helper, several renders.
HANG_ON_REQUEST = (
    "{% if messages[0].content == 'hang' %}{% for a in range(100000) %}"
    "{% for b in range(100000) %}{% endfor %}{% endfor %}{% endif %}"
    "{% if messages[0].content == 'grow' %}{% macro d(s, n) %}{% if n %}{{ d(s ~ s, n - 1) }}"
    "{% else %}{{ s | length }}{% endif %}{% endmacro %}{{ d('x', 40) }}{% endif %}"
    "[{{ messages[0].content }}]"
)
BOUND_S = 10.0


def sandbox_pids() -> set[int]:
    """This process's live template helpers (the multiprocessing resource tracker excluded)."""
    pids = set()
    for child in psutil.Process().children():
        try:
            helper = "spawn_main" in " ".join(child.cmdline())
            if helper and child.status() != psutil.STATUS_ZOMBIE:
                pids.add(child.pid)
        except psutil.NoSuchProcess:
            continue
    return pids


def zombies() -> list[psutil.Process]:
    return [c for c in psutil.Process().children() if c.status() == psutil.STATUS_ZOMBIE]


def kill_without_reaping(process: psutil.Process, timeout_s: float = 5.0) -> None:
    """Kill a helper as the OS would; reaping it stays the job of its parent (the app)."""
    process.kill()
    deadline = perf_counter() + timeout_s
    while process.status() != psutil.STATUS_ZOMBIE and perf_counter() < deadline:
        pass


@pytest.fixture
def no_leak() -> Iterator[set[int]]:
    """Asserts that a test leaves no helper process (nor zombie) behind it."""
    before = sandbox_pids()
    yield before
    gc.collect()
    assert sandbox_pids() == before
    assert zombies() == []


def reference_render(source: str, messages: list[ChatMessage], **tokens: str) -> str:
    """What the template gave when rendered in this process with Jinja's own sandbox."""
    env = ImmutableSandboxedEnvironment(trim_blocks=True, lstrip_blocks=True)
    env.filters["tojson"] = lambda value, indent=None: json.dumps(
        value, ensure_ascii=False, indent=indent
    )
    return env.from_string(source).render(
        messages=[{"role": m.role, "content": m.content} for m in messages],
        add_generation_prompt=True,
        **tokens,
    )


@pytest.mark.parametrize("source", [CHATML_JINJA, RICH_JINJA], ids=["chatml", "rich"])
def test_a_normal_template_renders_exactly_as_in_process(source: str, no_leak: set[int]) -> None:
    template = gguf_template(source, bos_token="<s>", eos_token="</s>")
    try:
        for messages in (CONVERSATION, CONVERSATION[1:2]):
            expected = reference_render(source, messages, bos_token="<s>", eos_token="</s>")
            assert template.render(messages) == expected
    finally:
        template.close()


@pytest.fixture(scope="module")
def good_template() -> Iterator[ChatTemplate]:
    template = gguf_template(CHATML_JINJA)
    yield template
    template.close()


@pytest.mark.slow  # each case runs a fresh helper process into a time or memory limit
@pytest.mark.parametrize("source", HOSTILE.values(), ids=HOSTILE.keys())
def test_a_hostile_template_fails_fast_with_a_clear_error(
    source: str, good_template: ChatTemplate, no_leak: set[int]
) -> None:
    started = perf_counter()
    with pytest.raises(ChatTemplateError, match="choose a template family in the settings"):
        select_template(architecture="llama", embedded=source)  # renders once, at load
    assert perf_counter() - started < BOUND_S
    # This process is fine, and another model's template still renders.
    expected = "<|im_start|>user\nhello<|im_end|>\n<|im_start|>assistant\n"
    assert good_template.render(HELLO) == expected


def test_big_numbers_as_values_are_not_refused(no_leak: set[int]) -> None:
    source = (
        "{{ '%d|' % 1234567 }}{{ '{}|{:>8}|'.format(1234567, 'r') }}{{ '%s' | format(1234567) }}"
        "|{{ 1234567 * 2 }}|{{ 2 ** 20 }}|{{ 'ab' * 3 }}|{{ messages | length }}"
    )
    template = gguf_template(source)
    try:
        assert template.render(HELLO) == "1234567|1234567|       r|1234567|2469134|1048576|ababab|1"
    finally:
        template.close()


def test_the_limits_name_time_or_memory() -> None:
    with pytest.raises(ChatTemplateError, match=r"too much time or memory .*too large"):
        select_template(architecture="llama", embedded=HOSTILE["repeat"])


def test_a_hang_is_stopped_and_the_next_render_gets_a_fresh_helper(no_leak: set[int]) -> None:
    template = gguf_template(HANG_ON_REQUEST)
    try:
        assert template.render(HELLO) == "[hello]"
        first = sandbox_pids() - no_leak
        started = perf_counter()
        with pytest.raises(ChatTemplateError, match=r"did not finish within 2 s.*settings"):
            template.render([ChatMessage("user", "hang")])
        assert perf_counter() - started < BOUND_S
        assert sandbox_pids() - no_leak == set()  # the overrunning helper was killed and reaped
        assert template.render(HELLO) == "[hello]"
        assert (sandbox_pids() - no_leak).isdisjoint(first)
    finally:
        template.close()


@pytest.mark.skipif(os.name != "posix", reason="the memory cap needs POSIX setrlimit")
def test_runaway_memory_is_capped_and_the_helper_replaced(no_leak: set[int]) -> None:
    template = gguf_template(HANG_ON_REQUEST)
    try:
        started = perf_counter()
        with pytest.raises(ChatTemplateError, match=r"too much time or memory.*out of memory"):
            template.render([ChatMessage("user", "grow")])
        assert perf_counter() - started < BOUND_S
        assert template.render(HELLO) == "[hello]"
    finally:
        template.close()


def test_a_helper_killed_from_outside_is_replaced_on_the_next_render(no_leak: set[int]) -> None:
    template = gguf_template(CHATML_JINJA)
    try:
        (pid,) = sandbox_pids() - no_leak
        kill_without_reaping(psutil.Process(pid))
        assert template.render(HELLO).startswith("<|im_start|>user\nhello")
        assert pid not in sandbox_pids()
    finally:
        template.close()


def test_the_unsafe_checks_still_run_inside_the_helper(no_leak: set[int]) -> None:
    with pytest.raises(ChatTemplateError, match="unsafe operation"):
        select_template(architecture="llama", embedded="{{ ''.__class__.__mro__ }}")
    with pytest.raises(ChatTemplateError, match="invalid"):
        gguf_template("{% for m in messages %}")


def test_a_dropped_or_closed_template_ends_its_helper(no_leak: set[int]) -> None:
    dropped = gguf_template(CHATML_JINJA)
    assert len(sandbox_pids() - no_leak) == 1
    del dropped
    gc.collect()
    assert sandbox_pids() == no_leak
    closed = gguf_template(CHATML_JINJA)
    closed.close()
    assert sandbox_pids() == no_leak
    with pytest.raises(ChatTemplateError, match="closed"):
        closed.render(HELLO)


def test_the_default_model_renders_in_process(model_path: Path, no_leak: set[int]) -> None:
    engine = LocalEngine()
    engine.load(model_path, LoadOptions(context_size=256, threads=2))
    try:
        assert engine.template.source == "builtin:gemma"
        assert engine.render_prompt(HELLO).endswith("<start_of_turn>model\n")
        assert sandbox_pids() == no_leak  # nothing was started
    finally:
        engine.unload()


def test_unloading_a_model_ends_its_template_helper(tmp_path: Path, model_path: Path) -> None:
    before = sandbox_pids()
    path = copy_with_metadata(
        model_path, tmp_path / "templated.gguf", {"tokenizer.chat_template": CHATML_JINJA}
    )
    engine = LocalEngine()
    engine.load(path, LoadOptions(context_size=256, threads=2))
    helpers = sandbox_pids() - before
    assert engine.template.source == "gguf" and len(helpers) == 1
    assert engine.render_prompt(HELLO).startswith("<|im_start|>user\nhello")
    engine.unload()
    assert sandbox_pids() == before
    assert not any(psutil.pid_exists(pid) for pid in helpers)
    assert zombies() == []
