"""Files -> records: discover, read, decode, split front matter, parse.

Every problem met on the way is a finding on the record; nothing here raises on
bad input. A record keeps the composed YAML node so that findings can be located
(file line and column) lazily, only for the fields that have findings.
"""

from __future__ import annotations

import codecs
import fnmatch
import hashlib
import operator
import os
import re
import stat
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any

import yaml

from qa.findings import REGISTRY, Edit, Finding, replace_bytes, rule
from qa.yamlload import (
    P101,
    P105,
    Limits,
    compose_marks,
    locate,
    parse_yaml,
    split_field,
    top_key_lines,
    top_key_mark,
)

P103 = rule(
    "P103",
    "unterminated-front-matter",
    "parse",
    "error",
    "The file opens front matter with '---' but never closes it with a '---' line.",
)
P104 = rule("P104", "empty-file", "parse", "error", "The file is empty or holds only white space.")
P120 = rule(
    "P120", "unreadable-file", "parse", "error", "The file cannot be read (permissions, a dangling link, an I/O error)."
)
P121 = rule("P121", "binary-file", "parse", "error", "The file holds NUL bytes: it is binary, not a text clipping.")
P122 = rule("P122", "symlink-loop", "parse", "error", "A symbolic link leads back into a folder already being read.")
P116 = rule(
    "P116",
    "link-outside-paths",
    "parse",
    "error",
    "A symbolic link leads outside the paths given; it is not followed, and nothing it leads to is read.",
)
P123 = rule("P123", "file-too-large", "parse", "error", "The file is larger than the size limit and is not parsed.")
E101 = rule("E101", "invalid-utf8", "encoding", "error", "The file has bytes that are not valid UTF-8.")
E102 = rule(
    "E102",
    "utf8-bom",
    "encoding",
    "warning",
    "The file starts with a UTF-8 byte-order mark.",
    fix="Remove the BOM.",
    applicability="safe",
)
E103 = rule(
    "E103",
    "not-utf8-encoding",
    "encoding",
    "error",
    "The file is UTF-16 or UTF-32 (by its byte-order mark), not UTF-8.",
    fix="Re-encode as UTF-8, e.g. iconv -f UTF-16 -t UTF-8.",
)
E104 = rule(
    "E104",
    "cr-line-endings",
    "encoding",
    "warning",
    "The file uses bare CR line endings; use LF (CRLF is accepted).",
    fix="Write each bare CR as the file's line ending (LF, or CRLF in a CRLF file).",
    applicability="safe",
)
S110 = rule(
    "S110",
    "no-front-matter",
    "schema",
    "warning",
    "The file has a body but no YAML front matter, so none of the clipping's fields can be checked.",
)

MAX_INVALID_UTF8_REPORTS = 5

_UNICODE_BOMS: tuple[tuple[bytes, str], ...] = (
    (codecs.BOM_UTF32_LE, "utf-32-le"),  # before UTF-16 LE: it starts with the same two bytes
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)

_UNICODE_BOM_BYTES = tuple(bom for bom, _ in _UNICODE_BOMS)
_ANY_BOM = (*_UNICODE_BOM_BYTES, codecs.BOM_UTF8)

DEFAULT_INCLUDE = ("*.txt", "*.md")
DEFAULT_EXCLUDE = (".git", ".hg", ".svn", ".clipqa-cache", "__pycache__", "node_modules", ".venv", ".nox")


@dataclass(frozen=True, slots=True)
class ReadOptions:
    max_file_bytes: int = 1 << 20
    yaml_limits: Limits = field(default_factory=Limits)


@dataclass(frozen=True, slots=True)
class Source:
    """One file to read: where it is, and how reports name it."""

    path: str  # POSIX, relative to the root given on the command line
    location: str  # what to open: a local path (or an fsspec URL for remote engines)
    # The file's bytes as they would be after a change not yet written (``clipqa fix`` checks
    # its fixes before it writes them): read instead of ``location``.
    content: bytes | None = None


