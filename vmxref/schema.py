"""The index schema: the only file with CREATE TABLE.

Content-addressed layout: a `blob` is one file content parsed under one macro profile;
facts (sym, ref, call, assign, logcall, kase, guard, slotload, byteview, incl) belong
to blobs; a corpus version is a set of `file` rows pointing at blobs, so versions share
every unchanged content. A blob id is never given twice (AUTOINCREMENT): refs.db's rows of
a deleted blob go after index.db has committed its deletion (store.py), and must never
become another blob's.
"""

SCHEMA_VERSION = 8  # 3: assign.vtype; 4: guard; 5: slotload; 6: byteview; 7: incl;
# 8: `ref` in its own file (refs.db)

TABLES = frozenset({"meta", "corpus", "blob", "file", "sym", "ref", "call", "assign",
                    "logcall", "kase", "guard", "slotload", "byteview", "incl", "refmeta"})

# The tables of the second file, refs.db (attached to every connection as `refs`): the
# largest table and its indexes, half of CREATE INDEX, are built by a second connection
# in a thread while the first builds the other tables' (store.py: the order of the two
# files' commits). `refmeta` says whether a run was killed between them.
REFS_TABLES = frozenset({"ref", "refmeta"})
REFS_DB = "refs"  # its schema name in every connection

# Bits of sym.flags.
SYM_STATIC = 1  # a file-scope `static` function, variable or prototype
SYM_INSTANCE = 4  # another name of a template function (`paging64_page_fault`)
SYM_HAS_INSTANCES = 8  # a template function with such names (`FNAME(page_fault)`)

# Files compiled on their own: a `static` there is theirs (and their includers', `incl`).
SOURCE_SUFFIXES = (".c", ".cc", ".cpp", ".cxx")

SCHEMA_SQL = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS corpus (
    id INTEGER PRIMARY KEY, name TEXT NOT NULL, version TEXT NOT NULL, root TEXT NOT NULL,
    profile TEXT NOT NULL, indexed_at TEXT NOT NULL, stats TEXT NOT NULL DEFAULT '{}',
    UNIQUE (name, version));
CREATE TABLE IF NOT EXISTS blob (
    id INTEGER PRIMARY KEY AUTOINCREMENT, sha1 TEXT NOT NULL, profile TEXT NOT NULL,
    lang TEXT NOT NULL,
    size INTEGER NOT NULL, nlines INTEGER NOT NULL, err_lines INTEGER NOT NULL,
    status TEXT NOT NULL, errors TEXT, content BLOB,
    UNIQUE (sha1, profile));
CREATE TABLE IF NOT EXISTS file (
    corpus_id INTEGER NOT NULL REFERENCES corpus(id), path TEXT NOT NULL,
    blob_id INTEGER NOT NULL REFERENCES blob(id), mtime_ns INTEGER, size INTEGER,
    PRIMARY KEY (corpus_id, path));
CREATE INDEX IF NOT EXISTS file_blob ON file(blob_id, corpus_id, path);
CREATE TABLE IF NOT EXISTS sym (
    blob_id INTEGER NOT NULL, name TEXT NOT NULL, kind TEXT NOT NULL, line INTEGER, col INTEGER,
    end_line INTEGER, scope TEXT, type TEXT, pos INTEGER, flags INTEGER, text TEXT);
CREATE TABLE IF NOT EXISTS ref (
    blob_id INTEGER NOT NULL, name TEXT NOT NULL, kind TEXT NOT NULL, line INTEGER, col INTEGER,
    func TEXT, chain TEXT);
CREATE TABLE IF NOT EXISTS call (
    blob_id INTEGER NOT NULL, line INTEGER, col INTEGER, func TEXT, callee TEXT, kind TEXT,
    recv TEXT, args TEXT, end_line INTEGER, guard_end INTEGER);
CREATE TABLE IF NOT EXISTS assign (
    blob_id INTEGER NOT NULL, line INTEGER, col INTEGER, func TEXT, field TEXT, chain TEXT,
    op TEXT, value TEXT, kind TEXT, vtype TEXT);
CREATE TABLE IF NOT EXISTS logcall (
    blob_id INTEGER NOT NULL, line INTEGER, col INTEGER, func TEXT, callee TEXT, fmt TEXT,
    fmt_arg INTEGER, args TEXT, keys TEXT);
CREATE TABLE IF NOT EXISTS kase (
    blob_id INTEGER NOT NULL, line INTEGER, col INTEGER, func TEXT, value TEXT);
CREATE TABLE IF NOT EXISTS guard (
    blob_id INTEGER NOT NULL, line INTEGER, col INTEGER, end_line INTEGER, end_col INTEGER,
    func TEXT, cond TEXT, branch INTEGER);
CREATE TABLE IF NOT EXISTS slotload (
    blob_id INTEGER NOT NULL, slot TEXT NOT NULL, func TEXT, rchain TEXT, var TEXT, value TEXT,
    line INTEGER, col INTEGER);
CREATE TABLE IF NOT EXISTS byteview (
    blob_id INTEGER NOT NULL, func TEXT, var TEXT, base TEXT, line INTEGER);
