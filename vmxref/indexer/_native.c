/* vmxref.indexer._native: the optional C part of a worker (vmxref/indexer/spool.py,
 * vmxref/indexer/extract.py fall back to Python when it is not built).
 *
 * Writer: a worker's spool. Python's sqlite3 module binds each parameter through its
 * adaptation protocol: a fact row of 7-11 values cost about 3 us that way, against 0.2 us
 * for SQLite to store it, a fifth of a worker's time. The Writer binds the values of each
 * row directly (None, int, float, str, bytes: the types the extractor produces), BATCH rows
 * to a cached INSERT.
 *
 * ident_tokens: the identifier references of a file's code (extract._ident_refs), a tenth
 * of a worker's time as Python.
 *
 * code, candidates, cond_pass, define_comments: the source normaliser's scans over every
 * byte (normalize._code, _candidates, _conditional_pass, _define_comments): the normaliser
 * took about 0.45x the parse time as Python. tests/test_normalize_native.py and
 * bench/normtwins.py check them against their Python twins.
 *
 * tests/test_native.py checks each against its Python twin.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <sqlite3.h>
#include "_idscan.h"
#include "_noncode.h"
#ifdef __linux__
#include <sys/prctl.h>
#endif

#define NATIVE_VERSION 4  /* = vmxref/indexer/native.py VERSION */
#define BATCH 64      /* rows per INSERT statement: one step stores BATCH rows */
#define MAX_CACHED 64  /* prepared statements kept: (table, rows) for 64, 8 and 1 rows */

typedef struct {
    char table[32];
    int ncols, nrows;
    sqlite3_stmt *st;
} Cached;

typedef struct {
    PyObject_HEAD
    sqlite3 *db;
    Cached cache[MAX_CACHED];
    int ncached;
} Writer;

static void drop_cache(Writer *w) {
    for (int i = 0; i < w->ncached; i++)
        sqlite3_finalize(w->cache[i].st);
    w->ncached = 0;
}

static PyObject *SpoolError;

static PyObject *fail(Writer *w, const char *what) {
    PyErr_Format(SpoolError, "%s: %s", what, w->db ? sqlite3_errmsg(w->db) : "closed");
    return NULL;
}

static int Writer_init(Writer *self, PyObject *args, PyObject *kw) {
    const char *path;
    static char *names[] = {"path", NULL};
    if (!PyArg_ParseTupleAndKeywords(args, kw, "s", names, &path))
        return -1;
    if (self->db) {
        drop_cache(self);
        sqlite3_close(self->db);
        self->db = NULL;
    }
    if (sqlite3_open_v2(path, &self->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, NULL)
            != SQLITE_OK) {
        fail(self, path);
        sqlite3_close(self->db);
        self->db = NULL;
        return -1;
    }
    return 0;
}

static void Writer_dealloc(Writer *self) {
    drop_cache(self);
    if (self->db)
        sqlite3_close(self->db);
    Py_TYPE(self)->tp_free((PyObject *)self);
}

/* execute(sql): run SQL without results (pragmas, DDL, BEGIN, COMMIT). */
static PyObject *Writer_execute(Writer *self, PyObject *args) {
    const char *sql;
    if (!PyArg_ParseTuple(args, "s", &sql))
        return NULL;
    if (!self->db)
        return fail(self, "execute");
    if (sqlite3_exec(self->db, sql, NULL, NULL, NULL) != SQLITE_OK)
        return fail(self, sql);
    Py_RETURN_NONE;
}

static int bind_value(sqlite3_stmt *st, int i, PyObject *v) {
    if (v == Py_None)
        return sqlite3_bind_null(st, i);
    if (PyLong_Check(v)) {
        long long x = PyLong_AsLongLong(v);
        if (x == -1 && PyErr_Occurred())
            return -1;
        return sqlite3_bind_int64(st, i, x);
    }
    if (PyUnicode_Check(v)) {
        Py_ssize_t n;
        const char *s = PyUnicode_AsUTF8AndSize(v, &n);
        if (s == NULL)
            return -1;
        /* SQLITE_STATIC: the string lives in the caller's row until the step is done */
        return sqlite3_bind_text64(st, i, s, (sqlite3_uint64)n, SQLITE_STATIC, SQLITE_UTF8);
    }
    if (PyFloat_Check(v))
        return sqlite3_bind_double(st, i, PyFloat_AS_DOUBLE(v));
    if (PyBytes_Check(v))
        return sqlite3_bind_blob64(st, i, PyBytes_AS_STRING(v),
                                   (sqlite3_uint64)PyBytes_GET_SIZE(v), SQLITE_STATIC);
    PyErr_Format(PyExc_TypeError, "cannot store a %.100s in the spool", Py_TYPE(v)->tp_name);
    return -1;
}

/* A statement inserting `nrows` rows into `table`, `ncols` values each (prepared once). */
static sqlite3_stmt *prepare_rows(Writer *w, const char *table, int ncols, int nrows) {
    for (int i = 0; i < w->ncached; i++) {
        Cached *c = &w->cache[i];
        if (c->ncols == ncols && c->nrows == nrows && strcmp(c->table, table) == 0)
            return c->st;
    }
    if (strlen(table) >= sizeof(w->cache[0].table)) {
        PyErr_Format(PyExc_ValueError, "table name too long: %.100s", table);
        return NULL;
    }
    size_t cap = 64 + strlen(table) + (size_t)nrows * (2 * (size_t)ncols + 3);
    char *sql = PyMem_Malloc(cap), *p = sql;
    if (sql == NULL) {
        PyErr_NoMemory();
        return NULL;
    }
    p += sprintf(p, "INSERT INTO %s VALUES ", table);
    for (int r = 0; r < nrows; r++) {
        *p++ = r ? ',' : ' ';
        *p++ = '(';
        for (int c = 0; c < ncols; c++) {
            if (c)
                *p++ = ',';
            *p++ = '?';
        }
        *p++ = ')';
    }
    *p = 0;
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v3(w->db, sql, -1, SQLITE_PREPARE_PERSISTENT, &st, NULL) != SQLITE_OK) {
        fail(w, sql);
        st = NULL;
    }
    PyMem_Free(sql);
    if (st != NULL) {
        if (w->ncached == MAX_CACHED)  /* (more tables than a spool has: start over) */
            drop_cache(w);
        Cached *c = &w->cache[w->ncached++];
        strcpy(c->table, table);
        c->ncols = ncols;
        c->nrows = nrows;
        c->st = st;
    }
    return st;
}

/* insert(table, job, rows): store (job, *r) for each tuple r of the list `rows` (all of one
 * length) in `table`. */