@dataclass(slots=True)
class Record:
    path: str
    location: str
    text: str = ""
    data: dict[str, Any] | None = None  # front matter mapping, when there is a usable one
    composed: yaml.Node | None = None  # composed front matter, for locating fields (see ``node``)
    yaml_text: str | None = None  # front matter read by the fast path, composed on first use of ``node``
    fast_yaml: bool = False  # read by the fast path: every boolean was written true/false (YAML 1.2)
    key_lines: dict[str, int] | None = None  # fast path: 0-based YAML line of each top-level key
    has_front_matter: bool = False
    body: str = ""
    body_offset: int = 0  # character offset of the body within ``text``
    body_line: int = 1  # 1-based file line where the body starts
    sha256: str = ""
    size: int = 0
    findings: list[Finding] = field(default_factory=list)
    # Values the checks derive from the record and share, computed once by the first that needs
    # them (e.g. its text fields, see qa/textfields.py): the checks run one after another.
    derived: dict[str, Any] = field(default_factory=dict)

    @property
    def node(self) -> yaml.Node | None:
        """The composed front matter (line marks). The fast YAML path does not compose:
        that happens here, the first time a check or a finding needs a mark."""
        if self.yaml_text is not None:
            text = self.yaml_text
            self.yaml_text = None
            try:
                self.composed = compose_marks(text)
            except (yaml.YAMLError, RecursionError) as exc:
                self._fast_path_refused(text, exc)
        return self.composed

    def _fast_path_refused(self, text: str, exc: BaseException) -> None:
        """libyaml refuses front matter the fast path read. The fast path declines whatever
        libyaml refuses (tests/test_yaml_fastpath.py), so this is a clipqa bug: say so, with
        libyaml's reason where it stands, and keep placing findings on their top-level keys."""
        if self.data is not None and self.key_lines is None:
            self.key_lines = top_key_lines(text, list(self.data)) or {}
        parsed = parse_yaml(text, fast=False, line_offset=1)
        reason = next((i for i in parsed.issues if i.code == P101.code), None)
        self.findings.append(
            P101.finding(
                self.path,
                "libyaml refuses this front matter, which clipqa's fast YAML reader read "
                f"({reason.message if reason else exc}); PyYAML would not load it. This is a clipqa bug: "
                "please report it",
                line=reason.line if reason else 1,
                column=reason.column if reason else 1,
            )
        )

    def key_line(self, key: str) -> int | None:
        """1-based file line of a top-level front-matter key, or None: without composing
        when the fast path read the document (see ``yamlload.top_key_lines``)."""
        if self.yaml_text is not None and self.data is not None:
            if self.key_lines is None:
                self.key_lines = top_key_lines(self.yaml_text, list(self.data)) or {}
            if self.key_lines:  # else the scan could not vouch for its lines: compose
                line = self.key_lines.get(key)
                return None if line is None else line + 2
        loc = top_key_mark(self.node, key)
        return None if loc is None else loc[0] + 2

    @property
    def usable(self) -> bool:
        """Front matter was parsed into a mapping, so field checks can run."""
        return self.data is not None

    def position(self, field_path: str | None) -> tuple[int | None, int | None]:
        """1-based file line and column of a front-matter field (or None)."""
        if field_path is None:
            return None, None
        if field_path == "body" or field_path.startswith("body"):
            return self.body_line, 1
        if self.yaml_text is not None and "." not in field_path and "[" not in field_path:
            line = self.key_line(field_path)  # a top-level key: no need to compose
            if line is not None:
                return line, 1
        loc = locate(self.node, field_path)
        if loc is None:
            top = split_field(field_path)[:1]
            if self.composed is None and self.key_lines and top and top[0] in self.key_lines:
                return self.key_lines[str(top[0])] + 2, 1  # nothing composed: the field's top-level key
            return (1, 1) if self.has_front_matter else (None, None)
        return loc[0] + 2, loc[1] + 1  # +1 for 1-based, +1 for the opening '---' line

    def body_position(self, offset: int) -> tuple[int, int]:
        """1-based line and column in the file of a character offset within the body."""
        before = self.body[:offset]
        line = self.body_line + before.count("\n")
        column = offset - (before.rfind("\n") + 1) + 1
        return line, column

    def locate_findings(self) -> None:
        for f in self.findings:
            if f.line is None and f.field is not None:
                f.line, f.column = self.position(f.field)


