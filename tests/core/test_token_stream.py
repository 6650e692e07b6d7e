"""Token bytes to text: split UTF-8 characters and stop strings that span tokens."""

from __future__ import annotations

from app.core.token_stream import TextAssembler


def feed(assembler: TextAssembler, chunks: list[bytes]) -> list[str]:
    return [assembler.push(chunk) for chunk in chunks]


def test_character_split_across_tokens_waits_until_complete() -> None:
    data = "café 🌊".encode()
    assembler = TextAssembler()
    out = feed(assembler, [data[:4], data[4:5], data[5:7], data[7:9], data[9:]])
    assert out == ["caf", "é", " ", "", "🌊"]
    assert assembler.flush() == ""


def test_incomplete_bytes_at_the_end_become_a_replacement_character() -> None:
    assembler = TextAssembler()
    assert assembler.push(b"ok \xf0\x9f") == "ok "
    assert assembler.flush() == "\ufffd"


def test_stop_string_spanning_tokens_never_leaks() -> None:
    assembler = TextAssembler(["<end_of_turn>"])
    out = feed(assembler, [b"Sure", b" thing<end", b"_of", b"_turn>", b"more"])
    assert "".join(out) == "Sure thing"
    assert out[1] == " thing"  # "<end" is held back, not shown
    assert assembler.stopped
    assert assembler.flush() == ""


def test_held_text_is_released_when_it_stops_matching() -> None:
    assembler = TextAssembler(["\nUser:"])
    assert assembler.push(b"one\nUs") == "one"
    assert assembler.push(b"ually") == "\nUsually"
    assert not assembler.stopped


def test_held_text_is_released_at_the_end() -> None:
    assembler = TextAssembler(["STOP"])
    assert assembler.push(b"go ST") == "go "
    assert assembler.flush() == "ST"


def test_earliest_of_several_stop_strings_wins() -> None:
    assembler = TextAssembler(["</s>", "[INST]"])
    assert assembler.push(b"a[INST]b</s>") == "a"


def test_leading_whitespace_of_a_reply_is_dropped_once() -> None:
    assembler = TextAssembler(strip_leading=True)
    assert feed(assembler, [b" ", b"\n", b" Hi", b" there"]) == ["", "", "Hi", " there"]


def reply(assembler: TextAssembler, pieces: list[str]) -> str:
    out = []
    for piece in pieces:
        out.append(assembler.push(piece.encode()))
        if assembler.stopped:
            break
    out.append(assembler.flush())
    return "".join(out)


def test_a_turn_start_glued_to_the_text_ends_the_reply() -> None:
    glued = TextAssembler(turn_starts=("user\n",))
    pieces = ["Hello", "!", " How", " can", " I", " help", "?", " mendatang", "user", "\n", "Hey"]
    assert reply(glued, pieces) == "Hello! How can I help? mendatang"
    assert glued.stopped
    line_start = TextAssembler(turn_starts=("user\n",))
    assert reply(line_start, ["Sure.\n", "user", "\n", "next"]) == "Sure.\n"


def test_a_role_word_in_a_sentence_is_text() -> None:
    assembler = TextAssembler(turn_starts=("user\n",))
    text = reply(assembler, ["Ask", " the", " user", "\n", "then", " the", " user", " again"])
    assert text == "Ask the user\nthen the user again"
    assert not assembler.stopped
