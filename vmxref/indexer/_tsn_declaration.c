/* The pass of declarations: extract._declaration over the `decl` capture of extract.QUERY
 * (with _macro_statement, _fn_pointer, _stars and _initializer). */
#include "_tsnative.h"
#include <string.h>

#define MAX_TEXT 240  /* extract.MAX_TEXT */

#define MAX_INIT_DEPTH 100  /* extract.MAX_INIT_DEPTH: nested lists followed */
#define MAX_INIT_NUMBERS 64  /* extract.MAX_INIT_NUMBERS: positional number literals kept */

/* --- growable node arrays ------------------------------------------------------------- */

typedef struct {
    TSNode *p;
    Py_ssize_t n, cap;
} Nodes;

static int nodes_push(Nodes *a, TSNode x) {
    if (a->n == a->cap) {
        Py_ssize_t cap = a->cap ? a->cap * 2 : 16;
        TSNode *p = PyMem_Realloc(a->p, sizeof(TSNode) * cap);
        if (p == NULL) {
            PyErr_NoMemory();
            return -1;
        }
        a->p = p;
        a->cap = cap;
    }
    a->p[a->n++] = x;
    return 0;
}

/* node.named_children (comments included), appended to `out` */
static int named_kids(TSNode n, Nodes *out) {
    if (ts_node_is_null(n))
        return 0;
    int r = 0;
    TSTreeCursor cur = ts_tree_cursor_new(n);
    if (ts_tree_cursor_goto_first_child(&cur)) {
        do {
            TSNode ch = ts_tree_cursor_current_node(&cur);
            if (ts_node_is_named(ch) && (r = nodes_push(out, ch)) < 0)
                break;
        } while (ts_tree_cursor_goto_next_sibling(&cur));
    }
    ts_tree_cursor_delete(&cur);
    return r;
}

/* --- state ---------------------------------------------------------------------------- */

typedef struct {
    Ctx *c;
    PyObject *sn, *init_macros, *comment_re;     /* struct_names, cx.init_macros, the re */
    PyObject *syms, *calls, *refs, *assigns;     /* the rows */
    PyObject *decl, *macro_args, *call_fn;       /* cx.decl_names, macro_args, call_fn_nodes */
    PyObject *chain;                             /* _initializer's chain (a stack) */
    PyObject *func;                              /* (borrowed) */
    PyObject *k_eq, *k_init, *k_designated, *k_brackets, *k_q;
    long numbers_left;                           /* _initializer's `left` */
} St;

/* chain.append(item) (item: a new reference, NULL on error) */
static int push_new(St *s, PyObject *item) {
    if (item == NULL)
        return -1;
    int r = PyList_Append(s->chain, item);
    Py_DECREF(item);
    return r;
}

static int pop_to(St *s, Py_ssize_t len) {
    return PyList_SetSlice(s->chain, len, PyList_GET_SIZE(s->chain), NULL);
}

/* --- _stars, _fn_pointer -------------------------------------------------------------- */

static int fn_pointer(TSNode fd) {
    TSNode d = tsn_child(fd, F_DECLARATOR);
    while (!ts_node_is_null(d) && tsn_is(d, "parenthesized_declarator")) {
        TSNode first = TSN_NULL;
        tsn_named_children(d, &first, 1);
        d = first;
    }
    return tsn_is(d, "pointer_declarator");
}

/* --- _initializer --------------------------------------------------------------------- */

/* extract._COMMENT_DESIGNATOR, r"/\*\s*\.([A-Za-z_]\w*)\s*=?\s*\*\/$", matched on
 * cx.name(comment): the designator's name (a new reference), NULL with no error when it
 * does not match. ASCII texts here (each class is disjoint from what follows it, so the
 * greedy runs never give back); others through the compiled pattern (Unicode \s and \w). */
