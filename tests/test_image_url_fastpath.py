"""image_url's per-record fast paths agree with the slow paths they short-cut.

* ``syntax_problem`` decides a plain http(s) URL by a pattern and the (cached) host check;
  ``_syntax_problem`` is the full parse it must agree with, on any string.
* ``image_items`` walks only the keys that can lead to an image (a plan per schema); the
  reference below is the walk over every key that it replaced.
* ``check_record`` skips the finding generator for an image with a good URL and sizes.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from hypothesis import example, given, settings
from hypothesis import strategies as st

from qa.checks import Context
from qa.checks.image_url import OPTIONS, _syntax_problem, check_record, image_findings, image_items, syntax_problem
from qa.corpus import Record
from qa.schema import MappingSpec, Schema, TableSpec, load_schema
from qa.urls import AllowList

# -- URL syntax -------------------------------------------------------------------------

LABEL_CHARS = "abcXYZ019-_.~%:@[]é\u00a0\u200b ẞ"
PATH_CHARS = "aZ09-._~/%=&+?#:;,!*'()@[]\\ \t\x00é\u2028\"<>{|}^`\u202e"


def _label() -> st.SearchStrategy[str]:
    return st.one_of(
        st.text(alphabet=LABEL_CHARS, min_size=0, max_size=8),
        st.sampled_from(["xn--", "xn--abc", "xn--80ak6aa92e", "ab--cd", "-a", "a-", "1", "999", "a" * 64, "ß"]),
        # numeric and local-only hosts (I114), user-info (I113)
        st.sampled_from(["0x7f", "127", "10", "2130706433", "localhost", "internal", "u:p@img", "tok@img"]),
    )


@st.composite
def urls(draw: st.DrawFn) -> str:
    scheme = draw(st.sampled_from(["http", "https", "HTTP", "Https", "ftp", "javascript", "data", "file", ""]))
    sep = draw(st.sampled_from(["://", "://", ":/", ":", "//", ""]))
    labels = draw(st.lists(_label(), min_size=1, max_size=4))
    host = ".".join(labels)
    port = draw(st.sampled_from(["", "", ":80", ":0", ":99999", ":x"]))
    path = draw(st.text(alphabet=PATH_CHARS, max_size=12))
    lead = draw(st.sampled_from(["", "", " ", "\t"]))
    return f"{lead}{scheme}{sep}{host}{port}{'/' if path and not path.startswith('/') else ''}{path}"


@settings(max_examples=3000, deadline=None)
@given(st.one_of(urls(), st.text(max_size=40)))
@example("https://img.example.com/a/photo.jpg")
@example("https://a..b/x")
@example("https://-a.com/")
@example("https://xn--zz.com/")
@example("https://1.2.3.4/x.jpg")
@example("https://999.999.999.999/x.jpg")
@example("https://" + "a" * 64 + ".com/")
@example("https://example.com./x")
@example("HTTPS://EXAMPLE.COM/X?a=1&b=%zz")
@example("https://example.com?x")
@example("https://ab--cd.com/")
def test_syntax_fast_path_equals_full_parse(url: str) -> None:
    assert syntax_problem(url) == _syntax_problem(url)


# -- the walk ---------------------------------------------------------------------------


def _field(prefix: str, name: str) -> str:
    return f"{prefix}.{name}" if prefix else name


def reference_items(schema: Schema, data: Mapping[str, Any]) -> Iterator[tuple[str, Mapping[str, Any]]]:
    """The walk ``image_items`` replaced: every key of every level, in the record's order."""
    yield from _walk(schema, schema.tables["clippings"].root, "", "", data)


def _walk(
    schema: Schema, level: MappingSpec, prefix: str, column_prefix: str, data: Mapping[str, Any]
) -> Iterator[tuple[str, Mapping[str, Any]]]:
    for key, value in data.items():
        if key in level.columns:
            continue
        if key in level.mappings:
            if isinstance(value, dict):
                yield from _walk(schema, level.mappings[key], prefix, f"{column_prefix}{key}.", value)
        elif key in level.children:
            if not isinstance(value, list):
                continue
            child = level.children[key]
            field_path = _field(prefix, f"{column_prefix}{key}")
            for i, item in enumerate(value):
                if not isinstance(item, dict):
                    continue
                item_path = f"{field_path}[{i}]"
                if child == "images":
                    yield item_path, item
                spec = schema.tables.get(child)
                if spec is not None:
                    yield from _walk(schema, spec.root, item_path, "", item)


def _table(name: str, root: MappingSpec) -> TableSpec:
    return TableSpec(name, "", "", "error", root, {}, {}, [])


def odd_schema() -> Schema:
    """Nesting the default schema does not have: images under a mapping, a table that contains
    itself, a key that is both a column and a child (the column wins), a key both a mapping
    and a child (the mapping wins), a child table the schema does not define."""
    clippings = MappingSpec(
        columns={"title": None, "shadow": None},  # type: ignore[dict-item]
        mappings={
            "provider": MappingSpec(children={"images": "images", "logo": "images"}),
            "both": MappingSpec(children={"images": "images"}),
            "plain": MappingSpec(),
        },
        children={
            "images": "images",
            "related": "related",
            "gallery": "related",
            "shadow": "images",
            "both": "images",
            "ghost": "nowhere",
            "plain": "images",
        },
    )
    related = MappingSpec(children={"images": "images", "more": "related"}, mappings={"m": MappingSpec()})
    images = MappingSpec(columns={"url": None}, children={"variants": "images"})  # type: ignore[dict-item]
    return Schema(
        {
            "clippings": _table("clippings", clippings),
            "related": _table("related", related),
            "images": _table("images", images),
        },
        "",
    )


