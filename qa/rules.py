"""The whole rule registry, reached without the CLI.

Each check module declares its own rules (:func:`qa.findings.rule`) when it is imported;
:func:`all_rules` imports every module that declares rules, so that the registry is
complete for ``clipqa rules``, the configuration (``select``, ``ignore``, ``severity``),
``clipqa fix`` (each rule's fix applicability) and the reports (SARIF's rule list).

The rules of the run itself, which belong to no check, are declared here: they are
reported by the per-file stage and by the engines.
"""

from __future__ import annotations

from qa.findings import REGISTRY, Rule, rule

P900 = rule(
    "P900",
    "internal-error",
    "parse",
    "error",
    "clipqa failed while checking this file (a bug in clipqa: please report it); other files are unaffected.",
)
P131 = rule(
    "P131",
    "checker-crashed",
    "parse",
    "error",
    "The process checking this file died (a crash in a C library, or killed for memory or time); "
    "the file was skipped and the run went on.",
)

# The import's refusals (qa/gate.py): batch entries it will not check or move. Declared here,
# not in qa.gate, so that the registry never has to import the gate (and with it the pipeline).
P125 = rule(
    "P125",
    "import-symlink",
    "parse",
    "error",
    "clipqa import: this entry of the batch is a symbolic link; it is not followed, and stays in INCOMING.",
)
P126 = rule(
    "P126",
    "import-special-file",
    "parse",
    "error",
    "clipqa import: this entry of the batch is a named pipe, socket or device; it is not read, and stays in INCOMING.",
)
P127 = rule(
    "P127",
    "import-file-changed",
    "parse",
    "error",
    "clipqa import: the file changed, was replaced or was deleted after it was checked; it was not moved "
    "(import it again).",
)
P128 = rule(
    "P128",
    "import-unusable-name",
    "parse",
    "error",
    "clipqa import: the file's name or path cannot be written where the file would go (too long there, or a "
    "folder of that path is a file); it stays in INCOMING.",
)
P129 = rule(
    "P129",
    "import-name-conflict",
    "parse",
    "error",
    "clipqa import: another file of this name, with other bytes, is in the corpus; this one is quarantined, "
    "never overwriting it.",
)


def all_rules() -> dict[str, Rule]:
    """Every rule, by code (the registry, once every module that declares rules is imported)."""
    import qa.budget  # P130
    import qa.corpus  # P103, P104, P116, P120-P123, E101-E104, S110
    import qa.gx  # G001 (cheap: Great Expectations itself is imported only by --gx)
    import qa.schema  # S1xx, S2xx
    import qa.tables
    import qa.yamlload  # noqa: F401 - P101, P102, P105-P112, P124
    from qa.checks import all_checks

    all_checks()
    return REGISTRY


__all__ = ["P125", "P126", "P127", "P128", "P129", "P131", "P900", "all_rules"]
