"""Check `boilerplate` (B101-B106): chrome lines found, article sentences left alone, patterns extensible."""

from __future__ import annotations

from pathlib import Path

import pytest

from qa.checks.boilerplate import shipped_patterns
from tests.textcheck_helpers import SEEDS, file_at, record, run, seed

FM = '---\ntitle: "Title"\nexcerpt: "{excerpt}"\n---\n{body}'


def bp(tmp_path: Path, body: str, excerpt: str = "Plain.", **options: object) -> list:
    return run("boilerplate", record(tmp_path, FM.format(excerpt=excerpt, body=body)), **options)


def test_comment_form_lines(tmp_path: Path) -> None:
    body = (
        "Article text.\n\nLeave a Reply\n"
        "Your email address will not be published. Required fields are marked *\n"
        "  • Cancel reply\n"
    )
    fs = bp(tmp_path, body)
    assert [f.rule for f in fs] == ["B101", "B101", "B101"]
    assert [body[slice(*f.span)] for f in fs] == [
        "Leave a Reply",
        "Your email address will not be published. Required fields are marked *",
        "• Cancel reply",
    ]
    assert [f.line for f in fs] == [7, 8, 9]
    rec = record(tmp_path, FM.format(excerpt="Plain.", body=body))
    assert file_at(rec, fs[2].line, fs[2].column, 14) == "• Cancel reply"
    assert all(f.severity == "warning" for f in fs)


@pytest.mark.parametrize(
    ("line", "code"),
    [
        ("Share this article", "B102"),
        ("Facebook Twitter LinkedIn WhatsApp Email", "B102"),
        ("Subscribe to our newsletter", "B103"),
        ("This website uses cookies to improve your experience.", "B104"),
        ("Read more »", "B105"),
        ("Continue reading", "B105"),
        ("Skip to content", "B107"),
        ("Schreibe einen Kommentar", "B101"),
        ("Laisser un commentaire", "B101"),
        ("발행 전에", None),
    ],
)
def test_categories(tmp_path: Path, line: str, code: str | None) -> None:
    fs = bp(tmp_path, f"Text.\n{line}\nMore text.\n")
    assert [f.rule for f in fs] == ([code] if code else [])


def test_sentences_mentioning_chrome_words_pass(tmp_path: Path) -> None:
    body = (
        "Readers can leave a reply on the website, the editor said.\n"
        "The company said it uses cookies to track users, a practice regulators criticized.\n"
        "Many readers subscribe to the newsletter for its weekly analysis.\n"
        "Read more about the election in our live coverage below, which is updated hourly.\n"
        "Posted in 2019, the video went viral.\n"
    )
    assert bp(tmp_path, body) == []


def test_excerpt_checked_topics_not(tmp_path: Path) -> None:
    text = '---\nexcerpt: "Read more"\ntopics:\n  - Advertisement\n---\n'
    fs = run("boilerplate", record(tmp_path, text))
    assert [(f.field, f.rule, f.line) for f in fs] == [("excerpt", "B105", 2)]


def test_user_patterns_extend_the_shipped_ones(tmp_path: Path) -> None:
    body = "Text.\nPlus de nouvelles sur notre site\n"
    assert bp(tmp_path, body) == []
    [f] = bp(tmp_path, body, extra_patterns={"read-more": ["plus de nouvelles sur notre site"]})
    assert f.rule == "B105"
    extra = tmp_path / "more.yaml"
    extra.write_text("categories:\n  page-chrome:\n    - 'plus de nouvelles .*'\n", encoding="utf-8")
    [g] = bp(tmp_path, body, patterns_file=str(extra))
    assert g.rule == "B106"


def test_bad_user_patterns_are_reported_clearly(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="unknown category"):
        bp(tmp_path, "x\n", extra_patterns={"nonsense": ["x"]})
    with pytest.raises(ValueError, match="bad pattern"):
        bp(tmp_path, "x\n", extra_patterns={"read-more": ["(unclosed"]})


def test_shipped_patterns_are_package_data() -> None:
    pats = shipped_patterns()
    assert set(pats) == {
        "comment-form",
        "share-prompt",
        "subscribe-prompt",
        "cookie-notice",
        "read-more",
        "page-chrome",
        "navigation",
        "copyright-notice",
        "login-prompt",
    }
    assert sum(len(v) for v in pats.values()) > 50


def test_every_shipped_expression_compiles() -> None:
    """clipqa does not compile the shipped expressions to validate them at each start (a user's
    patterns file it does): this is their validation."""
    from qa.checks.boilerplate import _shipped_yaml, parse_patterns

    checked = parse_patterns(_shipped_yaml(), "qa/data/boilerplate.yaml", validate=True)
    assert checked == parse_patterns(_shipped_yaml(), "qa/data/boilerplate.yaml", validate=False)
    for expressions in shipped_patterns().values():
        for expression in expressions:
            re.compile(expression)  # raises on a bad one, naming it


@pytest.mark.skipif(not SEEDS.is_dir(), reason="seeds not present")
def test_seeds() -> None:
    for prefix in ("000", "001", "002", "004"):
        assert run("boilerplate", seed(prefix)) == []
    rec = seed("003")
    fs = run("boilerplate", rec)
    assert [rec.body[slice(*f.span)] for f in fs] == [
        "답글 남기기",
        "이메일 주소는 공개되지 않습니다. 필수 필드는 *로 표시됩니다",
    ]
    assert [f.line for f in fs] == [125, 127]


@pytest.mark.parametrize(
    ("line", "code"),
    [
        # the lines issue 18 found missed on real pages
        ("Sign Up For Our Newsletter", "B103"),
        ("Subscribe to our Harbour Times Today newsletter", "B103"),
        ("Our website uses cookies to offer you a better browsing experience.", "B104"),
        ("Copyright © 2019 Harbour Times", "B108"),
        ("Copyright (c) 2012- Jane Doe. All rights reserved.", "B108"),
        ("Leave A Comment Cancel Reply", "B101"),
        ("Write a comment", "B101"),
        ("READ THE REST", "B105"),
        ("Next Post", "B107"),
        ("Previous Post", "B107"),
        ("Scroll to top", "B107"),
        ("Privacy Policy and Terms of Use", "B106"),
        ("Follow us on linkedin youtube", "B103"),
        ("Deine E-Mail-Adresse wird nicht veröffentlicht. Erforderliche Felder sind mit * markiert.", "B101"),
        ("facebook twitter print email", "B102"),
        # the same kinds in other languages (CMS catalogues and hand-written patterns)
        ("Zum Inhalt springen", "B107"),
        ("» Weiterlesen", "B105"),
        ("Passwort vergessen?", "B109"),
        ("Tous droits réservés", "B108"),
        ("Aller au contenu", "B107"),
        ("Saltar al contenido", "B107"),
        ("Todos los derechos reservados.", "B108"),
        ("Voltar ao topo", "B107"),
        ("Leggi anche: il governo cade", "B105"),
        ("Lees meer", "B105"),
        ("Перейти к содержимому", "B107"),
        ("Все права защищены.", "B108"),
        ("コンテンツへスキップ", "B107"),
        ("返回顶部", "B107"),
        ("본문 바로가기", "B107"),
        ("Home › News › World", "B107"),
        ("Page 2 of 14", "B107"),
        ("5 min read", "B106"),
        ("Already a subscriber? Log in here.", "B109"),
        ("Advertisement", "B106"),
        ("Anzeige", "B106"),
    ],
)
def test_furniture_of_every_kind_in_many_languages(tmp_path: Path, line: str, code: str) -> None:
    fs = bp(tmp_path, f"An article sentence.\n{line}\nAnother sentence.\n")
    assert [(f.rule, f.evidence) for f in fs] == [(code, line.strip())]
    assert f"{fs[0].rule}" in {"B101", "B102", "B103", "B104", "B105", "B106", "B107", "B108", "B109"}


@pytest.mark.parametrize(
    "line",
    [
        # article sentences that mention the words of page furniture
        "Copyright law changed in 2019, the court said.",
        "Next, the minister spoke about the budget.",
        "Previous articles have covered the dispute at length.",
        "12 responses to the survey were received by Friday.",
        "Register now to attend the conference in May.",
        "The company said it uses cookies to improve its ads, regulators said.",
        "We use cookies, the spokesman admitted, but only for analytics.",
        "You are here because the council voted for it.",
        "Sign in sheets were handed out at the door, witnesses said.",
        "Follow the money, the prosecutor told the jury.",
        "Home prices rose 3% in March.",
        "The rights reserved by the treaty were never used.",
        "2019 2020 2021",
        "Designed by Zaha Hadid, the station opened in 2010.",
    ],
)
def test_article_sentences_with_furniture_words_pass(tmp_path: Path, line: str) -> None:
    assert bp(tmp_path, f"An article sentence.\n{line}\n") == []


def test_catalogue_phrases_have_their_sources() -> None:
    import json
    from importlib import resources

    doc = json.loads(resources.files("qa").joinpath("data/boilerplate_phrases.json").read_text(encoding="utf-8"))
    rows = doc["phrases"]
    assert len({lang.split("_")[0].split("-")[0] for _c, lang, _t, _s in rows}) >= 50
    for lang in ("de", "fr", "es", "pt", "it", "nl", "ru", "ja", "zh", "ko"):
        assert any(r[1].startswith(lang) for r in rows), lang
    for category, _lang, text, source in rows:
        assert category in {"comment-form", "share-prompt", "subscribe-prompt", "cookie-notice", "read-more"} | {
            "page-chrome",
            "navigation",
            "copyright-notice",
            "login-prompt",
        }
        assert text.strip() and source.split()[0] in doc["sources"]


def test_shipped_yaml_entries_each_name_a_source() -> None:
    from qa.checks.boilerplate import _shipped_yaml

    for entries in _shipped_yaml()["categories"].values():
        for entry in entries:
            assert isinstance(entry, dict) and entry.get("source"), entry


def test_long_prose_lines_are_never_chrome(tmp_path: Path) -> None:
    line = "Sign up for our newsletter " + "and read the full report on the election results " * 8
    assert bp(tmp_path, f"{line}\n") == []


# ---------------------------------------------------------------- the expressions' buckets

