"""Differential test: clipqa's pandera schema check and Great Expectations flag the same rows.

A generated corpus plants violations of every constraint the schemas use (plus
``min_length`` and ``finite``, added to a copy of the schemas so that every
constraint in qa/constraints.py is covered). For each (table, column, constraint)
the rows pandera flags and the rows GX flags must be equal, and each planted
constraint must be flagged at least once (so the comparison is never vacuous).
"""

from __future__ import annotations

import random
import shutil
from pathlib import Path
from typing import Any

import pytest
import yaml

pytest.importorskip("great_expectations")

from qa import gx as qgx
from qa.config import load_config
from qa.constraints import CONSTRAINTS
from qa.pipeline import run
from qa.schema import load_schema

REPO = Path(__file__).resolve().parents[1]


def _base(i: int) -> dict[str, Any]:
    host = f"site{i}.example.com"
    url = f"https://www.{host}/news/{i}"
    amp = url + "/amp"
    return {
        "title": f"Title {i}",
        "excerpt": f"Excerpt {i}",
        "publishedDateTime": "2021-12-28T10:00:00Z",
        "webUrl": url,
        "originalUrl": url,
        "ampWebUrl": amp,
        "cdnAmpWebUrl": f"https://www-{host.replace('.', '-')}.cdn.ampproject.org/c/s/www.{host}/news/{i}/amp",
        "type": "article",
        "category": "news",
        "quality": 50,
        "heat": 10,
        "published": True,
        "provider": {"name": f"Provider {i}", "domain": host},
        "topics": ["AI", "Autos"],
        "secured": "abc=;def==",
        "slug": "good-slug",
        "score": 0.5,
        "images": [{"url": f"https://img.{host}/{i}.jpg", "width": 640, "height": 480, "isCached": True}],
        "related": [
            {
                "title": f"Related {i}",
                "excerpt": "x",
                "publishedDateTime": "2021-12-29T00:19:00+01:00",
                "webUrl": f"https://other{i}.example.org/a",
                "type": "video",
                "quality": 10,
                "heat": -1,
                "provider": {"name": "Other", "domain": f"other{i}.example.org"},
                "images": [{"url": f"https://other{i}.example.org/i.png", "width": 1, "height": 20000}],
            }
        ],
    }


def _set(doc: dict[str, Any], path: str, value: Any) -> None:
    *parents, last = path.split("/")
    node: Any = doc
    for p in parents:
        node = node[int(p)] if isinstance(node, list) else node[p]
    if value is _DELETE:
        del node[last]
    elif isinstance(node, list):
        node[int(last)] = value
    else:
        node[last] = value


_DELETE = object()

