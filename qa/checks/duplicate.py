"""Check ``duplicate``: the same clipping twice, syndicated copies, near-duplicate bodies.

Everything here is hash-, sort- and groupby-based over the merged tables: a group
of equal keys is found by sorting, never by comparing every pair. Near-duplicate
bodies use MinHash signatures computed per file in the workers (vectorised with
numpy, see below) and shipped as 4 bytes per permutation; the corpus stage bands
them (LSH) with numpy and verifies each candidate pair by its estimated Jaccard
similarity.

Groups are reported once per redundant file: the first file of a group (by path)
is taken as the original; every other file gets the finding, naming the whole
group in ``related``. A file that is a byte-identical copy is reported by D103
only, not again for its URL or its id.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping, Sequence
from functools import lru_cache
from typing import Any

import numpy as np
import pandas as pd
import regex

from qa.checks import Check, Context, CorpusKeys, Tables
from qa.corpus import Record
from qa.crossrec import (
    STORY_COLUMNS,
    all_keys,
    as_objects,
    basenames,
    check_pattern,
    check_range,
    clipping_keys,
    components,
    duplicated,
    groups,
    key_codes,
    key_rows,
    listing,
    others_of,
    repeated,
    story_columns,
)
from qa.findings import Finding, rule

D101 = rule(
    "D101",
    "duplicate-url",
    "duplicate",
    "error",
    "Two or more files have the same canonical webUrl (www., tracking parameters and AMP variants folded).",
)
D102 = rule(
    "D102",
    "duplicate-file-id",
    "duplicate",
    "error",
    "Two or more files have the same id in their file names (NNN_<16 hex>.txt).",
)
D103 = rule("D103", "identical-files", "duplicate", "error", "Two or more files are byte for byte identical.")
D104 = rule(
    "D104",
    "syndicated-story",
    "duplicate",
    "info",
    "The same title from different providers: a syndicated story; the finding lists its cluster.",
)
D105 = rule(
    "D105",
    "near-duplicate-body",
    "duplicate",
    "warning",
    "Two or more bodies are near-duplicates (MinHash estimate of word-shingle Jaccard similarity at or "
    "above `duplicate.near_threshold`).",
)

OPTIONS: dict[str, Any] = {
    "near_threshold": 0.8,  # estimated Jaccard similarity of word shingles
    "num_perm": 128,  # MinHash values (bins) per signature, 4 bytes each
    "shingle_words": 5,  # words per shingle
    "min_body_words": 50,  # shorter bodies are not compared
    "min_title_chars": 20,  # shorter (normalised) titles are too generic to call a story syndicated
    # The file-name id: the first group of this pattern, matched against the file's name.
    "file_id_pattern": r"^\d+_([0-9a-fA-F]{16})\.[A-Za-z0-9]+$",
}

WORD = regex.compile(r"\w+")


# ---------------------------------------------------------------- MinHash signatures (numpy)
#
# A body's words are the maximal runs of `\w` (the `regex` module's Unicode definition) in the
# case-folded body; a shingle is `shingle_words` consecutive words; the signature is a
# one-permutation MinHash of the set of shingles, `num_perm` values. All of it is vectorised:
# no Python loop over characters, words or shingles.
#
# * `\w` is a property of a single code point, so the words are found with a lookup table
#   (one byte per code point, filled from the `regex` module itself, 256 code points at a
#   time, on first use) over the UTF-32 code points of the body.
# * Each word is hashed once: a polynomial hash of its code points modulo 2^64, computed for
#   all words at once from prefix sums of per-character terms c[j] * B^-j (one `np.cumsum`),
#   scaled back by B^start so that the same word hashes alike wherever it stands; its length is mixed in
#   and the value finished with MurmurHash3's 64-bit finaliser.
# * A shingle's hash is sum(word_hash[i + j] * M_j) mod 2^64 over its k words (fixed odd M_j):
#   k vectorised multiply-adds, then the finaliser again. Equal word sequences give equal
#   hashes; different ones collide with probability ~2^-64.
# * One-permutation hashing (Li, Owen & Zhang 2012) with optimal densification (Shrivastava
#   2017): the upper 32 bits of a shingle's hash pick one of `num_perm` bins, the lower 32 bits
#   are its value, and each bin keeps the minimum value that falls in it. A bin no shingle fell
#   in (short bodies) copies the value of the first filled bin in its own fixed, pseudo-random
#   probe order, the same for every body, so two bodies agree there exactly as often as they
#   agree on a filled bin. Position by position, two signatures are equal with probability
#   ~ the Jaccard similarity of the shingle sets, as with num_perm independent permutations,
#   but at the cost of one hash per shingle instead of num_perm: the (shingles x num_perm)
#   matrix of the classic scheme cost 4x more than everything else in the signature.
#
# Every constant comes from splitmix64 of a fixed seed: the signature depends on no process
# state (PYTHONHASHSEED, numpy's random streams) and is the same on every platform.

MINHASH_SEED = 0x636C697071612D31  # "clipqa-1"; changing it (or the scheme) changes every signature
_M64 = (1 << 64) - 1
_U = np.uint64
_FMIX1 = _U(0xFF51AFD7ED558CCD)
_FMIX2 = _U(0xC4CEB9FE1A85EC53)
_S33 = _U(33)
_S32 = _U(32)
_POWERS_CACHED = 1 << 16  # powers of B kept per process: bodies, or a batch of them, up to 64k characters


def _splitmix64(x: int) -> int:
    """SplitMix64's output function of ``x`` (a fixed, well-mixed 64-bit value)."""
    z = (x + 0x9E3779B97F4A7C15) & _M64
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & _M64
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & _M64
    return z ^ (z >> 31)


