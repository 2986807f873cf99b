"""The compiled-pack cache: load a rule pack compiled once, not at every run.

``load_compiled(pack_path, profile)`` is the entry point; ``compile_pack`` also returns the patterns
and whether the cache answered. Entries live in a private folder (``paths.pack_cache_dir``), are
authenticated with a per-installation key, and are keyed by the pack's content, its profile and the
build (see ``digest``); anything that fails a check is compiled again.
``check.check_pack`` is ``annotator rules check`` for one pack, compiled through the cache.
"""

from annotator.pack_cache.compiled import CompiledPack, compile_pack, load_compiled, store_for
from annotator.pack_cache.store import PrivateStore

__all__ = ["CompiledPack", "PrivateStore", "compile_pack", "load_compiled", "store_for"]
