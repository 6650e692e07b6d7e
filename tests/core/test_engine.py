"""LocalEngine on the real default model: streaming, stop, prefix reuse, sampling, bad files."""

from __future__ import annotations

from pathlib import Path

import pytest

from app.core.default_model import DEFAULT_MODEL_NAME, DEFAULT_MODEL_SHA256, DEFAULT_MODEL_SIZE
from app.core.engine import LocalEngine, default_threads
from app.core.errors import ModelError
from app.core.llama_native import gpu_offload_supported
from app.core.token_stream import TextAssembler
from app.core.types import CancelToken, ChatMessage, GenerationParams, LoadOptions
from tests.helpers.gguf_edit import copy_with_metadata

pytestmark = pytest.mark.model

ASK = [ChatMessage("user", "Tell me about lighthouses and the people who kept them.")]
GREEDY = GenerationParams(max_tokens=12, temperature=0)
FORCED = GenerationParams(max_tokens=12, temperature=0, ignore_eos=True)


def common_prefix(a: tuple[int, ...] | list[int], b: list[int]) -> int:
    n = 0
    while n < min(len(a), len(b)) and a[n] == b[n]:
        n += 1
    return n


def test_load_reports_the_model(engine: LocalEngine, model_path: Path) -> None:
    info = engine.info
    assert info is not None
    assert info.path == str(model_path)
    assert info.sha256 == DEFAULT_MODEL_SHA256
    assert info.size_bytes == DEFAULT_MODEL_SIZE
    assert info.name == DEFAULT_MODEL_NAME
    assert info.architecture == "gemma3"
    assert info.chat_template_source == "builtin:gemma"  # a base model: no template of its own
    assert info.n_ctx == engine.n_ctx == 2048
    assert info.threads == 2
    assert info.n_params > 200_000_000
    assert info.gpu_layers == (18 if gpu_offload_supported() else 0)
    assert info.metadata["general.architecture"] == "gemma3"


def test_tokens_arrive_incrementally(engine: LocalEngine) -> None:
    stream = engine.generate(ASK, FORCED)
    pieces = iter(stream)
    first = next(pieces)
    assert first
    assert not stream.finished
    assert stream.stats.generated_tokens < FORCED.max_tokens  # the rest is not made yet
    rest = list(pieces)
    assert len(rest) >= 3
    assert stream.finished
    assert stream.stats.generated_tokens == 12
    assert stream.stats.stop_reason == "length"
    assert stream.stats.time_to_first_token_s > 0
    assert stream.stats.decode_tokens_per_s > 0
    assert stream.stats.total_s >= stream.stats.time_to_first_token_s


def test_stop_mid_reply_takes_effect_within_one_token(engine: LocalEngine) -> None:
    cancel = CancelToken()
    stream = engine.generate(ASK, GenerationParams(max_tokens=64, ignore_eos=True, seed=3), cancel)
    received = []
    for piece in stream:
        received.append(piece)
        if len(received) == 3:
            cancel.cancel()
            generated_at_stop = stream.stats.generated_tokens
            break
    after = list(stream)
    assert len(after) <= 1  # at most the text held back for a possible stop string
    assert stream.stats.stop_reason == "cancelled"
    assert stream.stats.generated_tokens == generated_at_stop  # not one more token sampled


def test_stop_before_the_first_token(engine: LocalEngine) -> None:
    cancel = CancelToken()
    cancel.cancel()
    stream = engine.generate(ASK, GREEDY, cancel)
    assert list(stream) == []
    assert stream.stats.stop_reason == "cancelled"
    assert stream.stats.generated_tokens == 0