def _splitmix64_array(x: np.ndarray) -> np.ndarray:
    """:func:`_splitmix64` of every value of a uint64 array (a new array)."""
    z = x + _U(0x9E3779B97F4A7C15)
    z = (z ^ (z >> _U(30))) * _U(0xBF58476D1CE4E5B9)
    z = (z ^ (z >> _U(27))) * _U(0x94D049BB133111EB)
    return z ^ (z >> _U(31))


def _constant(tag: int, i: int = 0) -> int:
    return _splitmix64(MINHASH_SEED ^ _splitmix64((tag << 32) | i))


_B = _constant(1) | 1  # odd, so invertible modulo 2^64
_B_INV = pow(_B, -1, 1 << 64)
_LENGTH = _U(_constant(2))
_SHINGLE_MULT = np.array([_constant(3, j) | 1 for j in range(64)], dtype=np.uint64)

# 1 where `\w` matches the code point; _CLASSIFIED says which 256-code-point pages are filled.
_WORD_CHAR = np.zeros(0x110000, dtype=np.int8)
_CLASSIFIED = np.zeros(0x110000 >> 8, dtype=bool)
_powers_cache: tuple[np.ndarray, np.ndarray] = (np.ones(1, dtype=np.uint64), np.ones(1, dtype=np.uint64))


def _classify(pages: list[int]) -> None:
    for page in pages:
        base = page << 8
        chars = "".join(map(chr, range(base, base + 256)))
        for m in WORD.finditer(chars):
            _WORD_CHAR[base + m.start() : base + m.end()] = 1
        _CLASSIFIED[page] = True


_classify(list(range(0x10000 >> 8)))  # the Basic Multilingual Plane (~5 ms); other planes on demand


_ASCII_WORD_CHARS = bytes(_WORD_CHAR[:128].tolist()) + bytes(128)  # a bytes.translate table


def _code_points(text: str) -> tuple[np.ndarray, np.ndarray]:
    """The code points of ``text`` and its word-character marks (see :func:`_word_chars`).
    ASCII text (most bodies; ``isascii`` is O(1)) skips the UTF-32 encoding and the table
    lookup: one byte per code point, marked by ``bytes.translate``."""
    if text.isascii():
        raw = text.encode("ascii")
        marks = np.zeros(len(raw) + 2, dtype=np.int8)
        marks[1:-1] = np.frombuffer(raw.translate(_ASCII_WORD_CHARS), dtype=np.int8)
        return np.frombuffer(raw, dtype=np.uint8), marks
    cp = np.frombuffer(text.encode("utf-32-le", "surrogatepass"), dtype="<u4")
    return cp, _word_chars(cp)


