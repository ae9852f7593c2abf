"""The ``clipqa`` command.

Exit codes: 0 the gate passed, 1 the gate failed, 2 clipqa could not run (bad
usage, a missing path, a bad configuration or schema file). Never a traceback:
set ``CLIPQA_DEBUG=1`` to see one for an internal error.
"""

from __future__ import annotations

import contextlib
import json
import os
import sys
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence
from functools import wraps
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import click

from qa import __version__
from qa.config import Config, ConfigError, load_config, parse_online_allow
from qa.rules import all_rules
from qa.schema import SchemaLoadError

if TYPE_CHECKING:
    from qa.pipeline import RunResult

EXIT_PASSED, EXIT_FAILED, EXIT_ERROR = 0, 1, 2
F = TypeVar("F", bound=Callable[..., Any])


class UsageFailure(Exception):
    """Could not run: exit 2 with this message."""


def guarded(fn: F) -> F:
    """Turn expected errors into exit 2 with a one-line message; hide tracebacks."""

    @wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except (ConfigError, SchemaLoadError, UsageFailure) as exc:
            click.echo(f"clipqa: error: {exc}", err=True)
            sys.exit(EXIT_ERROR)
        except KeyboardInterrupt:
            click.echo("clipqa: interrupted", err=True)
            sys.exit(130)
        except click.exceptions.Exit:
            raise
        except (click.ClickException, click.Abort):
            raise
        except SystemExit:
            raise
        except BaseException as exc:
            if os.environ.get("CLIPQA_DEBUG"):
                raise
            click.echo(
                f"clipqa: internal error: {type(exc).__name__}: {exc}\n"
                "clipqa: this is a bug; run again with CLIPQA_DEBUG=1 to see the traceback, and please report it",
                err=True,
            )
            sys.exit(EXIT_ERROR)

    return wrapper  # type: ignore[return-value]


def _csv(value: str | None) -> list[str] | None:
    if value is None:
        return None
    return [v.strip() for v in value.split(",") if v.strip()]


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(__version__, "-V", "--version", prog_name="clipqa")
def main() -> None:
    """clipqa: validate and QA a corpus of news clippings."""


def entry() -> None:
    """The ``clipqa`` program: :func:`main`, then a hard exit.

    A large run leaves millions of objects (tables, findings, the result cache) that
    the interpreter would free one by one on the way out, for nothing: a noticeable
    share of a short, cached run. So, as mypy does, flush the standard streams and end
    the process with ``os._exit``. Only the program does this; ``main`` called in-process
    (tests, ``CliRunner``) exits as usual.
    """
    try:
        main()
        code = 0
    except SystemExit as exc:
        if exc.code is None or isinstance(exc.code, int):
            code = exc.code or 0
        else:  # SystemExit("message"): Python prints it and exits 1
            print(exc.code, file=sys.stderr)
            code = 1
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(OSError, ValueError):  # a closed pipe: nothing more can be said
            stream.flush()
    os._exit(code)


def config_options(fn: F) -> F:
    for option in reversed(
        [
            click.option(
                "--config",
                "config_file",
                type=click.Path(dir_okay=False),
                help="Configuration file (default: found by walking up from the first path).",
            ),
            click.option("--isolated", is_flag=True, help="Ignore configuration files."),
            click.option("--select", help="Rules to enable: codes, code prefixes or check names, comma-separated."),
            click.option("--ignore", help="Rules to disable: codes, code prefixes or check names, comma-separated."),
            click.option(
                "--fail-on",
                type=click.Choice(["error", "warning", "info", "never"]),
                help="Lowest severity that fails the gate [default: error].",
            ),
            click.option(
                "--schema-dir",
                type=click.Path(file_okay=False),
                help="Folder of schema files [default: the bundled schemas/].",
            ),
            click.option(
                "--max-file-size", type=int, help="Files larger than this many bytes are not parsed [default: 1 MiB]."
            ),
            click.option("-j", "--jobs", type=int, help="Worker processes (0: one per CPU) [default: 0]."),
            click.option(
                "--max-field-length",
                type=int,
                help="Front-matter values longer than this many characters are cut and reported [default: 100000].",
            ),
            click.option(
                "--time-budget",
                type=float,
                help="Seconds a file's checks may take before it is reported and skipped (0: no limit) [default: 10].",
            ),
        ]
    ):
        fn = option(fn)
    return fn


def build_config(paths: Sequence[str], opts: dict[str, Any], index_file: str | None = None) -> Config:
    if opts.get("schema_dir") and not Path(opts["schema_dir"]).is_dir():
        raise UsageFailure(f"--schema-dir {opts['schema_dir']}: no such folder")
    overrides = {
        "select": _csv(opts.get("select")),
        "ignore": _csv(opts.get("ignore")),
        "fail-on": opts.get("fail_on"),
        "schema-dir": str(Path(opts["schema_dir"]).resolve()) if opts.get("schema_dir") else None,
        "max-file-size": opts.get("max_file_size"),
        "jobs": opts.get("jobs"),
        "max-field-length": opts.get("max_field_length"),
        "time-budget": opts.get("time_budget"),
    }
    start = None if opts.get("isolated") else (paths[0] if paths else ".")
    cfg = load_config(start, overrides, None if opts.get("isolated") else opts.get("config_file"))
    if index_file or cfg.index:  # placed by the user: maybe inside a folder checked (the default never is)
        from qa.index import index_path, own_file_patterns

        for root in paths:
            if "://" not in root and Path(root).is_dir():
                cfg.own_excludes += own_file_patterns(root, index_path(root, cfg, index_file))
    return cfg


