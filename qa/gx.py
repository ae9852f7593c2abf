"""Great Expectations: clipqa's schemas as GX Core 1.x expectation suites.

The schemas (``schemas/*.yaml``) become one ExpectationSuite per table
(``clippings``, ``images``, ``related``, and the item table ``clippings.topics``).
Each schema constraint maps to one expectation, tagged in its ``meta`` with
``{"clipqa": {"table", "column", "constraint"}}`` so that results (which GX
returns in no fixed order) are matched back by configuration, never by position.

Two kinds of mapping (see docs/great-expectations.md):

* native: GX evaluates the constraint itself (required -> not_be_null, between
  -> be_between, isin -> be_in_set, pattern -> match_regex, min/max_length ->
  value_lengths_to_be_between, not_blank -> match_regex ``\\S``). These run on a
  *typed view* of the column (``<column>`` values of the declared type, others
  null), because clipqa judges a value's content only when its type is right.
* derived: GX has no faithful equivalent (IDNA host names, ISO 8601 time zones,
  YAML type distinctions such as bool vs int, NaN, cross-field URL relations).
  clipqa computes a boolean column with its own predicate and the suite expects
  it to be true. The export lists each of these with the reason.

``great_expectations`` is imported lazily, only by the functions that need it:
``import qa.gx`` is cheap and a run without ``--gx`` never loads GX.
"""

from __future__ import annotations

import json
import math
import os
import re
import shutil
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any

import pandas as pd

from qa.constraints import CONSTRAINTS, type_mask, vectorized_check
from qa.findings import Finding, rule
from qa.schema import Schema, TableSpec, _cross_check, _join

G001 = rule(
    "G001",
    "gx-disagreement",
    "schema",
    "warning",
    "Great Expectations (clipqa check --gx) flagged different rows than clipqa's own schema check.",
)

ASSETS_DIR = Path(__file__).with_name("gx_assets")
ROW_KEYS = ("_path", "_field")


class GxUnavailable(Exception):
    """great_expectations is not installed."""


def gx_available() -> bool:
    """Whether GX imports (only asked when GX is about to be used: the import takes seconds)."""
    try:
        _import_gx()
    except GxUnavailable:
        return False
    return True


# ---------------------------------------------------------------- the plan (no GX import)


@dataclass(frozen=True, slots=True)
class Planned:
    """One schema constraint and the GX expectation it maps to."""

    table: str
    column: str  # the schema column ("cross:<i>" for a cross-field check)
    constraint: str  # required, type, between, ..., or the cross-field check name
    expectation: str  # GX expectation class name
    kwargs: Mapping[str, Any]
    kind: str  # "native" or "derived"
    note: str = ""  # why a derived mapping has no native GX equivalent
    pandera_check: str = ""  # the pandera check name it mirrors (for the differential)

    @property
    def key(self) -> tuple[str, str, str]:
        return (self.table, self.column, self.constraint)


@dataclass(frozen=True, slots=True)
class Unmapped:
    table: str
    constraint: str
    reason: str


@dataclass(slots=True)
class TablePlan:
    table: str
    expectations: list[Planned] = field(default_factory=list)
    # derived column name -> function(df) -> boolean Series (True = passes)
    derived: dict[str, Callable[[pd.DataFrame], pd.Series]] = field(default_factory=dict)
    # typed view column name -> (source column, declared type)
    typed: dict[str, tuple[str, str]] = field(default_factory=dict)


@dataclass(slots=True)
class Plan:
    tables: dict[str, TablePlan]
    unmapped: list[Unmapped]


