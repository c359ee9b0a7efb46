"""Shared plumbing of the query verbs: the store, the corpus versions asked, site building."""
from __future__ import annotations

from vmxref.errors import UnknownSymbol
from vmxref.model import Site
from vmxref.store import Store


IN_CHUNK = 500  # values per `IN (...)` of rows_in


# A look-up of symbols by scope (the members of a struct, the parameters of a function):
# sym_scope indexes only the symbols that have one, and SQLite takes that partial index
# only for a statement that says so (schema.py; tests/test_query_plans.py).
IN_SCOPE = "t.scope = ? AND t.scope != ''"


def marks(n: int) -> str:
    """"?,?,...": the placeholders of an `IN (...)` of n values."""
    return ",".join("?" * n)


def in_chunks(values):
    """(chunk, placeholders) pieces of the sorted `values`, each under SQLite's limit of
    bound variables."""
    values = sorted(values)
    for i in range(0, len(values), IN_CHUNK):
        chunk = tuple(values[i:i + IN_CHUNK])
        yield chunk, marks(len(chunk))


class Scope:
    """A store and the corpus versions a query runs on (query modules keep their memos on
    it as attributes: the call graph, the request API, ...)."""

    def __init__(self, store: Store, corpus_ids: list[int]) -> None:
        self.store = store
        self.corpus_ids = corpus_ids
        self._in = ",".join(str(int(i)) for i in corpus_ids)

    def __repr__(self) -> str:
        return f"Scope({self.store!r}, {self.corpus_ids!r})"

    @property
    def conn(self):
        return self.store.conn

    def rows(self, table: str, where: str, params: tuple, cols: str,
             limit: int | None = None, join: str = "") -> list[tuple]:
        """Rows of a fact table joined to the files of the asked corpus versions.

        Each row starts with (corpus_id, path, blob_id) followed by `cols` of the fact.
        The fact table drives the join (CROSS JOIN pins the loop order): without it
        SQLite, which has no statistics after a bulk load, may scan every file of the
        corpus and probe each blob's facts, which is 100-1000x slower on a large index.
        """
        sql = (f"SELECT f.corpus_id, f.path, f.blob_id, {cols} FROM {table} t {self.files_join} "
               f"{join} WHERE {where}" + (f" LIMIT {int(limit)}" if limit else ""))
        return self.conn.execute(sql, params).fetchall()

    def memo(self, name: str) -> dict:
        """A dict kept on the scope for one query module's memos (lives and dies with it)."""
        return self.__dict__.setdefault(name, {})

    def has_sym(self, name: str, kinds: tuple[str, ...]) -> bool:
        """Does the asked corpus define `name` as one of these symbol kinds? (memoised)"""
        memo = self.memo("_has_sym")
        if (name, kinds) not in memo:
            memo[(name, kinds)] = bool(self.rows(
                "sym", f"t.name = ? AND t.kind IN ({marks(len(kinds))})", (name, *kinds), "1",
                limit=1))
        return memo[(name, kinds)]

    def function_lines(self, blob_id: int, func: str) -> tuple[int, int] | None:
        """First and last line of a function's definition in a blob (memoised)."""
        memo = self.memo("_function_lines")
        if (blob_id, func) not in memo:
            r = self.conn.execute("SELECT line, end_line FROM sym WHERE blob_id = ? AND scope = '' "
                                  "AND name = ? AND kind = 'function'", (blob_id, func)).fetchone()
            memo[(blob_id, func)] = (r[0], r[1]) if r else None
        return memo[(blob_id, func)]

    def definitions(self, func: str) -> list[int]:
        """Blobs that define the function `func` (memoised)."""
        memo = self.memo("_definitions")
        if func not in memo:
            memo[func] = sorted({r[2] for r in self.rows(
                "sym", "t.name = ? AND t.kind = 'function'", (func,), "1")})
        return memo[func]

    def blobs_of(self, path: str) -> list[int]:
        """Blobs the file `path` has in the asked corpus versions."""
        return [r[0] for r in self.conn.execute(
            f"SELECT DISTINCT blob_id FROM file WHERE path = ? AND corpus_id IN ({self._in}) "
            "ORDER BY blob_id", (path,))]

    def files_of(self, blob_id: int) -> list[tuple[int, str]]:
        """(corpus_id, path) of each file of the asked corpus versions with that content."""
        return self.conn.execute(
            f"SELECT corpus_id, path FROM file WHERE blob_id = ? AND corpus_id IN ({self._in})",
            (blob_id,)).fetchall()

    @property
    def files_join(self) -> str:
        """The join of a fact table `t` to the files of the asked corpus versions (CROSS JOIN:
        the fact table's index drives)."""
        return f"CROSS JOIN file f ON f.blob_id = t.blob_id AND f.corpus_id IN ({self._in})"

    def rows_in(self, table: str, col: str, values, where: str, params: tuple,
                cols: str) -> list[tuple]:
        """`rows` with `col IN (values)` (in chunks under SQLite's limit of bound variables)
        AND `where`: one statement for many names instead of one per name."""
        out: list[tuple] = []
        for chunk, ms in in_chunks(values):
            out += self.rows(table, f"{col} IN ({ms}) AND {where}", (*chunk, *params), cols)
        return out

    def site(self, kind: str, cid: int, path: str, blob_id: int, line: int, col: int,
             function: str, symbol: str, **extra) -> Site:
        """Build a result with the source line as its text (a #define body's line without
        its continuation backslash)."""
        name, version = self.store.corpus_label(cid)
        text = self.store.line_text(blob_id, line, col)
        if text.endswith("\\"):
            text = text[:-1].rstrip()
        return Site(kind, name, version, path, line, col, function or "", symbol, text,
                    dict(extra))

    def label(self) -> str:
        return ", ".join("@".join(self.store.corpus_label(i)) for i in self.corpus_ids)

    def known(self, name: str) -> bool:
        """True when any fact of the asked corpus versions names `name`."""
        for table, col in (("sym", "name"), ("ref", "name"), ("call", "callee"), ("assign", "field")):
            if self.rows(table, f"t.{col} = ?", (name,), "1", limit=1):
                return True
        return False

    def require(self, name: str) -> None:
        """Raise UnknownSymbol with close suggestions when `name` is unknown."""
        if self.known(name):
            return
        raise UnknownSymbol(f"no symbol {name!r} in {self.label()}.{self.suggest(name)}")

    def suggest(self, name: str) -> str:
        """" Did you mean ...?" — or, when `name` is known in other indexed corpus versions,
        which ones (a suggestion of the name itself would read as a riddle)."""
        elsewhere = sorted({"@".join(self.store.corpus_label(cid)) for (cid,) in self.conn.execute(
            "SELECT DISTINCT f.corpus_id FROM sym t CROSS JOIN file f ON f.blob_id = t.blob_id "
            f"WHERE t.name = ? AND f.corpus_id NOT IN ({self._in})", (name,))})
        if elsewhere:
            return f" It is in {', '.join(elsewhere)}: choose it with --corpus."
        pre = name[:3]
        cands = [r[0] for r in self.conn.execute(
            "SELECT DISTINCT name FROM sym WHERE name >= ? AND name < ? LIMIT 20000",
            (pre, pre + "\uffff"))]
        import difflib  # only for the "did you mean" of an unknown name
        near = difflib.get_close_matches(name, [c for c in cands if c != name], n=3, cutoff=0.75)
        return f" Did you mean {', '.join(near)}?" if near else ""


_CLOSER = {"(": ")", "[": "]", "{": "}"}


def closing(text: str, opening: int) -> int:
    """The offset of the bracket that closes the one at `opening` (`(`, `[` or `{`; only
    that kind is counted), len(text) when none does."""
    opn, cls = text[opening], _CLOSER[text[opening]]
    depth = 0
    for i in range(opening, len(text)):
        if text[i] == opn:
            depth += 1
        elif text[i] == cls:
            depth -= 1
            if depth == 0:
                return i
    return len(text)


def split_args(text: str) -> list[str]:
    """The top-level arguments of `a, f(b, c), d) ...` (up to the parenthesis that closes
    the argument list)."""
    depth, cur, out = 0, [], []
    for ch in text:
        if ch in "([{":
            depth += 1
        elif ch in ")]}":
            if depth == 0:
                break
            depth -= 1
        elif ch == "," and depth == 0:
            out.append("".join(cur))
            cur = []
            continue
        cur.append(ch)
    out.append("".join(cur))
    return out


def sort_sites(sites: list[Site]) -> list[Site]:
    """Deterministic order: corpus, version, file, line, column."""
    return sorted(sites, key=Site.key)
