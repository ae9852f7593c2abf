"""Configuration: discovery like ruff, every key validated, origins, CLI overrides, rule filters."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from qa.config import ConfigError, find_config, load_config
from qa.findings import Finding

REPO = Path(__file__).resolve().parents[1]

# Option tables as the language and published checks declare them (Check.options).
CHECK_DEFAULTS = {
    "language": {"expected": ["en"], "min_confidence": 0.8, "min_chars": 40},
    "published": {"min_quality": 0, "max_age_days": 3650, "require_image": False},
}


def clipqa(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    return subprocess.run([sys.executable, "-m", "qa", *args], cwd=cwd, env=env, capture_output=True, text=True,
                          check=False)  # fmt: skip


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def test_found_by_walking_up_nearest_wins(tmp_path: Path) -> None:
    write(tmp_path / "pyproject.toml", '[tool.clipqa]\nfail-on = "warning"\n')
    deep = tmp_path / "a" / "b" / "c"
    deep.mkdir(parents=True)
    assert find_config(deep) == tmp_path / "pyproject.toml"
    write(tmp_path / "a" / "clipqa.toml", 'fail-on = "info"\n')
    assert find_config(deep) == tmp_path / "a" / "clipqa.toml"
    cfg = load_config(deep, check_defaults={})
    assert cfg.fail_on == "info" and cfg.origin["fail-on"] == str(tmp_path / "a" / "clipqa.toml")
    # A pyproject.toml without [tool.clipqa] is not a clipqa config: the walk goes on.
    write(tmp_path / "a" / "b" / "pyproject.toml", "[tool.black]\nline-length = 80\n")
    assert find_config(deep) == tmp_path / "a" / "clipqa.toml"
    # clipqa.toml beats pyproject.toml in the same folder.
    write(tmp_path / "a" / "b" / "pyproject.toml", '[tool.clipqa]\nfail-on = "never"\n')
    write(tmp_path / "a" / "b" / "clipqa.toml", 'fail-on = "warning"\n')
    assert load_config(deep, check_defaults={}).fail_on == "warning"


def test_all_top_level_keys_parse(tmp_path: Path) -> None:
    write(
        tmp_path / "clipqa.toml",
        """
include = ["*.txt"]
exclude = ["drafts"]
extend-exclude = ["tmp*"]
select = ["S1", "parse", "E101"]
ignore = ["S110"]
severity = { S101 = "warning", schema = "info" }
fail-on = "warning"
schema-dir = "myschemas"
max-file-size = 2048
online = true
cache-dir = "cache"
jobs = 2

[per-file-ignores]
"legacy/*" = ["S"]

[language]
expected = ["en", "de"]
min_confidence = 0.5

