/* vmxref.indexer._tsnative: extraction passes in C over the trees py-tree-sitter built.
 *
 * Extraction is per-node Python work (vmxref/indexer/extract.py): each captured node costs
 * a few microseconds of attribute reads, slices and tuple building, which together cost
 * several times the parse. The passes take the nodes the extractor's query captured
 * (py-tree-sitter Node objects: no second query or walk) and build the same fact tuples in
 * C, through the tree-sitter C API.
 *
 * The module is compiled with the runtime of the very tree-sitter version py-tree-sitter
 * was built with (setup.py takes it from that version's source archive), so its functions
 * read that binding's trees: a Node object holds a TSNode by value after PyObject_HEAD
 * (tree_sitter/binding/types.h). vmxref/indexer/native.py loads the module only when the
 * installed tree-sitter is that version, and registers the Node type (init) so that every
 * object is checked before it is read.
 *
 * This file: the module, the per-file context (Ctx) and the helpers the passes share
 * (_tsnative.h); the passes are in _tsn_*.c. tests/test_tsnative.py checks every pass
 * against its Python twin.
 */
#include "_tsnative.h"
#include <string.h>

#define TSNATIVE_VERSION 16  /* = vmxref/indexer/native.py TS_NATIVE_VERSION */

PyTypeObject *TSN_NodeType = NULL;
/* the constant strs of chains and types (interned once, at import) */
/* Strings the passes put in their facts, made once (interned) at module init; borrowed. */
PyObject *S_QUESTION, *S_THIS, *S_BRACKETS, *S_STAR, *S_EMPTY, *S_PARENS, *S_SPACE, *K_DIRECT,
    *K_STATIC_CALL, *K_MEMBER, *K_POINTER, *K_WHOLE_OBJECT, *K_DEFINE, *K_ASSIGN, *K_COMPOUND,
    *K_INCDEC, *K_OUT_PARAM, *K_MACRO, *S_EQ, *S_PLUSPLUS, *K_ASM, *K_RETURN, *S_RET_FIELD,
    *S_DEFAULT, *K_DESIGNATED, *S_DQUOTE, *S_COMMA;

static const struct { PyObject **var; const char *text; } STRINGS[] = {
    {&S_QUESTION, "?"}, {&S_THIS, "this"}, {&S_BRACKETS, "[]"}, {&S_STAR, "*"}, {&S_EMPTY, ""},
    {&S_PARENS, "()"}, {&S_SPACE, " "}, {&K_DIRECT, "direct"}, {&K_STATIC_CALL, "static-call"},
    {&K_MEMBER, "member"}, {&K_POINTER, "pointer"}, {&K_WHOLE_OBJECT, "whole-object"},
    {&K_DEFINE, "define"}, {&K_ASSIGN, "assign"}, {&K_COMPOUND, "compound"},
    {&K_INCDEC, "incdec"}, {&K_OUT_PARAM, "out-param"}, {&K_MACRO, "macro"}, {&S_EQ, "="},
    {&S_PLUSPLUS, "++"}, {&K_ASM, "asm"}, {&K_RETURN, "return"}, {&S_RET_FIELD, "<return>"},
    {&S_DEFAULT, "default"}, {&K_DESIGNATED, "designated"}, {&S_DQUOTE, "\""},
    {&S_COMMA, ", "},
};
unsigned char TSN_IS_WORD[256];
unsigned char TSN_IS_SPACE[256];

int tsn_node(PyObject *obj, TSNode *out) {
    if (TSN_NodeType == NULL) {
        PyErr_SetString(PyExc_RuntimeError, "_tsnative.init() was not called");
        return -1;
    }
    if (Py_TYPE(obj) != TSN_NodeType) {
        PyErr_SetString(PyExc_TypeError, "a tree_sitter.Node was expected");
        return -1;
    }
    *out = ((PyNode *)obj)->node;
    return 0;
}

/* --- Ctx ----------------------------------------------------------------------------- */

static int is_ascii(const unsigned char *p, Py_ssize_t n) {
    for (Py_ssize_t i = 0; i < n; i++)
        if (p[i] & 0x80)
            return 0;
    return 1;
}

static int Ctx_init(Ctx *self, PyObject *args, PyObject *kw) {
    PyObject *src, *norm;
    static char *names[] = {"src", "norm", NULL};
    if (!PyArg_ParseTupleAndKeywords(args, kw, "O!O!", names, &PyBytes_Type, &src,
                                     &PyBytes_Type, &norm))
        return -1;
    if (PyBytes_GET_SIZE(norm) != PyBytes_GET_SIZE(src)) {
        PyErr_SetString(PyExc_ValueError, "the normalised text has another length");
        return -1;
    }
    if (self->src_obj != NULL) {
        PyErr_SetString(PyExc_RuntimeError, "Ctx is initialised once");
        return -1;
    }
    Py_INCREF(src);
    Py_INCREF(norm);
    self->src_obj = src;
    self->norm_obj = norm;
    self->src = (const unsigned char *)PyBytes_AS_STRING(src);
    self->nsrc = PyBytes_GET_SIZE(src);
    self->norm = (const unsigned char *)PyBytes_AS_STRING(norm);
    self->nnorm = PyBytes_GET_SIZE(norm);
    self->norm_ascii = is_ascii(self->norm, self->nnorm);
    self->empty = PyUnicode_FromString("");
    if (self->empty == NULL)
        return -1;
    Py_ssize_t n = 1;
    for (const unsigned char *p = self->src, *e = self->src + self->nsrc;
         (p = memchr(p, '\n', e - p)) != NULL; p++)
        n++;
    self->nl = PyMem_Malloc(sizeof(Py_ssize_t) * n);
    if (self->nl == NULL) {
        PyErr_NoMemory();
        return -1;
    }
    self->nl[0] = -1;
    self->nnl = 1;
    for (const unsigned char *p = self->src, *e = self->src + self->nsrc;
         (p = memchr(p, '\n', e - p)) != NULL; p++)
        self->nl[self->nnl++] = p - self->src;
    return 0;
}

