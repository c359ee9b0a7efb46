/* The write passes: extract._assign, _update, _pointer, _asm_output, _case and _return,
 * in that order (extract() runs them so, after the calls and the trace events).
 *
 * Each appends its rows to the lists it is given (cx.f.assigns, cx.f.cases) in the order
 * of its Python twin and adds the spans of the written and address-taken expressions to
 * cx.write_nodes and cx.addr_nodes (_lvalue, tsn_lvalue). An assignment of an initializer
 * list (`x = (struct s){ ... }` reads as one in macros) hands the list to the Python
 * extract._initializer, which appends its own rows to the same list, in place. */
#include "_tsnative.h"
#include <string.h>

static int append_row(PyObject *list, Py_ssize_t line, Py_ssize_t col, PyObject *func,
                      PyObject *last, PyObject *jchain, PyObject *op, PyObject *value,
                      PyObject *kind) {
    return tsn_append_new(list, Py_BuildValue("(nnOOOOOO)", line, col, func, last, jchain, op,
                                              value, kind));
}

/* chain_of(cx, n), _last_field of it and jlist of it (new references, all or none) */
static int chain_parts(const Ctx *c, TSNode n, PyObject *sn, PyObject **chain, PyObject **last,
                       PyObject **jchain) {
    *chain = PyList_New(0);
    *last = *jchain = NULL;
    if (*chain == NULL || tsn_chain_of(c, n, 0, sn, *chain) < 0 ||
        (*last = tsn_last_field(*chain)) == NULL || (*jchain = tsn_jlist(*chain)) == NULL) {
        Py_CLEAR(*chain);
        Py_CLEAR(*last);
        return -1;
    }
    return 0;
}

typedef struct {
    Ctx *c;
    PyObject *assigns, *cases, *write_nodes, *addr_nodes, *sn, *whole, *cx, *initializer;
} Pass;

/* extract._assign */
static int do_assign(Pass *p, PyObject *obj, TSNode n) {
    const Ctx *c = p->c;
    TSNode left = tsn_child(n, F_LEFT), right = tsn_child(n, F_RIGHT), op = tsn_child(n, F_OPERATOR);
    if (ts_node_is_null(left))
        return 0;
    PyObject *chain, *last, *jchain, *opt = NULL, *value = NULL, *rnode = NULL;
    int r = -1;
    if (chain_parts(c, left, p->sn, &chain, &last, &jchain) < 0)
        return -1;
    if (ts_node_is_null(op)) {
        opt = S_EQ;
        Py_INCREF(opt);
    } else if ((opt = tsn_node_name(c, op)) == NULL) {
        goto done;
    }
    if (ts_node_is_null(right)) {
        value = S_EMPTY;
        Py_INCREF(value);
    } else if ((value = tsn_node_text(c, right, 240)) == NULL) {
        goto done;
    }
    Py_ssize_t sb = ts_node_start_byte(n), lb = ts_node_start_byte(left);
    Py_ssize_t line = tsn_line(c, lb);
    int plain = PyUnicode_CompareWithASCIIString(opt, "=") == 0;
    PyObject *func = tsn_func_at(c, sb);
    if (append_row(p->assigns, line, tsn_col(c, line, lb), func, last, jchain, opt, value,
                   plain ? K_ASSIGN : K_COMPOUND) < 0 ||
        tsn_lvalue(p->write_nodes, left) < 0)
        goto done;
    if (tsn_is(right, "initializer_list")) {  /* (rare: extract._initializer does it) */
        rnode = PyObject_CallMethod(obj, "child_by_field_name", "s", "right");
        if (rnode == NULL)
            goto done;
        PyObject *got = PyObject_CallFunctionObjArgs(p->initializer, p->cx, rnode, chain, func,
                                                     K_DESIGNATED, NULL);
        if (got == NULL)
            goto done;
        Py_DECREF(got);
    }
    r = 0;
done:
    Py_XDECREF(rnode);
    Py_XDECREF(opt);
    Py_XDECREF(value);
    Py_DECREF(chain);
    Py_DECREF(last);
    Py_DECREF(jchain);
    return r;
}

