"""The vocabulary of schema files: field types and value checks.

Each constraint is a name (the key used in ``schemas/*.yaml``), the rule its
failures are reported under, an element predicate (the definition, used for
messages, GX export and tests), and an optional vectorised form for speed.
Value checks only judge values of the field's declared type; a value of the wrong
type is reported once, by the type check, not again by every value check.
Adding a constraint means adding one entry here (and a test).
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from types import NoneType
from typing import Any

import idna
import numpy as np
import pandas as pd
import regex

from qa.findings import Rule, rule, shorten
from qa.urls import CHARACTERS, CREDENTIALS, PRIVATE_HOST, host_of, port_of, redact_url, split_url, url_issues

S101 = rule("S101", "missing-required-field", "schema", "error", "A required field is missing or null.")
S102 = rule(
    "S102",
    "wrong-type",
    "schema",
    "error",
    "A field's value has the wrong type (a string where a number is expected, ...).",
    fix="Write the value in the field's type; a quoted 'true'/'false' where a boolean belongs is fixed.",
    applicability="safe",
)
S103 = rule("S103", "blank-string", "schema", "error", "A text field is empty or only white space.")
S104 = rule("S104", "out-of-range", "schema", "error", "A number is outside its documented range.")
S105 = rule("S105", "pattern-mismatch", "schema", "error", "A value does not match the field's pattern.")
S106 = rule("S106", "not-an-allowed-value", "schema", "error", "A value is not one of the field's allowed values.")
S107 = rule("S107", "invalid-url", "schema", "error", "A URL is not an absolute http(s) URL with a valid host.")
S108 = rule(
    "S108",
    "datetime-without-timezone",
    "schema",
    "error",
    "A date-time has no time zone (or no time).",
    fix="Add the time zone; the fix gives it the zone most of the corpus's date-times of that field have.",
    applicability="unsafe",
)
S111 = rule("S111", "bad-length", "schema", "error", "A text is shorter or longer than the field allows.")
S112 = rule("S112", "invalid-hostname", "schema", "error", "A domain is not a valid host name.")
S113 = rule("S113", "non-finite-number", "schema", "error", "A number is .inf or .nan.")
S114 = rule(
    "S114",
    "url-unescaped-character",
    "schema",
    "error",
    "A URL has a character RFC 3986 allows only percent-encoded "
    "(a quote, < >, a backslash, { | } ^ or a backtick, a bad % escape, an invisible formatting character).",
    fix='Percent-encode the character (" is %22), or cut it if it is left-over markup.',
)
S115 = rule(
    "S115",
    "url-credentials",
    "schema",
    "error",
    "A URL carries user-info (user:password@ or token@) before its host; the finding masks the secret.",
    fix="Remove the user-info; if it was a real password or token, revoke it.",
)
S116 = rule(
    "S116",
    "url-private-host",
    "schema",
    "error",
    "A URL's host points into a private network: a loopback, private, link-local ... address in any "
    "spelling (0x7f.1, 2130706433, [::ffff:10.0.0.1]) or a local-only name (localhost, *.internal).",
)

INT64_MIN, INT64_MAX = -(2**63), 2**63 - 1
TYPES = ("string", "integer", "number", "boolean", "datetime", "mapping", "list")
SCALAR_TYPES = ("string", "integer", "number", "boolean", "datetime")


# ---------------------------------------------------------------- types


def parse_datetime(value: Any) -> dt.datetime | None:
    """A datetime from a YAML timestamp or an ISO 8601 string (stdlib's parser); None if neither."""
    if isinstance(value, dt.datetime):
        return value
    if isinstance(value, str):
        try:
            return dt.datetime.fromisoformat(value.strip())
        except ValueError:
            return None
    return None


def _is_type(kind: str, value: Any) -> bool:
    if kind == "string":
        return isinstance(value, str)
    if kind == "integer":
        # An integer column is 64-bit (pandas Int64, JSON readers, databases): larger is wrong.
        return isinstance(value, int) and not isinstance(value, bool) and INT64_MIN <= value <= INT64_MAX
    if kind == "number":
        return isinstance(value, (int, float)) and not isinstance(value, bool)
    if kind == "boolean":
        return isinstance(value, bool)
    if kind == "datetime":
        if isinstance(value, dt.datetime):
            return True
        return isinstance(value, str) and parse_datetime(value) is not None
    if kind == "mapping":
        return isinstance(value, dict)
    if kind == "list":
        return isinstance(value, list)
    raise ValueError(kind)


_FAST_DTYPES = {"string": "string", "integer": "Int64", "boolean": "boolean"}


def type_mask(series: pd.Series, kind: str) -> pd.Series:
    """True where the value has the declared type (nulls count as True)."""
    fast = _FAST_DTYPES.get(kind)
    if fast is not None and str(series.dtype) == fast:
        return pd.Series(True, index=series.index)
    if kind == "number" and str(series.dtype) in ("Int64", "Float64", "float64", "int64"):
        return pd.Series(True, index=series.index)
    return pd.Series(_type_flags(series.tolist(), kind), index=series.index, dtype=bool)


_NA_TYPES = (NoneType, type(pd.NA))


def _type_verdict(kind: str, t: type) -> bool | None:
    """Whether every value of type ``t`` has the declared type (nulls do); None: it depends on
    the value (an int's range, a string's date-time syntax)."""
    if t in _NA_TYPES:
        return True
    if kind == "string":
        return issubclass(t, str)
    if kind == "integer":
        return None if issubclass(t, int) and not issubclass(t, bool) else False
    if kind == "number":
        return issubclass(t, (int, float)) and not issubclass(t, bool)
    if kind == "boolean":
        return issubclass(t, bool)
    if kind == "datetime":
        return True if issubclass(t, dt.datetime) else None if issubclass(t, str) else False
    if kind == "mapping":
        return issubclass(t, dict)
    if kind == "list":
        return issubclass(t, list)
    raise ValueError(kind)


def _type_flags(values: list[Any], kind: str) -> np.ndarray:
    """``_is_type`` of each value (nulls count as True), decided once per type where the type
    decides: a column made object by a few mistyped values costs no Python call per value."""
    types = list(map(type, values))
    verdicts = {t: _type_verdict(kind, t) for t in set(types)}
    if verdicts.get(int, False) is None:  # plain ints: all in range is the usual answer
        ints = [v for v, t in zip(values, types, strict=True) if t is int]
        if min(ints) >= INT64_MIN and max(ints) <= INT64_MAX:
            verdicts[int] = True
    if None not in verdicts.values():
        return np.fromiter(map(verdicts.__getitem__, types), dtype=bool, count=len(types))
    return np.fromiter(
        (ok if (ok := verdicts[t]) is not None else _is_type(kind, v) for v, t in zip(values, types, strict=True)),
        dtype=bool,
        count=len(values),
    )


def type_name(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, dt.datetime):
        return "datetime"
    if isinstance(value, dt.date):
        return "date"
    if isinstance(value, dict):
        return "mapping"
    if isinstance(value, list):
        return "list"
    return type(value).__name__


def explain_type(kind: str, value: Any) -> str:
    got = type_name(value)
    if kind in ("integer", "number") and isinstance(value, float) and not math.isfinite(value):
        return f"expected {kind}, got {value!r}, which is not a finite number"
    if kind == "integer" and isinstance(value, int) and not isinstance(value, bool):
        return f"integer {shorten(value, 60)} does not fit in a 64-bit integer column"
    if kind in ("integer", "number") and isinstance(value, str) and value.lstrip("+-").isdigit() and len(value) > 18:
        return f"expected {kind}, got a string of {len(value):,} digits, too large for a number column"
    if kind == "datetime" and isinstance(value, str):
        try:
            dt.datetime.fromisoformat(value.strip())
        except ValueError as exc:
            reason = str(exc)
            if len(reason) > 80:  # "Invalid isoformat string: '<the whole value>'"
                reason = reason.split(":", 1)[0]
            return f"expected an ISO 8601 date-time, got {_short(value)} ({reason})"
    if kind == "datetime" and isinstance(value, dt.date):
        return f"expected a date-time with a time zone, got the date {value.isoformat()} with no time"
    if kind == "boolean" and isinstance(value, str):
        return f"expected a YAML boolean (true/false), got the string {_short(value)}"
    return f"expected {kind}, got {got} {_short(value)}" if got != "null" else f"expected {kind}, got null"


def _short(value: Any, limit: int = 120) -> str:
    """repr of a value for a message, bounded (a hostile value may be 100,000 characters)."""
    return repr(value) if isinstance(value, str) and len(value) <= limit else (shorten(value, limit) or "")


# ---------------------------------------------------------------- value checks


_WEB_SCHEMES = ("http", "https")
# Printable ASCII without the space: the usual URL, for which the white-space and
# control-character scans below cannot find anything.
_PLAIN_ASCII = regex.compile(r"[\x21-\x7e]*")


def url_problem(value: str, schemes: tuple[str, ...] = _WEB_SCHEMES) -> str | None:
    """Why a string is not an acceptable absolute URL, or None if it is."""
    # One cache key per (value, schemes), however the caller spells the arguments: the
    # schema's column check, its cross-field checks and image_url ask about the same URLs.
    return _url_problem(value, schemes)


@lru_cache(maxsize=65536)
def _url_problem(value: str, schemes: tuple[str, ...]) -> str | None:
    if not value:
        return "empty URL"
    if _PLAIN_ASCII.fullmatch(value) is None:
        if any(ch.isspace() for ch in value):
            return "URL contains white space"
        if any(ord(ch) < 32 or 0x7F <= ord(ch) < 0xA0 for ch in value):
            return "URL contains control characters"
    try:
        parts = split_url(value)
        port = port_of(parts)  # raises on a bad port
    except ValueError as exc:
        return f"URL does not parse: {shorten(str(exc), 120)}"
    scheme = parts.scheme.lower()
    if not scheme:
        return "URL is not absolute (no scheme)"
    if scheme not in schemes:
        return f"scheme {scheme!r} is not allowed (expected {' or '.join(schemes)})"
    host = host_of(parts)
    if not parts.netloc or not host:
        return "URL has no host"
    if port == 0:
        return "URL has port 0"
    problem = hostname_problem(host, require_dot=False)
    if problem:
        return problem
    return None


@lru_cache(maxsize=65536)
def hostname_problem(host: str, require_dot: bool = True) -> str | None:
    """Why a string is not a valid (IDNA) host name, or None."""
    if not host:
        return "empty host name"
    name = host.rstrip(".")
    if name.startswith("[") or _is_ip(name):
        return None
    if require_dot and "." not in name:
        return f"host name {_short(host, 80)} has no dot"
    try:
        idna.encode(name, uts46=True)
    except (idna.IDNAError, UnicodeError, ValueError) as exc:
        return f"invalid host name {_short(host, 80)}: {shorten(str(exc), 120)}"
    return None


def _is_ip(name: str) -> bool:
    import ipaddress

    try:
        ipaddress.ip_address(name)
    except ValueError:
        return False
    return True


def _between_ok(value: Any, arg: list[Any]) -> bool:
    lo, hi = arg
    if isinstance(value, float) and math.isnan(value):
        return True  # reported by 'finite'
    return (lo is None or value >= lo) and (hi is None or value <= hi)


@dataclass(frozen=True, slots=True)
class Constraint:
    name: str
    rule: Rule
    types: tuple[str, ...]
    check_arg: Callable[[Any], Any]  # validates and normalises the argument; raises ValueError
    ok: Callable[[Any, Any], bool]  # element predicate on a value of the right type
    explain: Callable[[Any, Any], str]
    vectorized: Callable[[pd.Series, Any], pd.Series] | None = None
    # what a finding shows of a failing value (None: the value); URLs have their secrets masked
    evidence: Callable[[Any], Any] | None = None


def _true(arg: Any) -> bool:
    if arg is not True:
        raise ValueError("takes true")
    return True


def _nonneg_int(arg: Any) -> int:
    if not isinstance(arg, int) or isinstance(arg, bool) or arg < 0:
        raise ValueError("takes a whole number >= 0")
    return arg


def _range(arg: Any) -> list[Any]:
    if (
        not isinstance(arg, list)
        or len(arg) != 2
        or not all(v is None or (isinstance(v, (int, float)) and not isinstance(v, bool)) for v in arg)
    ):
        raise ValueError("takes [min, max] (numbers or null)")
    if arg[0] is not None and arg[1] is not None and arg[0] > arg[1]:
        raise ValueError("min is greater than max")
    return list(arg)


def _values(arg: Any) -> frozenset[Any]:
    if not isinstance(arg, list) or not arg:
        raise ValueError("takes a non-empty list of allowed values")
    return frozenset(arg)


def _pattern(arg: Any) -> Any:
    if not isinstance(arg, str):
        raise ValueError("takes a regular expression string")
    try:
        return regex.compile(arg)
    except regex.error as exc:
        raise ValueError(f"bad regular expression: {exc}") from exc


def _url_arg(arg: Any) -> tuple[str, ...]:
    if arg is True:
        return ("http", "https")
    if isinstance(arg, dict) and set(arg) <= {"schemes"}:
        schemes = arg.get("schemes", ["http", "https"])
        if isinstance(schemes, list) and schemes and all(isinstance(s, str) for s in schemes):
            return tuple(s.lower() for s in schemes)
    raise ValueError("takes true or {schemes: [http, https]}")


def _blank_vec(s: pd.Series, arg: Any) -> pd.Series:
    if str(s.dtype) == "string":
        return s.str.strip().str.len() > 0
    return s.map(lambda v: not isinstance(v, str) or bool(v.strip())).astype(bool)


def _str_map(fn: Callable[[str], bool]) -> Callable[[pd.Series], pd.Series]:
    def apply(s: pd.Series) -> pd.Series:
        return s.map(lambda v: not isinstance(v, str) or fn(v)).astype(bool)

    return apply


CONSTRAINTS: dict[str, Constraint] = {}


def _add(c: Constraint) -> None:
    CONSTRAINTS[c.name] = c


_add(
    Constraint(
        "not_blank",
        S103,
        ("string",),
        _true,
        lambda v, a: bool(v.strip()),
        lambda v, a: "text is empty" if not v else "text is only white space",
        _blank_vec,
    )
)
_add(
    Constraint(
        "min_length",
        S111,
        ("string",),
        _nonneg_int,
        lambda v, a: len(v) >= a,
        lambda v, a: f"text has {len(v)} characters, fewer than the minimum of {a}",
    )
)
_add(
    Constraint(
        "max_length",
        S111,
        ("string",),
        _nonneg_int,
        lambda v, a: len(v) <= a,
        lambda v, a: f"text has {len(v):,} characters, more than the maximum of {a:,}",
        lambda s, a: (s.str.len() <= a) if str(s.dtype) == "string" else _str_map(lambda v: len(v) <= a)(s),
    )
)
_add(
    Constraint(
        "between",
        S104,
        ("integer", "number"),
        _range,
        _between_ok,
        lambda v, a: (
            f"{_short(v)} is outside the range [{'-inf' if a[0] is None else a[0]}, {'inf' if a[1] is None else a[1]}]"
        ),
    )
)
_add(
    Constraint(
        "finite",
        S113,
        ("number",),
        _true,
        lambda v, a: not (isinstance(v, float) and not math.isfinite(v)),
        lambda v, a: f"{_short(v)} is not a finite number",
    )
)
_add(
    Constraint(
        "isin",
        S106,
        ("string", "integer", "number"),
        _values,
        lambda v, a: v in a,
        lambda v, a: f"{_short(v)} is not one of {', '.join(map(repr, sorted(a, key=str)))}",
        # Used only when every value has the column's type (or is null): isin() alone decides.
        # (It used to pass every non-string, so an integer column's isin never reported.)
        lambda s, a: s.isin(list(a)),
    )
)
_add(
    Constraint(
        "pattern",
        S105,
        ("string",),
        _pattern,
        lambda v, a: a.fullmatch(v) is not None,
        lambda v, a: f"value does not match the pattern {a.pattern!r}",
    )
)
_add(
    Constraint(
        "url",
        S107,
        ("string",),
        _url_arg,
        lambda v, a: _url_problem(v, a) is None,
        lambda v, a: url_problem(v, a) or "invalid URL",
        evidence=redact_url,
    )
)


_ISSUE_BITS = {CHARACTERS: 1, CREDENTIALS: 2, PRIVATE_HOST: 4}


@lru_cache(maxsize=1 << 16)
def _issue_bits(value: object) -> int:
    """The kinds of a value's URL issues as bits (0 for a value that is not a string). Cached,
    and called through ``map``: a column of known URLs costs no Python call per value."""
    if not isinstance(value, str):
        return 0
    return sum(_ISSUE_BITS[i.kind] for i in url_issues(value))


def _url_issue_check(name: str, rule_: Rule, kind: str) -> Constraint:
    """A check that a URL has no issue of one kind (qa.urls.url_issues: the image_url check's
    I112-I114 ask the same function)."""
    bit = _ISSUE_BITS[kind]

    def issue(value: str) -> str | None:
        return next((i.message for i in url_issues(value) if i.kind == kind), None)

    def vectorized(series: pd.Series, arg: Any) -> pd.Series:
        bits = np.fromiter(map(_issue_bits, series.tolist()), dtype=np.int64, count=len(series))
        return pd.Series((bits & bit) == 0, index=series.index)

    return Constraint(
        name,
        rule_,
        ("string",),
        _true,
        lambda v, a: not _issue_bits(v) & bit,
        lambda v, a: issue(v) or "URL problem",
        vectorized,
        evidence=redact_url,
    )


_add(_url_issue_check("url_escaped", S114, CHARACTERS))
_add(_url_issue_check("url_no_credentials", S115, CREDENTIALS))
_add(_url_issue_check("url_public_host", S116, PRIVATE_HOST))
_add(
    Constraint(
        "hostname",
        S112,
        ("string",),
        _true,
        lambda v, a: hostname_problem(v) is None,
        lambda v, a: hostname_problem(v) or "invalid host name",
    )
)
_add(
    Constraint(
        "timezone",
        S108,
        ("datetime",),
        _true,
        lambda v, a: (d := parse_datetime(v)) is None or d.tzinfo is not None,
        lambda v, a: f"date-time {v!s} has no time zone (write e.g. 2021-12-28T23:15:00Z)",
    )
)


def vectorized_check(constraint: Constraint, kind: str, arg: Any) -> Callable[[pd.Series], pd.Series]:
    """Series -> boolean Series: True where the value passes (or has another type)."""

    def check(series: pd.Series) -> pd.Series:
        typed = type_mask(series, kind)
        if constraint.vectorized is not None and bool(typed.all()):
            # Nulls pass (the 'required' check reports them); isin() says False, not NA, for them.
            return constraint.vectorized(series, arg).fillna(True).astype(bool) | series.isna()
        # one Python call per value of the right type, not three (Series.map, a lambda, ok)
        ok, na = constraint.ok, pd.NA
        values = series.tolist()
        flags = np.fromiter(
            (
                not typed_ or v is None or v is na or ok(v, arg)
                for v, typed_ in zip(values, typed.to_numpy(dtype=bool), strict=True)
            ),
            dtype=bool,
            count=len(values),
        )
        return pd.Series(flags, index=series.index)

    return check
