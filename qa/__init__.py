"""clipqa: data validation and QA for corpora of news clippings."""

# The one place the version is written: pyproject.toml reads it from here (tool.hatch.version).
# A literal, not importlib.metadata: that import and its search of the installed
# distributions cost ~40 ms at every start of the program and of each process it spawns.
__version__ = "0.1.0"

__all__ = ["__version__"]