static PyObject *comment_designator(const St *s, TSNode item) {
    const Ctx *c = s->c;
    Py_ssize_t a = ts_node_start_byte(item), b = ts_node_end_byte(item);
    if (b > c->nnorm)
        b = c->nnorm;
    if (a > b)
        a = b;
    const unsigned char *p = c->norm + a;
    Py_ssize_t n = b - a;
    for (Py_ssize_t i = 0; i < n; i++)
        if (p[i] & 0x80) {
            PyObject *text = tsn_name(c, a, b);
            if (text == NULL)
                return NULL;
            PyObject *m = PyObject_CallMethod(s->comment_re, "match", "O", text);
            Py_DECREF(text);
            if (m == NULL || m == Py_None) {
                Py_XDECREF(m);
                return NULL;
            }
            PyObject *g = PyObject_CallMethod(m, "group", "i", 1);
            Py_DECREF(m);
            return g;
        }
    Py_ssize_t i = 0;
    if (n < 2 || p[0] != '/' || p[1] != '*')
        return NULL;
    i = 2;
    while (i < n && TSN_IS_SPACE[p[i]])
        i++;
    if (i >= n || p[i] != '.')
        return NULL;
    i++;
    Py_ssize_t g0 = i;
    if (i >= n || !(p[i] == '_' || (p[i] >= 'A' && p[i] <= 'Z') || (p[i] >= 'a' && p[i] <= 'z')))
        return NULL;
    while (i < n && TSN_IS_WORD[p[i]])
        i++;
    Py_ssize_t g1 = i;
    while (i < n && TSN_IS_SPACE[p[i]])
        i++;
    if (i < n && p[i] == '=')
        i++;
    while (i < n && TSN_IS_SPACE[p[i]])
        i++;
    if (i + 1 >= n || p[i] != '*' || p[i + 1] != '/')
        return NULL;
    i += 2;
    if (!(i == n || (i == n - 1 && p[i] == '\n')))
        return NULL;
    return PyUnicode_DecodeASCII((const char *)p + g0, g1 - g0, NULL);
}

/* a plain value: (line, col, func, _last_field(chain), jlist(chain), "=", text, wkind) */
static int value_row(St *s, TSNode value, PyObject *wkind) {
    const Ctx *c = s->c;
    Py_ssize_t sb = ts_node_start_byte(value), line = tsn_line(c, sb);
    PyObject *last = tsn_last_field(s->chain);
    PyObject *jl = last ? tsn_jlist(s->chain) : NULL;
    PyObject *text = jl ? tsn_node_text(c, value, MAX_TEXT) : NULL;
    if (text == NULL) {
        Py_XDECREF(last);
        Py_XDECREF(jl);
        return -1;
    }
    return tsn_append_new(s->assigns, Py_BuildValue("(nnONNONO)", line, tsn_col(c, line, sb), s->func,
                                                last, jl, s->k_eq, text, wkind));
}

static int initializer(St *s, TSNode value, int init, long level);

/* an item written with an initializer macro, `I(SrcNone, em_rdtsc)`: 1 when cx.init_macros
 * knows the callee (its arguments recorded as the members it sets), 0 when not */