INDEX_DEFAULT = "[default: the configuration's index, else .<corpus name>.clipqa-index.sqlite beside it]"


def index_option(help_text: str) -> Callable[[F], F]:
    """``--index FILE``: the corpus index (``check``, ``import``, the ``index`` commands);
    declared once, each command saying what it is for."""
    return click.option("--index", "index_file", type=click.Path(dir_okay=False), help=help_text)


def no_index_option(help_text: str) -> Callable[[F], F]:
    """``--no-index``: do without the corpus index (``check``, ``import``)."""
    return click.option("--no-index", is_flag=True, help=help_text)


def refuse_index_and_no_index(index_file: str | None, no_index: bool) -> None:
    """``--no-index --index FILE`` says two contradicting things: a usage error, not one of them
    ignored in silence."""
    if no_index and index_file:
        raise UsageFailure(f"--no-index and --index {index_file} exclude each other: give one or the other")


GATE_OPTIONS = ("baseline", "formats", "junit", "sarif", "markdown", "changed_since", "no_cache")


def gate_options(fn: F) -> F:
    for option in reversed(
        [
            click.option(
                "--baseline",
                type=click.Path(dir_okay=False),
                help="Gate only on findings not in this baseline (made by `clipqa baseline`); list fixed ones.",
            ),
            click.option(
                "--format",
                "formats",
                multiple=True,
                type=click.Choice(["github", "junit", "sarif", "markdown"]),
                help="Print this CI format to stdout (repeatable); the usual listing goes to stderr.",
            ),
            click.option("--junit", type=click.Path(dir_okay=False), help="Write JUnit XML here."),
            click.option("--sarif", type=click.Path(dir_okay=False), help="Write SARIF 2.1.0 here."),
            click.option(
                "--markdown",
                type=click.Path(dir_okay=False),
                help="Write a Markdown summary here (GITHUB_STEP_SUMMARY).",
            ),
            click.option(
                "--changed-since",
                metavar="REF",
                help="Report per-file findings only for files changed since this git ref (corpus checks see all).",
            ),
            click.option("--no-cache", is_flag=True, help="Read and write no cache (file results, image URLs)."),
        ]
    ):
        fn = option(fn)
    return fn


