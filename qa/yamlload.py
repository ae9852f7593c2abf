"""YAML front matter -> Python data, with marks, the PyYAML way but safer.

We let libyaml (PyYAML's ``CSafeLoader``) *compose* the document into nodes, which
is fast and keeps every node's line and column, and then construct Python values
from the nodes ourselves. Constructing ourselves is ~1.7x faster than PyYAML's
pure-Python constructor and lets us see what ``yaml.load`` hides:

* duplicate keys (PyYAML keeps the last silently; we keep the last too, and say so);
* YAML 1.1 implicit types that YAML 1.2 readers see as strings (``yes``, ``on``,
  ``1:20``, ``0777``);
* unknown or ``!!python/...`` tags, merge keys, non-string keys;
* alias bombs: shared subtrees are built once, and the expanded size is computed
  (memoised, linear time) and bounded;
* nesting depth, including depths that would overflow libyaml's recursive composer.

Scalars other than plain strings are built by PyYAML's own ``SafeConstructor``
methods, so values are exactly what ``yaml.load(..., Loader=CSafeLoader)`` returns, or
an issue with a line and a column says why not: one of the deliberate divergences listed
in docs/hostile-input.md (an unsafe tag, a YAML 1.1 set, a value PyYAML cannot build, a
YAML 1.1 line break, a limit). ``tests/test_yaml_pyyaml_corpus.py`` holds both paths to
that against PyYAML's own test documents.

The fast path. Most front matter is plain: block mappings and sequences of strings,
numbers, booleans and dates. Such a document is read by yaml-rs (Rust, about 7x
faster than composing), and composed by libyaml only if a later step needs line
marks (a finding to locate, a span to place). yaml-rs reads YAML 1.2 and PyYAML 1.1,
so a document takes the fast path only when nothing in it can be read differently
(see ``_fast_parse``); anything else, and anything yaml-rs rejects, takes the full
path above, which gives PyYAML's values and our issues. Equal results on both paths
are tested differentially (``tests/test_yaml_fastpath.py``).
"""

from __future__ import annotations

import bisect
import datetime
import re
import sys
from dataclasses import dataclass, field
from typing import Any

import regex
import yaml

from qa.findings import rule, shorten

try:  # The C loader is ~10x faster; fall back with a notice where libyaml is missing.
    from yaml import CSafeLoader as _Loader

    LIBYAML = True
except ImportError:  # pragma: no cover - exercised only on machines without libyaml
    from yaml import SafeLoader as _Loader  # type: ignore[assignment]

    LIBYAML = False

try:  # optional: without it every document takes the full path
    import yaml_rs

    FAST_PARSER = True
except ImportError:  # pragma: no cover - yaml-rs is a dependency; this keeps clipqa working without it
    FAST_PARSER = False

P101 = rule("P101", "yaml-syntax-error", "parse", "error", "Front matter is not valid YAML.")
P102 = rule(
    "P102",
    "duplicate-key",
    "parse",
    "error",
    "A mapping has the same key twice; YAML loaders silently keep only the last value.",
)
P105 = rule("P105", "front-matter-not-mapping", "parse", "error", "Front matter must be a YAML mapping.")
P106 = rule(
    "P106",
    "yaml11-implicit-type",
    "parse",
    "error",
    "A plain scalar that YAML 1.1 (PyYAML) and YAML 1.2 read differently (yes/no/on/off, 1:20, 0777).",
    fix="Quote the value, or write true/false (the fix, where the schema wants a boolean).",
    applicability="safe",
)
P107 = rule(
    "P107",
    "unknown-tag",
    "parse",
    "error",
    "A YAML tag clipqa does not build: an unsafe or unknown one (!!python/object, !vendor), or a YAML 1.1 "
    "collection front matter cannot hold (!!set, !!omap, !!pairs); the value is ignored.",
)
P108 = rule(
    "P108",
    "alias-bomb",
    "parse",
    "error",
    "Anchors and aliases expand past the limit (a 'billion laughs' document).",
)
P109 = rule("P109", "nesting-too-deep", "parse", "error", "Front matter nests deeper than the limit.")
P110 = rule("P110", "merge-key", "parse", "warning", "A YAML 1.1 merge key (<<); YAML 1.2 readers do not merge.")
P111 = rule(
    "P111", "non-string-key", "parse", "error", "A mapping key that is not a string (e.g. an unquoted on: or 1:)."
)
P112 = rule("P112", "recursive-alias", "parse", "error", "An alias refers to a node that contains it.")
P113 = rule(
    "P113",
    "yaml11-line-break",
    "parse",
    "warning",
    "U+0085, U+2028 or U+2029 in front matter: a line break to YAML 1.1 (PyYAML), an ordinary character to "
    "YAML 1.2, so the two read the text around it differently.",
    fix="Replace the character with a space (or a real line break).",
)
P114 = rule(
    "P114",
    "scalar-kept-as-text",
    "parse",
    "error",
    "A value PyYAML cannot build (an impossible date, !!int abc, bad !!binary, a plain '='; yaml.safe_load "
    "refuses the document) or that clipqa will not (an integer of over 1,000 digits): kept as its text.",
    fix="Quote the value, or correct it.",
)
P115 = rule(
    "P115",
    "tag-kind-mismatch",
    "parse",
    "error",
    "A tag on the wrong kind of node (!!map on a sequence, !!str on a mapping) or a malformed !!omap, !!pairs "
    "or !!set: yaml.safe_load refuses the document; the value is ignored.",
)
P124 = rule(
    "P124",
    "field-too-long",
    "parse",
    "error",
    "A front-matter value or key is longer than the per-field length limit; only its start is checked.",
)

STR = "tag:yaml.org,2002:str"
MAP = "tag:yaml.org,2002:map"
SEQ = "tag:yaml.org,2002:seq"
BOOL = "tag:yaml.org,2002:bool"
INT = "tag:yaml.org,2002:int"
FLOAT = "tag:yaml.org,2002:float"
NULL = "tag:yaml.org,2002:null"
MERGE = "tag:yaml.org,2002:merge"
TIMESTAMP = "tag:yaml.org,2002:timestamp"
OMAP = "tag:yaml.org,2002:omap"
PAIRS = "tag:yaml.org,2002:pairs"
SET = "tag:yaml.org,2002:set"
VALUE = "tag:yaml.org,2002:value"
SAFE_SCALAR_TAGS = frozenset({STR, BOOL, INT, FLOAT, NULL, TIMESTAMP, "tag:yaml.org,2002:binary"})
# The collections PyYAML's safe loader builds. clipqa builds map and seq; the YAML 1.1 set,
# ordered map and pairs (a Python set, lists of tuples) are reported and ignored (P107).
SAFE_COLLECTION_TAGS = frozenset({MAP, SEQ, OMAP, PAIRS, SET})
_YAML11_COLLECTIONS = {  # what PyYAML builds, and what to write instead
    SET: ("a YAML 1.1 set: PyYAML builds a Python set", "write a sequence"),
    OMAP: ("a YAML 1.1 ordered map: PyYAML builds a list of (key, value) pairs", "write a mapping"),
    PAIRS: ("YAML 1.1 pairs: PyYAML builds a list of (key, value) pairs", "write a sequence of mappings"),
}

