/* The declaration passes: function definitions (extract._functions, with _params and
 * _macro_arg_name), struct/union/class bodies (_structs), typedefs (_typedef), members
 * (_field_decl) and enums (_enum).
 *
 * Each takes the nodes of its capture and the dicts / sets of extract._Ctx it fills
 * (decl_names, struct_names, field_counts, fn_sym_at are updated in place) and returns the
 * symbols (and references) its Python twin appends, in the same order. */
#include "_tsnative.h"
#include <string.h>



/* extract._return_stars: the `*`s of the pointer declarators above the function
 * declarator (a new str) */
static PyObject *return_stars(TSNode node) {
    Py_ssize_t n = 0;
    while (!ts_node_is_null(node) && tsn_is_one_of(node, DECLARATOR_WRAPPERS)) {
        if (tsn_is(node, "pointer_declarator") || tsn_is(node, "abstract_pointer_declarator"))
            n++;
        TSNode nxt = tsn_child(node, F_DECLARATOR);
        if (ts_node_is_null(nxt) && ts_node_named_child_count(node) > 0)
            nxt = ts_node_named_child(node, 0);
        node = nxt;
    }
    PyObject *star = PyUnicode_FromString("*");
    PyObject *out = star ? PySequence_Repeat(star, n) : NULL;
    Py_XDECREF(star);
    return out;
}

/* _base_type(t) + suffix (a new str; steals `suffix`) */
static PyObject *type_plus(const Ctx *c, TSNode t, PyObject *sn, PyObject *suffix) {
    if (suffix == NULL)
        return NULL;
    PyObject *base = tsn_base_type(c, t, sn);
    PyObject *out = base ? PyUnicode_Concat(base, suffix) : NULL;
    Py_XDECREF(base);
    Py_DECREF(suffix);
    return out;
}

static int add_sym(PyObject *syms, PyObject *name, PyObject *kind, Py_ssize_t line,
                   Py_ssize_t col, Py_ssize_t eline, PyObject *scope, PyObject *type,
                   Py_ssize_t pos, long flags, PyObject *text) {
    return tsn_append_new(syms, Py_BuildValue("(OOnnnOOnlO)", name, kind, line, col, eline,
                                              scope, type, pos, flags, text));
}

/* Does any child of n (node.children) have type `type` and the name `word`? */
static int has_child_word(const Ctx *c, TSNode n, const char *type, const char *word) {
    int found = 0;
    TSTreeCursor cur = ts_tree_cursor_new(n);
    if (ts_tree_cursor_goto_first_child(&cur)) {
        do {
            TSNode ch = ts_tree_cursor_current_node(&cur);
            if (strcmp(ts_node_type(ch), type) == 0 && tsn_name_is(c, ch, word)) {
                found = 1;
                break;
            }
        } while (ts_tree_cursor_goto_next_sibling(&cur));
    }
    ts_tree_cursor_delete(&cur);
    return found;
}

/* The children of n in field `field` (node.children_by_field_name): a PyMem array (freed
 * by the caller), *count set; NULL with an exception when out of memory. */
static TSNode *children_by(TSNode n, int field, Py_ssize_t *count) {
    Py_ssize_t max = (Py_ssize_t)ts_node_child_count(n) + 1;
    for (;;) {
        TSNode *out = PyMem_Malloc(sizeof(TSNode) * max);
        if (out == NULL) {
            PyErr_NoMemory();
            return NULL;
        }
        *count = tsn_children_by(n, field, out, max);
        if (*count < max)
            return out;
        PyMem_Free(out);  /* (full: there may be more) */
        max *= 2;
    }
}

/* The node list argument of a pass as a fast sequence (a new reference) */
static PyObject *node_seq(PyObject *nodes) {
    return PySequence_Fast(nodes, "a sequence of nodes was expected");
}

/* --- functions ---------------------------------------------------------------------------- */

typedef struct {
    const Ctx *c;
    PyObject *sn, *decl, *syms;
    PyObject *k_param;
} Env;

