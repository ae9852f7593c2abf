"""Schema rules on real files through the real pipeline, and strict schema loading."""

from __future__ import annotations

import contextlib
import datetime as dt
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from qa.pipeline import RunResult
from qa.schema import SchemaLoadError, amp_cache_url, default_schema_dir, load_schema
from tests.clipping import BASE, clipping, data, render

Check = Callable[..., RunResult]


def schema_findings(result: RunResult) -> list[tuple[str, str | None]]:
    return sorted((f.rule, f.field) for f in result.findings if f.check == "schema")


def test_base_clipping_is_clean(write_corpus: Callable[..., Path], check: Check) -> None:
    result = check([write_corpus({"a.txt": clipping("Body.\n")})])
    assert result.findings == []
    assert result.gate == "passed"


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        ({"title": ...}, [("S101", "title")]),
        ({"webUrl": None}, [("S101", "webUrl")]),
        ({"quality": "seven"}, [("S102", "quality")]),
        ({"quality": 7.5}, [("S102", "quality")]),
        ({"heat": True}, [("S102", "heat")]),
        ({"published": "false"}, [("S102", "published")]),
        ({"published": 0}, [("S102", "published")]),
        ({"topics": "AI"}, [("S102", "topics")]),
        (
            {"provider": "Maritime Daily"},
            [("S101", "provider.domain"), ("S101", "provider.name"), ("S102", "provider")],
        ),
        ({"title": "   "}, [("S103", "title")]),
        ({"quality": 101}, [("S104", "quality")]),
        ({"heat": -2}, [("S104", "heat")]),
        ({"secured": "not a token"}, [("S105", "secured")]),
        ({"type": "tweet"}, [("S106", "type")]),
        ({"category": "gossip"}, [("S106", "category")]),
        ({"webUrl": "ftp://www.maritime.example.com/x", "originalUrl": ...}, [("S107", "webUrl")]),
        ({"originalUrl": "/relative/path"}, [("S107", "originalUrl")]),
        ({"publishedDateTime": dt.datetime(2025, 3, 14, 8, 30)}, [("S108", "publishedDateTime")]),
        ({"publishedDateTime": dt.date(2025, 3, 14)}, [("S102", "publishedDateTime")]),
        ({"publishedDateTime": "14 March 2025"}, [("S102", "publishedDateTime")]),
        ({"publishedDatetime": "2025-03-14T08:30:00Z"}, [("S109", "publishedDatetime")]),
        ({"title": "x" * 1001}, [("S111", "title")]),
        ({"provider": {"name": "Maritime Daily", "domain": "not a host"}}, [("S112", "provider.domain")]),
        ({"provider": {"name": "Maritime Daily", "domain": "other.example.net"}}, [("S201", "provider.domain")]),
        ({"cdnAmpWebUrl": "https://cdn.example.com/amp/"}, [("S202", "ampWebUrl")]),
        ({"originalUrl": "https://www.maritime.example.com/another-story/"}, [("S203", "originalUrl")]),
        ({"originalUrl": "https://maritime.example.com/another-story?utm_source=x"}, [("S203", "originalUrl")]),
        # the same page, written otherwise: no S203 (the duplicate check's url_key agrees)
        ({"originalUrl": "http://maritime.example.com/2025/rotterdam-cranes?utm_source=feed&fbclid=1"}, []),
        ({"originalUrl": "https://www.maritime.example.com/2025/rotterdam-cranes/amp/"}, []),
    ],
)
def test_each_schema_rule_fires_where_it_should(
    write_corpus: Callable[..., Path], check: Check, changes: dict[str, Any], expected: list[tuple[str, str]]
) -> None:
    result = check([write_corpus({"a.txt": clipping(**changes)})])
    assert schema_findings(result) == sorted(expected)


def test_publisheddatetime_typo_also_reports_the_missing_field(write_corpus: Callable[..., Path], check: Check) -> None:
    fields = data()
    fields["publishedDatetime"] = fields.pop("publishedDateTime")
    result = check([write_corpus({"a.txt": render(fields)})])
    assert schema_findings(result) == [("S101", "publishedDateTime"), ("S109", "publishedDatetime")]
    unknown = next(f for f in result.findings if f.rule == "S109")
    assert "did you mean 'publishedDateTime'" in unknown.message


