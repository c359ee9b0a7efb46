/* The reference passes: type identifiers (extract._ident_refs' loop over the `tid`
 * capture) and member accesses (extract._field_refs). */
#include "_tsnative.h"
#include "_idscan.h"
#include "_noncode.h"

/* Append (name, kind, line, col, func, chain) to refs; steals `name`. */
static int append_ref(PyObject *refs, PyObject *name, PyObject *kind, Py_ssize_t line,
                      Py_ssize_t col, PyObject *func, PyObject *chain) {
    PyObject *row = PyTuple_New(6), *ln = PyLong_FromSsize_t(line), *cl = PyLong_FromSsize_t(col);
    if (row == NULL || ln == NULL || cl == NULL) {
        Py_XDECREF(row);
        Py_XDECREF(ln);
        Py_XDECREF(cl);
        Py_DECREF(name);
        return -1;
    }
    Py_INCREF(kind);
    Py_INCREF(func);
    Py_INCREF(chain);
    PyTuple_SET_ITEM(row, 0, name);
    PyTuple_SET_ITEM(row, 1, kind);
    PyTuple_SET_ITEM(row, 2, ln);
    PyTuple_SET_ITEM(row, 3, cl);
    PyTuple_SET_ITEM(row, 4, func);
    PyTuple_SET_ITEM(row, 5, chain);
    int r = PyList_Append(refs, row);
    Py_DECREF(row);
    return r;
}

/* type_refs(nodes, ctx, decl, macro_args) -> (refs, offsets)
 *
 * The type identifiers of the file (capture `tid`): each one's offset (the identifier scan
 * skips them), and a reference (name, "type", line, col, function, None) of each that is
 * no declaration (offset in `decl`) and not empty (a MISSING node); kind "read" when it is an argument of a file-scope
 * macro statement (offset in `macro_args`: DECLARE_WORK(w, fn) hands fn over). */
PyObject *tsn_type_refs(PyObject *Py_UNUSED(mod), PyObject *args) {
    PyObject *nodes, *decl, *macro_args;
    Ctx *c;
    if (!PyArg_ParseTuple(args, "O!O!O!O!", &PyList_Type, &nodes, &TSN_CtxType, &c,
                          &PySet_Type, &decl, &PySet_Type, &macro_args))
        return NULL;
    PyObject *refs = PyList_New(0), *offs = PyList_New(PyList_GET_SIZE(nodes));
    PyObject *k_read = PyUnicode_FromString("read"), *k_type = PyUnicode_FromString("type");
    PyObject *out = NULL;
    if (!refs || !offs || !k_read || !k_type)
        goto done;
    for (Py_ssize_t i = 0; i < PyList_GET_SIZE(nodes); i++) {
        TSNode n;
        if (tsn_node(PyList_GET_ITEM(nodes, i), &n) < 0)
            goto done;
        Py_ssize_t sb = ts_node_start_byte(n);
        PyObject *off = PyLong_FromSsize_t(sb);
        if (off == NULL)
            goto done;
        PyList_SET_ITEM(offs, i, off);
        int declared = PySet_Contains(decl, off);
        if (declared < 0)
            goto done;
        if (declared || ts_node_end_byte(n) == (uint32_t)sb)
            continue;  /* (or a MISSING one the parser made up: no name) */
        int arg = PySet_Contains(macro_args, off);
        if (arg < 0)
            goto done;
        PyObject *name = tsn_node_name(c, n);
        if (name == NULL)
            goto done;
        Py_ssize_t line = tsn_line(c, sb);
        if (append_ref(refs, name, arg ? k_read : k_type, line, tsn_col(c, line, sb),
                       tsn_func_at(c, sb), Py_None) < 0)
            goto done;
    }
    out = PyTuple_Pack(2, refs, offs);
done:
    Py_XDECREF(refs);
    Py_XDECREF(offs);
    Py_XDECREF(k_read);
    Py_XDECREF(k_type);
    return out;
}