# ---------------------------------------------------------------- discovery


def _matches(name: str, patterns: Sequence[str]) -> bool:
    return any(fnmatch.fnmatchcase(name, p) for p in patterns)


def _excluded(rel: str, patterns: Sequence[str]) -> bool:
    parts = PurePosixPath(rel).parts
    return any(fnmatch.fnmatchcase(rel, p) or any(fnmatch.fnmatchcase(part, p) for part in parts) for p in patterns)


def _compiled(patterns: Sequence[str]) -> re.Pattern[str]:
    """One regex for a list of fnmatch patterns (``fnmatchcase`` semantics)."""
    if not patterns:
        return re.compile(r"(?!)")
    return re.compile("|".join(f"(?:{fnmatch.translate(p)})" for p in patterns))


@dataclass(slots=True)
class Discovery:
    sources: list[Source]
    findings: list[Finding]  # symlink loops, links out of the paths given, unreadable folders
    missing: list[str]  # arguments that do not exist (usage error: exit 2)


@dataclass(slots=True)
class Folders:
    """The folders a walk listed, each with its stat when it was listed (size, mtime, ctime,
    inode, following links): while a folder's stat stays the same, so does the list of its
    entries (qa/index.py's scan lists only the folders that changed). ``linked``: a folder was
    reached through a symbolic link (then only a whole walk says what is in the corpus)."""

    stats: dict[str, tuple[int, int, int, int]] = field(default_factory=dict)
    linked: bool = False


def shown(path: str | os.PathLike[str]) -> str:
    """A path (or a message naming one) as it can be printed: bytes of a name that are not
    UTF-8 (kept by ``os.fsdecode`` as lone surrogates) shown as ``\\xNN``."""
    text = os.fspath(path)
    try:
        raw = text.encode("utf-8", "surrogateescape")
    except UnicodeEncodeError:  # a surrogate that stands for no byte (from a YAML escape)
        return text.encode("utf-8", "backslashreplace").decode("utf-8")
    return raw.decode("utf-8", "backslashreplace")


def _display_name(name: str) -> str:
    """A file or folder name as a finding's path holds it: the name itself, or, for a name
    that is not UTF-8, its printable form (``caf\\xe9.txt``). The tables (Arrow strings),
    the reports and JSON take only UTF-8; the file is still read at its real location."""
    if name.isascii():
        return name
    try:
        name.encode("utf-8")
    except UnicodeEncodeError:
        return shown(name)
    return name


def discover(
    paths: Sequence[str | os.PathLike[str]],
    include: Sequence[str] = DEFAULT_INCLUDE,
    exclude: Sequence[str] = DEFAULT_EXCLUDE,
    folders: Folders | None = None,
) -> Discovery:
    """Expand files and folders (recursively) into sources, sorted, de-duplicated.

    A file's path is relative to the folder it was found in (a file named directly: its
    name). Where that names two different files (``a/x.txt`` and ``b/x.txt`` given as
    arguments, or two folders that each hold an ``x.txt``), those files are named by their
    paths as given (``a/x.txt``, ``b/x.txt``): every file is checked, none hides another.
    The same file reached twice is one source. ``folders``: filled with the folders listed
    (one folder given)."""
    parts: list[tuple[str | None, dict[str, Source]]] = []  # (folder as given, or None; its sources by path)
    findings: list[Finding] = []
    missing: list[str] = []
    inside = [os.path.realpath(p) for p in paths]  # links are followed only to within these
    for arg in paths:
        root = Path(arg)
        if not os.path.lexists(root):
            missing.append(str(arg))
            continue
        if not root.is_dir():
            # A file named directly is read whatever its extension.
            name = _display_name(root.name)
            parts.append((None, {name: Source(name, str(root))}))
            continue
        walked: dict[str, Source] = {}
        _walk(root, include, exclude, walked, findings, folders, inside=inside)
        parts.append((os.fspath(arg), walked))
    # one folder or file: its paths are distinct
    sources = list(parts[0][1].values()) if len(parts) == 1 else _distinct(parts)
    return Discovery(sorted(sources, key=lambda s: s.path), findings, missing)