KEYS = ["images", "related", "gallery", "provider", "both", "plain", "shadow", "ghost", "logo", "more", "variants",
        "title", "url", "m", "x", 1]  # fmt: skip
SCALARS = st.one_of(st.none(), st.integers(-3, 3), st.text(max_size=3), st.booleans())
# records: mappings whose values are scalars, mappings or lists (mostly of mappings)
RECORDS = st.recursive(
    st.dictionaries(st.sampled_from(KEYS), SCALARS, max_size=2),
    lambda inner: st.dictionaries(
        st.sampled_from(KEYS),
        st.one_of(SCALARS, inner, st.lists(st.one_of(inner, inner, SCALARS), max_size=3)),
        max_size=6,
    ),
    max_leaves=40,
)
# records shaped like clippings (images and related items, where the schemas put them)
IMAGE = st.dictionaries(
    st.sampled_from(["url", "width", "variants", "x"]),
    st.one_of(SCALARS, st.lists(st.dictionaries(st.just("url"), SCALARS), max_size=2)),
    max_size=3,
)
IMAGE_LISTS = st.lists(st.one_of(IMAGE, IMAGE, SCALARS), max_size=3)


@st.composite
def shaped(draw: st.DrawFn, fields: dict[Any, st.SearchStrategy[Any]]) -> dict[Any, Any]:
    """A mapping with some of ``fields`` (mostly of their shape, sometimes a scalar), in any order."""
    entries = {
        key: draw(st.one_of(value, value, value, SCALARS)) for key, value in fields.items() if draw(st.booleans())
    }
    return {key: entries[key] for key in draw(st.permutations(list(entries)))}


NESTED = shaped({"images": IMAGE_LISTS, "logo": IMAGE_LISTS, "x": SCALARS})
RELATED = shaped(
    {
        "images": IMAGE_LISTS,
        "more": st.lists(shaped({"images": IMAGE_LISTS}), max_size=2),
        "m": NESTED,
        "title": SCALARS,
    }
)
RELATED_LISTS = st.lists(st.one_of(RELATED, RELATED, SCALARS), max_size=3)
SHAPED = shaped(
    {
        "images": IMAGE_LISTS,
        "related": RELATED_LISTS,
        "gallery": RELATED_LISTS,
        "provider": NESTED,
        "both": st.one_of(NESTED, IMAGE_LISTS),
        "plain": st.one_of(NESTED, IMAGE_LISTS),
        "shadow": IMAGE_LISTS,
        "ghost": IMAGE_LISTS,
        "title": SCALARS,
        1: IMAGE_LISTS,
    }
)
DEFAULT = load_schema(None)
ODD = odd_schema()


@settings(max_examples=1500, deadline=None)
@given(st.one_of(RECORDS, SHAPED))
def test_image_items_equal_the_full_walk(data: dict[Any, Any]) -> None:
    for schema in (DEFAULT, ODD):
        got = [(f, id(item)) for f, item in image_items(schema, data)]
        want = [(f, id(item)) for f, item in reference_items(schema, data)]
        assert got == want


def test_image_items_order_is_the_records() -> None:
    img1, img2 = {"url": "a"}, {"url": "b"}
    data = {"related": [{"images": [img1]}], "images": [img2]}
    assert [f for f, _ in image_items(DEFAULT, data)] == ["related[0].images[0]", "images[0]"]
    assert [f for f, _ in image_items(DEFAULT, dict(reversed(data.items())))] == ["images[0]", "related[0].images[0]"]


def test_plans_follow_a_new_schema_object() -> None:
    """The plan is kept per schema object: a second schema gets its own."""
    data = {"provider": {"images": [{"url": "u"}]}, "images": [{"url": "v"}]}
    assert [f for f, _ in image_items(ODD, data)] == ["provider.images[0]", "images[0]"]
    assert [f for f, _ in image_items(DEFAULT, data)] == ["images[0]"]


# -- the findings -----------------------------------------------------------------------

IMAGE_VALUES = st.one_of(
    st.none(),
    st.integers(-5, 25000),
    st.sampled_from([0, 1, 20000, 20001, -1, True, False, 2**70]),
    st.floats(allow_nan=True),
    st.text(max_size=4),
    st.sampled_from(["640", "https://img.example.com/a.jpg", "", " ", "data:x", "https://a..b/"]),
    st.lists(st.integers(), max_size=2),
)
IMAGES = st.lists(
    st.dictionaries(
        st.sampled_from(["url", "width", "height", "isCached"]),
        st.one_of(IMAGE_VALUES, urls()),
        max_size=4,
    ),
    max_size=3,
)


def _dump(findings: Any) -> list[tuple[Any, ...]]:
    return [(f.rule, f.path, f.field, f.message, repr(f.evidence)) for f in findings]


@settings(max_examples=1500, deadline=None)
@given(
    IMAGES,
    st.lists(IMAGES, max_size=2),
    st.sampled_from([20000, 640, 1]),
    st.sampled_from([[], ["127.0.0.1"], ["localhost:80", "10.0.0.1"]]),
)
def test_record_findings_equal_the_slow_path(
    images: list[Any], related: list[Any], limit: int, allow: list[str]
) -> None:
    data = {"images": images, "related": [{"images": r} for r in related]}
    rec = Record("a.md", "a.md", data=data)
    ctx = Context({**OPTIONS, "max-dimension": limit}, {"schema": DEFAULT, "online_allow": allow})
    allowed = AllowList(allow)
    want = [
        f
        for fld, item in reference_items(DEFAULT, data)
        for f in image_findings("a.md", fld, item.get("url"), item.get("width"), item.get("height"), limit, allowed)
    ]
    assert _dump(check_record(rec, ctx)) == _dump(want)
