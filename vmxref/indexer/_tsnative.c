/* vmxref.indexer._tsnative: extraction passes in C over the trees py-tree-sitter built.
 *
 * Extraction is per-node Python work (vmxref/indexer/extract.py): each captured node costs
 * a few microseconds of attribute reads, slices and tuple building, which together cost
 * several times the parse. The passes here take the nodes the extractor's query captured
 * (py-tree-sitter Node objects, no second query or walk) and build the same fact tuples in
 * C, through the tree-sitter C API.
 *
 * The module is compiled with the runtime of the very tree-sitter version py-tree-sitter
 * was built with (setup.py takes it from that version's source archive), so its functions
 * read that binding's trees: a Node object holds a TSNode by value after PyObject_HEAD
 * (tree_sitter/binding/types.h). vmxref/indexer/native.py loads the module only when the
 * installed tree-sitter is that version, and registers the Node type (init) so that every
 * object is checked before it is read.
 *
 * Each pass has a Python twin (the code it replaces); tests/test_tsnative.py checks that
 * both give the same facts.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <string.h>
#include <tree_sitter/api.h>

#define TSNATIVE_VERSION 1  /* = vmxref/indexer/native.py TS_NATIVE_VERSION */

typedef struct {
    PyObject_HEAD
    TSNode node;
    PyObject *children;
    PyObject *tree;
} PyNode;  /* py-tree-sitter's Node (tree_sitter/binding/types.h) */

static PyTypeObject *NodeType = NULL;
static unsigned char IS_WORD[256];   /* Python's re `\w` on a latin-1 character */
static unsigned char IS_SPACE[256];  /* str.isspace() / re `\s` on a latin-1 character */

static int node_of(PyObject *obj, TSNode *out) {
    if (NodeType == NULL) {
        PyErr_SetString(PyExc_RuntimeError, "_tsnative.init() was not called");
        return -1;
    }
    if (Py_TYPE(obj) != NodeType) {
        PyErr_SetString(PyExc_TypeError, "a tree_sitter.Node was expected");
        return -1;
    }
    *out = ((PyNode *)obj)->node;
    return 0;
}

/* --- one file's text: the _Ctx of extract.py -------------------------------------------- */

typedef struct {
    const unsigned char *src;  /* the original bytes: texts, positions */
    Py_ssize_t nsrc;
    const unsigned char *norm;  /* the normalised bytes (same length): names */
    Py_ssize_t nnorm;
    int norm_ascii;
    Py_ssize_t *nl;  /* -1, then the offset of every newline of src */
    Py_ssize_t nnl;
} Text;

static int text_init(Text *t, Py_buffer *src, Py_buffer *norm) {
    t->src = src->buf;
    t->nsrc = src->len;
    t->norm = norm->buf;
    t->nnorm = norm->len;
    t->norm_ascii = 1;
    for (Py_ssize_t i = 0; i < t->nnorm; i++)
        if (t->norm[i] & 0x80) {
            t->norm_ascii = 0;
            break;
        }
    Py_ssize_t n = 1;
    for (const unsigned char *p = t->src, *e = t->src + t->nsrc;
         (p = memchr(p, '\n', e - p)) != NULL; p++)
        n++;
    t->nl = PyMem_Malloc(sizeof(Py_ssize_t) * n);
    if (t->nl == NULL) {
        PyErr_NoMemory();
        return -1;
    }
    t->nl[0] = -1;
    t->nnl = 1;
    for (const unsigned char *p = t->src, *e = t->src + t->nsrc;
         (p = memchr(p, '\n', e - p)) != NULL; p++)
        t->nl[t->nnl++] = p - t->src;
    return 0;
}

static void text_free(Text *t) {
    PyMem_Free(t->nl);
    t->nl = NULL;
}