@main.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path())
@config_options
@click.option(
    "--json",
    "json_out",
    type=click.Path(dir_okay=False),
    help="Write the JSON findings document here [default: reports/clipqa-findings.json].",
)
@click.option(
    "--html",
    "html_out",
    type=click.Path(dir_okay=False),
    help="Write the HTML report here [default: reports/clipqa-report.html].",
)
@click.option("--no-reports", is_flag=True, help="Write no report files (terminal output only).")
@click.option("-q", "--quiet", is_flag=True, help="Print only the summary line.")
@click.option("--color", type=click.Choice(["auto", "always", "never"]), default="auto", show_default=True)
@click.option("--no-progress", is_flag=True, help="No progress bar.")
@gate_options
@click.option(
    "--engine",
    type=click.Choice(["local", "dask"]),
    default="local",
    show_default=True,
    help="Where the per-file stage runs: local processes, or Dask (pip install 'clipqa[dask]').",
)
@click.option(
    "--scheduler",
    metavar="ADDRESS",
    help="With --engine dask: a Dask scheduler address (tcp://host:8786) [default: a local cluster].",
)
@click.option(
    "--online/--offline",
    "online",
    default=None,
    help="Fetch image URLs to check them (image_url) [default: the config's online, else offline].",
)
@click.option(
    "--online-allow",
    "online_allow",
    multiple=True,
    metavar="HOST[:PORT]",
    help="Let the online check reach this host (and port) although it is not on the public internet "
    "(repeatable; replaces the config's online-allow) [default: public addresses, ports 80 and 443 only].",
)
@click.option("--cache-dir", type=click.Path(file_okay=False), help="Cache folder [default: .clipqa-cache].")
@click.option("--cache-ttl", help="How long a fetched image URL stays trusted: seconds, or 30m, 12h, 7d [default: 7d].")
@click.option("--gx", "use_gx", is_flag=True, help="Also validate with Great Expectations; Data Docs in reports/gx/.")
@index_option("With --changed-since: the corpus index of the folder checked [default: beside it, when there is one].")
@no_index_option("With --changed-since: do not use the corpus index (a full run).")
@guarded
def check(
    paths: tuple[str, ...],
    json_out: str | None,
    html_out: str | None,
    no_reports: bool,
    quiet: bool,
    color: str,
    no_progress: bool,
    online: bool | None,
    cache_dir: str | None,
    no_cache: bool,
    cache_ttl: str | None,
    online_allow: tuple[str, ...] = (),
    use_gx: bool = False,
    engine: str = "local",
    scheduler: str | None = None,
    index_file: str | None = None,
    no_index: bool = False,
    **opts: Any,
) -> None:
    """Check clipping files and folders; write reports; exit 1 if the gate fails."""
    from qa.corpus import discover
    from qa.pipeline import run
    from qa.report import terminal

    refuse_index_and_no_index(index_file, no_index)
    gate_opts = {k: opts.pop(k) for k in GATE_OPTIONS if k in opts}
    gate_opts["no_cache"] = no_cache  # one flag for every cache: file results and image URLs
    if scheduler and engine != "dask":
        raise UsageFailure("--scheduler needs --engine dask")
    remote = [p for p in paths if "://" in p]
    if remote and engine != "dask":
        raise UsageFailure(f"{remote[0]}: URLs are read only by --engine dask")
    if remote and len(remote) != len(paths):
        raise UsageFailure("give either URLs or local paths, not both")
    cfg = build_config(["."] if remote else paths, opts, index_file)
    _online_options(cfg, online, cache_dir, no_cache, cache_ttl)
    if online_allow:
        try:
            cfg.online_allow = parse_online_allow(list(online_allow))
        except ValueError as exc:
            raise UsageFailure(f"--online-allow {exc}") from exc
        cfg.origin["online-allow"] = "--online-allow"
    if use_gx:
        from qa.gx import gx_available

        if not gx_available():
            raise UsageFailure("--gx needs Great Expectations: pip install 'clipqa[gx]'")
    if engine == "dask":
        try:
            import distributed  # noqa: F401

            from qa.engine import dask_engine
        except ImportError as exc:  # pragma: no cover - depends on the installed extras
            raise UsageFailure(f"--engine dask needs Dask: pip install 'clipqa[dask]' ({exc})") from exc
        if remote:
            found = dask_engine.discover_urls(paths, cfg.include, cfg.all_excludes())
        else:
            found = discover(paths, cfg.include, cfg.all_excludes())
    result_cache = None if gate_opts["no_cache"] or remote else str(Path(cfg.cache_dir))
    indexed = _changed_since_index(paths, cfg, gate_opts["changed_since"], engine, index_file, no_index)
    progress = None
    try:
        if engine != "dask":
            found = discover(paths, cfg.include, cfg.all_excludes())
        if found.missing:
            raise UsageFailure(f"no such file or folder: {', '.join(found.missing)}")
        only = _changed_since(gate_opts["changed_since"], found.sources, paths)
        progress = _progress_bar(len(found.sources)) if not no_progress and not quiet and sys.stderr.isatty() else None
        if indexed is not None and only is not None:
            result = _check_with_index(paths[0], found, only, cfg, indexed)
        else:
            result = run(
                list(paths),
                cfg,
                progress=progress.update if progress else None,
                discovery=found,
                cache_dir=result_cache,
                only=only,
                engine=engine,
                scheduler=scheduler,
            )
    except OSError as exc:
        if engine != "dask":
            raise
        raise UsageFailure(f"the Dask engine could not run: {exc}") from exc
    finally:
        if progress:
            progress.close()
    _apply_baseline(result, gate_opts["baseline"], only)
    gx_docs = _run_gx(result, cfg, no_reports, html_out, quiet) if use_gx else None
    use_color = color == "always" or (color == "auto" and sys.stdout.isatty() and not os.environ.get("NO_COLOR"))
    formats = gate_opts["formats"]
    if formats:
        from qa.report import ci

        ci.render_all(result, formats, sys.stdout)
    terminal.render(result, sys.stderr if formats else sys.stdout, color=use_color, quiet=quiet or bool(formats))
    _write_ci_files(result, gate_opts, quiet)
    if result.cache_hits and not quiet:
        click.echo(f"{result.cache_hits} of {result.files} file(s) unchanged: results from the cache.", err=True)
    if not no_reports:
        out_dir = Path(cfg.output_dir)
        json_path = Path(json_out) if json_out else out_dir / "clipqa-findings.json"
        html_path = Path(html_out) if html_out else out_dir / "clipqa-report.html"
        write_reports(result, json_path, html_path, {"gx_docs": gx_docs} if gx_docs else {})
        if not quiet:
            click.echo(f"Reports: {html_path} and {json_path}", err=True)
    sys.exit(EXIT_FAILED if result.gate == "failed" else EXIT_PASSED)