_DERIVED_WHY = {
    "type": (
        "GX's in_type_list judges pandas dtypes / Python type names: it cannot tell YAML's true from 1, "
        "nor accept an ISO 8601 string as a datetime; clipqa's type predicate is computed as a column"
    ),
    "url": (
        "no GX expectation parses URLs (scheme, port, IDNA host validity); a regex would accept "
        "invalid hosts; clipqa's url predicate is computed as a column"
    ),
    "hostname": "no GX expectation validates IDNA/UTS 46 host names; clipqa's predicate is computed as a column",
    **dict.fromkeys(
        ("url_escaped", "url_no_credentials", "url_public_host"),
        "no GX expectation splits a URL into its parts (RFC 3986 characters, user-info, a host that is an "
        "address in any spelling); clipqa's predicate is computed as a column",
    ),
    "timezone": (
        "no GX expectation parses ISO 8601 date-times and checks for an offset "
        "(match_strftime_format cannot express optional fractions and offsets); computed as a column"
    ),
    "finite": "GX treats NaN as null and skips it, so no native expectation flags .nan; computed as a column",
    "cross": (
        "UnexpectedRowsExpectation needs a SQL data source (clipqa validates pandas frames) and no column-pair "
        "expectation compares URL hosts or AMP-cache forms; clipqa's predicate is computed as a column"
    ),
}


def _typed_name(column: str) -> str:
    return f"{column} (typed)"


def _derived_name(column: str, constraint: str) -> str:
    return f"clipqa:{constraint}:{column}"


def _anchored(pattern: str) -> str:
    # clipqa's pattern is a full match (regex module); GX uses pandas str.contains (re.search).
    return rf"\A(?:{pattern})\Z"


def _native(
    tp: TablePlan, table: str, column: str, kind: str, cname: str, arg: Any, raw: Any
) -> tuple[str, dict[str, Any]] | None:
    typed = _typed_name(column)
    tp.typed[typed] = (column, kind)
    if cname == "between":
        lo, hi = arg
        return "ExpectColumnValuesToBeBetween", {"column": typed, "min_value": lo, "max_value": hi}
    if cname == "isin":
        return "ExpectColumnValuesToBeInSet", {"column": typed, "value_set": sorted(raw, key=str)}
    if cname == "pattern":
        return "ExpectColumnValuesToMatchRegex", {"column": typed, "regex": _anchored(str(raw))}
    if cname == "min_length":
        return "ExpectColumnValueLengthsToBeBetween", {"column": typed, "min_value": arg}
    if cname == "max_length":
        return "ExpectColumnValueLengthsToBeBetween", {"column": typed, "max_value": arg}
    if cname == "not_blank":
        return "ExpectColumnValuesToMatchRegex", {"column": typed, "regex": r"\S"}
    return None


def _columns_of(spec: TableSpec) -> dict[str, Any]:
    return dict(spec.columns)


def _type_column(df: pd.DataFrame, *, column: str, kind: str) -> pd.Series:
    return type_mask(df[column], kind)


def _value_column(df: pd.DataFrame, *, column: str, kind: str, check: str, arg: Any) -> pd.Series:
    return vectorized_check(CONSTRAINTS[check], kind, arg)(df[column])


