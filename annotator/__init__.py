"""annotator: Arabic rule-based pre-annotation, doccano correction, gold corpus export.

The packages follow the data flow, and each imports only from itself, the ones before it and the
shared modules of this folder (``arabic``, ``atomic``, ``errors``, ``model``, ``paths``,
``patterns``): ``rules`` (packs loaded and checked) -> ``matchers`` (one per rule kind) ->
``resolve`` (overlaps) -> ``engine`` (the annotator, documents, Dask; ``pack_cache`` keeps it
compiled) -> ``corpus`` (reading and writing corpora) -> ``doccano`` (client, push, pull, the local
server) -> ``export`` (the gold corpus) -> ``evaluation`` (scores, effort, selection, learning,
reports) -> ``cli``. ``tests/test_layers.py`` holds the order and fails on an import back up it.
"""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("annotator")  # pyproject.toml is the one place the version is written
except PackageNotFoundError:  # run from a source tree that was never installed
    __version__ = "0+unknown"