def test_follow_up_turn_evaluates_only_its_new_tokens(engine: LocalEngine) -> None:
    engine.clear_cache()
    history = [ChatMessage("system", "You answer questions about lighthouses.")]
    for t in range(8):
        history.append(ChatMessage("user", f"Question {t}: what does lens {t} of the tower do?"))
        history.append(ChatMessage("assistant", f"Lens {t} focuses the lamp into a beam, {t}."))
    history.append(ChatMessage("user", "Who kept the light in winter?"))

    first = engine.generate(history, GREEDY)
    reply = first.text()
    assert first.stats.prompt_tokens_evaluated == first.stats.prompt_tokens  # cold cache

    cache_before = engine.cached_tokens
    history += [ChatMessage("assistant", reply), ChatMessage("user", "And in summer?")]
    tokens = engine.tokenize_prompt(engine.render_prompt(history))
    second = engine.generate(history, GREEDY)
    second.text()

    reused = common_prefix(cache_before, tokens)
    assert second.stats.prompt_tokens == len(tokens)
    assert reused >= first.stats.prompt_tokens  # the whole earlier prompt came from the cache
    assert second.stats.prompt_tokens_evaluated == second.stats.prompt_tokens - reused
    assert second.stats.prompt_tokens_evaluated < second.stats.prompt_tokens // 5

    # Asking again (regenerate) evaluates a single token: the logits need a fresh step.
    again = engine.generate(history, GREEDY)
    again.text()
    assert again.stats.prompt_tokens_evaluated == 1


def test_greedy_is_deterministic(engine: LocalEngine) -> None:
    outputs = []
    for _ in range(2):
        engine.clear_cache()
        outputs.append(engine.generate(ASK, GREEDY).text())
    assert outputs[0] and outputs[0] == outputs[1]


def test_seed_reproduces_sampled_output(engine: LocalEngine) -> None:
    def sample(seed: int) -> str:
        engine.clear_cache()  # same cache state, so the same logits
        params = GenerationParams(max_tokens=16, temperature=1.0, seed=seed, ignore_eos=True)
        return engine.generate(ASK, params).text()

    first = sample(1234)
    assert first == sample(1234)
    assert any(sample(seed) != first for seed in (1, 2, 3))


def test_complete_uses_the_raw_prompt(engine: LocalEngine) -> None:
    prompt = "The three primary colours are"
    stream = engine.complete(prompt, GenerationParams(max_tokens=6, temperature=0))
    assert stream.text()
    assert stream.stats.prompt_tokens == len(engine.tokenize(prompt, add_special=True))
    assert stream.messages == []


def test_stop_string_ends_the_reply_and_never_shows(engine: LocalEngine) -> None:
    prompt = "Here is a list of fruits: apple, banana, cherry,"
    engine.clear_cache()
    full = engine.complete(prompt, GenerationParams(max_tokens=24, temperature=0)).text()
    words = full.split()
    assert len(words) >= 3, full
    stop = words[2]
    engine.clear_cache()
    stream = engine.complete(prompt, GenerationParams(max_tokens=24, temperature=0, stop=(stop,)))
    text = stream.text()
    assert text == full[: full.index(stop)]
    assert stop not in text
    assert stream.stats.stop_reason == "stop"


def test_multibyte_characters_split_over_tokens_reassemble(engine: LocalEngine) -> None:
    text = "naïve café — 日本語の灯台 🌊🦜 ẞ 𓀀 ꙮ 𐀀"  # the last three are byte tokens
    tokens = engine.tokenize(text)
    pieces = [engine.token_bytes(t) for t in tokens]
    split = [p for p in pieces if not _valid_utf8(p)]
    assert split, "expected this vocabulary to split some characters into byte tokens"
    assembler = TextAssembler()
    out = [assembler.push(p) for p in pieces]
    assert "\ufffd" not in "".join(out)
    assert "".join(out) + assembler.flush() == text


def _valid_utf8(data: bytes) -> bool:
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def test_a_new_request_ends_the_previous_stream(engine: LocalEngine) -> None:
    old = engine.generate(ASK, FORCED)
    next(iter(old))
    new = engine.generate(ASK, GREEDY)
    assert old.finished and old.stats.stop_reason == "cancelled"
    assert list(old) == []
    new.text()
    assert new.stats.stop_reason in ("stop", "length")


# --- loading: bad files ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("make", "expected"),
    [
        (lambda d, _m: d / "absent.gguf", "There is no file"),
        (lambda d, _m: _write(d / "notes.gguf", b"just some notes\n" * 20), "is a text file"),
        (lambda d, _m: _write(d / "empty.gguf", b""), "is empty"),
        (lambda d, _m: d, "is a folder"),
        (lambda d, m: _write(d / "cut.gguf", m.read_bytes()[: 1 << 20]), "is truncated"),
        (lambda d, m: _write(d / "cut-data.gguf", m.read_bytes()[: 100 << 20]), "is truncated"),
    ],
    ids=["missing", "text-file", "empty", "directory", "truncated-header", "truncated-data"],
)
def test_bad_model_files_are_clear_errors(tmp_path: Path, model_path: Path, make, expected) -> None:
    bad = make(tmp_path, model_path)
    engine = LocalEngine()
    with pytest.raises(ModelError, match=expected):
        engine.load(bad, LoadOptions(context_size=512, threads=2))
    assert engine.info is None


