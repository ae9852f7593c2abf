"""Vendor PyYAML's own test documents into tests/data/pyyaml/, for tests/test_yaml_pyyaml_corpus.py.

Run from the repository root with the sdist beside you (any folder)::

    pip download --no-binary :all: --no-deps pyyaml==6.0.4 -d /tmp/pyyaml
    python tests/data/pyyaml/vendor.py /tmp/pyyaml/pyyaml-6.0.4.tar.gz

It checks the sdist's sha256, copies every document the loader tests read (``*.data``,
``*.canonical``, ``*.loader-error``, ``*.single-loader-error``) and the YAML 1.1 schema
cases (``yaml11.schema``) from ``tests/legacy_tests/data`` byte for byte into ``data/``,
PyYAML's LICENSE (MIT) beside them, and writes MANIFEST.sha256 (one line per file). The
output is committed; this script says how it was made.
"""

from __future__ import annotations

import hashlib
import sys
import tarfile
from pathlib import Path, PurePosixPath

HERE = Path(__file__).resolve().parent
VERSION = "6.0.4"
SDIST_SHA256 = "e24bf71af8a432d7808fabff134d38dfe16d3cbb41f2873bb4b1e42422de0a1a"
DATA = f"pyyaml-{VERSION}/tests/legacy_tests/data/"
SUFFIXES = (".data", ".canonical", ".loader-error", ".single-loader-error")


def main(sdist: str) -> int:
    blob = Path(sdist).read_bytes()
    digest = hashlib.sha256(blob).hexdigest()
    if digest != SDIST_SHA256:
        print(f"{sdist}: sha256 {digest}, expected {SDIST_SHA256}", file=sys.stderr)
        return 1
    out = HERE / "data"
    out.mkdir(exist_ok=True)
    lines = [f"{SDIST_SHA256}  pyyaml-{VERSION}.tar.gz (sdist, from PyPI)"]
    with tarfile.open(sdist) as tar:
        members = {m.name: m for m in tar.getmembers() if m.isfile()}
        (HERE / "LICENSE").write_bytes(tar.extractfile(members[f"pyyaml-{VERSION}/LICENSE"]).read())  # type: ignore[union-attr]
        for name in sorted(members):
            if not name.startswith(DATA):
                continue
            base = PurePosixPath(name).name
            if not (base.endswith(SUFFIXES) or base == "yaml11.schema"):
                continue
            content = tar.extractfile(members[name]).read()  # type: ignore[union-attr]
            (out / base).write_bytes(content)
            lines.append(f"{hashlib.sha256(content).hexdigest()}  {name}")
    (HERE / "MANIFEST.sha256").write_text("\n".join(lines) + "\n", encoding="utf-8")
    print(f"vendored {len(lines) - 1} files into {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