@main.command("fix")
@click.argument("paths", nargs=-1, required=True, type=click.Path())
@config_options
@click.option("--unsafe-fixes", is_flag=True, help="Also apply the unsafe fixes (changes a person should review).")
@click.option(
    "--diff", "show_diff", is_flag=True, help="Print the changes as a unified diff (for git apply); write nothing."
)
@click.option("--no-cache", is_flag=True, help="Read and write no result cache.")
@click.option("-q", "--quiet", is_flag=True, help="Print only the summary.")
@click.option("--color", type=click.Choice(["auto", "always", "never"]), default="auto", show_default=True)
@click.option("--no-progress", is_flag=True, help="No progress bar.")
@guarded
def fix_cmd(
    paths: tuple[str, ...],
    unsafe_fixes: bool,
    show_diff: bool,
    no_cache: bool,
    quiet: bool,
    color: str,
    no_progress: bool,
    **opts: Any,
) -> None:
    """Apply the fixes of the findings in PATHS, in place: the safe ones, and with --unsafe-fixes the
    unsafe ones too. Print what was fixed and what is left.

    Exit 0 when nothing at fail-on is left, 1 when something is, 2 when clipqa could not run.
    Each file is written atomically, only if it changes and only if it still holds what was
    checked; see docs/fix.md.
    """
    from qa.corpus import discover
    from qa.fix import fix_paths, unified_diff
    from qa.report import terminal

    if any("://" in p for p in paths):
        raise UsageFailure("clipqa fix works on local files only")
    cfg = build_config(paths, opts)
    found = discover(paths, cfg.include, cfg.all_excludes())
    if found.missing:
        raise UsageFailure(f"no such file or folder: {', '.join(found.missing)}")
    progress = _progress_bar(len(found.sources)) if not no_progress and not quiet and sys.stderr.isatty() else None
    try:
        outcome = fix_paths(
            list(paths),
            cfg,
            found,
            unsafe=unsafe_fixes,
            write=not show_diff,
            cache_dir=None if no_cache else str(Path(cfg.cache_dir)),
            progress=progress.update if progress else None,
        )
    finally:
        if progress:
            progress.close()
    shown = {s.path: os.path.relpath(s.location).replace(os.sep, "/") for s in found.sources}
    if show_diff:
        out = sys.stdout
        for change in outcome.changes:
            out.write(unified_diff(change, shown.get(change.path, change.path)))
        out.flush()
    report = sys.stderr if show_diff else sys.stdout
    use_color = color == "always" or (color == "auto" and report.isatty() and not os.environ.get("NO_COLOR"))
    verb = "would fix" if show_diff else "fixed"
    if not quiet:
        for change in outcome.changes:
            rules = _counted(f.rule for f in change.fixed)
            if change.problem is not None:
                report.write(f"{change.path}: not written: {change.problem}\n")
            else:
                report.write(f"{change.path}: {verb} {len(change.fixed)} ({rules})\n")
        for finding, reason in outcome.declined:
            where = terminal.location(finding.path, finding.line, finding.column)
            report.write(f"{where}: {finding.rule} fix not applied: {reason}\n")
        if not outcome.settled:
            report.write(f"notice: fixes were still applicable after {outcome.passes} passes; run clipqa fix again\n")
    result = outcome.result
    terminal.render(result, report, color=use_color, quiet=quiet, hint=False)
    fixed = outcome.fixed
    files = len({f.path for f in fixed})
    refused = {(f.path, f.fingerprint) for f, _ in outcome.declined}
    left = {
        kind: sum(
            1
            for f in result.findings
            if f.fix and f.fix.applicability == kind and (f.path, f.fingerprint) not in refused
        )
        for kind in ("safe", "unsafe")
    }
    tail = ""
    if left["safe"]:
        tail += f"; {left['safe']} more fixable (run clipqa fix again)"
    if left["unsafe"] and not unsafe_fixes:
        tail += f"; {left['unsafe']} fixable with --unsafe-fixes"
    if outcome.declined:
        tail += f"; {len(outcome.declined)} fix(es) not applied (see above)"
    report.write(
        f"{'Would fix' if show_diff else 'Fixed'} {len(fixed)} finding(s) in {files} file(s); "
        f"{len(result.findings)} left{tail}.\n"
    )
    sys.exit(EXIT_FAILED if result.gate == "failed" else EXIT_PASSED)


def write_reports(result: RunResult, json_path: Path, html_path: Path, html_extra: dict[str, Any]) -> None:
    """The JSON and HTML reports of a run. Both only read the result: on a large run a
    forked child writes the HTML while this process writes the JSON (an error in either
    is raised here)."""
    from qa.forked import FORK_FROM_FILES, Forked
    from qa.report import json_report

    def write_html() -> None:
        from qa.report import html  # imported (jinja2 and all) where it is used: in the child

        html.write(result, html_path, **html_extra)

    html_writing = Forked(write_html, parallel=result.files >= FORK_FROM_FILES)
    json_report.write(result, json_path)
    html_writing.result()


def _duration(text: str) -> int:
    """Seconds from ``3600``, ``30m``, ``12h`` or ``7d``."""
    units = {"s": 1, "m": 60, "h": 3600, "d": 86400}
    value = text.strip().lower()
    scale = units.get(value[-1:], 0)
    number = value[:-1] if scale else value
    if not number.isdigit():
        raise UsageFailure(f"--cache-ttl {text}: expected seconds or a number with s, m, h or d (e.g. 7d)")
    return int(number) * (scale or 1)