/* extract._params */
static int params(Env *e, TSNode ps, PyObject *fname) {
    const Ctx *c = e->c;
    Py_ssize_t pos = 0;
    int err = 0;
    TSTreeCursor cur = ts_tree_cursor_new(ps);
    if (ts_tree_cursor_goto_first_child(&cur)) {
        do {
            TSNode p = ts_tree_cursor_current_node(&cur);
            if (!ts_node_is_named(p))
                continue;
            const char *t = ts_node_type(p);
            if (strcmp(t, "parameter_declaration") != 0 &&
                strcmp(t, "optional_parameter_declaration") != 0)
                continue;
            TSNode d = tsn_child(p, F_DECLARATOR);
            TSNode nm = ts_node_is_null(d) ? TSN_NULL : tsn_declarator_name(d);
            if (!ts_node_is_null(nm)) {
                if (tsn_add_offset(e->decl, ts_node_start_byte(nm)) < 0) {
                    err = 1;
                    break;
                }
                Py_ssize_t sb = ts_node_start_byte(nm), line = tsn_line(c, sb);
                PyObject *ptype = type_plus(c, tsn_child(p, F_TYPE), e->sn, tsn_stars(d));
                if (ptype == NULL) {
                    err = 1;
                    break;
                }
                int cnst = has_child_word(c, p, "type_qualifier", "const");
                Py_ssize_t star = cnst ? PyUnicode_FindChar(ptype, '*', 0,
                                                            PyUnicode_GET_LENGTH(ptype), 1) : -1;
                if (star == -2) {
                    Py_DECREF(ptype);
                    err = 1;
                    break;
                }
                PyObject *name = tsn_node_name(c, nm);
                int r = name ? add_sym(e->syms, name, e->k_param, line, tsn_col(c, line, sb), line,
                                       fname, ptype, pos, star >= 0 ? 2 : 0, Py_None) : -1;
                Py_XDECREF(name);
                Py_DECREF(ptype);
                if (r < 0) {
                    err = 1;
                    break;
                }
            }
            pos++;
        } while (ts_tree_cursor_goto_next_sibling(&cur));
    }
    ts_tree_cursor_delete(&cur);
    return err ? -1 : 0;
}

/* extract._macro_arg_name (a new str) */
static PyObject *macro_arg_name(const Ctx *c, TSNode ps, PyObject *index_obj) {
    Py_ssize_t index = PyNumber_AsSsize_t(index_obj, NULL);  /* (clamped: out of range) */
    if (index == -1 && PyErr_Occurred())
        return NULL;
    Py_ssize_t count = 0;
    TSTreeCursor cur = ts_tree_cursor_new(ps);
    if (ts_tree_cursor_goto_first_child(&cur)) {
        do {
            TSNode ch = ts_tree_cursor_current_node(&cur);
            if (ts_node_is_named(ch) && strcmp(ts_node_type(ch), "comment") != 0)
                count++;
        } while (ts_tree_cursor_goto_next_sibling(&cur));
    }
    ts_tree_cursor_delete(&cur);
    if (index >= count)
        return PyUnicode_FromString("");
    if (index < 0)
        index += count;  /* (Python's negative index) */
    if (index < 0) {
        PyErr_SetString(PyExc_IndexError, "list index out of range");
        return NULL;
    }
    TSNode a = TSN_NULL;
    Py_ssize_t i = 0;
    cur = ts_tree_cursor_new(ps);
    if (ts_tree_cursor_goto_first_child(&cur)) {
        do {
            TSNode ch = ts_tree_cursor_current_node(&cur);
            if (ts_node_is_named(ch) && strcmp(ts_node_type(ch), "comment") != 0 && i++ == index) {
                a = ch;
                break;
            }
        } while (ts_tree_cursor_goto_next_sibling(&cur));
    }
    ts_tree_cursor_delete(&cur);
    TSNode nm = a;
    if (!tsn_is_one_of(a, NAME_TYPES)) {
        TSNode d = tsn_child(a, F_DECLARATOR);
        nm = ts_node_is_null(d) ? tsn_child(a, F_TYPE) : tsn_declarator_name(d);
    }
    return ts_node_is_null(nm) ? PyUnicode_FromString("") : tsn_node_name(c, nm);
}

typedef struct {
    Py_ssize_t start, end, index;
} Span;

static int span_cmp(const void *x, const void *y) {
    const Span *a = x, *b = y;
    if (a->start != b->start)
        return a->start < b->start ? -1 : 1;
    return a->index < b->index ? -1 : a->index > b->index;
}

