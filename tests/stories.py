"""Distinct stories for the cross-record tests: each its own URL, title and file name."""

from __future__ import annotations

import random
from typing import Any

from tests.clipping import clipping, data, render

HOST = "www.maritime.example.com"


def url(i: int) -> str:
    return f"https://{HOST}/2025/story-{i}/"


def name(i: int) -> str:
    """A file name in the corpus's pattern, NNN_<16 hex>.txt."""
    return f"{i:03d}_{i * 7919 + 0xA5C9B4D6:016x}.txt"


def fields(i: int, **changes: Any) -> dict[str, Any]:
    """A valid, published clipping of story ``i`` (its URLs, title), with changes."""
    u = url(i)
    base: dict[str, Any] = {
        "title": f"Port authority number {i} tests autonomous cranes at night",
        "webUrl": u,
        "originalUrl": u,
        "ampWebUrl": f"{u}amp/",
        "cdnAmpWebUrl": f"https://www-maritime-example-com.cdn.ampproject.org/c/s/{HOST}/2025/story-{i}/amp/",
        # its own image: one image URL on many clippings is a placeholder (I106)
        "images": [{"url": f"https://{HOST}/img/story-{i}.jpg", "width": 1200, "height": 800, "isCached": True}],
    }
    base.update(changes)
    return data(**base)


def story(i: int, body: str = "", **changes: Any) -> str:
    return render(fields(i, **changes), body)


def words(seed: int, n: int = 300) -> list[str]:
    """Deterministic pseudo-text: n words drawn from a 2,000-word vocabulary."""
    rng = random.Random(seed)
    return [f"w{rng.randrange(2000)}" for _ in range(n)]


def body(seed: int, n: int = 300, change_every: int = 0) -> str:
    """A body of n words; with change_every=k, every k-th word replaced (a near-duplicate)."""
    ws = words(seed, n)
    if change_every:
        for j in range(0, n, change_every):
            ws[j] = f"changed{j}"
    lines = [" ".join(ws[j : j + 12]) for j in range(0, n, 12)]
    return "\n".join(lines) + "\n"


__all__ = ["body", "clipping", "fields", "name", "story", "url", "words"]
