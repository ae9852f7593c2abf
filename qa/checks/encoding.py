"""Check ``encoding``: damage to the characters of the text fields.

File-level rules (invalid UTF-8, BOM, UTF-16, CR line endings: E101-E104) are
raised while reading, in :mod:`qa.corpus`. This module looks inside the text of
every field (see :mod:`qa.textfields`):

* E201 mojibake: UTF-8 decoded as cp1252/latin-1 (possibly twice). Detected and
  repaired by ftfy (``badness.is_bad`` then ``fix_and_explain``) with a
  configuration that fixes encodings only: curly quotes, ligatures and widths are
  never reported as damage.
* E202-E205: U+FFFD, control characters (not newline, tab, CR), lone surrogates,
  private-use characters; ftfy's ``is_bad`` does not look for these, regexes do.
* E206/E207: HTML entities and tags left in plain text (warning).
* E208: emoji ZWJ sequences whose U+200D joiners were stripped, flagged only where
  re-inserting the joiner gives a fully-qualified RGI emoji (the ``emoji`` package
  knows the list), so "🚗💨" is left alone (warning, with the repaired text).
* E209: text not in Unicode NFC (info).
* E210-E216: invisible and format characters, each with its fix (remove it): zero-width
  space, ZWNJ and ZWJ outside emoji sequences and the scripts that use them, word joiner,
  soft hyphen, U+FEFF inside the text, bidi embeddings/overrides/isolates (the "trojan
  source" trick) and other invisible format characters (bidi marks, fillers).

Pure-ASCII text is skipped at once (none of these can occur in it, bar tags,
entities and controls, which one precompiled regex screens for).
"""

from __future__ import annotations

import difflib
import html
import html.entities
import re
import unicodedata
from collections.abc import Iterable, Iterator
from functools import lru_cache

import ftfy
import regex
from ftfy.badness import is_bad

from qa.checks import Check, Context
from qa.corpus import Record
from qa.findings import Finding, Rule, replace_text, rule, shorten
from qa.textfields import TextField, cp1252, cp1252_bytes_not_in, is_plain, record_fields

E201 = rule(
    "E201",
    "mojibake",
    "encoding",
    "error",
    'Mojibake: UTF-8 text that was decoded as cp1252 or latin-1 ("donâ€™t", "CafÃ©"); the fix is ftfy\'s repair.',
    fix="Use the repaired text proposed in the finding (ftfy's fix_and_explain).",
    applicability="safe",
)
E202 = rule(
    "E202",
    "replacement-character",
    "encoding",
    "error",
    "U+FFFD REPLACEMENT CHARACTER: a character was lost when the text was decoded.",
)
E203 = rule(
    "E203",
    "control-character",
    "encoding",
    "error",
    "A C0 or C1 control character (other than newline, tab and carriage return) in the text.",
    fix="Remove the control character.",
    applicability="safe",
)
E204 = rule(
    "E204",
    "lone-surrogate",
    "encoding",
    "error",
    "A lone UTF-16 surrogate code point: the text was split inside a surrogate pair.",
)
E205 = rule(
    "E205",
    "private-use-character",
    "encoding",
    "error",
    "A private-use code point (often an icon font's glyph, or a character lost in a legacy encoding).",
)
E206 = rule(
    "E206",
    "html-entity",
    "encoding",
    "warning",
    "An HTML character reference (&amp;, &#8217;) left in plain text.",
    fix="Replace it by the character it stands for (the finding's fix).",
    applicability="safe",
)
E207 = rule(
    "E207",
    "html-tag",
    "encoding",
    "warning",
    "An HTML tag (<br>, <p>, <a href=...>) left in plain text.",
    fix="Remove the tag (a <br> becomes a line break).",
    applicability="unsafe",
)
E208 = rule(
    "E208",
    "stripped-emoji-joiner",
    "encoding",
    "warning",
    'Emoji that form one RGI emoji ZWJ sequence once U+200D is put back ("👨🚀" for 👨‍🚀): joiners stripped.',
    fix="Insert U+200D ZERO WIDTH JOINER between them (the finding's fix).",
    applicability="safe",
)
E209 = rule(
    "E209",
    "not-nfc",
    "encoding",
    "info",
    "Text not in Unicode normalization form C (decomposed accents, compatibility singletons).",
    fix="Normalize to NFC.",
    applicability="safe",
)