[published]
max_age_days = 30
""",
    )
    cfg = load_config(tmp_path, check_defaults=CHECK_DEFAULTS)
    assert cfg.include == ["*.txt"] and cfg.exclude == ["drafts"] and cfg.extend_exclude == ["tmp*"]
    assert cfg.all_excludes() == ["drafts", "tmp*"]
    assert cfg.select == ["S1", "parse", "E101"] and cfg.ignore == ["S110"]
    assert cfg.fail_on == "warning" and cfg.max_file_size == 2048 and cfg.online is True and cfg.jobs == 2
    assert cfg.schema_dir == str((tmp_path / "myschemas").resolve())  # relative to the config file
    assert cfg.cache_dir == str((tmp_path / "cache").resolve())
    assert cfg.per_file_ignores == {"legacy/*": ["S"]}
    assert cfg.checks["language"] == {"expected": ["en", "de"], "min_confidence": 0.5, "min_chars": 40}
    assert cfg.checks["published"]["max_age_days"] == 30 and cfg.checks["published"]["min_quality"] == 0
    assert cfg.origin["language.expected"] == str(tmp_path / "clipqa.toml")
    assert cfg.origin["language.min_chars"] == "default"
    assert cfg.options_for("language", CHECK_DEFAULTS["language"])["min_confidence"] == 0.5


@pytest.mark.parametrize(
    ("toml", "needle"),
    [
        ("selct = []", "unknown key 'selct'"),
        ('fail-on = "sometimes"', "fail-on: expected one of"),
        ('select = ["Z999"]', "'Z999' is neither a rule code"),
        ("online = 1", "online: expected true or false"),
        ("max-file-size = -5", "max-file-size: expected a positive"),
        ('severity = { S101 = "fatal" }', "severity must be error, warning or info"),
        ('[per-file-ignores]\n"*.md" = ["nope"]', "'nope' is neither"),
        ("[language]\nexpectd = []", "unknown key language.expectd"),
        ('[language]\nmin_confidence = "high"', "language.min_confidence must be float"),
        ("[language]\nexpected = [1, 2]", "language.expected must be a list of str"),
        ('[published]\nrequire_image = "yes"', "published.require_image must be bool"),
        ("[tool.clipqa]\nselect = []", "without [tool.clipqa]"),
        ("this is = not toml =", "not valid TOML"),
    ],
)
def test_bad_key_or_value_names_key_and_file(tmp_path: Path, toml: str, needle: str) -> None:
    path = write(tmp_path / "clipqa.toml", toml + "\n")
    with pytest.raises(ConfigError) as err:
        load_config(tmp_path, check_defaults=CHECK_DEFAULTS)
    assert needle in str(err.value)
    assert str(path) in str(err.value)


def test_cli_flags_override_file_and_show_origin(tmp_path: Path) -> None:
    write(tmp_path / "pyproject.toml", '[tool.clipqa]\nfail-on = "warning"\nignore = ["S110"]\n')
    cfg = load_config(tmp_path, {"fail-on": "info", "select": None}, check_defaults={})
    assert cfg.fail_on == "info" and cfg.origin["fail-on"] == "--fail-on"
    assert cfg.ignore == ["S110"] and cfg.origin["ignore"] == str(tmp_path / "pyproject.toml")
    with pytest.raises(ConfigError, match="command line: --select"):
        load_config(tmp_path, {"select": ["nonsense"]}, check_defaults={})


def test_rule_filters_prefixes_checks_severity_and_per_file(tmp_path: Path) -> None:
    write(
        tmp_path / "clipqa.toml",
        'select = ["S", "P103"]\nignore = ["S110"]\nseverity = { S1 = "info", S101 = "warning", parse = "warning" }\n'
        '[per-file-ignores]\n"legacy/*" = ["S101"]\n',
    )
    cfg = load_config(tmp_path, check_defaults={})
    found = [
        Finding("S101", "schema", "error", "a.txt"),
        Finding("S101", "schema", "error", "legacy/old.txt"),
        Finding("S102", "schema", "error", "a.txt"),
        Finding("S110", "schema", "warning", "a.txt"),
        Finding("P103", "parse", "error", "a.txt"),
        Finding("E101", "encoding", "error", "a.txt"),
    ]
    kept = {(f.rule, f.path): f.severity for f in cfg.apply(found)}
    assert kept == {
        ("S101", "a.txt"): "warning",  # the full code beats the S1 prefix
        ("S102", "a.txt"): "info",  # the S1 prefix
        ("P103", "a.txt"): "warning",  # the check name
    }


def test_config_command_prints_origins_and_exits_2_on_errors(tmp_path: Path) -> None:
    write(tmp_path / "pyproject.toml", '[tool.clipqa]\nfail-on = "warning"\nselect = ["P900", "S1"]\n')
    (tmp_path / "corpus").mkdir()
    proc = clipqa("config", "corpus", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert f'fail-on = "warning"  # {tmp_path / "pyproject.toml"}' in proc.stdout
    assert "jobs = 0  # default" in proc.stdout
    as_json = json.loads(clipqa("config", "corpus", "--format", "json", cwd=tmp_path).stdout)
    assert as_json["values"]["select"] == ["P900", "S1"] and as_json["origin"]["jobs"] == "default"
    write(tmp_path / "pyproject.toml", '[tool.clipqa]\nfail-on = "warning"\nbogus = 1\n')
    proc = clipqa("config", "corpus", cwd=tmp_path)
    assert proc.returncode == 2
    assert "unknown key 'bogus'" in proc.stderr and str(tmp_path / "pyproject.toml") in proc.stderr
    proc = clipqa("check", "corpus", "--no-reports", cwd=tmp_path)
    assert proc.returncode == 2 and "bogus" in proc.stderr


def test_include_exclude_and_per_file_ignores_apply_to_a_check(tmp_path: Path) -> None:
    corpus = tmp_path / "corpus"
    write(corpus / "a.txt", "body only\n")  # S110 warning
    write(corpus / "legacy" / "b.txt", "another body only\n")
    write(corpus / "drafts" / "c.txt", "---\nunclosed: 1\n")  # P103, but excluded
    write(corpus / "d.text", "---\nunclosed: 1\n")  # not included
    write(
        tmp_path / "clipqa.toml",
        'extend-exclude = ["drafts"]\ninclude = ["*.txt"]\nfail-on = "warning"\n'
        '[per-file-ignores]\n"legacy/*" = ["S110"]\n',
    )
    proc = clipqa("check", "corpus", "--no-reports", "--no-cache", cwd=tmp_path)
    assert proc.returncode == 1
    assert "a.txt:1:1: S110" in proc.stdout
    assert "legacy/b.txt" not in proc.stdout and "drafts" not in proc.stdout and "d.text" not in proc.stdout
    assert "Checked 2 files" in proc.stdout
    proc = clipqa("check", "corpus", "--no-reports", "--no-cache", "--ignore", "S110", cwd=tmp_path)
    assert proc.returncode == 0, proc.stdout


@pytest.mark.parametrize(
    ("toml", "needle"),
    [
        ('[language]\nlanguages = ["xx"]', "language.languages: 'xx' is not a language code"),
        ("[language]\nlanguages = []", "language.languages: must name at least one language"),
        ('[language]\nallowed_scripts = ["Klingon"]', "language.allowed_scripts: 'Klingon' is not a Unicode script"),
        ("[language]\nmin_sentence_words = 0", "language.min_sentence_words: must be in [1, inf)"),
        ("[language]\nmin_score = 1.5", "language.min_score: must be in [0, 1]"),
        ('[boilerplate]\nextra_patterns = { read-more = ["(unclosed"] }', "bad pattern '(unclosed' in 'read-more'"),
        ('[boilerplate]\nextra_patterns = { nonsense = ["x"] }', "unknown category 'nonsense'"),
        ('[boilerplate]\npatterns_file = "missing.yaml"', "boilerplate.patterns_file: cannot be read"),
        ('[boilerplate]\npatterns_file = "bad.yaml"', "boilerplate.patterns_file: not valid YAML"),
        ('[boilerplate]\npatterns_file = "wrong.yaml"', "must be a list of strings"),
    ],
)
def test_a_text_check_option_that_cannot_work_is_a_usage_error(tmp_path: Path, toml: str, needle: str) -> None:
    """Not an internal error (P900) in every file, nor a run that flags every English sentence:
    the run stops before it starts, naming the file and the key (exit 2 from the CLI)."""
    write(tmp_path / "bad.yaml", "read-more: [unclosed\n")
    write(tmp_path / "wrong.yaml", "read-more: 5\n")
    path = write(tmp_path / "clipqa.toml", toml + "\n")
    with pytest.raises(ConfigError) as err:
        load_config(tmp_path)
    assert needle in str(err.value) and str(path) in str(err.value)


def test_a_patterns_file_is_found_beside_the_configuration_whatever_the_folder_run_from(tmp_path: Path) -> None:
    project = tmp_path / "project"
    write(project / "furniture.yaml", 'read-more:\n  - "Continue at the Example Gazette"\n')
    write(project / "pyproject.toml", '[tool.clipqa.boilerplate]\npatterns_file = "furniture.yaml"\n')
    write(project / "corpus" / "a.txt", "---\ntitle: A\n---\nA line of the story.\nContinue at the Example Gazette\n")
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    cfg = load_config(project / "corpus")
    assert cfg.checks["boilerplate"]["patterns_file"] == str((project / "furniture.yaml").resolve())
    proc = subprocess.run(
        [sys.executable, "-m", "qa", "check", str(project / "corpus"), "--no-reports", "--no-cache", "--select", "B"],
        cwd=elsewhere,
        capture_output=True,
        text=True,
        check=False,
    )
    assert "B105" in proc.stdout and "a.txt:5:1" in proc.stdout, proc.stdout + proc.stderr