def plan(schema: Schema) -> Plan:
    """Map every constraint of every table to an expectation (or list it as unmapped)."""
    tables: dict[str, TablePlan] = {}
    unmapped: list[Unmapped] = []
    units: list[tuple[str, dict[str, Any], list[Any]]] = []
    for name, spec in schema.tables.items():
        units.append((name, _columns_of(spec), list(spec.cross_field)))
        for item_table, ispec in spec.item_tables.items():
            units.append((item_table, {"value": ispec}, []))
        if spec.unknown_fields != "allow":
            unmapped.append(
                Unmapped(
                    name,
                    f"unknown_fields: {spec.unknown_fields}",
                    "undeclared keys never become columns of the flattened table (clipqa reports them, S109, "
                    "while reading), so expect_table_columns_to_match_set would have nothing to see",
                )
            )
    for table, columns, cross in units:
        tp = TablePlan(table)
        tables[table] = tp
        for column, fs in columns.items():
            if fs.required:
                tp.expectations.append(
                    Planned(
                        table,
                        column,
                        "required",
                        "ExpectColumnValuesToNotBeNull",
                        {"column": column},
                        "native",
                        pandera_check=f"required@{column}",
                    )
                )
            dname = _derived_name(column, "type")
            tp.derived[dname] = partial(_type_column, column=column, kind=fs.type)
            tp.expectations.append(
                Planned(
                    table,
                    column,
                    "type",
                    "ExpectColumnValuesToBeInSet",
                    {"column": dname, "value_set": [True]},
                    "derived",
                    f"type {fs.type}: {_DERIVED_WHY['type']}",
                    pandera_check=f"type@{column}",
                )
            )
            for cname, raw, arg in fs.checks:
                native = _native(tp, table, column, fs.type, cname, arg, raw)
                if native is not None:
                    expectation, kwargs = native
                    tp.expectations.append(
                        Planned(table, column, cname, expectation, kwargs, "native", pandera_check=f"{cname}@{column}")
                    )
                    continue
                dname = _derived_name(column, cname)
                tp.derived[dname] = partial(_value_column, column=column, kind=fs.type, check=cname, arg=arg)
                tp.expectations.append(
                    Planned(
                        table,
                        column,
                        cname,
                        "ExpectColumnValuesToBeInSet",
                        {"column": dname, "value_set": [True]},
                        "derived",
                        _DERIVED_WHY.get(cname, "no GX equivalent; computed as a column"),
                        pandera_check=f"{cname}@{column}",
                    )
                )
        for i, cf in enumerate(cross):
            dname = _derived_name("+".join(cf.fields), cf.check)
            tp.derived[dname] = _cross_check(cf)
            tp.expectations.append(
                Planned(
                    table,
                    f"cross:{i}",
                    cf.check,
                    "ExpectColumnValuesToBeInSet",
                    {"column": dname, "value_set": [True]},
                    "derived",
                    f"{cf.check}({', '.join(cf.fields)}): {_DERIVED_WHY['cross']}",
                    pandera_check=f"cross:{i}",
                )
            )
    return Plan(tables, unmapped)


def prepare(df: pd.DataFrame, tp: TablePlan) -> pd.DataFrame:
    """The frame GX validates: the table, its typed views and derived columns."""
    extra: dict[str, pd.Series] = {}
    for name, (column, kind) in tp.typed.items():
        series = df[column]
        ok = type_mask(series, kind)
        view = series.astype(object).where(ok & series.notna(), None)
        if kind == "number":  # NaN is a number but no value for between/isin (clipqa: reported by 'finite')
            view = view.map(lambda v: None if isinstance(v, float) and math.isnan(v) else v)
        extra[name] = view
    for name, fn in tp.derived.items():
        extra[name] = fn(df).astype(bool).astype(object)
    out = df.reset_index(drop=True)
    return pd.concat([out, pd.DataFrame(extra).reset_index(drop=True)], axis=1)


# ---------------------------------------------------------------- GX objects


def _import_gx() -> Any:
    os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")
    try:
        import great_expectations as gx
    except ImportError as exc:
        raise GxUnavailable("Great Expectations is not installed; install the extra: pip install 'clipqa[gx]'") from exc
    return gx


def _quiet(context: Any) -> None:
    """No analytics (GX_ANALYTICS_ENABLED is also set before import) and no tqdm progress bars."""
    from great_expectations.data_context.types.base import ProgressBarsConfig

    context.variables.progress_bars = ProgressBarsConfig(globally=False)
    context.variables.analytics_enabled = False


def _meta(p: Planned) -> dict[str, Any]:
    meta: dict[str, Any] = {
        "clipqa": {"table": p.table, "column": p.column, "constraint": p.constraint, "kind": p.kind}
    }
    if p.note:
        meta["clipqa"]["note"] = p.note
    return meta