static PyObject *Writer_insert(Writer *self, PyObject *args) {
    const char *table;
    long long job;
    PyObject *rows;
    if (!PyArg_ParseTuple(args, "sLO!", &table, &job, &PyList_Type, &rows))
        return NULL;
    if (!self->db)
        return fail(self, "insert");
    Py_ssize_t n = PyList_GET_SIZE(rows);
    if (n == 0)
        Py_RETURN_NONE;
    PyObject *first = PyList_GET_ITEM(rows, 0);
    if (!PyTuple_Check(first)) {
        PyErr_SetString(PyExc_TypeError, "rows must be tuples");
        return NULL;
    }
    int width = (int)PyTuple_GET_SIZE(first), ncols = width + 1;
    Py_ssize_t r = 0;
    while (r < n) {
        /* BATCH rows to a step, the rest 8 or 1 at a time (three cached statements) */
        int take = n - r >= BATCH ? BATCH : (n - r >= 8 ? 8 : 1);
        sqlite3_stmt *st = prepare_rows(self, table, ncols, take);
        if (st == NULL)
            return NULL;
        int k = 1, rc = SQLITE_OK;
        for (int i = 0; i < take && rc == SQLITE_OK; i++) {
            PyObject *row = PyList_GET_ITEM(rows, r + i);
            if (!PyTuple_Check(row) || PyTuple_GET_SIZE(row) != width) {
                PyErr_Format(PyExc_ValueError, "row %zd: expected a tuple of %d values",
                             r + i, width);
                rc = -1;
                break;
            }
            rc = sqlite3_bind_int64(st, k++, job);
            for (int c = 0; rc == SQLITE_OK && c < width; c++)
                rc = bind_value(st, k++, PyTuple_GET_ITEM(row, c));
        }
        /* (the rows are items of `rows`, which the caller holds: their strings stay alive
         * until the step is done, so SQLITE_STATIC binding is safe) */
        if (rc == SQLITE_OK && sqlite3_step(st) != SQLITE_DONE)
            rc = SQLITE_ERROR;
        sqlite3_reset(st);
        sqlite3_clear_bindings(st);
        if (rc != SQLITE_OK) {
            if (rc != -1 && !PyErr_Occurred())
                fail(self, table);
            return NULL;
        }
        r += take;
    }
    Py_RETURN_NONE;
}

static PyObject *Writer_close(Writer *self, PyObject *Py_UNUSED(ignored)) {
    drop_cache(self);
    if (self->db) {
        if (sqlite3_close(self->db) != SQLITE_OK)
            return fail(self, "close");
        self->db = NULL;
    }
    Py_RETURN_NONE;
}

/* ident_tokens(code, nl, skip, keywords) -> (names, starts, lines, cols): the identifier
 * tokens of `code` (bytes: comments, literals and preprocessor lines blanked) as
 * extract._ident_tokens finds them. A token is a run of ASCII word characters, or one of
 * `.`, `>`, `$` followed by such a run (the regex `[.>$\w]\w*` of a split); the names are
 * the tokens that start with a letter or `_`, are no keyword and start at no offset of
 * `skip`. `nl`: the newline offsets after a -1 sentinel (line = bisect_left(nl, start),
 * col = start - nl[line - 1]). */
static PyObject *ident_tokens(PyObject *Py_UNUSED(mod), PyObject *args) {
    Py_buffer code;
    PyObject *nl, *skip, *keywords;
    if (!PyArg_ParseTuple(args, "y*O!OO", &code, &PyList_Type, &nl, &skip, &keywords))
        return NULL;
    PyObject *names = PyList_New(0), *starts = PyList_New(0), *lines = PyList_New(0),
             *cols = PyList_New(0), *seen = PyDict_New(), *result = NULL;
    Py_ssize_t nnl = PyList_GET_SIZE(nl), *offs = PyMem_New(Py_ssize_t, nnl ? nnl : 1);
    if (!names || !starts || !lines || !cols || !seen || !offs)
        goto done;
    for (Py_ssize_t i = 0; i < nnl; i++) {
        offs[i] = PyLong_AsSsize_t(PyList_GET_ITEM(nl, i));
        if (offs[i] == -1 && PyErr_Occurred())
            goto done;
    }
    const unsigned char *b = code.buf;
    Py_ssize_t n = code.len, i = 0, s = 0, line = 0;
    PyObject *name;  /* (borrowed) */
    int more;
    while ((more = idscan_next_name(b, n, &i, &s, seen, keywords, &name)) > 0) {
        PyObject *start = PyLong_FromSsize_t(s);
        if (start == NULL)
            goto done;
        int skipped = PySet_Contains(skip, start);
        if (skipped) {
            Py_DECREF(start);
            if (skipped < 0)
                goto done;
            continue;
        }
        while (line < nnl && offs[line] < s)
            line++;
        if (line == 0) {  /* (nl starts with the -1 sentinel: no offset is before it) */
            Py_DECREF(start);
            PyErr_SetString(PyExc_ValueError, "nl must start with -1");
            goto done;
        }
        PyObject *ln = PyLong_FromSsize_t(line), *col = PyLong_FromSsize_t(s - offs[line - 1]);
        int bad = ln == NULL || col == NULL || PyList_Append(names, name) < 0 ||
                  PyList_Append(starts, start) < 0 || PyList_Append(lines, ln) < 0 ||
                  PyList_Append(cols, col) < 0;
        Py_DECREF(start);
        Py_XDECREF(ln);
        Py_XDECREF(col);
        if (bad)
            goto done;
    }
    if (more < 0)
        goto done;
    result = PyTuple_Pack(4, names, starts, lines, cols);
done:
    PyBuffer_Release(&code);
    PyMem_Free(offs);
    Py_XDECREF(names);
    Py_XDECREF(starts);
    Py_XDECREF(lines);
    Py_XDECREF(cols);
    Py_XDECREF(seen);
    return result;
}

/* --- the source normaliser's scans (normalize.py's twins) ------------------------------ */

#define NC_WS(ch) ((ch) == ' ' || (ch) == '\t' || (ch) == '\n' || (ch) == '\r' || \
                   (ch) == '\x0b' || (ch) == '\x0c')  /* (bytes.strip()'s whitespace) */
#define NC_BLANK(ch) ((ch) == ' ' || (ch) == '\t')

static unsigned char nc_word[256];  /* IDSCAN_WORD as a table (set by the module init) */

/* code(src, directives) -> bytes: normalize._code: src with comments, literals and
 * preprocessor lines blanked; appends each preprocessor line's (start, end) to the list
 * `directives`. */
static PyObject *nc_code(PyObject *Py_UNUSED(mod), PyObject *args) {
    Py_buffer src;
    PyObject *dirs_out;
    if (!PyArg_ParseTuple(args, "y*O!", &src, &PyList_Type, &dirs_out))
        return NULL;
    PyObject *out = NULL;
    NoncodeSpans dirs = {NULL, 0, 0};
    Py_ssize_t m = src.len + 1;
    unsigned char *b = m > 0 ? PyMem_Malloc((size_t)m) : NULL;
    if (b == NULL) {
        PyErr_NoMemory();
        goto done;
    }
    b[0] = '\n';
    memcpy(b + 1, src.buf, (size_t)src.len);
    if (noncode_blank(b, m, &dirs) < 0)
        goto done;
    for (Py_ssize_t k = 0; k < dirs.n; k += 2) {
        PyObject *span = Py_BuildValue("(nn)", dirs.v[k], dirs.v[k + 1]);
        int r = span != NULL ? PyList_Append(dirs_out, span) : -1;
        Py_XDECREF(span);
        if (r < 0)
            goto done;
    }
    out = PyBytes_FromStringAndSize((const char *)b + 1, src.len);
done:
    PyMem_Free(b);
    PyMem_Free(dirs.v);
    PyBuffer_Release(&src);
    return out;
}