# (path in the document, planted value) -> one file each
VIOLATIONS: list[tuple[str, Any]] = [
    ("title", _DELETE),
    ("title", None),
    ("title", 123),
    ("title", "   "),
    ("title", "t" * 1001),
    ("excerpt", ""),
    ("excerpt", "e" * 5001),
    ("excerpt", _DELETE),
    ("publishedDateTime", "not a date"),
    ("publishedDateTime", "2021-12-28T10:00:00"),
    ("publishedDateTime", "2021-12-28"),
    ("webUrl", "ftp://example.com/x"),
    ("webUrl", "notaurl"),
    ("webUrl", "https://exa mple.com/"),
    ("originalUrl", "https://www.elsewhere.example.net/other"),
    ("originalUrl", "http://"),
    ("ampWebUrl", "https://bad_host..example/"),
    ("cdnAmpWebUrl", "https://www.example.com/not-the-cache"),
    ("webUrl", 'https://www.example.com/a"><b>'),  # url_escaped
    ("originalUrl", "https://editor:pw@www.example.com/x"),  # url_no_credentials
    ("ampWebUrl", "http://localhost/amp"),  # url_public_host
    ("related/0/webUrl", "http://0x0a.1/a"),  # url_public_host: 10.0.0.1
    ("type", "blog"),
    ("type", 5),
    ("category", "bogus"),
    ("quality", 101),
    ("quality", -1),
    ("quality", "high"),
    ("quality", 3.5),
    ("quality", True),
    ("heat", -2),
    ("heat", 1000001),
    ("published", "false"),
    ("published", _DELETE),
    ("published", 1),
    ("provider", _DELETE),
    ("provider/name", "  "),
    ("provider/name", "n" * 201),
    ("provider/domain", "localhost"),
    ("provider/domain", "bad_domain..x"),
    ("provider/domain", "unrelated.example.net"),
    ("topics", ["", "x" * 201, 5, None, "fine"]),
    ("secured", "abc"),
    ("secured", 42),
    ("slug", "ab"),
    ("slug", ""),
    ("score", float("nan")),
    ("score", float("inf")),
    ("score", 1.5),
    ("score", "0.5"),
    ("images/0/url", ""),
    ("images/0/url", "javascript:alert(1)"),
    ("images/0/url", _DELETE),
    ("images/0/width", 0),
    ("images/0/width", 20001),
    ("images/0/width", "100"),
    ("images/0/height", _DELETE),
    ("images/0/isCached", "yes"),
    ("related/0/title", _DELETE),
    ("related/0/title", " "),
    ("related/0/excerpt", "e" * 5001),
    ("related/0/publishedDateTime", "2021-12-29T00:19:00"),
    ("related/0/webUrl", "mailto:a@b.c"),
    ("related/0/quality", 200),
    ("related/0/heat", "x"),
    ("related/0/type", "blog"),
    ("related/0/provider/domain", "mismatch.example.com"),
    ("related/0/provider/name", 7),
    ("related/0/ampWebUrl", "https://other.example.org/amp"),
    ("related/0/images/0/width", -5),
    ("related/0/images/0/url", "https:///nohost"),
]


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> tuple[Any, Any]:
    root = tmp_path_factory.mktemp("gxdiff")
    schemas = root / "schemas"
    shutil.copytree(REPO / "schemas", schemas)
    spec = yaml.safe_load((schemas / "clippings.yaml").read_text(encoding="utf-8"))
    spec["fields"]["slug"] = {"type": "string", "checks": {"min_length": 3, "not_blank": True}}
    spec["fields"]["score"] = {"type": "number", "checks": {"finite": True, "between": [0, 1]}}
    (schemas / "clippings.yaml").write_text(yaml.safe_dump(spec, sort_keys=False), encoding="utf-8")
    files = root / "corpus"
    files.mkdir()
    rng = random.Random(8)
    n = 0
    for value_path, value in VIOLATIONS:
        for _ in range(2):  # each violation twice, with clean files in between
            doc = _base(n)
            _set(doc, value_path, value)
            (files / f"c{n:04d}.md").write_text("---\n" + yaml.safe_dump(doc) + "---\nBody.\n", encoding="utf-8")
            n += 1
            if rng.random() < 0.5:
                (files / f"c{n:04d}.md").write_text("---\n" + yaml.safe_dump(_base(n)) + "---\n", encoding="utf-8")
                n += 1
    cfg = load_config(None, {"jobs": 1, "schema-dir": str(schemas)}, None)
    result = run([str(files)], cfg)
    return load_schema(schemas), result


def test_pandera_and_gx_flag_the_same_rows(corpus: tuple[Any, Any]) -> None:
    schema, result = corpus
    outcome = qgx.validate(schema, result.tables)
    pandera = qgx.pandera_rows(schema, result.tables)
    assert outcome.errored == 0
    mismatches = qgx.disagreements(outcome, pandera)
    assert mismatches == [], mismatches
    # every pandera check that fired is covered by some expectation
    covered = {(k[0], c) for k, c in outcome.pandera_check.items()}
    assert set(pandera) <= covered
    assert outcome.failed == sum(1 for rows in outcome.flagged.values() if rows)


def test_every_constraint_is_planted_and_flagged(corpus: tuple[Any, Any]) -> None:
    schema, result = corpus
    outcome = qgx.validate(schema, result.tables)
    flagged_constraints = {key[2] for key, rows in outcome.flagged.items() if rows}
    cross = {cf.check for spec in schema.tables.values() for cf in spec.cross_field}
    expected = set(CONSTRAINTS) | {"required", "type"} | cross
    assert expected <= flagged_constraints, expected - flagged_constraints
    flagged_tables = {key[0] for key, rows in outcome.flagged.items() if rows}
    assert flagged_tables == {"clippings", "images", "related", "clippings.topics"}


def test_uniqueness_is_not_in_the_schemas() -> None:
    # GX's uniqueness expectation counts every member of a duplicate group; clipqa's
    # schemas declare no uniqueness constraint, so no suite may contain one.
    pl = qgx.plan(load_schema(REPO / "schemas"))
    assert all("Unique" not in p.expectation for p in qgx.iter_planned(pl))


def test_a_disagreement_becomes_a_g001_finding(corpus: tuple[Any, Any]) -> None:
    schema, result = corpus
    outcome = qgx.validate(schema, result.tables)
    pandera = qgx.pandera_rows(schema, result.tables)
    assert qgx.disagreement_findings(outcome, pandera) == []
    key = ("related", "title", "not_blank")
    [row] = sorted(outcome.flagged[key])[:1]
    outcome.flagged[key].discard(row)  # as if GX had missed one row pandera flags
    outcome.flagged[("clippings", "quality", "between")].add(("extra.md", ""))  # and flagged one it does not
    found = {(f.rule, f.path, f.field, f.message) for f in qgx.disagreement_findings(outcome, pandera)}
    assert found == {
        ("G001", row[0], f"{row[1]}.title", "related.title not_blank: only clipqa's schema check flagged this row"),
        ("G001", "extra.md", "quality", "clippings.quality between: only Great Expectations flagged this row"),
    }