/* One function_definition; appends its span to `spans` (*nspans) and name to `names`. */
static int function(Env *e, TSNode n, PyObject *fn_arg, PyObject *sym_at, Py_ssize_t nsyms,
                    long sym_static, PyObject *refs, int *macro_fn, Span *spans,
                    Py_ssize_t *nspans, PyObject *names, PyObject *k_function,
                    PyObject *k_macro) {
    const Ctx *c = e->c;
    TSNode decl = tsn_child(n, F_DECLARATOR);
    TSNode fd = tsn_function_declarator(decl);
    if (ts_node_is_null(fd))
        return 0;
    TSNode nm = tsn_declarator_name(tsn_child(fd, F_DECLARATOR));
    if (ts_node_is_null(nm))
        return 0;
    int ret = -1;
    PyObject *name = tsn_node_name(c, nm), *scope = c->empty, *arg = NULL, *real = NULL;
    PyObject *rtype = NULL, *st = NULL, *text = NULL, *key = NULL, *at = NULL;
    Py_INCREF(scope);
    if (name == NULL)
        goto done;
    TSNode ps = tsn_child(fd, F_PARAMETERS);
    if (strcmp(ts_node_type(nm), "qualified_identifier") == 0) {
        TSNode inner = tsn_child(nm, F_NAME), sc = tsn_child(nm, F_SCOPE);
        if (!ts_node_is_null(sc)) {
            Py_SETREF(scope, tsn_node_name(c, sc));
            if (scope == NULL)
                goto done;
        }
        if (!ts_node_is_null(inner)) {
            Py_SETREF(name, tsn_node_name(c, inner));
            if (name == NULL)
                goto done;
        }
    }
    Py_ssize_t sb = ts_node_start_byte(nm), line = tsn_line(c, sb), col = tsn_col(c, line, sb);
    int has_arg = 0;
    if (fn_arg != Py_None) {
        arg = PyObject_CallOneArg(fn_arg, name);
        if (arg == NULL)
            goto done;
        has_arg = arg != Py_None;
    }
    if (has_arg && !ts_node_is_null(ps)) {
        real = macro_arg_name(c, ps, arg);
        if (real == NULL)
            goto done;
        if (PyUnicode_GET_LENGTH(real) > 0) {
            *macro_fn = 1;
            PyObject *row = Py_BuildValue("(OOnnOO)", name, k_macro, line, col, real, Py_None);
            if (row == NULL || PyList_Append(refs, row) < 0) {
                Py_XDECREF(row);
                goto done;
            }
            Py_DECREF(row);
            Py_INCREF(real);
            Py_SETREF(name, real);
        }
    }
    if (tsn_add_offset(e->decl, ts_node_start_byte(nm)) < 0)
        goto done;
    int is_static = has_child_word(c, n, "storage_class_specifier", "static");
    st = return_stars(decl);
    if (st == NULL)
        goto done;
    Py_INCREF(st);  /* (type_plus steals it; `st` is released at done) */
    rtype = type_plus(c, tsn_child(n, F_TYPE), e->sn, st);
    if (rtype == NULL)
        goto done;
    key = PyLong_FromSsize_t(sb);
    at = PyLong_FromSsize_t(nsyms + PyList_GET_SIZE(e->syms));
    if (key == NULL || at == NULL || PyDict_SetItem(sym_at, key, at) < 0)
        goto done;
    text = tsn_node_text(c, fd, 200);
    if (text == NULL ||
        add_sym(e->syms, name, k_function, line, col, tsn_line(c, ts_node_end_byte(n)), scope,
                rtype, 0, is_static ? sym_static : 0, text) < 0)
        goto done;
    spans[*nspans].start = ts_node_start_byte(n);
    spans[*nspans].end = ts_node_end_byte(n);
    spans[*nspans].index = *nspans;
    (*nspans)++;
    if (PyList_Append(names, name) < 0)
        goto done;
    if (!ts_node_is_null(ps) && !has_arg && params(e, ps, name) < 0)
        goto done;
    ret = 0;
done:
    Py_XDECREF(name);
    Py_XDECREF(scope);
    Py_XDECREF(arg);
    Py_XDECREF(real);
    Py_XDECREF(rtype);
    Py_XDECREF(st);
    Py_XDECREF(text);
    Py_XDECREF(key);
    Py_XDECREF(at);
    return ret;
}

/* functions(nodes, ctx, struct_names, function_name_arg, decl_names, fn_sym_at, nsyms,
 *           SYM_STATIC) -> (syms, refs, fstarts, fends, fnames, macro_fn)
 *
 * extract._functions over the function_definition nodes (capture `func`):
 * `function_name_arg` is the profile's bound method (or None); the name offsets go into
 * decl_names, fn_sym_at maps them to the symbol's index in cx.f.syms (which holds `nsyms`
 * before this pass's). The spans come sorted by start (a stable sort, as Python's). */