def suites(pl: Plan) -> dict[str, Any]:
    """One gx.ExpectationSuite per table."""
    gx = _import_gx()
    out: dict[str, Any] = {}
    for table, tp in pl.tables.items():
        expectations = [
            getattr(gx.expectations, p.expectation)(**dict(p.kwargs), meta=_meta(p)) for p in tp.expectations
        ]
        out[table] = gx.ExpectationSuite(
            name=f"clipqa.{table}", expectations=expectations, meta={"clipqa": {"table": table}}
        )
    return out


@dataclass(slots=True)
class ExportResult:
    files: list[Path]
    derived: list[Planned]
    unmapped: list[Unmapped]
    expectations: int


def export(schema: Schema, out: str | os.PathLike[str]) -> ExportResult:
    """Write one suite JSON per table plus ``clipqa-gx-mapping.json`` (derived and unmapped constraints)."""
    pl = plan(schema)
    folder = Path(out)
    folder.mkdir(parents=True, exist_ok=True)
    files: list[Path] = []
    count = 0
    for table, suite in suites(pl).items():
        path = folder / f"clipqa.{table}.json"
        doc = suite.to_json_dict()
        doc.pop("id", None)
        for e in doc.get("expectations", []):
            e.pop("id", None)
        path.write_text(json.dumps(doc, indent=2, default=str) + "\n", encoding="utf-8")
        files.append(path)
        count += len(doc.get("expectations", []))
    derived = [p for tp in pl.tables.values() for p in tp.expectations if p.kind == "derived"]
    mapping = {
        "schema": schema.source,
        "suites": [f.name for f in files],
        "derived_columns": [
            {
                "table": p.table,
                "column": p.column,
                "constraint": p.constraint,
                "gx_column": p.kwargs["column"],
                "reason": p.note,
            }
            for p in derived
        ],
        "unmapped": [{"table": u.table, "constraint": u.constraint, "reason": u.reason} for u in pl.unmapped],
    }
    mpath = folder / "clipqa-gx-mapping.json"
    mpath.write_text(json.dumps(mapping, indent=2) + "\n", encoding="utf-8")
    files.append(mpath)
    return ExportResult(files, derived, pl.unmapped, count)


# ---------------------------------------------------------------- validation


@dataclass(slots=True)
class GxOutcome:
    evaluated: int = 0
    successful: int = 0
    failed: int = 0
    errored: int = 0
    # (table, column, constraint) -> set of (_path, _field) rows GX flagged
    flagged: dict[tuple[str, str, str], set[tuple[str, str]]] = field(default_factory=dict)
    pandera_check: dict[tuple[str, str, str], str] = field(default_factory=dict)
    docs_index: Path | None = None
    remote_assets: list[str] = field(default_factory=list)  # CDN links offline() could not replace

    def as_dict(self) -> dict[str, Any]:
        return {
            "evaluated": self.evaluated,
            "successful": self.successful,
            "failed": self.failed,
            "errored": self.errored,
            "docs": str(self.docs_index) if self.docs_index else None,
            "remote_assets": self.remote_assets,
        }


def _row_key(frame: pd.DataFrame, label: Any) -> tuple[str, str]:
    row = frame.loc[label]
    field_ = row.get("_field")
    return (str(row["_path"]), "" if field_ is None or pd.isna(field_) else str(field_))