def _distinct(parts: Sequence[tuple[str | None, dict[str, Source]]]) -> list[Source]:
    """The sources of several arguments: each file once (the first argument that reaches it
    names it), and each path naming one file: a path that several arguments give to
    different files becomes each file's path as given (``a/x.txt``, ``b/x.txt``)."""
    entries: list[tuple[str, str, str]] = []  # (path, path as given, location), each file once
    files_named: dict[str, set[str]] = {}  # path -> the absolute locations it names
    seen: set[str] = set()
    for folder, found in parts:
        for path, source in found.items():
            where = os.path.abspath(source.location)
            if where in seen:
                continue
            seen.add(where)
            given = os.path.normpath(source.location if folder is None else os.path.join(folder, path))
            entries.append((path, given, source.location))
            files_named.setdefault(path, set()).add(where)
    out: dict[str, Source] = {}
    for path, given, location in entries:
        name = path if len(files_named[path]) == 1 else given
        if out.setdefault(name, Source(name, location)).location != location:
            # a path as given that another argument gives to another file (rare): absolute
            absolute = os.path.abspath(location)
            out[absolute] = Source(absolute, location)
    return list(out.values())


def _walk(
    root: Path,
    include: Sequence[str],
    exclude: Sequence[str],
    sources: dict[str, Source],
    findings: list[Finding],
    folders: Folders | None = None,
    base: str = "",
    *,
    inside: Sequence[str],
) -> None:
    """Every file under ``root`` (named ``base/...``) that the patterns select, into ``sources``.
    ``inside``: the real paths a symbolic link may lead to (the paths given; see :func:`list_folder`)."""
    seen_dirs: set[tuple[int, int]] = set()
    # A folder is entered only if it is not excluded, so an entry's own name and its
    # relative path are all that is left to test (``_excluded`` tests every part).
    excluded = _compiled(exclude).match
    included = _compiled(include).match
    stack: list[tuple[Path, str]] = [(root, base)]
    while stack:
        directory, rel_dir = stack.pop()
        try:
            st = directory.stat()
        except OSError as exc:
            findings.append(P120.finding(rel_dir or ".", f"cannot read folder: {exc.strerror or exc}"))
            continue
        ident = (st.st_dev, st.st_ino)
        if ident in seen_dirs:
            findings.append(
                P122.finding(rel_dir, f"symbolic link {rel_dir!r} leads to a folder already read; not followed")
            )
            continue
        seen_dirs.add(ident)
        if folders is not None:
            folders.stats[rel_dir] = (st.st_size, st.st_mtime_ns, st.st_ctime_ns, st.st_ino)
        files, subfolders = list_folder(directory, rel_dir, excluded, included, findings, folders, inside=inside)
        for source in files:
            sources[source.path] = source
        stack.extend(subfolders)


