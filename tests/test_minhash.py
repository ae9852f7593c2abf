"""The duplicate check's MinHash signatures (numpy): words, shingles, one-permutation MinHash, LSH banding."""

from __future__ import annotations

import hashlib
import os
import random
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from qa.checks import duplicate
from qa.checks.duplicate import WORD, body_signature, lsh_params, minhash, probe_order, shingle_hashes, word_hashes
from qa.pipeline import RunResult, run

REPO = Path(__file__).resolve().parents[1]
SAMPLE = (
    "The quick brown fox jumps over the lazy dog near the Straße in Zürich, 日本語 テキスト and 𝔘𝔫𝔦𝔠𝔬𝔡𝔢 words. "
) * 12


def sig(text: str, num_perm: int = 128, k: int = 5, min_words: int = 50) -> np.ndarray:
    raw = body_signature(text, num_perm, k, min_words)
    assert raw is not None
    return np.frombuffer(raw, dtype="<u4")


def shingle_set(text: str, k: int = 5) -> set[tuple[str, ...]]:
    """The sets the signature estimates: k consecutive `\\w+` words of the case-folded text."""
    w = WORD.findall(text.casefold())
    return {tuple(w[i : i + k]) for i in range(len(w) - k + 1)}


# ---------------------------------------------------------------- words and shingles


@settings(max_examples=300, deadline=None)
@given(
    st.lists(
        st.one_of(
            st.text(st.characters(codec="utf-8"), max_size=12),
            st.sampled_from(["straße", "ǅemal", "İstanbul", "e\u0301té", "ﬁ", "👩\u200d💻", "٣٤", "a_b", "x" * 40]),
        ),
        max_size=40,
    )
)
def test_words_are_the_regex_words(parts: list[str]) -> None:
    text = " ".join(parts)
    words = WORD.findall(text)
    hashes = word_hashes(text).tolist()
    assert len(hashes) == len(words)
    by_word: dict[str, int] = {}
    for w, h in zip(words, hashes, strict=True):
        assert by_word.setdefault(w, h) == h  # the same word hashes alike wherever it stands
    assert len(set(by_word.values())) == len(by_word)  # different words, different hashes


@settings(max_examples=300, deadline=None)
@given(st.text(st.characters(max_codepoint=127), max_size=200))
def test_ascii_text_takes_a_shortcut_to_the_same_code_points_and_marks(text: str) -> None:
    cp, marks = duplicate._code_points(text)
    wide = np.frombuffer(text.encode("utf-32-le"), dtype="<u4")
    assert cp.dtype == np.uint8 and cp.tolist() == wide.tolist()
    assert marks.tolist() == duplicate._word_chars(wide).tolist()
    # the same words hash alike in a text that is not ASCII (the UTF-32 path)
    assert word_hashes(text).tolist() == word_hashes(text + " \u00e9")[: len(WORD.findall(text))].tolist()


def test_words_outside_the_basic_plane_and_lone_surrogates() -> None:
    text = "𝔘𝔫𝔦 a\ud800b 𝟘𝟙 \U000e0041 𐍈x 😀 end"
    words = WORD.findall(text)
    assert words == ["𝔘𝔫𝔦", "a", "b", "𝟘𝟙", "𐍈x", "end"]
    hashes = word_hashes(text)
    assert len(hashes) == len(words) and len(set(hashes.tolist())) == len(words)
    assert word_hashes("").size == 0 and word_hashes(" ,.; ").size == 0


def test_shingle_hashes_depend_on_the_words_and_their_order() -> None:
    w = word_hashes("alpha beta gamma delta alpha beta gamma epsilon")
    x = shingle_hashes(w, 3)
    assert x.dtype == np.uint64 and len(x) == 6
    assert x[0] == x[4]  # "alpha beta gamma" twice
    assert len(set(x.tolist())) == 5
    assert shingle_hashes(word_hashes("gamma beta alpha"), 3)[0] != x[0]
    assert shingle_hashes(w, 9).size == 0


# ---------------------------------------------------------------- signatures


def test_identical_texts_give_identical_signatures_whatever_the_layout() -> None:
    base = " ".join(f"word{i % 97} term{i % 13}" for i in range(200))
    relaid = base.upper().replace(" ", " ,\n\t ") + " !!!"
    assert body_signature(base, 128, 5, 50) == body_signature(relaid, 128, 5, 50)
    reordered = " ".join(reversed(base.split()))
    assert (sig(base) == sig(reordered)).mean() < 0.2