def validate(
    schema: Schema, tables: Mapping[str, pd.DataFrame], docs_dir: str | os.PathLike[str] | None = None
) -> GxOutcome:
    """Run the suites through GX (ephemeral context); optionally build offline Data Docs into docs_dir."""
    gx = _import_gx()
    pl = plan(schema)
    built = suites(pl)
    context = gx.get_context(mode="ephemeral")
    _quiet(context)
    site = None
    if docs_dir is not None:
        site_dir = Path(docs_dir).resolve()
        if site_dir.exists():
            shutil.rmtree(site_dir)
        site = "clipqa"
        context.add_data_docs_site(
            site_name=site,
            site_config={
                "class_name": "SiteBuilder",
                "store_backend": {"class_name": "TupleFilesystemStoreBackend", "base_directory": str(site_dir)},
                "site_index_builder": {"class_name": "DefaultSiteIndexBuilder"},
            },
        )
    source = context.data_sources.add_pandas("clipqa")
    outcome = GxOutcome()
    for table, tp in pl.tables.items():
        df = tables.get(table)
        if df is None or df.empty:
            continue
        frame = prepare(df, tp)
        asset = source.add_dataframe_asset(name=table)
        batch_def = asset.add_batch_definition_whole_dataframe(f"{table}-all")
        suite = context.suites.add(built[table])
        vd = context.validation_definitions.add(
            gx.ValidationDefinition(name=f"clipqa.{table}", data=batch_def, suite=suite)
        )
        result = vd.run(batch_parameters={"dataframe": frame}, result_format={"result_format": "COMPLETE"})
        for r in result.results:
            outcome.evaluated += 1
            meta = (r.expectation_config.meta or {}).get("clipqa", {})
            key = (str(meta.get("table")), str(meta.get("column")), str(meta.get("constraint")))
            planned = next(p for p in tp.expectations if p.key == key)
            outcome.pandera_check[key] = planned.pandera_check
            if r.exception_info and r.exception_info.get("raised_exception"):
                outcome.errored += 1
                continue
            if r.success:
                outcome.successful += 1
            else:
                outcome.failed += 1
            labels = (r.result or {}).get("unexpected_index_list") or []
            outcome.flagged[key] = {_row_key(frame, label) for label in labels}
    if site is not None:
        context.build_data_docs(site_names=[site])
        outcome.remote_assets = offline(Path(docs_dir))  # type: ignore[arg-type]
        outcome.docs_index = Path(docs_dir) / "index.html"  # type: ignore[arg-type]
    return outcome


def pandera_rows(schema: Schema, tables: Mapping[str, pd.DataFrame]) -> dict[tuple[str, str], set[tuple[str, str]]]:
    """(table, pandera check name) -> rows clipqa's own schema check flags (the source of S1xx/S2xx findings)."""
    import pandera.pandas as pa

    names = list(schema.tables)
    for spec in schema.tables.values():
        names.extend(spec.item_tables)
    out: dict[tuple[str, str], set[tuple[str, str]]] = {}
    for table in names:
        df = tables.get(table)
        if df is None or df.empty:
            continue
        try:
            schema.pandera(table).validate(df, lazy=True)
            continue
        except pa.errors.SchemaErrors as errors:
            cases = errors.failure_cases
        for case in cases.itertuples(index=False):
            idx = case.index
            if idx is None or (isinstance(idx, float) and pd.isna(idx)):
                continue
            out.setdefault((table, str(case.check)), set()).add(_row_key(df, idx))
    return out


def disagreements(
    outcome: GxOutcome, pandera: Mapping[tuple[str, str], set[tuple[str, str]]]
) -> list[tuple[tuple[str, str, str], set[tuple[str, str]], set[tuple[str, str]]]]:
    """Per constraint: rows only GX flagged, rows only pandera flagged (empty lists when they agree)."""
    out = []
    for key, check in outcome.pandera_check.items():
        gx_rows = outcome.flagged.get(key, set())
        pa_rows = pandera.get((key[0], check), set())
        if gx_rows != pa_rows:
            out.append((key, gx_rows - pa_rows, pa_rows - gx_rows))
    return out


def disagreement_findings(outcome: GxOutcome, pandera: Mapping[tuple[str, str], set[tuple[str, str]]]) -> list[Finding]:
    findings = []
    for (table, column, constraint), only_gx, only_pa in disagreements(outcome, pandera):
        for rows, who in ((only_gx, "only Great Expectations"), (only_pa, "only clipqa's schema check")):
            for path, fld in sorted(rows):
                where = (fld or None) if column.startswith("cross:") else _join(fld, column)
                findings.append(
                    G001.finding(path, f"{table}.{column} {constraint}: {who} flagged this row", field=where)
                )
    return findings


