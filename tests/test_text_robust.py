"""The text checks never raise, whatever the text, and their spans stay inside the field."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from qa.corpus import Record
from tests.textcheck_helpers import run

PIECES = st.sampled_from(
    [
        "The government said ",
        "El gobierno anunció hoy nuevas medidas para la economía. ",
        "Die Regierung hat heute neue Maßnahmen angekündigt. ",
        "摆脱",
        "이메일 주소는 공개되지 않습니다",
        "👨🚀",
        "\u200d",
        "\ufe0f",
        "\ud83d",
        "\x00",
        "\x85",
        "&amp;",
        "<br>",
        "CafÃ©",
        "u\u0308",
        "\n",
        "Leave a Reply\n",
        "https://www.example.com/a.b?c=d ",
        ". ",
        "’",
    ]
)
TEXT = st.one_of(st.text(max_size=200), st.lists(PIECES, max_size=30).map("".join))


@settings(max_examples=300, deadline=None)
@given(TEXT)
def test_no_exception_and_spans_inside(text: str) -> None:
    rec = Record("fuzz.txt", "fuzz.txt", text=text, body=text)
    for check in ("encoding", "language", "boilerplate"):
        for f in run(check, rec):
            assert f.span is not None
            assert 0 <= f.span[0] < f.span[1] <= len(text), (check, f)
            assert f.line is not None and f.line >= 1


def test_surrogate_inside_a_foreign_sentence_reaches_the_identifier_safely() -> None:
    text = "El gobierno anunci\ud83d hoy nuevas medidas para la economía del país."
    rec = Record("s.txt", "s.txt", text=text, body=text)
    assert [f.rule for f in run("encoding", rec)] == ["E204"]
    assert [f.rule for f in run("language", rec)] == ["L102"]
