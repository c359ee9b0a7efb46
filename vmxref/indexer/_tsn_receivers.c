/* receiver_types(syms, assigns) -> assigns: extract._receiver_types in C.
 *
 * Each write row gets one more column: the declared type of its chain's base variable
 * (`["v:NAME", ...]`) when that is a parameter or local of the writing function (its last
 * declaration there, by line), else None. The rows are extract's tuples: syms (name, kind,
 * line, col, end_line, scope, type, ...), assigns (line, col, func, field, chain, ...).
 */
#include "_tsnative.h"

static int is_kind(PyObject *kind, const char *a, const char *b) {
    return PyUnicode_Check(kind) && (PyUnicode_CompareWithASCIIString(kind, a) == 0 ||
                                     PyUnicode_CompareWithASCIIString(kind, b) == 0);
}

/* decl[(func, name)] = (line, type) of the last declaration of each parameter or local */
static PyObject *declarations(PyObject *syms) {
    PyObject *decl = PyDict_New();
    if (decl == NULL)
        return NULL;
    for (Py_ssize_t i = 0; i < PyList_GET_SIZE(syms); i++) {
        PyObject *s = PyList_GET_ITEM(syms, i);
        if (!PyTuple_Check(s) || PyTuple_GET_SIZE(s) < 7) {
            PyErr_SetString(PyExc_TypeError, "receiver_types: a symbol row was expected");
            goto fail;
        }
        if (!is_kind(PyTuple_GET_ITEM(s, 1), "param", "local"))
            continue;
        int scoped = PyObject_IsTrue(PyTuple_GET_ITEM(s, 5));
        if (scoped < 0)
            goto fail;
        if (!scoped)
            continue;
        PyObject *key = PyTuple_Pack(2, PyTuple_GET_ITEM(s, 5), PyTuple_GET_ITEM(s, 0));
        if (key == NULL)
            goto fail;
        PyObject *old = PyDict_GetItemWithError(decl, key);  /* borrowed */
        int newer = 1;
        if (old == NULL && PyErr_Occurred())
            newer = -1;
        else if (old != NULL)
            newer = PyObject_RichCompareBool(PyTuple_GET_ITEM(s, 2), PyTuple_GET_ITEM(old, 0), Py_GE);
        if (newer > 0) {
            PyObject *val = PyTuple_Pack(2, PyTuple_GET_ITEM(s, 2), PyTuple_GET_ITEM(s, 6));
            newer = val == NULL ? -1 : PyDict_SetItem(decl, key, val);
            Py_XDECREF(val);
        }
        Py_DECREF(key);
        if (newer < 0)
            goto fail;
    }
    return decl;
fail:
    Py_DECREF(decl);
    return NULL;
}

/* the declared type of the row's base variable (borrowed), Py_None, or NULL on error */
static PyObject *receiver(PyObject *decl, PyObject *r) {
    PyObject *func = PyTuple_GET_ITEM(r, 2), *chain = PyTuple_GET_ITEM(r, 4);
    int has = PyObject_IsTrue(func);
    if (has <= 0)
        return has < 0 ? NULL : Py_None;
    if (!PyUnicode_Check(chain)) {
        PyErr_SetString(PyExc_TypeError, "receiver_types: a chain str was expected");
        return NULL;
    }
    Py_ssize_t n = PyUnicode_GET_LENGTH(chain);
    if (n < 4 || PyUnicode_READ_CHAR(chain, 0) != '[' || PyUnicode_READ_CHAR(chain, 1) != '"' ||
            PyUnicode_READ_CHAR(chain, 2) != 'v' || PyUnicode_READ_CHAR(chain, 3) != ':')
        return Py_None;
    Py_ssize_t q = PyUnicode_FindChar(chain, '"', 4, n, 1);
    if (q == -2)
        return NULL;
    if (q == -1) {
        PyErr_SetString(PyExc_ValueError, "substring not found");
        return NULL;
    }
    PyObject *name = PyUnicode_Substring(chain, 4, q);
    PyObject *key = name == NULL ? NULL : PyTuple_Pack(2, func, name);
    Py_XDECREF(name);
    if (key == NULL)
        return NULL;
    PyObject *d = PyDict_GetItemWithError(decl, key);
    Py_DECREF(key);
    if (d == NULL)
        return PyErr_Occurred() ? NULL : Py_None;
    return PyTuple_GET_ITEM(d, 1);
}

PyObject *tsn_receiver_types(PyObject *Py_UNUSED(mod), PyObject *args) {
    PyObject *syms, *assigns;
    if (!PyArg_ParseTuple(args, "O!O!", &PyList_Type, &syms, &PyList_Type, &assigns))
        return NULL;
    PyObject *decl = declarations(syms);
    if (decl == NULL)
        return NULL;
    Py_ssize_t n = PyList_GET_SIZE(assigns);
    PyObject *out = PyList_New(n);
    if (out == NULL)
        goto fail;
    for (Py_ssize_t i = 0; i < n; i++) {
        PyObject *r = PyList_GET_ITEM(assigns, i);
        if (!PyTuple_Check(r) || PyTuple_GET_SIZE(r) < 5) {
            PyErr_SetString(PyExc_TypeError, "receiver_types: a write row was expected");
            goto fail;
        }
        PyObject *t = receiver(decl, r);
        if (t == NULL)
            goto fail;
        Py_ssize_t k = PyTuple_GET_SIZE(r);
        PyObject *row = PyTuple_New(k + 1);
        if (row == NULL)
            goto fail;
        for (Py_ssize_t j = 0; j < k; j++)
            PyTuple_SET_ITEM(row, j, Py_NewRef(PyTuple_GET_ITEM(r, j)));
        PyTuple_SET_ITEM(row, k, Py_NewRef(t));
        PyList_SET_ITEM(out, i, row);
    }
    Py_DECREF(decl);
    return out;
fail:
    Py_DECREF(decl);
    Py_XDECREF(out);
    return NULL;
}
