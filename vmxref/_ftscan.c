/* vmxref._ftscan: the full-text search's line filter over a chunk's bytes (optional; the
 * Python loop in vmxref/fulltext.py, `_candidate_lines`, is its twin and the reference).
 *
 * A common multi-word search (`clock update` on all of Linux) reads thousands of candidate
 * chunks, tens of megabytes of text: as Python (decode, lower-case, str.find per line, a
 * substring test per query part) that cost ~120 ms, in C ~15 ms. Only pure-ASCII chunks are
 * scanned here (98 % of Linux's): there a byte offset is a character offset and ASCII case
 * folding is str.lower(); for any other the function returns None and Python does it.
 *
 * tests/test_fulltext_scan.py checks it against the Python twin.
 */
#define PY_SSIZE_T_CLEAN
#define _GNU_SOURCE
#include <Python.h>
#include <string.h>

#define FTSCAN_VERSION 1  /* = vmxref/fulltext.py _FTSCAN_VERSION */

static unsigned char lower_of[256];
static unsigned char word_of[256];

static int is_ascii(const unsigned char *s, Py_ssize_t n) {
    Py_ssize_t i = 0;
    for (; i + 8 <= n; i += 8) {
        unsigned long long w;
        memcpy(&w, s + i, 8);
        if (w & 0x8080808080808080ULL)
            return 0;
    }
    for (; i < n; i++)
        if (s[i] & 0x80)
            return 0;
    return 1;
}

/* lines(data, probe, whole_word, needles) -> [line start, line end, line index, ...] | None
 *
 * Every line of `data` holding `probe` (a lower-case ASCII word; with `whole_word`, not
 * inside a longer identifier) and every one of `needles` (lower-case ASCII), ignoring ASCII
 * case; offsets are of `data`, a line's end excludes its newline, its index counts the
 * newlines before it. None when `data` is not pure ASCII. */
static PyObject *ft_lines(PyObject *Py_UNUSED(mod), PyObject *args) {
    Py_buffer buf;
    const char *probe;
    Py_ssize_t plen;
    int whole;
    PyObject *needles;
    if (!PyArg_ParseTuple(args, "y*y#pO!", &buf, &probe, &plen, &whole, &PyTuple_Type,
                          &needles))
        return NULL;
    const unsigned char *src = buf.buf;
    Py_ssize_t n = buf.len, nn = PyTuple_GET_SIZE(needles);
    PyObject *out = NULL;
    unsigned char *low = NULL;
    if (!is_ascii(src, n)) {
        PyBuffer_Release(&buf);
        Py_RETURN_NONE;
    }
    for (Py_ssize_t k = 0; k < nn; k++)
        if (!PyBytes_Check(PyTuple_GET_ITEM(needles, k))) {
            PyErr_SetString(PyExc_TypeError, "needles must be bytes");
            goto done;
        }
    out = PyList_New(0);
    if (out == NULL || plen == 0 || n == 0)
        goto done;
    low = PyMem_Malloc(n);
    if (low == NULL) {
        PyErr_NoMemory();
        Py_CLEAR(out);
        goto done;
    }
    for (Py_ssize_t i = 0; i < n; i++)
        low[i] = lower_of[src[i]];
    Py_ssize_t pos = 0, counted = 0, lineidx = 0;
    while (pos < n) {
        const unsigned char *hit = memmem(low + pos, n - pos, probe, plen);
        if (hit == NULL)
            break;
        Py_ssize_t s = hit - low;
        if (whole && ((s > 0 && word_of[low[s - 1]]) ||
                      (s + plen < n && word_of[low[s + plen]]))) {
            pos = s + 1;
            continue;
        }
        const unsigned char *nl = memrchr(low, '\n', s);
        Py_ssize_t ls = nl ? nl - low + 1 : 0;
        nl = memchr(low + s, '\n', n - s);
        Py_ssize_t le = nl ? nl - low : n;
        int all = 1;
        for (Py_ssize_t k = 0; k < nn && all; k++) {
            PyObject *nd = PyTuple_GET_ITEM(needles, k);
            Py_ssize_t len = PyBytes_GET_SIZE(nd);
            all = len == 0 || memmem(low + ls, le - ls, PyBytes_AS_STRING(nd), len) != NULL;
        }
        if (all) {
            for (const unsigned char *p = low + counted;
                 (p = memchr(p, '\n', ls - (p - low))) != NULL; p++)
                lineidx++;
            counted = ls;
            PyObject *t[3] = {PyLong_FromSsize_t(ls), PyLong_FromSsize_t(le),
                              PyLong_FromSsize_t(lineidx)};
            int bad = !t[0] || !t[1] || !t[2];
            for (int j = 0; j < 3 && !bad; j++)
                bad = PyList_Append(out, t[j]) < 0;
            for (int j = 0; j < 3; j++)
                Py_XDECREF(t[j]);
            if (bad) {
                Py_CLEAR(out);
                goto done;
            }
        }
        pos = le + 1;
    }
done:
    PyMem_Free(low);
    PyBuffer_Release(&buf);
    return out;
}

static PyMethodDef methods[] = {
    {"lines", ft_lines, METH_VARARGS,
     "lines(data, probe, whole_word, needles) -> [start, end, index, ...] of matching lines, "
     "or None for non-ASCII data"},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {
    PyModuleDef_HEAD_INIT,
    .m_name = "_ftscan",
    .m_doc = "The full-text search's line filter (vmxref/fulltext.py _candidate_lines).",
    .m_size = -1,
    .m_methods = methods,
};

PyMODINIT_FUNC PyInit__ftscan(void) {
    for (int c = 0; c < 256; c++) {
        lower_of[c] = (c >= 'A' && c <= 'Z') ? c + 32 : c;
        word_of[c] = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                     (c >= '0' && c <= '9') || c == '_';
    }
    PyObject *m = PyModule_Create(&module);
    if (m != NULL && PyModule_AddIntConstant(m, "VERSION", FTSCAN_VERSION) < 0) {
        Py_DECREF(m);
        return NULL;
    }
    return m;
}