PyObject *tsn_functions(PyObject *Py_UNUSED(mod), PyObject *args) {
    PyObject *nodes_in, *sn, *fn_arg, *decl, *sym_at;
    Ctx *c;
    Py_ssize_t nsyms;
    long sym_static;
    if (!PyArg_ParseTuple(args, "OO!O!OO!O!nl", &nodes_in, &TSN_CtxType, &c, &PyDict_Type, &sn,
                          &fn_arg, &PySet_Type, &decl, &PyDict_Type, &sym_at, &nsyms,
                          &sym_static))
        return NULL;
    PyObject *nodes = node_seq(nodes_in);
    if (nodes == NULL)
        return NULL;
    Py_ssize_t count = PySequence_Fast_GET_SIZE(nodes), nspans = 0;
    Span *spans = PyMem_Malloc(sizeof(Span) * (count ? count : 1));
    PyObject *syms = PyList_New(0), *refs = PyList_New(0), *names = PyList_New(0);
    PyObject *k_function = PyUnicode_FromString("function"), *k_macro = PyUnicode_FromString("macro");
    PyObject *k_param = PyUnicode_FromString("param");
    PyObject *starts = NULL, *ends = NULL, *snames = NULL, *out = NULL;
    int macro_fn = 0;
    if (spans == NULL) {
        PyErr_NoMemory();
        goto done;
    }
    if (!syms || !refs || !names || !k_function || !k_macro || !k_param)
        goto done;
    Env e = {c, sn, decl, syms, k_param};
    for (Py_ssize_t i = 0; i < count; i++) {
        TSNode n;
        if (tsn_node(PySequence_Fast_GET_ITEM(nodes, i), &n) < 0)
            goto done;
        if (function(&e, n, fn_arg, sym_at, nsyms, sym_static, refs, &macro_fn, spans, &nspans,
                     names, k_function, k_macro) < 0)
            goto done;
    }
    qsort(spans, nspans, sizeof(Span), span_cmp);
    starts = PyList_New(nspans);
    ends = PyList_New(nspans);
    snames = PyList_New(nspans);
    if (!starts || !ends || !snames)
        goto done;
    for (Py_ssize_t i = 0; i < nspans; i++) {
        PyObject *a = PyLong_FromSsize_t(spans[i].start), *b = PyLong_FromSsize_t(spans[i].end);
        if (a == NULL || b == NULL) {
            Py_XDECREF(a);
            Py_XDECREF(b);
            goto done;
        }
        PyList_SET_ITEM(starts, i, a);
        PyList_SET_ITEM(ends, i, b);
        PyObject *nm = PyList_GET_ITEM(names, spans[i].index);
        Py_INCREF(nm);
        PyList_SET_ITEM(snames, i, nm);
    }
    out = Py_BuildValue("(OOOOOO)", syms, refs, starts, ends, snames,
                        macro_fn ? Py_True : Py_False);
done:
    PyMem_Free(spans);
    Py_DECREF(nodes);
    Py_XDECREF(syms);
    Py_XDECREF(refs);
    Py_XDECREF(names);
    Py_XDECREF(k_function);
    Py_XDECREF(k_macro);
    Py_XDECREF(k_param);
    Py_XDECREF(starts);
    Py_XDECREF(ends);
    Py_XDECREF(snames);
    return out;
}

/* --- types -------------------------------------------------------------------------------- */

/* n.id as extract._Ctx.struct_names keys it */
static PyObject *node_id(TSNode n) {
    return PyLong_FromVoidPtr((void *)n.id);
}

/* The node a member declaration belongs to: its parent, above any preproc_* (fields under
 * #ifdef inside a body); null when there is none. */
static TSNode owner_body(TSNode n) {
    TSNode b = ts_node_parent(n);
    while (!ts_node_is_null(b) && strncmp(ts_node_type(b), "preproc_", 8) == 0)
        b = ts_node_parent(b);
    return b;
}

/* struct_names.get(id of n) (a borrowed reference; NULL when absent, or with an error) */
static PyObject *struct_name_of(PyObject *sn, TSNode n) {
    PyObject *id = node_id(n);
    if (id == NULL)
        return NULL;
    PyObject *got = PyDict_GetItemWithError(sn, id);
    Py_DECREF(id);
    return got;
}

static int set_struct_name(PyObject *sn, TSNode n, PyObject *name) {
    PyObject *id = node_id(n);
    if (id == NULL)
        return -1;
    int r = PyDict_SetItem(sn, id, name);
    Py_DECREF(id);
    return r;
}