E210 = rule(
    "E210",
    "zero-width-space",
    "encoding",
    "warning",
    "U+200B ZERO WIDTH SPACE: invisible; it splits words for search and breaks string matching.",
    fix="Remove it (the finding's fix).",
    applicability="safe",
)
E211 = rule(
    "E211",
    "stray-zero-width-joiner",
    "encoding",
    "warning",
    "U+200C ZWNJ or U+200D ZWJ outside an emoji sequence and outside the scripts that use them "
    "(Arabic, Persian, Indic, ...): invisible debris.",
    fix="Remove it (the finding's fix).",
    applicability="unsafe",
)
E212 = rule(
    "E212",
    "word-joiner",
    "encoding",
    "warning",
    "U+2060 WORD JOINER or an invisible math operator (U+2061-U+2064): invisible in prose.",
    fix="Remove it (the finding's fix).",
    applicability="safe",
)
E213 = rule(
    "E213",
    "soft-hyphen",
    "encoding",
    "warning",
    "U+00AD SOFT HYPHEN: an invisible hyphenation hint left from HTML; it breaks search and matching.",
    fix="Remove it (the finding's fix).",
    applicability="safe",
)
E214 = rule(
    "E214",
    "bom-inside-text",
    "encoding",
    "warning",
    "U+FEFF (byte-order mark / zero width no-break space) inside the text: a BOM from a pasted file.",
    fix="Remove it (the finding's fix).",
    applicability="safe",
)
E215 = rule(
    "E215",
    "bidi-control",
    "encoding",
    "error",
    "A bidirectional embedding, override or isolate (U+202A-U+202E, U+2066-U+2069): it reorders how the "
    'text is shown (the "trojan source" trick).',
    fix="Remove it (the finding's fix).",
    applicability="unsafe",
)
E216 = rule(
    "E216",
    "invisible-format-character",
    "encoding",
    "warning",
    "Another invisible character: bidi marks (U+200E, U+200F, U+061C), Hangul fillers, deprecated format "
    "controls (U+206A-U+206F), interlinear annotation marks, U+180E.",
    fix="Remove it (the finding's fix).",
    applicability="unsafe",
)

MAX_FINDINGS_PER_FIELD = 20

# ftfy restricted to encoding repairs: quotes, ligatures, widths, line breaks and
# normalization are left alone, so that only real damage differs from the input.
_FTFY = ftfy.TextFixerConfig(
    unescape_html=False,
    remove_terminal_escapes=False,
    fix_encoding=True,
    restore_byte_a0=True,
    replace_lossy_sequences=True,
    decode_inconsistent_utf8=True,
    fix_c1_controls=True,
    fix_latin_ligatures=False,
    fix_character_width=False,
    uncurl_quotes=False,
    fix_line_breaks=False,
    fix_surrogates=False,
    remove_control_chars=False,
    normalization=None,
    explain=True,
)

# One character class (the stdlib engine scans a class fast); runs of one kind are then split out.
_BAD_SCREEN = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ufffd\ud800-\udfff\ue000-\uf8ff\U000f0000-\U0010fffd]")
_ASCII_CTRL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_BAD_CHARS = re.compile(
    "(?P<fffd>\ufffd+)"
    "|(?P<ctrl>[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]+)"
    "|(?P<surr>[\ud800-\udfff]+)"
    "|(?P<pua>[\ue000-\uf8ff\U000f0000-\U0010fffd]+)"
)
# Tags: only real HTML element names, so that "x < 5 > y" and "<Name>" placeholders pass.
_TAG_NAMES = (
    "a|abbr|address|article|aside|audio|b|blockquote|body|br|button|caption|center|cite|code|div|dl|dt|dd|em|"
    "embed|figcaption|figure|font|footer|form|h[1-6]|head|header|hr|html|i|iframe|img|input|label|li|link|meta|"
    "nav|noscript|ol|option|p|picture|pre|s|script|section|select|small|source|span|strike|strong|style|sub|sup|"
    "table|tbody|td|th|thead|time|tr|u|ul|video|wbr"
)
_HTML = regex.compile(
    r"(?P<entity>&(?:[A-Za-z][A-Za-z0-9]{1,31}|\#[0-9]{1,7}|\#[xX][0-9A-Fa-f]{1,6});)"
    r"|(?P<tag></?(?:" + _TAG_NAMES + r")(?:\s[^<>]{0,500})?/?>|<!--.{0,500}?-->)",
    regex.IGNORECASE,
)
_NON_NFC = regex.compile(r"(?:[^\x00-\x7F]|.(?=\p{M}))\p{M}*")