MAX_INT_CHARS = 1_000
_SC = yaml.constructor.SafeConstructor()
_RESOLVE: Any = yaml.resolver.Resolver().resolve  # the implicit tag a plain scalar would get
_PLAIN_TAGS: dict[str, str] = {}  # text -> _RESOLVE's tag for it; a per-process cache, shared on purpose
_SCALAR_BUILDERS = {tag: _SC.yaml_constructors[tag] for tag in SAFE_SCALAR_TAGS if tag != STR}


class _ComposeLoader(_Loader):
    """``CSafeLoader`` with a faster ``resolve`` (same answers), for composing only.

    libyaml's composer calls the pure-Python ``resolve`` once per node; it was a
    third of the compose time. Safe loading has no path resolvers, so the answer
    depends only on the node kind and, for plain scalars, the text, which repeats a
    lot across a corpus (``news``, ``article``, ``true``, provider names): memoise it.
    """

    def resolve(self, kind: Any, value: Any, implicit: Any) -> Any:
        if kind is yaml.ScalarNode:
            return _plain_tag(value) if implicit[0] else self.DEFAULT_SCALAR_TAG
        if kind is yaml.MappingNode:
            return self.DEFAULT_MAPPING_TAG
        return self.DEFAULT_SEQUENCE_TAG

    def descend_resolver(self, current_node: Any, current_index: Any) -> None:
        return None  # path resolvers only; safe loading has none

    def ascend_resolver(self) -> None:
        return None


_YAML12_BOOLS = frozenset({"true", "false", "True", "False", "TRUE", "FALSE"})


@dataclass(frozen=True, slots=True)
class Limits:
    max_depth: int = 64
    max_nodes: int = 200_000  # after alias expansion
    max_aliases: int = 1_000
    max_scalar_chars: int = 100_000  # per value or key; longer ones are cut to this length


@dataclass(slots=True)
class Issue:
    """A problem found while parsing, located in the YAML text (0-based line/col)."""

    code: str
    message: str
    line: int | None
    column: int | None
    field: str | None = None
    evidence: str | None = None
    first_line: int | None = None  # for duplicates: where the key first stood


@dataclass(slots=True)
class Parsed:
    data: Any
    node: yaml.Node | None
    issues: list[Issue] = field(default_factory=list)
    ok: bool = True  # False: the document could not be used at all
    fast: bool = False  # read by yaml-rs: ``node`` is None until ``compose_marks`` is called


class _Abort(Exception):
    def __init__(self, issue: Issue) -> None:
        self.issue = issue


def _mark(node: yaml.Node) -> tuple[int, int]:
    return node.start_mark.line, node.start_mark.column


_DEEP_INDENT = re.compile(r"[ \t\-?:]{1000}")  # at the start of a line: the text's, or after a newline
_DEEP_INDENT_LINE = re.compile(r"\n[ \t\-?:]{1000}")  # a literal first: scans fast (not so '^' in MULTILINE)


def _depth_guard(text: str, limits: Limits) -> Issue | None:
    """libyaml's composer recurses in C: ~100k nesting levels crash the process.

    Cheap screen first (a deep document needs many brackets or a very deep indent);
    only then count depth exactly from libyaml's event stream, which is iterative.
    """
    if len(text) < 2 * limits.max_depth:
        return None
    brackets = text.count("[") + text.count("{")
    if brackets < limits.max_depth and not _DEEP_INDENT.match(text) and not _DEEP_INDENT_LINE.search(text):
        return None
    depth = 0
    try:
        for event in yaml.parse(text, Loader=_Loader):
            if isinstance(event, (yaml.MappingStartEvent, yaml.SequenceStartEvent)):
                depth += 1
                if depth > limits.max_depth:
                    return Issue(
                        P109.code,
                        f"nesting deeper than {limits.max_depth} levels",
                        *_error_position(text, event.start_mark),
                    )
            elif isinstance(event, (yaml.MappingEndEvent, yaml.SequenceEndEvent)):
                depth -= 1
    except yaml.YAMLError:
        return None  # the real parse reports the syntax error with its mark
    return None


