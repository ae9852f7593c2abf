"""Fuzz targets shared by the atheris and hypothesis harnesses (and tests/test_fuzz.py).

``check_bytes`` runs one input through everything a worker does with a file
(read and decode, split front matter, compose and construct YAML, per-record
checks, tables, schema validation) *without* the stage's catch-all, so that any
exception surfaces with its traceback. ``check_text`` drives the parser directly.
Both also check invariants: findings belong to the file and carry valid lines.
"""

from __future__ import annotations

import os
import tempfile
from functools import lru_cache
from typing import Any

from qa.checks import Context, all_checks
from qa.config import Config
from qa.corpus import ReadOptions, Record, Source, read_record, split_and_parse
from qa.findings import Finding
from qa.schema import Schema, load_schema, validate_tables
from qa.tables import TableBuilder
from qa.yamlload import Limits, parse_yaml

# Small limits: the fuzzer reaches them with small inputs.
READ = ReadOptions(max_file_bytes=64 * 1024, yaml_limits=Limits(max_depth=32, max_nodes=5000, max_aliases=100,
                                                              max_scalar_chars=2000))  # fmt: skip


@lru_cache(maxsize=1)
def _setup() -> tuple[Schema, list[Any], str]:
    schema = load_schema()
    config = Config()
    checks = [(c, Context(config.options_for(c.name, c.options), {"now": None, "online": False})) for c in
              all_checks().values()]  # fmt: skip
    folder = tempfile.mkdtemp(prefix="clipqa-fuzz-")
    return schema, checks, os.path.join(folder, "input.txt")


def _invariants(findings: list[Finding], rec: Record) -> None:
    lines = rec.text.count("\n") + 1 if rec.text else 1
    for f in findings:
        assert f.path == rec.path, f
        assert f.severity in ("error", "warning", "info"), f
        if f.line is not None:
            assert 1 <= f.line <= lines + 1, (f, lines)
        if f.column is not None:
            assert f.column >= 1, f
        assert len(f.message) < 2000, f.message[:200]
        f.to_dict()  # serialisable


def check_bytes(data: bytes) -> None:
    schema, checks, path = _setup()
    with open(path, "wb") as fh:
        fh.write(data)
    rec = read_record(Source("input.txt", path), READ)
    extra: dict[str, Any] = {}
    for check, ctx in checks:
        if check.record is not None:
            rec.findings.extend(check.record(rec, ctx))
        if check.columns is not None:
            extra.update(check.columns(rec, ctx))
    builder = TableBuilder(schema, tuple(n for c, _ in checks for n in c.column_names))
    rec.findings.extend(builder.add(0, rec, extra))
    frames = builder.frames()
    rec.findings.extend(validate_tables(schema, frames))
    rec.locate_findings()
    _invariants(rec.findings, rec)


def check_text(text: str) -> None:
    parsed = parse_yaml(text, READ.yaml_limits)
    for issue in parsed.issues:
        assert issue.line is None or issue.line >= 1, issue
    rec = Record("input.txt", "input.txt", text=text)
    split_and_parse(rec, READ)
    rec.locate_findings()
    _invariants(rec.findings, rec)