def _online_options(cfg: Config, online: bool | None, cache_dir: str | None, no_cache: bool, ttl: str | None) -> None:
    """--online/--offline, --cache-dir, --no-cache, --cache-ttl over the configuration."""
    if online is not None:
        cfg.online = online
        cfg.origin["online"] = "--online" if online else "--offline"
    if cache_dir:
        cfg.cache_dir = str(Path(cache_dir).resolve())
        cfg.origin["cache-dir"] = "--cache-dir"
    opts = cfg.checks.setdefault("image_url", {})
    if no_cache:
        opts["cache"] = False
        cfg.origin["image_url.cache"] = "--no-cache"
    if ttl is not None:
        opts["cache-ttl"] = _duration(ttl)
        cfg.origin["image_url.cache-ttl"] = "--cache-ttl"


def _run_gx(result: Any, cfg: Config, no_reports: bool, html_out: str | None, quiet: bool) -> dict[str, str]:
    """check --gx: GX validation (+ Data Docs in <output-dir>/gx); returns the HTML report's link."""
    from qa import gx

    docs = None if no_reports else Path(cfg.output_dir) / "gx"
    ran = gx.run_for_check(result, docs)
    if not quiet:
        click.echo(gx.summarize(ran.outcome) + (f"; Data Docs: {ran.docs_index}" if ran.docs_index else ""), err=True)
    if ran.docs_index is None:
        return {}
    html_dir = Path(html_out).parent if html_out else Path(cfg.output_dir)
    href = os.path.relpath(ran.docs_index.resolve(), html_dir.resolve()).replace(os.sep, "/")
    return {"href": href, "summary": gx.summarize(ran.outcome)}


class _progress_bar:  # noqa: N801 - used like a function
    """A rich progress bar on stderr, for long runs in a terminal."""

    def __init__(self, total: int) -> None:
        from rich.console import Console
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeRemainingColumn

        self.total = total
        self.bar = Progress(
            "checking",
            BarColumn(),
            MofNCompleteColumn(),
            TimeRemainingColumn(),
            console=Console(stderr=True),
            transient=True,
        )
        self.task = self.bar.add_task("check", total=total)
        if total >= 200:
            self.bar.start()

    def update(self, done: int, total: int) -> None:
        self.bar.update(self.task, completed=done, total=total)

    def close(self) -> None:
        self.bar.stop()


@main.command()
@click.option("--format", "fmt", type=click.Choice(["text", "json", "markdown"]), default="text", show_default=True)
@guarded
def rules(fmt: str) -> None:
    """List every rule: code, check, default severity, fix applicability, one-line doc."""
    ordered = sorted(all_rules().values(), key=lambda r: r.code)
    if fmt == "json":
        click.echo(
            json.dumps(
                [
                    {
                        "code": r.code,
                        "name": r.name,
                        "check": r.check,
                        "severity": r.severity.value,
                        "doc": r.doc,
                        "fix": r.fix,
                        "applicability": r.applicability.value,
                    }
                    for r in ordered
                ],
                indent=1,
            )
        )
    elif fmt == "markdown":
        click.echo("| Code | Name | Check | Severity | Fix | What it means |\n|---|---|---|---|---|---|")
        for r in ordered:
            doc = r.doc.replace("|", "\\|")
            fix = "" if r.applicability.value == "none" else r.applicability.value
            click.echo(f"| `{r.code}` | {r.name} | {r.check} | {r.severity.value} | {fix} | {doc} |")
    else:
        width = max(len(r.name) for r in ordered)
        for r in ordered:
            fix = "" if r.applicability.value == "none" else r.applicability.value
            click.echo(f"{r.code}  {r.name:<{width}}  {r.check:<12} {r.severity.value:<8} {fix:<7}  {r.doc}")


@main.group("gx")
def gx_group() -> None:
    """Great Expectations: export the schemas as GX expectation suites."""


@gx_group.command("export")
@click.option("--out", "out", required=True, type=click.Path(file_okay=False), help="Folder for the suite JSON files.")
@click.option("--schema-dir", type=click.Path(file_okay=False), help="Folder of schema files [default: bundled].")
@guarded
def gx_export(out: str, schema_dir: str | None) -> None:
    """Write one GX Core 1.x ExpectationSuite (JSON) per table, and the mapping of every constraint."""
    from qa import gx
    from qa.schema import load_schema

    if not gx.gx_available():
        raise UsageFailure("gx export needs Great Expectations: pip install 'clipqa[gx]'")
    if schema_dir and not Path(schema_dir).is_dir():
        raise UsageFailure(f"--schema-dir {schema_dir}: no such folder")
    click.echo(gx.export_report(gx.export(load_schema(schema_dir), out)))