# ---------------------------------------------------------------- offline Data Docs

# CDN URL (as GX 1.x's page templates write it) -> file under gx_assets/ (vendored from npm, see NOTICE).
CDN_ASSETS: dict[str, str] = {
    "https://cdn.jsdelivr.net/npm/@forevolve/bootstrap-dark@1.1.0/dist/css/bootstrap-prefers-dark.css": (
        "bootstrap-dark/bootstrap-prefers-dark.css"
    ),
    "https://cdn.jsdelivr.net/npm/vega-embed@6": "vega/vega-embed.min.js",
    "https://cdn.jsdelivr.net/npm/vega-lite@5": "vega/vega-lite.min.js",
    "https://cdn.jsdelivr.net/npm/vega@5": "vega/vega.min.js",
    "https://cdnjs.cloudflare.com/ajax/libs/bootstrap-datepicker/1.9.0/css/bootstrap-datepicker.min.css": (
        "bootstrap-datepicker/bootstrap-datepicker.min.css"
    ),
    "https://cdnjs.cloudflare.com/ajax/libs/bootstrap-datepicker/1.9.0/js/bootstrap-datepicker.min.js": (
        "bootstrap-datepicker/bootstrap-datepicker.min.js"
    ),
    "https://cdnjs.cloudflare.com/ajax/libs/font-awesome/6.6.0/css/all.min.css": "fontawesome/css/all.min.css",
    "https://cdnjs.cloudflare.com/ajax/libs/popper.js/1.12.9/umd/popper.min.js": "popper/popper.min.js",
    "https://code.jquery.com/jquery-3.7.1.min.js": "jquery/jquery.min.js",
    "https://maxcdn.bootstrapcdn.com/bootstrap/4.3.1/css/bootstrap.min.css": "bootstrap/bootstrap.min.css",
    "https://stackpath.bootstrapcdn.com/bootstrap/4.3.1/js/bootstrap.min.js": "bootstrap/bootstrap.min.js",
    "https://unpkg.com/bootstrap-table@1.19.0/dist/extensions/filter-control/bootstrap-table-filter-control.css": (
        "bootstrap-table/bootstrap-table-filter-control.min.css"
    ),
    "https://unpkg.com/bootstrap-table@1.19.0/dist/extensions/filter-control/bootstrap-table-filter-control.min.css": (
        "bootstrap-table/bootstrap-table-filter-control.min.css"
    ),
    "https://unpkg.com/bootstrap-table@1.19.1/dist/bootstrap-table.min.css": "bootstrap-table/bootstrap-table.min.css",
    "https://unpkg.com/bootstrap-table@1.19.1/dist/bootstrap-table.min.js": "bootstrap-table/bootstrap-table.min.js",
    "https://unpkg.com/bootstrap-table@1.19.1/dist/extensions/filter-control/bootstrap-table-filter-control.min.js": (
        "bootstrap-table/bootstrap-table-filter-control.min.js"
    ),
}
_GX_LOGO = re.compile(
    r"https://great-expectations-web-assets\.s3\.[a-z0-9-]+\.amazonaws\.com/[\w.-]+\.(?:png|svg)(?:\?[^\"')]*)?"
)
_REMOTE = re.compile(r"""(?:src|href)\s*=\s*["'](https?://[^"']+)["']""")
_INTEGRITY = re.compile(r"""\s(?:integrity|crossorigin)\s*=\s*["'][^"']*["']""")