/* The name _structs gives a struct/union/class node (a new str). */
static PyObject *struct_name(const Ctx *c, TSNode n, TSNode nm, TSNode parent, PyObject *sn,
                             PyObject *decl) {
    if (!ts_node_is_null(nm)) {
        PyObject *name;
        TSNode inner = tsn_is(nm, "qualified_identifier") ? tsn_child(nm, F_NAME) : TSN_NULL;
        name = tsn_node_name(c, ts_node_is_null(inner) ? nm : inner);
        if (name != NULL && tsn_add_offset(decl, ts_node_start_byte(nm)) < 0)
            Py_CLEAR(name);
        return name;
    }
    if (tsn_is(parent, "type_definition")) {
        Py_ssize_t k;
        TSNode *ds = children_by(parent, F_DECLARATOR, &k);
        if (ds == NULL)
            return NULL;
        TSNode td = TSN_NULL;
        for (Py_ssize_t i = 0; i < k; i++)
            if (strcmp(ts_node_type(ds[i]), "type_identifier") == 0) {
                td = ds[i];
                break;
            }
        PyMem_Free(ds);
        if (!ts_node_is_null(td))
            return tsn_node_name(c, td);
    } else if (tsn_is(parent, "field_declaration")) {
        TSNode body = owner_body(parent);
        PyObject *owner = NULL;
        if (!ts_node_is_null(body)) {
            owner = struct_name_of(sn, body);
            if (owner == NULL && PyErr_Occurred())
                return NULL;
        }
        if (owner == NULL) {
            owner = PyUnicode_FromString("?");
            if (owner == NULL)
                return NULL;
        } else {
            Py_INCREF(owner);
        }
        TSNode d = tsn_child(parent, F_DECLARATOR);
        TSNode fnm = ts_node_is_null(d) ? TSN_NULL : tsn_declarator_name(d);
        if (ts_node_is_null(fnm))
            return owner;
        PyObject *f = tsn_node_name(c, fnm);
        PyObject *out = f ? PyUnicode_FromFormat("%U::%U", owner, f) : NULL;
        Py_XDECREF(f);
        Py_DECREF(owner);
        return out;
    }
    Py_ssize_t sb = ts_node_start_byte(n);
    return PyUnicode_FromFormat("(anonymous@%zd)", tsn_line(c, sb));
}

/* One struct/union/class specifier with a body (_structs' loop body). */
static int one_struct(const Ctx *c, TSNode n, PyObject *sn, PyObject *decl, PyObject *syms,
                      PyObject *k_base) {
    TSNode nm = tsn_child(n, F_NAME), parent = ts_node_parent(n);
    PyObject *name = struct_name(c, n, nm, parent, sn, decl), *kind = NULL;
    int ret = -1;
    if (name == NULL)
        return -1;
    if (set_struct_name(sn, n, name) < 0)
        goto done;
    TSNode body = tsn_child(n, F_BODY);
    if (!ts_node_is_null(body) && set_struct_name(sn, body, name) < 0)
        goto done;
    int err = 0;
    TSTreeCursor kids = ts_tree_cursor_new(n);
    if (ts_tree_cursor_goto_first_child(&kids)) {
        do {
            TSNode ch = ts_tree_cursor_current_node(&kids);
            if (strcmp(ts_node_type(ch), "base_class_clause") != 0)
                continue;
            TSTreeCursor cur = ts_tree_cursor_new(ch);
            if (ts_tree_cursor_goto_first_child(&cur)) {
                do {
                    TSNode b = ts_tree_cursor_current_node(&cur);
                    if (!ts_node_is_named(b))
                        continue;
                    const char *t = ts_node_type(b);
                    if (strcmp(t, "type_identifier") != 0 &&
                        strcmp(t, "qualified_identifier") != 0 && strcmp(t, "template_type") != 0)
                        continue;
                    Py_ssize_t sb = ts_node_start_byte(b), line = tsn_line(c, sb);
                    PyObject *bt = tsn_base_type(c, b, sn);
                    int r = bt ? add_sym(syms, bt, k_base, line, tsn_col(c, line, sb), line,
                                         name, Py_None, 0, 0, Py_None) : -1;
                    Py_XDECREF(bt);
                    if (r < 0) {
                        err = 1;
                        break;
                    }
                } while (ts_tree_cursor_goto_next_sibling(&cur));
            }
            ts_tree_cursor_delete(&cur);
        } while (!err && ts_tree_cursor_goto_next_sibling(&kids));
    }
    ts_tree_cursor_delete(&kids);
    if (err)
        goto done;
    /* (an unnamed union a variable is declared with, `union { PFNRT pfn; ... } u;`: its
     * members alias each other, which the queries can tell only from its kind) */
    if (!ts_node_is_null(nm) || tsn_is(parent, "type_definition") ||
        (tsn_is(n, "union_specifier") && tsn_is(parent, "declaration"))) {
        const char *t = ts_node_type(n), *us = strchr(t, '_');
        kind = PyUnicode_FromStringAndSize(t, us ? us - t : (Py_ssize_t)strlen(t));
        if (kind == NULL)
            goto done;
        Py_ssize_t sb = ts_node_start_byte(ts_node_is_null(nm) ? n : nm), line = tsn_line(c, sb);
        if (add_sym(syms, name, kind, line, tsn_col(c, line, sb),
                    tsn_line(c, ts_node_end_byte(n)), c->empty, Py_None, 0, 0, Py_None) < 0)
            goto done;
    }
    ret = 0;
done:
    Py_DECREF(name);
    Py_XDECREF(kind);
    return ret;
}