def _word_chars(cp: np.ndarray) -> np.ndarray:
    """int8 per code point, 1 for word characters, with a 0 added at each end."""
    if len(cp) and int(cp.max()) >= 0x10000:
        pages = cp >> 8
        _classify(np.unique(pages[~_CLASSIFIED[pages]]).tolist())
    out = np.zeros(len(cp) + 2, dtype=np.int8)
    np.take(_WORD_CHAR, cp, out=out[1:-1])
    return out


def _powers(n: int) -> tuple[np.ndarray, np.ndarray]:
    """(B^j, B^-j) modulo 2^64 for j < n (at least)."""
    global _powers_cache
    cached = _powers_cache
    if len(cached[0]) >= n:
        return cached
    size = min(max(n, 2 * len(cached[0]), 4096), max(n, _POWERS_CACHED))
    fwd = np.empty(size, dtype=np.uint64)
    inv = np.empty(size, dtype=np.uint64)
    fwd[0] = inv[0] = 1
    np.cumprod(np.full(size - 1, _B, dtype=np.uint64), out=fwd[1:])
    np.cumprod(np.full(size - 1, _B_INV, dtype=np.uint64), out=inv[1:])
    if size <= _POWERS_CACHED:
        _powers_cache = (fwd, inv)
    return fwd, inv


def _fmix64(h: np.ndarray) -> np.ndarray:
    """MurmurHash3's 64-bit finaliser, in place."""
    h ^= h >> _S33
    h *= _FMIX1
    h ^= h >> _S33
    h *= _FMIX2
    h ^= h >> _S33
    return h


def word_hashes(text: str) -> np.ndarray:
    """One 64-bit hash per word (maximal run of word characters) of ``text``, in order (uint64)."""
    return _hash_words(*_code_points(text))[0]