@main.command("config")
@click.argument("path", required=False, default=".", type=click.Path())
@click.option("--config", "config_file", type=click.Path(dir_okay=False), help="Configuration file to read.")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
@guarded
def config_cmd(path: str, config_file: str | None, fmt: str) -> None:
    """Print the effective configuration and where each value came from."""
    cfg = load_config(path, None, config_file)
    values = cfg.as_dict()
    if fmt == "json":
        click.echo(json.dumps({"file": cfg.file, "values": values, "origin": cfg.origin}, indent=1, default=str))
        return
    click.echo(f"# configuration file: {cfg.file or '(none found; defaults)'}")
    for key, value in values.items():
        if isinstance(value, dict) and key not in ("severity", "per-file-ignores"):
            for opt, v in value.items():
                click.echo(f"{key}.{opt} = {json.dumps(v, default=str)}  # {cfg.origin.get(f'{key}.{opt}', 'default')}")
        else:
            click.echo(f"{key} = {json.dumps(value, default=str)}  # {cfg.origin.get(key, 'default')}")


# ---------------------------------------------------------------- the gate (docs/gate.md)


def _changed_since_index(
    paths: Sequence[str], cfg: Config, ref: str | None, engine: str, index_file: str | None, no_index: bool
) -> Path | None:
    """The corpus index that serves ``check FOLDER --changed-since REF`` (None: today's full run):
    one local folder, the local engine, an index given or found beside it. ``--index FILE`` where
    no index can serve is a usage error: a flag that does nothing would be ignored in silence."""
    why_not = (
        "it serves only --changed-since" if not ref
        else "it serves only the local engine" if engine != "local"
        else "it serves one corpus folder" if len(paths) != 1 or not Path(paths[0]).is_dir()
        else None
    )  # fmt: skip
    if no_index or why_not is not None:
        if index_file and not no_index:
            raise UsageFailure(f"--index {index_file} has nothing to do here: {why_not}")
        return None
    from qa.index import index_path

    path = index_path(paths[0], cfg, index_file)
    return path if index_file or path.exists() else None


def _check_with_index(root: str, found: Any, only: set[str], cfg: Config, path: Path) -> RunResult:
    from qa.index import check_changed

    with index_errors():
        return check_changed(root, found, only, cfg, path)


def _changed_since(ref: str | None, sources: Sequence[Any], paths: Sequence[str]) -> set[str] | None:
    if not ref:
        return None
    from qa.incremental import GitError, changed_sources

    try:
        return changed_sources(ref, sources, paths[0] if paths else ".")
    except GitError as exc:
        raise UsageFailure(f"--changed-since {ref}: {exc}") from exc


def _apply_baseline(result: Any, path: str | None, scope: set[str] | None = None) -> None:
    if not path:
        return
    from qa.baseline import BaselineError, apply

    try:
        apply(result, path, scope)
    except BaselineError as exc:
        raise UsageFailure(str(exc)) from exc


def _write_ci_files(result: Any, gate_opts: dict[str, Any], quiet: bool) -> None:
    from qa.report import ci

    written = ci.write_files(result, gate_opts["junit"], gate_opts["sarif"], gate_opts["markdown"])
    if written and not quiet:
        click.echo(f"Wrote {', '.join(written)}", err=True)


@main.command("baseline")
@click.argument("file", type=click.Path(dir_okay=False))
@click.argument("paths", nargs=-1, type=click.Path())
@config_options
@click.option("--no-cache", is_flag=True, help="Do not read or write the result cache.")
@guarded
def baseline_cmd(file: str, paths: tuple[str, ...], no_cache: bool, **opts: Any) -> None:
    """Record the current findings of PATHS (default: .) in FILE, for `clipqa check --baseline FILE`."""
    from qa.baseline import write
    from qa.corpus import discover
    from qa.pipeline import run

    paths = paths or (".",)
    cfg = build_config(paths, opts)
    found = discover(paths, cfg.include, cfg.all_excludes())
    if found.missing:
        raise UsageFailure(f"no such file or folder: {', '.join(found.missing)}")
    result = run(list(paths), cfg, discovery=found, cache_dir=None if no_cache else str(Path(cfg.cache_dir)))
    write(result, file)
    click.echo(f"Baseline {file}: {len(result.findings)} finding(s) in {result.files} file(s) recorded.")


