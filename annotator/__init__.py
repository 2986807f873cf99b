"""annotator: Arabic rule-based pre-annotation, doccano correction, gold corpus export."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("annotator")  # pyproject.toml is the one place the version is written
except PackageNotFoundError:  # run from a source tree that was never installed
    __version__ = "0+unknown"
