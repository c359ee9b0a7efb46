/* vmxref.queries._shortest: Dijkstra over a query's call subgraph in C (optional; the loop
 * in vmxref/queries/shortest.py, Digraph._shortest_py, is its twin and the reference).
 *
 * `raises X | paths` tries the next shortest simple paths (Yen) when the shortest ones are
 * ruled out: each costs a Dijkstra per node of the path before it. VMCPU_FF_IEM's 75 sites
 * took 7,245 of them, 1.3 s of its 1.9 s in Python; here they take a few milliseconds.
 *
 * The graph comes as arrays built once per version of the Digraph: the successors of node
 * v are targets[offsets[v] .. offsets[v+1]) with their weights, in the order of the
 * Python dict. The answer is the Python twin's to the bit: the heap orders entries by
 * (distance, push count), a strict order, so the nodes are settled in the same order, a
 * neighbour is looked at in the same order and kept on the same test. Distances are C
 * doubles, the same IEEE sums as Python floats.
 *
 * tests/test_shortest.py checks it against the twin on random graphs with bans and ties.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <stdlib.h>
#include <string.h>

#define SHORTEST_VERSION 1  /* = vmxref/queries/shortest.py _C_VERSION */

typedef struct {
    double d;
    long long tie;
    int v;
} Entry;

/* Python's tuple order on (d, tie): equal distances first compare equal, then by tie. */
static int before(const Entry *a, const Entry *b) {
    if (a->d == b->d)
        return a->tie < b->tie;
    return a->d < b->d;
}

static void push(Entry *heap, Py_ssize_t *n, Entry e) {
    Py_ssize_t i = (*n)++;
    while (i > 0) {
        Py_ssize_t p = (i - 1) / 2;
        if (!before(&e, &heap[p]))
            break;
        heap[i] = heap[p];
        i = p;
    }
    heap[i] = e;
}

static Entry pop(Entry *heap, Py_ssize_t *n) {
    Entry top = heap[0];
    Entry last = heap[--(*n)];
    Py_ssize_t i = 0;
    for (;;) {
        Py_ssize_t c = 2 * i + 1;
        if (c >= *n)
            break;
        if (c + 1 < *n && before(&heap[c + 1], &heap[c]))
            c++;
        if (!before(&heap[c], &last))
            break;
        heap[i] = heap[c];
        i = c;
    }
    if (*n > 0)
        heap[i] = last;
    return top;
}

/* dijkstra(offsets, targets, weights, src, dst, banned_nodes, banned_edges)
 * -> (distance, [node, ...]) or None when dst cannot be reached.
 * offsets: int32 buffer of n + 1; targets: int32 buffer of m; weights: double buffer of m;
 * banned_nodes: None or n bytes (nonzero: the node is not entered); banned_edges: None or
 * m bytes (nonzero: the edge is not taken). */
