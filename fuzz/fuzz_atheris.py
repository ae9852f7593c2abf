"""Coverage-guided fuzzing of read-and-parse and the per-file stage with atheris (libFuzzer).

    python fuzz/fuzz_atheris.py -max_total_time=60 [corpus folder]   (or: nox -s fuzz)

Without a corpus folder, one is made from the seed clippings and the hostile cases.
A crash (an exception, a signal, a timeout) is written by libFuzzer as crash-<sha1>
in the working folder: turn it into a regression test in tests/test_fuzz.py.
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

import atheris

HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(HERE), str(HERE.parent), str(HERE.parent / "tests")]

with atheris.instrument_imports(include=["qa", "yaml", "targets"]):
    import targets


def test_one_input(data: bytes) -> None:
    targets.check_bytes(data)
    if len(data) < 4096:
        fdp = atheris.FuzzedDataProvider(data)
        targets.check_text(fdp.ConsumeUnicodeNoSurrogates(len(data)))


def seed_corpus() -> str:
    from hostile_cases import build

    folder = Path(tempfile.mkdtemp(prefix="clipqa-fuzz-corpus-"))
    cases = folder / "cases"
    build(cases, special_files=False)
    for path in list(cases.iterdir()):
        if path.stat().st_size > 64 * 1024:
            path.unlink()
    seeds = HERE.parent.parent / "shared" / "seeds"
    for seed in sorted(seeds.glob("*.txt")) if seeds.is_dir() else []:
        (cases / f"seed-{seed.name}").write_bytes(seed.read_bytes())
    return str(cases)


def main() -> None:
    argv = list(sys.argv)
    if not any(not a.startswith("-") for a in argv[1:]):
        argv.append(seed_corpus())
    atheris.Setup(argv, test_one_input)
    atheris.Fuzz()


if __name__ == "__main__":
    main()