/* extract._update */
static int do_update(Pass *p, TSNode n) {
    const Ctx *c = p->c;
    TSNode arg = tsn_child(n, F_ARGUMENT), op = tsn_child(n, F_OPERATOR);
    if (ts_node_is_null(arg))
        return 0;
    PyObject *chain, *last, *jchain, *opt;
    if (chain_parts(c, arg, p->sn, &chain, &last, &jchain) < 0)
        return -1;
    int r = -1;
    if (ts_node_is_null(op)) {
        opt = S_PLUSPLUS;
        Py_INCREF(opt);
    } else if ((opt = tsn_node_name(c, op)) == NULL) {
        goto done;
    }
    Py_ssize_t ab = ts_node_start_byte(arg), line = tsn_line(c, ab);
    if (append_row(p->assigns, line, tsn_col(c, line, ab), tsn_func_at(c, ts_node_start_byte(n)),
                   last, jchain, opt, S_EMPTY, K_INCDEC) == 0 &&
        tsn_lvalue(p->write_nodes, arg) == 0)
        r = 0;
    Py_DECREF(opt);
done:
    Py_DECREF(chain);
    Py_DECREF(last);
    Py_DECREF(jchain);
    return r;
}

/* the 0-based position of `top` among the named children of `parent` that are no comment
 * (-1 with ValueError when it is none of them, as list.index) */
static Py_ssize_t argument_index(TSNode parent, TSNode top) {
    Py_ssize_t k = 0, found = -1;
    TSTreeCursor cur = ts_tree_cursor_new(parent);
    if (ts_tree_cursor_goto_first_child(&cur)) {
        do {
            TSNode ch = ts_tree_cursor_current_node(&cur);
            if (!ts_node_is_named(ch) || strcmp(ts_node_type(ch), "comment") == 0)
                continue;
            if (ts_node_eq(ch, top)) {
                found = k;
                break;
            }
            k++;
        } while (ts_tree_cursor_goto_next_sibling(&cur));
    }
    ts_tree_cursor_delete(&cur);
    if (found < 0)
        PyErr_SetString(PyExc_ValueError, "the argument is not in the argument list");
    return found;
}

/* extract._pointer: `&x` handed to a call, an out-parameter */
static int do_pointer(Pass *p, TSNode n) {
    const Ctx *c = p->c;
    TSNode op = tsn_child(n, F_OPERATOR);
    if (ts_node_is_null(op) || !tsn_name_is(c, op, "&"))
        return 0;
    TSNode arg = tsn_child(n, F_ARGUMENT);
    if (ts_node_is_null(arg))
        return 0;
    if (tsn_lvalue(p->addr_nodes, arg) < 0)
        return -1;
    TSNode top = n, parent = ts_node_parent(n);  /* `(T *)&x` and `(&x)` are still `&x` */
    while (tsn_is(parent, "cast_expression") || tsn_is(parent, "parenthesized_expression")) {
        top = parent;
        parent = ts_node_parent(parent);
    }
    if (!tsn_is(parent, "argument_list"))
        return 0;
    TSNode call = ts_node_parent(parent);
    TSNode fn = tsn_child(call, F_FUNCTION);
    PyObject *callee;
    if (ts_node_is_null(fn)) {
        callee = PyUnicode_FromString("?");
    } else {
        TSNode fld = tsn_is(fn, "field_expression") ? tsn_child(fn, F_FIELD) : fn;
        callee = tsn_node_name(c, ts_node_is_null(fld) ? fn : fld);
    }
    if (callee == NULL)
        return -1;
    int whole = PySet_Contains(p->whole, callee);
    Py_DECREF(callee);
    if (whole != 0)  /* arg 0 is recorded by _call; the others are read */
        return whole < 0 ? -1 : 0;
    PyObject *chain, *last, *jchain, *opt = NULL, *value = NULL;
    if (chain_parts(c, arg, p->sn, &chain, &last, &jchain) < 0)
        return -1;
    int r = -1;
    Py_ssize_t idx = argument_index(parent, top);
    if (idx < 0)
        goto done;
    if (ts_node_is_null(call)) {  /* (cx.text(None) in Python) */
        PyErr_SetString(PyExc_AttributeError, "'NoneType' object has no attribute 'start_byte'");
        goto done;
    }
    if ((opt = PyUnicode_FromFormat("&%zd", idx + 1)) == NULL ||
        (value = tsn_node_text(c, call, 200)) == NULL)
        goto done;
    Py_ssize_t ab = ts_node_start_byte(arg), line = tsn_line(c, ab);
    if (append_row(p->assigns, line, tsn_col(c, line, ab), tsn_func_at(c, ts_node_start_byte(n)),
                   last, jchain, opt, value, K_OUT_PARAM) < 0 ||
        tsn_lvalue(p->write_nodes, arg) < 0)
        goto done;
    r = 0;
done:
    Py_XDECREF(opt);
    Py_XDECREF(value);
    Py_DECREF(chain);
    Py_DECREF(last);
    Py_DECREF(jchain);
    return r;
}