@main.command("import")
@click.argument("incoming", required=False, type=click.Path(file_okay=False))
@click.option("--into", "corpus", required=True, type=click.Path(file_okay=False), help="The corpus folder.")
@click.option(
    "--quarantine",
    type=click.Path(file_okay=False),
    help="Where rejected clippings go [default: quarantine/<UTC timestamp>/ beside the corpus].",
)
@click.option(
    "--manifest", type=click.Path(dir_okay=False), help="Write the manifest here [default: in the quarantine]."
)
@click.option("--dry-run", is_flag=True, help="Show what would happen; change nothing.")
@click.option(
    "--fix",
    is_flag=True,
    help="Apply the batch's safe fixes before gating it; the original bytes are kept in <quarantine>/originals/.",
)
@click.option("--unsafe-fixes", is_flag=True, help="With --fix: the unsafe fixes too (changes a person should review).")
@click.option(
    "--abort",
    is_flag=True,
    help="Undo the unfinished import into the corpus: every file back where it was, the journal removed.",
)
@click.option("--no-cache", is_flag=True, help="Do not read or write the result cache.")
@index_option(f"The corpus index {INDEX_DEFAULT}.")
@no_index_option("Check the batch with a full run over the corpus (no corpus index).")
@config_options
@guarded
def import_cmd(
    incoming: str | None,
    corpus: str,
    quarantine: str | None,
    manifest: str | None,
    dry_run: bool,
    fix: bool,
    unsafe_fixes: bool,
    abort: bool,
    no_cache: bool,
    index_file: str | None,
    no_index: bool,
    **opts: Any,
) -> None:
    """Check INCOMING against the corpus; move passing clippings into it, failing ones into quarantine.

    With --fix, the batch's safe fixes are applied first (as `clipqa fix` applies them) and
    the fixed files are gated; the corpus gets the fixed bytes and the quarantine's
    originals/ folder keeps the original ones. Exit 0 when every clipping was accepted, 1
    when some were rejected or left in INCOMING (a symbolic link, a special file, a file
    changed during the import). Safe to interrupt: running the same command again finishes
    the job, and `clipqa import --abort --into CORPUS` undoes it instead.
    """
    from qa.corpus import shown
    from qa.gate import ImportError_, IndexUse, abort_import, dumps, run_import

    if unsafe_fixes and not fix:
        raise UsageFailure("--unsafe-fixes applies only with --fix")
    refuse_index_and_no_index(index_file, no_index)
    try:
        if abort:
            if dry_run or quarantine or manifest or fix:
                raise UsageFailure("--abort takes only --into (and INCOMING, to check it is that import)")
            undone = abort_import(corpus, incoming)
            click.echo(dumps(undone), nl=False)
            if not undone["aborted"]:
                moved = undone.get("journal_moved_to")
                note = f"an unreadable journal was moved to {shown(moved)}" if moved else "nothing to undo"
                click.echo(f"clipqa: no unfinished import into {shown(corpus)}: {note}", err=True)
            sys.exit(EXIT_FAILED if undone["kept"] else EXIT_PASSED)
        if incoming is None:
            raise UsageFailure("give INCOMING, the folder to import (or --abort to undo an unfinished import)")
        cfg = build_config((corpus if Path(corpus).is_dir() else incoming,), opts, index_file)
        index = None
        if not no_index:
            from qa.index import index_path

            index = IndexUse(index_path(corpus, cfg, index_file))
        outcome = run_import(
            incoming,
            corpus,
            cfg,
            quarantine=quarantine,
            manifest=manifest,
            dry_run=dry_run,
            cache_dir=None if no_cache else str(Path(cfg.cache_dir)),
            fixes=("unsafe" if unsafe_fixes else "safe") if fix else None,
            index=index,
        )
    except ImportError_ as exc:
        raise UsageFailure(str(exc)) from exc
    click.echo(dumps(outcome), nl=False)
    for item in outcome["left"]:
        click.echo(f"clipqa: {shown(item['name'])}: {shown(item['reason'])}", err=True)
    if outcome["fix"] is not None:
        for item in outcome["fix_declined"]:
            where = shown(item["name"]) + (f":{item['line']}" if item.get("line") else "")
            click.echo(f"clipqa: {where}: {item['rule']} fix not applied: {item['reason']}", err=True)
        click.echo(f"clipqa: {_fixed_summary(outcome)}", err=True)
    sys.exit(EXIT_FAILED if outcome["rejected"] or outcome["left"] else EXIT_PASSED)


def _counted(codes: Iterable[str]) -> str:
    """Rule codes, each once, with how many times it occurs: ``E201 x2, F101``."""
    return ", ".join(f"{code} x{n}" if n > 1 else code for code, n in sorted(Counter(codes).items()))


def _fixed_summary(outcome: dict[str, Any]) -> str:
    """One line: how many files (import --fix) fixed, by which rules, and where the originals are."""
    from qa.corpus import shown

    fixed = outcome["fixed"]
    listed = _counted(item["rule"] for f in fixed for item in f["fixes"])
    verb, kept = ("would fix", "would be kept") if outcome["dry_run"] else ("fixed", "kept")
    if not fixed:
        return f"{verb} no file: nothing in the batch had a fix that could be applied"
    return (
        f"{verb} {len(fixed)} file(s) ({listed}); their original bytes {kept} in {shown(outcome['fix']['originals'])}"
    )


# ---------------------------------------------------------------- the corpus index (docs/gate.md)


@main.group("index")
def index_group() -> None:
    """The corpus index: gating a batch costs the batch, not the corpus (docs/gate.md)."""