def list_folder(
    directory: Path,
    rel_dir: str,
    excluded: Callable[[str], object],
    included: Callable[[str], object],
    findings: list[Finding],
    folders: Folders | None = None,
    *,
    inside: Sequence[str],
) -> tuple[list[Source], list[tuple[Path, str]]]:
    """One folder's entries, by discover's rules: the files selected (by name), and the
    sub-folders to enter. ``excluded``/``included``: the compiled patterns' ``match``.
    ``inside``: real paths (the paths given). A symbolic link, to a file or a folder, whose
    real path is not within one of them is not followed (P116): nothing outside the paths
    given is read, as a link to /etc/passwd or to / would have it."""
    files: list[Source] = []
    subfolders: list[tuple[Path, str]] = []
    try:
        entries = sorted(os.scandir(directory), key=_name)
    except OSError as exc:
        findings.append(P120.finding(rel_dir or ".", f"cannot list folder: {exc.strerror or exc}"))
        return files, subfolders
    taken: set[str] = set()
    for entry in entries:
        name = _display_name(entry.name)
        rel = f"{rel_dir}/{name}" if rel_dir else name
        if excluded(entry.name) or excluded(rel):
            continue
        if entry.is_symlink():  # d_type: no system call for the entries that are not links
            real = _outside(entry.path, inside)
            if real is not None:
                if included(entry.name) or os.path.isdir(real):
                    why = f"symbolic link to {shown(real)!r} leads outside the paths given; not followed"
                    findings.append(P116.finding(rel, why))
                continue
        try:
            is_dir = entry.is_dir(follow_symlinks=True)
        except OSError:
            is_dir = False
        if is_dir:
            if folders is not None and entry.is_symlink():
                folders.linked = True
            subfolders.append((Path(entry.path), rel))
            continue
        if not included(entry.name):
            continue
        if entry.is_symlink() and not os.path.exists(entry.path):
            try:
                os.stat(entry.path)
            except OSError as exc:
                problem = "a symbolic link loop" if exc.errno == 40 else "a dangling symbolic link"
                findings.append((P122 if exc.errno == 40 else P120).finding(rel, f"cannot read: {problem}"))
                continue
        if name is not entry.name:
            while rel in taken:  # the printable form is also another file's real name
                rel += "~"
        taken.add(rel)
        files.append(Source(rel, entry.path))
    return files, subfolders


_name = operator.attrgetter("name")


def _outside(link: str, inside: Sequence[str]) -> str | None:
    """The real path ``link`` leads to when that is within none of ``inside``; else None."""
    real = os.path.realpath(link)
    for root in inside:
        if real == root or real.startswith(root if root.endswith(os.sep) else root + os.sep):
            return None
    return real


def walk_folder(
    folder: Path,
    rel: str,
    include: Sequence[str],
    exclude: Sequence[str],
    findings: list[Finding],
    folders: Folders | None = None,
    *,
    inside: Sequence[str],
) -> dict[str, Source]:
    """The files under one folder of a corpus (named ``rel/...``), as :func:`discover` finds
    them (``inside``: the corpus's real path)."""
    sources: dict[str, Source] = {}
    _walk(folder, include, exclude, sources, findings, folders, base=rel, inside=inside)
    return sources


def selected(rel: str, include: Sequence[str], exclude: Sequence[str]) -> bool:
    """Whether a walk from the root would select the file ``rel`` by its names (each folder on
    its way, and the file, tested as :func:`list_folder` tests them)."""
    excluded, included = file_patterns(include, exclude)
    parts = rel.split("/")
    for i, part in enumerate(parts):
        if excluded(part) or excluded("/".join(parts[: i + 1])):
            return False
    return bool(included(parts[-1]))


def file_patterns(
    include: Sequence[str], exclude: Sequence[str]
) -> tuple[Callable[[str], object], Callable[[str], object]]:
    """(excluded, included): the ``match`` of the compiled patterns, as :func:`list_folder` takes them."""
    return _compiled(exclude).match, _compiled(include).match


# ---------------------------------------------------------------- reading