/* s.strip(*chars) as a new reference (steals s) */
static PyObject *strip(PyObject *s, PyObject *chars) {
    if (s == NULL)
        return NULL;
    PyObject *out = chars ? PyObject_CallMethod(s, "strip", "O", chars)
                          : PyObject_CallMethod(s, "strip", NULL);
    Py_DECREF(s);
    return out;
}

/* extract._asm_output: an output operand of inline assembly (rare: left to Python objects) */
static int do_asm_output(Pass *p, TSNode n) {
    const Ctx *c = p->c;
    TSNode parent = ts_node_parent(n);
    TSNode cons = tsn_child(parent, F_CONSTRAINT);
    PyObject *ctext, *chain = NULL, *last = NULL, *jchain = NULL, *values = NULL, *joined = NULL;
    PyObject *opt = NULL;
    int r = -1;
    if (ts_node_is_null(cons)) {
        ctext = S_EMPTY;
        Py_INCREF(ctext);
    } else {
        ctext = strip(strip(tsn_node_text(c, cons, 24), NULL), S_DQUOTE);
        if (ctext == NULL)
            return -1;
    }
    if (chain_parts(c, n, p->sn, &chain, &last, &jchain) < 0)
        goto done;
    if (PyList_GET_SIZE(chain) == 0) {
        r = 0;
        goto done;
    }
    TSNode stmt = parent;
    while (!ts_node_is_null(stmt) && !tsn_is(stmt, "gnu_asm_expression"))
        stmt = ts_node_parent(stmt);
    TSNode inputs = tsn_child(stmt, F_INPUT_OPERANDS);
    if ((values = PyList_New(0)) == NULL)
        goto done;
    if (!ts_node_is_null(inputs)) {
        TSTreeCursor cur = ts_tree_cursor_new(inputs);
        int ok = 1;
        if (ts_tree_cursor_goto_first_child(&cur)) {
            do {
                TSNode ch = ts_tree_cursor_current_node(&cur);
                if (!ts_node_is_named(ch))
                    continue;
                TSNode v = tsn_child(ch, F_VALUE);
                if (ts_node_is_null(v))
                    continue;
                PyObject *t = tsn_node_text(c, v, 80);
                if (t == NULL || PyList_Append(values, t) < 0)
                    ok = 0;
                Py_XDECREF(t);
            } while (ok && ts_tree_cursor_goto_next_sibling(&cur));
        }
        ts_tree_cursor_delete(&cur);
        if (!ok)
            goto done;
    }
    if ((joined = PyUnicode_Join(S_COMMA, values)) == NULL ||
        (opt = strip(PyUnicode_FromFormat("asm %U", ctext), NULL)) == NULL)
        goto done;
    Py_ssize_t nb = ts_node_start_byte(n), line = tsn_line(c, nb);
    if (append_row(p->assigns, line, tsn_col(c, line, nb), tsn_func_at(c, nb), last, jchain, opt,
                   joined, K_ASM) < 0)
        goto done;
    Py_ssize_t plus = PyUnicode_FindChar(ctext, '+', 0, PyUnicode_GET_LENGTH(ctext), 1);
    if (plus == -2 || (plus == -1 && tsn_lvalue(p->write_nodes, n) < 0))
        goto done;
    r = 0;
done:
    Py_DECREF(ctext);
    Py_XDECREF(chain);
    Py_XDECREF(last);
    Py_XDECREF(jchain);
    Py_XDECREF(values);
    Py_XDECREF(joined);
    Py_XDECREF(opt);
    return r;
}

