"""clipqa: data validation and QA for corpora of news clippings."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("clipqa")
except PackageNotFoundError:  # running from a source tree that is not installed
    __version__ = "0.1.0"

__all__ = ["__version__"]