# ---------------------------------------------------------------- emoji


@lru_cache(maxsize=1)
def _rgi_zwj() -> tuple[frozenset[str], int]:
    """Fully-qualified RGI ZWJ sequences, also keyed without any U+FE0F (and max parts)."""
    import emoji

    fully = emoji.STATUS["fully_qualified"]
    keys: set[str] = set()
    longest = 2
    for seq, data in emoji.EMOJI_DATA.items():
        if "\u200d" in seq and data.get("status") == fully:
            keys.add(seq)
            longest = max(longest, seq.count("\u200d") + 1)
    return frozenset(keys), longest


@lru_cache(maxsize=1)
def _rgi_by_bare() -> dict[str, str]:
    """ZWJ-free, VS16-free form of each RGI ZWJ sequence -> the sequence."""
    seqs, _ = _rgi_zwj()
    return {s.replace("\u200d", "").replace("\ufe0f", ""): s for s in seqs}


@lru_cache(maxsize=1)
def _emoji_element() -> re.Pattern[str]:
    """One emoji element: a non-ASCII character that starts an emoji, with optional VS16 and skin tone."""
    import emoji

    firsts = sorted({ord(seq[0]) for seq in emoji.EMOJI_DATA if not seq[0].isascii()})
    return re.compile(f"[{_ranges(firsts)}]\ufe0f?[\U0001f3fb-\U0001f3ff]?")


def _ranges(codepoints: list[int]) -> str:
    """A character class body of ranges: a class of ranges is scanned fast, one of many singles is not."""
    parts: list[str] = []
    start = prev = codepoints[0]
    for cp in [*codepoints[1:], -1]:
        if cp == prev + 1:
            prev = cp
            continue
        parts.append(re.escape(chr(start)) if start == prev else f"{re.escape(chr(start))}-{re.escape(chr(prev))}")
        start = prev = cp
    return "".join(parts)


def stripped_joiners(text: str) -> Iterator[tuple[int, int, str]]:
    """(start, end, repaired) for each run of emoji that is an RGI ZWJ sequence minus its joiners."""
    if not _EMOJI_BLOCKS.search(text):
        return
    element = _emoji_element()
    seqs, longest = _rgi_zwj()
    by_bare = _rgi_by_bare()
    run: list[tuple[int, int]] = []
    for candidate in _EMOJI_BLOCKS.finditer(text):
        if run and candidate.start() < run[-1][1]:
            continue  # a skin tone or VS16 already taken by the element before
        m = element.match(text, candidate.start())
        if m is None:
            continue
        if run and m.start() != run[-1][1]:
            yield from _join_run(text, run, seqs, by_bare, longest)
            run = []
        run.append(m.span())
    yield from _join_run(text, run, seqs, by_bare, longest)


# Where emoji live (a three-item class, fast to scan); candidates are then matched exactly.
_EMOJI_BLOCKS = re.compile("[\xa9\xae\u203c-\u3299\U0001f000-\U0001faff]")


def _join_run(
    text: str, elements: list[tuple[int, int]], seqs: frozenset[str], by_bare: dict[str, str], longest: int
) -> Iterator[tuple[int, int, str]]:
    i = 0
    while i < len(elements) - 1:
        found = None
        for j in range(min(len(elements), i + longest), i + 1, -1):
            parts = [text[a:b] for a, b in elements[i:j]]
            joined = "\u200d".join(parts)
            target = joined if joined in seqs else by_bare.get("".join(parts).replace("\ufe0f", ""))
            if target is not None:
                found = (j, target)
                break
        if found is None:
            i += 1
            continue
        j, target = found
        yield elements[i][0], elements[j - 1][1], target
        i = j


# ---------------------------------------------------------------- invisible characters