static void Ctx_dealloc(Ctx *self) {
    PyMem_Free(self->uses_by_cs);
    PyMem_Free(self->uses_by_ce);
    PyMem_Free(self->nl);
    PyMem_Free(self->fstarts);
    PyMem_Free(self->fends);
    Py_XDECREF(self->fnames);
    Py_XDECREF(self->src_obj);
    Py_XDECREF(self->norm_obj);
    Py_XDECREF(self->empty);
    Py_TYPE(self)->tp_free((PyObject *)self);
}

/* set_functions(fstarts, fends, fnames): _Ctx's function spans, once _functions found them */
static PyObject *Ctx_set_functions(Ctx *self, PyObject *args) {
    PyObject *starts, *ends, *names;
    if (!PyArg_ParseTuple(args, "O!O!O!", &PyList_Type, &starts, &PyList_Type, &ends,
                          &PyList_Type, &names))
        return NULL;
    Py_ssize_t n = PyList_GET_SIZE(starts);
    if (PyList_GET_SIZE(ends) != n || PyList_GET_SIZE(names) != n) {
        PyErr_SetString(PyExc_ValueError, "function spans of different lengths");
        return NULL;
    }
    Py_ssize_t *a = tsn_int_array(starts), *b = a ? tsn_int_array(ends) : NULL;
    if (b == NULL) {
        PyMem_Free(a);
        return NULL;
    }
    PyMem_Free(self->fstarts);
    PyMem_Free(self->fends);
    self->fstarts = a;
    self->fends = b;
    self->nf = n;
    for (Py_ssize_t i = 0; i < n; i++)
        if (!PyUnicode_Check(PyList_GET_ITEM(names, i))) {
            PyErr_SetString(PyExc_TypeError, "function names must be str");
            PyMem_Free(a);
            PyMem_Free(b);
            return NULL;
        }
    PyObject *own = PyList_GetSlice(names, 0, n);  /* (a copy: the caller's list may change) */
    if (own == NULL) {
        PyMem_Free(a);
        PyMem_Free(b);
        return NULL;
    }
    Py_XSETREF(self->fnames, own);
    Py_RETURN_NONE;
}

/* set_uses(by_cs, by_ce): the rewritten macro uses texts are widened over (extract._Ctx's
 * _ucs and _uce, flattened: cs, ce, start, end, ... sorted by cs; ce, cs, start, end, ...
 * sorted by ce) */
static PyObject *Ctx_set_uses(Ctx *self, PyObject *args) {
    PyObject *by_cs, *by_ce;
    if (!PyArg_ParseTuple(args, "O!O!", &PyList_Type, &by_cs, &PyList_Type, &by_ce))
        return NULL;
    Py_ssize_t n = PyList_GET_SIZE(by_cs);
    if (n % 4 || PyList_GET_SIZE(by_ce) != n) {
        PyErr_SetString(PyExc_ValueError, "set_uses: two lists of 4 numbers a use");
        return NULL;
    }
    Py_ssize_t *a = tsn_int_array(by_cs), *b = a ? tsn_int_array(by_ce) : NULL;
    if (b == NULL) {
        PyMem_Free(a);
        return NULL;
    }
    for (Py_ssize_t i = 4; i < n; i += 4)
        if (a[i] < a[i - 4] || b[i] < b[i - 4]) {
            PyErr_SetString(PyExc_ValueError, "set_uses: the uses must be sorted");
            PyMem_Free(a);
            PyMem_Free(b);
            return NULL;
        }
    PyMem_Free(self->uses_by_cs);
    PyMem_Free(self->uses_by_ce);
    self->uses_by_cs = a;
    self->uses_by_ce = b;
    self->nuses = n / 4;
    Py_RETURN_NONE;
}

static PyMethodDef Ctx_methods[] = {
    {"set_functions", (PyCFunction)Ctx_set_functions, METH_VARARGS,
     "set_functions(fstarts, fends, fnames): the function spans (extract._Ctx's)."},
    {"set_uses", (PyCFunction)Ctx_set_uses, METH_VARARGS,
     "set_uses(by_cs, by_ce): the rewritten macro uses texts are widened over."},
    {NULL, NULL, 0, NULL},
};

PyTypeObject TSN_CtxType = {
    PyVarObject_HEAD_INIT(NULL, 0)
    .tp_name = "vmxref.indexer._tsnative.Ctx",
    .tp_doc = "Ctx(src, norm): one file's texts and function spans, for the passes.",
    .tp_basicsize = sizeof(Ctx),
    .tp_flags = Py_TPFLAGS_DEFAULT,
    .tp_new = PyType_GenericNew,
    .tp_init = (initproc)Ctx_init,
    .tp_dealloc = (destructor)Ctx_dealloc,
    .tp_methods = Ctx_methods,
};