class _Builder:
    def __init__(self, limits: Limits) -> None:
        self.limits = limits
        self.issues: list[Issue] = []
        self.memo: dict[int, Any] = {}
        self.sizes: dict[int, int] = {}
        self.active: set[int] = set()
        self.aliases = 0

    # Expanded size, memoised per node so that a shared subtree is walked once.
    def size(self, node: yaml.Node, depth: int = 0) -> int:
        key = id(node)
        cached = self.sizes.get(key)
        if cached is not None:
            self.aliases += 1
            if self.aliases > self.limits.max_aliases:
                raise _Abort(Issue(P108.code, f"more than {self.limits.max_aliases} alias uses", *_mark(node)))
            return cached
        if key in self.active:
            raise _Abort(Issue(P112.code, "an alias refers to a node that contains it", *_mark(node)))
        if depth > self.limits.max_depth:
            raise _Abort(Issue(P109.code, f"nesting deeper than {self.limits.max_depth} levels", *_mark(node)))
        total = 1
        if isinstance(node, yaml.MappingNode):
            self.active.add(key)
            for k, v in node.value:
                total += self.size(k, depth + 1) + self.size(v, depth + 1)
            self.active.discard(key)
        elif isinstance(node, yaml.SequenceNode):
            self.active.add(key)
            for item in node.value:
                total += self.size(item, depth + 1)
            self.active.discard(key)
        if total > self.limits.max_nodes:
            raise _Abort(Issue(P108.code, f"aliases expand to more than {self.limits.max_nodes} nodes", *_mark(node)))
        self.sizes[key] = total
        return total

    def build(self, node: yaml.Node, path: str) -> Any:
        key = id(node)
        if key in self.memo:
            return self.memo[key]
        tag = node.tag
        if isinstance(node, yaml.ScalarNode):
            value = self.scalar(node, path)
        elif tag == MAP and isinstance(node, yaml.MappingNode):
            value = self.mapping(node, path)
        elif tag == SEQ and isinstance(node, yaml.SequenceNode):
            value = [
                item.value
                if item.__class__ is yaml.ScalarNode
                and item.tag == STR
                and len(item.value) <= self.limits.max_scalar_chars
                else self.build(item, f"{path}[{i}]")
                for i, item in enumerate(node.value)
            ]
        else:
            self.unbuilt_collection(node, path)
            value = None
        self.memo[key] = value
        return value

    def unknown_tag(self, node: yaml.Node, path: str) -> None:
        tag = _show_tag(node.tag)
        self.issues.append(
            Issue(P107.code, f"tag {tag} is not allowed; the value is ignored", *_mark(node), path or None, tag)
        )

    def unbuilt_collection(self, node: yaml.Node, path: str) -> None:
        """A mapping or sequence clipqa does not build (never built: reported, the value is None):
        an unknown or unsafe tag (``!!python/object/apply:os.system [...]``), a YAML 1.1 set,
        ordered map or pairs, or a tag PyYAML's safe loader refuses on this kind of node."""
        tag = node.tag
        if tag not in SAFE_COLLECTION_TAGS and tag not in SAFE_SCALAR_TAGS:
            self.unknown_tag(node, path)
            return
        shown = _show_tag(tag)
        problem = _collection_problem(node)
        if problem is None:  # a well-formed set, ordered map or pairs: PyYAML builds it, clipqa does not
            self.issues.append(
                Issue(
                    P107.code,
                    f"tag {shown} ({_YAML11_COLLECTIONS[tag][0]}) is not supported in front matter; "
                    f"the value is ignored: {_YAML11_COLLECTIONS[tag][1]}",
                    *_mark(node),
                    path or None,
                    shown,
                )
            )
            return
        self.issues.append(
            Issue(
                P115.code,
                f"{problem}: yaml.safe_load refuses the document; the value is ignored",
                *_mark(node),
                path or None,
                shown,
            )
        )

    def clip(self, node: yaml.ScalarNode, path: str, what: str) -> str:
        """The scalar's text, cut to the length limit (reported) so later checks stay bounded."""
        text: str = node.value
        limit = self.limits.max_scalar_chars
        if len(text) <= limit:
            return text
        self.issues.append(
            Issue(
                P124.code,
                f"{what} is {len(text):,} characters long, over the limit of {limit:,}; "
                f"only the first {limit:,} are checked",
                *_mark(node),
                path or None,
                text[:60],
            )
        )
        return text[:limit]

    def scalar(self, node: yaml.ScalarNode, path: str) -> Any:
        tag = node.tag
        if tag == STR:
            return self.clip(node, path, "value")
        builder = _SCALAR_BUILDERS.get(tag)
        if builder is None:
            return self.unbuilt_scalar(node, path)
        if len(node.value) > self.limits.max_scalar_chars:
            return self.clip(node, path, "value")  # kept as (cut) text; the schema reports the type
        if tag == INT and len(node.value) > MAX_INT_CHARS:
            # An integer too long to print (Python refuses str() past 4300 digits) or to
            # build in linear time (base 60): kept as text, reported here and by the type check.
            self.kept_as_text(
                node,
                path,
                f"an integer written with {len(node.value):,} characters is kept as text: clipqa builds "
                f"integers of up to {MAX_INT_CHARS:,} characters (PyYAML builds longer ones, and refuses "
                "the document past Python's limit of 4,300 digits)",
            )
            return node.value
        # libyaml says '' for plain scalars, the Python parser None. An explicit tag
        # (!!bool x) is not an implicit YAML 1.1 reading, so no P106 for it.
        plain = not node.style and _plain_tag(node.value) == tag
        if plain and tag == BOOL and node.value not in _YAML12_BOOLS:
            self.issues.append(
                Issue(
                    P106.code,
                    f"{shorten(node.value, 80)!r} is a boolean to YAML 1.1 (PyYAML) but a string to YAML 1.2; "
                    "write true/false or quote it",
                    *_mark(node),
                    path or None,
                    node.value,
                )
            )
        elif plain and tag in (INT, FLOAT) and ":" in node.value:
            self.issues.append(
                Issue(
                    P106.code,
                    f"{shorten(node.value, 80)!r} is a base-60 number to YAML 1.1 (PyYAML) but a string to YAML 1.2; "
                    "quote it",
                    *_mark(node),
                    path or None,
                    node.value,
                )
            )
        elif plain and tag == INT and _is_yaml11_octal(node.value):
            self.issues.append(
                Issue(
                    P106.code,
                    f"{shorten(node.value, 80)!r} is octal to YAML 1.1 (PyYAML) but decimal to YAML 1.2; "
                    "quote it or drop the leading 0",
                    *_mark(node),
                    path or None,
                    node.value,
                )
            )
        try:
            return builder(_SC, node)
        except Exception as exc:  # noqa: BLE001 - whatever PyYAML raises on one scalar, the value is its text
            # An impossible date (2021-02-30, 25:61), an integer past Python's digit
            # limit, an explicit tag on text that is not of its type ('!!int abc', an
            # empty '!!int' that PyYAML indexes into): yaml.safe_load raises, so the
            # document would not load at all. We keep the text and say so (the schema's
            # type check reports the field too).
            said = (getattr(exc, "problem", None) or str(exc)).strip()
            reason = shorten(said.splitlines()[0] if said else type(exc).__name__, 120)
            what = "a YAML timestamp that is not a real date or time" if plain else f"not a valid {_show_tag(tag)}"
            self.kept_as_text(
                node,
                path,
                f"{shorten(node.value, 80)!r} is {what} ({reason}): yaml.safe_load refuses the document; "
                "the value is kept as text",
            )
            return node.value

    def unbuilt_scalar(self, node: yaml.ScalarNode, path: str) -> Any:
        """A scalar whose tag has no safe builder: a collection tag (P115), a YAML 1.1 type
        PyYAML cannot build ('=' and '<<' as values: P114, kept as text), or an unknown
        or unsafe tag (P107, ignored)."""
        tag = node.tag
        if tag in SAFE_COLLECTION_TAGS:
            shown = _show_tag(tag)
            self.issues.append(
                Issue(
                    P115.code,
                    f"tag {shown} needs a {'sequence' if tag in (SEQ, OMAP, PAIRS) else 'mapping'}, not a scalar: "
                    "yaml.safe_load refuses the document; the value is ignored",
                    *_mark(node),
                    path or None,
                    shown,
                )
            )
            return None
        if not node.style and _plain_tag(node.value) == tag:  # implicit: '=' (!!value), '<<' (!!merge)
            self.kept_as_text(
                node,
                path,
                f"PyYAML reads {shorten(node.value, 80)!r} as the YAML 1.1 type {_show_tag(tag)}, which its safe "
                "loader cannot build: yaml.safe_load refuses the document; quote it (the value is kept as text)",
            )
            return self.clip(node, path, "value")
        self.unknown_tag(node, path)
        return None

    def kept_as_text(self, node: yaml.ScalarNode, path: str, message: str) -> None:
        self.issues.append(Issue(P114.code, message, *_mark(node), path or None, shorten(node.value, 80)))

    def mapping(self, node: yaml.MappingNode, path: str) -> dict[Any, Any]:
        result: dict[Any, Any] = {}
        seen: dict[Any, yaml.Node] = {}
        for key_node, value_node in node.value:
            if key_node.tag == MERGE:
                self.issues.append(
                    Issue(
                        P110.code,
                        "merge key '<<' (YAML 1.1 only); the mapping is not merged",
                        *_mark(key_node),
                        path or None,
                        "<<",
                    )
                )
                continue
            if not isinstance(key_node, yaml.ScalarNode) or key_node.tag != STR:
                shown = key_node.value if isinstance(key_node, yaml.ScalarNode) else type(key_node).__name__
                self.issues.append(
                    Issue(
                        P111.code,
                        f"key {shorten(str(shown), 80)!r} is read as {key_node.tag.rsplit(':', 1)[-1]}, "
                        "not a string; quote it",
                        *_mark(key_node),
                        path or None,
                        str(shown),
                    )
                )
                if not isinstance(key_node, yaml.ScalarNode):
                    continue
                key: Any = self.clip(key_node, path, "key")
            else:
                key = self.clip(key_node, path, "key")
            value_text = value_node.value
            if (
                value_node.__class__ is yaml.ScalarNode
                and value_node.tag == STR
                and key not in seen
                and len(value_text) <= self.limits.max_scalar_chars
            ):
                # The common case, inlined: a string value needs no path unless it has an issue.
                seen[key] = key_node
                result[key] = value_text
                continue
            child = f"{path}.{key}" if path else str(key)
            if key in seen:
                self.issues.append(
                    Issue(
                        P102.code,
                        f"duplicate key {shorten(str(key), 80)!r} (first at line {{first}}); the last value wins",
                        *_mark(key_node),
                        child,
                        str(key),
                        first_line=seen[key].start_mark.line,
                    )
                )
            seen[key] = key_node
            result[key] = self.build(value_node, child)
        return result