CREATE TABLE IF NOT EXISTS incl (
    blob_id INTEGER NOT NULL, name TEXT NOT NULL, text TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS refmeta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
"""

# Secondary indexes: dropped during a large indexing run and rebuilt at its end (faster
# than maintaining them row by row); `file_blob` stays, the run itself reads it. Nearly
# every look-up also filters on `kind` (and a local's declaration on blob, function and
# name), so those columns are in the keys: on all of Linux, fetching every `ref` of a
# name to keep its reads cost 120 us a name. A changed definition is rebuilt by the next
# writer (store._drop_changed_indexes). `sym_type` leaves out the symbols without a type
# (macros, enumerators, structs: 42 % of all Linux's): every look-up by type is `type = ?`
# or `type IN (...)`, which SQLite knows implies `type IS NOT NULL`. `sym_scope` leaves out
# the symbols of no scope (file-scope functions, macros, structs: 53 % of all Linux's; a
# third of its CREATE INDEX): SQLite uses it for a query that says `t.scope != ''` as
# well (queries.base.IN_SCOPE; tests/test_query_plans.py checks the plans).
# `sym_paste` holds the macros whose text pastes (`##`: 11k of all Linux's 7.9M symbols),
# which queries/pasted.py reads all of (a scan of sym otherwise: 0.6-1.7 s there).
# `assign_whole` holds the whole-object writes (memset, struct copies: 48k of all Linux's
# 7.5M writes), which `writes` reads all of when a member's holder types are too many to
# narrow them (a scan of assign otherwise: 0.7 s there).
INDEX_SQL = """
CREATE INDEX IF NOT EXISTS sym_name ON sym(name, kind);
CREATE INDEX IF NOT EXISTS sym_blob ON sym(blob_id, scope, name);
CREATE INDEX IF NOT EXISTS sym_scope ON sym(scope, kind, name) WHERE scope != '';
CREATE INDEX IF NOT EXISTS sym_type ON sym(type, kind, name) WHERE type IS NOT NULL;
CREATE INDEX IF NOT EXISTS sym_paste ON sym(name) WHERE kind = 'macro' AND text LIKE '%##%';
CREATE INDEX IF NOT EXISTS ref_name ON ref(name, kind);
CREATE INDEX IF NOT EXISTS ref_blob ON ref(blob_id, line);
CREATE INDEX IF NOT EXISTS call_callee ON call(callee, kind);
CREATE INDEX IF NOT EXISTS call_func ON call(func);
CREATE INDEX IF NOT EXISTS call_blob ON call(blob_id, func);
CREATE INDEX IF NOT EXISTS assign_field ON assign(field, kind, vtype, value);
CREATE INDEX IF NOT EXISTS assign_value ON assign(value);
CREATE INDEX IF NOT EXISTS assign_blob ON assign(blob_id, func, line);
CREATE INDEX IF NOT EXISTS assign_whole ON assign(field) WHERE kind = 'whole-object';
CREATE INDEX IF NOT EXISTS logcall_blob ON logcall(blob_id);
CREATE INDEX IF NOT EXISTS kase_value ON kase(value);
CREATE INDEX IF NOT EXISTS kase_blob ON kase(blob_id, func, line);
CREATE INDEX IF NOT EXISTS guard_blob ON guard(blob_id, func, line);
CREATE INDEX IF NOT EXISTS slotload_slot ON slotload(slot);
CREATE INDEX IF NOT EXISTS slotload_blob ON slotload(blob_id);
CREATE INDEX IF NOT EXISTS byteview_base ON byteview(base);
CREATE INDEX IF NOT EXISTS byteview_blob ON byteview(blob_id);
CREATE INDEX IF NOT EXISTS incl_name ON incl(name);
CREATE INDEX IF NOT EXISTS incl_blob ON incl(blob_id);
"""

def _statements(sql: str) -> list[str]:
    return [s.strip() for s in sql.split(";") if s.strip()]


def _table_of(stmt: str) -> str:
    """The table a CREATE TABLE or CREATE INDEX statement of this file is about."""
    words = " ".join(stmt.split()).replace(" IF NOT EXISTS", "")
    if words.startswith("CREATE TABLE "):
        return words.split()[2]
    return index_table(words)


def ddl(refs: bool, sql: str = SCHEMA_SQL) -> str:
    """The statements of `sql` for one file: refs.db's tables and indexes (`refs`), or the
    others (index.db)."""
    return ";\n".join(s for s in _statements(sql) if (_table_of(s) in REFS_TABLES) == refs)


def indexes(sql: str = SCHEMA_SQL + INDEX_SQL) -> list[tuple[str, str]]:
    """(name, statement as SQLite stores it: no IF NOT EXISTS, spaces collapsed) of every
    CREATE INDEX in `sql`."""
    out = []
    for stmt in sql.split(";"):
        s = " ".join(stmt.split()).replace(" IF NOT EXISTS", "")
        if s.startswith("CREATE INDEX "):
            out.append((s.split()[2], s))
    return out


def index_table(stmt: str) -> str:
    """The table a CREATE INDEX statement of this file indexes (`... ON ref(name, kind)`)."""
    return " ".join(stmt.split()).split(" ON ", 1)[1].split("(", 1)[0].strip()


# Fact tables that hang off a blob (deleted together when a blob is no longer used).
FACT_TABLES = ("sym", "ref", "call", "assign", "logcall", "kase", "guard", "slotload",
               "byteview", "incl")


def spool_sql(refs: bool = False) -> str:
    """DDL of a worker's spool: the fact tables of one file (`refs`: refs.db's) as the index
    has them. Their `blob_id` holds the job number (a fresh build's blob id: its biggest
    spools can become the index's files themselves)."""
    return "\n".join(s + ";" for s in _statements(SCHEMA_SQL)
                     if _table_of(s) in fact_tables(refs))


def fact_tables(refs: bool) -> tuple[str, ...]:
    """The fact tables of one file (`refs`: refs.db), in FACT_TABLES order."""
    return tuple(t for t in FACT_TABLES if (t in REFS_TABLES) == refs)