def read_bytes(source: Source, options: ReadOptions) -> tuple[bytes | None, Finding | None, int]:
    """The file's bytes, or a finding saying why there are none. Reads at most the limit."""
    if source.content is not None:
        raw = source.content
        if len(raw) > options.max_file_bytes:
            return None, _too_large(source, len(raw), options), len(raw)
        return raw, None, len(raw)
    if "://" in source.location:
        return _read_url(source, options)
    try:
        # stat before opening: opening a FIFO for reading blocks until a writer comes,
        # and a device such as /dev/zero never ends. O_NONBLOCK guards the race.
        before = os.stat(source.location)
        if not stat.S_ISREG(before.st_mode):
            return None, P120.finding(source.path, f"not a regular file ({_file_kind(before.st_mode)})"), 0
        fd = os.open(source.location, _OPEN_FLAGS)
        try:
            st = os.fstat(fd)
            if not stat.S_ISREG(st.st_mode):
                return None, P120.finding(source.path, f"not a regular file ({_file_kind(st.st_mode)})"), 0
            raw = _read_fd(fd, options.max_file_bytes + 1, st.st_size)
        finally:
            os.close(fd)
    except OSError as exc:
        if exc.errno == 40:
            return None, P122.finding(source.path, "cannot read: a symbolic link loop"), 0
        return None, P120.finding(source.path, f"cannot read: {exc.strerror or exc}"), 0
    if len(raw) > options.max_file_bytes:
        size = max(st.st_size, len(raw))
        return None, _too_large(source, size, options), size
    return raw, None, len(raw)


def _too_large(source: Source, size: int, options: ReadOptions) -> Finding:
    return P123.finding(
        source.path, f"file is {size:,} bytes, over the limit of {options.max_file_bytes:,}; not parsed", evidence=size
    )


_OPEN_FLAGS = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0)


def _read_fd(fd: int, limit: int, size_hint: int) -> bytes:
    """Up to ``limit`` bytes of an open file, to its end (what ``fh.read(limit)`` gives).

    ``os.read`` sized by the file's stat size, not a buffered read of ``limit`` bytes:
    that allocates the whole limit (1 MB) for every file, which cost more than the read.
    The size is only a hint: reads go on until the end of the file or the limit.
    """
    chunks: list[bytes] = []
    got = 0
    want = min(limit, max(size_hint, 0) + 1)  # one byte more: a file that grew shows it
    while got < limit:
        chunk = os.read(fd, want)
        if not chunk:
            break
        chunks.append(chunk)
        got += len(chunk)
        want = min(limit - got, 1 << 16)
    return chunks[0] if len(chunks) == 1 else b"".join(chunks)


def _read_url(source: Source, options: ReadOptions) -> tuple[bytes | None, Finding | None, int]:
    """Read an fsspec URL (``s3://...``), for engines that read remote corpora."""
    try:
        import fsspec

        with fsspec.open(source.location, "rb") as fh:
            raw: bytes = fh.read(options.max_file_bytes + 1)
    except (OSError, ValueError, ImportError) as exc:
        return None, P120.finding(source.path, f"cannot read {source.location}: {exc}"), 0
    if len(raw) > options.max_file_bytes:
        return (
            None,
            P123.finding(
                source.path,
                f"file is over the limit of {options.max_file_bytes:,} bytes; not parsed",
                evidence=len(raw),
            ),
            len(raw),
        )
    return raw, None, len(raw)


def _file_kind(mode: int) -> str:
    for test, name in (
        (stat.S_ISDIR, "a folder"),
        (stat.S_ISFIFO, "a named pipe"),
        (stat.S_ISSOCK, "a socket"),
        (stat.S_ISCHR, "a character device"),
        (stat.S_ISBLK, "a block device"),
    ):
        if test(mode):
            return name
    return "not a regular file"


def _line_col(raw: bytes, offset: int) -> tuple[int, int]:
    line = raw.count(b"\n", 0, offset) + 1
    start = raw.rfind(b"\n", 0, offset) + 1
    # Column in characters, counting what decodes before the bad byte on that line.
    column = len(raw[start:offset].decode("utf-8", "replace")) + 1
    return line, column


