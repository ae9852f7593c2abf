"""Build ``qa/data/lexicons.txt.gz``: word lists for the language check (L102, L103).

Usage: ``python tools/language_lexicons.py DIR`` where DIR holds these unpacked sdists:
symspellpy-6.10.1, pyspellchecker-0.9.1 and justext-3.0.2 (``pip download --no-deps
--no-binary :all: NAME==VERSION``, then ``tar xzf``). The exact phrases of
``qa/data/boilerplate_phrases.json`` (CMS catalogues) add the words of web pages' furniture
("Kommentar", "Anmelden", "Imprimer") that subtitle frequencies rank low.

- ``en``: English words, SymSpell's ``frequency_dictionary_en_82_765.txt`` (symspellpy, MIT;
  Google Books Ngram counts intersected with SCOWL), the ``EN_TOP`` most frequent, and the
  ``EN_SPELL_TOP`` most frequent of pyspellchecker's English list (MIT; OpenSubtitles), which
  holds the American spellings SymSpell's list lacks ("analyze", "labor", "meter", "favorite").
  The very common function words of other languages that these lists count as English ("der",
  "und", "que", "les") are taken out unless they are among the 2,000 most frequent English words
  of SymSpell's list ("die", "also").
- other Latin-script languages: the ``TOP`` most frequent words of pyspellchecker's frequency
  lists (MIT; from OpenSubtitles: de es fr it nl pt), jusText's stop lists (BSD-2-Clause; the
  most frequent words of each language's Wikipedia) and the catalogue phrases' words.

- ``qa/data/lexicons_function.json`` (a second output): the foreign function words the language
  check's screen looks for (which lines of prose it reads at all): the ``FUNCTION_TOP`` most
  frequent words of each jusText stop list (Wikipedia's written language) and of each
  pyspellchecker frequency list (OpenSubtitles: the spoken one, "doch", "bitte"), ASCII ones only
  (a word with another letter is evidence of its own), minus every English word: the ``en``
  list (but for the ``FUNCTION_CORE`` commonest words of each list: "de", "la", "las", "est" are
  there for the names and citations of English books), the pieces of its words with an
  apostrophe ("don't" is read as "don"), and the ``FUNCTION_SPELL_EN`` most frequent words of
  pyspellchecker's English list ("die", "also", "do", which some lists hold).

The output is sorted and stable: run it again and diff.
"""

from __future__ import annotations

import gzip
import json
import re
import sys
from pathlib import Path

from qa.lexical import write_lexicons

REPO = Path(__file__).resolve().parents[1]
OUT = REPO / "qa" / "data" / "lexicons.txt.gz"
FUNCTION_OUT = REPO / "qa" / "data" / "lexicons_function.json"
EN_TOP = 60000
EN_SPELL_TOP = 30000
TOP = 40000
PROTECTED_EN = 2000
STOP_TOP = 300  # the function words of a stop list that are taken out of English
FUNCTION_TOP = 200  # the words of each stop or frequency list that are evidence of a foreign language
FUNCTION_CORE = 30  # the commonest words of each list: evidence even where the English list has them
FUNCTION_SPELL_EN = 1000  # pyspellchecker's most frequent English words: never such evidence
SPELL = ("de", "es", "fr", "it", "nl", "pt")
JUSTEXT = {
    "af": "Afrikaans", "sq": "Albanian", "ast": "Asturian", "az": "Azerbaijani", "eu": "Basque", "bs": "Bosnian",
    "br": "Breton", "ca": "Catalan", "ceb": "Cebuano", "hr": "Croatian", "cs": "Czech", "da": "Danish", "nl": "Dutch",
    "eo": "Esperanto", "et": "Estonian", "fi": "Finnish", "fr": "French", "gl": "Galician", "de": "German",
    "ht": "Haitian", "hu": "Hungarian", "is": "Icelandic", "id": "Indonesian", "ga": "Irish", "it": "Italian",
    "jv": "Javanese", "la": "Latin", "lv": "Latvian", "lt": "Lithuanian", "lb": "Luxembourgish", "ms": "Malay",
    "mt": "Maltese", "no": "Norwegian_Bokmal", "nn": "Norwegian_Nynorsk", "oc": "Occitan", "pl": "Polish",
    "pt": "Portuguese", "ro": "Romanian", "sk": "Slovak", "sl": "Slovenian", "es": "Spanish", "su": "Sundanese",
    "sw": "Swahili", "sv": "Swedish", "tl": "Tagalog", "tr": "Turkish", "tk": "Turkmen", "uz": "Uzbek",
    "vi": "Vietnamese", "cy": "Welsh", "fy": "West_Frisian", "yo": "Yoruba",
}  # fmt: skip
_WORD = re.compile(r"[^\W\d_]{2,}")


def words_of(text: str) -> list[str]:
    return [w.lower() for w in _WORD.findall(text)]