/* bisect.bisect_left(nl, off): the 1-based line of byte `off` */
static Py_ssize_t line_of(const Text *t, Py_ssize_t off) {
    Py_ssize_t lo = 0, hi = t->nnl;
    while (lo < hi) {
        Py_ssize_t mid = (lo + hi) / 2;
        if (t->nl[mid] < off)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

static int is_ascii(const unsigned char *p, Py_ssize_t n) {
    for (Py_ssize_t i = 0; i < n; i++)
        if (p[i] & 0x80)
            return 0;
    return 1;
}

/* _Ctx.name: the normalised text of [a, b) */
static PyObject *name_of(const Text *t, Py_ssize_t a, Py_ssize_t b) {
    if (b > t->nnorm)
        b = t->nnorm;
    if (a > b)
        a = b;
    if (t->norm_ascii || is_ascii(t->norm + a, b - a))
        return PyUnicode_DecodeASCII((const char *)t->norm + a, b - a, NULL);
    return PyUnicode_DecodeUTF8((const char *)t->norm + a, b - a, "replace");
}

/* _Ctx.text: the source text of [a, b), whitespace-collapsed, cut at `limit` characters */
static PyObject *text_of(const Text *t, Py_ssize_t a, Py_ssize_t b, Py_ssize_t limit) {
    if (b > a + limit * 4)
        b = a + limit * 4;
    if (b > t->nsrc)
        b = t->nsrc;
    if (a > b)
        a = b;
    PyObject *s;
    if (is_ascii(t->src + a, b - a)) {
        /* " ".join(s.split()) on ASCII: the separators are str.isspace() characters */
        char *buf = PyMem_Malloc(b - a + 1);
        if (buf == NULL)
            return PyErr_NoMemory();
        Py_ssize_t n = 0;
        int gap = 0;
        for (Py_ssize_t i = a; i < b; i++) {
            unsigned char c = t->src[i];
            if (IS_SPACE[c]) {
                gap = n > 0;
                continue;
            }
            if (gap) {
                buf[n++] = ' ';
                gap = 0;
            }
            buf[n++] = (char)c;
        }
        s = PyUnicode_DecodeASCII(buf, n, NULL);
        PyMem_Free(buf);
    } else {
        PyObject *raw = PyUnicode_DecodeUTF8((const char *)t->src + a, b - a, "replace");
        if (raw == NULL)
            return NULL;
        PyObject *parts = PyUnicode_Split(raw, NULL, -1);
        Py_DECREF(raw);
        if (parts == NULL)
            return NULL;
        PyObject *sep = PyUnicode_FromString(" ");
        s = sep ? PyUnicode_Join(sep, parts) : NULL;
        Py_XDECREF(sep);
        Py_DECREF(parts);
    }
    if (s == NULL || PyUnicode_GET_LENGTH(s) <= limit)
        return s;
    PyObject *head = PyUnicode_Substring(s, 0, limit - 1);
    Py_DECREF(s);
    if (head == NULL)
        return NULL;
    PyObject *dots = PyUnicode_FromOrdinal(0x2026);  /* "…" */
    PyObject *cut = dots ? PyUnicode_Concat(head, dots) : NULL;
    Py_XDECREF(dots);
    Py_DECREF(head);
    return cut;
}

/* --- #define NAME value (macros.definition of a preproc_def, its _define_refs) ---------- */

#define DEFINE_BODY_MAX 8000  /* macros.definition reads at most this much of a body */
#define DEFINE_TEXT_MAX 400   /* the text kept in the symbol */

/* ctext.NOT_CODE.sub: comments and string/char literals of a body blanked (same length) */
static void blank_not_code(unsigned char *s, Py_ssize_t n) {
    Py_ssize_t i = 0;
    while (i < n) {
        unsigned char c = s[i];
        Py_ssize_t end = -1;
        if (c == '/' && i + 1 < n && s[i + 1] == '*') {
            for (Py_ssize_t j = i + 2; j + 1 < n; j++)
                if (s[j] == '*' && s[j + 1] == '/') {
                    end = j + 2;
                    break;
                }
        }
        if (end < 0 && c == '/' && i + 1 < n && s[i + 1] == '/') {
            end = i + 2;
            while (end < n && s[end] != '\n')
                end++;
        }
        if (end < 0 && (c == '"' || c == '\'')) {
            Py_ssize_t j = i + 1;
            for (;;) {
                if (j < n && s[j] == '\\' && j + 1 < n)
                    j += 2;  /* `\\.` (re.S: any character, a newline too) */
                else if (j < n && s[j] != c && s[j] != '\\' && s[j] != '\n')
                    j++;
                else
                    break;
            }
            if (j < n && s[j] == c)
                end = j + 1;
        }
        if (end < 0) {
            i++;
            continue;
        }
        memset(s + i, ' ', end - i);
        i = end;
    }
}

static int is_ident_start(unsigned char c) {
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '_';
}

/* _define_refs' tokens, macros._BODY_IDENT: (?<![\w$#])[A-Za-z_]\w*(?![\w$])(?!\s*##).
 * A token is a whole run of word characters that starts with an ASCII letter or `_`, is
 * not preceded by `$` or `#`, and is followed neither by `$` nor by optional white space
 * and `##` (a shorter match would end before a word character: none). */
static int define_refs(const Text *t, PyObject *refs, PyObject *name, PyObject *keywords,
                       PyObject *va, Py_ssize_t at, const unsigned char *body, Py_ssize_t n,
                       PyObject *kind) {
    Py_ssize_t i = 0;
    while (i < n) {
        if (!IS_WORD[body[i]]) {
            i++;
            continue;
        }
        Py_ssize_t j = i;
        while (j < n && IS_WORD[body[j]])
            j++;
        int ok = is_ident_start(body[i]) &&
                 !(i > 0 && (body[i - 1] == '$' || body[i - 1] == '#')) &&
                 !(j < n && body[j] == '$');
        if (ok) {
            Py_ssize_t k = j;
            while (k < n && IS_SPACE[body[k]])
                k++;
            if (k + 1 < n && body[k] == '#' && body[k + 1] == '#')
                ok = 0;
        }
        if (ok) {
            PyObject *tok = PyUnicode_DecodeLatin1((const char *)body + i, j - i, NULL);
            if (tok == NULL)
                return -1;
            /* (the skip set of _define_refs: keywords, the macro's name, __VA_ARGS__) */
            int skipped = PySet_Contains(keywords, tok);
            if (skipped == 0)
                skipped = PyUnicode_Compare(tok, name) == 0 || PyUnicode_Compare(tok, va) == 0;
            if (skipped < 0 || PyErr_Occurred()) {
                Py_DECREF(tok);
                return -1;
            }
            if (!skipped) {
                Py_ssize_t sb = at + i;
                Py_ssize_t line = line_of(t, sb);
                PyObject *row = Py_BuildValue("(NOnnOO)", tok, kind, line,
                                              sb - t->nl[line - 1], name, Py_None);
                if (row == NULL || PyList_Append(refs, row) < 0) {
                    Py_XDECREF(row);
                    return -1;
                }
                Py_DECREF(row);
            } else {
                Py_DECREF(tok);
            }
        }
        i = j;
    }
    return 0;
}

/* defines(nodes, src, norm, keywords) -> (syms, refs, name offsets)
 *
 * The name nodes of `#define NAME value` (preproc_def, the capture `macro` of
 * extract.QUERY): per node, what macros.definition(cx, node, "macro") records: the symbol
 * (name, "macro", line, col, end line, "", None, 0, 0, text of the value), a reference of
 * kind 'define' of every identifier of the value (keywords and the macro's own name left
 * out), and the name's offset for cx.decl_names. */
static PyObject *defines(PyObject *Py_UNUSED(mod), PyObject *args) {
    PyObject *nodes, *keywords;
    Py_buffer src, norm;
    if (!PyArg_ParseTuple(args, "O!y*y*O!", &PyList_Type, &nodes, &src, &norm,
                          &PyFrozenSet_Type, &keywords))
        return NULL;
    Text t;
    PyObject *syms = NULL, *refs = NULL, *offs = NULL, *out = NULL;
    PyObject *k_macro = NULL, *k_define = NULL, *empty = NULL, *va = NULL;
    unsigned char *body = NULL;
    if (text_init(&t, &src, &norm) < 0)
        goto done;
    syms = PyList_New(0);
    refs = PyList_New(0);
    offs = PyList_New(0);
    k_macro = PyUnicode_FromString("macro");
    k_define = PyUnicode_FromString("define");
    empty = PyUnicode_FromString("");
    va = PyUnicode_FromString("__VA_ARGS__");
    body = PyMem_Malloc(DEFINE_BODY_MAX);
    if (!syms || !refs || !offs || !k_macro || !k_define || !empty || !va || !body)
        goto fail;
    TSFieldId f_value = 0;
    for (Py_ssize_t k = 0; k < PyList_GET_SIZE(nodes); k++) {
        TSNode nm;
        if (node_of(PyList_GET_ITEM(nodes, k), &nm) < 0)
            goto fail;
        if (f_value == 0)
            f_value = ts_language_field_id_for_name(ts_node_language(nm), "value", 5);
        Py_ssize_t a = ts_node_start_byte(nm), b = ts_node_end_byte(nm);
        PyObject *off = PyLong_FromSsize_t(a);
        if (off == NULL || PyList_Append(offs, off) < 0) {
            Py_XDECREF(off);
            goto fail;
        }
        Py_DECREF(off);
        TSNode d = ts_node_parent(nm);
        TSNode val = ts_node_child_by_field_id(d, f_value);
        int has_val = !ts_node_is_null(val);
        PyObject *name = name_of(&t, a, b);
        if (name == NULL)
            goto fail;
        PyObject *text = has_val ? text_of(&t, ts_node_start_byte(val), ts_node_end_byte(val),
                                           DEFINE_TEXT_MAX) : (Py_INCREF(empty), empty);
        if (text == NULL) {
            Py_DECREF(name);
            goto fail;
        }
        Py_ssize_t line = line_of(&t, a);
        PyObject *sym = Py_BuildValue("(OOnnnOOiiN)", name, k_macro, line, a - t.nl[line - 1],
                                      line_of(&t, ts_node_end_byte(d)), empty, Py_None, 0, 0,
                                      text);
        if (sym == NULL || PyList_Append(syms, sym) < 0) {
            Py_XDECREF(sym);
            Py_DECREF(name);
            goto fail;
        }
        Py_DECREF(sym);
        if (has_val) {
            Py_ssize_t va0 = ts_node_start_byte(val), va1 = ts_node_end_byte(val);
            if (va1 > va0 + DEFINE_BODY_MAX)
                va1 = va0 + DEFINE_BODY_MAX;
            if (va1 > t.nsrc)
                va1 = t.nsrc;
            if (va0 > va1)
                va0 = va1;
            memcpy(body, t.src + va0, va1 - va0);
            blank_not_code(body, va1 - va0);
            if (define_refs(&t, refs, name, keywords, va, va0, body, va1 - va0, k_define) < 0) {
                Py_DECREF(name);
                goto fail;
            }
        }
        Py_DECREF(name);
    }
    out = PyTuple_Pack(3, syms, refs, offs);
    goto done;
fail:
    out = NULL;
done:
    PyMem_Free(body);
    text_free(&t);
    Py_XDECREF(syms);
    Py_XDECREF(refs);
    Py_XDECREF(offs);
    Py_XDECREF(k_macro);
    Py_XDECREF(k_define);
    Py_XDECREF(empty);
    Py_XDECREF(va);
    PyBuffer_Release(&src);
    PyBuffer_Release(&norm);
    return out;
}

/* init(Node): the py-tree-sitter Node type whose objects the passes read */
static PyObject *init(PyObject *Py_UNUSED(mod), PyObject *args) {
    PyObject *type;
    if (!PyArg_ParseTuple(args, "O!", &PyType_Type, &type))
        return NULL;
    if (((PyTypeObject *)type)->tp_basicsize < (Py_ssize_t)sizeof(PyNode)) {
        PyErr_SetString(PyExc_TypeError, "not py-tree-sitter's Node type");
        return NULL;
    }
    Py_INCREF(type);
    Py_XSETREF(NodeType, (PyTypeObject *)type);
    Py_RETURN_NONE;
}

static PyMethodDef module_methods[] = {
    {"init", init, METH_VARARGS, "init(Node): register py-tree-sitter's Node type."},
    {"defines", defines, METH_VARARGS,
     "defines(nodes, src, norm, keywords) -> (syms, refs, name offsets) of #define NAME value."},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {
    PyModuleDef_HEAD_INIT, "vmxref.indexer._tsnative",
    "Extraction passes in C over py-tree-sitter's trees (see vmxref/indexer/native.py).",
    -1, module_methods,
};

PyMODINIT_FUNC PyInit__tsnative(void) {
    for (int c = 0; c < 256; c++) {
        IS_WORD[c] = (Py_UNICODE_ISALNUM((Py_UCS4)c) || c == '_') ? 1 : 0;
        IS_SPACE[c] = Py_UNICODE_ISSPACE((Py_UCS4)c) ? 1 : 0;
    }
    PyObject *m = PyModule_Create(&module);
    if (m == NULL)
        return NULL;
    if (PyModule_AddIntConstant(m, "VERSION", TSNATIVE_VERSION) < 0 ||
        PyModule_AddStringConstant(m, "TS_VERSION", VMXREF_TS_VERSION) < 0) {
        Py_DECREF(m);
        return NULL;
    }
    return m;
}