# Every character E210-E216 may report (a class of ranges: fast to scan); each hit is then judged
# in its context (a ZWJ inside an emoji sequence, a ZWNJ in Persian, a mark in Hebrew are fine).
_INVISIBLE_CLASS = (
    "[\u00ad\u061c\u115f\u1160\u180e\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u206f"
    "\u3164\ufeff\uffa0\ufff9-\ufffb]"
)
_INVISIBLE = re.compile(_INVISIBLE_CLASS + "+")
# One search tells whether a text outside Windows-1252 holds any character of _BAD_SCREEN or of
# _INVISIBLE: a bare class is scanned ~4x faster than the class with "+" (and two scans cost two).
_BAD_OR_INVISIBLE = re.compile("[" + _BAD_SCREEN.pattern[1:-1] + _INVISIBLE_CLASS[1:-1] + "]")
# Scripts whose shaping uses ZWJ/ZWNJ (Hebrew and Arabic to Mongolian, the Indic scripts, Tibetan,
# Myanmar, Khmer, the Arabic presentation forms) and those that mark word breaks with ZWSP.
_JOINING = re.compile("[\u0590-\u0dff\u0f00-\u0fff\u1000-\u109f\u1780-\u18af\ua8e0-\ua8ff\ufb1d-\ufdff\ufe70-\ufefc]")
_WORD_BREAKING = re.compile("[\u0e00-\u0eff\u1000-\u109f\u1780-\u17ff\u3040-\u30ff\u3400-\u9fff]")
_RTL = re.compile("[\u0590-\u08ff\ufb1d-\ufdff\ufe70-\ufefc]")
_MONGOLIAN = re.compile("[\u1800-\u18af]")
_EMOJI_TAIL = re.compile("[\ufe0f\U0001f3fb-\U0001f3ff\U000e0020-\U000e007f]")
_BIDI_OVERRIDES = "\u202d\u202e"
_INVISIBLE_NAMES = {
    "\u00ad": "soft hyphen",
    "\u061c": "ARABIC LETTER MARK",
    "\u180e": "MONGOLIAN VOWEL SEPARATOR",
    "\u200b": "zero width space",
    "\u200c": "zero width non-joiner",
    "\u200d": "zero width joiner",
    "\u200e": "LEFT-TO-RIGHT MARK",
    "\u200f": "RIGHT-TO-LEFT MARK",
    "\u202a": "LEFT-TO-RIGHT EMBEDDING",
    "\u202b": "RIGHT-TO-LEFT EMBEDDING",
    "\u202c": "POP DIRECTIONAL FORMATTING",
    "\u202d": "LEFT-TO-RIGHT OVERRIDE",
    "\u202e": "RIGHT-TO-LEFT OVERRIDE",
    "\u2060": "word joiner",
    "\u2066": "LEFT-TO-RIGHT ISOLATE",
    "\u2067": "RIGHT-TO-LEFT ISOLATE",
    "\u2068": "FIRST STRONG ISOLATE",
    "\u2069": "POP DIRECTIONAL ISOLATE",
    "\ufeff": "byte-order mark",
}


def _invisible_rule(text: str, i: int, rtl_text: bool) -> Rule | None:
    """The rule the invisible character ``text[i]`` breaks, or None where it belongs."""
    c = text[i]
    before = text[i - 1] if i > 0 else ""
    after = text[i + 1] if i + 1 < len(text) else ""
    near = before + after
    if c == "\u00ad":
        return E213
    if c == "\ufeff":
        return E214
    if c == "\u200b":
        return None if _WORD_BREAKING.search(near) else E210
    if c in "\u200c\u200d":
        if _JOINING.search(near):
            return None
        emoji_before = before and (_emoji_element().match(before) or _EMOJI_TAIL.match(before))
        if c == "\u200d" and emoji_before and after and _emoji_element().match(after):
            return None  # inside an emoji ZWJ sequence
        return E211
    if c == "\u2060" or "\u2061" <= c <= "\u2064":
        return E212
    if "\u202a" <= c <= "\u202e" or "\u2066" <= c <= "\u2069":
        # Overrides reorder even left-to-right text (the trojan-source trick): always reported.
        # Embeddings and isolates are legitimate in text that holds right-to-left letters.
        return E215 if c in _BIDI_OVERRIDES or not rtl_text else None
    if c in "\u200e\u200f\u061c":
        return None if _RTL.search(near) else E216
    if c == "\u180e":
        return None if _MONGOLIAN.search(near) else E216
    return E216  # Hangul fillers, deprecated format controls, interlinear annotation marks