def decode(path: str, raw: bytes) -> tuple[str, list[Finding]]:
    """Decode strictly as UTF-8; report and replace what is not."""
    findings: list[Finding] = []
    if raw.startswith(_ANY_BOM):  # rare: most files have no byte-order mark to look at
        for bom, encoding in _UNICODE_BOMS:
            if raw.startswith(bom):
                findings.append(
                    E103.finding(
                        path,
                        f"file is {encoding.upper()} (byte-order mark), not UTF-8; re-encode it, "
                        f"e.g. iconv -f {encoding.upper()} -t UTF-8",
                        line=1,
                        column=1,
                        evidence=encoding,
                    )
                )
                return raw[len(bom) :].decode(encoding, "replace"), findings
        findings.append(
            E102.finding(
                path,
                "file starts with a UTF-8 byte-order mark; it is ignored",
                line=1,
                column=1,
                fix=replace_bytes(0, len(codecs.BOM_UTF8), ""),
                fix_message="remove the byte-order mark",
            )
        )
        raw = raw[len(codecs.BOM_UTF8) :]
    try:
        return raw.decode("utf-8"), findings
    except UnicodeDecodeError:
        pass
    reported = 0
    total = 0
    pos = 0
    while True:
        try:
            raw[pos:].decode("utf-8")
            break
        except UnicodeDecodeError as exc:
            start = pos + exc.start
            total += 1
            if reported < MAX_INVALID_UTF8_REPORTS:
                line, column = _line_col(raw, start)
                findings.append(
                    E101.finding(
                        path,
                        f"invalid UTF-8 byte sequence {raw[start : pos + exc.end].hex(' ')}: {exc.reason}",
                        line=line,
                        column=column,
                        evidence=raw[max(0, start - 20) : pos + exc.end + 20].decode("utf-8", "replace"),
                    )
                )
                reported += 1
            pos += exc.end
    if total > reported:
        findings[-1].message += f" ({total - reported} more invalid sequences in this file)"
    return raw.decode("utf-8", "replace"), findings


def _opening_fence(text: str) -> int | None:
    """Length of the opening '---' line (with its newline) if the file has front matter."""
    if not text.startswith("---"):
        return None
    end = text.find("\n")
    first = text[:end] if end >= 0 else text
    if first.rstrip() != "---":
        return None
    return len(first) + 1 if end >= 0 else len(first)


def _closing_fence(text: str, start: int) -> tuple[int, int] | None:
    """(start, end) of the closing '---' line at or after ``start``, end past its newline.

    Only lines that start with '---' can close: find those with a plain substring search
    (a newline and '---') instead of walking every line, then apply the exact test
    (``rstrip() == '---'``).
    """
    n = len(text)
    if start > n:
        return None
    # ``start`` begins a line even when no newline precedes it.
    pos = start if text.startswith("---", start) else _next_fence_line(text, start)
    while pos >= 0:
        end = text.find("\n", pos)
        line = text[pos:] if end < 0 else text[pos:end]
        if line.rstrip() == "---":
            return pos, (n if end < 0 else end + 1)
        pos = _next_fence_line(text, pos)
    return None


def _next_fence_line(text: str, pos: int) -> int:
    """Start of the next line after ``pos`` that starts with '---', or -1."""
    newline = text.find("\n---", pos)
    return newline + 1 if newline >= 0 else -1


def front_matter_bounds(text: str) -> tuple[int, int] | None:
    """(start, end) of the YAML text between the fences of a record's ``text`` (as
    :func:`split_and_parse` cuts it), or None when the file has no closed front matter."""
    opening = _opening_fence(text)
    if opening is None:
        return None
    closing = _closing_fence(text, opening)
    return None if closing is None else (opening, closing[0])


def read_record(source: Source, options: ReadOptions = ReadOptions()) -> Record:
    raw, problem, size = read_bytes(source, options)
    if raw is None:
        assert problem is not None
        rec = Record(source.path, source.location, size=size)
        rec.findings.append(problem)
        return rec
    return record_from_bytes(source, raw, options)


