/* The identifier tokens of blanked code (comments, literals and directives already spaces),
 * shared by _native.c (ident_tokens, the Python steps' scan) and _tsn_refs.c (ident_refs,
 * the C step): extract._TOKEN's `[.>$\w]\w*` tokens (ASCII), of which those that start with
 * a letter or `_` are identifiers (a number, or a word after `.`, `->` or `$`, is not). */
#ifndef VMXREF_IDSCAN_H
#define VMXREF_IDSCAN_H

#define PY_SSIZE_T_CLEAN
#include <Python.h>

#define IDSCAN_WORD(ch) (((ch) >= 'a' && (ch) <= 'z') || ((ch) >= 'A' && (ch) <= 'Z') || \
                         ((ch) >= '0' && (ch) <= '9') || (ch) == '_')

/* The next identifier at or after *pos in b[0:n]: 1 with its span [*s, *pos), 0 at the end. */
static inline int idscan_next(const unsigned char *b, Py_ssize_t n, Py_ssize_t *pos,
                              Py_ssize_t *s) {
    Py_ssize_t i = *pos;
    while (i < n) {
        unsigned char ch = b[i];
        if (!IDSCAN_WORD(ch) && ch != '.' && ch != '>' && ch != '$') {
            i++;
            continue;
        }
        Py_ssize_t start = i++;
        while (i < n && IDSCAN_WORD(b[i]))
            i++;
        if ((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || ch == '_') {
            *s = start;
            *pos = i;
            return 1;
        }
    }
    *pos = i;
    return 0;
}

/* The str of the name b[s:e], one object per distinct name (`seen`: bytes -> str);
 * borrowed from `seen`, NULL on error. */
static inline PyObject *idscan_name(PyObject *seen, const unsigned char *b, Py_ssize_t s,
                                    Py_ssize_t e) {
    PyObject *key = PyBytes_FromStringAndSize((const char *)b + s, e - s);
    if (key == NULL)
        return NULL;
    PyObject *name = PyDict_GetItemWithError(seen, key);
    if (name == NULL && !PyErr_Occurred()) {
        name = PyUnicode_DecodeASCII((const char *)b + s, e - s, NULL);
        if (name != NULL) {
            int r = PyDict_SetItem(seen, key, name);
            Py_DECREF(name);  /* (the dict holds it) */
            if (r < 0)
                name = NULL;
        }
    }
    Py_DECREF(key);
    return name;
}

/* The next identifier that is not in the set `keywords`: 1 with its span [*s, *pos) and its
 * str in *name (borrowed from `seen`), 0 at the end, -1 on error. */
static inline int idscan_next_name(const unsigned char *b, Py_ssize_t n, Py_ssize_t *pos,
                                   Py_ssize_t *s, PyObject *seen, PyObject *keywords,
                                   PyObject **name) {
    while (idscan_next(b, n, pos, s)) {
        if ((*name = idscan_name(seen, b, *s, *pos)) == NULL)
            return -1;
        int kw = PySet_Contains(keywords, *name);
        if (kw <= 0)
            return kw < 0 ? -1 : 1;
    }
    return 0;
}

#endif