def _collection_problem(node: yaml.Node) -> str | None:
    """Why PyYAML's safe loader refuses this tag on this node, or None if it builds it
    (a set on a mapping; an ordered map or pairs on a sequence of one-key mappings)."""
    tag = node.tag
    shown = _show_tag(tag)
    kind = "mapping" if isinstance(node, yaml.MappingNode) else "sequence"
    if tag in SAFE_SCALAR_TAGS:
        return f"tag {shown} needs a scalar, not a {kind}"
    if tag in (MAP, SET):
        return None if kind == "mapping" else f"tag {shown} needs a mapping, not a {kind}"
    if kind == "mapping":  # !!seq, !!omap, !!pairs
        return f"tag {shown} needs a sequence, not a mapping"
    if tag == SEQ:
        return None
    for index, item in enumerate(node.value):
        if not isinstance(item, yaml.MappingNode):
            return f"item {index} of {shown} is not a mapping of one key"
        if len(item.value) != 1:
            return f"item {index} of {shown} has {len(item.value)} keys, not one"
    return None


def _show_tag(tag: str) -> str:
    return "!!" + tag[len("tag:yaml.org,2002:") :] if tag.startswith("tag:yaml.org,2002:") else tag


_OCTAL = re.compile(r"[-+]?0[0-7_]+\Z")


def _is_yaml11_octal(text: str) -> bool:
    return bool(_OCTAL.match(text))


# ---------------------------------------------------------------- fast path

# A document with any of these goes to the full path, where PyYAML's reading and our
# issues are exact. A false alarm costs only speed, so the screen is broad:
# - an anchor, alias or tag (a node that starts with & * !): alias limits, unsafe tags;
# - a merge key (<<), a directive (%) or a document marker (--- or ... on a line);
# - a tab (YAML 1.1 and 1.2 differ on where it may stand);
# - a number that starts with 0 and another digit or letter (0777 is octal to YAML 1.1,
#   decimal to 1.2; 0o17 is a number only to 1.2), has an exponent (1e3 and 1.0e3 are
#   strings to PyYAML, floats to 1.2), starts with a point (-.5 is a string to PyYAML) or
#   an underscore; _FastReader takes the numbers that pass as yaml-rs gives them;
# - a complex key (?), and in a flow collection what libyaml refuses and yaml-rs reads
#   (see _FLOW_COLON, _FLOW_BLOCK_INDICATOR, _flow_spans_lines).
# Each pattern starts with one literal character (the regex engines scan for it fast) and
# looks behind only from there: a screen that tried an alternation at every position cost
# more than yaml-rs's whole parse, and so did a pattern that starts with a character class.
# A number (or a leading underscore, which yaml-rs drops: it reads _1 as 1, PyYAML as '_1')
# is screened where a plain scalar can begin: after white space, [ { or , (the start of a
# line is after a newline), after a quoted key's colon ("a":0777), or at the text's start.
_NODE_START = r"""(?:^|[\s\[{,]|["']:)"""  # where a scalar can begin (the regex module's form)
_SPECIAL = regex.compile(r"[&*!](?<=(?:^|[\s\[\]{},]|[\"']:)[&*!])", regex.MULTILINE)  # anchor, alias, tag
# A complex key (? at a scalar's start): libyaml and yaml-rs part ways on it in flow style.
_COMPLEX_KEY = regex.compile(r"\?(?<=(?:^|[\s\[\]{},]|[\"']:)\?)", regex.MULTILINE)
# A directive or a document marker on a line; or a line indented past 1000 characters,
# which _depth_guard would look at (declined here, so the fast path counts brackets only).
_LINE_SCREEN = re.compile(r"\n(?:%|---|\.\.\.|[ \t\-?:]{1000})")


def _at_node_start(first: str, then: str = "") -> re.Pattern[str]:
    """``first`` (then ``then``) where a scalar begins, maybe after a sign; for ``re``,
    whose look-behinds have a fixed width: one per width. The text's start is apart."""
    c = re.escape(first)
    behind = "|".join(f"(?<={ctx}{c})" for ctx in (r"[\s\[{,]", r"[\s\[{,][-+]", r"[\"']:", r"[\"']:[-+]"))
    return re.compile(f"{c}(?:{behind}){then}")


_NUMBER_SCREENS = (
    _at_node_start("0", "[0-9A-Za-z_]"),  # 0777, 0o17, 0x1F
    _at_node_start(".", "[0-9_]"),  # .5, -.5, ._5
    _at_node_start("_"),  # _1, -_1
)
_NUMBER_AT_START = re.compile(r"[-+]?(?:0[0-9A-Za-z_]|\.[0-9_]|_)")
# 1e3, 1.0e3, 1.0e+3 (and 1_e3, 1e_3: yaml-rs drops underscores): an e after a digit, point
# or underscore and before a digit, then the exact test of the whole number from there.
_EXPONENT_HINTS = (re.compile(r"e(?<=[0-9._]e)[-+_]*[0-9]"), re.compile(r"E(?<=[0-9._]E)[-+_]*[0-9]"))
_EXPONENT = regex.compile(  # at an e: a number starts before it, where a scalar can begin
    r"[eE](?<=" + _NODE_START + r"[-+]?(?:[0-9][0-9_]*\.?[0-9_]*|\.[0-9_]+)[eE])", regex.MULTILINE
)