def record_from_bytes(source: Source, raw: bytes, options: ReadOptions = ReadOptions()) -> Record:
    """The record of a file whose bytes are ``raw`` (as :func:`read_record` reads them)."""
    rec = Record(source.path, source.location, size=len(raw))
    rec.sha256 = hashlib.sha256(raw).hexdigest()
    if b"\x00" in raw and not raw.startswith(_UNICODE_BOM_BYTES):
        rec.findings.append(
            P121.finding(
                rec.path, "file contains NUL bytes; it looks binary, not text", evidence=f"{raw.count(0)} NUL bytes"
            )
        )
        return rec
    text, findings = decode(rec.path, raw)
    rec.findings.extend(findings)
    if "\r" in text:
        crlf = text.count("\r\n")
        if text.count("\r") > crlf:
            utf16 = any(f.rule == E103.code for f in findings)  # the bytes are not the text's: no byte edits
            rec.findings.append(
                E104.finding(
                    rec.path,
                    "bare CR line endings (old Mac style); convert to LF",
                    line=1,
                    column=1,
                    fix=None if utf16 else _bare_cr_edits(raw),
                    fix_message="write each bare CR as the file's line ending",
                )
            )
        # CRLF is accepted; bare CR is read as a line break, as an editor shows it.
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    rec.text = text
    if not text or text.isspace():  # what ``not text.strip()`` says, without a copy of the text
        rec.findings.append(P104.finding(rec.path, "file is empty" if not text else "file holds only white space"))
        return rec
    split_and_parse(rec, options)
    return rec


_BARE_CR = re.compile(rb"\r(?!\n)")


def _bare_cr_edits(raw: bytes) -> list[Edit]:
    """One edit per bare CR: the file's line ending in its place (CRLF in a file whose line feeds
    all follow a CR, else LF)."""
    crlf = raw.count(b"\r\n")
    ending = "\r\n" if crlf and raw.count(b"\n") == crlf else "\n"
    return [replace_bytes(m.start(), m.end(), ending) for m in _BARE_CR.finditer(raw)]


def split_and_parse(rec: Record, options: ReadOptions) -> None:
    text = rec.text
    opening = _opening_fence(text)
    if opening is None:
        rec.body = text
        rec.body_offset = 0
        rec.body_line = 1
        rec.findings.append(
            S110.finding(
                rec.path,
                "no front matter: the file is a body only (it does not start with a '---' line)",
                line=1,
                column=1,
            )
        )
        return
    rec.has_front_matter = True
    closing = _closing_fence(text, opening)
    if closing is None:
        rec.findings.append(
            P103.finding(
                rec.path, "front matter opened by '---' on line 1 is never closed by a '---' line", line=1, column=1
            )
        )
        return
    fm_text = text[opening : closing[0]]
    rec.body_offset = closing[1]
    rec.body = text[closing[1] :]
    rec.body_line = text.count("\n", 0, closing[1]) + 1
    parsed = parse_yaml(fm_text, options.yaml_limits, line_offset=1)
    rec.composed = parsed.node
    if parsed.fast:
        rec.yaml_text = fm_text
        rec.fast_yaml = True
    for issue in parsed.issues:
        rule_obj = REGISTRY.get(issue.code, P101)
        rec.findings.append(
            rule_obj.finding(
                rec.path,
                issue.message,
                field=issue.field,
                line=issue.line,
                column=issue.column,
                evidence=issue.evidence,
            )
        )
    if not parsed.ok:
        return
    if parsed.data is None:
        rec.findings.append(P105.finding(rec.path, "front matter is empty", line=2, column=1))
        return
    if not isinstance(parsed.data, dict):
        rec.findings.append(
            P105.finding(
                rec.path,
                f"front matter is a {type(parsed.data).__name__}, not a mapping of fields",
                line=2,
                column=1,
                evidence=parsed.data,
            )
        )
        return
    rec.data = parsed.data