/* candidates(code, needles) -> list: normalize._candidates: the sorted start offsets of the
 * maximal runs of ASCII [A-Za-z0-9_] in code that contain one of the needles (bytes). A
 * needle is tried only where its first two bytes are (a bitmap of those pairs), or is a
 * byte table entry when it is one byte long. */
static PyObject *nc_candidates(PyObject *Py_UNUSED(mod), PyObject *args) {
    Py_buffer code;
    PyObject *needles;
    if (!PyArg_ParseTuple(args, "y*O!", &code, &PyTuple_Type, &needles))
        return NULL;
    PyObject *out = NULL;
    Py_ssize_t nn = PyTuple_GET_SIZE(needles);
    /* needles of two or more bytes by first byte: idx[first[c]] .. idx[first[c + 1] - 1] */
    Py_ssize_t *idx = PyMem_New(Py_ssize_t, nn ? nn : 1), first[257];
    unsigned char single[256], *pairs = PyMem_Calloc(65536 / 8, 1);
    memset(single, 0, sizeof single);
    memset(first, 0, sizeof first);
    if (idx == NULL || pairs == NULL) {
        PyErr_NoMemory();
        goto done;
    }
    for (Py_ssize_t k = 0; k < nn; k++) {
        PyObject *nd = PyTuple_GET_ITEM(needles, k);
        if (!PyBytes_Check(nd)) {
            PyErr_SetString(PyExc_TypeError, "needles must be bytes");
            goto done;
        }
        const unsigned char *s = (const unsigned char *)PyBytes_AS_STRING(nd);
        Py_ssize_t len = PyBytes_GET_SIZE(nd);
        int word = len > 0;
        for (Py_ssize_t j = 0; j < len; j++)
            word = word && IDSCAN_WORD(s[j]);
        if (!word) {  /* (load_profile makes them of identifier characters) */
            PyErr_SetString(PyExc_ValueError, "a needle must be identifier characters");
            goto done;
        }
        if (len == 1) {
            single[s[0]] = 1;
        } else {
            first[s[0] + 1]++;
            pairs[(s[0] << 5) | (s[1] >> 3)] |= (unsigned char)(1 << (s[1] & 7));
        }
    }
    for (int c = 0; c < 256; c++)
        first[c + 1] += first[c];
    {
        Py_ssize_t fill[256];
        memcpy(fill, first, sizeof fill);
        for (Py_ssize_t k = 0; k < nn; k++) {
            PyObject *nd = PyTuple_GET_ITEM(needles, k);
            if (PyBytes_GET_SIZE(nd) > 1)
                idx[fill[(unsigned char)PyBytes_AS_STRING(nd)[0]]++] = k;
        }
    }
    out = PyList_New(0);
    if (out == NULL)
        goto done;
    const unsigned char *b = code.buf;
    Py_ssize_t n = code.len, i = 0;
    while (i < n) {
        while (i < n && !nc_word[b[i]])
            i++;
        if (i >= n)
            break;
        Py_ssize_t s = i, e = i;
        while (e < n && nc_word[b[e]])
            e++;
        int hit = 0;
        for (Py_ssize_t j = s; j < e && !hit; j++) {
            unsigned char c0 = b[j];
            if (single[c0]) {
                hit = 1;
                break;
            }
            if (j + 1 >= e)
                break;
            unsigned char c1 = b[j + 1];
            if (!(pairs[(c0 << 5) | (c1 >> 3)] & (1 << (c1 & 7))))
                continue;
            for (Py_ssize_t q = first[c0]; q < first[c0 + 1]; q++) {
                PyObject *nd = PyTuple_GET_ITEM(needles, idx[q]);
                Py_ssize_t len = PyBytes_GET_SIZE(nd);
                if (len <= e - j && memcmp(b + j, PyBytes_AS_STRING(nd), (size_t)len) == 0) {
                    hit = 1;
                    break;
                }
            }
        }
        if (hit) {
            PyObject *start = PyLong_FromSsize_t(s);
            int r = start != NULL ? PyList_Append(out, start) : -1;
            Py_XDECREF(start);
            if (r < 0) {
                Py_CLEAR(out);
                goto done;
            }
        }
        i = e;
    }
done:
    PyMem_Free(idx);
    PyMem_Free(pairs);
    PyBuffer_Release(&code);
    return out;
}

/* The conditional pass (normalize._conditional_pass and its helpers). */
enum { K_IF, K_IFDEF, K_IFNDEF, K_ELIF, K_ELSE, K_ENDIF };

typedef struct {
    Py_ssize_t start, end;  /* the directive's span */
    int kind;
    int truth;  /* _truth: -1 None (unknown, or not computed), 0 False, 1 True */
} CondDir;

typedef struct {
    const unsigned char *src;
    unsigned char *code, *buf;  /* (the pass's own code copy; the caller's buffer) */
    Py_ssize_t n;
    int prune_if0, split, alternate;
    PyObject *undefined;  /* assumed(name) -> 0, 1 (defined), 2 (undefined), or None */
    PyObject *defined;    /* set of bytes: macros #defined at file level so far */
    PyObject *dropped;    /* list of (start, end) */
    CondDir *items;       /* the open groups' directives, innermost last */
    Py_ssize_t nitems, capitems;
    Py_ssize_t *groups;   /* where each open group starts in items */
    Py_ssize_t ngroups, capgroups;
    int *inner;           /* per open group: a split group inside it kept another branch */
    Py_ssize_t capinner;
    int *dead;            /* per branch of the group being flattened */
    Py_ssize_t capdead;
    Py_ssize_t *want;     /* sorted start offsets of the branches to keep (normalize_ex's
                           * `want`), or NULL */
    Py_ssize_t nwant;
    Py_ssize_t *defs;     /* where each #define starts, in order */
    Py_ssize_t ndefs, capdefs;
    Py_ssize_t *kept;     /* (start, end) pairs: the branches split groups kept (_flatten) */
    Py_ssize_t nkept, capkept;
    Py_ssize_t *ikept;    /* the group being flattened's share of them (_inner_kept) */
    Py_ssize_t capikept;
    int *gone;            /* per branch of that group: blanked */
    Py_ssize_t capgone;
    unsigned char *cond;  /* a condition with its comments blanked (nc_cond_text) */
    Py_ssize_t capcond;
} CondPass;

static int nc_grow(void **p, Py_ssize_t *cap, Py_ssize_t need, size_t size) {
    if (need <= *cap)
        return 0;
    Py_ssize_t c = *cap ? *cap : 64;
    while (c < need) {
        if (c > PY_SSIZE_T_MAX / 2 / (Py_ssize_t)size) {
            PyErr_NoMemory();
            return -1;
        }
        c *= 2;
    }
    void *q = PyMem_Realloc(*p, (size_t)c * size);
    if (q == NULL) {
        PyErr_NoMemory();
        return -1;
    }
    *p = q;
    *cap = c;
    return 0;
}