def _hash_words(cp: np.ndarray, marks: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(hash, start) of each word of the code points ``cp`` with their marks (uint64, intp)."""
    n = len(cp)
    bounds = np.flatnonzero(marks[1:] != marks[:-1])  # start, end, start, end, ...
    if not len(bounds):
        return np.empty(0, dtype=np.uint64), np.empty(0, dtype=np.intp)
    starts, ends = bounds[0::2], bounds[1::2]
    fwd, inv = _powers(n)
    prefix = np.empty(n + 1, dtype=np.uint64)  # prefix sums of c[j] * B^-j (mod 2^64)
    prefix[0] = 0
    np.multiply(cp, inv[:n], out=prefix[1:], dtype=np.uint64)
    np.cumsum(prefix[1:], out=prefix[1:])
    sums = prefix[ends] - prefix[starts]
    sums *= fwd[starts]  # sum of c[j] * B^-(j - start): the same word hashes alike anywhere
    sums ^= (ends - starts).astype(np.uint64) * _LENGTH
    return _fmix64(sums), starts


def shingle_hashes(words: np.ndarray, k: int) -> np.ndarray:
    """64-bit hash of each run of ``k`` consecutive word hashes (uint64; len(words) - k + 1 of them)."""
    m = len(words) - k + 1
    if m <= 0:
        return np.empty(0, dtype=np.uint64)
    if k > len(_SHINGLE_MULT):
        raise ValueError(f"at most {len(_SHINGLE_MULT)} words per shingle, got {k}")
    acc: np.ndarray = words[:m] * _SHINGLE_MULT[0]
    for j in range(1, k):
        acc += words[j : j + m] * _SHINGLE_MULT[j]
    return _fmix64(acc)


@lru_cache(maxsize=8)
def probe_order(num_perm: int) -> np.ndarray:
    """Row i: every bin, in the pseudo-random order in which an empty bin i looks for a filled
    one (optimal densification); read-only (num_perm x num_perm, intp)."""
    cells = np.arange(num_perm * num_perm, dtype=np.uint64)  # cell (i, j) is i * num_perm + j
    keys = _splitmix64_array(_U(MINHASH_SEED) ^ _splitmix64_array(cells + _U(6 << 32)))
    order = np.argsort(keys.reshape(num_perm, num_perm), axis=1, kind="stable").astype(np.intp)
    order.flags.writeable = False
    return order


def minhash(shingles: np.ndarray, num_perm: int) -> np.ndarray:
    """One-permutation MinHash of ``shingles`` (uint64 hashes, at least one): ``num_perm``
    values (uint32), each the minimum of the shingles in its bin, empty bins densified."""
    if not len(shingles):
        raise ValueError("no shingles")
    rows = np.zeros(len(shingles), dtype=np.intp)
    sig: np.ndarray = _minhash_rows(rows, shingles, np.ones(1, dtype=bool), num_perm)[0]
    return sig


def _minhash_rows(rows: np.ndarray, shingles: np.ndarray, signed: np.ndarray, num_perm: int) -> np.ndarray:
    """:func:`minhash` of many bodies at once: ``shingles[i]`` belongs to body ``rows[i]``;
    one signature row per body (len(signed) x num_perm, uint32). Only the rows where
    ``signed`` is set (each with at least one shingle) are densified; the others are left
    as they are, for the caller to ignore."""
    bins = ((shingles >> _S32) * _U(num_perm)) >> _S32  # the upper 32 bits, scaled to [0, num_perm)
    cells = rows * num_perm + bins.astype(np.intp)
    table = np.full(len(signed) * num_perm, 0xFFFFFFFF, dtype=np.uint32)
    np.minimum.at(table, cells, shingles.astype(np.uint32))  # the lower 32 bits
    filled = np.bincount(cells, minlength=len(table)).astype(bool).reshape(len(signed), num_perm)
    sigs = table.reshape(len(signed), num_perm)
    empty_rows, empty_bins = np.nonzero(~filled & signed[:, None])
    if len(empty_rows):
        probes = probe_order(num_perm)[empty_bins]
        hits = filled[empty_rows[:, None], probes]
        donors = probes[np.arange(len(empty_rows)), hits.argmax(axis=1)]
        sigs[empty_rows, empty_bins] = sigs[empty_rows, donors]
    return sigs


def body_signature(body: str, num_perm: int, shingle_words: int, min_words: int) -> bytes | None:
    """MinHash signature of a body's word shingles, 4 bytes per permutation; None if too short."""
    words = word_hashes(body.casefold())
    if len(words) < max(min_words, shingle_words):
        return None
    return minhash(shingle_hashes(words, shingle_words), num_perm).astype("<u4").tobytes()


BATCH_CHARS = 1 << 16  # characters of bodies hashed together by body_signatures


def body_signatures(bodies: Sequence[str], num_perm: int, shingle_words: int, min_words: int) -> list[bytes | None]:
    """:func:`body_signature` of each body, computed for many bodies at once: the same bytes.

    The per-body signature makes some 30 numpy calls, whose fixed costs are most of its time
    for a body of a few thousand characters. Here the case-folded bodies are joined, ~64k
    characters at a time, by a line break (no word character, so no word spans two bodies),
    and words, shingles and minima are computed for the whole batch: a word hashes alike
    wherever it stands, a shingle is kept only when its words are all of one body, and each
    body's bins are cells of its own row.
    """
    out: list[bytes | None] = [None] * len(bodies)
    start = 0
    while start < len(bodies):
        end, size = start + 1, len(bodies[start])
        while end < len(bodies) and size + len(bodies[end]) + 1 <= BATCH_CHARS:
            size += len(bodies[end]) + 1
            end += 1
        out[start:end] = _signature_batch(bodies[start:end], num_perm, shingle_words, min_words)
        start = end
    return out


def _signature_batch(bodies: Sequence[str], num_perm: int, k: int, min_words: int) -> list[bytes | None]:
    folded = [body.casefold() for body in bodies]
    offsets = np.cumsum([0] + [len(f) + 1 for f in folded[:-1]])  # where each body starts
    words, starts = _hash_words(*_code_points("\n".join(folded)))
    owner = np.searchsorted(offsets, starts, side="right") - 1  # the body of each word
    counts = np.bincount(owner, minlength=len(bodies))
    signed = counts >= max(min_words, k)
    shingles = shingle_hashes(words, k)
    m = len(shingles)
    if m == 0 or not signed.any():
        return [None] * len(bodies)
    keep = (owner[:m] == owner[k - 1 :]) & signed[owner[:m]]  # the k words of one signed body
    sigs = _minhash_rows(owner[:m][keep], shingles[keep], signed, num_perm)
    raw = sigs.astype("<u4")
    return [raw[i].tobytes() if signed[i] else None for i in range(len(bodies))]


def columns(rec: Record, ctx: Context) -> dict[str, Any]:
    out = story_columns(rec.data)
    if rec.body.strip():
        sig = body_signature(
            rec.body, int(ctx.get("num_perm")), int(ctx.get("shingle_words")), int(ctx.get("min_body_words"))
        )
        if sig is not None:
            out["body_minhash"] = sig
            out["body_line"] = rec.body_line
    return out


def columns_batch(records: Sequence[Record], ctx: Context) -> list[dict[str, Any]]:
    """:func:`columns` of each record, the body signatures computed together (body_signatures)."""
    outs = [story_columns(rec.data) for rec in records]
    with_body = [i for i, rec in enumerate(records) if rec.body.strip()]
    sigs = body_signatures(
        [records[i].body for i in with_body],
        int(ctx.get("num_perm")),
        int(ctx.get("shingle_words")),
        int(ctx.get("min_body_words")),
    )
    for i, sig in zip(with_body, sigs, strict=True):
        if sig is not None:
            outs[i]["body_minhash"] = sig
            outs[i]["body_line"] = records[i].body_line
    return outs


# ---------------------------------------------------------------- corpus


def check_corpus(tables: Tables, ctx: Context) -> Iterator[Finding]:
    yield from duplicate_findings(dict(tables), dict(ctx.options))


def duplicate_findings(tables: dict[str, pd.DataFrame], options: dict[str, Any]) -> Iterator[Finding]:
    opts = {**OPTIONS, **options}
    files = tables.get("files")
    if files is None or files.empty:
        return
    wanted = ["_record", "_path", "sha256", "size", "body_minhash", "body_line"]
    files = files[[c for c in wanted if c in files.columns]].sort_values("_path", kind="stable").reset_index(drop=True)
    yield from identical_files(files)
    keys = clipping_keys(tables, extra=("sha256",))
    yield from _grouped(D101, keys, "story_url", "webUrl", "the same canonical webUrl")
    ids = files[["_record", "_path", "sha256"]].assign(file_id=_file_ids(files["_path"], str(opts["file_id_pattern"])))
    yield from _grouped(D102, ids, "file_id", None, "the same file-name id")
    yield from syndicated(keys, int(opts["min_title_chars"]), tables.get("clippings"))
    if "body_minhash" in files.columns:
        yield from near_duplicates(files, float(opts["near_threshold"]), int(opts["num_perm"]))


def identical_files(files: pd.DataFrame) -> Iterator[Finding]:
    """D103: groups of equal sha256 (empty files are left to P104)."""
    candidates = files[files["sha256"].notna() & (files["size"].fillna(0).astype("int64") > 0)]
    for g in groups(candidates, "sha256"):
        paths = g.rows["_path"]
        for i, path in enumerate(paths[1:], start=1):
            others = others_of(paths, i)
            yield D103.finding(
                path,
                f"byte-identical to {listing(others, total=len(paths) - 1)} ({len(paths)} identical files); keep one",
                evidence=f"sha256 {g.key}",
                related=others,
            )


def _grouped(r: Any, df: pd.DataFrame, key: str, field: str | None, what: str) -> Iterator[Finding]:
    """Findings for groups of equal ``key``; byte-identical copies within a group are left to D103."""
    for g in groups(df, key):
        paths = g.rows["_path"]
        # a file with no hash is its own content
        distinct = [h if isinstance(h, str) else f"path:{p}" for h, p in zip(g.rows["sha256"], paths, strict=True)]
        if len(set(distinct)) < 2:
            continue  # every file of the group is a copy of the first: D103 says so
        seen = {distinct[0]}
        for i in range(1, len(paths)):
            if distinct[i] in seen:
                continue  # a byte-identical copy of a file already in the group
            seen.add(distinct[i])
            others = others_of(paths, i)
            yield r.finding(
                paths[i],
                f"{what} as {listing(others, total=len(paths) - 1)} ({len(paths)} files): {g.key}",
                field=field,
                evidence=g.key,
                related=others,
            )


def _file_ids(paths: pd.Series, pattern: str) -> pd.Series:
    try:
        compiled = re.compile(pattern)
    except re.error as exc:
        raise ValueError(f"duplicate.file_id_pattern {pattern!r} is not a regular expression: {exc}") from exc
    if compiled.groups == 0:
        compiled = re.compile(f"({pattern})")  # no group: the whole match is the id
    search = compiled.search  # the first group of the first match (as str.extract)
    found = [m.group(1) if isinstance(n, str) and (m := search(n)) else None for n in basenames(paths).tolist()]
    ids = pd.Series(found, index=paths.index, dtype="string")
    return ids.str.lower().astype(object).where(ids.notna(), None)


def syndicated(keys: pd.DataFrame, min_title_chars: int, clippings: pd.DataFrame | None) -> Iterator[Finding]:
    """D104: one info per cluster of a title carried by two or more providers."""
    if keys.empty:
        return
    k = keys.sort_values("_path", kind="stable")
    # one representative per URL and per content: those are D101 / D103, not syndication
    k = k[~duplicated(k["story_url"])]
    k = k[~duplicated(k["sha256"])]
    k = k[repeated(key_codes(k["story_title"]))]  # a title of one file is no cluster
    k = k[_long_titles(k["story_title"], min_title_chars)]
    if k.empty:
        return
    n_providers = k.groupby("story_title")["story_provider"].transform("nunique")
    k = k[n_providers >= 2]
    k = k.assign(story_provider=as_objects(k["story_provider"]))  # a missing provider as None
    names = _provider_names(clippings, k["_record"])
    for g in groups(k, "story_title"):
        rows = g.rows
        paths = rows["_path"]
        members = [f"{names.get(rec, prov) or '?'} ({path})" for rec, prov, path in zip(
            rows["_record"], rows["story_provider"], paths, strict=True
        )]  # fmt: skip
        count = len({p for p in rows["story_provider"] if p is not None})
        yield D104.finding(
            paths[0],
            f"syndicated story: the same title from {count} providers in {len(paths)} files: {listing(members, 8)}",
            field="title",
            evidence=g.key,
            related=paths[1:],
        )


def _provider_names(clippings: pd.DataFrame | None, records: pd.Series) -> dict[int, str]:
    """Provider name of each of ``records`` that has one (the last row of a record wins)."""
    if clippings is None or "provider.name" not in clippings.columns or records.empty:
        return {}
    wanted = clippings["_record"].isin(records).to_numpy(dtype=bool)
    names = clippings.loc[wanted, ["_record", "provider.name"]].dropna()
    return {int(r): str(n) for r, n in zip(names["_record"], names["provider.name"], strict=True)}


# ---------------------------------------------------------------- near duplicates


@lru_cache(maxsize=8)
def lsh_params(threshold: float, num_perm: int) -> tuple[int, int]:
    """(bands, rows per band) minimising the sum of the false-positive and false-negative areas.

    The choice of datasketch's ``MinHashLSH`` (weights 0.5/0.5): over every b * r <= num_perm,
    in the same order (first minimum wins), the integrals of P(candidate | s) = 1 - (1 - s^r)^b
    over [0, threshold] (false positives) and of 1 - P over [threshold, 1] (false negatives).
    P is a polynomial of degree b * r <= num_perm, so Gauss-Legendre quadrature with
    num_perm // 2 + 1 nodes is exact (datasketch integrates numerically with scipy).
    """
    pairs = np.array([(b, r) for b in range(1, num_perm + 1) for r in range(1, num_perm // b + 1)], dtype=np.float64)
    nodes, weights = np.polynomial.legendre.leggauss(num_perm // 2 + 1)

    def area(lo: float, hi: float, negative: bool) -> np.ndarray:
        s = (hi - lo) / 2 * nodes + (hi + lo) / 2  # nodes mapped from [-1, 1] to [lo, hi]
        p = 1 - (1 - s[None, :] ** pairs[:, 1:2]) ** pairs[:, 0:1]
        return np.asarray(((1 - p) if negative else p) @ weights * (hi - lo) / 2)

    error = 0.5 * area(0.0, threshold, False) + 0.5 * area(threshold, 1.0, True)
    b, r = pairs[int(np.argmin(error))]
    return int(b), int(r)


def signed(files: pd.DataFrame, num_perm: int) -> tuple[pd.DataFrame, np.ndarray]:
    """The files with a signature of the right size, in their order, and their signatures
    (n x num_perm). Row by row: no file's answer depends on another's."""
    size = 4 * num_perm
    blobs = files["body_minhash"]
    present = np.flatnonzero(blobs.notna().to_numpy(dtype=bool))
    ok = present[[isinstance(b, (bytes, bytearray)) and len(b) == size for b in blobs.iloc[present].tolist()]]
    rows = files.iloc[ok].reset_index(drop=True)
    if rows.empty:
        return rows, np.empty((0, num_perm), dtype=np.uint32)
    sig = np.frombuffer(b"".join(rows["body_minhash"].tolist()), dtype="<u4").reshape(len(rows), num_perm)
    return rows, sig


def signatures(files: pd.DataFrame, num_perm: int) -> tuple[pd.DataFrame, np.ndarray]:
    """The files with a signature of the right size (sorted by path), one per content
    (byte-identical files are D103), and their signatures (n x num_perm)."""
    rows, sig = signed(files, num_perm)
    if rows.empty:
        return rows, sig
    first = ~duplicated(rows["sha256"])
    return rows[first].reset_index(drop=True), sig[first]


def band_hashes(sig: np.ndarray, bands: int, rows_per_band: int) -> np.ndarray:
    """One 64-bit hash per (file, band): FNV-style mixing of the band's minima, vectorised
    over files and bands at once (one step per row of a band)."""
    n = sig.shape[0]
    minima = sig[:, : bands * rows_per_band].reshape(n, bands, rows_per_band)
    h = np.empty((n, bands), dtype=np.uint64)
    h[:] = np.uint64(0xCBF29CE484222325) ^ np.arange(bands, dtype=np.uint64)
    prime = np.uint64(0x100000001B3)
    for j in range(rows_per_band):
        h ^= minima[:, :, j]
        h *= prime
    return h


def candidate_edges(bucket_keys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Edges between files that share a band bucket: each bucket as a star (to its first file)
    and a chain (to the previous file). Linear in the number of files, whatever the bucket sizes.

    Buckets are found by hashing (most hold one file); only the files of shared buckets are sorted."""
    left: list[np.ndarray] = []
    right: list[np.ndarray] = []
    for keys in np.ascontiguousarray(bucket_keys.T):  # band by band
        codes, _ = pd.factorize(keys)
        shared = np.flatnonzero(repeated(np.asarray(codes, dtype=np.int64)))
        if not len(shared):
            continue
        order = np.argsort(codes[shared], kind="stable")  # by bucket, then by file
        k, p = codes[shared][order], shared[order]
        same = np.r_[False, k[1:] == k[:-1]]
        starts = ~same
        first = p[np.maximum.accumulate(np.where(starts, np.arange(len(p)), 0))]
        prev = np.r_[p[:1], p[:-1]]
        left += [first[same], prev[same]]
        right += [p[same], p[same]]
    if not left:
        empty = np.empty(0, dtype=np.int64)
        return empty, empty
    a, b_ = np.concatenate(left), np.concatenate(right)
    lo, hi = np.minimum(a, b_), np.maximum(a, b_)
    keep = lo != hi
    pairs = np.unique(np.stack([lo[keep], hi[keep]], axis=1), axis=0)
    return pairs[:, 0], pairs[:, 1]


def near_duplicates(files: pd.DataFrame, threshold: float, num_perm: int) -> Iterator[Finding]:
    """D105: components of verified near-duplicate pairs; each file but the first is reported."""
    rows, sig = signatures(files, num_perm)
    if len(rows) < 2:
        return
    bands, r = lsh_params(threshold, num_perm)
    a, b = candidate_edges(band_hashes(sig, bands, r))
    if not len(a):
        return
    sim = (sig[a] == sig[b]).mean(axis=1)
    ok = sim >= threshold
    a, b, sim = a[ok], b[ok], sim[ok]
    if not len(a):
        return
    label = components(len(rows), [(a, b)])
    edges = pd.DataFrame({"node": np.r_[a, b], "other": np.r_[b, a], "sim": np.r_[sim, sim]})
    best = edges.loc[edges.groupby("node")["sim"].idxmax()]
    best_other = dict(zip(best["node"].tolist(), best["other"].tolist(), strict=True))
    best_sim = dict(zip(best["node"].tolist(), best["sim"].tolist(), strict=True))
    paths = rows["_path"].tolist()
    pos = np.flatnonzero(np.isin(label, label[a]))  # the files of a group
    members = pd.DataFrame({"label": label[pos], "pos": pos, "_path": [paths[p] for p in pos.tolist()]})
    body_lines = rows["body_line"].astype(object).tolist() if "body_line" in rows.columns else [None] * len(rows)
    for g in groups(members, "label"):
        positions = g.rows["pos"]
        group_paths = g.rows["_path"]
        for k, p in enumerate(positions[1:], start=1):  # the first file of the group (by path): the original
            other = int(best_other[p])
            similarity = float(best_sim[p])
            related = others_of(group_paths, k)  # group_paths[k] is paths[p]
            line = body_lines[p]
            known = line is not None and not pd.isna(line)
            yield D105.finding(
                paths[p],
                f"body is a near-duplicate of {paths[other]} (estimated similarity {similarity:.0%}, "
                f"threshold {threshold:.0%})"
                + (
                    f"; group of {len(positions)}: {listing(related, total=len(positions) - 1)}"
                    if len(positions) > 2
                    else ""
                ),
                field="body",
                line=int(line) if known else None,
                column=1 if known else None,
                evidence=f"{similarity:.2f}",
                related=related,
            )


def _long_titles(titles: pd.Series, min_title_chars: int) -> np.ndarray:
    """Where a title key is long enough to call a story syndicated (D104)."""
    return np.array([isinstance(t, str) and len(t) >= min_title_chars for t in titles], dtype=bool)


def corpus_keys(tables: Tables, ctx: Context) -> pd.DataFrame:
    """Join keys of every group this check reports (``CorpusKeys``, transitive): the content
    hash (D103, and the copies every other group leaves out), the canonical URL (D101), the
    file-name id (D102), a title long enough for D104 and each LSH band bucket (D105)."""
    opts = {**OPTIONS, **ctx.options}
    files = tables.get("files")
    if files is None or files.empty:
        return all_keys([])
    keys = clipping_keys(dict(tables))
    long = _long_titles(keys["story_title"], int(opts["min_title_chars"]))
    parts = [
        key_rows(files["_record"], "sha", files["sha256"]),
        key_rows(keys["_record"], "url", keys["story_url"]),
        key_rows(keys["_record"][long], "title", keys["story_title"][long]),
        key_rows(files["_record"], "id", _file_ids(files["_path"], str(opts["file_id_pattern"]))),
    ]
    if "body_minhash" in files.columns:
        num_perm = int(opts["num_perm"])
        rows, sig = signed(files, num_perm)
        if len(rows):
            # a bucket's hash mixes in its band (band_hashes starts each band from its own value)
            buckets = band_hashes(sig, *lsh_params(float(opts["near_threshold"]), num_perm))
            records = np.repeat(rows["_record"].to_numpy(dtype=np.int64), buckets.shape[1])
            parts.append(key_rows(pd.Series(records), "band", buckets.reshape(-1)))
    return all_keys(parts)


def validate(options: Mapping[str, Any]) -> Iterator[tuple[str, str]]:
    yield from check_range(options, "near_threshold", 0, 1, low_open=True)
    yield from check_range(options, "num_perm", 2, 1024)
    yield from check_range(options, "shingle_words", 1, 50)
    yield from check_range(options, "min_body_words", 0)
    yield from check_range(options, "min_title_chars", 0)
    yield from check_pattern(options, "file_id_pattern")


CHECK = Check(
    name="duplicate",
    rules=(D101, D102, D103, D104, D105),
    doc="Duplicate files (URL, file-name id, bytes), syndicated stories and near-duplicate bodies.",
    columns=columns,
    columns_batch=columns_batch,
    column_names=(*STORY_COLUMNS, "body_minhash", "body_line"),
    corpus=check_corpus,
    corpus_keys=CorpusKeys(corpus_keys),
    options=OPTIONS,
    validate=validate,
)