def offline(site: Path) -> list[str]:
    """Copy the vendored assets into ``site/static/vendor`` and point every page at them.

    Returns remote script/style URLs left in the pages (links to other web pages are kept).
    """
    vendor = site / "static" / "vendor"
    if vendor.exists():
        shutil.rmtree(vendor)
    shutil.copytree(ASSETS_DIR, vendor, ignore=shutil.ignore_patterns("NOTICE*", "*.py"))
    left: set[str] = set()
    logo = site / "static" / "images" / "logo-long.png"
    for page in [*site.rglob("*.html"), *site.rglob("*.css")]:
        if vendor in page.parents:
            continue
        text = page.read_text(encoding="utf-8")
        rel = os.path.relpath(vendor, page.parent).replace(os.sep, "/")
        new = _GX_LOGO.sub(os.path.relpath(logo, page.parent).replace(os.sep, "/"), text)
        for url, local in CDN_ASSETS.items():
            new = new.replace(f'"{url}"', f'"{rel}/{local}"').replace(f"'{url}'", f"'{rel}/{local}'")
        new = _INTEGRITY.sub("", new)
        for m in _REMOTE.finditer(new):
            url = m.group(1)
            if url.endswith((".js", ".css")) or "cdn" in url or "unpkg" in url:
                left.add(url)
        if new != text:
            page.write_text(new, encoding="utf-8")
    return sorted(left)


def summarize(outcome: GxOutcome) -> str:
    return (
        f"Great Expectations: {outcome.evaluated} expectations, {outcome.successful} passed, "
        f"{outcome.failed} failed"
        + (f", {outcome.errored} errored" if outcome.errored else "")
        + (
            f" (Data Docs still link {len(outcome.remote_assets)} remote asset(s): a GX upgrade? see qa.gx.CDN_ASSETS)"
            if outcome.remote_assets
            else ""
        )
    )


def iter_planned(pl: Plan) -> Iterable[Planned]:
    for tp in pl.tables.values():
        yield from tp.expectations


# ---------------------------------------------------------------- clipqa check --gx


@dataclass(slots=True)
class CheckGx:
    outcome: GxOutcome
    findings: list[Finding]
    docs_index: Path | None


def run_for_check(result: Any, docs_dir: str | os.PathLike[str] | None) -> CheckGx:
    """``clipqa check --gx``: validate the run's tables with GX, build Data Docs, add G001 findings.

    Findings stay pandera's (S1xx/S2xx): GX re-checks the same constraints, so its failures
    are not reported a second time. Where GX and clipqa disagree on a row, a G001 finding says so.
    """
    from qa.schema import load_schema

    schema = load_schema(result.config.schema_dir)
    outcome = validate(schema, result.tables, docs_dir)
    extra = result.config.apply(disagreement_findings(outcome, pandera_rows(schema, result.tables)))
    if extra:
        result.findings.extend(extra)
        result.findings.sort(key=Finding.sort_key)
    if outcome.docs_index is not None:
        summary = Path(docs_dir) / "clipqa-gx-summary.json"  # type: ignore[arg-type]
        doc = outcome.as_dict() | {
            "disagreements": len(extra),
            "failed_expectations": [
                {"table": t, "column": c, "constraint": k, "rows": len(rows)}
                for (t, c, k), rows in sorted(outcome.flagged.items())
                if rows
            ],
        }
        summary.write_text(json.dumps(doc, indent=1) + "\n", encoding="utf-8")
    return CheckGx(outcome, extra, outcome.docs_index)


def export_report(res: ExportResult) -> str:
    lines = [f"Wrote {len(res.files)} files ({res.expectations} expectations):"]
    lines += [f"  {f}" for f in res.files]
    lines.append(
        f"{len(res.derived)} constraints have no native GX expectation: the suite expects a column clipqa computes "
        "with its own predicate (listed in clipqa-gx-mapping.json):"
    )
    lines += [f"  {p.table}.{p.column} {p.constraint} -> {p.kwargs['column']}: {p.note}" for p in res.derived]
    lines.append(f"{len(res.unmapped)} constraints have no GX equivalent:")
    lines += [f"  {u.table} {u.constraint}: {u.reason}" for u in res.unmapped]
    return "\n".join(lines)
