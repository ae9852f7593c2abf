"""RunResults built by hand for the HTML report tests: known glitches with spans and fixes.

The report never re-runs checks, so its tests need no corpus: they build the
findings (with the span, the fix and the text the span indexes into) and the
``clippings`` table the way the pipeline would, and assert what the page shows.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

import pandas as pd

import qa.constraints  # noqa: F401 - registers the schema rules (S102)
from qa.config import Config
from qa.findings import REGISTRY, Finding, Rule, Severity, excerpt, replace_text
from qa.pipeline import RunResult
from qa.tables import to_column

if TYPE_CHECKING:
    import pytest

# Rules of the kind the text checks declare, under codes no real rule uses (X9xx). They are
# put in the registry only for a test's duration (``register``): listings of the real rules
# never see them.
MIXED_SCRIPT = Rule(
    "X901",
    "foreign-script-in-text",
    "language",
    Severity.WARNING,
    "A run of another script inside a sentence: a machine-translation leftover.",
    "Translate the run or delete it.",
)
ZWJ_STRIPPED = Rule(
    "X902",
    "emoji-joiner-stripped",
    "encoding",
    Severity.WARNING,
    "An emoji sequence lost its zero width joiners (U+200D): it shows as separate emoji.",
    "Put the joiners back.",
)
MOJIBAKE = Rule(
    "X903",
    "mojibake",
    "encoding",
    Severity.ERROR,
    "UTF-8 text decoded as Windows-1252 (’ shows as â€™).",
    "Apply the ftfy repair.",
)
ZWSP = Rule("X904", "zero-width-space", "encoding", Severity.INFO, "A zero width space inside a word.")
WRONG_TYPE = REGISTRY["S102"]  # the real rule: registered when qa.constraints is imported
DUPLICATE = Rule("X905", "duplicate-body", "duplicate", Severity.WARNING, "Two files have the same body.")

ZH_SENTENCE = (
    "As foreign media analyses state, this is not passive defense, but active layout. "
    "A tech ecosystem aimed at摆脱 external constraints and achieving internal circulation "
    "is rapidly becoming a reality from a blueprint."
)
FAMILY_STRIPPED = "Family day at the park 👨👩👧 draws crowds"
FAMILY_FIX = "👨\u200d👩\u200d👧"
MOJIBAKE_EXCERPT = "Chinaâ€™s big tech self-reliance push, and how realistic it is"
MOJIBAKE_FIXED = "China’s big tech self-reliance push, and how realistic it is"
ZWSP_TITLE = "Self\u200breliance is the motif"


TEST_RULES = (MIXED_SCRIPT, ZWJ_STRIPPED, MOJIBAKE, ZWSP, DUPLICATE)


def register(monkeypatch: pytest.MonkeyPatch) -> None:
    from qa.checks import all_checks

    all_checks()  # the real rules first: a rule registered later would clash with a test rule's name
    for r in TEST_RULES:
        monkeypatch.setitem(REGISTRY, r.code, r)


def finding(r: Rule, path: str, message: str, *, text: str | None = None, **kw: Any) -> Finding:
    """A finding as a check would emit it: with ``text``, the span's excerpt is kept."""
    f = r.finding(path, message, **kw)
    if text is not None and f.span is not None:
        f.context = excerpt(text, f.span)
    return f


def clippings_table(rows: list[dict[str, Any]]) -> pd.DataFrame:
    columns = ["_record", "_path", "_field", "title", "publishedDateTime", "webUrl", "quality", "heat", "published"]
    columns.append("provider.name")
    data: dict[str, list[Any]] = {c: [] for c in columns}
    for i, given in enumerate(rows):
        row = {"_record": i, "_field": "", **given}
        for c in columns:
            data[c].append(row.get(c))
    return pd.DataFrame({c: to_column(v) for c, v in data.items()})