/* _blank: every byte of b[a:e] but newlines a space (clipped as a slice is). */
static void nc_blank(unsigned char *b, Py_ssize_t n, Py_ssize_t a, Py_ssize_t e) {
    if (a < 0)
        a = 0;
    if (e > n)
        e = n;
    for (Py_ssize_t j = a; j < e; j++)
        if (b[j] != '\n')
            b[j] = ' ';
}

/* code[a:e].strip(): its bounds in *ta, *te (empty: *ta == *te). */
static void nc_strip(const unsigned char *b, Py_ssize_t n, Py_ssize_t a, Py_ssize_t e,
                     Py_ssize_t *ta, Py_ssize_t *te) {
    if (a < 0)
        a = 0;
    if (e > n)
        e = n;
    if (e < a)
        e = a;
    while (a < e && NC_WS(b[a]))
        a++;
    while (e > a && NC_WS(b[e - 1]))
        e--;
    *ta = a;
    *te = e;
}

/* The end of a match of `[ \t]*(?:/[*\/].*)?$` at c[i:n] (c holds no newline): 1 or 0. */
static int nc_tail(const unsigned char *c, Py_ssize_t i, Py_ssize_t n) {
    while (i < n && NC_BLANK(c[i]))
        i++;
    return i == n || (c[i] == '/' && i + 1 < n && (c[i + 1] == '*' || c[i + 1] == '/'));
}

/* Is the name c[a:e] one the file #defined or the profile assumes defined (1), or one the
 * profile assumes undefined (2), or neither (0)? -1 on error. */
static int nc_known(CondPass *p, const unsigned char *c, Py_ssize_t a, Py_ssize_t e) {
    PyObject *name = PyBytes_FromStringAndSize((const char *)c + a, e - a);
    if (name == NULL)
        return -1;
    int r = PySet_Contains(p->defined, name);
    if (r == 0 && p->undefined != Py_None) {  /* (assumed(name): 1 defined, 2 undefined) */
        PyObject *v = PyObject_CallOneArg(p->undefined, name);
        long x = v != NULL ? PyLong_AsLong(v) : -1;
        r = x == -1 && PyErr_Occurred() ? -1 : x == 1 ? 1 : x == 2 ? 2 : 0;
        Py_XDECREF(v);
    }
    Py_DECREF(name);
    return r;
}

/* _truth(kind, cond, defined, prof) with cond = c[0:n] (stripped): -1 None, 0, 1; -2 on
 * error. */
static int nc_truth(CondPass *p, int kind, const unsigned char *c, Py_ssize_t n);

/* normalize._conjuncts + the `&&` rule of _truth: a chain of `&&` at the top level is
 * false when one operand is, true when all are; -1 None, -3 when it is no such chain */
static int nc_truth_and(CondPass *p, int kind, const unsigned char *c, Py_ssize_t n) {
    Py_ssize_t depth = 0, nparts = 0;
    for (Py_ssize_t i = 0; i < n; i++) {
        if (c[i] == '(') {
            depth++;
        } else if (c[i] == ')') {
            if (--depth < 0)
                return -3;
        } else if (depth == 0 && ((c[i] == '|' && i + 1 < n && c[i + 1] == '|') || c[i] == '?')) {
            return -3;
        } else if (depth == 0 && c[i] == '&' && i + 1 < n && c[i + 1] == '&') {
            nparts++;
            i++;
        }
    }
    if (nparts == 0 || depth != 0)
        return -3;
    int any_false = 0, all_true = 1;
    Py_ssize_t start = 0;
    depth = 0;
    for (Py_ssize_t i = 0; i <= n; i++) {
        int cut = i == n;
        if (!cut) {
            if (c[i] == '(')
                depth++;
            else if (c[i] == ')')
                depth--;
            else if (depth == 0 && c[i] == '&' && i + 1 < n && c[i + 1] == '&')
                cut = 1;
        }
        if (!cut)
            continue;
        Py_ssize_t a = start, e = i;  /* (the operand, stripped as bytes.strip() does) */
        while (a < e && (NC_BLANK(c[a]) || c[a] == '\n' || c[a] == '\r' || c[a] == '\v' || c[a] == '\f'))
            a++;
        while (e > a && (NC_BLANK(c[e - 1]) || c[e - 1] == '\n' || c[e - 1] == '\r' ||
                         c[e - 1] == '\v' || c[e - 1] == '\f'))
            e--;
        int v = nc_truth(p, kind, c + a, e - a);
        if (v == -2)
            return -2;
        if (v == 0)
            any_false = 1;
        if (v != 1)
            all_true = 0;
        start = i + 2;
        i++;
    }
    return any_false ? 0 : all_true ? 1 : -1;
}

/* The condition c[0:n] (stripped; no newline in it) as _conditional_pass hands it to
 * _truth: _COND_COMMENT.sub(b" ", c).strip() (each block comment a blank; an unterminated
 * one, or a `//` one, a blank to the end), in p->cond when c holds a '/' (*out: c itself
 * when not). -1 on a memory error. */
static int nc_cond_text(CondPass *p, const unsigned char *c, Py_ssize_t n,
                        const unsigned char **out, Py_ssize_t *outn) {
    *out = c;
    *outn = n;
    if (n == 0 || memchr(c, '/', (size_t)n) == NULL)
        return 0;
    if (nc_grow((void **)&p->cond, &p->capcond, n, 1) < 0)
        return -1;
    Py_ssize_t k = 0;
    for (Py_ssize_t i = 0; i < n; i++) {
        if (c[i] == '/' && i + 1 < n && c[i + 1] == '*') {
            Py_ssize_t q = i + 2;
            while (q + 1 < n && !(c[q] == '*' && c[q + 1] == '/'))
                q++;
            p->cond[k++] = ' ';
            if (q + 1 >= n)
                break;  /* (unterminated: to the end) */
            i = q + 1;
        } else if (c[i] == '/' && i + 1 < n && c[i + 1] == '/') {
            p->cond[k++] = ' ';
            break;
        } else {
            p->cond[k++] = c[i];
        }
    }
    Py_ssize_t a, e;
    nc_strip(p->cond, k, 0, k, &a, &e);
    *out = p->cond + a;
    *outn = e - a;
    return 0;
}