static int macro_item(St *s, TSNode item, Py_ssize_t idx, long level) {
    const Ctx *c = s->c;
    TSNode fn = tsn_child(item, F_FUNCTION), args = tsn_child(item, F_ARGUMENTS);
    if (ts_node_is_null(fn))
        return 0;
    PyObject *name = tsn_node_name(c, fn);
    if (name == NULL)
        return -1;
    PyObject *sets = PyDict_GetItemWithError(s->init_macros, name);  /* (borrowed) */
    Py_DECREF(name);
    if (sets == NULL)
        return PyErr_Occurred() ? -1 : 0;
    Py_INCREF(sets);
    int r = -1, truth = PyObject_IsTrue(sets);
    Nodes kids = {NULL, 0, 0};
    PyObject *it = NULL, *e = NULL;
    if (truth <= 0 || ts_node_is_null(args)) {
        r = truth < 0 ? -1 : 0;
        goto done;
    }
    {
        Nodes all = {NULL, 0, 0};
        if (named_kids(args, &all) < 0) {
            PyMem_Free(all.p);
            goto done;
        }
        for (Py_ssize_t k = 0; k < all.n; k++)
            if (!tsn_is(all.p[k], "comment") && nodes_push(&kids, all.p[k]) < 0) {
                PyMem_Free(all.p);
                goto done;
            }
        PyMem_Free(all.p);
    }
    it = PyObject_GetIter(sets);
    if (it == NULL)
        goto done;
    while ((e = PyIter_Next(it)) != NULL) {
        PyObject *pair = PySequence_Tuple(e);
        Py_CLEAR(e);
        if (pair == NULL)
            goto done;
        if (PyTuple_GET_SIZE(pair) != 2) {
            PyErr_Format(PyExc_ValueError, "expected 2 values to unpack, got %zd",
                         PyTuple_GET_SIZE(pair));
            Py_DECREF(pair);
            goto done;
        }
        PyObject *path = PyTuple_GET_ITEM(pair, 0), *i_obj = PyTuple_GET_ITEM(pair, 1);
        PyObject *nk = PyLong_FromSsize_t(kids.n);
        int lt = nk ? PyObject_RichCompareBool(i_obj, nk, Py_LT) : -1;
        Py_XDECREF(nk);
        if (lt < 0) {
            Py_DECREF(pair);
            goto done;
        }
        if (lt) {
            Py_ssize_t i = PyNumber_AsSsize_t(i_obj, PyExc_IndexError);
            if (i == -1 && PyErr_Occurred()) {
                Py_DECREF(pair);
                goto done;
            }
            if (i < 0)
                i += kids.n;  /* (kids[i]: Python's negative indexes) */
            if (i < 0) {
                PyErr_SetString(PyExc_IndexError, "list index out of range");
                Py_DECREF(pair);
                goto done;
            }
            Py_ssize_t len = PyList_GET_SIZE(s->chain);
            int bad = push_new(s, PyUnicode_FromFormat("#%zd", idx));
            PyObject *pit = bad ? NULL : PyObject_GetIter(path);
            if (pit != NULL) {
                PyObject *step;
                while ((step = PyIter_Next(pit)) != NULL) {
                    if (!PyUnicode_Check(step)) {  /* (jlist's encoder takes str only) */
                        PyErr_Format(PyExc_TypeError, "first argument must be a string, "
                                     "not %.80s", Py_TYPE(step)->tp_name);
                        Py_DECREF(step);
                        break;
                    }
                    if (push_new(s, step) < 0)
                        break;
                }
                Py_DECREF(pit);
            }
            if (bad || pit == NULL || PyErr_Occurred() ||
                initializer(s, kids.p[i], 0, level + 1) < 0 || pop_to(s, len) < 0) {
                Py_DECREF(pair);
                goto done;
            }
        }
        Py_DECREF(pair);
    }
    if (PyErr_Occurred())
        goto done;
    r = 1;
done:
    Py_XDECREF(e);
    Py_XDECREF(it);
    PyMem_Free(kids.p);
    Py_DECREF(sets);
    return r;
}

/* a field id of the node's language (cached per language) */

/* `.a.b[1] = value`: the designator steps pushed on the chain, then the value (nothing
 * recorded without steps or value) */
static int pair_item(St *s, TSNode item, long level) {
    const Ctx *c = s->c;
    Py_ssize_t len = PyList_GET_SIZE(s->chain);
    int r = 0;
    TSFieldId want = tsn_field_id(item, F_DESIGNATOR);
    TSTreeCursor cur = ts_tree_cursor_new(item);
    if (want != 0 && ts_tree_cursor_goto_first_child(&cur)) {
        do {
            if (ts_tree_cursor_current_field_id(&cur) != want)
                continue;
            TSNode dz = ts_tree_cursor_current_node(&cur), named = dz;
            PyObject *step;
            if (tsn_is(dz, "field_designator") && tsn_named_children(dz, &named, 1) == 0) {
                step = s->k_q;
                Py_INCREF(step);
            } else if (tsn_is(dz, "field_designator") || tsn_is(dz, "field_identifier")) {
                step = tsn_node_name(c, named);
            } else {
                step = s->k_brackets;
                Py_INCREF(step);
            }
            if ((r = push_new(s, step)) < 0)
                break;
        } while (ts_tree_cursor_goto_next_sibling(&cur));
    }
    ts_tree_cursor_delete(&cur);
    if (r < 0)
        return -1;
    TSNode val = tsn_child(item, F_VALUE);
    if (!ts_node_is_null(val) && PyList_GET_SIZE(s->chain) > len &&
        initializer(s, val, 0, level + 1) < 0)
        return -1;
    return pop_to(s, len);
}

/* extract._number: a number literal (`12`, `'a'`, `-1`), an element of a data table */
static int number_item(TSNode item) {
    if (tsn_is(item, "unary_expression")) {
        TSNode arg = tsn_child(item, F_ARGUMENT);
        return !ts_node_is_null(arg) && tsn_is(arg, "number_literal");
    }
    return tsn_is(item, "number_literal") || tsn_is(item, "char_literal");
}