/* field_refs(nodes, ctx, special, sizeof_starts, sizeof_ends, struct_names) -> refs
 *
 * The member accesses of the file (capture `fexpr`): per field_expression with a field,
 * (field, kind, line, col, function, chain of its argument as JSON); the kind is the one
 * `special` gives its span (write, call, addr), else "sizeof" inside a sizeof/alignof/
 * offsetof operand, else "read". */
PyObject *tsn_field_refs(PyObject *Py_UNUSED(mod), PyObject *args) {
    PyObject *nodes, *special, *starts_l, *ends_l, *sn;
    Ctx *c;
    if (!PyArg_ParseTuple(args, "O!O!O!O!O!O!", &PyList_Type, &nodes, &TSN_CtxType, &c,
                          &PyDict_Type, &special, &PyList_Type, &starts_l, &PyList_Type, &ends_l,
                          &PyDict_Type, &sn))
        return NULL;
    TsnSpans sizeofs;
    PyObject *refs = NULL, *k_read = NULL, *k_sizeof = NULL, *out = NULL;
    if (tsn_spans_init(&sizeofs, starts_l, ends_l) < 0)
        goto done;
    refs = PyList_New(0);
    k_read = PyUnicode_FromString("read");
    k_sizeof = PyUnicode_FromString("sizeof");
    if (!refs || !k_read || !k_sizeof)
        goto done;
    for (Py_ssize_t i = 0; i < PyList_GET_SIZE(nodes); i++) {
        TSNode n;
        if (tsn_node(PyList_GET_ITEM(nodes, i), &n) < 0)
            goto done;
        TSNode fld = tsn_child(n, F_FIELD);
        if (ts_node_is_null(fld))
            continue;
        Py_ssize_t sb = ts_node_start_byte(n), fb = ts_node_start_byte(fld);
        PyObject *chain = PyList_New(0);
        if (chain == NULL || tsn_chain_of(c, tsn_child(n, F_ARGUMENT), 0, sn, chain) < 0) {
            Py_XDECREF(chain);
            goto done;
        }
        PyObject *jchain = tsn_jlist(chain);
        Py_DECREF(chain);
        if (jchain == NULL)
            goto done;
        PyObject *kind = NULL;  /* special.get(span) or (sizeof or read) */
        if (PyDict_GET_SIZE(special)) {
            PyObject *key = tsn_span(n);
            kind = key ? PyDict_GetItemWithError(special, key) : NULL;
            Py_XDECREF(key);
        }
        int given = kind != NULL ? PyObject_IsTrue(kind) : 0;
        if (given < 0 || (kind == NULL && PyErr_Occurred())) {
            Py_DECREF(jchain);
            goto done;
        }
        if (!given)
            kind = tsn_in_spans(&sizeofs, sb) ? k_sizeof : k_read;
        PyObject *name = tsn_node_name(c, fld);
        Py_ssize_t line = tsn_line(c, fb);
        int r = name ? append_ref(refs, name, kind, line, tsn_col(c, line, fb),
                                  tsn_func_at(c, sb), jchain) : -1;
        Py_DECREF(jchain);
        if (r < 0)
            goto done;
    }
    out = refs;
    Py_INCREF(out);
done:
    tsn_spans_free(&sizeofs);
    Py_XDECREF(refs);
    Py_XDECREF(k_read);
    Py_XDECREF(k_sizeof);
    return out;
}

/* extract.code_only: `text` with comments, string/char literals and preprocessor lines
 * blanked (newlines kept, everything else a space), as extract._NONCODE finds them in
 * b"\n" + text (noncode_blank of _noncode.h). Returns a new buffer of len + 1 bytes: [0] is
 * the "\n". */
static unsigned char *blank_code(const unsigned char *text, Py_ssize_t len) {
    Py_ssize_t m = len + 1;
    unsigned char *b = PyMem_Malloc(m);
    if (b == NULL) {
        PyErr_NoMemory();
        return NULL;
    }
    b[0] = '\n';
    memcpy(b + 1, text, len);
    noncode_blank(b, m, NULL);  /* (no spans wanted: cannot fail) */
    return b;
}