# In a flow collection, a colon right before , ? [ ] { } or another colon (libyaml's rule),
# or one that starts a scalar ([x:], [:e], {x: :e}): yaml-rs reads them, libyaml refuses.
_FLOW_COLON = re.compile(r":(?:[,?\[\]{}:]|(?<=[\s\[{,]:)\S)")
# In a flow collection, | or > where a scalar begins: libyaml refuses them, yaml-rs reads text.
_FLOW_BLOCK_INDICATOR = re.compile(r"[|>](?:(?<=[\s\[{,][|>])|(?<=[\"']:[|>]))")
_FLOW_LINE = re.compile(r"[\[{][^\n]*")  # from a line's first [ or { to its end


def _flow_spans_lines(text: str) -> bool:
    """A [ or { not closed on its line (or a stray closer): a flow collection over several
    lines, where yaml-rs reads keys and plain scalars libyaml refuses. Brackets inside
    quotes count too (a false alarm costs only speed)."""
    for part in _FLOW_LINE.findall(text):
        if part.count("[") + part.count("{") != part.count("]") + part.count("}"):
            return True
        depth = 0
        for char in part:
            if char in "[{":
                depth += 1
            elif char in "]}":
                depth -= 1
                if depth < 0:
                    return True
    return False


# Characters the fast path declines: libyaml refuses them (C0 controls, DEL, C1 controls,
# U+FFFE, U+FFFF, lone surrogates: P101), reads them as line breaks where yaml-rs does not
# (U+0085 NEL, U+2028, U+2029: P113), or skips them where yaml-rs keeps them (U+FEFF, a BOM
# at the start of a line); and tab and CR (YAML 1.1 and 1.2 differ on tabs; clipqa's reader
# turns CRs into LFs). One C-level pass finds the one-byte ones in the UTF-8 text: a table
# maps each byte to 1, or 0 if declined. sre would scan at ~2 ns a character, 5x slower.
_DECLINED_BYTES = bytes(0 if (b < 0x20 and b != 0x0A) or b == 0x7F else 1 for b in range(256))
_C1_UTF8 = re.compile(rb"\xc2[\x80-\x9f]")  # U+0080-U+009F in UTF-8: a literal first, found fast


def _declined_characters(text: str) -> bool:
    try:
        raw = text.encode("utf-8")  # for ASCII text a copy; it is what most front matter is
    except UnicodeEncodeError:  # a lone surrogate
        return True
    if 0 in raw.translate(_DECLINED_BYTES):
        return True
    if text.isascii():  # O(1): CPython knows
        return False
    # ``in`` on a str scans with memchr: five of them cost less than one regex pass.
    return (
        (b"\xc2" in raw and _C1_UTF8.search(raw) is not None)
        or "\u2028" in text
        or "\u2029" in text
        or "\ufeff" in text
        or "\ufffe" in text
        or "\uffff" in text
    )


def _needs_full_path(text: str) -> bool:
    # "<" first: searching for a 2-character needle costs more than for a character
    if ("<" in text and "<<" in text) or text.startswith(("%", "---", "...")) or _declined_characters(text):
        return True
    if _LINE_SCREEN.search(text) is not None or _DEEP_INDENT.match(text) is not None:
        return True
    if ("&" in text or "*" in text or "!" in text) and _SPECIAL.search(text) is not None:
        return True
    if "?" in text and _COMPLEX_KEY.search(text) is not None:
        return True
    if ("[" in text or "{" in text) and (
        _FLOW_COLON.search(text) is not None
        or (("|" in text or ">" in text) and _FLOW_BLOCK_INDICATOR.search(text) is not None)
        or _flow_spans_lines(text)
    ):
        return True
    if _NUMBER_AT_START.match(text) is not None:
        return True
    for screen in _NUMBER_SCREENS:
        if screen.search(text) is not None:
            return True
    for hint in _EXPONENT_HINTS:
        for m in hint.finditer(text):
            if _EXPONENT.match(text, m.start()) is not None:
                return True
    return False


_QUOTED_DIGIT = re.compile(r'"[0-9]')
_SINGLE_QUOTED_DIGIT = re.compile(r"'[0-9]")
# A block scalar header (| or > with its indicators) at the end of a line.
_BLOCK_SCALAR = regex.compile(r"[|>](?<=(?:^|\s)[|>])[-+0-9]*[ \t]*(?:#.*)?$", regex.MULTILINE)
# First characters of the texts PyYAML's resolver may give a type other than string ('' is
# null): any other text is a string without asking it (its resolve() looks up the same table).
_IMPLICIT_FIRST = frozenset(yaml.resolver.Resolver.yaml_implicit_resolvers) | {""}
# ... and a newline: an empty block scalar ('a: |' and nothing) is '\n' to yaml-rs, '' to
# PyYAML, so the reader declines every text that starts with a newline (they are rare).
_CHECK_FIRST = _IMPLICIT_FIRST | {"\n"}


_FAST_INT_LIMIT = 10 ** (MAX_INT_CHARS - 1)
# The usual spelling of a timestamp (ISO 8601, 'T', seconds, a zone): PyYAML's resolver makes
# it a timestamp and datetime.fromisoformat builds the value PyYAML's constructor builds, or
# refuses it (tests/test_yaml_fastpath.py proves both). Any other spelling goes to PyYAML.
_ISO_TIMESTAMP = re.compile(
    r"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(?:\.[0-9]{1,6})?(?:Z|[-+][0-9]{2}:[0-9]{2})\Z"
)


class _Decline(Exception):
    """The fast path steps aside for this document."""


def _plain_tag(text: str) -> str:
    """The tag PyYAML gives ``text`` written as a plain scalar: memoised, for the composer
    (see ``_ComposeLoader``) and the fast path alike."""
    tag = _PLAIN_TAGS.get(text)
    if tag is None:
        tag = _RESOLVE(yaml.ScalarNode, text, (True, False))
        if len(_PLAIN_TAGS) > 100_000:
            _PLAIN_TAGS.clear()
        _PLAIN_TAGS[text] = tag
    return tag


# Short texts already found to be strings to PyYAML, written plain (a per-process cache,
# like _PLAIN_TAGS): front matter repeats the same few keys and many values (news, article,
# a provider's name), so most of them are one set lookup.
_PLAIN_CHARS = 100  # longer texts are not remembered (the length limit may be lower)
_PLAIN: set[str] = set()
_NOTHING: frozenset[str] = frozenset()


def _remember_plain(text: str) -> None:
    if len(text) <= _PLAIN_CHARS:
        if len(_PLAIN) > 10_000:
            _PLAIN.clear()
        _PLAIN.add(text)


