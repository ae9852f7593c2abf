"""The effective configuration: defaults < pyproject.toml / clipqa.toml < CLI flags.

The config file is found by walking up from the first path checked, as ruff does:
the nearest ``clipqa.toml`` (or ``.clipqa.toml``), or ``pyproject.toml`` with a
``[tool.clipqa]`` table. Keys are kebab-case. Every key is checked: an unknown key
or a bad value is a :class:`ConfigError` that names the key and the file (the CLI
exits 2). ``clipqa config`` prints each value with where it came from.
"""

from __future__ import annotations

import fnmatch
import hashlib
import json
import os
import tomllib
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from qa.corpus import DEFAULT_EXCLUDE, DEFAULT_INCLUDE
from qa.findings import CHECKS, REGISTRY, Finding, Severity
from qa.rules import all_rules

FAIL_ON = ("error", "warning", "info", "never")


class ConfigError(Exception):
    """A configuration value is wrong. The message names the key and the file."""


def _str_list(value: Any) -> list[str]:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ValueError("expected a list of strings")
    return list(value)


def _bool(value: Any) -> bool:
    if not isinstance(value, bool):
        raise ValueError("expected true or false")
    return value


def _pos_int(value: Any) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or value <= 0:
        raise ValueError("expected a positive whole number")
    return value


def _jobs(value: Any) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        raise ValueError("expected a whole number >= 0 (0: one per CPU)")
    return value


def _fail_on(value: Any) -> str:
    if value not in FAIL_ON:
        raise ValueError(f"expected one of {', '.join(FAIL_ON)}")
    return str(value)


def _seconds(value: Any) -> float:
    if not isinstance(value, (int, float)) or isinstance(value, bool) or not value >= 0:
        raise ValueError("expected a number of seconds >= 0 (0: no limit)")
    return float(value)


def _str(value: Any) -> str:
    if not isinstance(value, str) or not value:
        raise ValueError("expected a non-empty string")
    return value


def parse_online_allow(value: Any) -> list[str]:
    """online-allow: a list of HOST[:PORT] entries, each checked (ValueError names a bad one)."""
    from qa.urls import parse_allowed_host

    entries = _str_list(value)
    for entry in entries:
        parse_allowed_host(entry)  # ValueError names the entry
    return entries


def _selector(value: str) -> str:
    if value in CHECKS or value == "ALL" or any(code.startswith(value) for code in REGISTRY):
        return value
    raise ValueError(f"{value!r} is neither a rule code, a code prefix nor a check name")


def _selectors(value: Any) -> list[str]:
    return [_selector(v) for v in _str_list(value)]


def _severity_map(value: Any) -> dict[str, str]:
    if not isinstance(value, dict):
        raise ValueError("expected a table of rule code (or check name) = severity")
    out = {}
    for key, sev in value.items():
        _selector(key)
        if sev not in [s.value for s in Severity]:
            raise ValueError(f"{key}: severity must be error, warning or info")
        out[key] = sev
    return out


def _per_file(value: Any) -> dict[str, list[str]]:
    if not isinstance(value, dict):
        raise ValueError("expected a table of glob = [rule codes]")
    return {str(glob): _selectors(codes) for glob, codes in value.items()}


# key -> (attribute, parser)
_TOP: dict[str, tuple[str, Callable[[Any], Any]]] = {
    "include": ("include", _str_list),
    "exclude": ("exclude", _str_list),
    "extend-exclude": ("extend_exclude", _str_list),
    "select": ("select", _selectors),
    "ignore": ("ignore", _selectors),
    "severity": ("severity", _severity_map),
    "per-file-ignores": ("per_file_ignores", _per_file),
    "fail-on": ("fail_on", _fail_on),
    "schema-dir": ("schema_dir", _str),
    "max-file-size": ("max_file_size", _pos_int),
    "online": ("online", _bool),
    "online-allow": ("online_allow", parse_online_allow),
    "cache-dir": ("cache_dir", _str),
    "index": ("index", _str),
    "output-dir": ("output_dir", _str),
    "jobs": ("jobs", _jobs),
    "max-field-length": ("max_field_length", _pos_int),
    "time-budget": ("time_budget", _seconds),
}