static int cmp_ssize(const void *x, const void *y) {
    Py_ssize_t u = *(const Py_ssize_t *)x, v = *(const Py_ssize_t *)y;
    return (u > v) - (u < v);
}

/* The offsets of the sets `a` and `b` (ints), sorted, in a new array (*n of them); NULL with
 * *n = 0 when both are empty, NULL with an exception set on failure. */
static Py_ssize_t *sorted_offsets(PyObject *a, PyObject *b, Py_ssize_t *n) {
    *n = 0;
    Py_ssize_t total = PySet_GET_SIZE(a) + PySet_GET_SIZE(b);
    if (total == 0)
        return NULL;
    Py_ssize_t *out = PyMem_Malloc(sizeof(Py_ssize_t) * total);
    if (out == NULL) {
        PyErr_NoMemory();
        return NULL;
    }
    PyObject *sets[2] = {a, b};
    for (int k = 0; k < 2; k++) {
        PyObject *it = PyObject_GetIter(sets[k]), *key;
        if (it == NULL) {
            PyMem_Free(out);
            return NULL;
        }
        while ((key = PyIter_Next(it)) != NULL) {
            Py_ssize_t v = PyLong_AsSsize_t(key);
            Py_DECREF(key);
            if (v == -1 && PyErr_Occurred())
                break;
            if (*n < total)  /* (a set that grew meanwhile: nothing else holds them) */
                out[(*n)++] = v;
        }
        Py_DECREF(it);
        if (PyErr_Occurred()) {
            PyMem_Free(out);
            *n = 0;
            return NULL;
        }
    }
    qsort(out, (size_t)*n, sizeof(Py_ssize_t), cmp_ssize);
    return out;
}

typedef struct {
    Py_ssize_t start, end;
    PyObject *kind;  /* (borrowed from the dict) */
} Special;

static int cmp_special(const void *x, const void *y) {
    const Special *u = x, *v = y;
    return (u->start > v->start) - (u->start < v->start);
}

/* The (start, end) -> kind items of `special`, sorted by start, in a new array (*n); NULL
 * with *n = 0 when it is empty, NULL with an exception set on failure (a key that is no pair
 * of ints is skipped: no token can have it). */
static Special *sorted_specials(PyObject *special, Py_ssize_t *n) {
    *n = 0;
    Py_ssize_t total = PyDict_GET_SIZE(special);
    if (total == 0)
        return NULL;
    Special *out = PyMem_Malloc(sizeof(Special) * total);
    if (out == NULL) {
        PyErr_NoMemory();
        return NULL;
    }
    Py_ssize_t pos = 0;
    PyObject *key, *value;
    while (PyDict_Next(special, &pos, &key, &value)) {
        if (!PyTuple_Check(key) || PyTuple_GET_SIZE(key) != 2)
            continue;
        Py_ssize_t a = PyLong_AsSsize_t(PyTuple_GET_ITEM(key, 0));
        Py_ssize_t b = a == -1 && PyErr_Occurred() ? -1 : PyLong_AsSsize_t(PyTuple_GET_ITEM(key, 1));
        if (PyErr_Occurred()) {
            PyErr_Clear();
            continue;
        }
        out[(*n)++] = (Special){a, b, value};
    }
    qsort(out, (size_t)*n, sizeof(Special), cmp_special);
    return out;
}

/* ident_refs(ctx, decl, types, keywords, sizeof_starts, sizeof_ends, special, prims) -> refs
 *
 * The rest of extract._ident_refs: the identifier references of the normalised text by a
 * scan of its code (code_only, then the tokens of ident_tokens: a run of ASCII word
 * characters starting with a letter or `_`, not after `.`, `->` or `$`, no keyword, at no
 * offset of `decl` or `types`), each (name, kind, line, col, function, None): kind
 * "sizeof" inside a sizeof/alignof/offsetof operand, the kind `special` gives its exact
 * span (write, call, addr), else "read" ("type" for a name of `prims`: uint32_t, size_t);
 * the function as extract._funcs_of finds it. */
