/* The reference passes: type identifiers (extract._ident_refs' loop over the `tid`
 * capture) and member accesses (extract._field_refs). */
#include "_tsnative.h"

static int append_ref(PyObject *refs, PyObject *name, PyObject *kind, Py_ssize_t line,
                      Py_ssize_t col, PyObject *func, PyObject *chain) {
    PyObject *row = Py_BuildValue("(NOnnOO)", name, kind, line, col, func, chain);
    if (row == NULL)
        return -1;
    int r = PyList_Append(refs, row);
    Py_DECREF(row);
    return r;
}

/* type_refs(nodes, ctx, decl, macro_args) -> (refs, offsets)
 *
 * The type identifiers of the file (capture `tid`): each one's offset (the identifier scan
 * skips them), and a reference (name, "type", line, col, function, None) of each that is
 * no declaration (offset in `decl`); kind "read" when it is an argument of a file-scope
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
        if (declared)
            continue;
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

static Py_ssize_t *int_list(PyObject *list) {
    Py_ssize_t n = PyList_GET_SIZE(list);
    Py_ssize_t *out = PyMem_Malloc(sizeof(Py_ssize_t) * (n ? n : 1));
    if (out == NULL) {
        PyErr_NoMemory();
        return NULL;
    }
    for (Py_ssize_t i = 0; i < n; i++) {
        out[i] = PyLong_AsSsize_t(PyList_GET_ITEM(list, i));
        if (out[i] == -1 && PyErr_Occurred()) {
            PyMem_Free(out);
            return NULL;
        }
    }
    return out;
}

/* extract._in_spans: is b inside one of the sorted disjoint spans? */
static int in_spans(const Py_ssize_t *starts, const Py_ssize_t *ends, Py_ssize_t n, Py_ssize_t b) {
    Py_ssize_t lo = 0, hi = n;
    while (lo < hi) {  /* bisect_right(starts, b) */
        Py_ssize_t mid = (lo + hi) / 2;
        if (b < starts[mid])
            hi = mid;
        else
            lo = mid + 1;
    }
    return lo - 1 >= 0 && b < ends[lo - 1];
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
    Py_ssize_t nspan = PyList_GET_SIZE(starts_l);
    if (PyList_GET_SIZE(ends_l) != nspan) {
        PyErr_SetString(PyExc_ValueError, "sizeof spans of different lengths");
        return NULL;
    }
    Py_ssize_t *starts = int_list(starts_l), *ends = starts ? int_list(ends_l) : NULL;
    PyObject *refs = PyList_New(0), *k_read = PyUnicode_FromString("read");
    PyObject *k_sizeof = PyUnicode_FromString("sizeof"), *out = NULL;
    if (!ends || !refs || !k_read || !k_sizeof)
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
        PyObject *key = Py_BuildValue("(nn)", sb, (Py_ssize_t)ts_node_end_byte(n));
        PyObject *kind = key ? PyDict_GetItemWithError(special, key) : NULL;
        Py_XDECREF(key);
        if (kind == NULL && PyErr_Occurred()) {
            Py_DECREF(jchain);
            goto done;
        }
        if (kind == NULL || !PyObject_IsTrue(kind))
            kind = in_spans(starts, ends, nspan, sb) ? k_sizeof : k_read;
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
    PyMem_Free(starts);
    PyMem_Free(ends);
    Py_XDECREF(refs);
    Py_XDECREF(k_read);
    Py_XDECREF(k_sizeof);
    return out;
}
