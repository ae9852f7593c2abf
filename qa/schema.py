"""Schemas: data in ``schemas/*.yaml`` -> typed specs -> pandera -> findings.

A schema file is read strictly: an unknown key, type, check or table is a
:class:`SchemaLoadError` naming the file and the key (the CLI exits 2). This is
the guard pandera's own YAML loader lacks: it silently drops unregistered checks
and ignores misspelled keys.

The compiled pandera ``DataFrameSchema`` of each table validates lazily (every
failure, not the first); its failure cases are mapped back to file, field path
(``related[1].provider.domain``) and rule.
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import importlib.resources
from collections import Counter
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import SplitResult

import pandas as pd
import yaml

from qa.constraints import (
    CONSTRAINTS,
    S101,
    S102,
    S108,
    SCALAR_TYPES,
    TYPES,
    Constraint,
    explain_type,
    hostname_problem,
    parse_datetime,
    type_mask,
    url_problem,
    vectorized_check,
)
from qa.findings import Edit, Finding, Rule, replace_text, replace_value, rule
from qa.urls import redact_url, split_url, url_host, url_key
from qa.yamlload import split_field

if TYPE_CHECKING:  # pandera is imported where schemas are compiled and run: in the workers
    import pandera.pandas as pa

S109 = rule(
    "S109",
    "unknown-field",
    "schema",
    "error",
    "A key the schema does not declare (often a typo such as publishedDatetime).",
    fix="Rename it to the declared key it almost matches (the fix), or remove it.",
    applicability="unsafe",
)
S201 = rule(
    "S201",
    "provider-domain-mismatch",
    "schema",
    "error",
    "provider.domain does not match the host of webUrl (www. and subdomains are allowed).",
)
S202 = rule("S202", "amp-cache-mismatch", "schema", "error", "cdnAmpWebUrl is not the AMP-cache form of ampWebUrl.")
S203 = rule("S203", "original-url-mismatch", "schema", "warning", "originalUrl and webUrl point at different pages.")

SCHEMA_FORMAT = 1
TABLES = ("clippings", "related", "images")
_FILE_KEYS = {"clipqa_schema", "table", "description", "unknown_fields", "fields", "cross_field"}
_FIELD_KEYS = {"type", "required", "description", "checks", "fields", "items", "table"}
_UNKNOWN_POLICIES = ("error", "warning", "info", "allow")


class SchemaLoadError(Exception):
    """A schema file is wrong. The message names the file and the key."""


@dataclass(frozen=True, slots=True)
class FieldSpec:
    name: str  # flattened column name, e.g. provider.domain
    type: str
    required: bool = False
    checks: tuple[tuple[str, Any, Any], ...] = ()  # (constraint name, raw arg, normalised arg)
    description: str = ""


@dataclass(slots=True)
class MappingSpec:
    """A mapping level: declared keys, and what each becomes."""

    columns: dict[str, FieldSpec] = field(default_factory=dict)  # key -> scalar column
    mappings: dict[str, MappingSpec] = field(default_factory=dict)  # key -> nested mapping
    mapping_required: dict[str, bool] = field(default_factory=dict)
    children: dict[str, str] = field(default_factory=dict)  # key -> child table (list of mappings)
    items: dict[str, FieldSpec] = field(default_factory=dict)  # key -> list of scalars

    def keys(self) -> set[str]:
        return set(self.columns) | set(self.mappings) | set(self.children) | set(self.items)


@dataclass(frozen=True, slots=True)
class CrossField:
    check: str
    args: Mapping[str, Any]
    rule: Rule
    fields: tuple[str, ...]  # columns it reads; the first is where findings point


@dataclass(slots=True)
class TableSpec:
    name: str
    source: str
    description: str
    unknown_fields: str
    root: MappingSpec
    columns: dict[str, FieldSpec]  # flattened scalar columns, in order
    item_tables: dict[str, FieldSpec]  # e.g. clippings.topics -> the item spec
    cross_field: list[CrossField]


@dataclass(slots=True)
class Schema:
    tables: dict[str, TableSpec]
    source: str
    compiled: dict[str, pa.DataFrameSchema] = field(default_factory=dict)

    def pandera(self, table: str) -> pa.DataFrameSchema:
        """The pandera schema of a table (or of an item table such as clippings.topics)."""
        cached = self.compiled.get(table)
        if cached is None:
            is_table = table in self.tables
            cached = compile_table(self, table) if is_table else compile_items(self.item_spec(table), table)
            self.compiled[table] = cached
        return cached

    def item_spec(self, item_table: str) -> FieldSpec:
        owner = item_table.split(".", 1)[0]
        return self.tables[owner].item_tables[item_table]

    def field_type(self, field_path: str, table: str = "clippings") -> str | None:
        """The declared type of a field of a ``table`` row (``published``,
        ``images[0].isCached``, ``topics[2]``), or None when the schema does not declare it."""
        spec = self.tables.get(table)
        if spec is None:
            return None
        level = spec.root
        parts = split_field(field_path)
        i = 0
        while i < len(parts):
            part, last = parts[i], i == len(parts) - 1
            indexed = not last and isinstance(parts[i + 1], int)
            if not isinstance(part, str):
                return None
            if part in level.columns:
                return level.columns[part].type if last else None
            if part in level.mappings:
                if last:
                    return "mapping"
                level = level.mappings[part]
                i += 1
            elif part in level.children or part in level.items:
                if last:
                    return "list"
                if not indexed:
                    return None
                if part in level.items:
                    return level.items[part].type if i + 2 == len(parts) else None
                child = self.tables.get(level.children[part])
                if child is None:
                    return None
                level = child.root
                i += 2
            else:
                return None
        return None


def default_schema_dir() -> Path:
    """schemas/ inside the installed package (wheel), else beside the source tree."""
    packaged = importlib.resources.files("qa").joinpath("schemas")
    if packaged.is_dir():
        return Path(str(packaged))
    return Path(__file__).resolve().parent.parent / "schemas"


# ---------------------------------------------------------------- loading


def _fail(source: str, where: str, message: str) -> SchemaLoadError:
    return SchemaLoadError(f"{source}: {where}: {message}")


def _strict_load(path: Path) -> Any:
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise SchemaLoadError(f"{path}: cannot read: {exc}") from exc
    try:
        return yaml.load(text, Loader=_UniqueKeyLoader)
    except yaml.YAMLError as exc:
        raise SchemaLoadError(f"{path}: not valid YAML: {exc}") from exc


class _UniqueKeyLoader(yaml.SafeLoader):
    """SafeLoader that refuses duplicate keys in schema files."""

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        keys = set()
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=deep)
            if key in keys:
                raise yaml.constructor.ConstructorError(None, None, f"duplicate key {key!r}", key_node.start_mark)
            keys.add(key)
        return super().construct_mapping(node, deep=deep)


def _field_spec(source: str, where: str, name: str, raw: Any) -> dict[str, Any]:
    if not isinstance(raw, dict):
        raise _fail(source, where, "a field must be a mapping with at least 'type'")
    unknown = set(raw) - _FIELD_KEYS
    if unknown:
        raise _fail(source, f"{where}.{sorted(unknown)[0]}", f"unknown key (allowed: {', '.join(sorted(_FIELD_KEYS))})")
    kind = raw.get("type")
    if kind not in TYPES:
        raise _fail(source, f"{where}.type", f"unknown type {kind!r} (allowed: {', '.join(TYPES)})")
    if "required" in raw and not isinstance(raw["required"], bool):
        raise _fail(source, f"{where}.required", "must be true or false")
    return raw


def _checks(source: str, where: str, kind: str, raw: Any) -> tuple[tuple[str, Any, Any], ...]:
    if raw is None:
        return ()
    if not isinstance(raw, dict):
        raise _fail(source, where, "checks must be a mapping of check name to argument")
    out = []
    for name, arg in raw.items():
        constraint: Constraint | None = CONSTRAINTS.get(name)
        if constraint is None:
            raise _fail(source, f"{where}.{name}", f"unknown check (known: {', '.join(sorted(CONSTRAINTS))})")
        if kind not in constraint.types:
            raise _fail(
                source, f"{where}.{name}", f"check does not apply to type {kind!r} (only {', '.join(constraint.types)})"
            )
        try:
            norm = constraint.check_arg(arg)
        except ValueError as exc:
            raise _fail(source, f"{where}.{name}", f"bad argument {arg!r}: {exc}") from exc
        out.append((name, arg, norm))
    return tuple(out)


def _mapping(
    source: str,
    where: str,
    prefix: str,
    raw: Any,
    spec: TableSpec,
    child_tables: set[str],
    parent_required: bool = True,
) -> MappingSpec:
    """One mapping level. A field nested in an optional mapping is required only when
    the mapping is there; tables cannot express that, so it is checked as optional."""
    if not isinstance(raw, dict) or not raw:
        raise _fail(source, where, "must be a non-empty mapping of field names")
    level = MappingSpec()
    for name, fraw in raw.items():
        if not isinstance(name, str) or not name or "." in name or "[" in name:
            raise _fail(source, f"{where}.{name}", "field names are non-empty strings without '.' or '['")
        fw = f"{where}.{name}"
        f = _field_spec(source, fw, name, fraw)
        kind = f["type"]
        required = bool(f.get("required", False)) and parent_required
        column = f"{prefix}{name}"
        if kind in SCALAR_TYPES:
            for key in ("fields", "items", "table"):
                if key in f:
                    raise _fail(source, f"{fw}.{key}", f"not allowed for type {kind!r}")
            fs = FieldSpec(
                column, kind, required, _checks(source, f"{fw}.checks", kind, f.get("checks")), f.get("description", "")
            )
            level.columns[name] = fs
            spec.columns[column] = fs
        elif kind == "mapping":
            if "checks" in f or "items" in f or "table" in f:
                raise _fail(source, fw, "a mapping takes 'fields' (and 'required'), not checks/items/table")
            level.mappings[name] = _mapping(
                source, f"{fw}.fields", f"{column}.", f.get("fields"), spec, child_tables, required
            )
            level.mapping_required[name] = required
        else:  # list
            if "checks" in f:
                raise _fail(source, f"{fw}.checks", "put checks on 'items' for a list")
            if ("table" in f) == ("items" in f):
                raise _fail(source, fw, "a list takes exactly one of 'items' (scalars) or 'table' (mappings)")
            if "table" in f:
                if f["table"] not in TABLES:
                    raise _fail(source, f"{fw}.table", f"unknown table {f['table']!r} (known: {', '.join(TABLES)})")
                level.children[name] = f["table"]
                child_tables.add(f["table"])
            else:
                items = _field_spec(source, f"{fw}.items", name, f["items"])
                ikind = items["type"]
                if ikind not in SCALAR_TYPES or {"fields", "items", "table", "required"} & set(items):
                    raise _fail(source, f"{fw}.items", "items are scalars: type and checks only")
                ispec = FieldSpec(
                    "value", ikind, False, _checks(source, f"{fw}.items.checks", ikind, items.get("checks"))
                )
                level.items[name] = ispec
                spec.item_tables[f"{spec.name}.{column}"] = ispec
    return level


_CROSS: dict[str, tuple[Rule, tuple[str, ...]]] = {
    "host_matches": (S201, ("domain", "url")),
    "amp_cache_form": (S202, ("amp", "cdn")),
    "same_url": (S203, ("fields",)),
}


def load_table(path: Path) -> tuple[TableSpec, set[str]]:
    source = str(path)
    raw = _strict_load(path)
    if not isinstance(raw, dict):
        raise SchemaLoadError(f"{source}: a schema file is a mapping")
    unknown = set(raw) - _FILE_KEYS
    if unknown:
        raise _fail(source, sorted(unknown)[0], f"unknown key (allowed: {', '.join(sorted(_FILE_KEYS))})")
    if raw.get("clipqa_schema") != SCHEMA_FORMAT:
        raise _fail(source, "clipqa_schema", f"must be {SCHEMA_FORMAT} (the schema format version)")
    table = raw.get("table")
    if table not in TABLES:
        raise _fail(source, "table", f"unknown table {table!r} (known: {', '.join(TABLES)})")
    policy = raw.get("unknown_fields", "error")
    if policy not in _UNKNOWN_POLICIES:
        raise _fail(source, "unknown_fields", f"must be one of {', '.join(_UNKNOWN_POLICIES)}")
    spec = TableSpec(table, source, str(raw.get("description", "")), policy, MappingSpec(), {}, {}, [])
    child_tables: set[str] = set()
    spec.root = _mapping(source, "fields", "", raw.get("fields"), spec, child_tables)
    cross = raw.get("cross_field") or []
    if not isinstance(cross, list):
        raise _fail(source, "cross_field", "must be a list")
    for i, item in enumerate(cross):
        where = f"cross_field[{i}]"
        if not isinstance(item, dict) or "check" not in item:
            raise _fail(source, where, "each entry is a mapping with 'check'")
        name = item["check"]
        if name not in _CROSS:
            raise _fail(source, f"{where}.check", f"unknown cross-field check {name!r} (known: {', '.join(_CROSS)})")
        rule_obj, keys = _CROSS[name]
        args = {k: v for k, v in item.items() if k != "check"}
        if set(args) != set(keys):
            raise _fail(source, where, f"{name} takes exactly: {', '.join(keys)}")
        fields = tuple(args["fields"]) if "fields" in args else tuple(args[k] for k in keys)
        for fname in fields:
            if fname not in spec.columns:
                raise _fail(source, where, f"field {fname!r} is not a declared scalar field of {table}")
        spec.cross_field.append(CrossField(name, args, rule_obj, fields))
    return spec, child_tables


def load_schema(directory: str | Path | None = None) -> Schema:
    """Load every ``*.yaml`` of a schema folder; the clippings table is required."""
    folder = Path(directory) if directory is not None else default_schema_dir()
    if not folder.is_dir():
        raise SchemaLoadError(f"{folder}: schema folder not found")
    tables: dict[str, TableSpec] = {}
    referenced: dict[str, str] = {}
    for path in sorted(folder.glob("*.yaml")):
        spec, children = load_table(path)
        if spec.name in tables:
            raise SchemaLoadError(f"{path}: table {spec.name!r} is already defined by {tables[spec.name].source}")
        tables[spec.name] = spec
        for child in children:
            referenced.setdefault(child, str(path))
    if "clippings" not in tables:
        raise SchemaLoadError(f"{folder}: no schema file declares 'table: clippings'")
    for child, where in referenced.items():
        if child not in tables:
            raise SchemaLoadError(f"{where}: refers to table {child!r}, which no schema file in {folder} declares")
    return Schema(tables, str(folder))


# ---------------------------------------------------------------- pandera


def _check_name(column: str, check: str) -> str:
    return f"{check}@{column}"


def _required_check(series: pd.Series) -> pd.Series:
    if series.dtype == object:  # a YAML .nan is a (wrong) value, not a missing one
        return series.map(lambda v: v is not None and v is not pd.NA).astype(bool)
    return series.notna()


def compile_table(schema: Schema, table: str) -> pa.DataFrameSchema:
    import pandera.pandas as pa

    spec = schema.tables[table]
    columns: dict[str, pa.Column] = {}
    for name, fs in spec.columns.items():
        columns[name] = pa.Column(checks=_column_checks(fs), nullable=True, required=True, name=name)
    checks = [pa.Check(_cross_check(cf), name=f"cross:{i}", ignore_na=False) for i, cf in enumerate(spec.cross_field)]
    return pa.DataFrameSchema(columns=columns, checks=checks, strict=False, coerce=False, name=table)


def compile_items(fs: FieldSpec, name: str) -> pa.DataFrameSchema:
    import pandera.pandas as pa

    return pa.DataFrameSchema(
        columns={"value": pa.Column(checks=_column_checks(fs), nullable=True, required=True)}, name=name
    )


def _column_checks(fs: FieldSpec) -> list[pa.Check]:
    import pandera.pandas as pa

    kind = fs.type
    checks: list[pa.Check] = []
    if fs.required:
        checks.append(pa.Check(_required_check, name=_check_name(fs.name, "required"), ignore_na=False))
    # ignore_na=False: pandera would skip a float NaN as if it were null, but a YAML .nan
    # is a value (and a wrong one); the checks treat None and pd.NA as null themselves.
    checks.append(pa.Check(lambda s, kind=kind: type_mask(s, kind), name=_check_name(fs.name, "type"), ignore_na=False))
    for cname, _raw, arg in fs.checks:
        checks.append(
            pa.Check(vectorized_check(CONSTRAINTS[cname], kind, arg), name=_check_name(fs.name, cname), ignore_na=False)
        )
    return checks


def canonical_host(host: str | None) -> str:
    host = (host or "").lower().rstrip(".")
    return host[4:] if host.startswith("www.") else host


def _host(url: Any) -> str | None:
    if not isinstance(url, str):
        return None
    try:
        return url_host(url.strip())
    except ValueError:
        return None


def _valid_url(value: Any) -> bool:
    return isinstance(value, str) and url_problem(value.strip()) is None


def host_matches(domain: Any, url: Any) -> bool:
    # Missing, mistyped or malformed values are reported by their own checks, once.
    if not isinstance(domain, str) or hostname_problem(domain) is not None or not _valid_url(url):
        return True
    host = _host(url)
    if host is None:
        return True
    d = canonical_host(domain)
    h = canonical_host(host)
    return h == d or h.endswith("." + d)


def amp_cache_url(amp_url: str) -> str | None:
    """The Google AMP cache URL of an AMP page (https://developers.google.com/amp/cache/overview)."""
    try:
        parts, host = split_url(amp_url), url_host(amp_url)
    except ValueError:
        return None
    if not host or parts.scheme not in ("http", "https"):
        return None
    if host.isascii() and "xn--" not in host:
        # Python's idna codec leaves such a (lower-case) host as it is both ways, or fails and
        # is left as it is below: skip it, it is slow (pure Python) and most hosts are like this.
        return _amp_cache_form(parts, host.replace("-", "--").replace(".", "-"))
    with contextlib.suppress(UnicodeError):
        host = host.encode("ascii").decode("idna")
    cache_host = host.replace("-", "--").replace(".", "-")
    with contextlib.suppress(UnicodeError):
        cache_host = cache_host.encode("idna").decode("ascii")
    return _amp_cache_form(parts, cache_host)


def _amp_cache_form(parts: SplitResult, cache_host: str) -> str:
    rest = parts.netloc + parts.path + (f"?{parts.query}" if parts.query else "")
    mode = "c/s/" if parts.scheme == "https" else "c/"
    return f"https://{cache_host}.cdn.ampproject.org/{mode}{rest}"


def amp_form_ok(amp: Any, cdn: Any) -> bool:
    if not _valid_url(amp) or not _valid_url(cdn):
        return True
    expected = amp_cache_url(amp.strip())
    if expected is None:
        return True
    return bool(cdn.strip().split("#")[0] == expected)


def same_page(a: Any, b: Any) -> bool:
    """Whether two valid URLs point at the same page. For http(s) URLs that is the duplicate
    check's notion (``qa.urls.url_key``): scheme, ``www.``, a trailing slash, tracking
    parameters, the parameters' order and AMP variants do not make another page (an
    ``originalUrl`` with ``?utm_source=...`` is the page of its ``webUrl``). Other schemes:
    the same host, path and query."""
    if not _valid_url(a) or not _valid_url(b):
        return True
    a, b = a.strip(), b.strip()
    ka, kb = url_key(a), url_key(b)
    if ka is not None and kb is not None:
        return ka == kb
    try:
        pa_, pb = split_url(a), split_url(b)
        ha, hb = url_host(a), url_host(b)
    except ValueError:
        return True
    return (canonical_host(ha), pa_.path.rstrip("/"), pa_.query) == (canonical_host(hb), pb.path.rstrip("/"), pb.query)


def _cross_check(cf: CrossField) -> Callable[[pd.DataFrame], pd.Series]:
    cols = cf.fields
    fn: Callable[[Any, Any], bool] = {
        "host_matches": host_matches,
        "amp_cache_form": amp_form_ok,
        "same_url": same_page,
    }[cf.check]

    def check(df: pd.DataFrame) -> pd.Series:
        a = df[cols[0]].astype(object).where(df[cols[0]].notna(), None)
        b = df[cols[1]].astype(object).where(df[cols[1]].notna(), None)
        return pd.Series([fn(x, y) for x, y in zip(a, b, strict=True)], index=df.index, dtype=bool)

    return check


def cross_message(cf: CrossField, row: Mapping[str, Any]) -> tuple[str, Any]:
    a, b = (row.get(c) for c in cf.fields[:2])
    if cf.check == "host_matches":
        return f"provider.domain {a!r} does not match the webUrl host {_host(b)!r}", a
    if cf.check == "amp_cache_form":
        expected = amp_cache_url(a) if isinstance(a, str) else None
        return f"cdnAmpWebUrl is not the AMP-cache form of ampWebUrl (expected {expected!r})", (
            redact_url(b) if isinstance(b, str) else b
        )
    a, b = (redact_url(v) if isinstance(v, str) else v for v in (a, b))  # never a URL's password
    return f"{cf.fields[0]} and {cf.fields[1]} point at different pages: {a!r} vs {b!r}", a


# ---------------------------------------------------------------- validation -> findings


def _join(prefix: str, column: str) -> str:
    if not prefix:
        return column
    if column == "value":  # item tables: the prefix is already topics[2]
        return prefix
    return f"{prefix}.{column}"


def validate_table(
    df: pd.DataFrame, dschema: pa.DataFrameSchema, spec_columns: Mapping[str, FieldSpec], cross: list[CrossField]
) -> Iterator[Finding]:
    """Validate one table with pandera (lazily) and turn failure cases into findings."""
    import pandera.pandas as pa

    if df.empty:
        return
    try:
        dschema.validate(df, lazy=True)
        return
    except pa.errors.SchemaErrors as errors:
        cases = errors.failure_cases
    paths = df["_path"]
    prefixes = df["_field"]
    seen_cross: set[tuple[str, Any]] = set()
    for case in cases.itertuples(index=False):
        idx = case.index
        if idx is None or (isinstance(idx, float) and pd.isna(idx)):
            continue  # column-level failures (none expected: all columns exist)
        check = str(case.check)
        path = str(paths.loc[idx])
        prefix = str(prefixes.loc[idx]) if pd.notna(prefixes.loc[idx]) else ""
        if check.startswith("cross:"):
            if (check, idx) in seen_cross:
                continue
            seen_cross.add((check, idx))
            cf = cross[int(check.split(":", 1)[1])]
            row = {c: _scalar(df.at[idx, c]) for c in cf.fields}
            message, evidence = cross_message(cf, row)
            yield cf.rule.finding(path, message, field=_join(prefix, cf.fields[0]), evidence=evidence)
            continue
        cname, _, column = check.partition("@")
        fs = spec_columns[column]
        value = _scalar(case.failure_case)
        field_path = _join(prefix, column)
        if cname == "required":
            yield S101.finding(path, f"required field {field_path!r} is missing", field=field_path)
        elif cname == "type":
            yield S102.finding(
                path,
                f"{field_path}: {explain_type(fs.type, value)}",
                field=field_path,
                evidence=value,
                fix=_type_fix(field_path, fs.type, value),
            )
        else:
            constraint = CONSTRAINTS[cname]
            arg = next(a for n, _r, a in fs.checks if n == cname)
            shown = value if constraint.evidence is None or not isinstance(value, str) else constraint.evidence(value)
            yield constraint.rule.finding(
                path, f"{field_path}: {constraint.explain(value, arg)}", field=field_path, evidence=shown
            )


def zone_fixes(findings: list[Finding], tables: Mapping[str, pd.DataFrame]) -> None:
    """S108's fix (unsafe): the time zone that most of the corpus's zoned date-times of the
    same field have (more than half of them), put at the value's end (``Z`` for UTC). Only
    where the per-file stage found where it goes (``span``; see ``qa.stage.zone_points``)."""
    zones: dict[str, str | None] = {}
    for i, f in enumerate(findings):
        if f.rule != S108.code or f.fix is not None or f.span is None or not f.field:
            continue
        column = str(split_field(f.field)[-1])
        if column not in zones:
            zones[column] = _corpus_zone(tables, column)
        zone = zones[column]
        if zone is not None:
            fix = S108.make_fix(replace_text(f.field, f.span[0], f.span[1], zone), f.field, f.span)
            findings[i] = dataclasses.replace(f, fix=fix, message=f"{f.message}; the corpus's zone is {zone}")


def _corpus_zone(tables: Mapping[str, pd.DataFrame], column: str) -> str | None:
    offsets: Counter[dt.timedelta] = Counter()
    for df in tables.values():
        if column in df.columns:
            for value in df[column].tolist():
                moment = parse_datetime(value) if isinstance(value, (str, dt.datetime)) else None
                offset = moment.utcoffset() if moment is not None else None
                if offset is not None:
                    offsets[offset] += 1
    if not offsets:
        return None
    offset, n = offsets.most_common(1)[0]
    if 2 * n <= sum(offsets.values()):
        return None  # no zone most of them share
    if not offset:
        return "Z"
    minutes = int(offset.total_seconds()) // 60
    sign = "-" if minutes < 0 else "+"
    return f"{sign}{abs(minutes) // 60:02d}:{abs(minutes) % 60:02d}"


def _type_fix(field_path: str, kind: str, value: Any) -> Edit | None:
    """The safe repair of a wrong type: a quoted 'true' or 'false' where a boolean belongs
    (the same value, written as a YAML boolean); nothing else is certain."""
    if kind == "boolean" and isinstance(value, str) and value.strip().lower() in ("true", "false"):
        return replace_value(field_path, value.strip().lower())
    return None


def _scalar(value: Any) -> Any:
    """A plain Python value from what pandas hands back (numpy scalars, NA)."""
    if value is None or value is pd.NA:
        return None
    item = getattr(value, "item", None)
    if callable(item) and type(value).__module__ == "numpy":
        value = item()
    return value


def validate_tables(schema: Schema, tables: Mapping[str, pd.DataFrame]) -> list[Finding]:
    findings: list[Finding] = []
    for name, spec in schema.tables.items():
        df = tables.get(name)
        if df is not None:
            findings.extend(validate_table(df, schema.pandera(name), spec.columns, spec.cross_field))
        for item_table, ispec in spec.item_tables.items():
            idf = tables.get(item_table)
            if idf is not None:
                findings.extend(validate_table(idf, schema.pandera(item_table), {"value": ispec}, []))
    return findings