def test_nested_failures_carry_field_paths_and_lines(write_corpus: Callable[..., Path], check: Check) -> None:
    fields = data()
    fields["images"] = [dict(BASE["images"][0]), {"url": "javascript:alert(1)", "width": 0, "height": 10}]
    fields["related"][0]["provider"] = {"name": "Port News", "domain": "bad domain"}
    fields["related"][0]["images"][0]["width"] = "wide"
    fields["topics"] = ["Shipping", "  "]
    root = write_corpus({"a.txt": render(fields)})
    result = check([root])
    got = {(f.rule, f.field) for f in result.findings}
    assert {
        # image semantics belong to the image_url check (schemas/images.yaml declares types only)
        ("I103", "images[1].url"),
        ("I105", "images[1].width"),
        ("S112", "related[0].provider.domain"),
        ("S102", "related[0].images[0].width"),
        ("S103", "topics[1]"),
    } <= got
    lines = (root / "a.txt").read_text().splitlines()
    for f in result.findings:
        assert f.line is not None, f
        leaf = (f.field or "").rsplit(".", 1)[-1].split("[")[0]
        if leaf and leaf != "topics":
            assert leaf in lines[f.line - 1], (f.field, lines[f.line - 1])


def test_values_of_the_wrong_type_are_reported_once(write_corpus: Callable[..., Path], check: Check) -> None:
    result = check([write_corpus({"a.txt": clipping(webUrl=12345)})])
    # Only the type failure; the URL check and the cross-field checks do not pile on.
    assert [(f.rule, f.field) for f in result.findings] == [("S102", "webUrl")]


def test_body_only_file_gets_exactly_one_schema_finding(write_corpus: Callable[..., Path], check: Check) -> None:
    result = check([write_corpus({"b.txt": "Just a body.\n"})])
    assert [(f.rule, f.severity) for f in result.findings] == [("S110", "warning")]


def test_severity_of_no_front_matter_is_configurable(write_corpus: Callable[..., Path], check: Check) -> None:
    result = check([write_corpus({"b.txt": "Just a body.\n"})], severity={"S110": "error"})
    assert [(f.rule, f.severity) for f in result.findings] == [("S110", "error")]
    assert result.gate == "failed"


def test_impossible_dates_are_findings_not_crashes(write_corpus: Callable[..., Path], check: Check) -> None:
    text = clipping().replace("publishedDateTime: 2025-03-14 08:30:00+00:00", "publishedDateTime: 2025-02-30T08:30:00Z")
    result = check([write_corpus({"a.txt": text})])
    assert result.findings, "an impossible date must be reported"
    assert all(f.rule != "P900" for f in result.findings)


# ---------------------------------------------------------------- loading schema files


def copy_schemas(tmp_path: Path) -> Path:
    target = tmp_path / "schemas"
    shutil.copytree(default_schema_dir(), target)
    return target


@pytest.mark.parametrize(
    ("old", "new", "needle"),
    [
        (
            "    required: true\n    checks: {not_blank: true, max_length: 1000}",
            "    requird: true\n    checks: {not_blank: true, max_length: 1000}",
            "requird",
        ),
        ("checks: {between: [0, 100]}", "checks: {betwen: [0, 100]}", "betwen"),
        ("type: integer\n    description: Editorial", "type: int\n    description: Editorial", "unknown type 'int'"),
        ("checks: {between: [0, 100]}", "checks: {between: [100, 0]}", "min is greater than max"),
        ("checks: {between: [0, 100]}", "checks: {pattern: '[a-z'}", "does not apply to type 'integer'"),
        ("unknown_fields: error", "unknown_fields: error\nstrict: true", "strict"),
        (
            "  - {check: same_url, fields: [originalUrl, webUrl]}",
            "  - {check: same_uri, fields: [originalUrl, webUrl]}",
            "same_uri",
        ),
    ],
)
def test_schema_file_errors_name_file_and_key(tmp_path: Path, old: str, new: str, needle: str) -> None:
    folder = copy_schemas(tmp_path)
    path = folder / "clippings.yaml"
    text = path.read_text()
    assert old in text
    path.write_text(text.replace(old, new, 1))
    with pytest.raises(SchemaLoadError) as err:
        load_schema(folder)
    assert str(path) in str(err.value)
    assert needle in str(err.value)