static int nc_truth(CondPass *p, int kind, const unsigned char *c, Py_ssize_t n) {
    if (kind == K_IF || kind == K_ELIF) {
        if ((n == 1 && c[0] == '0') || (n == 3 && memcmp(c, "(0)", 3) == 0))
            return 0;
        int chained = nc_truth_and(p, kind, c, n);
        if (chained != -3)
            return chained;
        /* _DEFINED: (!?)[ \t]*defined[ \t]*(?:\([ \t]*(\w+)[ \t]*\)|(\w+))[ \t]*(?:/[*\/].*)?$ */
        Py_ssize_t i = 0, a, e;
        int neg = 0;
        if (i < n && c[i] == '!') {
            neg = 1;
            i++;
        }
        while (i < n && NC_BLANK(c[i]))
            i++;
        if (n - i < 7 || memcmp(c + i, "defined", 7) != 0)
            return -1;
        i += 7;
        while (i < n && NC_BLANK(c[i]))
            i++;
        if (i < n && c[i] == '(') {
            i++;
            while (i < n && NC_BLANK(c[i]))
                i++;
            a = i;
            while (i < n && IDSCAN_WORD(c[i]))
                i++;
            e = i;
            while (i < n && NC_BLANK(c[i]))
                i++;
            if (e == a || i >= n || c[i] != ')')
                return -1;
            i++;
        } else {
            a = i;
            while (i < n && IDSCAN_WORD(c[i]))
                i++;
            e = i;
            if (e == a)
                return -1;
        }
        if (!nc_tail(c, i, n))
            return -1;
        int k = nc_known(p, c, a, e);
        if (k < 0)
            return -2;
        return k == 1 ? !neg : k == 2 ? neg : -1;
    }
    if (kind == K_IFDEF || kind == K_IFNDEF) {
        /* _NAME_ONLY: (\w+)[ \t]*(?:/[*\/].*)?$ */
        Py_ssize_t e = 0;
        while (e < n && IDSCAN_WORD(c[e]))
            e++;
        if (e == 0 || !nc_tail(c, e, n))
            return -1;
        int k = nc_known(p, c, 0, e);
        if (k < 0)
            return -2;
        return k == 1 ? kind == K_IFDEF : k == 2 ? kind == K_IFNDEF : -1;
    }
    return -1;
}

/* _dead(group): into p->dead for the n - 1 branches of group[0:n]. */
static void nc_dead(CondPass *p, const CondDir *g, Py_ssize_t n) {
    int taken = 0;
    for (Py_ssize_t i = 0; i + 1 < n; i++) {
        p->dead[i] = taken || g[i].truth == 0;
        taken = taken || g[i].truth == 1;
    }
}

static int nc_has_code(CondPass *p, Py_ssize_t a, Py_ssize_t e) {
    Py_ssize_t ta, te;
    nc_strip(p->code, p->n, a, e, &ta, &te);
    return ta < te;
}