/* extract._case */
static int do_case(Pass *p, TSNode n) {
    const Ctx *c = p->c;
    TSNode val = tsn_child(n, F_VALUE);
    int has = !ts_node_is_null(val);
    PyObject *text = has ? tsn_node_text(c, val, 120) : (Py_INCREF(S_DEFAULT), S_DEFAULT);
    if (text == NULL)
        return -1;
    Py_ssize_t b = ts_node_start_byte(has ? val : n), line = tsn_line(c, b);
    PyObject *row = Py_BuildValue("(nnOO)", line, tsn_col(c, line, b),
                                  tsn_func_at(c, ts_node_start_byte(n)), text);
    Py_DECREF(text);
    if (row == NULL)
        return -1;
    int r = PyList_Append(p->cases, row);
    Py_DECREF(row);
    return r;
}

/* extract._return: `return EXPR;` writes the function's return value (the first named
 * child that is no comment: `return /\* c *\/ x;`) */
static int do_return(Pass *p, TSNode n) {
    const Ctx *c = p->c;
    TSNode kids[8], val = TSN_NULL;
    Py_ssize_t k = tsn_named_children(n, kids, 8);
    for (Py_ssize_t i = 0; i < k; i++)
        if (!tsn_is(kids[i], "comment")) {
            val = kids[i];
            break;
        }
    if (ts_node_is_null(val))
        return 0;
    PyObject *func = tsn_func_at(c, ts_node_start_byte(n));
    PyObject *list = PyList_New(1), *base = PyUnicode_FromFormat("r:%U", func), *jchain = NULL;
    PyObject *text = NULL;
    int r = -1;
    if (list == NULL || base == NULL)
        goto done;
    PyList_SET_ITEM(list, 0, base);
    base = NULL;
    if ((jchain = tsn_jlist(list)) == NULL || (text = tsn_node_text(c, val, 240)) == NULL)
        goto done;
    Py_ssize_t vb = ts_node_start_byte(val), line = tsn_line(c, vb);
    r = append_row(p->assigns, line, tsn_col(c, line, vb), func, S_RET_FIELD, jchain,
                   K_RETURN, text, K_RETURN);
done:
    Py_XDECREF(list);
    Py_XDECREF(base);
    Py_XDECREF(jchain);
    Py_XDECREF(text);
    return r;
}

enum { P_ASSIGN, P_UPDATE, P_POINTER, P_ASM, P_CASE, P_RETURN, P_COUNT };

/* writes(assign, update, ptr, asmout, case, ret, ctx, assigns, cases, write_nodes,
 *        addr_nodes, struct_names, whole_object_writers, cx, initializer) -> None
 *
 * The six passes over their captures (sequences of nodes), in extract()'s order: rows
 * appended to `assigns` (cx.f.assigns) and `cases` (cx.f.cases), spans added to the sets
 * `write_nodes` and `addr_nodes`; `initializer(cx, node, chain, func, "designated")` is
 * extract._initializer, for an assignment of an initializer list. */
PyObject *tsn_writes(PyObject *Py_UNUSED(mod), PyObject *args) {
    PyObject *caps[P_COUNT];
    Pass p;
    if (!PyArg_ParseTuple(args, "OOOOOOO!O!O!O!O!O!O!OO", &caps[0], &caps[1], &caps[2],
                          &caps[3], &caps[4], &caps[5], &TSN_CtxType, &p.c, &PyList_Type,
                          &p.assigns, &PyList_Type, &p.cases, &PySet_Type, &p.write_nodes,
                          &PySet_Type, &p.addr_nodes, &PyDict_Type, &p.sn, &PyFrozenSet_Type,
                          &p.whole, &p.cx, &p.initializer))
        return NULL;
    for (int k = 0; k < P_COUNT; k++) {
        PyObject *seq = PySequence_Fast(caps[k], "a sequence of nodes was expected");
        if (seq == NULL)
            return NULL;
        Py_ssize_t len = PySequence_Fast_GET_SIZE(seq);
        PyObject **items = PySequence_Fast_ITEMS(seq);
        int r = 0;
        for (Py_ssize_t i = 0; i < len && r == 0; i++) {
            TSNode n;
            if (tsn_node(items[i], &n) < 0) {
                r = -1;
                break;
            }
            switch (k) {
            case P_ASSIGN: r = do_assign(&p, items[i], n); break;
            case P_UPDATE: r = do_update(&p, n); break;
            case P_POINTER: r = do_pointer(&p, n); break;
            case P_ASM: r = do_asm_output(&p, n); break;
            case P_CASE: r = do_case(&p, n); break;
            default: r = do_return(&p, n); break;
            }
        }
        Py_DECREF(seq);
        if (r < 0)
            return NULL;
    }
    Py_RETURN_NONE;
}