def _write(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path


def test_llama_cpp_load_failure_becomes_a_model_error(tmp_path: Path, model_path: Path) -> None:
    # A header that passes the pre-check but that llama.cpp rejects: a value stored as text.
    odd = {"gemma3.rope.freq_base": "ten thousand"}
    alien = copy_with_metadata(model_path, tmp_path / "alien.gguf", odd, copy_weights=False)
    engine = LocalEngine()
    with pytest.raises(ModelError, match=r"llama\.cpp could not load alien\.gguf \(.*freq_base"):
        engine.load(alien, LoadOptions(context_size=512, threads=2))
    # The process is fine and the same engine loads a good model afterwards.
    info = engine.load(model_path, LoadOptions(context_size=512, threads=0))
    assert info.threads == default_threads()
    assert engine.generate(ASK, GenerationParams(max_tokens=3)).stats.prompt_tokens > 0
    engine.unload()


EMBEDDED = (
    "{{ bos_token }}{% for m in messages %}<start_of_turn>"
    "{{ 'model' if m.role == 'assistant' else 'user' }}\n[{{ m.role }}] {{ m.content }}"
    "<end_of_turn>\n{% endfor %}{% if add_generation_prompt %}<start_of_turn>model\n{% endif %}"
)


def test_the_models_own_chat_template_is_used(tmp_path: Path, model_path: Path) -> None:
    path = copy_with_metadata(
        model_path, tmp_path / "templated.gguf", {"tokenizer.chat_template": EMBEDDED}
    )
    engine = LocalEngine()
    info = engine.load(path, LoadOptions(context_size=512, threads=2))
    try:
        assert info.chat_template_source == "gguf"
        messages = [ChatMessage("system", "Be kind."), ChatMessage("user", "Hi")]
        prompt = engine.render_prompt(messages)
        assert prompt == (
            "<bos><start_of_turn>user\n[system] Be kind.<end_of_turn>\n"
            "<start_of_turn>user\n[user] Hi<end_of_turn>\n<start_of_turn>model\n"
        )
        tokens = engine.tokenize_prompt(prompt)
        assert tokens.count(tokens[0]) == 1  # the template's <bos>, not a second one
        stream = engine.generate(messages, GenerationParams(max_tokens=4, temperature=0))
        stream.text()
        assert stream.stats.prompt_tokens == len(tokens)
    finally:
        engine.unload()


def test_a_hostile_embedded_template_refuses_to_load(tmp_path: Path, model_path: Path) -> None:
    hostile = "{{ cycler.__init__.__globals__.os.system('touch " + str(tmp_path / "pwned") + "') }}"
    path = copy_with_metadata(
        model_path, tmp_path / "hostile.gguf", {"tokenizer.chat_template": hostile},
        copy_weights=False,
    )  # fmt: skip
    engine = LocalEngine()
    with pytest.raises(ModelError, match="unsafe operation"):
        engine.load(path, LoadOptions(context_size=512, threads=2))
    assert not (tmp_path / "pwned").exists()
    assert engine.info is None
    # An explicit template family is the documented way round it.
    info = engine.load(path, LoadOptions(context_size=512, threads=2, template_override="gemma"))
    assert info.chat_template_source == "builtin:gemma"
    engine.unload()


def test_generating_without_a_model_is_a_clear_error() -> None:
    with pytest.raises(ModelError, match="No model is loaded"):
        LocalEngine().generate(ASK, GREEDY)


def test_a_stream_replaced_before_it_started_counts_as_cancelled(engine: LocalEngine) -> None:
    unread = engine.generate(ASK, GREEDY)
    engine.generate(ASK, GREEDY).text()
    assert list(unread) == []
    assert unread.stats.stop_reason == "cancelled"
    assert unread.stats.generated_tokens == 0