Py_ssize_t tsn_line(const Ctx *c, Py_ssize_t off) {
    Py_ssize_t lo = 0, hi = c->nnl;
    while (lo < hi) {
        Py_ssize_t mid = (lo + hi) / 2;
        if (c->nl[mid] < off)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

PyObject *tsn_name(const Ctx *c, Py_ssize_t a, Py_ssize_t b) {
    if (b > c->nnorm)
        b = c->nnorm;
    if (a > b)
        a = b;
    if (c->norm_ascii || is_ascii(c->norm + a, b - a))
        return PyUnicode_DecodeASCII((const char *)c->norm + a, b - a, NULL);
    return PyUnicode_DecodeUTF8((const char *)c->norm + a, b - a, "replace");
}

static int ident_byte(unsigned char ch) {
    return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
           ch == '_';
}

/* the first of n uses (4 numbers each) whose first number is >= key */
static Py_ssize_t uses_bisect(const Py_ssize_t *v, Py_ssize_t n, Py_ssize_t key) {
    Py_ssize_t lo = 0, hi = n;
    while (lo < hi) {
        Py_ssize_t mid = (lo + hi) / 2;
        if (v[4 * mid] < key)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

PyObject *tsn_text(const Ctx *c, Py_ssize_t a, Py_ssize_t b, Py_ssize_t limit) {
    if (c->nuses) {
        /* extract._Ctx._widen: over the uses whose rewritten text [cs, ce) the span holds
         * all of, starting at cs or ending at ce */
        Py_ssize_t a0 = a, b0 = b;
        const Py_ssize_t *v = c->uses_by_cs;
        for (Py_ssize_t i = uses_bisect(v, c->nuses, a0); i < c->nuses && v[4 * i] == a0; i++)
            if (v[4 * i + 1] <= b0) {
                if (v[4 * i + 2] < a)
                    a = v[4 * i + 2];
                if (v[4 * i + 3] > b)
                    b = v[4 * i + 3];
            }
        v = c->uses_by_ce;
        for (Py_ssize_t i = uses_bisect(v, c->nuses, b0); i < c->nuses && v[4 * i] == b0; i++)
            if (v[4 * i + 1] >= a0) {
                if (v[4 * i + 2] < a)
                    a = v[4 * i + 2];
                if (v[4 * i + 3] > b)
                    b = v[4 * i + 3];
            }
    }
    /* extract._Ctx._past_paste: a span whose end cuts a source word in two (a pasted name,
     * padded with blanks to the macro use's length) reaches over the blanks */
    if (a < b && b < c->nsrc && b < c->nnorm && c->norm[b] == ' ' && ident_byte(c->src[b - 1]) &&
        ident_byte(c->src[b]))
        while (b < c->nnorm && c->norm[b] == ' ')
            b++;
    if (b > a + limit * 4)
        b = a + limit * 4;
    if (b > c->nsrc)
        b = c->nsrc;
    if (a > b)
        a = b;
    PyObject *s;
    if (is_ascii(c->src + a, b - a)) {
        /* " ".join(s.split()) on ASCII: the separators are str.isspace() characters */
        char stack[512];
        stack[0] = 0;
        char *buf = (b - a) < (Py_ssize_t)sizeof(stack) ? stack : PyMem_Malloc(b - a + 1);
        if (buf == NULL)
            return PyErr_NoMemory();
        Py_ssize_t n = 0;
        int gap = 0;
        for (Py_ssize_t i = a; i < b; i++) {
            unsigned char ch = c->src[i];
            if (TSN_IS_SPACE[ch]) {
                gap = n > 0;
                continue;
            }
            if (gap) {
                buf[n++] = ' ';
                gap = 0;
            }
            buf[n++] = (char)ch;
        }
        s = PyUnicode_DecodeASCII(buf, n, NULL);
        if (buf != stack)
            PyMem_Free(buf);
    } else {
        PyObject *raw = PyUnicode_DecodeUTF8((const char *)c->src + a, b - a, "replace");
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

PyObject *tsn_func_at(const Ctx *c, Py_ssize_t byte) {
    /* i = bisect_right(fstarts, byte) - 1 */
    Py_ssize_t lo = 0, hi = c->nf;
    while (lo < hi) {
        Py_ssize_t mid = (lo + hi) / 2;
        if (byte < c->fstarts[mid])
            hi = mid;
        else
            lo = mid + 1;
    }
    Py_ssize_t i = lo - 1;
    if (i >= 0 && byte < c->fends[i])
        return PyList_GET_ITEM(c->fnames, i);
    return c->empty;
}

/* --- nodes ---------------------------------------------------------------------------- */

static const char *FIELD_NAMES[F_COUNT] = {
    "alternative",
    "argument", "arguments", "body", "condition", "consequence", "constraint", "declarator",
    "designator", "field", "function", "input_operands", "left", "name", "operator",
    "parameters", "right", "scope", "type", "value",
};

typedef struct {
    const TSLanguage *lang;
    TSFieldId ids[F_COUNT];
} FieldIds;

static FieldIds field_ids[4];  /* per language (C, C++) */

static const TSFieldId *ids_of(const TSLanguage *lang) {
    for (int i = 0; i < 4; i++) {
        if (field_ids[i].lang == lang)
            return field_ids[i].ids;
        if (field_ids[i].lang == NULL) {
            for (int f = 0; f < F_COUNT; f++)
                field_ids[i].ids[f] = ts_language_field_id_for_name(
                    lang, FIELD_NAMES[f], (uint32_t)strlen(FIELD_NAMES[f]));
            field_ids[i].lang = lang;
            return field_ids[i].ids;
        }
    }
    return NULL;
}

TSFieldId tsn_field_id(TSNode n, int field) {
    const TSFieldId *ids = ids_of(ts_node_language(n));
    return ids ? ids[field] : ts_language_field_id_for_name(
        ts_node_language(n), FIELD_NAMES[field], (uint32_t)strlen(FIELD_NAMES[field]));
}

TSNode tsn_child(TSNode n, int field) {
    if (ts_node_is_null(n))
        return n;
    TSFieldId id = tsn_field_id(n, field);
    return id ? ts_node_child_by_field_id(n, id) : TSN_NULL;
}

Py_ssize_t tsn_named_children(TSNode n, TSNode *out, Py_ssize_t max) {
    Py_ssize_t k = 0;
    if (ts_node_is_null(n))
        return 0;
    TSTreeCursor cur = ts_tree_cursor_new(n);
    if (ts_tree_cursor_goto_first_child(&cur)) {
        do {
            TSNode ch = ts_tree_cursor_current_node(&cur);
            if (ts_node_is_named(ch)) {
                if (k >= max)
                    break;
                out[k++] = ch;
            }
        } while (ts_tree_cursor_goto_next_sibling(&cur));
    }
    ts_tree_cursor_delete(&cur);
    return k;
}

Py_ssize_t tsn_children_by(TSNode n, int field, TSNode *out, Py_ssize_t max) {
    Py_ssize_t k = 0;
    if (ts_node_is_null(n))
        return 0;
    TSFieldId want = tsn_field_id(n, field);
    if (want == 0)
        return 0;
    TSTreeCursor cur = ts_tree_cursor_new(n);
    if (ts_tree_cursor_goto_first_child(&cur)) {
        do {
            if (ts_tree_cursor_current_field_id(&cur) == want) {
                if (k >= max)
                    break;
                out[k++] = ts_tree_cursor_current_node(&cur);
            }
        } while (ts_tree_cursor_goto_next_sibling(&cur));
    }
    ts_tree_cursor_delete(&cur);
    return k;
}

const char *NAME_TYPES[] = {"identifier", "field_identifier", "type_identifier",
                                   "qualified_identifier", "destructor_name", "operator_name",
                                   NULL};
const char *DECLARATOR_WRAPPERS[] = {
    "pointer_declarator", "array_declarator", "parenthesized_declarator",
    "attributed_declarator", "reference_declarator", "init_declarator",
    "abstract_pointer_declarator", NULL};

int tsn_is_one_of(TSNode n, const char **types) {
    const char *t = ts_node_type(n);
    for (int i = 0; types[i]; i++)
        if (strcmp(t, types[i]) == 0)
            return 1;
    return 0;
}

TSNode tsn_declarator_name(TSNode n) {
    while (!ts_node_is_null(n)) {
        if (tsn_is_one_of(n, NAME_TYPES))
            return n;
        if (!tsn_is(n, "function_declarator") && !tsn_is_one_of(n, DECLARATOR_WRAPPERS))
            return TSN_NULL;
        TSNode nxt = tsn_child(n, F_DECLARATOR);
        if (ts_node_is_null(nxt)) {  /* parenthesized_declarator has no field name */
            TSTreeCursor cur = ts_tree_cursor_new(n);
            if (ts_tree_cursor_goto_first_child(&cur)) {
                do {
                    TSNode ch = ts_tree_cursor_current_node(&cur);
                    if (ts_node_is_named(ch) && !tsn_is(ch, "attribute_specifier")) {
                        nxt = ch;
                        break;
                    }
                } while (ts_tree_cursor_goto_next_sibling(&cur));
            }
            ts_tree_cursor_delete(&cur);
        }
        n = nxt;
    }
    return TSN_NULL;
}

TSNode tsn_function_declarator(TSNode n) {
    while (!ts_node_is_null(n)) {
        if (tsn_is(n, "function_declarator"))
            return n;
        if (!tsn_is_one_of(n, DECLARATOR_WRAPPERS))
            return TSN_NULL;
        TSNode nxt = tsn_child(n, F_DECLARATOR);
        if (ts_node_is_null(nxt))
            tsn_named_children(n, &nxt, 1);  /* (stays null when there are none) */
        n = nxt;
    }
    return TSN_NULL;
}

int tsn_add_param_names(PyObject *decl, TSNode fd) {
    if (ts_node_is_null(fd))
        return 0;
    TSNode params = tsn_child(fd, F_PARAMETERS);
    if (ts_node_is_null(params))
        return 0;
    uint32_t n = ts_node_named_child_count(params);
    for (uint32_t i = 0; i < n; i++) {
        TSNode p = ts_node_named_child(params, i);
        if (!tsn_is(p, "parameter_declaration") && !tsn_is(p, "optional_parameter_declaration"))
            continue;
        TSNode d = tsn_child(p, F_DECLARATOR);
        TSNode nm = ts_node_is_null(d) ? TSN_NULL : tsn_declarator_name(d);
        if (!ts_node_is_null(nm) && tsn_add_offset(decl, ts_node_start_byte(nm)) < 0)
            return -1;
    }
    return 0;
}

int tsn_add_offset(PyObject *set, Py_ssize_t off) {
    PyObject *o = PyLong_FromSsize_t(off);
    if (o == NULL)
        return -1;
    int r = PySet_Add(set, o);
    Py_DECREF(o);
    return r;
}

int tsn_name_is(const Ctx *c, TSNode n, const char *word) {
    Py_ssize_t a = ts_node_start_byte(n), b = ts_node_end_byte(n), k = (Py_ssize_t)strlen(word);
    if (b > c->nnorm)
        b = c->nnorm;
    return a <= b && b - a == k && memcmp(c->norm + a, word, k) == 0;
}

TSNode *tsn_named_all(TSNode n, Py_ssize_t *count) {
    Py_ssize_t cap = ts_node_is_null(n) ? 0 : ts_node_named_child_count(n);
    TSNode *out = PyMem_Malloc(sizeof(TSNode) * (cap ? cap : 1));
    if (out == NULL) {
        PyErr_NoMemory();
        return NULL;
    }
    *count = tsn_named_children(n, out, cap);
    return out;
}

Py_ssize_t *tsn_int_array(PyObject *list) {
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

int tsn_spans_init(TsnSpans *s, PyObject *starts, PyObject *ends) {
    s->starts = s->ends = NULL;
    s->n = 0;
    if (!PyList_Check(starts) || !PyList_Check(ends) ||
            PyList_GET_SIZE(starts) != PyList_GET_SIZE(ends)) {
        PyErr_SetString(PyExc_ValueError, "spans: two lists of the same length were expected");
        return -1;
    }
    if ((s->starts = tsn_int_array(starts)) == NULL || (s->ends = tsn_int_array(ends)) == NULL)
        return -1;
    s->n = PyList_GET_SIZE(starts);
    return 0;
}

void tsn_spans_free(TsnSpans *s) {
    PyMem_Free(s->starts);
    PyMem_Free(s->ends);
    s->starts = s->ends = NULL;
    s->n = 0;
}

int tsn_in_spans(const TsnSpans *s, Py_ssize_t b) {
    Py_ssize_t lo = 0, hi = s->n;
    while (lo < hi) {  /* bisect_right(starts, b) */
        Py_ssize_t mid = (lo + hi) / 2;
        if (b < s->starts[mid])
            hi = mid;
        else
            lo = mid + 1;
    }
    return lo - 1 >= 0 && b < s->ends[lo - 1];
}

PyObject *tsn_span(TSNode n) {
    return Py_BuildValue("(nn)", (Py_ssize_t)ts_node_start_byte(n), (Py_ssize_t)ts_node_end_byte(n));
}

int tsn_add_span(PyObject *spans, TSNode n) {
    PyObject *sp = tsn_span(n);
    if (sp == NULL)
        return -1;
    int r = PySet_Add(spans, sp);
    Py_DECREF(sp);
    return r;
}

int tsn_lvalue(PyObject *spans, TSNode n) {
    /* (parentheses around it are no part of it: `&(svm->vcpu)` is `&svm->vcpu`) */
    while (tsn_is(n, "parenthesized_expression") && ts_node_named_child_count(n) > 0)
        n = ts_node_named_child(n, 0);
    if (tsn_add_span(spans, n) < 0)
        return -1;
    while (!ts_node_is_null(n) && tsn_is(n, "field_expression")) {
        TSNode op = tsn_child(n, F_OPERATOR);
        if (ts_node_is_null(op) || !tsn_is(op, "."))
            break;
        n = tsn_child(n, F_ARGUMENT);
        while (tsn_is(n, "parenthesized_expression") && ts_node_named_child_count(n) > 0)
            n = ts_node_named_child(n, 0);
        if (ts_node_is_null(n) || !(tsn_is(n, "field_expression") || tsn_is(n, "identifier") ||
                                    tsn_is(n, "subscript_expression")))
            break;
        if (tsn_add_span(spans, n) < 0)
            return -1;
        if (tsn_is(n, "subscript_expression"))
            break;
    }
    return 0;
}

/* --- texts ---------------------------------------------------------------------------- */

/* json's encode_basestring_ascii, appended to buf (grown as needed) */
typedef struct {
    char *p;
    Py_ssize_t n, cap;
} Buf;

static int buf_need(Buf *b, Py_ssize_t more) {
    if (b->n + more <= b->cap)
        return 0;
    Py_ssize_t cap = (b->cap + more) * 2;
    char *p = PyMem_Realloc(b->p, cap);
    if (p == NULL) {
        PyErr_NoMemory();
        return -1;
    }
    b->p = p;
    b->cap = cap;
    return 0;
}

static void put_u(Buf *b, Py_UCS4 c) {
    static const char hex[] = "0123456789abcdef";
    char *o = b->p + b->n;
    o[0] = '\\';
    o[1] = 'u';
    o[2] = hex[(c >> 12) & 0xf];
    o[3] = hex[(c >> 8) & 0xf];
    o[4] = hex[(c >> 4) & 0xf];
    o[5] = hex[c & 0xf];
    b->n += 6;
}

static int json_str(Buf *b, PyObject *s) {
    Py_ssize_t len = PyUnicode_GET_LENGTH(s);
    int kind = PyUnicode_KIND(s);
    const void *data = PyUnicode_DATA(s);
    if (buf_need(b, len * 12 + 2) < 0)
        return -1;
    b->p[b->n++] = '"';
    for (Py_ssize_t i = 0; i < len; i++) {
        Py_UCS4 c = PyUnicode_READ(kind, data, i);
        if (c >= ' ' && c <= '~' && c != '\\' && c != '"') {
            b->p[b->n++] = (char)c;
            continue;
        }
        char esc = c == '\\' ? '\\' : c == '"' ? '"' : c == '\b' ? 'b' : c == '\f' ? 'f'
                 : c == '\n' ? 'n' : c == '\r' ? 'r' : c == '\t' ? 't' : 0;
        if (esc) {
            b->p[b->n++] = '\\';
            b->p[b->n++] = esc;
        } else if (c >= 0x10000) {
            Py_UCS4 v = c - 0x10000;
            put_u(b, 0xd800 | ((v >> 10) & 0x3ff));
            put_u(b, 0xdc00 | (v & 0x3ff));
        } else {
            put_u(b, c);
        }
    }
    b->p[b->n++] = '"';
    return 0;
}

PyObject *tsn_jlist(PyObject *list) {
    Buf b = {NULL, 0, 0};
    if (buf_need(&b, 64) < 0)
        return NULL;
    b.p[b.n++] = '[';
    for (Py_ssize_t i = 0; i < PyList_GET_SIZE(list); i++) {
        if (i && (buf_need(&b, 2) < 0 || (b.p[b.n++] = ',', b.p[b.n++] = ' ', 0)))
            goto fail;
        if (json_str(&b, PyList_GET_ITEM(list, i)) < 0)
            goto fail;
    }
    if (buf_need(&b, 1) < 0)
        goto fail;
    b.p[b.n++] = ']';
    PyObject *out = PyUnicode_DecodeASCII(b.p, b.n, NULL);
    PyMem_Free(b.p);
    return out;
fail:
    PyMem_Free(b.p);
    return NULL;
}

int tsn_append_new(PyObject *list, PyObject *item) {
    if (item == NULL)
        return -1;
    int r = PyList_Append(list, item);
    Py_DECREF(item);
    return r;
}

static const char *STRUCT_TYPES[] = {"struct_specifier", "union_specifier", "class_specifier",
                                     "enum_specifier", NULL};

PyObject *tsn_base_type(const Ctx *c, TSNode t, PyObject *struct_names) {
    if (ts_node_is_null(t))
        return Py_NewRef(S_QUESTION);
    if (tsn_is_one_of(t, STRUCT_TYPES)) {
        PyObject *id = PyLong_FromVoidPtr((void *)t.id);
        if (id == NULL)
            return NULL;
        PyObject *got = PyDict_GetItemWithError(struct_names, id);
        Py_DECREF(id);
        if (got != NULL) {
            Py_INCREF(got);
            return got;
        }
        if (PyErr_Occurred())
            return NULL;
        TSNode nm = tsn_child(t, F_NAME);
        return ts_node_is_null(nm) ? Py_NewRef(S_QUESTION) : tsn_node_name(c, nm);
    }
    if (tsn_is(t, "qualified_identifier") || tsn_is(t, "template_type")) {
        TSNode nm = tsn_child(t, F_NAME);
        return tsn_node_name(c, ts_node_is_null(nm) ? t : nm);
    }
    return tsn_node_name(c, t);
}

PyObject *tsn_stars(TSNode node) {
    Buf b = {NULL, 0, 0};
    if (buf_need(&b, 16) < 0)
        return NULL;
    while (!ts_node_is_null(node) && !tsn_is_one_of(node, NAME_TYPES)) {
        const char *t = ts_node_type(node);
        if (strcmp(t, "pointer_declarator") == 0 || strcmp(t, "abstract_pointer_declarator") == 0) {
            if (buf_need(&b, 1) < 0)
                goto fail;
            b.p[b.n++] = '*';
        } else if (strcmp(t, "array_declarator") == 0) {
            if (buf_need(&b, 2) < 0)
                goto fail;
            b.p[b.n++] = '[';
            b.p[b.n++] = ']';
        } else if (strcmp(t, "function_declarator") == 0) {
            PyMem_Free(b.p);
            return Py_NewRef(S_PARENS);
        }
        TSNode nxt = tsn_child(node, F_DECLARATOR);
        if (ts_node_is_null(nxt) && ts_node_named_child_count(node) > 0)
            nxt = ts_node_named_child(node, 0);
        node = nxt;
    }
    PyObject *out = PyUnicode_DecodeASCII(b.p, b.n, NULL);
    PyMem_Free(b.p);
    return out;
fail:
    PyMem_Free(b.p);
    return NULL;
}

PyObject *tsn_last_field(PyObject *chain) {
    for (Py_ssize_t i = PyList_GET_SIZE(chain) - 1; i >= 0; i--) {
        PyObject *s = PyList_GET_ITEM(chain, i);
        Py_ssize_t len = PyUnicode_GET_LENGTH(s);
        if (len > 0 && PyUnicode_READ_CHAR(s, 0) == '#')
            continue;
        if (PyUnicode_CompareWithASCIIString(s, "[]") == 0 ||
            PyUnicode_CompareWithASCIIString(s, "*") == 0)
            continue;
        Py_ssize_t colon = PyUnicode_FindChar(s, ':', 0, len, 1);
        if (colon == -2)
            return NULL;
        if (colon >= 0)
            return PyUnicode_Substring(s, colon + 1, len);
        Py_INCREF(s);
        return s;
    }
    return Py_NewRef(S_EMPTY);
}

static const char *CONTAINER_OF[] = {"container_of", "list_entry", "list_first_entry",
                                     "RT_FROM_MEMBER", "hlist_entry", "container_of_const",
                                     "RT_FROM_CPP_MEMBER", NULL};

static int append_prefixed(PyObject *out, const char *prefix, PyObject *s, const char *suffix) {
    if (s == NULL)
        return -1;
    PyObject *v = PyUnicode_FromFormat("%s%U%s", prefix, s, suffix);
    Py_DECREF(s);
    return tsn_append_new(out, v);
}

int tsn_chain_of(const Ctx *c, TSNode n, int depth, PyObject *sn, PyObject *out) {
    if (ts_node_is_null(n) || depth > 40)
        return tsn_append_new(out, Py_NewRef(S_QUESTION));
    const char *t = ts_node_type(n);
    if (strcmp(t, "identifier") == 0)
        return append_prefixed(out, "v:", tsn_node_name(c, n), "");
    if (strcmp(t, "this") == 0)
        return tsn_append_new(out, Py_NewRef(S_THIS));
    if (strcmp(t, "field_expression") == 0) {
        if (tsn_chain_of(c, tsn_child(n, F_ARGUMENT), depth + 1, sn, out) < 0)
            return -1;
        TSNode fld = tsn_child(n, F_FIELD);
        return tsn_append_new(out, ts_node_is_null(fld) ? Py_NewRef(S_QUESTION)
                                                    : tsn_node_name(c, fld));
    }
    if (strcmp(t, "subscript_expression") == 0) {
        if (tsn_chain_of(c, tsn_child(n, F_ARGUMENT), depth + 1, sn, out) < 0)
            return -1;
        return tsn_append_new(out, Py_NewRef(S_BRACKETS));
    }
    if (strcmp(t, "parenthesized_expression") == 0) {
        TSNode inner = TSN_NULL;
        tsn_named_children(n, &inner, 1);
        return tsn_chain_of(c, inner, depth + 1, sn, out);
    }
    if (strcmp(t, "cast_expression") == 0) {
        TSNode td = tsn_child(n, F_TYPE);
        TSNode tn = tsn_child(td, F_TYPE), dcl = tsn_child(td, F_DECLARATOR);
        PyObject *base = tsn_base_type(c, tn, sn);
        if (base == NULL)
            return -1;
        PyObject *st = ts_node_is_null(dcl) ? Py_NewRef(S_EMPTY) : tsn_stars(dcl);
        if (st == NULL) {
            Py_DECREF(base);
            return -1;
        }
        PyObject *v = PyUnicode_FromFormat("t:%U%U", base, st);
        Py_DECREF(base);
        Py_DECREF(st);
        return tsn_append_new(out, v);
    }
    if (strcmp(t, "pointer_expression") == 0) {
        TSNode op = tsn_child(n, F_OPERATOR);
        if (tsn_chain_of(c, tsn_child(n, F_ARGUMENT), depth + 1, sn, out) < 0)
            return -1;
        if (ts_node_is_null(op))
            return 0;
        Py_ssize_t a = ts_node_start_byte(op), b = ts_node_end_byte(op);
        if (b - a == 1 && a < c->nnorm && c->norm[a] == '*')
            return tsn_append_new(out, Py_NewRef(S_STAR));
        return 0;
    }
    if (strcmp(t, "call_expression") == 0) {
        TSNode fn = tsn_child(n, F_FUNCTION), args = tsn_child(n, F_ARGUMENTS);
        PyObject *fname = tsn_is(fn, "identifier") ? tsn_node_name(c, fn) : Py_NewRef(S_EMPTY);
        if (fname == NULL)
            return -1;
        if (!ts_node_is_null(args)) {
            int wrapper = 0;
            for (int i = 0; CONTAINER_OF[i]; i++)
                if (PyUnicode_CompareWithASCIIString(fname, CONTAINER_OF[i]) == 0)
                    wrapper = 1;
            TSNode a[2];
            if (wrapper && tsn_named_children(args, a, 2) == 2) {
                TSNode tn = a[1];
                if (tsn_is(tn, "type_descriptor"))
                    tn = tsn_child(tn, F_TYPE);
                Py_DECREF(fname);
                return append_prefixed(out, "t:", tsn_base_type(c, tn, sn), "*");
            }
        }
        if (PyUnicode_GET_LENGTH(fname) == 0) {
            Py_DECREF(fname);
            return tsn_append_new(out, Py_NewRef(S_QUESTION));
        }
        return append_prefixed(out, "r:", fname, "");
    }
    if (strcmp(t, "compound_literal_expression") == 0) {
        TSNode td = tsn_child(n, F_TYPE);
        return append_prefixed(out, "t:", tsn_base_type(c, tsn_child(td, F_TYPE), sn), "");
    }
    return tsn_append_new(out, Py_NewRef(S_QUESTION));
}

/* --- the module ----------------------------------------------------------------------- */

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
    Py_XSETREF(TSN_NodeType, (PyTypeObject *)type);
    Py_RETURN_NONE;
}

/* jlist(list of str): ctext.jlist's twin (for the tests) */
static PyObject *jlist(PyObject *Py_UNUSED(mod), PyObject *args) {
    PyObject *list;
    if (!PyArg_ParseTuple(args, "O!", &PyList_Type, &list))
        return NULL;
    for (Py_ssize_t i = 0; i < PyList_GET_SIZE(list); i++)
        if (!PyUnicode_Check(PyList_GET_ITEM(list, i))) {
            PyErr_SetString(PyExc_TypeError, "a list of str was expected");
            return NULL;
        }
    return tsn_jlist(list);
}

/* doc_order(list of Node): sort in place into document order, outer node first (start
 * byte, then end byte descending, then the node's symbol): py-tree-sitter's captures()
 * collects each capture's nodes in a set, so their order follows the nodes' hashes */
typedef struct {
    uint32_t start, end;
    TSSymbol sym;
    PyObject *obj;
} Placed;

static int cmp_placed(const void *a, const void *b) {
    const Placed *x = a, *y = b;
    if (x->start != y->start)
        return x->start < y->start ? -1 : 1;
    if (x->end != y->end)
        return x->end > y->end ? -1 : 1;
    return (x->sym > y->sym) - (x->sym < y->sym);
}

static PyObject *doc_order(PyObject *Py_UNUSED(mod), PyObject *args) {
    PyObject *list;
    if (!PyArg_ParseTuple(args, "O!", &PyList_Type, &list))
        return NULL;
    Py_ssize_t n = PyList_GET_SIZE(list);
    Placed *v = PyMem_Malloc(sizeof(Placed) * (n ? n : 1));
    if (v == NULL)
        return PyErr_NoMemory();
    for (Py_ssize_t i = 0; i < n; i++) {
        TSNode node;
        if (tsn_node(PyList_GET_ITEM(list, i), &node) < 0) {
            PyMem_Free(v);
            return NULL;
        }
        v[i].start = ts_node_start_byte(node);
        v[i].end = ts_node_end_byte(node);
        v[i].sym = ts_node_symbol(node);
        v[i].obj = PyList_GET_ITEM(list, i);
    }
    qsort(v, n, sizeof(Placed), cmp_placed);
    for (Py_ssize_t i = 0; i < n; i++)
        PyList_SET_ITEM(list, i, v[i].obj);  /* (the same objects: references unchanged) */
    PyMem_Free(v);
    Py_RETURN_NONE;
}

static PyMethodDef module_methods[] = {
    {"captures", tsn_captures, METH_VARARGS,
     "captures(root, cpp) -> {capture: [Node]}: extract.QUERY's captures by one walk."},
    {"receiver_types", tsn_receiver_types, METH_VARARGS,
     "receiver_types(syms, assigns) -> assigns with the base variable's declared type."},
    {"doc_order", doc_order, METH_VARARGS,
     "doc_order(nodes): sort a list of Nodes in place into document order."},
    {"init", init, METH_VARARGS, "init(Node): register py-tree-sitter's Node type."},
    {"jlist", jlist, METH_VARARGS, "jlist(list of str): json.dumps of the list."},
    {"defines", tsn_defines, METH_VARARGS,
     "defines(nodes, ctx, keywords) -> (syms, refs, name offsets) of #define NAME value."},
    {"fmacros", tsn_fmacros, METH_VARARGS,
     "fmacros(nodes, ctx, keywords, not_calls, decl_names, syms, calls, refs, assigns, cx, "
     "state): #define NAME(params) value, appended to cx.f's lists."},
    {"type_refs", tsn_type_refs, METH_VARARGS,
     "type_refs(nodes, ctx, decl, macro_args) -> (refs, offsets) of type identifiers."},
    {"ident_refs", tsn_ident_refs, METH_VARARGS,
     "ident_refs(ctx, decl, types, keywords, sizeof_starts, sizeof_ends, special, prims) -> refs."},
    {"field_refs", tsn_field_refs, METH_VARARGS,
     "field_refs(nodes, ctx, special, sizeof_starts, sizeof_ends, struct_names) -> refs."},
    {"writes", tsn_writes, METH_VARARGS,
     "writes(assign, update, ptr, asmout, case, ret, ctx, assigns, cases, write_nodes, "
     "addr_nodes, struct_names, whole_object_writers, cx, initializer): the write passes."},
    {"calls", tsn_calls, METH_VARARGS,
     "calls(nodes, ctx, ...): extract._call of each node (see _tsn_calls.c)."},
    {"functions", tsn_functions, METH_VARARGS,
     "functions(nodes, ctx, struct_names, function_name_arg, decl_names, fn_sym_at, nsyms, "
     "SYM_STATIC) -> (syms, refs, fstarts, fends, fnames, macro_fn) of function definitions."},
    {"structs", tsn_structs, METH_VARARGS,
     "structs(nodes, ctx, struct_names, decl_names) -> syms of struct/union/class bodies."},
    {"typedefs", tsn_typedefs, METH_VARARGS,
     "typedefs(nodes, ctx, struct_names, decl_names) -> syms of typedefs."},
    {"field_decls", tsn_field_decls, METH_VARARGS,
     "field_decls(nodes, ctx, struct_names, field_counts, decl_names) -> syms of members."},
    {"enums", tsn_enums, METH_VARARGS, "enums(nodes, ctx, decl_names) -> syms of enums."},
    {"declarations", tsn_declarations, METH_VARARGS,
     "declarations(nodes, ctx, struct_names, init_macros, decl_names, macro_args, "
     "call_fn_nodes, comment_designator, sym_static) -> (syms, calls, refs, assigns)."},
    {"guards", tsn_guards, METH_VARARGS,
     "guards(conds, ctx, max_cond) -> rows of guards.branches (the `if` conditions)."},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {
    PyModuleDef_HEAD_INIT, "vmxref.indexer._tsnative",
    "Extraction passes in C over py-tree-sitter's trees (see vmxref/indexer/native.py).",
    -1, module_methods,
};

PyMODINIT_FUNC PyInit__tsnative(void) {
    for (int ch = 0; ch < 256; ch++) {
        TSN_IS_WORD[ch] = (Py_UNICODE_ISALNUM((Py_UCS4)ch) || ch == '_') ? 1 : 0;
        TSN_IS_SPACE[ch] = Py_UNICODE_ISSPACE((Py_UCS4)ch) ? 1 : 0;
    }
    if (PyType_Ready(&TSN_CtxType) < 0)
        return NULL;
    for (size_t i = 0; i < sizeof STRINGS / sizeof STRINGS[0]; i++)
        if ((*STRINGS[i].var = PyUnicode_InternFromString(STRINGS[i].text)) == NULL)
            return NULL;
    PyObject *m = PyModule_Create(&module);
    if (m == NULL)
        return NULL;
    if (PyModule_AddObjectRef(m, "Ctx", (PyObject *)&TSN_CtxType) < 0 ||
        PyModule_AddIntConstant(m, "VERSION", TSNATIVE_VERSION) < 0 ||
        PyModule_AddStringConstant(m, "TS_VERSION", VMXREF_TS_VERSION) < 0) {
        Py_DECREF(m);
        return NULL;
    }
    return m;
}