static PyObject *dijkstra(PyObject *self, PyObject *args) {
    Py_buffer off, tgt, wts;
    PyObject *bn_obj, *be_obj;
    int src, dst;
    if (!PyArg_ParseTuple(args, "y*y*y*iiOO", &off, &tgt, &wts, &src, &dst, &bn_obj, &be_obj))
        return NULL;
    PyObject *result = NULL;
    Py_buffer bn = {0}, be = {0};
    int have_bn = 0, have_be = 0;
    Py_ssize_t n = off.len / (Py_ssize_t)sizeof(int) - 1;
    Py_ssize_t m = tgt.len / (Py_ssize_t)sizeof(int);
    const int *offsets = off.buf, *targets = tgt.buf;
    const double *weights = wts.buf;
    double *seen = NULL;
    unsigned char *state = NULL;  /* 0 unseen, 1 seen (pushed), 2 settled */
    int *pred = NULL;
    Entry *heap = NULL;

    if (n < 0 || wts.len != m * (Py_ssize_t)sizeof(double) || src < 0 || src >= n ||
            dst < 0 || dst >= n) {
        PyErr_SetString(PyExc_ValueError, "dijkstra: inconsistent graph arrays or nodes");
        goto done;
    }
    if (bn_obj != Py_None) {
        if (PyObject_GetBuffer(bn_obj, &bn, PyBUF_SIMPLE) < 0)
            goto done;
        have_bn = 1;
        if (bn.len != n) {
            PyErr_SetString(PyExc_ValueError, "dijkstra: banned_nodes is not one byte a node");
            goto done;
        }
    }
    if (be_obj != Py_None) {
        if (PyObject_GetBuffer(be_obj, &be, PyBUF_SIMPLE) < 0)
            goto done;
        have_be = 1;
        if (be.len != m) {
            PyErr_SetString(PyExc_ValueError, "dijkstra: banned_edges is not one byte an edge");
            goto done;
        }
    }
    for (Py_ssize_t v = 0; v < n; v++) {
        if (offsets[v] < 0 || offsets[v] > offsets[v + 1] || offsets[v + 1] > m) {
            PyErr_SetString(PyExc_ValueError, "dijkstra: offsets out of order");
            goto done;
        }
    }
    for (Py_ssize_t i = 0; i < m; i++) {
        if (targets[i] < 0 || targets[i] >= n) {
            PyErr_SetString(PyExc_ValueError, "dijkstra: an edge leads out of the graph");
            goto done;
        }
    }
    seen = PyMem_Malloc(sizeof(double) * (size_t)(n ? n : 1));
    state = PyMem_Calloc((size_t)(n ? n : 1), 1);
    pred = PyMem_Malloc(sizeof(int) * (size_t)(n ? n : 1));
    /* (a node is pushed at most once per improvement of its distance: at most m + 1) */
    heap = PyMem_Malloc(sizeof(Entry) * (size_t)(m + 1));
    if (!seen || !state || !pred || !heap) {
        PyErr_NoMemory();
        goto done;
    }
    {
        const unsigned char *ban_n = have_bn ? bn.buf : NULL;
        const unsigned char *ban_e = have_be ? be.buf : NULL;
        Py_ssize_t hn = 0;
        long long tie = 0;
        seen[src] = 0.0;
        state[src] = 1;
        push(heap, &hn, (Entry){0.0, tie++, src});
        while (hn > 0) {
            Entry e = pop(heap, &hn);
            int v = e.v;
            if (state[v] == 2)
                continue;
            state[v] = 2;
            seen[v] = e.d;  /* (settled: its distance) */
            if (v == dst)
                break;
            for (int i = offsets[v]; i < offsets[v + 1]; i++) {
                int u = targets[i];
                if ((ban_n && ban_n[u]) || (ban_e && ban_e[i]))
                    continue;
                double du = e.d + weights[i];
                if (state[u] != 2 && (state[u] == 0 || du < seen[u])) {
                    seen[u] = du;
                    state[u] = 1;
                    pred[u] = v;
                    push(heap, &hn, (Entry){du, tie++, u});
                }
            }
        }
        if (state[dst] != 2) {
            result = Py_NewRef(Py_None);
            goto done;
        }
        Py_ssize_t len = 1;
        for (int v = dst; v != src; v = pred[v])
            len++;
        PyObject *path = PyList_New(len);
        if (!path)
            goto done;
        Py_ssize_t k = len;
        for (int v = dst;; v = pred[v]) {
            PyObject *iv = PyLong_FromLong(v);
            if (!iv) {
                Py_DECREF(path);
                goto done;
            }
            PyList_SET_ITEM(path, --k, iv);
            if (v == src)
                break;
        }
        result = Py_BuildValue("(dN)", seen[dst], path);
    }
done:
    PyMem_Free(seen);
    PyMem_Free(state);
    PyMem_Free(pred);
    PyMem_Free(heap);
    if (have_bn)
        PyBuffer_Release(&bn);
    if (have_be)
        PyBuffer_Release(&be);
    PyBuffer_Release(&off);
    PyBuffer_Release(&tgt);
    PyBuffer_Release(&wts);
    return result;
}

static PyMethodDef methods[] = {
    {"dijkstra", dijkstra, METH_VARARGS,
     "dijkstra(offsets, targets, weights, src, dst, banned_nodes, banned_edges) -> "
     "(distance, nodes) or None"},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {
    PyModuleDef_HEAD_INIT, "_shortest",
    "Dijkstra over a query's call subgraph (see vmxref/queries/shortest.py).", -1, methods,
};

PyMODINIT_FUNC PyInit__shortest(void) {
    PyObject *mod = PyModule_Create(&module);
    if (mod && PyModule_AddIntConstant(mod, "VERSION", SHORTEST_VERSION) < 0) {
        Py_DECREF(mod);
        return NULL;
    }
    return mod;
}