def invisible_spans(text: str) -> Iterator[tuple[int, int, Rule]]:
    """(start, end, rule) of each run of one kind of misplaced invisible character."""
    rtl_text: bool | None = None
    for m in _INVISIBLE.finditer(text):
        if rtl_text is None:
            rtl_text = _RTL.search(text) is not None
        run_start, run_rule = -1, None
        for i in range(m.start(), m.end()):
            r = _invisible_rule(text, i, rtl_text)
            if r is not run_rule or (r is not None and text[i] != text[run_start]):
                if run_rule is not None:
                    yield run_start, i, run_rule
                run_start, run_rule = i, r
        if run_rule is not None:
            yield run_start, m.end(), run_rule


def _invisible_name(c: str) -> str:
    known = _INVISIBLE_NAMES.get(c)
    return known if known is not None else unicodedata.name(c, f"U+{ord(c):04X}")


# ---------------------------------------------------------------- mojibake


def _lead_screen() -> re.Pattern[str]:
    """Characters that UTF-8 lead bytes (0xC2-0xF4) become in the encodings ftfy undoes.

    Mojibake of UTF-8 always holds one of them; text without any (plain English with
    curly quotes, say) cannot be mojibake, so ftfy's costlier ``is_bad`` is skipped.
    """
    import ftfy.bad_codecs  # noqa: F401 - registers the sloppy-windows-* codecs
    from ftfy.chardata import CHARMAP_ENCODINGS

    leads: set[str] = set()
    for enc in CHARMAP_ENCODINGS:
        leads.update(c for c in bytes(range(0xC2, 0xF5)).decode(enc, errors="ignore") if not c.isascii())
    # MacRoman maps some lead bytes to typography that clean text is full of; mojibake made by
    # it always holds other leads too ("√", "Â"), so these need not open the door.
    leads -= set(_TYPOGRAPHY)
    leads.update(chr(c) for c in range(0x80, 0xA0))  # C1 controls: cp1252 punctuation read as latin-1
    return re.compile(f"[{_ranges(sorted(ord(c) for c in leads))}]")


_TYPOGRAPHY = "\u2018\u2019\u201a\u201c\u201d\u201e\u2013\u2014\u2026\u00a0\u00ab\u00bb\u00b7\u2022\u2039\u203a"


_LEAD = _lead_screen()


def _mojibake_spans(text: str) -> Iterator[tuple[int, int, str, str]]:
    """(start, end, replacement, explanation) for each damaged stretch of ``text``."""
    if not _LEAD.search(text):
        return
    pos = 0
    for line in text.splitlines(keepends=True):
        start_of_line = pos
        pos += len(line)
        if not _LEAD.search(line) or not is_bad(line):
            continue
        fixed, explanation = ftfy.fix_and_explain(line, config=_FTFY)
        if fixed == line:
            continue
        how = "; ".join(f"{step[0]} {step[1]}" for step in (explanation or [])) or "ftfy"
        matcher = difflib.SequenceMatcher(None, line, fixed, autojunk=False)
        merged: list[list[int]] = []  # [a0, a1, b0, b1], joined when only 1-2 chars apart
        for tag, a0, a1, b0, b1 in matcher.get_opcodes():
            if tag == "equal":
                continue
            if merged and a0 - merged[-1][1] <= 2 and b0 - merged[-1][3] <= 2:
                merged[-1][1], merged[-1][3] = a1, b1
            else:
                merged.append([a0, a1, b0, b1])
        for a0, a1, b0, b1 in merged:
            yield start_of_line + a0, start_of_line + a1, fixed[b0:b1], how


def _nfc_spans(text: str) -> Iterator[tuple[int, int, str]]:
    for m in _NON_NFC.finditer(text):
        norm = unicodedata.normalize("NFC", m.group())
        if norm != m.group():
            yield m.start(), m.end(), norm


# ---------------------------------------------------------------- the check


def _finding(tf: TextField, r: Rule, start: int, end: int, message: str, *, fix: str | None) -> Finding:
    line, column = tf.position(start)
    old = shorten(tf.text[start:end], 60)
    return r.finding(
        tf.record.path,
        message,
        field=tf.field,
        line=line,
        column=column,
        evidence=tf.text[max(0, start - 20) : end + 20],
        span=(start, end),
        fix=None if fix is None else replace_text(tf.field, start, end, fix),
        fix_message=None if fix is None else f"replace {old!r} with {shorten(fix, 60)!r}" if fix else f"remove {old!r}",
    )