typedef struct {
    TSNode node;
    Py_ssize_t index;
} Ordered;

static int doc_cmp(const void *x, const void *y) {
    const Ordered *a = x, *b = y;
    uint32_t as = ts_node_start_byte(a->node), bs = ts_node_start_byte(b->node);
    if (as != bs)
        return as < bs ? -1 : 1;
    uint32_t ae = ts_node_end_byte(a->node), be = ts_node_end_byte(b->node);
    if (ae != be)
        return ae > be ? -1 : 1;  /* (outer first) */
    return a->index < b->index ? -1 : a->index > b->index;
}

/* structs(nodes, ctx, struct_names, decl_names) -> syms
 *
 * extract._structs over the struct/union/class specifiers with a body (capture `struct`),
 * in document order (outer first): every one and its body get a name in struct_names
 * (keyed by node id); base classes and named / typedef'd types are symbols. */
PyObject *tsn_structs(PyObject *Py_UNUSED(mod), PyObject *args) {
    PyObject *nodes_in, *sn, *decl;
    Ctx *c;
    if (!PyArg_ParseTuple(args, "OO!O!O!", &nodes_in, &TSN_CtxType, &c, &PyDict_Type, &sn,
                          &PySet_Type, &decl))
        return NULL;
    PyObject *nodes = node_seq(nodes_in);
    if (nodes == NULL)
        return NULL;
    Py_ssize_t count = PySequence_Fast_GET_SIZE(nodes);
    Ordered *order = PyMem_Malloc(sizeof(Ordered) * (count ? count : 1));
    PyObject *syms = PyList_New(0), *k_base = PyUnicode_FromString("base"), *out = NULL;
    if (order == NULL) {
        PyErr_NoMemory();
        goto done;
    }
    if (!syms || !k_base)
        goto done;
    for (Py_ssize_t i = 0; i < count; i++) {
        if (tsn_node(PySequence_Fast_GET_ITEM(nodes, i), &order[i].node) < 0)
            goto done;
        order[i].index = i;
    }
    qsort(order, count, sizeof(Ordered), doc_cmp);
    for (Py_ssize_t i = 0; i < count; i++)
        if (one_struct(c, order[i].node, sn, decl, syms, k_base) < 0)
            goto done;
    out = syms;
    Py_INCREF(out);
done:
    PyMem_Free(order);
    Py_DECREF(nodes);
    Py_XDECREF(syms);
    Py_XDECREF(k_base);
    return out;
}

/* The declarators of a typedef or member declaration: one symbol each (name, kind, line,
 * col, line, scope, base + stars, pos, 0, text); `text` is computed once, when needed
 * (`text_node` null: None). */
static int declarators(const Ctx *c, TSNode n, PyObject *base, PyObject *kind, PyObject *scope,
                       Py_ssize_t pos, TSNode text_node, Py_ssize_t text_limit, PyObject *decl,
                       PyObject *syms) {
    Py_ssize_t k;
    TSNode *ds = children_by(n, F_DECLARATOR, &k);
    if (ds == NULL)
        return -1;
    PyObject *text = NULL;
    int ret = -1;
    for (Py_ssize_t i = 0; i < k; i++) {
        TSNode nm = tsn_declarator_name(ds[i]);
        if (ts_node_is_null(nm))
            continue;
        if (tsn_add_offset(decl, ts_node_start_byte(nm)) < 0 ||
            tsn_add_param_names(decl, tsn_function_declarator(ds[i])) < 0)
            goto done;
        if (text == NULL) {
            text = ts_node_is_null(text_node) ? Py_NewRef(Py_None)
                                              : tsn_node_text(c, text_node, text_limit);
            if (text == NULL)
                goto done;
        }
        Py_ssize_t sb = ts_node_start_byte(nm), line = tsn_line(c, sb);
        PyObject *st = tsn_stars(ds[i]);
        PyObject *full = st ? PyUnicode_Concat(base, st) : NULL;
        Py_XDECREF(st);
        PyObject *name = full ? tsn_node_name(c, nm) : NULL;
        int r = name ? add_sym(syms, name, kind, line, tsn_col(c, line, sb), line, scope, full,
                               pos, 0, text) : -1;
        Py_XDECREF(name);
        Py_XDECREF(full);
        if (r < 0)
            goto done;
    }
    ret = 0;
done:
    PyMem_Free(ds);
    Py_XDECREF(text);
    return ret;
}