/* extract._initializer(cx, value, chain, func, "init" if init else "designated") at
 * recursion level `level` (0: the declaration's value; its caller sets numbers_left) */
static int initializer(St *s, TSNode value, int init, long level) {
    if (level > MAX_INIT_DEPTH)
        return 0;
    if (!tsn_is(value, "initializer_list")) {
        return value_row(s, value, init ? s->k_init : s->k_designated);
    }
    int r = 0;
    Py_ssize_t idx = 0;
    PyObject *said = NULL;  /* a designator written as a comment, `/\* .pfnConstruct = *\/` */
    TSTreeCursor cur = ts_tree_cursor_new(value);
    if (ts_tree_cursor_goto_first_child(&cur)) {
        do {
            TSNode item = ts_tree_cursor_current_node(&cur);
            if (!ts_node_is_named(item))
                continue;
            if (tsn_is(item, "comment")) {
                Py_CLEAR(said);
                said = comment_designator(s, item);
                if (said == NULL && PyErr_Occurred()) {
                    r = -1;
                    break;
                }
                continue;
            }
            int pair = tsn_is(item, "initializer_pair");
            if (said != NULL && !pair) {
                Py_ssize_t len = PyList_GET_SIZE(s->chain);
                if (PyList_Append(s->chain, said) < 0 ||
                    initializer(s, item, 0, level + 1) < 0 || pop_to(s, len) < 0) {
                    r = -1;
                    break;
                }
                Py_CLEAR(said);
                idx++;
                continue;
            }
            Py_CLEAR(said);
            if (tsn_is(item, "call_expression") && PyDict_GET_SIZE(s->init_macros) > 0) {
                int done = macro_item(s, item, idx, level);
                if (done < 0) {
                    r = -1;
                    break;
                }
                if (done) {
                    idx++;
                    continue;
                }
            }
            if (pair) {
                if (pair_item(s, item, level) < 0) {
                    r = -1;
                    break;
                }
            } else if (!number_item(item) || s->numbers_left-- > 0) {
                Py_ssize_t len = PyList_GET_SIZE(s->chain);
                if (push_new(s, PyUnicode_FromFormat("#%zd", idx)) < 0 ||
                    initializer(s, item, init, level + 1) < 0 || pop_to(s, len) < 0) {
                    r = -1;
                    break;
                }
            }
            idx++;
        } while (ts_tree_cursor_goto_next_sibling(&cur));
    }
    ts_tree_cursor_delete(&cur);
    Py_XDECREF(said);
    return r;
}

/* --- _macro_statement ----------------------------------------------------------------- */

/* `DECLARE_WORK(w, fn);` at file scope (a declaration to the grammar): a call. 1 when
 * recorded, 0 when the declaration is none, -1 on error. */
