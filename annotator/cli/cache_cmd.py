"""``annotator cache``: where compiled rule packs are kept, and clearing them."""

from __future__ import annotations

import typer
from rich.table import Table

from annotator.cli.app import app, console
from annotator.pack_cache import PrivateStore
from annotator.paths import NO_PACK_CACHE_ENV, pack_cache_dir, pack_cache_disabled

cache_app = typer.Typer(help="The compiled rule-pack cache.", no_args_is_help=True)
app.add_typer(cache_app, name="cache")


@cache_app.command("info")
def info() -> None:
    """Where compiled packs are kept, and how many."""
    store = PrivateStore(pack_cache_dir())
    entries = store.entries()
    table = Table(show_edge=False, show_header=False)
    table.add_column("what")
    table.add_column("value")
    table.add_row("folder", str(store.folder))
    state = f"off ({NO_PACK_CACHE_ENV} is set)" if pack_cache_disabled() else "on"
    table.add_row("cache", state)
    table.add_row("entries", f"{len(entries)} ({sum(entry.size for entry in entries) / 1e6:.1f} MB)")
    console.print(table)


@cache_app.command("clear")
def clear() -> None:
    """Remove every compiled pack and the cache's key (the next run compiles again)."""
    store = PrivateStore(pack_cache_dir())
    removed = store.clear()
    console.print(f"removed {removed} compiled pack{'s' if removed != 1 else ''} from {store.folder}")
