/* vmxref._ftscan: the full-text search's line filter over a chunk's bytes (optional; the
 * Python loop in vmxref/fulltext.py, `_candidate_lines`, is its twin and the reference),
 * and the line finder of Store.line_text (its twin there splits the text).
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

#define FTSCAN_VERSION 3  /* = vmxref/fulltext.py _FTSCAN_VERSION */

static unsigned char lower_of[256];
static unsigned char word_of[256];

#define HIGH 0x8080808080808080ULL

/* ASCII-lower-case copy of s[0:n] into low; 0 when s holds a byte >= 0x80 (8 bytes a step:
 * a byte of A-Z gets 0x20 added, found by adding to the low seven bits of each byte). */
static int lower_ascii(const unsigned char *s, unsigned char *low, Py_ssize_t n) {
    Py_ssize_t i = 0;
    unsigned long long seen = 0;
    for (; i + 8 <= n; i += 8) {
        unsigned long long w, seven, ge_a, gt_z;
        memcpy(&w, s + i, 8);
        seen |= w;
        seven = w & ~HIGH;
        ge_a = seven + 0x3f3f3f3f3f3f3f3fULL;  /* high bit set where byte >= 'A' */
        gt_z = seven + 0x2525252525252525ULL;  /* ... where byte > 'Z' */
        w |= ((ge_a & ~gt_z) & HIGH) >> 2;
        memcpy(low + i, &w, 8);
    }
    for (; i < n; i++) {
        seen |= s[i];
        low[i] = lower_of[s[i]];
    }
    return !(seen & HIGH) ;
}

/* The matching lines of src[0:n] (see lines()) appended to `out` as [start, end, index,
 * ...]; `low` holds n bytes. 1 done, 0 when src is not pure ASCII, -1 on an error. */
static int scan(const unsigned char *src, Py_ssize_t n, unsigned char *low, const char *probe,
                Py_ssize_t plen, int whole, PyObject *needles, PyObject *out) {
    Py_ssize_t nn = PyTuple_GET_SIZE(needles);
    if (!lower_ascii(src, low, n))
        return 0;
    if (plen == 0 || n == 0)
        return 1;
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
            if (bad)
                return -1;
        }
        pos = le + 1;
    }
    return 1;
}

static int check_needles(PyObject *needles) {
    for (Py_ssize_t k = 0; k < PyTuple_GET_SIZE(needles); k++)
        if (!PyBytes_Check(PyTuple_GET_ITEM(needles, k))) {
            PyErr_SetString(PyExc_TypeError, "needles must be bytes");
            return -1;
        }
    return 0;
}

/* lines(data, start, end, probe, whole_word, needles) -> [line start, line end, line index,
 * ...] | None
 *
 * Every line of data[start:end] holding `probe` (a lower-case ASCII word; with `whole_word`,
 * not inside a longer identifier) and every one of `needles` (lower-case ASCII), ignoring
 * ASCII case; offsets are from `start`, a line's end excludes its newline, its index counts
 * the newlines before it. None when data[start:end] is not pure ASCII. `data` is any buffer
 * (the mapped texts.bin: a chunk is read in place). */
static PyObject *ft_lines(PyObject *Py_UNUSED(mod), PyObject *args) {
    Py_buffer buf;
    Py_ssize_t start, end;
    const char *probe;
    Py_ssize_t plen;
    int whole;
    PyObject *needles;
    if (!PyArg_ParseTuple(args, "y*nny#pO!", &buf, &start, &end, &probe, &plen, &whole,
                          &PyTuple_Type, &needles))
        return NULL;
    PyObject *out = NULL;
    unsigned char *low = NULL;
    if (start < 0 || end < start || end > buf.len) {
        PyErr_Format(PyExc_ValueError, "range %zd:%zd outside the %zd bytes", start, end,
                     buf.len);
        goto done;
    }
    if (check_needles(needles) < 0)
        goto done;
    Py_ssize_t n = end - start;
    low = PyMem_Malloc(n ? n : 1);
    if (low == NULL) {
        PyErr_NoMemory();
        goto done;
    }
    if ((out = PyList_New(0)) == NULL)
        goto done;
    int rc = scan((const unsigned char *)buf.buf + start, n, low, probe, plen, whole, needles,
                  out);
    if (rc <= 0) {
        Py_CLEAR(out);
        if (rc == 0)
            out = Py_NewRef(Py_None);
    }
done:
    PyMem_Free(low);
    PyBuffer_Release(&buf);
    return out;
}

/* skip(texts, offsets, chunks, i, header, limit, probe, whole_word, needles)
 *     -> (j, scanned, lines)
 *
 * lines() over the texts of chunks[i], chunks[i+1], ... in turn, up to the first one that
 * has a matching line (lines: its [start, end, index, ...]) or is not pure ASCII (lines:
 * None), or before the first one that would take the bytes scanned past `limit` (-1: none;
 * lines: False), or the end (j = len(chunks), lines: False). `scanned`: the text bytes of
 * the chunks passed over (chunks[i:j]). A chunk's record starts at offsets[2 * chunk] in
 * texts (a little-endian uint32 text length first, its text `header` bytes in). A common
 * search (`clock update` on all of Linux) passes over thousands of chunks without a
 * matching line: one call for them all, not one each. */