PyObject *tsn_ident_refs(PyObject *Py_UNUSED(mod), PyObject *args) {
    PyObject *decl, *types, *keywords, *starts_l, *ends_l, *special, *prims;
    Ctx *c;
    if (!PyArg_ParseTuple(args, "O!O!O!O!O!O!O!O!", &TSN_CtxType, &c, &PySet_Type, &decl,
                          &PySet_Type, &types, &PyFrozenSet_Type, &keywords, &PyList_Type,
                          &starts_l, &PyList_Type, &ends_l, &PyDict_Type, &special,
                          &PyFrozenSet_Type, &prims))
        return NULL;
    TsnSpans sizeofs;
    unsigned char *buf = tsn_spans_init(&sizeofs, starts_l, ends_l) == 0
                         ? blank_code(c->norm, c->nnorm) : NULL;
    PyObject *refs = PyList_New(0), *seen = PyDict_New(), *k_read = PyUnicode_FromString("read");
    PyObject *k_sizeof = PyUnicode_FromString("sizeof"), *k_type = PyUnicode_FromString("type");
    PyObject *out = NULL;
    /* the offsets to skip and the special spans, sorted: the scan goes forward through
     * the text, so a pointer into each answers per token (no int object, set or tuple) */
    Py_ssize_t nskip = 0, nspec = 0, si = 0, pi = 0;
    Py_ssize_t *skip = buf ? sorted_offsets(decl, types, &nskip) : NULL;
    Special *spec = buf && !PyErr_Occurred() ? sorted_specials(special, &nspec) : NULL;
    if (!buf || !refs || !seen || !k_read || !k_sizeof || !k_type || PyErr_Occurred())
        goto done;
    /* _funcs_of: disjoint function spans (the usual case) or "the first one ending after" */
    int disjoint = 1;
    for (Py_ssize_t k = 0; k < c->nf; k++)
        if (c->fstarts[k] > c->fends[k] || (k + 1 < c->nf && c->fends[k] > c->fstarts[k + 1]))
            disjoint = 0;
    Py_ssize_t fi = 0;
    const unsigned char *b = buf + 1;
    Py_ssize_t n = c->nnorm, i = 0, s = 0, line = 0;
    PyObject *name;  /* (borrowed) */
    int more;
    while ((more = idscan_next_name(b, n, &i, &s, seen, keywords, &name)) > 0) {
        while (si < nskip && skip[si] < s)
            si++;
        if (si < nskip && skip[si] == s)
            continue;
        while (line < c->nnl && c->nl[line] < s)
            line++;
        PyObject *kind = tsn_in_spans(&sizeofs, s) ? k_sizeof : k_read;
        while (pi < nspec && spec[pi].start < s)
            pi++;
        for (Py_ssize_t q = pi; q < nspec && spec[q].start == s; q++)
            if (spec[q].end == i) {  /* special.get((s, i)) */
                kind = spec[q].kind;
                break;
            }
        if (kind == k_read) {  /* `(uint32_t)x`, `size_t n`: a type, no value read */
            int prim = PySet_Contains(prims, name);
            if (prim < 0)
                goto done;
            if (prim)
                kind = k_type;
        }
        PyObject *func;
        if (disjoint) {
            func = tsn_func_at(c, s);
        } else {
            while (fi < c->nf && c->fends[fi] <= s)
                fi++;
            func = fi < c->nf && c->fstarts[fi] <= s ? PyList_GET_ITEM(c->fnames, fi) : c->empty;
        }
        Py_INCREF(name);
        if (append_ref(refs, name, kind, line, tsn_col(c, line, s), func, Py_None) < 0)
            goto done;
    }
    if (more < 0)
        goto done;
    out = refs;
    Py_INCREF(out);
done:
    PyMem_Free(buf);
    PyMem_Free(skip);
    PyMem_Free(spec);
    tsn_spans_free(&sizeofs);
    Py_XDECREF(refs);
    Py_XDECREF(seen);
    Py_XDECREF(k_read);
    Py_XDECREF(k_sizeof);
    Py_XDECREF(k_type);
    return out;
}