def index_command(name: str, *, formats: bool = False) -> Callable[[F], F]:
    """An ``index`` sub-command on CORPUS: --index, the configuration options, errors as exit 2."""

    def wrap(fn: F) -> F:
        fn = _index_error(fn)
        fn = guarded(fn)
        fn = config_options(fn)
        if formats:
            fn = click.option(
                "--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True
            )(fn)
        fn = index_option(f"The index file {INDEX_DEFAULT}.")(fn)
        fn = click.argument("corpus", type=click.Path(exists=True, file_okay=False))(fn)
        return index_group.command(name)(fn)  # type: ignore[return-value]

    return wrap


@contextlib.contextmanager
def index_errors() -> Iterator[None]:
    """The index's own errors as usage errors (exit 2, one line): every command that uses it."""
    import sqlite3

    from qa.index import IndexError_

    try:
        yield
    except IndexError_ as exc:
        raise UsageFailure(str(exc)) from exc
    except sqlite3.Error as exc:  # a damaged index, a read-only place, a full disk
        raise UsageFailure(f"the index could not be used: {type(exc).__name__}: {exc}") from exc


def _index_error(fn: F) -> F:
    """An ``index`` sub-command with :func:`index_errors`."""

    @wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        with index_errors():
            return fn(*args, **kwargs)

    return wrapper  # type: ignore[return-value]


@index_command("build")
def index_build(corpus: str, index_file: str | None, **opts: Any) -> None:
    """Index every file of CORPUS from scratch (about 1.2x the time of a full check)."""
    from qa import index

    cfg = build_config((corpus,), opts, index_file)
    built = index.build(corpus, cfg, index.index_path(corpus, cfg, index_file))
    click.echo(f"Indexed {built.files} file(s) of {corpus} in {built.seconds:.1f}s: {built.path}")


@index_command("status", formats=True)
def index_status(corpus: str, index_file: str | None, fmt: str, **opts: Any) -> None:
    """How many entries are fresh, stale, missing or orphaned (reads only; hashes nothing)."""
    from qa import index

    cfg = build_config((corpus,), opts, index_file)
    st = index.status(corpus, cfg, index_file)
    if fmt == "json":
        click.echo(json.dumps(st.to_dict(), indent=1))
        return
    if st.state != "ok":
        click.echo(f"{st.path}: {st.state}; the next import or `clipqa index build` builds it anew")
        return
    click.echo(
        f"{st.path}: {st.files} entries: {st.fresh} fresh, {st.stale} stale, {st.missing} missing, "
        f"{st.orphaned} orphaned"
        + ("" if st.stale + st.missing + st.orphaned == 0 else " (the next import or check brings them up to date)")
    )
    for path, why in st.unkeyed:
        click.echo(f"{path}: its join keys could not be derived ({why}); while it is there, the gate runs in full")


@index_command("verify", formats=True)
def index_verify(corpus: str, index_file: str | None, fmt: str, **opts: Any) -> None:
    """Derive everything again from CORPUS and compare with the index; exit 1 on any difference."""
    from qa import index

    cfg = build_config((corpus,), opts, index_file)
    found = index.verify(corpus, cfg, index_file)
    if fmt == "json":
        click.echo(json.dumps(found.to_dict(), indent=1))
    elif found.state != "ok":
        click.echo(f"{found.path}: {found.state}")
    elif found.ok:
        click.echo(f"{found.path}: {found.files} entries agree with the corpus")
    else:
        click.echo(f"{found.path}: differences from the corpus:")
        for kind, items in found.differences.items():
            click.echo(f"  {kind}: {len(items)}" + "".join(f"\n    {item}" for item in items[:10]))
    sys.exit(EXIT_PASSED if found.ok else EXIT_FAILED)


@index_command("watch")
def index_watch(corpus: str, index_file: str | None, **opts: Any) -> None:
    """Watch CORPUS (Linux inotify) and write down what changes, so that a gate looks at those
    files alone instead of a stat per corpus file; runs until Ctrl-C or SIGTERM."""
    from qa import index
    from qa.watch import WatchError, watch

    cfg = build_config((corpus,), opts, index_file)
    path = index.index_path(corpus, cfg, index_file)

    def ready(folders: int) -> None:
        click.echo(f"Watching {folders} folder(s) of {corpus} for {path} (Ctrl-C or SIGTERM to stop)", err=True)

    try:
        watch(corpus, cfg, path, on_ready=ready)
    except WatchError as exc:
        raise UsageFailure(str(exc)) from exc
    click.echo("Stopped watching.", err=True)


@index_command("export")
@click.option("--parquet", "out_dir", required=True, type=click.Path(file_okay=False), help="Folder for the files.")
def index_export(corpus: str, out_dir: str, index_file: str | None, **opts: Any) -> None:
    """Write the index's tables as Parquet (for DuckDB, Dask, Spark)."""
    from qa import index

    cfg = build_config((corpus,), opts, index_file)
    counts = index.export_parquet(corpus, cfg, out_dir, index_file)
    click.echo(f"Wrote {', '.join(f'{name}.parquet ({n} rows)' for name, n in counts.items())} to {out_dir}")
