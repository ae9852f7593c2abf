"""Build clipping files in the seed format for tests."""

from __future__ import annotations

import copy
import datetime as dt
from typing import Any

import yaml

BASE: dict[str, Any] = {
    "category": "news",
    "title": "Port of Rotterdam tests autonomous cranes",
    "excerpt": "Europe's largest port is trialling remote-controlled cranes.",
    "publishedDateTime": dt.datetime(2025, 3, 14, 8, 30, tzinfo=dt.UTC),
    "originalUrl": "https://www.maritime.example.com/2025/rotterdam-cranes/",
    "webUrl": "https://www.maritime.example.com/2025/rotterdam-cranes/",
    "ampWebUrl": "https://www.maritime.example.com/2025/rotterdam-cranes/amp/",
    "cdnAmpWebUrl": "https://www-maritime-example-com.cdn.ampproject.org/c/s/www.maritime.example.com/2025/rotterdam-cranes/amp/",
    "type": "article",
    "quality": 62,
    "heat": 31,
    "published": True,
    "provider": {"name": "Maritime Daily", "domain": "maritime.example.com"},
    "topics": ["Shipping", "Automation"],
    "images": [
        {"url": "https://www.maritime.example.com/img/cranes.jpg", "width": 1200, "height": 800, "isCached": True}
    ],
    "related": [
        {
            "title": "Hamburg port automates container yard",
            "excerpt": "Hamburg follows Rotterdam with automated stacking cranes.",
            "publishedDateTime": dt.datetime(2025, 3, 10, 10, 0, tzinfo=dt.UTC),
            "webUrl": "https://www.portnews.example.org/hamburg-automation",
            "type": "article",
            "provider": {"name": "Port News", "domain": "portnews.example.org"},
            "quality": 40,
            "images": [
                {"url": "https://www.portnews.example.org/i/h.jpg", "width": 640, "height": 480, "isCached": False}
            ],
        }
    ],
    "secured": "upbawOTqlDoRsbbo2GujHhX+/EVVu2VQ==;3j/jw6Gjq+x0rmcnwikq6A==",
}


def data(**changes: Any) -> dict[str, Any]:
    """A valid clipping's fields, with changes (a value of ... deletes the key)."""
    d = copy.deepcopy(BASE)
    for key, value in changes.items():
        if value is ...:
            d.pop(key, None)
        else:
            d[key] = value
    return d


def render(fields: dict[str, Any], body: str = "") -> str:
    text = yaml.safe_dump(fields, sort_keys=False, allow_unicode=True, width=1000)
    return f"---\n{text}---\n{body}"


def clipping(body: str = "", **changes: Any) -> str:
    return render(data(**changes), body)