def _check_key(key: Any, max_chars: int) -> None:
    """A mapping key the fast path takes: a string, within the length limit, that PyYAML
    would read as a string if written plain (``on``, ``1``, ``2021-12-28`` are not)."""
    if key.__class__ is not str or len(key) > max_chars:
        raise _Decline
    if key[:1] in _CHECK_FIRST and (key[:1] == "\n" or _plain_tag(key) != STR):
        raise _Decline
    _remember_plain(key)


class _FastReader:
    """yaml-rs's value (read with ``parse_datetime=False``) -> PyYAML's value, or _Decline.

    Strings: PyYAML would read the same text, written plain, as a string (``yes``, ``1:20``,
    ``1_000`` are not: decline); a quoted ``"true"`` declines too and merely takes the full
    path. A string PyYAML would read as a timestamp was a plain timestamp, unless the
    document could have written it otherwise (quoted, escaped, or as a block scalar: then
    decline), and is built by PyYAML's own constructor, so dates mean what they mean on the
    full path. Keys must be plain strings. Numbers that read differently were screened out of
    the text. Depth and length limits are checked here; sizes cannot blow up without aliases.
    """

    def __init__(self, text: str, limits: Limits) -> None:
        self.text = text
        self.limits = limits
        self.timestamps_ok: bool | None = None  # decided on the first timestamp
        self.quoted_digit = True  # a quote right before a digit somewhere (decided with timestamps_ok)

    def value(self, current: Any, depth: int) -> Any:
        kind = current.__class__
        if kind is dict:
            return self.mapping(current, depth)
        if kind is list:
            return self.sequence(current, depth)
        if kind is str:
            return self.string(current)
        return self.scalar(current)

    # Strings are most of the values: a string that cannot have an implicit type and is
    # within the length limit is taken as it is, without a call. yaml-rs's containers are
    # new and not shared (no aliases pass the screen), so they are checked and kept in
    # place, not copied; only a timestamp replaces its text.

    def mapping(self, current: dict[Any, Any], depth: int) -> dict[str, Any]:
        if depth > self.limits.max_depth or (current and depth + 1 > self.limits.max_depth):
            raise _Decline  # the full path reports the depth
        max_chars = self.limits.max_scalar_chars
        known = _PLAIN if max_chars >= _PLAIN_CHARS else _NOTHING
        for key, item in current.items():
            if key not in known:
                _check_key(key, max_chars)
            kind = item.__class__
            if kind is str:
                if (item[:1] in _CHECK_FIRST and item not in known) or len(item) > max_chars:
                    current[key] = self.string(item)  # a new value for a key: the size stays
            elif kind is dict:
                self.mapping(item, depth + 1)
            elif kind is list:
                self.sequence(item, depth + 1)
            elif kind is not bool and item is not None:
                self.scalar(item)
        return current

    def sequence(self, current: list[Any], depth: int) -> list[Any]:
        if depth > self.limits.max_depth or (current and depth + 1 > self.limits.max_depth):
            raise _Decline
        max_chars = self.limits.max_scalar_chars
        known = _PLAIN if max_chars >= _PLAIN_CHARS else _NOTHING
        for index, item in enumerate(current):
            kind = item.__class__
            if kind is str:
                if (item[:1] in _CHECK_FIRST and item not in known) or len(item) > max_chars:
                    current[index] = self.string(item)
            elif kind is dict:
                self.mapping(item, depth + 1)
            elif kind is list:
                self.sequence(item, depth + 1)
            elif kind is not bool and item is not None:
                self.scalar(item)
        return current

    def scalar(self, current: Any) -> Any:
        kind = current.__class__
        if kind is int or kind is float:
            # yaml-rs and PyYAML give a number the same value unless it is spelt in one of
            # the ways the screen sends to the full path (0777, 0o17, .5, -.5, 1e3, _1);
            # tests/test_yaml_fastpath.py tries every short spelling, in every position.
            if kind is int and not -_FAST_INT_LIMIT < current < _FAST_INT_LIMIT:
                raise _Decline  # too long to print (Python's digit limit): the full path keeps the text
            return current
        if kind is bool or current is None:
            return current
        raise _Decline

    def string(self, text: str) -> Any:
        """The value PyYAML gives this string (itself, or a date), or _Decline."""
        if len(text) > self.limits.max_scalar_chars:
            raise _Decline
        if text[:1] not in _CHECK_FIRST:  # no implicit type starts with this character
            return text
        if text[:1] == "\n":
            raise _Decline
        if _ISO_TIMESTAMP.match(text) is not None:  # a timestamp to PyYAML (tested): skip its resolver
            return self.timestamp(text, iso=True)
        tag = _plain_tag(text)
        if tag == STR:
            _remember_plain(text)
            return text
        if tag == TIMESTAMP:
            return self.timestamp(text)
        raise _Decline

    def timestamp(self, text: str, iso: bool = False) -> Any:
        if self.timestamps_ok is None:
            text_ = self.text
            self.timestamps_ok = "\\" not in text_ and (
                ("|" not in text_ and ">" not in text_) or _BLOCK_SCALAR.search(text_) is None
            )
            # A timestamp starts with a digit: without a quote before any digit, none is quoted.
            self.quoted_digit = _QUOTED_DIGIT.search(text_) is not None or (
                "'" in text_ and _SINGLE_QUOTED_DIGIT.search(text_) is not None
            )
        if not self.timestamps_ok or (self.quoted_digit and (f'"{text}"' in self.text or f"'{text}'" in self.text)):
            raise _Decline
        if iso:
            try:
                return datetime.datetime.fromisoformat(text)  # what PyYAML builds (tested), ~20x faster
            except ValueError:
                pass  # an impossible date or time: PyYAML's constructor decides, as ever
        try:
            return _SCALAR_BUILDERS[TIMESTAMP](_SC, yaml.ScalarNode(TIMESTAMP, text))
        except Exception:  # noqa: BLE001 - an impossible date: the full path keeps the text and says why (P114)
            raise _Decline from None


def _fast_parse(text: str, limits: Limits) -> Parsed | None:
    """The document read by yaml-rs, if that is certain to equal the full path; else None."""
    if not FAST_PARSER or _needs_full_path(text):
        return None
    if (
        len(text) >= 2 * limits.max_depth
        and text.count("[") + text.count("{") >= limits.max_depth  # no deep indent: the screen saw none
        and _depth_guard(text, limits) is not None
    ):
        return None  # the full path reports it
    try:
        raw = yaml_rs.loads(text, parse_datetime=False)
    except Exception:  # noqa: BLE001 - a syntax error, a duplicate key: the full path says which, where
        return None
    if raw.__class__ is not dict and raw.__class__ is not list:
        # A scalar at the root (not front matter: P105 either way): yaml-rs reads a block
        # scalar at column 0 that libyaml refuses, so the full path says what it is.
        return None
    try:
        data = _FastReader(text, limits).value(raw, 0)
    except Exception:  # noqa: BLE001 - _Decline, or anything unforeseen: the full path is the reference
        return None
    return Parsed(data, None, [], ok=True, fast=True)


