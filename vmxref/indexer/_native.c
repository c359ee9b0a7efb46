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
 * tests/test_native.py checks each against its Python twin.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <sqlite3.h>
#include "_idscan.h"

#define NATIVE_VERSION 1  /* = vmxref/indexer/native.py VERSION */
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

static PyMethodDef module_methods[] = {
    {"ident_tokens", ident_tokens, METH_VARARGS,
     "ident_tokens(code, nl, skip, keywords) -> (names, starts, lines, cols)"},
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