def main(argv: list[str]) -> int:
    if len(argv) != 1:
        print(__doc__, file=sys.stderr)
        return 2
    root = Path(argv[0])
    ranked = []
    for line in (root / "symspellpy-6.10.1/symspellpy/frequency_dictionary_en_82_765.txt").read_text().splitlines():
        word, count = line.split()
        ranked.append((int(count), word))
    ranked.sort(key=lambda t: -t[0])
    english = [w for _c, w in ranked if re.fullmatch(r"[a-z][a-z'-]*", w)][:EN_TOP]
    protected = set(english[:PROTECTED_EN])
    with gzip.open(root / "pyspellchecker-0.9.1/spellchecker/resources/en.json.gz", "rt", encoding="utf-8") as fh:
        spell_en = json.load(fh)
    spelled = [w for w in sorted(spell_en, key=lambda w: (-spell_en[w], w)) if re.fullmatch(r"[a-z][a-z'-]*", w)]
    english = list(dict.fromkeys([*english, *spelled[:EN_SPELL_TOP]]))
    lexicons: dict[str, set[str]] = {}
    for code, name in JUSTEXT.items():
        path = root / "justext-3.0.2/justext/stoplists" / f"{name}.txt"
        lexicons.setdefault(code, set()).update(words_of(path.read_text(encoding="utf-8")))
    for code in SPELL:
        resource = root / f"pyspellchecker-0.9.1/spellchecker/resources/{code}.json.gz"
        with gzip.open(resource, "rt", encoding="utf-8") as fh:
            freq = json.load(fh)
        top = sorted(freq, key=lambda w: -freq[w])[:TOP]
        lexicons[code].update(w for w in top if _WORD.fullmatch(w))
    phrases = json.loads((REPO / "qa/data/boilerplate_phrases.json").read_text(encoding="utf-8"))["phrases"]
    for _category, lang, text, _source in phrases:
        code = lang.replace("-", "_").split("_")[0].lower()
        if code in lexicons:
            lexicons[code].update(words_of(text.replace("{}", " ").replace("{0}", " ")))
    foreign_function = set()
    for name in JUSTEXT.values():
        path = root / "justext-3.0.2/justext/stoplists" / f"{name}.txt"
        foreign_function.update(words_of(path.read_text(encoding="utf-8"))[:STOP_TOP])
    english_set = [w for w in english if w in protected or w not in foreign_function]
    about = (
        "Generated by tools/language_lexicons.py; do not edit by hand. 'en': English words (symspellpy "
        "6.10.1 frequency_dictionary_en_82_765.txt, MIT); the others: pyspellchecker 0.9.1 frequency lists (MIT, "
        "OpenSubtitles), justext 3.0.2 stop lists (BSD-2-Clause) and the words of boilerplate_phrases.json."
    )
    write_lexicons(OUT, about, english_set, lexicons)
    sizes = {"en": len(set(english_set)), **{code: len(words) for code, words in sorted(lexicons.items())}}
    print(f"{OUT}: {OUT.stat().st_size} bytes; {sizes}")
    function = function_words(root, english_set, spelled[:FUNCTION_SPELL_EN])
    FUNCTION_OUT.write_text(
        json.dumps(
            {
                "about": "Generated by tools/language_lexicons.py; do not edit by hand. Foreign function words: the "
                f"{FUNCTION_TOP} most frequent words of each justext 3.0.2 stop list (BSD-2-Clause) and of "
                "pyspellchecker 0.9.1's frequency lists of de es fr it nl pt (MIT), ASCII only, minus the English "
                f"words of lexicons.txt.gz (but for the {FUNCTION_CORE} commonest of each list), the pieces of its "
                f"words with an apostrophe and the {FUNCTION_SPELL_EN} most frequent words of pyspellchecker's "
                "English list.",
                "words": function,
            },
            ensure_ascii=False,
            indent=0,
        )
        + "\n",
        encoding="utf-8",
    )
    print(f"{FUNCTION_OUT}: {len(function)} words")
    return 0


def function_words(root: Path, english: list[str], spelled: list[str]) -> list[str]:
    """The foreign function words of the language check's screen (see the module's doc)."""
    ranked: list[list[str]] = []
    for name in JUSTEXT.values():
        path = root / "justext-3.0.2/justext/stoplists" / f"{name}.txt"
        ranked.append(list(dict.fromkeys(words_of(path.read_text(encoding="utf-8")))))
    for code in SPELL:
        resource = root / f"pyspellchecker-0.9.1/spellchecker/resources/{code}.json.gz"
        with gzip.open(resource, "rt", encoding="utf-8") as fh:
            freq = json.load(fh)
        ranked.append([w for w in sorted(freq, key=lambda w: (-freq[w], w)) if _WORD.fullmatch(w)])
    # The commonest function words of other languages ("de", "la", "las", "est") are in the English
    # list (names, citations, loanwords in English books): they stay evidence unless spoken English
    # uses them too ("die", "also", "a").
    core = {w for words in ranked for w in words[:FUNCTION_CORE]}
    not_foreign = {w for w in english if w not in core} | set(spelled)
    not_foreign.update(piece for word in english if "'" in word for piece in words_of(word))
    out = {w for words in ranked for w in words[:FUNCTION_TOP] if w.isascii() and w not in not_foreign}
    return sorted(out)


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