@dataclass(slots=True)
class Config:
    include: list[str] = field(default_factory=lambda: list(DEFAULT_INCLUDE))
    exclude: list[str] = field(default_factory=lambda: list(DEFAULT_EXCLUDE))
    extend_exclude: list[str] = field(default_factory=list)
    select: list[str] = field(default_factory=lambda: ["ALL"])
    ignore: list[str] = field(default_factory=list)
    severity: dict[str, str] = field(default_factory=dict)
    per_file_ignores: dict[str, list[str]] = field(default_factory=dict)
    fail_on: str = "error"
    schema_dir: str | None = None
    max_file_size: int = 1 << 20
    online: bool = False
    online_allow: list[str] = field(default_factory=list)  # HOST[:PORT] the online check may reach
    cache_dir: str = ".clipqa-cache"
    index: str = ""  # the corpus index file (qa/index.py); "": beside the corpus
    output_dir: str = "reports"
    jobs: int = 0
    max_field_length: int = 100_000  # characters per front-matter value or key (P124)
    time_budget: float = 10.0  # seconds per file; 0: no limit (P130)
    checks: dict[str, dict[str, Any]] = field(default_factory=dict)  # [tool.clipqa.<check>]
    origin: dict[str, str] = field(default_factory=dict)  # key -> where its value came from
    file: str | None = None
    # clipqa's own files inside a folder it checks (an index placed in the corpus: qa.index.
    # own_file_patterns), never clippings; set by the commands, not a setting, so in no hash
    own_excludes: list[str] = field(default_factory=list)

    # ------------------------------------------------------------ rules

    def _matches(self, selector: str, code: str, check: str) -> bool:
        return selector in ("ALL", check) or code.startswith(selector)

    def enabled(self, code: str) -> bool:
        r = REGISTRY.get(code)
        check = r.check if r else ""
        if not any(self._matches(s, code, check) for s in self.select):
            return False
        return not any(self._matches(s, code, check) for s in self.ignore)

    def severity_of(self, finding: Finding) -> str:
        # The most specific override wins: a full code over a prefix over a check name.
        best: tuple[int, str] | None = None
        for key, sev in self.severity.items():
            if self._matches(key, finding.rule, finding.check):
                rank = len(key) + (100 if key == finding.rule else 0)
                if best is None or rank > best[0]:
                    best = (rank, sev)
        return best[1] if best else finding.severity

    def ignored_for_file(self, code: str, check: str, path: str) -> bool:
        for glob, selectors in self.per_file_ignores.items():
            if fnmatch.fnmatchcase(path, glob) and any(self._matches(s, code, check) for s in selectors):
                return True
        return False

    def apply(self, findings: Iterable[Finding]) -> list[Finding]:
        """Filter and re-grade findings by select/ignore/per-file-ignores/severity."""
        out = []
        enabled: dict[str, bool] = {}  # by rule code: the same answer for every finding of a rule
        severity: dict[tuple[str, str, str], str] = {}
        for f in findings:
            on = enabled.get(f.rule)
            if on is None:
                on = enabled[f.rule] = self.enabled(f.rule)
            if not on or (self.per_file_ignores and self.ignored_for_file(f.rule, f.check, f.path)):
                continue
            if self.severity:
                k = (f.rule, f.check, f.severity)
                sev = severity.get(k)
                if sev is None:
                    sev = severity[k] = self.severity_of(f)
                f.severity = sev
            out.append(f)
        return out

    def options_for(self, check: str, defaults: Mapping[str, Any]) -> dict[str, Any]:
        merged = dict(defaults)
        merged.update(self.checks.get(check, {}))
        return merged

    def all_excludes(self) -> list[str]:
        return [*self.exclude, *self.extend_exclude, *self.own_excludes]

    # ------------------------------------------------------------ display

    def as_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for key, (attr, _) in _TOP.items():
            out[key] = getattr(self, attr)
        for check, opts in sorted(self.checks.items()):
            out[check] = dict(opts)
        return out

    def hash(self) -> str:
        blob = json.dumps(self.as_dict(), sort_keys=True, default=str).encode()
        return hashlib.sha256(blob).hexdigest()[:12]


CONFIG_FILES = ("clipqa.toml", ".clipqa.toml", "pyproject.toml")


def find_config(start: str | os.PathLike[str]) -> Path | None:
    here = Path(start).resolve()
    if not here.is_dir():
        here = here.parent
    for folder in (here, *here.parents):
        for name in CONFIG_FILES:
            candidate = folder / name
            if not candidate.is_file():
                continue
            if name != "pyproject.toml":
                return candidate
            try:
                with open(candidate, "rb") as fh:
                    if "clipqa" in tomllib.load(fh).get("tool", {}):
                        return candidate
            except (OSError, tomllib.TOMLDecodeError):
                continue
    return None


def _check_options(where: str, check: str, raw: Any, defaults: Mapping[str, Any]) -> dict[str, Any]:
    if not isinstance(raw, dict):
        raise ConfigError(f"{where}: [{check}] must be a table")
    out = {}
    for key, value in raw.items():
        if key not in defaults:
            known = ", ".join(sorted(defaults)) or "none"
            raise ConfigError(f"{where}: unknown key {check}.{key} (known: {known})")
        default = defaults[key]
        if default is not None and not _same_kind(default, value):
            raise ConfigError(
                f"{where}: {check}.{key} must be {type(default).__name__}, got {type(value).__name__} {value!r}"
            )
        if isinstance(default, list) and default and isinstance(value, list):
            bad = [v for v in value if not _same_kind(default[0], v)]
            if bad:
                raise ConfigError(
                    f"{where}: {check}.{key} must be a list of {type(default[0]).__name__}, got {bad[0]!r}"
                )
        out[key] = value
    return out