static PyObject *ft_skip(PyObject *Py_UNUSED(mod), PyObject *args) {
    Py_buffer buf, offs;
    PyObject *chunks, *needles;
    Py_ssize_t i, header, limit, plen;
    const char *probe;
    int whole;
    if (!PyArg_ParseTuple(args, "y*y*O!nnny#pO!", &buf, &offs, &PyList_Type, &chunks, &i,
                          &header, &limit, &probe, &plen, &whole, &PyTuple_Type, &needles))
        return NULL;
    PyObject *out = NULL, *lines = NULL;
    unsigned char *low = NULL;
    Py_ssize_t cap = 0, acc = 0, nch = PyList_GET_SIZE(chunks);
    const long long *off = offs.buf;
    Py_ssize_t noff = offs.len / (Py_ssize_t)sizeof(long long);
    const unsigned char *data = buf.buf;
    if (offs.itemsize != (Py_ssize_t)sizeof(long long) || check_needles(needles) < 0) {
        if (!PyErr_Occurred())
            PyErr_SetString(PyExc_TypeError, "offsets must be 64-bit integers");
        goto done;
    }
    for (; i < nch; i++) {
        Py_ssize_t c = PyLong_AsSsize_t(PyList_GET_ITEM(chunks, i));
        if (c == -1 && PyErr_Occurred())
            goto done;
        if (c < 0 || 2 * c + 1 >= noff || off[2 * c] < 0 || off[2 * c] + 4 > buf.len) {
            PyErr_Format(PyExc_ValueError, "chunk %zd outside the texts", c);
            goto done;
        }
        const unsigned char *h = data + off[2 * c];
        Py_ssize_t n = (Py_ssize_t)h[0] | (Py_ssize_t)h[1] << 8 | (Py_ssize_t)h[2] << 16 |
                       (Py_ssize_t)h[3] << 24;
        Py_ssize_t at = off[2 * c] + header;
        if (at + n > buf.len) {
            PyErr_Format(PyExc_ValueError, "chunk %zd outside the texts", c);
            goto done;
        }
        if (limit >= 0 && acc > limit) {
            lines = Py_NewRef(Py_False);
            break;
        }
        if (n > cap) {
            PyMem_Free(low);
            cap = n;
            if ((low = PyMem_Malloc(cap)) == NULL) {
                PyErr_NoMemory();
                goto done;
            }
        }
        if ((lines = PyList_New(0)) == NULL)
            goto done;
        int rc = scan(data + at, n, low, probe, plen, whole, needles, lines);
        if (rc < 0)
            goto done;
        if (rc == 0) {
            Py_SETREF(lines, Py_NewRef(Py_None));
            break;
        }
        if (PyList_GET_SIZE(lines))
            break;
        Py_CLEAR(lines);
        acc += n;
    }
    if (lines == NULL)
        lines = Py_NewRef(Py_False);
    out = Py_BuildValue("(nnO)", i, acc, lines);
done:
    Py_XDECREF(lines);
    PyMem_Free(low);
    PyBuffer_Release(&buf);
    PyBuffer_Release(&offs);
    return out;
}

/* line_span(data, n[, from_line, from_start]) -> (start, end) | None
 *
 * Where line n (1-based) of `data` lies, its newline excluded; None when data has fewer
 * lines. Store.line_text shows one line of a file: found by memchr, not by splitting the
 * whole file into lines (a `refs` of a common name shows one line of thousands of files).
 * The search starts at line `from_line`, which starts at `from_start` (a line found
 * before: the lines of one file are mostly asked in order). */
static PyObject *ft_line_span(PyObject *Py_UNUSED(mod), PyObject *args) {
    Py_buffer buf;
    Py_ssize_t n, from_line = 1, from_start = 0;
    if (!PyArg_ParseTuple(args, "y*n|nn", &buf, &n, &from_line, &from_start))
        return NULL;
    if (from_line < 1 || from_line > n || from_start < 0 || from_start > buf.len)
        from_line = 1, from_start = 0;
    const char *s = buf.buf, *p = s + from_start, *end = s + buf.len;
    PyObject *out = NULL;
    for (Py_ssize_t k = from_line; k < n && p != NULL; k++) {
        p = memchr(p, '\n', end - p);
        if (p != NULL)
            p++;
    }
    if (n < 1 || p == NULL) {
        out = Py_None;
        Py_INCREF(out);
    } else {
        const char *nl = memchr(p, '\n', end - p);
        out = Py_BuildValue("(nn)", (Py_ssize_t)(p - s), (Py_ssize_t)((nl ? nl : end) - s));
    }
    PyBuffer_Release(&buf);
    return out;
}

static PyMethodDef methods[] = {
    {"lines", ft_lines, METH_VARARGS,
     "lines(data, start, end, probe, whole_word, needles) -> [start, end, index, ...] of the "
     "matching lines of data[start:end], or None when that is not ASCII"},
    {"skip", ft_skip, METH_VARARGS,
     "skip(texts, offsets, chunks, i, header, limit, probe, whole_word, needles) -> (j, "
     "scanned, lines): lines() over chunks[i:] up to the first with a matching line"},
    {"line_span", ft_line_span, METH_VARARGS,
     "line_span(data, n[, from_line, from_start]) -> (start, end) of line n (1-based) of "
     "data, or None"},
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