/* typedefs(nodes, ctx, struct_names, decl_names) -> syms: extract._typedef of each
 * type_definition (capture `typedef`). */
PyObject *tsn_typedefs(PyObject *Py_UNUSED(mod), PyObject *args) {
    PyObject *nodes_in, *sn, *decl;
    Ctx *c;
    if (!PyArg_ParseTuple(args, "OO!O!O!", &nodes_in, &TSN_CtxType, &c, &PyDict_Type, &sn,
                          &PySet_Type, &decl))
        return NULL;
    PyObject *nodes = node_seq(nodes_in);
    if (nodes == NULL)
        return NULL;
    PyObject *syms = PyList_New(0), *kind = PyUnicode_FromString("typedef"), *out = NULL;
    if (!syms || !kind)
        goto done;
    for (Py_ssize_t i = 0; i < PySequence_Fast_GET_SIZE(nodes); i++) {
        TSNode n;
        if (tsn_node(PySequence_Fast_GET_ITEM(nodes, i), &n) < 0)
            goto done;
        PyObject *base = tsn_base_type(c, tsn_child(n, F_TYPE), sn);
        if (base == NULL)
            goto done;
        int r = declarators(c, n, base, kind, c->empty, 0, n, 160, decl, syms);
        Py_DECREF(base);
        if (r < 0)
            goto done;
    }
    out = syms;
    Py_INCREF(out);
done:
    Py_DECREF(nodes);
    Py_XDECREF(syms);
    Py_XDECREF(kind);
    return out;
}

/* field_decls(nodes, ctx, struct_names, field_counts, decl_names) -> syms: extract._field_decl
 * of each field_declaration (capture `fdecl`, in document order) whose body has a name in
 * struct_names; its position is counted per owner in field_counts. */
PyObject *tsn_field_decls(PyObject *Py_UNUSED(mod), PyObject *args) {
    PyObject *nodes_in, *sn, *counts, *decl;
    Ctx *c;
    if (!PyArg_ParseTuple(args, "OO!O!O!O!", &nodes_in, &TSN_CtxType, &c, &PyDict_Type, &sn,
                          &PyDict_Type, &counts, &PySet_Type, &decl))
        return NULL;
    PyObject *nodes = node_seq(nodes_in);
    if (nodes == NULL)
        return NULL;
    PyObject *syms = PyList_New(0), *kind = PyUnicode_FromString("field"), *out = NULL;
    if (!syms || !kind)
        goto done;
    for (Py_ssize_t i = 0; i < PySequence_Fast_GET_SIZE(nodes); i++) {
        TSNode n;
        if (tsn_node(PySequence_Fast_GET_ITEM(nodes, i), &n) < 0)
            goto done;
        TSNode body = owner_body(n);
        if (ts_node_is_null(body))
            continue;
        PyObject *owner = struct_name_of(sn, body);  /* (borrowed) */
        if (owner == NULL) {
            if (PyErr_Occurred())
                goto done;
            continue;
        }
        Py_INCREF(owner);
        PyObject *base = tsn_base_type(c, tsn_child(n, F_TYPE), sn);
        Py_ssize_t pos = 0;
        int r = base ? 0 : -1;
        if (r == 0) {
            PyObject *had = PyDict_GetItemWithError(counts, owner);
            if (had != NULL)
                pos = PyLong_AsSsize_t(had);
            if ((had == NULL || pos == -1) && PyErr_Occurred())
                r = -1;
        }
        if (r == 0) {
            PyObject *next = PyLong_FromSsize_t(pos + 1);
            r = next ? PyDict_SetItem(counts, owner, next) : -1;
            Py_XDECREF(next);
        }
        if (r == 0)
            r = declarators(c, n, base, kind, owner, pos, TSN_NULL, 0, decl, syms);
        Py_XDECREF(base);
        Py_DECREF(owner);
        if (r < 0)
            goto done;
    }
    out = syms;
    Py_INCREF(out);
done:
    Py_DECREF(nodes);
    Py_XDECREF(syms);
    Py_XDECREF(kind);
    return out;
}