def glitch_result(*, baseline: bool = False) -> RunResult:
    """Six clippings, four providers, the glitches the per-clipping view must show."""
    span_zh = ZH_SENTENCE.index("摆脱")
    span_fam = FAMILY_STRIPPED.index("👨")
    moj = MOJIBAKE_EXCERPT.index("â€™")
    zwsp = ZWSP_TITLE.index("\u200b")
    findings = [
        finding(
            MIXED_SCRIPT,
            "corpus/004_zh.txt",
            "Chinese text inside an English sentence: 摆脱",
            field="body",
            line=3,
            column=span_zh + 1,
            evidence="摆脱",
            span=(span_zh, span_zh + 2),
            fix="to break free from",
            text=ZH_SENTENCE,
        ),
        finding(
            ZWJ_STRIPPED,
            "corpus/010_family.txt",
            "emoji sequence without its joiners (3 emoji shown for 1)",
            field="title",
            line=3,
            column=8,
            evidence="👨👩👧",
            span=(span_fam, span_fam + 3),
            fix=FAMILY_FIX,
            text=FAMILY_STRIPPED,
        ),
        finding(
            MOJIBAKE,
            "corpus/000_op_ed.txt",
            "mojibake: â€™ is ’ decoded as Windows-1252",
            field="excerpt",
            line=4,
            column=10,
            evidence=MOJIBAKE_EXCERPT,
            span=(moj, moj + 3),
            fix=replace_text("excerpt", 0, len(MOJIBAKE_EXCERPT), MOJIBAKE_FIXED),  # the whole value
            text=MOJIBAKE_EXCERPT,
        ),
        finding(
            ZWSP,
            "corpus/000_op_ed.txt",
            "zero width space inside a word",
            field="title",
            line=3,
            column=8,
            evidence=ZWSP_TITLE,
            span=(zwsp, zwsp + 1),
            fix="",
            text=ZWSP_TITLE,
        ),
        finding(
            WRONG_TYPE,
            "corpus/020_quality.txt",
            "quality: expected an integer, found a string",
            field="quality",
            line=9,
            column=1,
            evidence="'high'",
        ),
        finding(
            DUPLICATE,
            "corpus/030_dup_a.txt",
            "same body as 1 other file",
            field="body",
            line=12,
            related=["corpus/031_dup_b.txt"],
        ),
        finding(
            DUPLICATE,
            "corpus/031_dup_b.txt",
            "same body as 1 other file",
            field="body",
            line=11,
            related=["corpus/030_dup_a.txt"],
        ),
    ]
    findings.sort(key=Finding.sort_key)
    clippings = clippings_table(
        [
            {
                "_path": "corpus/000_op_ed.txt",
                "title": "Op-Ed: China’s big tech",
                "publishedDateTime": "2021-12-28T23:15:00Z",
                "webUrl": "https://www.digitaljournal.com/op-ed",
                "quality": 7,
                "heat": -1,
                "published": False,
                "provider.name": "Digital Journal",
            },
            {
                "_path": "corpus/010_family.txt",
                "title": FAMILY_STRIPPED,
                "publishedDateTime": "2021-12-28T02:28:00Z",
                "webUrl": "https://www.wboy.com/family",
                "quality": 24,
                "heat": 44,
                "published": True,
                "provider.name": "WBOY",
            },
            {
                "_path": "corpus/020_quality.txt",
                "title": "Quality as a word",
                "publishedDateTime": "2021-12-29T18:36:00Z",
                "webUrl": "https://nypost.com/q",
                "quality": "high",
                "heat": 3,
                "published": "false",
                "provider.name": "New York Post",
            },
            {
                "_path": "corpus/030_dup_a.txt",
                "title": "China pursues tech self-reliance",
                "publishedDateTime": dt.datetime(2021, 12, 30, 8, 0, tzinfo=dt.UTC),
                "webUrl": "https://nypost.com/a",
                "quality": 44,
                "heat": 120,
                "published": True,
                "provider.name": "New York Post",
            },
            {
                "_path": "corpus/031_dup_b.txt",
                "title": "China pursues tech self-reliance",
                "publishedDateTime": "2021-12-30T09:00:00Z",
                "webUrl": "https://www.spokesman.com/b",
                "quality": 44,
                "heat": None,
                "published": True,
                "provider.name": "The Spokesman-Review",
            },
        ]
    )
    fixed: list[dict[str, Any]] = []
    if baseline:
        for f in findings:
            f.status = "existing" if f.check in ("schema", "duplicate") else "new"
        fixed = [
            {
                "rule": "X903",
                "path": "corpus/040_fixed.txt",
                "field": "title",
                "message": "mojibake: Ã© is é",
                "fingerprint": "0123456789abcdef",
            },
        ]
    return RunResult(
        findings=findings,
        tables={"clippings": clippings},
        roots=["corpus"],
        files=7,
        records=6,
        config=Config(),
        started=dt.datetime(2026, 11, 23, 1, 0, tzinfo=dt.UTC),
        duration=1.234,
        fixed=fixed,
    )