static int macro_statement(St *s, TSNode n, TSNode tnode) {
    const Ctx *c = s->c;
    Nodes args = {NULL, 0, 0}, sub = {NULL, 0, 0};
    TSNode name_node;
    PyObject *name = NULL, *texts = NULL;
    int r = -1;
    if (!ts_node_is_null(tnode) && tsn_is(tnode, "macro_type_specifier")) {
        name_node = tsn_child(tnode, F_NAME);
        Nodes kids = {NULL, 0, 0};
        if (named_kids(tnode, &kids) < 0) {
            PyMem_Free(kids.p);
            goto done;
        }
        for (Py_ssize_t i = 0; i < kids.n; i++) {
            if (tsn_is(kids.p[i], "type_descriptor")) {
                if (nodes_push(&args, kids.p[i]) < 0)
                    break;
            } else if (tsn_is(kids.p[i], "ERROR")) {
                sub.n = 0;
                if (named_kids(kids.p[i], &sub) < 0)
                    break;
                Py_ssize_t k;
                for (k = 0; k < sub.n; k++)
                    if (tsn_is(sub.p[k], "type_descriptor") && nodes_push(&args, sub.p[k]) < 0)
                        break;
                if (k < sub.n)
                    break;
            }
        }
        PyMem_Free(kids.p);
        if (PyErr_Occurred())
            goto done;
    } else if (ts_node_is_null(tnode)) {
        TSNode d = tsn_child(n, F_DECLARATOR);
        if (ts_node_is_null(d) || !tsn_is(d, "function_declarator")) {
            r = 0;
            goto done;
        }
        name_node = tsn_child(d, F_DECLARATOR);
        TSNode params = tsn_child(d, F_PARAMETERS);
        if (named_kids(params, &args) < 0)
            goto done;
        for (Py_ssize_t i = 0; i < args.n; i++)
            if (tsn_is(args.p[i], "parameter_declaration") &&
                !ts_node_is_null(tsn_child(args.p[i], F_DECLARATOR))) {
                r = 0;  /* a real (K&R-style) prototype */
                goto done;
            }
    } else {
        r = 0;
        goto done;
    }
    if (ts_node_is_null(name_node) || !tsn_is(name_node, "identifier")) {
        r = 0;
        goto done;
    }
    name = tsn_node_name(c, name_node);
    if (name == NULL)
        goto done;
    PyObject *up = PyObject_CallMethod(name, "isupper", NULL);
    int upper = up ? PyObject_IsTrue(up) : -1;
    Py_XDECREF(up);
    if (upper < 0)
        goto done;
    if (!upper) {
        Py_ssize_t at = PyUnicode_FindChar(name, '_', 0, PyUnicode_GET_LENGTH(name), 1);
        if (at == -2)
            goto done;
        if (at == -1) {
            r = 0;
            goto done;
        }
    }
    Py_ssize_t nb = ts_node_start_byte(name_node), line = tsn_line(c, nb);
    Py_ssize_t col = tsn_col(c, line, nb);
    texts = PyList_New(0);
    if (texts == NULL)
        goto done;
    for (Py_ssize_t i = 0; i < args.n; i++) {
        PyObject *t = tsn_node_text(c, args.p[i], 160);
        if (t == NULL || PyList_Append(texts, t) < 0) {
            Py_XDECREF(t);
            goto done;
        }
        Py_DECREF(t);
    }
    for (Py_ssize_t i = 0; i < args.n; i++) {
        if (tsn_is(args.p[i], "type_identifier") &&
            tsn_add_offset(s->macro_args, ts_node_start_byte(args.p[i])) < 0)
            goto done;
        sub.n = 0;
        if (named_kids(args.p[i], &sub) < 0)
            goto done;
        for (Py_ssize_t k = 0; k < sub.n; k++)
            if (tsn_is(sub.p[k], "type_identifier") &&
                tsn_add_offset(s->macro_args, ts_node_start_byte(sub.p[k])) < 0)
                goto done;
    }
    if (tsn_add_offset(s->decl, nb) < 0 || tsn_add_span(s->call_fn, name_node) < 0)
        goto done;
    PyObject *func = tsn_func_at(c, ts_node_start_byte(n));
    PyObject *jl = tsn_jlist(texts);
    if (jl == NULL)
        goto done;
    if (tsn_append_new(s->calls, Py_BuildValue("(nnOOsONnO)", line, col, func, name, "direct",
                                           Py_None, jl, tsn_line(c, ts_node_end_byte(n)),
                                           Py_None)) < 0)  /* (jl: stolen) */
        goto done;
    if (tsn_append_new(s->refs, Py_BuildValue("(Osnn" "OO)", name, "call", line, col, func,
                                          Py_None)) < 0)
        goto done;
    r = 1;
done:
    PyMem_Free(args.p);
    PyMem_Free(sub.p);
    Py_XDECREF(name);
    Py_XDECREF(texts);
    return r;
}

/* --- _declaration --------------------------------------------------------------------- */