_BAD_RULES: dict[str, tuple[Rule, str]] = {
    "fffd": (E202, "U+FFFD replacement character"),
    "ctrl": (E203, "control character"),
    "surr": (E204, "lone surrogate"),
    "pua": (E205, "private-use character"),
}


def field_findings(tf: TextField, nfc: bool = True) -> list[Finding]:
    text = tf.text
    out: list[Finding] = []
    ascii_only = text.isascii()
    damaged: list[tuple[int, int]] = []
    if not ascii_only:
        for start, end, fixed, how in _mojibake_spans(text):
            damaged.append((start, end))
            out.append(
                _finding(
                    tf, E201, start, end, f"mojibake {text[start:end]!r}: should read {fixed!r} ({how})", fix=fixed
                )
            )
    plain = ascii_only or is_plain(text)
    suspect = plain or _BAD_OR_INVISIBLE.search(text) is not None
    if suspect and (_ASCII_CTRL if plain else _BAD_SCREEN).search(text):
        for m in _BAD_CHARS.finditer(text):
            if any(a <= m.start() < b for a, b in damaged):
                continue  # part of the mojibake already reported
            kind = m.lastgroup or "ctrl"
            r, what = _BAD_RULES[kind]
            codes = " ".join(f"U+{ord(c):04X}" for c in m.group()[:8])
            fix = "" if kind == "ctrl" else None
            out.append(_finding(tf, r, m.start(), m.end(), f"{what} ({codes}) in the text", fix=fix))
    if ("\xad" in text) if plain else suspect and _INVISIBLE.search(text) is not None:
        for start, end, r in invisible_spans(text):
            c = text[start]
            count = f"{end - start} x " if end - start > 1 else ""
            out.append(
                _finding(
                    tf, r, start, end, f"invisible {count}{_invisible_name(c)} (U+{ord(c):04X}) in the text", fix=""
                )
            )
    if "&" in text or "<" in text:
        for hm in _HTML.finditer(text):
            if hm.lastgroup == "entity":
                ref = hm.group()
                value = html.unescape(ref)
                if value == ref or (not ref.startswith("&#") and ref[1:] not in html.entities.html5):
                    continue  # not a known reference: "AT&T;"-like text
                out.append(_finding(tf, E206, hm.start(), hm.end(), f"HTML entity {ref} for {value!r}", fix=value))
            else:
                if _in_code_string(text, hm.start()):
                    continue  # markup quoted in a code sample is the code's, not a leftover
                if hm.start() and text[hm.start() - 1] == " " and _MENTION.match(text, hm.end()) is not None:
                    continue  # a tag named in a sentence: "from <meta> tags", "the <br> element"
                tag = hm.group()
                fix = "\n" if regex.match(r"(?i)<br\b", tag) else ""
                out.append(
                    _finding(tf, E207, hm.start(), hm.end(), f"HTML tag {shorten_tag(tag)} in plain text", fix=fix)
                )
    if not plain:
        for start, end, repaired in stripped_joiners(text):
            names = "+".join(f"U+{ord(c):04X}" for c in repaired if c not in "\u200d\ufe0f")
            out.append(
                _finding(
                    tf,
                    E208,
                    start,
                    end,
                    f"{text[start:end]} is one emoji ({repaired}, {names}) with its zero-width joiners stripped",
                    fix=repaired,
                )
            )
        if nfc and not unicodedata.is_normalized("NFC", text):
            for start, end, norm in _nfc_spans(text):
                out.append(
                    _finding(tf, E209, start, end, f"not in NFC: {text[start:end]!r} is {norm!r} in NFC", fix=norm)
                )
    if len(out) > MAX_FINDINGS_PER_FIELD:
        out.sort(key=lambda f: f.span or (0, 0))
        out = out[:MAX_FINDINGS_PER_FIELD]
    return out


# Deleting these bytes from Windows-1252 text (ASCII is) leaves its mojibake leads, control
# characters and soft hyphens (ASCII text has no lead: what is left are its controls).
_NOT_LEAD_OR_CTRL = cp1252_bytes_not_in(re.compile(f"{_LEAD.pattern}|{_ASCII_CTRL.pattern}|\xad"))