def test_duplicate_keys_in_a_schema_file_are_refused(tmp_path: Path) -> None:
    folder = copy_schemas(tmp_path)
    path = folder / "images.yaml"
    path.write_text(path.read_text().replace("  isCached:\n", "  width:\n    type: integer\n  isCached:\n"))
    with pytest.raises(SchemaLoadError, match="duplicate key 'width'"):
        load_schema(folder)


def test_cli_exits_2_on_a_bad_schema(tmp_path: Path, seeds_dir: Path) -> None:
    folder = copy_schemas(tmp_path)
    (folder / "images.yaml").write_text(
        (folder / "images.yaml").read_text().replace("isCached:", "isCached:\n    colour: red\n  other:", 1)
    )
    proc = subprocess.run(
        [sys.executable, "-m", "qa", "check", str(seeds_dir), "--schema-dir", str(folder), "--no-reports"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 2
    assert "images.yaml" in proc.stderr and "colour" in proc.stderr
    assert "Traceback" not in proc.stderr


def test_a_users_schema_dir_changes_the_rules(tmp_path: Path, write_corpus: Callable[..., Path], check: Check) -> None:
    folder = copy_schemas(tmp_path)
    path = folder / "clippings.yaml"
    path.write_text(path.read_text().replace("checks: {between: [0, 100]}", "checks: {between: [70, 100]}", 1))
    root = write_corpus({"a.txt": clipping()})
    assert check([root]).findings == []
    result = check([root], schema_dir=str(folder))
    assert [(f.rule, f.field) for f in result.findings] == [("S104", "quality")]


def test_isin_on_an_integer_column_reports_values_outside_it(
    tmp_path: Path, write_corpus: Callable[..., Path], check: Check
) -> None:
    """S106 for an integer field's ``isin`` (it used to pass every value of a non-string column)."""
    folder = copy_schemas(tmp_path)
    path = folder / "clippings.yaml"
    path.write_text(path.read_text().replace("checks: {between: [0, 100]}", "checks: {isin: [10, 20, 30]}", 1))
    root = write_corpus({"a.txt": clipping(quality=20), "b.txt": clipping(quality=25)})
    result = check([root], schema_dir=str(folder))
    schema_findings = [(f.rule, f.path, f.field) for f in result.findings if f.check == "schema"]
    assert schema_findings == [("S106", "b.txt", "quality")]


def test_schemas_ship_inside_the_package() -> None:
    assert (default_schema_dir() / "clippings.yaml").is_file()
    schema = load_schema()
    assert set(schema.tables) == {"clippings", "images", "related"}


def _amp_cache_url_by_the_codec(amp_url: str) -> str | None:
    """amp_cache_url as it was before its ASCII shortcut: Python's idna codec both ways, always."""

    try:
        parts = urlsplit(amp_url)
    except ValueError:
        return None
    if not parts.hostname or parts.scheme not in ("http", "https"):
        return None
    try:
        host = parts.hostname.encode("ascii").decode("idna")
    except UnicodeError:
        host = parts.hostname
    cache_host = host.replace("-", "--").replace(".", "-")
    with contextlib.suppress(UnicodeError):
        cache_host = cache_host.encode("idna").decode("ascii")
    rest = parts.netloc + parts.path + (f"?{parts.query}" if parts.query else "")
    mode = "c/s/" if parts.scheme == "https" else "c/"
    return f"https://{cache_host}.cdn.ampproject.org/{mode}{rest}"


_HOST_LABELS = st.one_of(
    st.text("abcXYZ019-_", min_size=0, max_size=8),
    st.sampled_from(["xn--bcher-kva", "XN--BCHER-KVA", "xn--", "xn--zz", "bücher", "ÄÖ", "例え", "a" * 64, "%ETH0"]),
)


@settings(max_examples=500, deadline=None)
@given(st.sampled_from(["http", "https", "HTTPS", "ftp"]), st.lists(_HOST_LABELS, min_size=1, max_size=4),
       st.sampled_from(["", ":8080", "]"]), st.sampled_from(["/amp/a-b", "", "/x?q=1"]))  # fmt: skip
def test_amp_cache_url_ascii_shortcut_changes_nothing(scheme: str, labels: list[str], port: str, path: str) -> None:
    host = ".".join(labels)
    for url in (f"{scheme}://{host}{port}{path}", f"{scheme}://[fe80::1%{host}]{path}"):
        assert amp_cache_url(url) == _amp_cache_url_by_the_codec(url), url
