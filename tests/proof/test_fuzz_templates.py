"""Fuzzing chat templates taken from a GGUF: any template text compiles and renders in the
sandbox or fails with one clear ChatTemplateError, never another exception."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from app.core.errors import EnclaveError
from app.core.templates import select_template
from app.core.types import ChatMessage
from tests.helpers.fuzz import assert_clear, fuzz_settings

# Pieces of real chat templates and of attacks on them, glued together at random.
FRAGMENTS = [
    "{{ bos_token }}",
    "{% for m in messages %}",
    "{% endfor %}",
    "{% if add_generation_prompt %}",
    "{% endif %}",
    "{{ m.content }}",
    "{{ m['role'] }}",
    "<start_of_turn>",
    "<|im_start|>",
    "{{ raise_exception('no system role') }}",
    "{{ messages[0].content|trim }}",
    "{%- ",
    " -%}",
    "{{ ''.__class__ }}",
    "{{ cycler.__init__.__globals__ }}",
    "{{ range(10**6)|list }}",
    "{{ (1,2)|tojson }}",
    "{{ strftime_now('%Y') }}",
    "{% set x = namespace(a=1) %}",
    "{{ x.a }}",
    "{{ 1/0 }}",
    "{{ 2**1000 }}",
    "{{ messages|length }}",
    "{% macro f(n) %}{{ f(n) }}{% endmacro %}",
    "{{ f(1) }}",
    "{{ loop.index }}",
    "{{ m.tool_calls[0] }}",
    "{{ '%s' % m }}",
    "{{",
    "}}",
    "{%",
    "%}",
    "{#",
    "#}",
    "\n",
    "(",
    ")",
    "[",
    "]",
    "|",
    ".",
]
templates = st.one_of(
    st.lists(st.sampled_from(FRAGMENTS), max_size=12).map("".join),
    st.text(alphabet="{}%#()[]|.'\"-+*/ =<>!abcmnrst0123456789_\n", max_size=80),
)
conversations = st.lists(
    st.builds(
        ChatMessage,
        role=st.sampled_from(["system", "user", "assistant"]),
        content=st.text(max_size=30),
    ),
    min_size=1,
    max_size=4,
)


@fuzz_settings(examples=400)
@given(source=templates, messages=conversations)
def test_any_embedded_template_renders_or_fails_clearly(source: str, messages: list) -> None:
    try:
        template = select_template(
            architecture="llama", embedded=source, bos_token="<s>", eos_token="</s>"
        )
        prompt = template.render(messages)
    except EnclaveError as exc:
        assert_clear(exc)
        return
    assert isinstance(prompt, str)