import dataclasses  # noqa: E402
import re  # noqa: E402
import unicodedata  # noqa: E402
from collections.abc import Callable  # noqa: E402

from hypothesis import HealthCheck, example, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from qa.checks import boilerplate as bpmod  # noqa: E402

PATS = bpmod.compile_patterns()
ENTRIES = [e for e in PATS.entries]
NEEDS = bpmod.shipped_needs()


def reference_category(line: str) -> str | None:
    """line_category without its buckets: every expression in one case-insensitive alternation,
    the exact phrases, every needed-phrase expression, the contained phrases."""
    n = len(line)
    if not 0 < n <= max(bpmod.MAX_LINE, PATS.phrase_max):
        return None
    if n <= bpmod.MAX_LINE:
        m = _FULL.match(line)
        if m is not None:
            return PATS.groups.get(m.lastgroup or "", "page-chrome")
    if n <= PATS.phrase_max:
        found = PATS.phrases.get(bpmod.phrase_key(line))
        if found is not None and not found[1]:
            return found[0]
    if n > bpmod.MAX_LINE:
        return None
    lowered = line.lower()
    for phrases, expression in PATS.needed:
        if any(p in lowered for p in phrases):
            m = expression.match(line)
            if m is not None:
                return PATS.groups.get(m.lastgroup or "", "page-chrome")
    if n <= bpmod.MAX_CONTAINS_LINE:
        for phrase, category in PATS.contains:
            if phrase in lowered:
                return category
    return None


_FULL = bpmod._alternation(ENTRIES, PATS.groups)


def _matching(entry: tuple[str, str, object, object]) -> st.SearchStrategy[str]:
    return st.from_regex(re.compile(entry[1], re.IGNORECASE), fullmatch=True)