def test_signature_is_pinned() -> None:
    """The format is stored (result cache, tables): changing the scheme must be deliberate."""
    raw = body_signature(SAMPLE, 128, 5, 50)
    assert raw is not None and len(raw) == 512
    assert np.frombuffer(raw, dtype="<u4")[:3].tolist() == [1036472424, 49336811, 49336811]
    assert hashlib.sha256(raw).hexdigest() == "6a71c4ee4e61a228a6af9d7e69a87515734a3b4e6e4f160cea57449aabad8d6f"


def test_signature_is_the_same_in_other_processes() -> None:
    """No dependence on process state: a fresh interpreter with another hash seed agrees."""
    code = (
        "import sys; from qa.checks.duplicate import body_signature; "
        "sys.stdout.write(body_signature(sys.stdin.read(), 64, 4, 10).hex())"
    )
    want = body_signature(SAMPLE, 64, 4, 10)
    assert want is not None
    for seed in ("0", "12345"):
        env = {**os.environ, "PYTHONHASHSEED": seed, "PYTHONPATH": str(REPO)}
        proc = subprocess.run(
            [sys.executable, "-c", code], input=SAMPLE, capture_output=True, text=True, env=env, check=True
        )
        assert proc.stdout == want.hex()


def reference_minhash(shingles: list[int], num_perm: int) -> list[int]:
    """One-permutation hashing with optimal densification, written out plainly: bin = upper 32
    bits scaled to num_perm, value = lower 32 bits, minimum per bin; an empty bin takes the value
    of the first filled bin in its probe order."""
    bins: dict[int, int] = {}
    for h in shingles:
        b = ((h >> 32) * num_perm) >> 32
        bins[b] = min(bins.get(b, 1 << 32), h & 0xFFFFFFFF)
    order = probe_order(num_perm).tolist()
    return [bins[i] if i in bins else bins[next(j for j in order[i] if j in bins)] for i in range(num_perm)]


@settings(max_examples=200, deadline=None)
@given(
    st.lists(st.integers(0, 2**64 - 1), min_size=1, max_size=300),
    st.sampled_from([2, 3, 16, 100, 128, 256]),
)
def test_minhash_is_the_plain_one_permutation_scheme(shingles: list[int], num_perm: int) -> None:
    got = minhash(np.array(shingles, dtype=np.uint64), num_perm)
    assert got.dtype == np.uint32 and got.tolist() == reference_minhash(shingles, num_perm)


def test_minhash_of_many_shingles() -> None:
    rng = np.random.default_rng(3)
    x = rng.integers(0, 2**64 - 1, size=20_000, dtype=np.uint64)
    assert minhash(x, 128).tolist() == reference_minhash(x.tolist(), 128)
    with pytest.raises(ValueError, match="no shingles"):
        minhash(np.empty(0, dtype=np.uint64), 128)
    text = " ".join(f"w{i}" for i in range(100_000))  # 100k distinct shingles
    assert body_signature(text, 128, 5, 50) is not None


def test_probe_orders_are_fixed_permutations_of_every_bin() -> None:
    for n in (2, 128, 1024):
        order = probe_order(n)
        assert order.shape == (n, n) and not order.flags.writeable
        assert (np.sort(order, axis=1) == np.arange(n)).all()
    rows = probe_order(128)
    assert len({tuple(r) for r in rows.tolist()}) == 128  # each bin probes in its own order
    assert rows[0, :4].tolist() == [16, 54, 91, 29]  # pinned: part of the signature scheme


def test_estimates_follow_the_true_jaccard() -> None:
    """Over pairs with a known shingle Jaccard J, the share of equal minima is within binomial
    noise of J (sd = sqrt(J(1 - J) / 128)), with no bias."""
    rng = random.Random(11)
    vocab = [f"w{i}" for i in range(3000)] + ["straße", "élan", "ΣΊΣΥΦΟΣ", "日本語", "naïve"]
    errors: list[float] = []
    sds: list[float] = []
    for trial in range(160):
        n = (60, 150, 400, 1500)[trial % 4]
        a = [rng.choice(vocab) for _ in range(n)]
        rate = (0.0, 0.01, 0.02, 0.04, 0.08, 0.15, 0.5, 1.0)[trial % 8]
        b = [rng.choice(vocab) if rng.random() < rate else w for w in a]
        ta, tb = " ".join(a), " ".join(b)
        sa, sb = shingle_set(ta), shingle_set(tb)
        true = len(sa & sb) / len(sa | sb)
        est = float((sig(ta) == sig(tb)).mean())
        sd = (true * (1 - true) / 128) ** 0.5
        assert abs(est - true) <= 5 * sd + 0.02, (n, rate, true, est)
        errors.append(est - true)
        sds.append(sd)
    e = np.array(errors)
    assert abs(e.mean()) < 0.01
    assert np.sqrt((e**2).mean()) < 1.3 * np.sqrt((np.array(sds) ** 2).mean())