def quiet_text(text: str) -> bool:
    """A field ``text`` in which :func:`field_findings` finds nothing, decided without it (exact);
    False means: ask it.

    Text encodable in Windows-1252 (``is_plain``; ASCII is) holds no emoji joiners to restore,
    nothing outside NFC, no U+FFFD, surrogates, private-use or C1 characters, so only mojibake
    (which needs one of ``_LEAD``'s characters), ASCII controls (E203), soft hyphens (E213, the one
    invisible character Windows-1252 has) and HTML (E206/E207, which need "&" or "<") can be found
    in it. In ASCII, ``isprintable`` rules out every control in one C
    call (it stops at the first newline of a body); else a bytes ``translate`` of the encoded text
    keeps the controls and leads, if any.
    """
    if "&" in text or "<" in text:
        return False
    if text.isascii():
        return text.isprintable() or not text.encode("ascii").translate(None, _NOT_LEAD_OR_CTRL)
    encoded = cp1252(text)
    return encoded is not None and not encoded.translate(None, _NOT_LEAD_OR_CTRL)


# After a tag inside a sentence (a space before it): the lower-case word that makes it a tag's name
# ("from <meta> tags", "a <br> element"); a leftover of markup is followed by the text it held
# ("<p> Tags are ..." at a paragraph's start stays).
_MENTION = re.compile(r"[ \t]{1,4}(?:tags?|elements?|attributes?|nodes?|balises?|elemente?)\b")
_CODE_LINE = re.compile(r"\s*(?:>>>|\$ |#|[A-Za-z_][\w.]*\s*=[^=]|[A-Za-z_][\w.]*\()")


def _in_code_string(text: str, at: int) -> bool:
    """The tag at ``at`` sits inside a string literal of a line of code (``>>> tree =
    html.fromstring('<html>...')``, ``'# DEBUG: <h2 ...>'``): an odd number of quotes of one kind
    before it on its line, and the line reads as code (a prompt, a comment, an assignment or a
    call at its start, or it opens with the quote); or inside an inline code span of Markdown
    (``read it from `<meta>` tags``: an odd number of backticks before it on its line, and one
    after it)."""
    start = text.rfind("\n", 0, at) + 1
    before = text[start:at]
    if before.count("`") % 2 == 1:
        end = text.find("\n", at)
        if "`" in text[at : end if end >= 0 else len(text)]:
            return True
    quoted = before.count("'") % 2 == 1 or before.count('"') % 2 == 1
    if not quoted:
        return False
    head = before.lstrip()
    return head[:1] in "'\"" or _CODE_LINE.match(before) is not None


def shorten_tag(tag: str) -> str:
    return tag if len(tag) <= 40 else tag[:37] + "..."


def check_record(rec: Record, ctx: Context) -> Iterable[Finding]:
    nfc = bool(ctx.options.get("nfc", True))
    # Invalid UTF-8 bytes were reported (E101, with their place in the file) and decoded as
    # U+FFFD by clipqa itself: those replacement characters are not a second finding.
    decoded_with_replacement = any(f.rule == "E101" for f in rec.findings)
    out: list[Finding] = []
    for field, _kind, text in record_fields(rec):
        if quiet_text(text):
            continue  # most fields: two or three C calls, no TextField
        found = field_findings(TextField(rec, field, text), nfc)
        if decoded_with_replacement:
            found = [f for f in found if f.rule != E202.code]
        out.extend(found)
    return out


def warm(ctx: Context) -> None:
    """Build the emoji tables ahead (importing ``emoji`` and reading its ~5,000 sequences: ~0.05 s,
    once in the process that forks the workers, not once in each)."""
    _rgi_zwj()
    _rgi_by_bare()
    _emoji_element()


CHECK = Check(
    name="encoding",
    rules=(E201, E202, E203, E204, E205, E206, E207, E208, E209, E210, E211, E212, E213, E214, E215, E216),
    doc="Character-level damage in text fields: mojibake, lost characters, controls, HTML leftovers, "
    "stripped emoji joiners, non-NFC text.",
    record=check_record,
    warm=warm,
    options={"nfc": True},
)
