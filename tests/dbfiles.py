"""The index's two files as tests open them by hand: index.db with refs.db attached."""
from __future__ import annotations

import sqlite3
from pathlib import Path

from vmxref import schema


def connect(ix: Path, **kw) -> sqlite3.Connection:
    """A plain sqlite3 connection to ix/index.db with ix/refs.db attached as `refs`."""
    c = sqlite3.connect(Path(ix) / "index.db", **kw)
    c.execute(f"ATTACH DATABASE ? AS {schema.REFS_DB}", (str(Path(ix) / "refs.db"),))
    return c


def index_names(conn) -> set[str]:
    """The names of the indexes of both files."""
    return {r[0] for r in conn.execute(
        "SELECT name FROM main.sqlite_master WHERE type = 'index' UNION "
        f"SELECT name FROM {schema.REFS_DB}.sqlite_master WHERE type = 'index'")}