/* one declarator `d` of a declaration (the loop body of extract._declaration) */
static int declarator(St *s, TSNode n, TSNode d, PyObject *base, int is_static, int is_extern,
                      PyObject *k_proto, PyObject *k_local, PyObject *k_extern,
                      PyObject *k_global, long sym_static) {
    const Ctx *c = s->c;
    int initd = tsn_is(d, "init_declarator");
    TSNode value = initd ? tsn_child(d, F_VALUE) : TSN_NULL;
    TSNode inner = initd ? tsn_child(d, F_DECLARATOR) : d;
    TSNode nm = tsn_declarator_name(inner);
    if (ts_node_is_null(nm))
        return 0;
    int r = -1;
    PyObject *name = tsn_node_name(c, nm), *st = NULL, *v = NULL;
    if (name == NULL)
        return -1;
    Py_ssize_t nb = ts_node_start_byte(nm), line = tsn_line(c, nb), col = tsn_col(c, line, nb);
    if (tsn_add_offset(s->decl, nb) < 0)
        goto done;
    TSNode fd = tsn_function_declarator(inner);
    if (tsn_add_param_names(s->decl, fd) < 0)
        goto done;
    int has_value = !ts_node_is_null(value);
    st = tsn_stars(inner);
    if (st == NULL)
        goto done;
    long flags = is_static ? sym_static : 0;
    if (!ts_node_is_null(fd) && !has_value &&
        PyUnicode_CompareWithASCIIString(st, "()") == 0 && !fn_pointer(fd)) {
        PyObject *text = tsn_node_text(c, n, 200);
        if (text == NULL)
            goto done;
        r = tsn_append_new(s->syms, Py_BuildValue("(OOnnnOOilN)", name, k_proto, line, col, line,
                                              c->empty, base, 0, flags, text));
        goto done;
    }
    PyObject *kind = PyUnicode_GET_LENGTH(s->func) ? k_local
                   : (is_extern && !has_value) ? k_extern : k_global;
    PyObject *type = PyUnicode_Concat(base, st);
    if (type == NULL)
        goto done;
    if (tsn_append_new(s->syms, Py_BuildValue("(OOnnnONilO)", name, kind, line, col, line, s->func,
                                          type, 0, flags, Py_None)) < 0)
        goto done;
    if (!has_value) {
        r = 0;
        goto done;
    }
    v = PyUnicode_FromFormat("v:%U", name);
    if (v == NULL)
        goto done;
    if (PyList_SetSlice(s->chain, 0, PyList_GET_SIZE(s->chain), NULL) < 0 ||
        PyList_Append(s->chain, v) < 0)
        goto done;
    s->numbers_left = MAX_INIT_NUMBERS;
    if (initializer(s, value, 1, 0) < 0)
        goto done;
    if (tsn_is(value, "initializer_list")) {
        Nodes kids = {NULL, 0, 0};
        if (named_kids(value, &kids) < 0) {
            PyMem_Free(kids.p);
            goto done;
        }
        int pairs = 0;
        for (Py_ssize_t i = 0; i < kids.n && !pairs; i++)
            pairs = tsn_is(kids.p[i], "initializer_pair");
        PyMem_Free(kids.p);
        if (!pairs) {  /* `= { 0 }` / positional: the whole object is initialised */
            PyObject *one = PyList_New(1);
            if (one == NULL)
                goto done;
            Py_INCREF(v);
            PyList_SET_ITEM(one, 0, v);
            PyObject *jl = tsn_jlist(one);
            Py_DECREF(one);
            PyObject *text = jl ? tsn_node_text(c, value, MAX_TEXT) : NULL;
            if (text == NULL) {
                Py_XDECREF(jl);
                goto done;
            }
            Py_ssize_t vb = ts_node_start_byte(value), vl = tsn_line(c, vb);
            if (tsn_append_new(s->assigns, Py_BuildValue("(nnOONONO)", vl, tsn_col(c, vl, vb),
                                                     s->func, name, jl, s->k_eq, text,
                                                     s->k_init)) < 0)
                goto done;
        }
    }
    r = 0;
done:
    Py_XDECREF(v);
    Py_XDECREF(st);
    Py_DECREF(name);
    return r;
}

static int declaration(St *s, TSNode n, PyObject *k_proto, PyObject *k_local,
                       PyObject *k_extern, PyObject *k_global, long sym_static) {
    const Ctx *c = s->c;
    s->func = tsn_func_at(c, ts_node_start_byte(n));
    TSNode tnode = tsn_child(n, F_TYPE);
    if (PyUnicode_GET_LENGTH(s->func) == 0) {
        int done = macro_statement(s, n, tnode);
        if (done)
            return done < 0 ? -1 : 0;
    }
    PyObject *base = tsn_base_type(c, tnode, s->sn);
    if (base == NULL)
        return -1;
    int is_static = 0, is_extern = 0, r = 0;
    TSTreeCursor cur = ts_tree_cursor_new(n);
    if (ts_tree_cursor_goto_first_child(&cur)) {
        do {
            TSNode ch = ts_tree_cursor_current_node(&cur);
            if (tsn_is(ch, "storage_class_specifier")) {
                is_static |= tsn_name_is(c, ch, "static");
                is_extern |= tsn_name_is(c, ch, "extern");
            }
        } while (ts_tree_cursor_goto_next_sibling(&cur));
    }
    ts_tree_cursor_reset(&cur, n);
    TSFieldId want = tsn_field_id(n, F_DECLARATOR);
    if (want != 0 && ts_tree_cursor_goto_first_child(&cur)) {
        do {
            if (ts_tree_cursor_current_field_id(&cur) != want)
                continue;
            if ((r = declarator(s, n, ts_tree_cursor_current_node(&cur), base, is_static,
                                is_extern, k_proto, k_local, k_extern, k_global,
                                sym_static)) < 0)
                break;
        } while (ts_tree_cursor_goto_next_sibling(&cur));
    }
    ts_tree_cursor_delete(&cur);
    Py_DECREF(base);
    return r;
}