# ---------------------------------------------------------------- LSH banding


@pytest.mark.parametrize(
    ("threshold", "num_perm", "expected"),
    [
        (0.5, 128, (25, 5)),
        (0.7, 128, (14, 9)),
        (0.8, 128, (9, 13)),
        (0.9, 128, (5, 25)),
        (0.8, 64, (5, 11)),
        (0.8, 256, (17, 15)),
        (0.95, 512, (9, 56)),
        (0.3, 32, (12, 2)),
        (1.0, 128, (1, 128)),
        (0.01, 16, (16, 1)),
    ],
)
def test_lsh_params_are_datasketchs(threshold: float, num_perm: int, expected: tuple[int, int]) -> None:
    """The (bands, rows) datasketch 2.0's MinHashLSH picks (values taken from it)."""
    assert lsh_params(threshold, num_perm) == expected


def test_lsh_params_match_datasketch_on_a_grid() -> None:
    lsh = pytest.importorskip("datasketch.lsh")
    for num_perm in (2, 16, 100, 128):
        for t in range(5, 101, 5):
            assert lsh_params(t / 100, num_perm) == lsh._optimal_param(t / 100, num_perm, 0.5, 0.5), (t, num_perm)


# ---------------------------------------------------------------- through the pipeline


def test_planted_near_duplicates_of_the_generator_are_found(tmp_path: Path) -> None:
    """bench.generate's near-duplicates re-post a clipping with an edited title: the same webUrl
    (D101) and, where the original has a body long enough to compare, the same body (D105).
    (A near-duplicate of a body-only or glitched file is a clipping rendered from the same item,
    not a copy of the file as written: nothing to find.)"""
    sys.path.insert(0, str(REPO))
    from bench.generate import generate
    from qa.config import load_config
    from qa.corpus import Source, read_record

    root = tmp_path / "c"
    manifest = generate(root, 1000, glitch_rate=0.4)
    near = {
        copy: orig
        for copy, orig in manifest.duplicates.items()
        if manifest.glitched[copy] == "near-duplicate" and orig not in manifest.glitched
    }
    result: RunResult = run([str(root)], load_config(None))
    linked: dict[tuple[str, str], set[str]] = {}
    for f in result.findings:
        for other in f.related:
            linked.setdefault((f.path, other), set()).add(f.rule)
            linked.setdefault((other, f.path), set()).add(f.rule)
    with_body = 0
    for copy, orig in near.items():
        rules = linked.get((copy, orig), set())
        original = read_record(Source(orig, str(root / orig)))
        if not original.has_front_matter:
            continue
        assert "D101" in rules, copy
        words = len(WORD.findall(original.body))
        if words >= duplicate.OPTIONS["min_body_words"]:
            with_body += 1
            assert "D105" in rules, copy
            d105 = next(f for f in result.findings if f.rule == "D105" and f.path == max(copy, orig))
            assert d105.evidence == "1.00"
        else:
            assert "D105" not in rules
    assert len(near) >= 10 and with_body >= 4


_BODY_WORDS = st.sampled_from(["alpha", "beta", "Gamma", "straße", "日本語", "𝔘𝔫𝔦", "a\ud800b", "x_y", "42", "é"])


@settings(max_examples=150, deadline=None)
@given(
    st.lists(
        st.one_of(
            st.lists(_BODY_WORDS, max_size=120).map(" ".join),
            st.text(max_size=40),
            st.just(""),
        ),
        max_size=12,
    ),
    st.sampled_from([16, 64, 1 << 16]),
    st.sampled_from([(128, 5, 50), (16, 3, 4), (2, 1, 0)]),
)
def test_signatures_of_many_bodies_at_once_are_the_one_by_one_signatures(
    bodies: list[str], batch_chars: int, params: tuple[int, int, int]
) -> None:
    num_perm, k, min_words = params
    saved = duplicate.BATCH_CHARS
    duplicate.BATCH_CHARS = batch_chars  # small batches: bodies split over many, or one over the limit
    try:
        together = duplicate.body_signatures(bodies, num_perm, k, min_words)
    finally:
        duplicate.BATCH_CHARS = saved
    assert together == [body_signature(b, num_perm, k, min_words) for b in bodies]


def test_columns_of_a_chunk_at_once_are_the_columns_of_each_record() -> None:
    from qa.checks import Context
    from qa.corpus import discover, read_record

    records = [read_record(s) for s in discover([str(REPO / "examples" / "corpus")]).sources]
    ctx = Context(duplicate.OPTIONS)
    assert any("body_minhash" in duplicate.columns(r, ctx) for r in records)
    assert duplicate.columns_batch(records, ctx) == [duplicate.columns(r, ctx) for r in records]