def top_key_lines(text: str, keys: list[str]) -> dict[str, int] | None:
    """0-based line of each top-level key of a fast-path document, without composing it.

    In a block mapping at the document's top level every entry starts a line at column 0,
    and nothing else there does but comments and blank lines (values, continuation lines
    and block scalars are indented). The answer is checked against yaml-rs's reading: as
    many such lines as keys, each starting with its key, in order; otherwise None (compose
    instead: a flow mapping, a compact sequence at column 0, a quoted key with escapes).
    """
    starts: list[int] = []
    lines = text.split("\n")
    for number, line in enumerate(lines):
        if line and line[0] not in " #":
            starts.append(number)
            if len(starts) > len(keys):
                return None
    if len(starts) != len(keys):
        return None
    out: dict[str, int] = {}
    for number, key in zip(starts, keys, strict=True):
        line = lines[number]
        rest = None
        for written in (key, f'"{key}"', f"'{key}'"):
            if line.startswith(written):
                rest = line[len(written) :].lstrip(" ")
                break
        if rest is None or not rest.startswith(":"):
            return None
        out[key] = number
    return out


def top_key_mark(node: yaml.Node | None, key: str) -> tuple[int, int] | None:
    """0-based (line, column) of a top-level key in a composed document (the last of
    duplicates, whose value the loader keeps), or None."""
    if not isinstance(node, yaml.MappingNode):
        return None
    for k, _v in reversed(node.value):
        if isinstance(k, yaml.ScalarNode) and k.value == key:
            return _mark(k)
    return None


def compose_marks(text: str) -> yaml.Node | None:
    """The composed document of a fast-path text, for line marks only.

    The fast path declines whatever libyaml refuses (the differential tests say so), so
    this does not fail on its texts; if it ever did, it raises ``yaml.YAMLError`` (or
    ``RecursionError``) rather than return None: ``corpus.Record.node`` reports it."""
    return _compose(text)


def _compose(text: str) -> yaml.Node | None:
    """libyaml's composed document, its marks on the text's real lines (see _RealLines)."""
    node = yaml.compose(text, Loader=_ComposeLoader)
    if node is not None and _has_yaml11_break(text):
        _RealLines(text).fix_marks(node)
    return node


# Line breaks to YAML 1.1 (libyaml, PyYAML) only; YAML 1.2 reads them as ordinary characters.
_YAML11_BREAKS = {
    "\x85": "U+0085 NEXT LINE (NEL)",
    "\u2028": "U+2028 LINE SEPARATOR",
    "\u2029": "U+2029 PARAGRAPH SEPARATOR",
}
_YAML11_BREAK = re.compile("[\x85\u2028\u2029]")


def _has_yaml11_break(text: str) -> bool:
    return "\x85" in text or "\u2028" in text or "\u2029" in text  # memchr scans, not one sre pass


class _RealLines:
    """libyaml counts U+0085, U+2028 and U+2029 as line breaks; a file's lines (an editor's,
    clipqa's, YAML 1.2's) are ended by LF, CRLF or CR only. A mark's index is in characters,
    so the real line and column follow from it."""

    _BREAK = re.compile(r"\r\n?|\n")

    def __init__(self, text: str) -> None:
        self.starts = [0, *(m.end() for m in self._BREAK.finditer(text))]

    def position(self, index: int) -> tuple[int, int]:
        line = bisect.bisect_right(self.starts, index) - 1
        return line, index - self.starts[line]

    def mark(self, mark: Any) -> Any:
        line, column = self.position(mark.index)
        return yaml.Mark(mark.name, mark.index, line, column, mark.buffer, mark.pointer)

    def fix_marks(self, root: yaml.Node) -> None:
        seen: set[int] = set()
        stack = [root]
        while stack:
            node = stack.pop()
            if id(node) in seen:
                continue
            seen.add(id(node))
            node.start_mark = self.mark(node.start_mark)
            node.end_mark = self.mark(node.end_mark)
            if isinstance(node, yaml.MappingNode):
                for key, value in node.value:
                    stack.extend((key, value))
            elif isinstance(node, yaml.SequenceNode):
                stack.extend(node.value)


def _error_position(text: str, mark: Any) -> tuple[int | None, int | None]:
    if mark is None:
        return None, None
    if _has_yaml11_break(text):
        return _RealLines(text).position(mark.index)
    return mark.line, mark.column