def _same_kind(default: Any, value: Any) -> bool:
    if isinstance(default, bool) or isinstance(value, bool):
        return isinstance(default, bool) and isinstance(value, bool)
    if isinstance(default, (int, float)) and isinstance(value, (int, float)):
        return isinstance(default, float) or isinstance(value, int)
    return isinstance(value, type(default))


# Check options that name a file: relative to the configuration file that sets them, as the
# top-level paths are (a run from another folder reads the same file).
CHECK_PATHS = {("boilerplate", "patterns_file")}


def apply_table(
    cfg: Config, table: Mapping[str, Any], where: str, check_defaults: Mapping[str, Mapping[str, Any]]
) -> None:
    base = Path(where.split(":", 1)[0]).parent if ":" in where or where.endswith(".toml") else Path.cwd()
    for key, value in table.items():
        if key in _TOP:
            attr, parser = _TOP[key]
            try:
                parsed = parser(value)
            except ValueError as exc:
                raise ConfigError(f"{where}: {key}: {exc} (got {value!r})") from exc
            if key in ("schema-dir", "cache-dir", "output-dir", "index") and where.endswith(".toml") and parsed:
                parsed = str((base / parsed).resolve()) if not os.path.isabs(parsed) else parsed
            setattr(cfg, attr, parsed)
            cfg.origin[key] = where
        elif key in check_defaults:
            options = _check_options(where, key, value, check_defaults[key])
            for opt, given in options.items():
                if (key, opt) in CHECK_PATHS and isinstance(given, str) and given and where.endswith(".toml"):
                    options[opt] = str((base / given).resolve()) if not os.path.isabs(given) else given
            cfg.checks[key] = options
            for opt in cfg.checks[key]:
                cfg.origin[f"{key}.{opt}"] = where
        else:
            known = ", ".join([*sorted(_TOP), *sorted(check_defaults)])
            hint = " (clipqa.toml takes its keys at the top level, without [tool.clipqa])" if key == "tool" else ""
            raise ConfigError(f"{where}: unknown key {key!r}{hint} (known: {known})")


def load_config(
    start: str | os.PathLike[str] | None,
    overrides: Mapping[str, Any] | None = None,
    config_file: str | os.PathLike[str] | None = None,
    check_defaults: Mapping[str, Mapping[str, Any]] | None = None,
) -> Config:
    """Defaults, then the config file found from ``start`` (or given), then CLI overrides."""
    all_rules()  # select, ignore and severity may name any rule
    if check_defaults is None:
        from qa.checks import all_checks

        check_defaults = {name: c.options for name, c in all_checks().items() if c.options}
    cfg = Config()
    for key in _TOP:
        cfg.origin[key] = "default"
    for check, opts in check_defaults.items():
        cfg.checks[check] = dict(opts)
        for opt in opts:
            cfg.origin[f"{check}.{opt}"] = "default"
    path = Path(config_file) if config_file else (find_config(start) if start is not None else None)
    if path is not None:
        try:
            with open(path, "rb") as fh:
                doc = tomllib.load(fh)
        except OSError as exc:
            raise ConfigError(f"{path}: cannot read: {exc.strerror or exc}") from exc
        except tomllib.TOMLDecodeError as exc:
            raise ConfigError(f"{path}: not valid TOML: {exc}") from exc
        table = doc.get("tool", {}).get("clipqa", {}) if path.name == "pyproject.toml" else doc
        if not isinstance(table, dict):
            raise ConfigError(f"{path}: [tool.clipqa] must be a table")
        apply_table(cfg, table, str(path), check_defaults)
        for check, opts in check_defaults.items():
            merged = dict(opts)
            merged.update(cfg.checks.get(check, {}))
            cfg.checks[check] = merged
        cfg.file = str(path)
    _validate_check_options(cfg)
    if overrides:
        for key, value in overrides.items():
            if value is None:
                continue
            attr, parser = _TOP[key]
            try:
                setattr(cfg, attr, parser(value))
            except ValueError as exc:
                raise ConfigError(f"command line: --{key}: {exc} (got {value!r})") from exc
            cfg.origin[key] = f"--{key}"
    return cfg


def _validate_check_options(cfg: Config) -> None:
    """Value checks that a check declares for its options (ranges, patterns): ConfigError naming the key."""
    from qa.checks import all_checks

    for name, check in all_checks().items():
        if check.validate is None or name not in cfg.checks:
            continue
        for key, problem in check.validate(cfg.checks[name]):
            where = cfg.origin.get(f"{name}.{key}", "default")
            raise ConfigError(f"{where}: {name}.{key}: {problem} (got {cfg.checks[name].get(key)!r})")