PROVIDERS = (
    "Digital Journal",
    "WBOY",
    "New York Post",
    "The Spokesman-Review",
    "Reuters",
    "AP News",
    "BBC News",
    "Le Monde",
    "Der Spiegel",
    "NHK",
    "Xinhua",
    "El País",
    "ANSA",
    "Yonhap",
    "Al Jazeera",
    "The Hindu",
    "ABC News",
    "CBC",
    "RTÉ",
    "SCMP",
)
_SENTENCES = (
    "Technological self-reliance is China’s major strategic driving motif these days.",
    "A tech ecosystem aimed at摆脱 external constraints is becoming a reality.",
    "Family day at the park 👨👩👧 draws crowds.",
    "Chinaâ€™s big tech push, and how realistic it is.",
    "Self\u200breliance is the word of the year.",
)


def synthetic_result(n_findings: int, n_files: int | None = None, seed: int = 7) -> RunResult:
    """A large RunResult for the benchmark and the paging tests: varied rules, spans, fixes."""
    import random

    rng = random.Random(seed)
    n_files = n_files or max(1, n_findings // 5)
    rules = [*TEST_RULES, WRONG_TYPE]
    start = dt.date(2021, 1, 1)
    paths = [f"corpus/{i // 1000:03d}/{i:06d}_{rng.getrandbits(32):08x}.txt" for i in range(n_files)]
    rows = []
    for p in paths:
        rows.append(
            {
                "_path": p,
                "title": rng.choice(_SENTENCES),
                "publishedDateTime": f"{start + dt.timedelta(days=rng.randrange(120))}T{rng.randrange(24):02d}:00:00Z",
                "webUrl": f"https://example.org/{rng.getrandbits(40):x}",
                "quality": rng.randrange(101) if rng.random() > 0.02 else "high",
                "heat": -1 if rng.random() < 0.3 else int(rng.paretovariate(1.2) * 10),
                "published": rng.random() < 0.7,
                "provider.name": rng.choice(PROVIDERS) if rng.random() > 0.05 else None,
            }
        )
    findings = []
    for i in range(n_findings):
        r = rng.choice(rules)
        text = rng.choice(_SENTENCES) * rng.randrange(1, 4)
        a = rng.randrange(len(text))
        b = min(len(text), a + rng.randrange(1, 12))
        field = rng.choice(("title", "excerpt", "body", "related[0].title"))
        findings.append(
            finding(
                r,
                paths[i % n_files] if i < n_files else rng.choice(paths),
                f"{r.name.replace('-', ' ')}: {text[a:b]!r} at {a}",
                field=field,
                line=rng.randrange(2, 80),
                column=rng.randrange(1, 60),
                evidence=text[a:b],
                span=(a, b),
                fix=text[a:b].upper() if rng.random() < 0.5 else None,
                text=text,
            )
        )
    findings.sort(key=Finding.sort_key)
    return RunResult(
        findings=findings,
        tables={"clippings": clippings_table(rows)},
        roots=["corpus"],
        files=n_files,
        records=n_files,
        config=Config(),
        started=dt.datetime(2026, 11, 23, 1, 0, tzinfo=dt.UTC),
        duration=12.5,
    )
