"""``python -m qa`` is the same as the ``clipqa`` command."""

from qa.cli import entry

if __name__ == "__main__":
    entry()