/* declarations(nodes, ctx, struct_names, init_macros, decl_names, macro_args, call_fn_nodes,
 *              comment_designator, sym_static) -> (syms, calls, refs, assigns)
 *
 * The declarations of the file (capture `decl`), in order: per node, what
 * extract._declaration(cx, node) records: the symbols (prototype, local, global, extern),
 * the writes of initializers (kinds init / designated, and the whole-object `init` row of
 * a list without designators), and for a file-scope macro statement the call and its
 * reference; the offsets and spans it adds to cx.decl_names, cx.macro_args and
 * cx.call_fn_nodes are added to the sets given. `comment_designator`: the compiled
 * extract._COMMENT_DESIGNATOR (matched here on ASCII texts, through it on others). */
PyObject *tsn_declarations(PyObject *Py_UNUSED(mod), PyObject *args) {
    PyObject *nodes;
    long sym_static;
    St s;
    memset(&s, 0, sizeof s);
    if (!PyArg_ParseTuple(args, "O!O!O!O!O!O!O!Ol", &PyList_Type, &nodes, &TSN_CtxType, &s.c,
                          &PyDict_Type, &s.sn, &PyDict_Type, &s.init_macros, &PySet_Type,
                          &s.decl, &PySet_Type, &s.macro_args, &PySet_Type, &s.call_fn,
                          &s.comment_re, &sym_static))
        return NULL;
    PyObject *out = NULL;
    PyObject *k_proto = PyUnicode_FromString("prototype"), *k_local = PyUnicode_FromString("local");
    PyObject *k_extern = PyUnicode_FromString("extern");
    PyObject *k_global = PyUnicode_FromString("global");
    s.syms = PyList_New(0);
    s.calls = PyList_New(0);
    s.refs = PyList_New(0);
    s.assigns = PyList_New(0);
    s.chain = PyList_New(0);
    s.k_eq = PyUnicode_FromString("=");
    s.k_init = PyUnicode_FromString("init");
    s.k_designated = PyUnicode_FromString("designated");
    s.k_brackets = PyUnicode_FromString("[]");
    s.k_q = PyUnicode_FromString("?");
    if (!k_proto || !k_local || !k_extern || !k_global || !s.syms || !s.calls || !s.refs ||
        !s.assigns || !s.chain || !s.k_eq || !s.k_init || !s.k_designated || !s.k_brackets ||
        !s.k_q)
        goto done;
    for (Py_ssize_t i = 0; i < PyList_GET_SIZE(nodes); i++) {
        TSNode n;
        if (tsn_node(PyList_GET_ITEM(nodes, i), &n) < 0 ||
            declaration(&s, n, k_proto, k_local, k_extern, k_global, sym_static) < 0)
            goto done;
    }
    out = PyTuple_Pack(4, s.syms, s.calls, s.refs, s.assigns);
done:
    Py_XDECREF(k_proto);
    Py_XDECREF(k_local);
    Py_XDECREF(k_extern);
    Py_XDECREF(k_global);
    Py_XDECREF(s.syms);
    Py_XDECREF(s.calls);
    Py_XDECREF(s.refs);
    Py_XDECREF(s.assigns);
    Py_XDECREF(s.chain);
    Py_XDECREF(s.k_eq);
    Py_XDECREF(s.k_init);
    Py_XDECREF(s.k_designated);
    Py_XDECREF(s.k_brackets);
    Py_XDECREF(s.k_q);
    return out;
}