/* One enum_specifier (_enum's body). */
static int one_enum(const Ctx *c, TSNode n, PyObject *decl, PyObject *syms, PyObject *k_enum,
                    PyObject *k_enumerator) {
    TSNode nm = tsn_child(n, F_NAME), body = tsn_child(n, F_BODY);
    PyObject *ename = ts_node_is_null(nm) ? Py_NewRef(c->empty) : tsn_node_name(c, nm);
    int ret = -1;
    if (ename == NULL)
        return -1;
    if (!ts_node_is_null(nm) && !ts_node_is_null(body)) {
        if (tsn_add_offset(decl, ts_node_start_byte(nm)) < 0)
            goto done;
        Py_ssize_t sb = ts_node_start_byte(nm), line = tsn_line(c, sb);
        if (add_sym(syms, ename, k_enum, line, tsn_col(c, line, sb),
                    tsn_line(c, ts_node_end_byte(n)), c->empty, Py_None, 0, 0, Py_None) < 0)
            goto done;
    }
    if (ts_node_is_null(body)) {
        ret = 0;
        goto done;
    }
    Py_ssize_t i = 0;
    int err = 0;
    TSTreeCursor cur = ts_tree_cursor_new(body);
    if (ts_tree_cursor_goto_first_child(&cur)) {
        do {
            TSNode e = ts_tree_cursor_current_node(&cur);
            if (!ts_node_is_named(e) || strcmp(ts_node_type(e), "enumerator") != 0)
                continue;
            TSNode en = tsn_child(e, F_NAME), val = tsn_child(e, F_VALUE);
            if (ts_node_is_null(en)) {  /* (Python: None.start_byte) */
                PyErr_SetString(PyExc_AttributeError,
                                "'NoneType' object has no attribute 'start_byte'");
                err = 1;
                break;
            }
            if (tsn_add_offset(decl, ts_node_start_byte(en)) < 0) {
                err = 1;
                break;
            }
            Py_ssize_t sb = ts_node_start_byte(en), line = tsn_line(c, sb);
            PyObject *text = ts_node_is_null(val) ? Py_NewRef(Py_None) : tsn_node_text(c, val, 120);
            PyObject *name = text ? tsn_node_name(c, en) : NULL;
            int r = name ? add_sym(syms, name, k_enumerator, line, tsn_col(c, line, sb), line,
                                   ename, Py_None, i, 0, text) : -1;
            Py_XDECREF(name);
            Py_XDECREF(text);
            if (r < 0) {
                err = 1;
                break;
            }
            i++;
        } while (ts_tree_cursor_goto_next_sibling(&cur));
    }
    ts_tree_cursor_delete(&cur);
    ret = err ? -1 : 0;
done:
    Py_DECREF(ename);
    return ret;
}

/* enums(nodes, ctx, decl_names) -> syms: extract._enum of each enum_specifier (capture
 * `enum`). */
PyObject *tsn_enums(PyObject *Py_UNUSED(mod), PyObject *args) {
    PyObject *nodes_in, *decl;
    Ctx *c;
    if (!PyArg_ParseTuple(args, "OO!O!", &nodes_in, &TSN_CtxType, &c, &PySet_Type, &decl))
        return NULL;
    PyObject *nodes = node_seq(nodes_in);
    if (nodes == NULL)
        return NULL;
    PyObject *syms = PyList_New(0), *k_enum = PyUnicode_FromString("enum");
    PyObject *k_enumerator = PyUnicode_FromString("enumerator"), *out = NULL;
    if (!syms || !k_enum || !k_enumerator)
        goto done;
    for (Py_ssize_t i = 0; i < PySequence_Fast_GET_SIZE(nodes); i++) {
        TSNode n;
        if (tsn_node(PySequence_Fast_GET_ITEM(nodes, i), &n) < 0 ||
            one_enum(c, n, decl, syms, k_enum, k_enumerator) < 0)
            goto done;
    }
    out = syms;
    Py_INCREF(out);
done:
    Py_DECREF(nodes);
    Py_XDECREF(syms);
    Py_XDECREF(k_enum);
    Py_XDECREF(k_enumerator);
    return out;
}