@settings(max_examples=1500, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
@given(st.sampled_from(ENTRIES).flatmap(lambda e: st.tuples(st.just(e), _matching(e))))
def test_first_characters_and_longest_match_cover_every_match(
    drawn: tuple[tuple[str, str, object, object], str],
) -> None:
    (_category, pattern, first, longest), text = drawn
    assert first is None or text == "" or any(bpmod._same_letter(f, text[0]) for f in first), (pattern, text)
    assert longest is None or len(text) <= longest, (pattern, text)


@settings(max_examples=600, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
@given(
    st.sampled_from([p for ps in bpmod.shipped_patterns().values() for p in ps if p in NEEDS]).flatmap(
        lambda p: st.tuples(st.just(p), st.from_regex(re.compile(p, re.IGNORECASE), fullmatch=True))
    )
)
def test_needed_phrases_are_in_every_match(drawn: tuple[str, str]) -> None:
    pattern, text = drawn
    assert any(phrase in text.lower() for phrase in NEEDS[pattern]), (pattern, text)


LEADS = st.sampled_from(["", " ", "  • ", "- ", "» ", "\t", "* "])
TAILS = st.sampled_from(["", ".", " »", ":", "!", " ", "…"])


@settings(max_examples=1500, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
@given(
    st.one_of(
        st.tuples(LEADS, st.sampled_from(ENTRIES).flatmap(_matching), TAILS).map("".join),
        st.text(max_size=80),
        st.sampled_from(["Read more: The Budget", "SHARE /", "Puntualo 4 estrellas", "© Thomson Reuters 2020"]),
    ),
    st.booleans(),
)
def test_buckets_find_what_the_whole_alternation_finds(line: str, upper: bool) -> None:
    line = line.upper() if upper else line
    assert bpmod.line_category(line, PATS) == reference_category(line), line


def test_lower_case_matching_is_case_insensitive_matching_on_windows_1252() -> None:
    """Every character of a shipped expression plain to lower, against every Windows-1252
    character: a case-insensitive match is a match of the line's lower case."""
    chars = {c for _cat, p, _f, _l in ENTRIES if bpmod._lower_safe(p) for c in re.sub(r"\\.", "", p)}
    line_chars = [c for b in range(256) if (c := bytes([b]).decode("cp1252", errors="ignore"))]
    for c in chars:
        rx = re.compile(re.escape(c), re.IGNORECASE)
        for x in line_chars:
            assert (rx.fullmatch(x) is not None) == (c == x.lower()), (c, x)


def test_the_list_of_characters_that_fold_into_windows_1252_is_whole() -> None:
    found = set()
    for point in range(0x80, 0x10000):
        c = chr(point)
        if 0xD800 <= point < 0xE000 or bpmod._windows_1252(c):
            continue
        if any(len(v) == 1 and bpmod._windows_1252(v) for v in (c.lower(), c.upper(), c.casefold())):
            found.add(c)
    assert found <= set(bpmod._FOLD_INTO_1252)


def test_shipped_expressions_are_bounded_and_read() -> None:
    """Every shipped expression has a longest match and, unless it names a phrase it needs or
    may start with a bullet, known first characters (else it is tried on every line)."""
    for _category, pattern, _first, longest in ENTRIES:
        assert longest is not None, pattern
    generic = [p for _c, p, first, _l in ENTRIES if first is None]
    assert len(generic) <= 4, generic


@pytest.mark.parametrize(
    ("pattern", "first", "longest"),
    [
        ("share this", {"s"}, 10),
        ("(next|previous) post", {"n", "p"}, 13),
        ("(a )?b", {"a", "b"}, 3),
        (r"\d{1,3} comments?", {"\\d"}, 12),  # any decimal digit ("٣" too)
        ("[a-c]x", {"a", "b", "c"}, 2),
        ("(?!x)ab", {"a"}, 2),
        (r"\bword", {"w"}, 4),
        (".x", None, 2),
        (r"\wx", None, 2),
        ("[^a]x", None, 2),
        ("a*b", {"a", "b"}, None),
        ("(?i)ab", None, None),
        ("- item", None, 6),  # may start with a bullet
    ],
)
def test_first_characters_read_from_an_expression(pattern: str, first: set[str] | None, longest: int | None) -> None:
    assert bpmod.first_chars(pattern) == (None if first is None else frozenset(first))
    assert bpmod.longest_match(pattern) == longest


# ---------------------------------------------------------------- blocks of furniture


def flagged(text: str) -> list[str]:
    return [text[s:e] for s, e, _c in bpmod.boilerplate_lines(text, PATS)]


def test_a_menu_is_furniture_and_the_title_after_it_is_not() -> None:
    body = (
        "Home\nNews\nWetter Extra\nWorld\nMinisters Agree on a Budget\n"
        "The ministers met on Tuesday and agreed on the budget for next year, officials said.\n"
    )
    assert flagged(body) == ["Home", "News", "Wetter Extra", "World"]  # a short line between menu items


def test_short_lines_beside_furniture_count_and_alone_they_do_not() -> None:
    share = (
        "The minister resigned on Tuesday after weeks of pressure, her office said in a statement.\n"
        "Follow Us\nTwitter /\nFacebook /\nRSS\n"
        "The opposition welcomed the decision and called for an early election this autumn.\n"
    )
    assert flagged(share) == ["Follow Us", "Twitter /", "Facebook /", "RSS"]
    heading = (
        "The minister resigned on Tuesday, her office said.\nWhat Comes Next\n"
        "The opposition called for an early election.\n"
    )
    assert flagged(heading) == []
    # a subheading next to one line of furniture inside the article, with prose after it, stays
    inside = (
        "The minister resigned on Tuesday, her office said.\nAdvertisement\nWhat Comes Next\n"
        "The opposition called for an election.\n"
    )
    assert flagged(inside) == ["Advertisement"]


@pytest.mark.parametrize(
    ("line", "code"),
    [
        ("Puntualo 3 estrellas", "B106"),
        ("Rated 4 out of 5 stars", "B106"),
        ("Visto 314 veces", "B106"),
        (
            "We are a participant in the Amazon Services LLC Associates Program, an affiliate advertising program.",
            "B106",
        ),
        ("Some links on this page are affiliate links: if you buy through them we earn a small commission.", "B106"),
        ("Für Links auf dieser Seite erhält die Redaktion ggf. eine Provision vom Händler.", "B106"),
        ("This post is published under a Creative Commons license except where otherwise noted.", "B108"),
        ("© Thomson Reuters 2020", "B108"),
        ("Read more: The budget talks collapse again", "B105"),
        ("More stories like this one", "B105"),
        ("Next Auto News", "B107"),
        ("Pages: 1 2 3 4", "B107"),
        ("Terms of Use", "B106"),
        ("FacebookTwitterMail", "B106"),  # the category of its first piece ("Facebook", a menu item)
        ("ImpressumDatenschutzKontakt", "B106"),
        ("Log in to your account", "B109"),
        ("Login/Signup", "B109"),
        ("I'm not a robot", "B109"),
        ("12 Comentarios", "B101"),
        ("Nombre (*):", "B101"),
        ("Join 4,512 other followers", "B103"),
        ("Get the Morning Briefing newsletter", "B103"),
        ("Donate to the Foundation", "B103"),
        ("By continuing your browsing on our site, you agree to the use of cookies.", "B104"),
        ("If nothing happens, download GitHub Desktop and try again.", "B106"),
        # round 7: a comment section's rules, consent lines, follow calls, members-only prompts, pagers
        ("Abusive or off-topic comments will be removed without notice.", "B101"),
        ("2. We value your feedback and read every comment.", "B101"),
        ("Please read our community guidelines before you post.", "B101"),
        ("The Herald is committed to maintaining a civil forum for discussion among its readers.", "B101"),
        ("Pour commenter, vous devez être connecté.", "B101"),
        ("12개의 댓글이 있습니다.", "B101"),
        ("Yes, I would like to receive offers and news from the Daily Planet.", "B103"),
        ("J'accepte de recevoir les offres des partenaires du Monde.", "B103"),
        ("Like us on Instagram for photos from every match", "B103"),
        ("Get notified when Jane Doe publishes a new story", "B103"),
        ("Síguenos en Twitter", "B103"),
        ("¿Aún no eres suscriptor? Regístrate gratis", "B109"),
        ("この記事は有料会員限定です。", "B109"),
        ("（2/4ページ）", "B107"),
        ("首页 > 国际新闻 > 正文", "B107"),
        ("Start > Politik > Ausland > Wahlen in Frankreich", "B107"),
        ("> Sport > Fußball > Bundesliga", "B107"),
        ("(RELATED: The ten best phones of the year)", "B105"),
        ("See our best photos of the week", "B105"),
    ],
)
def test_furniture_of_the_kinds_real_pages_carry(tmp_path: Path, line: str, code: str) -> None:
    fs = bp(
        tmp_path,
        f"An article sentence that is long enough to be prose, the officials said.\n{line}\n"
        "Another sentence of the article, which goes on for a while, they added.\n",
    )
    assert [(f.rule, f.evidence) for f in fs] == [(code, line)]


@pytest.mark.parametrize(
    "line",
    [
        '"We have updated our privacy policy," a spokeswoman for the company said on Monday.',
        "The retailer's affiliate links drew criticism from consumer groups last year.",
        "Next week the minister will visit Paris and Berlin.",
        "Close to 200 people attended the rally on Saturday.",
        "Share prices fell 3% in early trading.",
        "The photo is one of the most shared images of the year.",
        "Terms of the deal were not disclosed.",
        "Donated blood supplies are running low, the Red Cross said.",
        "Read the full report before the vote, the senator urged colleagues.",
        # round 7: what the comment-rule, consent, follow and breadcrumb patterns must leave alone
        "Racist comments will be deleted, the club said in a statement.",
        "Users must follow the community guidelines, a Meta spokesman said.",
        "I agree to receive the award on behalf of my team, she said.",
        "« Nous resterons » dit-il » avant de partir » ce soir.",
        "»Wir bleiben« sagte er » und dann » gingen alle nach Hause.",
        "The ratio fell > 3% > the week before, traders said.",
        "Open Settings > General > Software Update to install it.",
        "Get alerts on your phone when the storm hits, officials urged residents.",
        "We expect comments to be made public next week, the regulator said.",
        "Posts that glorify violence will be removed.",
        "(Photo: Getty Images)",
        "(Video: Reuters)",
        "The university is committed to providing a safe space for debate, its president said.",
        "Follow us on this journey, the mayor told the crowd on Monday.",
        "We welcome your comments, the editor wrote.",
    ],
)
def test_article_sentences_about_those_things_pass(tmp_path: Path, line: str) -> None:
    assert bp(tmp_path, f"An article sentence that is long enough to be prose, the officials said.\n{line}\n") == []


# ---------------------------------------------------------------- the fast path of boilerplate_lines

# Lines of every kind the classes tell apart: furniture (patterns, catalogue phrases, vocabulary,
# glued rows, glue), notices that need a phrase, headings, short sentences, paragraphs (with and
# without a needed phrase, in and beyond Windows-1252), lines longer than MAX_LINE, indentation.
LINE_POOL = [
    "Home",
    # read by their context (round 4): headings over links, sentences between furniture, calls to
    # action, glued words, counts
    "Further reading",
    "Topics:",
    "Investors: IFRS unfit for purpose",
    "When you tweet with a location, Twitter stores that location.",
    "Please follow Money Game on Twitter and Facebook.",
    "COMMENTEMAILMORE",
    "1.2K shares",
    "A A A",
    "Copy it to easily share with friends.",
    "  • Share this article",
    "Leave a Reply",
    "Email This",
    "Story Tools",
    "What Comes Next",
    "Reader Discussion",
    "FacebookTwitterMail",
    "1",
    "|",
    "×",
    "Image caption",
    "分享到微信",
    "关于我们",
    "Ministers Agree on a Budget",
    "Page ignored her.",
    "Posted by:",
    "© 2019 Example Media. All rights reserved.",
    "Boing Boing uses cookies and analytics trackers, and is supported by advertising; see our privacy policy.",
    "We are a participant in the Amazon Services LLC Associates Program, an affiliate advertising program.",
    "The ministers met on Tuesday and agreed on the budget for next year, officials said in a statement.",
    "Le ministre a déclaré mardi que le budget serait adopté avant la fin de l'année, selon ses services.",
    "이메일 주소는 공개되지 않습니다. 필수 필드는 *로 표시됩니다",
    "By continuing to use this website, you agree to the use of cookies and similar technologies on our pages.",
    "Read more: 大臣は火曜日に予算について合意したと述べた、と関係者が明らかにした。"
    "その後の会見で詳細が説明された。その後も議論は続いた。",
    "Read more: Le ministre a déclaré mardi que le budget serait adopté avant la fin de l'année, a-t-il ajouté.",
    "大臣は火曜日に予算について合意したと述べた。" * 4,
    "The council debated the proposal for hours. " * 9,
    "",
    "   ",
]


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(
        st.one_of(
            st.sampled_from(LINE_POOL),
            st.text(alphabet=st.sampled_from("ab .:|•©\t-1Éé分x"), max_size=90),
            st.sampled_from(LINE_POOL).map(str.upper),
        ),
        max_size=24,
    ).map("\n".join),
    st.booleans(),
)
def test_boilerplate_lines_is_its_plain_reading(text: str, fresh: bool) -> None:
    """boilerplate_lines (short lines remembered once per process, paragraphs read by their
    expressions only) finds exactly what plain_boilerplate_lines finds reading every line afresh,
    whether the memo is empty or holds the lines already."""
    if fresh:
        bpmod._LINE_KINDS.results = {}
    assert bpmod.boilerplate_lines(text, PATS) == bpmod.plain_boilerplate_lines(text, PATS)
    assert bpmod.boilerplate_lines(text, PATS) == bpmod.plain_boilerplate_lines(text, PATS)  # from the memo


def test_windows_1252_test_is_the_codec() -> None:
    """_windows_1252 (one search for a character the code page lacks) says what encoding to cp1252
    says, for every character of the Basic Multilingual Plane."""
    for code in range(0x10000):
        ch = chr(code)
        try:
            ch.encode("cp1252")
            encodes = True
        except UnicodeEncodeError:
            encodes = False
        assert bpmod._windows_1252(ch) == encodes, hex(code)


@settings(max_examples=600, deadline=None)
@given(st.text(alphabet=st.characters(max_codepoint=127), max_size=60))
def test_the_ascii_word_pattern_reads_ascii_lines_as_the_general_one(line: str) -> None:
    lowered = line.lower()
    assert bpmod._ASCII_WORD.findall(lowered) == bpmod._WORD.findall(lowered)


# ---------------------------------------------------------------- the class of furniture, read by its words

PROSE = "The council met on Tuesday and agreed on the budget for next year, the mayor's office said."


@pytest.mark.parametrize(
    ("lines", "found"),
    [
        # buttons and menu items no pattern knows, read by their words: a block of them
        (["Email This", "Story Tools", "Text Size"], ["Email This", "Story Tools", "Text Size"]),
        (["Login With Facebook"], ["Login With Facebook"]),  # two furniture words and no other: strong
        (["Subscribe to this RSS feed"], ["Subscribe to this RSS feed"]),
        # one other word: a maybe, counted between furniture only
        (["Share", "Reader Discussion", "Print"], ["Share", "Reader Discussion", "Print"]),
        # links off: navigation marks set apart
        (["More ›", "ARCHIVE |"], ["More ›", "ARCHIVE |"]),
        (["Blogs | Quizzes | Slideshows | Video"], []),  # one weak line inside the text: alone
        # in capitals, a box's heading beside a button
        (["SUBSCRIBE TO DEADLINE NEWS", "More ›"], ["SUBSCRIBE TO DEADLINE NEWS", "More ›"]),
        # a template's line under every comment
        (
            ["Reply", "A reader wrote this.", "Reply", "Another reader wrote that.", "Reply"],
            ["Reply", "Reply", "Reply"],
        ),
        # counters and page numbers between furniture are furniture
        (["Page", "1", "2", "Next Page"], ["Page", "1", "2", "Next Page"]),
        # languages written without spaces
        (["分享到微信", "关于我们"], ["分享到微信", "关于我们"]),
        (["ログイン", "利用規約"], ["ログイン", "利用規約"]),
    ],
)
def test_furniture_read_by_its_words(lines: list[str], found: list[str]) -> None:
    text = "\n".join([PROSE, *lines, PROSE])
    assert flagged(text) == found


def test_a_run_at_the_edge_needs_one_weak_line() -> None:
    """The page's footer: prose on one side only, one furniture word and a line beside it."""
    assert flagged(f"{PROSE}\nTags\n2 Chainz\nAce Hood") == ["Tags", "2 Chainz", "Ace Hood"]
    assert flagged(f"{PROSE}\nTags") == []  # alone
    assert flagged(f"{PROSE}\nWhat Comes Next\nThe Plan") == []  # a maybe is not enough


@pytest.mark.parametrize(
    "lines",
    [
        ["> We welcome your comments, the editor wrote.", "> Please share them with us.", "> Reply below."],
        ["| Package | Email | Share |", "| clipqa | yes | no |"],
        ["|-- bin/", "| |-- python", "| |-- pip", "|-- lib/"],
        [">>> import htmldate", ">>> htmldate.find_date(page)"],
        ["app:", "  version: 1.3.5", "  log: debug", "  username: app_user", "  password: secret_value"],
        ["print(user)", "print(report)"],
        ["外国专家：中美合作共赢符合国际社会利益", "哈立德·泰穆尔·阿克拉姆指出"],
        ["Ayrault «assume» et «revendique» sa méthode"],
        ["Share Your Media", "It's great that your notes are synced."],
        ["Chorus:", "Say girl, you know that you're the only one", "Chorus:", "Chorus:"],
    ],
)
def test_code_quotes_tables_and_headings_are_no_furniture(lines: list[str]) -> None:
    assert flagged("\n".join([PROSE, *lines, PROSE])) == []


NOTICE = "Boing Boing uses cookies and analytics trackers, and is supported by advertising; see our privacy policy."


def test_a_notice_is_read_where_notices_stand() -> None:
    """A long line is read for needed phrases at the text's edges and beside furniture, not
    between two paragraphs of the article (nor as a text of one line)."""
    tail = "\n".join([PROSE, PROSE, PROSE, NOTICE])
    assert flagged(tail) == [NOTICE]
    beside = "\n".join([PROSE, PROSE, "Share this article", NOTICE, PROSE, PROSE, PROSE])
    assert flagged(beside) == ["Share this article", NOTICE]
    inside = "\n".join([PROSE, PROSE, PROSE, NOTICE, PROSE, PROSE, PROSE])
    assert flagged(inside) == []
    assert flagged(NOTICE) == []


# ---------------------------------------------------------------- round 4: the class, on pages nobody tuned on


def test_the_vocabulary_holds_strings_only() -> None:
    """YAML 1.1 reads on, no, yes (and off) as booleans: the function words "on", "no", "yes" were
    lost to True and False ("Add us on Facebook!" read "on" as another word)."""
    doc = bpmod._shipped_yaml()
    lists = [doc["function_words"], doc["reader_words"], doc["calls"]]
    lists += [words for c, words in doc["vocabulary"].items() if c != "unspaced"]
    lists += list(doc["vocabulary"]["unspaced"].values())
    lists += [entry["lines"] for entry in doc["weak"].values()]
    for words in lists:
        assert all(isinstance(w, str) for w in words), [w for w in words if not isinstance(w, str)]
    vocabulary = bpmod.shipped_vocabulary()
    assert {"on", "no", "yes"} <= vocabulary.function
    assert not {"true", "false"} & vocabulary.function


@pytest.mark.parametrize(
    ("lines", "found"),
    [
        # a sentence of a box between two strong lines of furniture
        (
            ["Embed this Tweet", "Add this Tweet to your website by copying the code below.", "Copy link to Tweet"],
            ["Embed this Tweet", "Add this Tweet to your website by copying the code below.", "Copy link to Tweet"],
        ),
        # ... not without a furniture word, not beside a weak line, not twice in a row
        (
            ["Share this article", "The minister resigned on Tuesday.", "Print this article"],
            ["Share this article", "Print this article"],
        ),
        (["Contact", "See my contact page for details.", "© 2019 GitHub, Inc."], ["© 2019 GitHub, Inc."]),
        (
            [
                "Share this article",
                "The minister resigned after the story broke.",
                "Officials told the story differently.",
                "Print this article",
            ],
            ["Share this article", "Print this article"],
        ),
    ],
)
def test_a_sentence_between_two_lines_of_furniture_is_the_box_s(lines: list[str], found: list[str]) -> None:
    assert flagged("\n".join([PROSE, *lines, PROSE])) == found


@pytest.mark.parametrize(
    ("lines", "found"),
    [
        (["Further reading", "Investors: IFRS unfit for purpose", "Banks favour IFRS 9"], ["Further reading"]),
        # a headline and then the next box
        (
            ["Related briefings", "Business Confidence Monitor optimism for 2011", "You may also like"],
            ["Related briefings", "Business Confidence Monitor optimism for 2011", "You may also like"],
        ),
        (  # the page's own furniture over bullet points: a landing page's subheading
            ["Let’s Partner", "Team up with the best engineers while you stay focused", "Money-back guarantee"],
            [],
        ),
        (["Topics:", "olympics-summer,"], ["Topics:"]),  # a label: one line under it
        # over sentences: the article's subheading
        (["Latest developments", PROSE, PROSE], []),
        # one word without a colon is a table's column as often
        (["Link", "Rustler 800 Hochleistungsgrill", "299,95 Euro"], []),
    ],
)
def test_a_heading_over_a_list_of_links(lines: list[str], found: list[str]) -> None:
    assert flagged("\n".join([PROSE, *lines, PROSE, PROSE])) == found


@pytest.mark.parametrize(
    ("line", "kind"),
    [
        ("Please follow Money Game on Twitter and Facebook.", bpmod.WEAK),
        ("You can unsubscribe with one email.", bpmod.WEAK),
        ("Follow us on Twitter and get updates on your phone", bpmod.WEAK),
        # an article's sentence about social media tells of others
        ("Users can share posts on Facebook and Twitter, the company said.", None),
        ("Critics follow the money on Twitter and elsewhere.", None),
    ],
)
def test_a_call_to_action_is_read_by_its_words(line: str, kind: int | None) -> None:
    got = bpmod.vocabulary_kind(line, PATS.vocabulary)
    assert (got[0] if got else None) == kind


@pytest.mark.parametrize(
    ("token", "kind"),
    [
        ("COMMENTEMAILMORE", bpmod.STRONG),
        ("FacebookEmailTwitterGoogle+LinkedInPinterest", bpmod.STRONG),
        ("Playback", bpmod.WEAK),
        ("Homeland", None),
        ("Shareholders", None),
        ("Textbook", None),
    ],
)
def test_furniture_words_run_together(token: str, kind: int | None) -> None:
    got = bpmod.glued_words(token, PATS.vocabulary)
    assert (got[0] if got else None) == kind


@pytest.mark.parametrize(
    ("line", "strong"),
    [
        ("1.2K shares", True),
        ("12 Comments", True),
        ("Views: 1,209", True),
        ("745 commentaires", True),
        ("12 Monkeys", False),
        ("1,209", False),
    ],
)
def test_counts_of_what_readers_did(line: str, strong: bool) -> None:
    assert (bpmod.line_kind(line, line, PATS)[0] == bpmod.STRONG) == strong


@pytest.mark.parametrize(
    ("lines", "found"),
    [
        (["Поделиться", "Комментарии", "Войти"], ["Поделиться", "Комментарии", "Войти"]),  # ru
        (["클릭클릭 많이 본 뉴스", "관련기사"], ["클릭클릭 많이 본 뉴스", "관련기사"]),  # a word with a space
        (["Partager l'article", "Imprimer"], ["Partager l'article", "Imprimer"]),  # an elided article
        (["Cookie-Einstellungen", "Alle akzeptieren"], ["Cookie-Einstellungen", "Alle akzeptieren"]),
        (["Nombre d’articles", "Nombre d’auteurs"], []),  # a table's headings
        (["services:", "python-app:"], []),  # data
        (["A A A", "Text size"], ["A A A", "Text size"]),  # a text-size control
    ],
)
def test_furniture_of_more_languages_and_forms(lines: list[str], found: list[str]) -> None:
    assert flagged("\n".join([PROSE, *lines, PROSE])) == found


@pytest.mark.parametrize(
    ("line", "found"),
    [
        ("AFPBB Newsに掲載している写真・見出し・記事の無断使用を禁じます。 © AFPBB News", True),
        ("Text and photos © 2014 The Example Times Company", True),
        ("Microsoft© Windows is an operating system.", False),
        ("The photo by John © Reuters was shown in a long sentence about the matter at hand", False),
    ],
)
def test_a_notice_that_ends_with_its_owner(line: str, found: bool) -> None:
    assert (bpmod.line_category(line, PATS) == "copyright-notice") == found


def test_a_table_far_from_the_edge_is_no_footer() -> None:
    """A run at the text's edge counts by a weak line near that edge (the page's header or footer),
    not by a column heading far down a table of cells at the article's end."""
    cells = ["Domain", "Domain (A-label)", "Language", "Script"] + ["XN--KGBECHTV", "Arabic", "Arabic"] * 3
    assert flagged("\n".join([PROSE, *cells])) == []
    assert flagged("\n".join([PROSE, "Language", "Script"])) == ["Language", "Script"]  # a footer's menu


@pytest.mark.parametrize(
    ("line", "found"),
    [
        ("Recommended WebAnnotator options:", False),  # a product's name cut at its capital is no row
        ("Edit on GitHub", True),
        ("Built with Sphinx using a theme provided by Read the Docs.", True),
        ("Free document hosting provided by Read the Docs.", True),
        ("Made with Material for MkDocs", True),
        ("Related commits on GitHub:", False),
    ],
)
def test_documentation_sites_furniture(line: str, found: bool) -> None:
    assert (bpmod.line_kind(line, line, PATS)[0] == bpmod.STRONG) == found


def test_a_call_to_contact_repeated_under_each_section() -> None:
    sections = []
    for topic in ("Data on Demand", "Data Science", "Training"):
        sections += [topic, "Any size project, and data refreshed regularly in the form you want.", "Get in touch"]
    assert flagged("\n".join([PROSE, *sections, PROSE])) == ["Get in touch"] * 3


# ---------------------------------------------------------------- round 5: a CMS's strings in every language it ships


@pytest.mark.parametrize(
    ("line", "category"),
    [
        # WordPress's comment area, as its translations print it (en de fr es it pt nl)
        ("Comments Off on How We Voted", "comment-form"),
        ("Both comments and pings are currently closed.", "comment-form"),
        ("Kommentare sind geschlossen.", "comment-form"),
        ("Kommentare deaktiviert für Die Top 5 Trends", "comment-form"),
        ("Kommentare sind momentan deaktiviert, aber Sie können einen Trackback setzen.", "comment-form"),
        ("Les commentaires sont fermés.", "comment-form"),
        ("Los comentarios están cerrados.", "comment-form"),
        ("I commenti sono chiusi.", "comment-form"),
        ("Comentários encerrados.", "comment-form"),
        ("Reacties zijn gesloten.", "comment-form"),
        ("2 Gedanken zu „Ein Interview über KI“", "comment-form"),
        ("Une réflexion sur « Le budget »", "comment-form"),
        ("3 comentarios en «El presupuesto»", "comment-form"),
        ("5 pensieri su “Il bilancio”", "comment-form"),
        ("Pingback: Ein Interview über KI - Example News", "comment-form"),
        ("19. Juni 2018 um 15:28 Uhr - Antworten", "comment-form"),
        ("June 19, 2018 at 3:28 pm Reply", "comment-form"),
        ("Kommentare Schreibe einen Kommentar", "comment-form"),
        ("Daten merken?", "comment-form"),
        ("There are 0 comments. Add yours.", "comment-form"),
        # labelled tag and category lists, the entry footer
        ("Schlagworte: Cybercrime, Hacking, SCADA", "page-chrome"),
        ("Mots-clefs :", "page-chrome"),
        ("Étiquettes : budget, conseil municipal", "page-chrome"),
        ("Labels:", "page-chrome"),
        ("Veröffentlicht in: Originalbeitrag", "page-chrome"),
        ("Dieser Beitrag wurde unter Politik veröffentlicht und mit Wahl verschlagwortet.", "page-chrome"),
        ("This entry was posted in Politics and tagged budget.", "page-chrome"),
        # embedded posts, "you may also like", editors' picks, read more on another site
        ("A post shared by Example (@example) on Jun 16, 2019 at 7:30am PDT", "share-prompt"),
        ("Ein Beitrag geteilt von Example (@example) am Jun 17, 2019 um 12:17 PDT", "share-prompt"),
        ("Sieh dir diesen Beitrag auf Instagram an", "share-prompt"),
        ("Das könnte dir auch gefallen", "read-more"),
        ("Vous aimerez aussi", "read-more"),
        ("También te puede interesar", "read-more"),
        ("La rédaction vous conseille :", "read-more"),
        ("Redaktionstipp", "read-more"),
        ("Lire la suite sur Example !", "read-more"),
        ("Stay up to date with the Market Insider blog.", "subscribe-prompt"),
        ("Bleib auf dem Laufenden zu aktuellen Entwicklungen. Follow @example", "subscribe-prompt"),
        ("Restez informés de l'actualité de votre région", "subscribe-prompt"),
        ("Hauptnavigation", "navigation"),
        ("Seitennummerierung", "navigation"),
        ("Schlagwortwolke", "navigation"),
        ("Nuage de tags", "navigation"),
        # hard negatives: the same words in the article's sentences
        ("Kommentare sind geschlossen worden, nachdem Nutzer gedroht hatten.", None),
        ("Die Kommentare waren deaktiviert, sagte die Sprecherin.", None),
        ("Stay informed, the doctors told their patients on Monday.", None),
        ("Stay informed about the risks of the new virus, the ministry said.", None),
        ("Bleiben Sie informiert, sagte der Minister den Bürgern.", None),
        ("Restez informés, a déclaré le préfet.", None),
        ("Lesen Sie hier, was der Minister am Montag gesagt hat.", None),
        ("Dieser Artikel wurde am Montag aktualisiert.", None),
        ("The labels on the bottles were changed last year.", None),
        ("Das könnte dir gefallen, sagte sie, aber es kam anders.", None),
        # a newsletter box's reassurance, recommendation widgets, "see all", "click here to", e-mail forms
        ("You can unsubscribe with one click.", "subscribe-prompt"),
        ("Don’t worry; we hate spam with a passion.", "subscribe-prompt"),
        ("Kein Spam, Abmeldung jederzeit möglich.", "subscribe-prompt"),
        ("Vous pouvez vous désinscrire à tout moment.", "subscribe-prompt"),
        ("Around the Web:", "read-more"),
        ("Aus dem Netz", "read-more"),
        ("Contenus sponsorisés", "read-more"),
        ("SEE ALL", "navigation"),
        ("Tout voir", "navigation"),
        ("Right Click Here To Download", "navigation"),
        ("Klicken Sie hier, um den Newsletter zu bestellen.", "navigation"),
        ("Cliquez ici pour recevoir nos alertes", "navigation"),
        ("A link has been sent to your friend's email address.", "share-prompt"),
        ("Séparez les adresses e-mail de vos contacts par des virgules.", "share-prompt"),
        ("Join the Nation's Conversation", "comment-form"),
        ("We never share our data with anyone, the company said.", None),
        ("Your data is safe, the minister insisted on Tuesday.", None),
        ("The email was sent to all staff on Friday.", None),
        ("Spam filters caught most of the messages, researchers found.", None),
        # Blogger, Drupal and Joomla as their translations print them
        ("Eingestellt von", "navigation"),
        ("Keine Kommentare:", "comment-form"),
        ("Nenhum comentário:", "comment-form"),
        ("Kommentar veröffentlichen", "comment-form"),
        ("Älterer Post", "navigation"),
        ("Article plus récent", "navigation"),
        ("Abonnieren Kommentare zum Post (Atom)", "navigation"),
        ("Assinar: Postar comentários (Atom)", "navigation"),
        ("Diesen Post per E-Mail versendenBlogThis!In Twitter freigebenIn Facebook freigeben", "page-chrome"),
        ("Anmelden oder Registrieren um Kommentare zu schreiben", "comment-form"),
        ("Añadir nuevo comentario", "comment-form"),
        ("Verfasst von admin am Mo, 02.01.2012 - 10:00", "page-chrome"),
        ("Zugriffe: 1234", "page-chrome"),
        ("Kategorie: Politik", "page-chrome"),
        # hard negatives: a list label is followed by items, not by a sentence
        ("Keine Kommentare zu dem Vorfall, sagte die Polizei.", None),
        ("Categoria: la più votata è stata la prima.", None),
        ("Labels: die Firma änderte die Etiketten, sagte ein Sprecher.", None),
        ("Hits: the best songs of the year", None),
        # WordPress's comment strings in ru ja zh ko
        ("Комментарии закрыты.", "comment-form"),
        ("2 комментария к «Бюджет города»", "comment-form"),
        ("コメントは受け付けていません。", "comment-form"),
        ("评论已关闭。", "comment-form"),
        ("댓글이 닫혔습니다.", "comment-form"),
        ("Метки: бюджет, город", "page-chrome"),
        ("タグ: 予算", "page-chrome"),
        ("标签：预算", "page-chrome"),
        ("Предыдущие записи", "navigation"),
        ("Комментарии закрыты для прессы, сказал представитель министерства на брифинге.", None),
        ("Метки: министерство заявило, что проверит все документы до конца месяца.", None),
    ],
)
def test_a_cms_s_strings_in_the_issue_s_languages(line: str, category: str | None) -> None:
    assert bpmod.line_category(line, PATS) == category


@pytest.mark.parametrize(
    ("lines", "found"),
    [
        # words of the boxes' headings and buttons in more languages, read by their words
        (["Interessante Artikel", "Ein Titel"], ["Interessante Artikel"]),
        (["Les dernières actualités", "Un titre"], ["Les dernières actualités"]),
        (["Diese Geschichte teilen"], ["Diese Geschichte teilen"]),
        (["Beitrag teilen …"], ["Beitrag teilen …"]),
        (["teilen", "twittern", "teilen"], ["teilen", "twittern", "teilen"]),
        (["Home", "Über", "Kontakt"], ["Home", "Über", "Kontakt"]),  # a menu
        (["Die Geschichte der Stadt"], []),  # a heading of the article
        (["Über"], []),  # alone in the text
    ],
)
def test_furniture_words_of_round_5(lines: list[str], found: list[str]) -> None:
    assert flagged("\n".join([PROSE, *lines, PROSE])) == found


# ---------------------------------------------------------------- alternatives split into their own buckets


@pytest.mark.parametrize(
    ("pattern", "pieces"),
    [
        ("anzeige|werbung", ("anzeige", "werbung")),
        ("a|b(c|d)", ("a", "b(c|d)")),
        (r"a\|b|c", (r"a\|b", "c")),  # an escaped bar
        ("[|]|x", ("[|]", "x")),  # a bar in a class
        ("[]|]a|b", ("[]|]a", "b")),  # a closing bracket first in a class is a member
        ("(a|b)", ("(a|b)",)),  # one alternative at the top
        ("(?i)a|b", ("(?i)a|b",)),  # global flags: kept whole
        (r"(a)\1|b", (r"(a)\1|b",)),  # a back-reference: kept whole
        ("(x)|z(y)?(?(1)a|b)", ("(x)|z(y)?(?(1)a|b)",)),  # a conditional on a group's number: kept whole
    ],
)
def test_top_level_alternatives(pattern: str, pieces: tuple[str, ...]) -> None:
    assert bpmod.top_level_alternatives(pattern) == pieces


SPLIT = [
    p
    for ps in bpmod.shipped_patterns().values()
    for p in ps
    if p not in NEEDS and len(bpmod.top_level_alternatives(p)) > 1
]


@settings(max_examples=500, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
@given(
    st.sampled_from(SPLIT).flatmap(
        lambda p: st.tuples(st.just(p), st.from_regex(re.compile(p, re.IGNORECASE), fullmatch=True))
    )
)
def test_a_line_matches_an_expression_exactly_when_it_matches_one_of_its_alternatives(drawn: tuple[str, str]) -> None:
    pattern, text = drawn
    assert any(re.fullmatch(piece, text, re.IGNORECASE) for piece in bpmod.top_level_alternatives(pattern))


def _unsplit(pats: bpmod.Patterns) -> bpmod.Patterns:
    """The same patterns with every expression one entry (as before they were split)."""
    entries = tuple(
        (category, p, bpmod.first_chars(p), bpmod.longest_match(p))
        for category, ps in bpmod.shipped_patterns().items()
        for p in ps
        if p not in NEEDS
    )
    return dataclasses.replace(pats, entries=entries, buckets={}, shared={}, lowered={}, screens={})


UNSPLIT = _unsplit(PATS)


@settings(max_examples=600, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
@given(
    st.one_of(
        st.sampled_from(LINE_POOL),
        st.sampled_from(SPLIT).flatmap(lambda p: st.from_regex(re.compile(p, re.IGNORECASE), fullmatch=True)),
        st.text(alphabet=st.sampled_from("ab .:|•©-1Éé分xö"), max_size=60),
    )
)
def test_split_expressions_class_every_line_as_the_whole_ones(line: str) -> None:
    assert bpmod.line_category(line, PATS) == bpmod.line_category(line, UNSPLIT)


# ---------------------------------------------------------------- the catalogue read ahead


import json  # noqa: E402


def _decoded(doc: dict[str, object]) -> dict[str, bpmod.Analysed]:
    analysis = doc["analysis"]
    assert isinstance(analysis, dict)
    return {
        p: tuple((piece, None if first is None else frozenset(first), longest) for piece, first, longest in parts)
        for p, parts in analysis.items()
    }


def test_the_shipped_analysis_is_current_and_is_the_catalogue_read_afresh() -> None:
    shipped = bpmod.shipped_analysis()
    assert shipped is not None, "qa/data/boilerplate_analysis.json is stale: run python tools/boilerplate_analysis.py"
    fresh = bpmod.catalogue_analysis()
    assert shipped["key"] == fresh["key"]
    # in the same order too: the order of the categories decides which one a line is reported under
    assert json.dumps(shipped["catalogue"]) == json.dumps(fresh["catalogue"])
    assert shipped["analysis"] == _decoded(fresh)
    # every expression compile_patterns analyses is there: a gate reads none afresh
    needs = bpmod.shipped_needs()
    assert {p for pats in shipped_patterns().values() for p in pats if p not in needs} <= set(shipped["analysis"])


def test_a_stale_analysis_is_not_used_and_the_patterns_are_the_same(monkeypatch: pytest.MonkeyPatch) -> None:
    def fresh_patterns() -> bpmod.Patterns:
        for cached in (bpmod.shipped_analysis, bpmod._shipped_yaml, bpmod.compile_patterns, bpmod.shipped_needs):
            cached.cache_clear()
        return bpmod.compile_patterns()

    try:
        with_file = fresh_patterns()
        assert bpmod.shipped_analysis() is not None
        monkeypatch.setattr(bpmod, "catalogue_key", lambda: "made from other files")
        without = fresh_patterns()
        assert bpmod.shipped_analysis() is None  # the key differs: read afresh
        assert without.entries == with_file.entries
        assert (without.groups, without.phrases, without.contains) == (
            with_file.groups,
            with_file.phrases,
            with_file.contains,
        )
        assert without.vocabulary == with_file.vocabulary
        assert [p for p, _rx in without.needed] == [p for p, _rx in with_file.needed]
    finally:
        monkeypatch.undo()
        fresh_patterns()


# ---------------------------------------------------------------- the starts of a bucket's matches


def _ascii_digits(text: str) -> str:
    return "".join(str(unicodedata.decimal(c)) if c.isdecimal() else c for c in text)


def _lowered_bucket_lines(lower_safe: bool = True) -> st.SearchStrategy[str]:
    """Lines a lowered expression may match, in lower case: a match of one of the expressions that
    go into lowered buckets, alone, with something after it (the line is then longer than the
    match: the wrapper's tail or other text), or cut short; and lines of their own letters."""
    lowered = [e for e in ENTRIES if bpmod._lower_safe(e[1]) or not lower_safe]
    match = (
        st.sampled_from(lowered)
        .flatmap(lambda e: st.from_regex(re.compile(e[1]), fullmatch=True))
        .map(_ascii_digits)  # \\d's digits of other scripts: a line that is not lowered
    )
    line = st.one_of(
        match,
        st.tuples(match, TAILS, st.text(alphabet=st.sampled_from("ab x1.:»é"), max_size=6)).map("".join),
        st.tuples(match, st.integers(1, 4)).map(lambda mi: mi[0][: mi[1]]),
        st.text(alphabet=st.sampled_from("aeiostrnlcmpdgk 0123456789.:-'©»•(«é"), min_size=1, max_size=40),
    )
    # bullets and white space before it (a list item, an indented line: the wrapper takes them)
    leaders = st.text(alphabet=st.sampled_from(bpmod._LEADERS), min_size=1, max_size=4)
    lines = st.one_of(line, st.tuples(leaders, line).map("".join))
    return lines.map(str.lower) if lower_safe else lines


@settings(max_examples=3000, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
@given(_lowered_bucket_lines())
def test_a_line_ruled_out_by_its_start_is_matched_by_no_expression(line: str) -> None:
    """Patterns.cannot_start (a line that starts as no match of its bucket's expressions may start,
    read from the expressions by _starts) rules out only lines that the bucket's lowered
    expression does not match: for every size of bucket, on matches of the shipped expressions,
    with tails, cut short, and on lines of their letters, each alone or behind bullets and white
    space."""
    if not line or not bpmod._windows_1252(line):
        return
    head = line.lstrip(bpmod._LEADERS)[:1]
    for size in range(len(bpmod.SIZES)):
        key = (head, size)
        expression = PATS.lowered_expression_for(*key)
        if expression is not None and PATS.cannot_start(key, line):
            assert expression.match(line) is None, (line, size)


# Characters outside Windows-1252 whose case folds into it (a Kelvin sign matches "k", a long s "s",
# a dotted capital I "i") and others (an emoji, a Han character, a Greek capital)
_FOLDS = {"k": "\u212a", "s": "\u017f", "i": "\u0130", "å": "\u212b", "µ": "\u039c"}
_FOLDS |= {c.upper(): f for c, f in _FOLDS.items() if c != "µ"}
_NOT_1252 = ["🚀", "中", "Ω", "\u212a", "\u017f", "\u0130", "👨\u200d🚀"]


def _folded(line: str, where: int) -> str:
    """``line`` with its letter at ``where`` (among its first characters) made a character outside
    Windows-1252 that a case-insensitive match takes for it, when it has one."""
    if where >= len(line) or line[where] not in _FOLDS:
        return line
    return line[:where] + _FOLDS[line[where]] + line[where + 1 :]


@settings(max_examples=3000, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
@given(
    _lowered_bucket_lines(lower_safe=False),
    st.sampled_from([str.lower, str.upper, str.title, str]),
    st.sampled_from(_NOT_1252),
    st.booleans(),
    st.integers(0, 6),
)
@example("Altyapı sağlayıcıları hakkında", str, "🚀", True, 9)  # an expression not plain to lower
@example("- kommentare", str.title, "🚀", True, 2)  # a Kelvin sign for the "k"
def test_a_line_outside_windows_1252_ruled_out_by_its_start_is_matched_by_no_expression(
    line: str, case: Callable[[str], str], other: str, at_end: bool, fold_at: int
) -> None:
    """Patterns.folded_cannot_start (a line that is not Windows-1252, ruled out by the starts of
    its case-insensitive bucket when its first characters are Windows-1252 and the bucket's
    expressions are plain to lower) rules out only lines that the bucket's expression does not
    match: for every size, on matches of the shipped expressions, with tails, cut short, and
    lines of their letters (of every expression: those not plain to lower too), as they are, in
    lower case, capitals and title case, behind bullets or not, with
    a character outside Windows-1252 after them or at their start, or one that folds into a
    letter among their first characters."""
    line = _folded(case(line), fold_at)
    line = line + " " + other if at_end else other + line
    if bpmod._windows_1252(line):
        return
    head = line.lstrip(bpmod._LEADERS)[:1]
    for size in range(len(bpmod.SIZES)):
        if PATS.folded_cannot_start(line, head, size):
            assert PATS.expression_for(head, size).match(line) is None, (line, size)


def test_the_starts_screen_rules_out_lines_and_declines_what_it_cannot_read() -> None:
    """The screen is exercised (most lines of prose are ruled out at once) and declines: a line
    that starts with a bullet, an expression it does not read (flags, back references), one that
    may match nothing or start with anything."""
    assert PATS.cannot_start(("c", 1), "city airline rail city market battery (0)")
    assert not PATS.cannot_start(("c", 1), "comments are closed for this article now")
    assert PATS.cannot_start(("c", 1), "- city airline rail city market battery (0)")
    assert PATS.cannot_start(("c", 1), "  • city airline rail city market battery (0)")
    assert PATS.folded_cannot_start("City airline rail city market battery 🚀", "C", 1)
    assert not PATS.folded_cannot_start("Comments are closed for this article 🚀", "C", 1)
    assert not PATS.folded_cannot_start("\u212aommentare sind geschlossen", "\u212a", 0)  # a Kelvin sign
    assert not PATS.cannot_start(("c", 1), "  • comments are closed for this article now")
    assert not PATS.cannot_start(("c", 1), "»comments are closed for this article now")
    assert bpmod._starts(["(?i)abc"]) is None
    assert bpmod._starts([r"(a)\1"]) is None
    assert bpmod._starts(["a?"]) is None
    assert bpmod._starts([r"\w+ comments"]) is None
    assert bpmod._starts(["comments?|reply"]) == (frozenset({"com", "rep"}), frozenset(), frozenset())
    assert bpmod._starts([r"\d{1,2} ok"]) is not None
    assert "1 o" in bpmod._starts([r"\d{1,2} ok"])[0]  # type: ignore[index]
    assert bpmod._starts(["ok"]) == (frozenset(), frozenset({"ok"}), frozenset())
    assert bpmod._starts(["a.c"]) == (frozenset(), frozenset(), frozenset({"a"}))


def test_a_windows_1252_line_in_lower_case_holds_no_other_decimal_digit() -> None:
    """\\d matches any decimal digit; the starts read it as 0-9, which is what a lowered
    expression meets (only Windows-1252 lines are lowered)."""
    for b in range(256):
        ch = bytes([b]).decode("cp1252", errors="ignore")
        for c in ch + ch.lower():
            assert not c.isdecimal() or c in "0123456789", hex(b)


# ---------------------------------------------------------------- the phrases a line holds, and texts without evidence

_PHRASE_JUNK = st.text(alphabet=st.sampled_from("ab yz.:-'>*()©é分 "), max_size=5)
_PHRASE_LINE = st.lists(
    st.one_of(st.sampled_from(PATS.all_phrases), st.sampled_from(PATS.all_phrases).map(lambda p: p[:-1]), _PHRASE_JUNK),
    max_size=8,
).map("".join)


@settings(max_examples=3000, deadline=None)
@given(_PHRASE_LINE, st.booleans())
def test_the_phrases_a_line_holds_are_read_from_one_search(line: str, upper: bool) -> None:
    """Patterns.phrases_in (each place a phrase starts, its longest phrase there and the phrases that
    one starts with) is the set of the phrases ``in`` the line, on lines made of the phrases, their
    prefixes and junk, ASCII or not; and phrase_category (reading that set) classes such lines as
    the reading of each phrase with ``in`` does (reference_category)."""
    lowered = line.lower()
    finder = PATS.phrase_finder(lowered.isascii())
    found = finder.search(lowered)
    held = set() if found is None else PATS.phrases_in(lowered, finder, found)
    assert held == {p for p in PATS.all_phrases if p in lowered}, line
    text = line.upper() if upper else line
    assert bpmod.line_category(text, PATS) == reference_category(text), text


_NO_EVIDENCE = st.lists(st.sampled_from([bpmod.PROSE, bpmod.SHORT, bpmod.GLUE]), max_size=30)


@settings(max_examples=1500, deadline=None)
@given(_NO_EVIDENCE, st.lists(st.sampled_from(["Contact", "Reply", "1", "|", "Posted by: A", "News"]), max_size=30))
def test_a_text_of_prose_short_lines_and_glue_holds_no_furniture(types: list[int], words: list[str]) -> None:
    """_judged answers [] at once for a text without strong, weak or maybe lines: such a text has no
    heading of links or sentence between furniture (_by_context changes nothing) and no block
    (_blocks finds nothing), whatever its lines say."""
    lines = [words[k % len(words)] if words else "x" for k in range(len(types))]
    text = "\n".join(lines)
    kinds: list[tuple[int, int, int, str]] = []
    pos = 0
    for line, kind in zip(lines, types, strict=True):
        kinds.append((pos, pos + len(line), kind, "" if kind == bpmod.PROSE else "page-chrome"))
        pos += len(line) + 1
    sizes = [len(line) for line in lines]
    before = list(kinds)
    bpmod._by_context(text, kinds, [r[2] for r in kinds], sizes, PATS.vocabulary)
    assert kinds == before
    assert bpmod._blocks(text, kinds) == []
    assert bpmod._judged(text, list(kinds), sizes, PATS.vocabulary) == []


_NESTED = ("comment", "comments", "comments are closed", "are closed", "mail", "e-mail", "email", "ma", "policy")
NESTED = dataclasses.replace(PATS, all_phrases=_NESTED, ascii_phrases=_NESTED, lowered={}, prefixes={}, screens={})


@settings(max_examples=2000, deadline=None)
@given(st.lists(st.one_of(st.sampled_from(_NESTED), _PHRASE_JUNK), max_size=8).map("".join))
def test_phrases_that_start_others_are_read_too(line: str) -> None:
    """The same for phrases that start with others or overlap ("comment", "comments", "comments are
    closed", "are closed"; a user's patterns may need such): the shorter ones at a place are read
    from the longest one there."""
    lowered = line.lower()
    finder = NESTED.phrase_finder(lowered.isascii())
    found = finder.search(lowered)
    held = set() if found is None else NESTED.phrases_in(lowered, finder, found)
    assert held == {p for p in _NESTED if p in lowered}, line


# ---------------------------------------------------------------- round 9: plugins and widgets in the
# issue's languages (each line is a plugin's or a widget's string as its translation prints it; none is
# a line of an evaluation page)

ROUND_9_FURNITURE = [
    # Akismet's notice
    ("This site uses Akismet to reduce spam. Learn how your comment data is processed.", "comment-form"),
    (
        "Diese Website verwendet Akismet, um Spam zu reduzieren. Erfahre mehr darüber, wie deine "
        "Kommentardaten verarbeitet werden.",
        "comment-form",
    ),
    (
        "Ce site utilise Akismet pour réduire les indésirables. En savoir plus sur la façon dont les "
        "données de vos commentaires sont utilisées.",
        "comment-form",
    ),
    (
        "Este sitio usa Akismet para reducir el spam. Aprende cómo se procesan los datos de tus comentarios.",
        "comment-form",
    ),
    ("Questo sito usa Akismet per ridurre lo spam. Scopri come i tuoi dati vengono elaborati.", "comment-form"),
    (
        "Este site utiliza o Akismet para reduzir spam. Saiba como seus dados em comentários são processados.",
        "comment-form",
    ),
    (
        "Deze site gebruikt Akismet om spam te verminderen. Bekijk hoe je reactie-gegevens worden verwerkt.",
        "comment-form",
    ),
    # Jetpack's subscription checkboxes, WordPress's must-log-in note and comment-cookies consent
    ("Benachrichtige mich über nachfolgende Kommentare via E-Mail.", "comment-form"),
    ("Benachrichtige mich über neue Beiträge via E-Mail.", "comment-form"),
    ("Prévenez-moi de tous les nouveaux commentaires par e-mail.", "comment-form"),
    ("Recibir un correo electrónico con los siguientes comentarios a esta entrada.", "comment-form"),
    ("Avvisami via e-mail in caso di risposte.", "comment-form"),
    ("Notifique-me sobre novos comentários por e-mail.", "comment-form"),
    ("Stuur mij een e-mail als er vervolgreacties zijn.", "comment-form"),
    ("Du musst angemeldet sein, um einen Kommentar abzugeben.", "comment-form"),
    ("Vous devez être connecté pour publier un commentaire.", "comment-form"),
    ("Debes estar conectado para publicar un comentario.", "comment-form"),
    ("Devi essere connesso per inviare un commento.", "comment-form"),
    ("Você precisa fazer o login para publicar um comentário.", "comment-form"),
    ("Je moet ingelogd zijn om een reactie te plaatsen.", "comment-form"),
    ("Schreibe einen Kommentar Antworten abbrechen", "comment-form"),
    ("Laisser un commentaire Annuler la réponse", "comment-form"),
    ("Enregistrer mon nom, mon e-mail et mon site dans le navigateur pour mon prochain commentaire.", "comment-form"),
    ("Guarda mi nombre, correo electrónico y web en este navegador para la próxima vez que comente.", "comment-form"),
    # Jetpack's sharing and likes rows
    ("Gefällt mir Wird geladen …", "share-prompt"),
    ("J'aime chargement…", "share-prompt"),
    ("Me gusta Cargando...", "share-prompt"),
    ("Teilen mit:", "share-prompt"),
    ("Compartir esto:", "share-prompt"),
    ("Dit delen:", "share-prompt"),
    ("Klicken, um auf Facebook zu teilen (Wird in neuem Fenster geöffnet)", "share-prompt"),
    ("Cliquez pour partager sur Facebook(ouvre dans une nouvelle fenêtre)", "share-prompt"),
    ("Haz clic para compartir en Twitter (Se abre en una ventana nueva)", "share-prompt"),
    ("Klik om te delen op Facebook (Opent in een nieuw venster)", "share-prompt"),
    # newsletter boxes
    ("Melden Sie sich für unseren Newsletter an und erhalten Sie die neuesten Nachrichten.", "subscribe-prompt"),
    ("Abonnez-vous à notre newsletter pour recevoir nos dernières actualités.", "subscribe-prompt"),
    ("Suscríbete a nuestro boletín para recibir las últimas noticias.", "subscribe-prompt"),
    ("Schrijf je in voor onze nieuwsbrief en ontvang het laatste nieuws.", "subscribe-prompt"),
    # WordPress.com's cookie widget and consent banners by their words
    (
        "Privacy & Cookies: This site uses cookies. By continuing to use this website, you agree to their use.",
        "cookie-notice",
    ),
    ("By continuing to use this website, you agree to their use.", "cookie-notice"),
    ("To find out more, including how to control cookies, see here: Cookie Policy", "cookie-notice"),
    (
        "Datenschutz & Cookies: Diese Website verwendet Cookies. Wenn du die Website weiterhin nutzt, "
        "stimmst du der Verwendung von Cookies zu.",
        "cookie-notice",
    ),
    (
        "Weitere Informationen, beispielsweise zur Kontrolle von Cookies, findest du hier: Cookie-Richtlinie",
        "cookie-notice",
    ),
    ("En poursuivant votre navigation sur ce site, vous acceptez l'utilisation de cookies.", "cookie-notice"),
    ("Al continuar usando este sitio, estás de acuerdo con su uso.", "cookie-notice"),
    (
        "Mit der Nutzung dieser Website erklären Sie sich damit einverstanden, dass wir Cookies verwenden.",
        "cookie-notice",
    ),
    ("Utilizziamo i cookie per migliorare la tua esperienza sul nostro sito.", "cookie-notice"),
    ("Wij gebruiken cookies om je de beste ervaring op onze website te bieden.", "cookie-notice"),
    ("Cookies help us deliver our services. By using our services, you agree to our use of cookies.", "cookie-notice"),
    # paywalls
    ("You have reached your limit of free articles this month.", "login-prompt"),
    ("Dieser Artikel ist nur für Abonnenten verfügbar.", "login-prompt"),
    ("Bereits Abonnent? Hier anmelden", "login-prompt"),
    ("Cet article est réservé aux abonnés.", "login-prompt"),
    ("Este contenido es exclusivo para suscriptores.", "login-prompt"),
    ("Questo articolo è riservato agli abbonati.", "login-prompt"),
    ("Este conteúdo é exclusivo para assinantes.", "login-prompt"),
    ("Dit artikel is alleen beschikbaar voor abonnees.", "login-prompt"),
    # reprint notices
    ("This material may not be published, broadcast, rewritten or redistributed.", "copyright-notice"),
    ("Nachdruck nur mit Genehmigung der Redaktion.", "copyright-notice"),
    ("Toute reproduction interdite sans autorisation.", "copyright-notice"),
    ("Queda prohibida la reproducción total o parcial.", "copyright-notice"),
    ("Riproduzione riservata", "copyright-notice"),
    # the headings of related and most-read boxes, back to top
    ("Weitere Artikel zum Thema", "read-more"),
    ("Sur le même sujet", "read-more"),
    ("Lo más leído", "read-more"),
    ("I più letti", "read-more"),
    ("Veja também", "read-more"),
    ("Meest gelezen", "read-more"),
    ("Zurück nach oben", "navigation"),
    ("Haut de page", "navigation"),
    # a CMS's footer credit
    ("Stolz präsentiert von WordPress", "page-chrome"),
    ("Fièrement propulsé par WordPress", "page-chrome"),
    ("Blog at WordPress.com.", "page-chrome"),
    ("Bloggen auf WordPress.com.", "page-chrome"),
    # a news page's notes in de and fr: comments, saving, newsletters, paywalls
    ("Die Kommentarfunktion ist für diesen Artikel deaktiviert.", "comment-form"),
    ("Kommentare werden vor der Veröffentlichung moderiert.", "comment-form"),
    ("Réagissez à cet article", "comment-form"),
    ("Vous devez être abonné pour réagir.", "comment-form"),
    ("Artikel merken", "share-prompt"),
    ("Ajouter à mes favoris", "share-prompt"),
    ("Jetzt Newsletter abonnieren und keine News mehr verpassen!", "subscribe-prompt"),
    ("Folgen Sie uns auf Facebook und Twitter", "subscribe-prompt"),
    ("Thank you for reading. Please consider supporting our journalism.", "subscribe-prompt"),
    ("Want more stories like this? Sign up for our newsletter.", "page-chrome"),
    ("En cliquant sur « Accepter », vous acceptez l'utilisation de cookies.", "cookie-notice"),
    ("Mit einem Klick auf „Akzeptieren“ stimmen Sie der Verwendung von Cookies zu.", "cookie-notice"),
    ("We use some essential cookies to make this service work.", "cookie-notice"),
    ("Sie lesen einen kostenlosen Artikel.", "login-prompt"),
    ("Weiterlesen mit Z+", "login-prompt"),
    ("Jetzt kostenlos registrieren", "login-prompt"),
    ("Il vous reste 80% de cet article à lire.", "login-prompt"),
    ("Pour lire la suite, abonnez-vous.", "login-prompt"),
    ("Create a free account to continue reading.", "login-prompt"),
    # reading time, reporting an error, tips, republication, ads, affiliate notes, players, errors
    ("Lesezeit: 3 Minuten", "page-chrome"),
    ("Temps de lecture : 4 min", "page-chrome"),
    ("Tiempo de lectura: 3 minutos", "page-chrome"),
    ("Leestijd: 4 minuten", "page-chrome"),
    (
        "Haben Sie einen Fehler gefunden? Dann markieren Sie die entsprechende Textstelle und drücken Sie Strg+Enter.",
        "page-chrome",
    ),
    ("Vous avez repéré une erreur ? Signalez-la.", "page-chrome"),
    ("Hai trovato un errore? Segnalacelo.", "page-chrome"),
    ("Have a news tip? Email us at tips@example.com.", "page-chrome"),
    ("Sie haben Fragen oder Anregungen? Schreiben Sie uns!", "page-chrome"),
    (
        "This article is republished from The Conversation under a Creative Commons license. "
        "Read the original article.",
        "page-chrome",
    ),
    ("Dieser Artikel erschien zuerst bei The Conversation.", "page-chrome"),
    ("Advertisement - Continue Reading Below", "page-chrome"),
    ("Continue reading the main story", "read-more"),
    ("Promoted Links by Taboola", "page-chrome"),
    ("We may earn a commission when you buy through links on our site.", "page-chrome"),
    ("Media playback is unsupported on your device", "page-chrome"),
    ("Votre navigateur ne supporte pas la vidéo.", "page-chrome"),
    ("Something went wrong. Please try again later.", "page-chrome"),
    ("This site is protected by reCAPTCHA and the Google Privacy Policy and Terms of Service apply.", "page-chrome"),
    ("Our Standards: The Thomson Reuters Trust Principles.", "page-chrome"),
    ("Zur Startseite", "page-chrome"),
    (
        "The views expressed in this article are those of the author and do not necessarily reflect the views of "
        "the publisher.",
        "page-chrome",
    ),
    # a page's buttons and skip links, account links and trial offers
    ("Inhalt überspringen", "navigation"),
    ("Passer au contenu", "navigation"),
    ("Ir al contenido", "navigation"),
    ("Naar de inhoud", "navigation"),
    ("Menü öffnen", "navigation"),
    ("Fermer le menu", "navigation"),
    ("En savoir plus", "navigation"),
    ("Saiba mais", "navigation"),
    ("Bekijk alles", "navigation"),
    ("Copier le lien", "share-prompt"),
    ("Copiar enlace", "share-prompt"),
    ("Mein Konto", "login-prompt"),
    ("Minha conta", "login-prompt"),
    ("Kostenlos testen", "login-prompt"),
    # WordPress's and Jetpack's sidebar and subscription strings (de fr es it pt nl)
    (
        "Speichere meinen Namen, meine E-Mail-Adresse und meine Website in diesem Browser, bis ich wieder kommentiere.",
        "comment-form",
    ),
    ("Kommentar absenden", "comment-form"),
    ("Invia commento", "comment-form"),
    (
        "Gib deine E-Mail-Adresse an, um diesen Blog zu abonnieren und Benachrichtigungen über neue Beiträge "
        "via E-Mail zu erhalten.",
        "subscribe-prompt",
    ),
    (
        "Saisissez votre adresse e-mail pour vous abonner à ce blog et recevoir une notification de chaque "
        "nouvel article par e-mail.",
        "subscribe-prompt",
    ),
    ("Schließe dich 123 anderen Abonnenten an", "subscribe-prompt"),
    ("Rejoignez 1 234 autres abonnés", "subscribe-prompt"),
    ("Feed der Einträge", "page-chrome"),
    ("Flux des publications", "page-chrome"),
    ("Feed dei contenuti", "page-chrome"),
    ("Erstelle eine Website wie diese mit WordPress.com", "page-chrome"),
    ("Recente berichten", "read-more"),
    # a page that needs JavaScript
    ("Ihr Browser unterstützt kein JavaScript.", "page-chrome"),
    ("Pour utiliser ce site, vous devez activer JavaScript.", "page-chrome"),
    ("Para ver este contenido, activa JavaScript en tu navegador.", "page-chrome"),
]

# the same words in an article's sentences: reported speech, quotations, cookies that are baked, a
# law about cookies, a plugin or a CMS named in the news, a club's members, a how-to in the third person
ROUND_9_ARTICLE_LINES = [
    "We baked cookies for the school fair on Saturday.",
    "Our cookies are the best in town, says the baker.",
    "Websites must ask users before they store cookies, the court ruled.",
    "“We use cookies to improve your experience,” the banner read.",
    "If you eat too many cookies, your dentist will notice.",
    "This recipe makes 24 cookies and takes an hour.",
    "Diese Cookies schmecken nach Zimt und Honig, sagte die Bäckerin.",
    "Wir backen Cookies für den Weihnachtsmarkt.",
    "By continuing to use the drug, patients agree to regular checks.",
    "The blog, hosted on WordPress.com, was taken down on Friday.",
    "Akismet, the anti-spam service, blocked billions of comments last year.",
    "Bereits registriert haben sich 500 Teilnehmer.",
    "Sie haben bereits ein Konto bei der Bank eröffnet.",
    "Ya eres socio del club, dijo el presidente al nuevo jugador.",
    "Già abbonato alla rivista da dieci anni, Rossi ha scritto una lettera.",
    "Riproduzione riservata ai soci, ha detto il presidente.",
    "Proibida a reprodução de animais silvestres, diz a lei.",
    "Prohibida la reproducción de especies protegidas en cautiverio.",
    "Firefox will disable JavaScript by default in private windows, Mozilla said.",
    "The newsletter was sent to all members of the club on Monday.",
    "Du musst nicht angemeldet sein, um die Ausstellung zu sehen.",
    "Mehr Artikel als je zuvor erschienen im vergangenen Jahr.",
    "Reading time is the best predictor of comprehension, the study found.",
    "Lesezeit: Kinder lesen heute weniger als früher, zeigt eine Studie.",
    "Did you notice a mistake? The referee did not, and the goal stood.",
    "Fehler gefunden haben die Prüfer in fast jedem dritten Bericht.",
    "Sie haben Fragen zur Wahl? Die Stadt hat eine Hotline eingerichtet, sagte der Bürgermeister.",
    "The article was first published in Nature in 2019 and cited 400 times.",
    "Der Artikel erschien zuerst in der New York Times, die den Fall aufgedeckt hatte.",
    "Read the original report before the hearing, the judge told the lawyers.",
    "The advertisement ran in three newspapers before the election.",
    "Brokers earn a commission when clients trade, the regulator said.",
    "We may earn a commission on the sale of the building, the agent said.",
    "Something went wrong at the plant on Tuesday, officials said.",
    "Ein Fehler ist aufgetreten, als die Software aktualisiert wurde.",
    "This video is unavailable to most viewers in China, where YouTube is blocked.",
    "Thanks for reading the report so carefully, the minister told MPs.",
    "Folgen Sie uns, rief der Polizist den Zeugen zu.",
    "Back to home, the team flew on Sunday after the tournament.",
    "Accueil chaleureux pour le président à Marseille.",
    "Les commentaires sont modérés par des bénévoles, explique le fondateur.",
    "Kommentare werden geprüft und gelöscht, sagte ein Sprecher von Facebook.",
    "Wir freuen uns über Ihren Besuch, sagte die Direktorin des Museums.",
    "The views expressed by voters in the survey were mixed.",
    "Want more stories like this one to be told? The festival hopes so.",
    "Lecture : une passion française qui ne faiblit pas.",
    "Artikel merken sich Leser besser, wenn sie Bilder enthalten.",
    "Cet article vous a été offert par la rédaction du Monde, qui célèbre ses 80 ans.",
    "Pour lire la suite, il faut attendre le prochain numéro.",
    "Cookies help children learn to share, our teachers say.",
    "En savoir plus sur la réforme des retraites, le gouvernement publie un guide.",
    "Mein Konto wurde gehackt, sagte die Frau.",
    "Lees meer boeken, adviseert de minister.",
    "Voir tout le pays uni derrière l'équipe, c'était émouvant.",
    "Your browser does not support the new standard yet, Mozilla said.",
    "Informe a polícia se você viu algo suspeito, pediu o delegado.",
    "Entrez votre e-mail, a dit le policier, pour vous abonner à ses alertes.",
    "Schließe dich nicht an, sagte der Vater.",
]


@pytest.mark.parametrize(("line", "category"), ROUND_9_FURNITURE)
def test_plugin_and_widget_strings_in_the_issue_s_languages(line: str, category: str) -> None:
    assert bpmod.line_category(line, PATS) == category
    # and in a text: between two paragraphs of an article, as the check reads a body
    assert flagged("\n".join([PROSE, line, PROSE])) == [line]


@pytest.mark.parametrize("line", ROUND_9_ARTICLE_LINES)
def test_round_9_leaves_the_same_words_in_an_article_s_sentences_alone(line: str) -> None:
    assert bpmod.line_category(line, PATS) is None
    assert flagged("\n".join([PROSE, line, PROSE])) == []