# What libyaml's reader refuses anywhere in a document ("control characters are not
# allowed"): all but YAML's printable characters (c-printable: tab, LF, CR, U+0020-U+007E,
# U+0085, U+00A0-U+D7FF, U+E000-U+FFFD, U+10000 and up).
_NOT_YAML_CHAR = re.compile("[^\t\n\r\x20-\x7e\x85\xa0-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def _character_issues(text: str) -> tuple[list[Issue], bool]:
    """Issues for characters YAML 1.1 reads otherwise (P113) or refuses (P101, fatal):
    located at the first such character, counting the others."""
    issues: list[Issue] = []
    if _has_yaml11_break(text):
        found = _YAML11_BREAK.findall(text)
        first = _YAML11_BREAK.search(text)
        assert first is not None
        line, column = _RealLines(text).position(first.start())
        more = f" ({len(found) - 1} more in the front matter)" if len(found) > 1 else ""
        issues.append(
            Issue(
                P113.code,
                f"{_YAML11_BREAKS[first.group()]} is a line break to YAML 1.1 (PyYAML), which reads the text "
                f"on either side of it as two lines, and an ordinary character to YAML 1.2; the values are "
                f"PyYAML's{more}",
                line,
                column,
                evidence=_around(text, first.start()),
            )
        )
    if not _declined_characters(text):  # the usual case: one C-level pass
        return issues, False
    bad = _NOT_YAML_CHAR.search(text)
    if bad is None:  # tab, CR, NEL, U+2028/9, U+FEFF: YAML allows them
        return issues, False
    count = len(_NOT_YAML_CHAR.findall(text))
    line, column = _RealLines(text).position(bad.start())
    more = f" ({count - 1} more in the front matter)" if count > 1 else ""
    issues.append(
        Issue(
            P101.code,
            f"{_describe_character(bad.group())} is not allowed in YAML: PyYAML refuses the document{more}",
            line,
            column,
            evidence=_around(text, bad.start()),
        )
    )
    return issues, True


def _describe_character(char: str) -> str:
    code = ord(char)
    if code == 0:
        return "NUL (U+0000)"
    if code < 0x20 or code == 0x7F:
        return f"control character U+{code:04X}"
    if code < 0xA0:
        try:
            meant = bytes([code]).decode("cp1252")
        except UnicodeDecodeError:
            return f"C1 control character U+{code:04X}"
        return (
            f"C1 control character U+{code:04X} (in scraped text, Windows-1252 decoded as Latin-1: "
            f"it stands for {meant!r} U+{ord(meant):04X})"
        )
    if 0xD800 <= code <= 0xDFFF:
        return f"lone surrogate U+{code:04X} (not a character: broken UTF-16, or bytes kept by surrogateescape)"
    return f"noncharacter U+{code:04X}"


def _around(text: str, index: int) -> str:
    return repr(text[max(0, index - 20) : index + 20])


def parse_yaml(text: str, limits: Limits = Limits(), line_offset: int = 0, fast: bool = True) -> Parsed:
    """Compose and construct one YAML document. Never raises on bad input.

    Issue lines and columns come back 1-based, with ``line_offset`` added to lines
    (the number of file lines before the YAML text). ``fast``: try the yaml-rs path
    first (see the module doc); its result has no ``node``: compose with ``compose_marks``.
    """
    if fast:
        quick = _fast_parse(text, limits)
        if quick is not None:
            return quick
    parsed = _parse(text, limits)
    for issue in parsed.issues:
        if issue.line is not None:
            issue.line += 1 + line_offset
        if issue.column is not None:
            issue.column += 1
        if issue.first_line is not None:
            issue.first_line += 1 + line_offset
            issue.message = issue.message.replace("{first}", str(issue.first_line))
    return parsed


def _parse(text: str, limits: Limits) -> Parsed:
    issues, refused = _character_issues(text)
    if refused:
        return Parsed(None, None, issues, ok=False)
    guard = _depth_guard(text, limits)
    if guard is not None:
        return Parsed(None, None, [*issues, guard], ok=False)
    try:
        node = _compose(text)
    except yaml.MarkedYAMLError as exc:
        return Parsed(None, None, [*issues, _syntax_issue(text, exc)], ok=False)
    except yaml.YAMLError as exc:  # not raised for str input (the reader's errors are screened above)
        return Parsed(None, None, [*issues, Issue(P101.code, str(exc).splitlines()[0], 0, 0)], ok=False)
    except RecursionError:
        return Parsed(None, None, [*issues, Issue(P109.code, "nesting too deep to compose", 0, 0)], ok=False)
    if node is None:
        return Parsed(None, None, issues, ok=True)
    builder = _Builder(limits)
    builder.issues.extend(issues)
    try:
        if _alias_free_and_small(text, limits):
            # Without aliases the expanded size is the node count, bounded by the text
            # length, so only depth can break a limit: check that in one cheap walk.
            if _depth(node, limits.max_depth) > limits.max_depth:
                builder.size(node)  # raises the same issue, at the same node, as ever
        else:
            builder.size(node)
        data = builder.build(node, "")
    except _Abort as abort:
        return Parsed(None, node, [*builder.issues, abort.issue], ok=False)
    except RecursionError:  # pragma: no cover - size() bounds depth first
        return Parsed(None, node, [Issue(P109.code, "nesting too deep", None, None)], ok=False)
    return Parsed(data, node, builder.issues, ok=True)


def _syntax_issue(text: str, exc: yaml.MarkedYAMLError) -> Issue:
    mark = exc.problem_mark or exc.context_mark
    problem = exc.problem or str(exc)
    first = None
    if exc.context:
        ctx_line = _error_position(text, exc.context_mark)[0]
        if ctx_line is not None and mark is not None and ctx_line != _error_position(text, mark)[0]:
            first = ctx_line
            problem = f"{problem} ({exc.context} that starts at line {{first}})"
        else:
            problem = f"{problem} ({exc.context})"
    # libyaml 0.2.5 as bundled with PyYAML 6.0.3+ refuses deep nesting itself.
    code = P109.code if "maximum nesting depth" in problem else P101.code
    line, column = _error_position(text, mark)
    return Issue(code, problem, line, column, first_line=first)


def _alias_free_and_small(text: str, limits: Limits) -> bool:
    # Every node takes at least one character (a null between two separators: two), so
    # a text under half the node limit cannot exceed it without aliases ('*name').
    return "*" not in text and 2 * len(text) + 4 < limits.max_nodes


def _depth(node: yaml.Node, limit: int) -> int:
    """Nesting depth of ``node`` as ``_Builder.size`` counts it (stops past ``limit``)."""
    deepest = 0
    stack: list[tuple[yaml.Node, int]] = [(node, 0)]
    while stack:
        current, depth = stack.pop()
        if depth > deepest:
            deepest = depth
            if deepest > limit:
                return deepest
        value = current.value
        if isinstance(current, yaml.MappingNode):
            for k, v in value:
                if not isinstance(k, yaml.ScalarNode):
                    stack.append((k, depth + 1))
                if not isinstance(v, yaml.ScalarNode):
                    stack.append((v, depth + 1))
                elif depth + 1 > deepest:
                    deepest = depth + 1
        elif isinstance(current, yaml.SequenceNode):
            for item in value:
                if not isinstance(item, yaml.ScalarNode):
                    stack.append((item, depth + 1))
                elif depth + 1 > deepest:
                    deepest = depth + 1
    return deepest


_PATH_PART = re.compile(r"([^.\[\]]+)|\[(\d+)\]")


def split_field(field_path: str) -> list[str | int]:
    """``related[1].provider.domain`` -> ``['related', 1, 'provider', 'domain']``."""
    parts: list[str | int] = []
    for name, index in _PATH_PART.findall(field_path):
        parts.append(int(index) if index else name)
    return parts


def locate(node: yaml.Node | None, field_path: str | None) -> tuple[int, int] | None:
    """0-based (line, column) of a field in a composed document.

    Points at the key of a mapping entry (where a person looks), at the item of a
    sequence, or, for a field that is missing, at the deepest parent that exists.
    """
    if node is None:
        return None
    best = _mark(node)
    if not field_path:
        return best
    current: yaml.Node = node
    for part in split_field(field_path):
        if isinstance(part, int) and isinstance(current, yaml.SequenceNode):
            if part >= len(current.value):
                return best
            current = current.value[part]
            best = _mark(current)
        elif isinstance(part, str) and isinstance(current, yaml.MappingNode):
            for k, v in reversed(current.value):  # the last duplicate is the value in force
                if isinstance(k, yaml.ScalarNode) and k.value == part:
                    best = _mark(k)
                    current = v
                    break
            else:
                return best
        else:
            return best
    return best


def loader_notice() -> str | None:
    if LIBYAML:
        return None
    return "libyaml is not available: PyYAML's pure-Python loader is used (about 10x slower)"


__all__ = [
    "FAST_PARSER",
    "LIBYAML",
    "Issue",
    "Limits",
    "Parsed",
    "compose_marks",
    "loader_notice",
    "locate",
    "parse_yaml",
    "split_field",
    "top_key_lines",
    "top_key_mark",
]

if __name__ == "__main__":  # pragma: no cover
    print(parse_yaml(sys.stdin.read()))