/* normalize._holds: does [a, b) hold one of the sorted offsets v[0:nv]? */
static int nc_holds(const Py_ssize_t *v, Py_ssize_t nv, Py_ssize_t a, Py_ssize_t b) {
    Py_ssize_t lo = 0, hi = nv;
    while (lo < hi) {  /* (bisect_left) */
        Py_ssize_t mid = lo + (hi - lo) / 2;
        if (v[mid] < a)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < nv && v[lo] < b;
}

/* _flatten's content(i): branch i of g a live one with code or a #define. */
static int nc_content(CondPass *p, const CondDir *g, Py_ssize_t i) {
    return !p->dead[i] && (nc_has_code(p, g[i].end, g[i + 1].start)
                           || nc_holds(p->defs, p->ndefs, g[i].end, g[i + 1].start));
}

static int nc_drop(CondPass *p, Py_ssize_t a, Py_ssize_t b) {
    PyObject *span = Py_BuildValue("(nn)", a, b);
    int r = span != NULL ? PyList_Append(p->dropped, span) : -1;
    Py_XDECREF(span);
    return r;
}

static int nc_keep(CondPass *p, Py_ssize_t a, Py_ssize_t b) {
    if (nc_grow((void **)&p->kept, &p->capkept, 2 * (p->nkept + 1), sizeof(Py_ssize_t)) < 0)
        return -1;
    p->kept[2 * p->nkept] = a;
    p->kept[2 * p->nkept + 1] = b;
    p->nkept++;
    return 0;
}

/* _needs_flatten: 1 with *keep and *split when the group must be flattened, else 0. */
static int nc_needs_flatten(CondPass *p, const CondDir *g, Py_ssize_t n, Py_ssize_t *keep,
                            int *split) {
    nc_dead(p, g, n);
    Py_ssize_t live = 0;
    *keep = -1;
    for (Py_ssize_t i = 0; i + 1 < n; i++)
        if (!p->dead[i]) {
            if (live++ == 0)
                *keep = i;
        }
    if (p->prune_if0 && live < n - 1 && live <= 1) {
        *split = 0;
        return 1;
    }
    if (!p->split)
        return 0;
    *split = 1;
    for (Py_ssize_t i = 0; i + 1 < n; i++) {
        Py_ssize_t a = g[i].end, e = g[i + 1].start, ta, te;
        if (a < 0)
            a = 0;
        if (e > p->n)
            e = p->n;
        if (e < a)
            e = a;
        Py_ssize_t braces = 0, parens = 0;
        for (Py_ssize_t j = a; j < e; j++) {
            unsigned char ch = p->code[j];
            braces += ch == '{' ? 1 : ch == '}' ? -1 : 0;
            parens += ch == '(' ? 1 : ch == ')' ? -1 : 0;
        }
        if (braces || parens)
            return 1;
        nc_strip(p->code, p->n, a, e, &ta, &te);
        if (ta < te) {
            unsigned char last = p->code[te - 1];
            if (last != ';' && last != '}' && last != '{' && last != ':')
                return 1;
            /* _LEAD_ELSE: else\b */
            if (te - ta >= 4 && memcmp(p->code + ta, "else", 4) == 0 &&
                    (te - ta == 4 || !IDSCAN_WORD(p->code[ta + 4])))
                return 1;
        }
    }
    /* an `else` right after the #endif: the group parts it from its `if`; with one branch
     * (or no code) *split = -1, its directive lines go; with several, flattened (split) */
    Py_ssize_t j = g[n - 1].end < 0 ? 0 : g[n - 1].end, lim = j + 256;
    if (lim > p->n)
        lim = p->n;
    while (j < lim && (p->code[j] == ' ' || p->code[j] == '\t' || p->code[j] == '\n' ||
                       p->code[j] == '\r' || p->code[j] == '\f' || p->code[j] == '\v'))
        j++;
    if (!(lim - j >= 4 && memcmp(p->code + j, "else", 4) == 0 &&
          (lim - j == 4 || !IDSCAN_WORD(p->code[j + 4]))))
        return 0;
    if (n == 2) {
        *split = -1;
        return 1;
    }
    for (Py_ssize_t i = 0; i + 1 < n; i++)
        if (nc_has_code(p, g[i].end < 0 ? 0 : g[i].end, g[i + 1].start > p->n ? p->n
                        : g[i + 1].start))
            return 1;
    *split = -1;
    return 1;
}

/* _flatten of the group g[0:n] (its last directive the #endif); 1 when it kept another
 * branch than the first (alternate), 0 when not, -1 on error. `inner_alt`: a split group
 * inside it did (alternate 2 then keeps this one's first branch). */
static int nc_flatten(CondPass *p, const CondDir *g, Py_ssize_t n, int inner_alt) {
    if (nc_grow((void **)&p->dead, &p->capdead, n, sizeof(int)) < 0
        || nc_grow((void **)&p->gone, &p->capgone, n, sizeof(int)) < 0)
        return -1;
    /* _inner_kept: the kept branches after g's start move to ikept */
    Py_ssize_t k = p->nkept;
    while (k && p->kept[2 * (k - 1)] >= g[0].start)
        k--;
    Py_ssize_t ninner = p->nkept - k;
    if (ninner) {
        if (nc_grow((void **)&p->ikept, &p->capikept, 2 * ninner, sizeof(Py_ssize_t)) < 0)
            return -1;
        memcpy(p->ikept, p->kept + 2 * k, (size_t)(2 * ninner) * sizeof(Py_ssize_t));
        p->nkept = k;
    }
    nc_dead(p, g, n);
    for (Py_ssize_t i = 0; i + 1 < n; i++)
        p->gone[i] = 0;
    if (p->prune_if0) {
        Py_ssize_t ndead = 0;
        for (Py_ssize_t i = 0; i + 1 < n; i++)
            ndead += p->dead[i];
        if (ndead && (n - 1) - ndead > 1)
            for (Py_ssize_t i = 0; i + 1 < n; i++)
                if (p->dead[i]) {
                    nc_blank(p->buf, p->n, g[i].end, g[i + 1].start);
                    nc_blank(p->code, p->n, g[i].end, g[i + 1].start);
                    p->gone[i] = 1;
                }
    }
    Py_ssize_t keep = -1, own = -1;
    int split = 0, alternated = 0;
    int how = nc_needs_flatten(p, g, n, &keep, &split);
    if (how && split < 0) {  /* (a group of comments only: its directive lines go, nothing else) */
        for (Py_ssize_t i = 0; i < n; i++)
            nc_blank(p->buf, p->n, g[i].start, g[i].end);
    } else if (how) {
        if (split && p->want != NULL) {
            for (Py_ssize_t i = 0; i + 1 < n; i++)
                if (nc_holds(p->want, p->nwant, g[i].end, g[i + 1].start) && nc_content(p, g, i)) {
                    alternated = i != keep;
                    keep = i;
                    break;
                }
        } else if (split && p->alternate && !(p->alternate == 2 && inner_alt))
            for (Py_ssize_t i = keep + 1; i + 1 < n; i++)
                if (nc_has_code(p, g[i].end, g[i + 1].start)) {
                    keep = i;
                    alternated = 1;
                    break;
                }
        for (Py_ssize_t i = 0; i < n; i++) {
            nc_blank(p->buf, p->n, g[i].start, g[i].end);
            if (i + 1 < n && i != keep) {
                Py_ssize_t a = g[i].end, b = g[i + 1].start;
                if (split && nc_content(p, g, i) && nc_drop(p, a, b) < 0)
                    return -1;
                if (split && !p->dead[i])
                    for (Py_ssize_t j = 0; j < ninner; j++)
                        if (a <= p->ikept[2 * j] && p->ikept[2 * j] < b
                            && nc_drop(p, p->ikept[2 * j], p->ikept[2 * j + 1]) < 0)
                            return -1;
                nc_blank(p->buf, p->n, a, b);
                nc_blank(p->code, p->n, a, b);
                p->gone[i] = 1;
            }
        }
        if (split && keep >= 0 && nc_content(p, g, keep))
            own = keep;
    }
    for (Py_ssize_t j = 0; j < ninner; j++) {  /* (the inner ones left in a branch kept) */
        Py_ssize_t at = p->ikept[2 * j];
        int blanked = 0;
        for (Py_ssize_t i = 0; i + 1 < n && !blanked; i++)
            blanked = p->gone[i] && g[i].end <= at && at < g[i + 1].start;
        if (!blanked && nc_keep(p, at, p->ikept[2 * j + 1]) < 0)
            return -1;
    }
    if (own >= 0 && nc_keep(p, g[own].end, g[own + 1].start) < 0)
        return -1;
    return alternated;
}

/* One directive src[start:end]: its _COND kind (with the stripped condition in *ca, *ce),
 * or -1 when _COND does not match; for #define / #undef (-2 / -3) the name in *ca, *ce. */
static int nc_directive(const unsigned char *s, Py_ssize_t start, Py_ssize_t end,
                        Py_ssize_t *ca, Py_ssize_t *ce) {
    Py_ssize_t i = start;
    while (i < end && NC_BLANK(s[i]))
        i++;
    if (i >= end || s[i] != '#')
        return -1;
    i++;
    while (i < end && NC_BLANK(s[i]))
        i++;
    Py_ssize_t w = i;
    while (i < end && IDSCAN_WORD(s[i]))
        i++;
    Py_ssize_t len = i - w;
    const char *word = (const char *)s + w;
    int kind = -1;
    if (len == 2 && memcmp(word, "if", 2) == 0)
        kind = K_IF;
    else if (len == 5 && memcmp(word, "ifdef", 5) == 0)
        kind = K_IFDEF;
    else if (len == 6 && memcmp(word, "ifndef", 6) == 0)
        kind = K_IFNDEF;
    else if (len == 4 && memcmp(word, "elif", 4) == 0)
        kind = K_ELIF;
    else if (len == 4 && memcmp(word, "else", 4) == 0)
        kind = K_ELSE;
    else if (len == 5 && memcmp(word, "endif", 5) == 0)
        kind = K_ENDIF;
    if (kind >= 0) {  /* [ \t]*([^\n]*), stripped */
        while (i < end && NC_BLANK(s[i]))
            i++;
        Py_ssize_t e = i;
        while (e < end && s[e] != '\n')
            e++;
        nc_strip(s, end, i, e, ca, ce);
        return kind;
    }
    /* _DEF: (define|undef)[ \t]+(\w+) */
    Py_ssize_t kw;
    if (end - w >= 6 && memcmp(s + w, "define", 6) == 0)
        kw = 6, kind = -2;
    else if (end - w >= 5 && memcmp(s + w, "undef", 5) == 0)
        kw = 5, kind = -3;
    else
        return -1;
    i = w + kw;
    if (i >= end || !NC_BLANK(s[i]))
        return -1;
    while (i < end && NC_BLANK(s[i]))
        i++;
    *ca = i;
    while (i < end && IDSCAN_WORD(s[i]))
        i++;
    *ce = i;
    return *ca < *ce ? kind : -1;
}

/* cond_pass(src, code, buf, directives, prune_if0, split_conditionals, assumed,
 * alternate[, want]) -> dropped: normalize._conditional_pass on the code copy `code`
 * (copied: the caller's stays as it is) and the bytearray buf (blanked in place);
 * `directives` the (start, end) spans of _code, assumed a callable (name -> 0, 1 defined,
 * 2 undefined) or None (nothing is assumed), want None or a sorted list of offsets. */
static PyObject *nc_cond_pass(PyObject *Py_UNUSED(mod), PyObject *args) {
    Py_buffer src, code, buf;
    PyObject *dirs, *undefined, *want = Py_None;
    int prune_if0, split, alternate;
    if (!PyArg_ParseTuple(args, "y*y*w*O!ppOi|O", &src, &code, &buf, &PyList_Type, &dirs,
                          &prune_if0, &split, &undefined, &alternate, &want)) {
        return NULL;
    }
    CondPass p;
    memset(&p, 0, sizeof p);
    PyObject *out = NULL;
    if (src.len != code.len || src.len != buf.len) {
        PyErr_SetString(PyExc_ValueError, "src, code and buf must have one length");
        goto done;
    }
    p.src = src.buf;
    p.buf = buf.buf;
    p.n = src.len;
    p.prune_if0 = prune_if0;
    p.split = split;
    p.alternate = alternate;
    p.undefined = undefined;
    p.code = PyMem_Malloc(p.n ? (size_t)p.n : 1);
    p.defined = PySet_New(NULL);
    p.dropped = PyList_New(0);
    if (p.code == NULL) {
        PyErr_NoMemory();
        goto done;
    }
    if (p.defined == NULL || p.dropped == NULL)
        goto done;
    memcpy(p.code, code.buf, (size_t)p.n);
    if (want != Py_None && PyObject_IsTrue(want)) {  /* (an empty list: as None) */
        if (!PyList_Check(want)) {
            PyErr_SetString(PyExc_TypeError, "want must be a list of offsets or None");
            goto done;
        }
        p.nwant = PyList_GET_SIZE(want);
        p.want = PyMem_Malloc((size_t)p.nwant * sizeof(Py_ssize_t));
        if (p.want == NULL) {
            PyErr_NoMemory();
            goto done;
        }
        for (Py_ssize_t k = 0; k < p.nwant; k++) {
            p.want[k] = PyLong_AsSsize_t(PyList_GET_ITEM(want, k));
            if (p.want[k] == -1 && PyErr_Occurred())
                goto done;
            if (k && p.want[k] < p.want[k - 1]) {
                PyErr_SetString(PyExc_ValueError, "want must be sorted");
                goto done;
            }
        }
    }
    for (Py_ssize_t k = 0; k < PyList_GET_SIZE(dirs); k++) {
        PyObject *t = PyList_GET_ITEM(dirs, k);
        Py_ssize_t start, end, ca = 0, ce = 0;
        if (!PyTuple_Check(t) || PyTuple_GET_SIZE(t) != 2) {
            PyErr_SetString(PyExc_TypeError, "directives must be (start, end) tuples");
            goto done;
        }
        start = PyLong_AsSsize_t(PyTuple_GET_ITEM(t, 0));
        if (start == -1 && PyErr_Occurred())
            goto done;
        end = PyLong_AsSsize_t(PyTuple_GET_ITEM(t, 1));
        if (end == -1 && PyErr_Occurred())
            goto done;
        if (start < 0 || end < 0) {
            PyErr_SetString(PyExc_ValueError, "negative directive span");
            goto done;
        }
        /* (match(src, start, end) clips endpos to the length; no match when start > end) */
        if (start > (end < p.n ? end : p.n))
            continue;
        int kind = nc_directive(p.src, start, end < p.n ? end : p.n, &ca, &ce);
        if (kind == -1)
            continue;
        if (kind < -1) {  /* #define / #undef: _track_define */
            if (kind == -2) {
                if (nc_grow((void **)&p.defs, &p.capdefs, p.ndefs + 1, sizeof(Py_ssize_t)) < 0)
                    goto done;
                p.defs[p.ndefs++] = start;
            }
            if (!p.prune_if0)
                continue;
            PyObject *name = PyBytes_FromStringAndSize((const char *)p.src + ca, ce - ca);
            if (name == NULL)
                goto done;
            int r = kind == -3 ? PySet_Discard(p.defined, name)
                    : p.ngroups == 0 ? PySet_Add(p.defined, name) : 0;
            Py_DECREF(name);
            if (r < 0)
                goto done;
            continue;
        }
        CondDir d = {start, end, kind, -1};
        if (p.prune_if0) {
            const unsigned char *cond;
            Py_ssize_t ncond;
            if (nc_cond_text(&p, p.src + ca, ce - ca, &cond, &ncond) < 0 ||
                    (d.truth = nc_truth(&p, kind, cond, ncond)) == -2)
                goto done;
        }
        if (kind == K_IF || kind == K_IFDEF || kind == K_IFNDEF) {
            if (nc_grow((void **)&p.groups, &p.capgroups, p.ngroups + 1, sizeof(Py_ssize_t)) < 0
                || nc_grow((void **)&p.inner, &p.capinner, p.ngroups + 1, sizeof(int)) < 0)
                goto done;
            p.inner[p.ngroups] = 0;
            p.groups[p.ngroups++] = p.nitems;
        } else if (p.ngroups == 0) {
            continue;
        }
        if (nc_grow((void **)&p.items, &p.capitems, p.nitems + 1, sizeof(CondDir)) < 0)
            goto done;
        p.items[p.nitems++] = d;
        if (kind == K_ENDIF) {
            Py_ssize_t g = p.groups[--p.ngroups];
            int flag = p.inner[p.ngroups];
            int r = nc_flatten(&p, p.items + g, p.nitems - g, flag);
            if (r < 0)
                goto done;
            if (p.ngroups > 0 && (r || flag))
                p.inner[p.ngroups - 1] = 1;  /* (up to every group around it) */
            p.nitems = g;
        }
    }
    out = p.dropped;
    Py_INCREF(out);
done:
    PyMem_Free(p.code);
    PyMem_Free(p.items);
    PyMem_Free(p.groups);
    PyMem_Free(p.inner);
    PyMem_Free(p.dead);
    PyMem_Free(p.want);
    PyMem_Free(p.defs);
    PyMem_Free(p.kept);
    PyMem_Free(p.ikept);
    PyMem_Free(p.gone);
    PyMem_Free(p.cond);
    Py_XDECREF(p.defined);
    Py_XDECREF(p.dropped);
    PyBuffer_Release(&src);
    PyBuffer_Release(&code);
    PyBuffer_Release(&buf);
    return out;
}

/* _LONG_DEFINE.match(s, ls) at a line start ls of s[0:n]: the end of the match, or -1. */
static Py_ssize_t nc_long_define(const unsigned char *s, Py_ssize_t n, Py_ssize_t i) {
    while (i < n && NC_BLANK(s[i]))
        i++;
    if (i >= n || s[i] != '#')
        return -1;
    i++;
    while (i < n && NC_BLANK(s[i]))
        i++;
    if (n - i < 6 || memcmp(s + i, "define", 6) != 0)
        return -1;
    i += 6;
    if (i < n && IDSCAN_WORD(s[i]))  /* (define\b) */
        return -1;
    /* (?:[^\n\\/]+|\\.|/(?![*\/])|/\*.*?\*\/|//[^\n]*)* */
    while (i < n) {
        unsigned char c = s[i];
        if (c == '\n') {
            break;
        } else if (c == '\\') {
            if (i + 1 >= n)
                break;
            i += 2;
        } else if (c != '/') {
            i++;
        } else if (i + 1 >= n || (s[i + 1] != '*' && s[i + 1] != '/')) {
            i++;
        } else if (s[i + 1] == '/') {
            i += 2;
            while (i < n && s[i] != '\n')
                i++;
        } else {
            Py_ssize_t j = i + 2;
            while (j + 1 < n && !(s[j] == '*' && s[j + 1] == '/'))
                j++;
            if (j + 1 >= n)
                break;  /* (unterminated: no alternative matches) */
            i = j + 2;
        }
    }
    return i;
}

static int nc_contains(const unsigned char *s, Py_ssize_t a, Py_ssize_t e, char c0, char c1) {
    for (Py_ssize_t j = a; j + 1 < e; j++)
        if (s[j] == (unsigned char)c0 && s[j + 1] == (unsigned char)c1)
            return 1;
    return 0;
}

/* The comments of one multi-line #define src[ms:me] (_COMMENT.finditer of its text):
 * blanked in buf, a `\` before each newline they held. */
static void nc_define_comments1(const unsigned char *s, unsigned char *buf, Py_ssize_t n,
                                Py_ssize_t ms, Py_ssize_t me) {
    if (memchr(s + ms, '\n', (size_t)(me - ms)) == NULL ||
            (!nc_contains(s, ms, me, '/', '*') && !nc_contains(s, ms, me, '/', '/')))
        return;
    Py_ssize_t j = ms;
    while (j < me) {
        Py_ssize_t a = j, b = -1;
        if (s[j] == '/' && j + 1 < me && s[j + 1] == '*') {
            Py_ssize_t k = j + 2;
            while (k + 1 < me && !(s[k] == '*' && s[k + 1] == '/'))
                k++;
            if (k + 1 < me)
                b = k + 2;
        } else if (s[j] == '/' && j + 1 < me && s[j + 1] == '/') {
            b = j + 2;
            while (b < me && s[b] != '\n')
                b++;
        }
        if (b < 0) {
            j++;
            continue;
        }
        for (Py_ssize_t k = a; k < b; k++) {
            if (buf[k] != '\n')
                buf[k] = ' ';
            else  /* (buf[nl - 1]: k > a as buf keeps src's newlines; else as Python) */
                buf[k > 0 ? k - 1 : n - 1] = '\\';
        }
        j = b;
    }
}

/* define_comments(src, buf): normalize._define_comments (buf, of src's length, in place):
 * the matches of _LONG_DEFINE as _long_defines finds them, from the `define` words. */
static PyObject *nc_define_comments(PyObject *Py_UNUSED(mod), PyObject *args) {
    Py_buffer src, buf;
    if (!PyArg_ParseTuple(args, "y*w*", &src, &buf))
        return NULL;
    if (src.len != buf.len) {
        PyErr_SetString(PyExc_ValueError, "src and buf must have one length");
        PyBuffer_Release(&src);
        PyBuffer_Release(&buf);
        return NULL;
    }
    const unsigned char *s = src.buf;
    Py_ssize_t n = src.len, pos = 0, p = 0;
    while (p + 6 <= n) {
        const unsigned char *f = memchr(s + p, 'd', (size_t)(n - 6 + 1 - p));
        if (f == NULL)
            break;
        p = f - s;
        if (memcmp(s + p, "define", 6) != 0) {
            p++;
            continue;
        }
        Py_ssize_t ls = p;
        while (ls > 0 && s[ls - 1] != '\n')
            ls--;
        Py_ssize_t me = ls >= pos ? nc_long_define(s, n, ls) : -1;
        if (me >= 0) {
            nc_define_comments1(s, buf.buf, n, ls, me);
            pos = p = me > p + 1 ? me : p + 1;
        } else {
            p++;
        }
    }
    PyBuffer_Release(&src);
    PyBuffer_Release(&buf);
    Py_RETURN_NONE;
}

/* die_with_parent(sig) -> bool: ask the kernel to send `sig` to this process when its
 * parent dies (Linux PR_SET_PDEATHSIG; False elsewhere or on failure). A pool worker calls
 * it at start; ctypes did the same, but its import cost each worker ~10 ms. */
static PyObject *nc_die_with_parent(PyObject *self, PyObject *args) {
    int sig;
    if (!PyArg_ParseTuple(args, "i", &sig))
        return NULL;
#ifdef __linux__
    if (prctl(PR_SET_PDEATHSIG, (unsigned long)sig, 0, 0, 0) == 0)
        Py_RETURN_TRUE;
#endif
    Py_RETURN_FALSE;
}

static PyMethodDef module_methods[] = {
    {"die_with_parent", nc_die_with_parent, METH_VARARGS,
     "die_with_parent(sig) -> bool: PR_SET_PDEATHSIG (Linux)"},
    {"ident_tokens", ident_tokens, METH_VARARGS,
     "ident_tokens(code, nl, skip, keywords) -> (names, starts, lines, cols)"},
    {"code", nc_code, METH_VARARGS, "code(src, directives) -> bytes (normalize._code)"},
    {"candidates", nc_candidates, METH_VARARGS,
     "candidates(code, needles) -> list of offsets (normalize._candidates)"},
    {"cond_pass", nc_cond_pass, METH_VARARGS,
     "cond_pass(src, code, buf, directives, prune_if0, split_conditionals, assumed,"
     " alternate[, want]) -> dropped (normalize._conditional_pass)"},
    {"define_comments", nc_define_comments, METH_VARARGS,
     "define_comments(src, buf): normalize._define_comments, buf blanked in place"},
    {NULL, NULL, 0, NULL},
};

static PyMethodDef Writer_methods[] = {
    {"execute", (PyCFunction)Writer_execute, METH_VARARGS, "Run SQL that returns no rows."},
    {"insert", (PyCFunction)Writer_insert, METH_VARARGS,
     "insert(table, job, rows): store (job, *row) in `table` for each tuple of rows."},
    {"close", (PyCFunction)Writer_close, METH_NOARGS, "Close the database."},
    {NULL, NULL, 0, NULL},
};

static PyTypeObject WriterType = {
    PyVarObject_HEAD_INIT(NULL, 0)
    .tp_name = "vmxref.indexer._native.Writer",
    .tp_doc = "Writer(path): a spool database written without the sqlite3 module.",
    .tp_basicsize = sizeof(Writer),
    .tp_flags = Py_TPFLAGS_DEFAULT,
    .tp_new = PyType_GenericNew,
    .tp_init = (initproc)Writer_init,
    .tp_dealloc = (destructor)Writer_dealloc,
    .tp_methods = Writer_methods,
};

static struct PyModuleDef module = {
    PyModuleDef_HEAD_INIT,
    .m_name = "_native",
    .m_doc = "The optional C part of a worker: the spool writer, the identifier scan.",
    .m_size = -1,
    .m_methods = module_methods,
};

PyMODINIT_FUNC PyInit__native(void) {
    for (int c = 0; c < 256; c++)
        nc_word[c] = IDSCAN_WORD(c);
    if (PyType_Ready(&WriterType) < 0)
        return NULL;
    PyObject *m = PyModule_Create(&module);
    if (m == NULL)
        return NULL;
    SpoolError = PyErr_NewException("vmxref.indexer._native.SpoolError", NULL, NULL);
    if (PyModule_AddIntConstant(m, "VERSION", NATIVE_VERSION) < 0) {  /* (native.py checks it) */
        Py_DECREF(m);
        return NULL;
    }
    Py_INCREF(&WriterType);
    if (PyModule_AddObject(m, "Writer", (PyObject *)&WriterType) < 0 ||
            PyModule_AddObject(m, "SpoolError", SpoolError) < 0) {
        Py_DECREF(&WriterType);
        Py_DECREF(m);
        return NULL;
    }
    return m;
}
