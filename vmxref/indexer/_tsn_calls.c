/* The pass of calls: extract._call over the `call` capture, with _deref_callee, the
 * static_call forms, _guard_end, the arguments' JSON, _logcall (_string_value, _unescape),
 * the whole-object writers and _filled_pointers. The log-format functions stay Python
 * (logfmt.inline_literals and extract._literal_keys, handed in): they are called only for
 * the calls with a string literal among their first 4 arguments, as _logcall calls them. */
#include "_tsnative.h"
#include <string.h>

#define CALL_TEXT 160  /* cx.text(a, 160) of each argument */
#define MAX_TEXT 240   /* extract.MAX_TEXT: cx.text(n) of the call */

typedef struct {
    const Ctx *c;
    TsnSpans pp, cond;
    PyObject *call_fn, *writes, *fills, *sn, *dialect, *inline_literals, *literal_keys;
    PyObject *unescape, *static_call, *whole_object;
    PyObject *calls, *logcalls, *assigns;
    TSNode *kids;  /* the arguments that are no comment (reused call after call) */
    Py_ssize_t nkids, kcap;
    int fills_on;
} St;

/* node.named_children[0] (null when there is none) */
static TSNode first_named(TSNode n) {
    TSNode out = TSN_NULL;
    tsn_named_children(n, &out, 1);
    return out;
}

/* extract._deref_callee */
static TSNode deref_callee(TSNode fn) {
    TSNode node = fn;
    while (!ts_node_is_null(node)) {
        if (tsn_is(node, "parenthesized_expression") && ts_node_named_child_count(node) == 1) {
            node = first_named(node);
        } else if (tsn_is(node, "pointer_expression")) {
            TSNode op = tsn_child(node, F_OPERATOR);
            if (ts_node_is_null(op) || !tsn_is(op, "*"))
                break;
            node = tsn_child(node, F_ARGUMENT);
        } else {
            break;
        }
    }
    if (!ts_node_is_null(node) && (tsn_is(node, "field_expression") || tsn_is(node, "identifier")))
        return node;
    return fn;
}

/* extract._guard_end: a new int, or None (new reference) */
static PyObject *guard_end(St *st, TSNode n) {
    Py_ssize_t sb = ts_node_start_byte(n);
    if (!tsn_in_spans(&st->cond, sb))
        Py_RETURN_NONE;
    TSNode node = ts_node_parent(n), prev = n;
    int negated = 0;
    for (int k = 0; k < 6; k++) {
        if (ts_node_is_null(node))
            Py_RETURN_NONE;
        const char *t = ts_node_type(node);
        if (strcmp(t, "unary_expression") == 0) {
            TSNode op = tsn_child(node, F_OPERATOR);
            negated ^= !ts_node_is_null(op) && tsn_name_is(st->c, op, "!");
        }
        if (strcmp(t, "if_statement") == 0) {
            if (negated)
                Py_RETURN_NONE;
            TSNode cond = tsn_child(node, F_CONDITION);
            uint32_t pb = ts_node_start_byte(prev);
            if (!ts_node_is_null(cond) && ts_node_start_byte(cond) <= pb &&
                pb < ts_node_end_byte(cond)) {
                TSNode cons = tsn_child(node, F_CONSEQUENCE);
                if (ts_node_is_null(cons))
                    Py_RETURN_NONE;
                return PyLong_FromSsize_t(tsn_line(st->c, ts_node_end_byte(cons)));
            }
            Py_RETURN_NONE;
        }
        if (strcmp(t, "parenthesized_expression") != 0 && strcmp(t, "condition_clause") != 0 &&
            strcmp(t, "unary_expression") != 0 && strcmp(t, "binary_expression") != 0 &&
            strcmp(t, "call_expression") != 0 && strcmp(t, "argument_list") != 0)
            Py_RETURN_NONE;
        prev = node;
        node = ts_node_parent(node);
    }
    Py_RETURN_NONE;
}

/* --- string literals ---------------------------------------------------------------- */

static int stringish(TSNode n) {
    const char *t = ts_node_type(n);
    return strcmp(t, "string_literal") == 0 || strcmp(t, "concatenated_string") == 0 ||
           strcmp(t, "parenthesized_expression") == 0;
}

static int hexval(unsigned char ch) {
    if (ch >= '0' && ch <= '9')
        return ch - '0';
    if (ch >= 'a' && ch <= 'f')
        return ch - 'a' + 10;
    if (ch >= 'A' && ch <= 'F')
        return ch - 'A' + 10;
    return -1;
}

static PyObject *chr_or_empty(long v) {
    if (v > 0x10FFFF)  /* chr raises ValueError: "" */
        return PyUnicode_FromString("");
    if (v >= 0xD800 && v <= 0xDFFF)  /* extract._char: no lone surrogate */
        return PyUnicode_FromOrdinal(0xFFFD);
    return PyUnicode_FromOrdinal((int)v);
}

/* extract._unescape of an escape_sequence node's name (new reference). ASCII escapes of the
 * grammar's shapes are decoded here; anything else (non-ASCII, a long number) goes to the
 * Python twin, which decides as it does. */
static PyObject *unescape(St *st, TSNode n) {
    const Ctx *c = st->c;
    Py_ssize_t a = ts_node_start_byte(n), b = ts_node_end_byte(n);
    if (b > c->nnorm)
        b = c->nnorm;
    if (a > b)
        a = b;
    const unsigned char *p = c->norm + a;
    Py_ssize_t len = b - a;
    int ascii = 1;
    for (Py_ssize_t i = 0; i < len; i++)
        if (p[i] & 0x80)
            ascii = 0;
    if (ascii) {
        if (len == 2) {
            switch (p[1]) {
            case 'n': return PyUnicode_FromString("\n");
            case 't': return PyUnicode_FromString("\t");
            case 'r': return PyUnicode_FromString("\r");
            case '\\': return PyUnicode_FromString("\\");
            case '"': return PyUnicode_FromString("\"");
            case '\'': return PyUnicode_FromString("'");
            case '0': return PyUnicode_FromOrdinal(0);
            case 'a': return PyUnicode_FromString("\a");
            default: break;
            }
        }
        if (len >= 2 && p[0] == '\\' && p[1] == 'x') {
            Py_ssize_t hl = len - 2;
            int plain = hl >= 1 && hl <= 6;
            long v = 0;
            for (Py_ssize_t i = 0; plain && i < hl; i++) {
                int d = hexval(p[2 + i]);
                if (d < 0)
                    plain = 0;
                v = v * 16 + d;
            }
            if (plain)
                return chr_or_empty(v);
            goto python;
        }
        if (len >= 2) {
            int digits = 1, octal = 1;
            long v = 0;
            for (Py_ssize_t i = 1; i < len; i++) {
                if (p[i] < '0' || p[i] > '9')
                    digits = 0;
                else if (p[i] > '7')
                    octal = 0;
                else if (i <= 7)
                    v = v * 8 + (p[i] - '0');
            }
            if (digits) {
                if (!octal)  /* int(s, 8) raises ValueError: "" */
                    return PyUnicode_FromString("");
                if (len - 1 <= 7)
                    return chr_or_empty(v);
                goto python;
            }
        }
        return PyUnicode_DecodeASCII((const char *)p + (len ? 1 : 0), len ? len - 1 : 0, NULL);
    }
python:;
    PyObject *s = tsn_name(c, a, b);
    if (s == NULL)
        return NULL;
    PyObject *out = PyObject_CallOneArg(st->unescape, s);
    Py_DECREF(s);
    return out;
}

static const char *PRI_NAMES[] = {"PRIx64", "PRIu64", "PRId64", "PRIX64",
                                  "PRIx32", "PRIu32", "PRId32", "PRIX32", NULL};
static const char *PRI_VALUES[] = {"llx", "llu", "lld", "llX", "x", "u", "d", "X", NULL};

/* extract._string_value: 1 with a new str in *out, 0 for None, -1 on error */
static int string_value(St *st, TSNode node, PyObject **out) {
    *out = NULL;
    for (;;) {  /* (the parentheses: a loop instead of the recursion) */
        if (ts_node_is_null(node))
            return 0;
        const char *t = ts_node_type(node);
        if (strcmp(t, "string_literal") == 0 || strcmp(t, "concatenated_string") == 0) {
            int lit = t[0] == 's';
            Py_ssize_t k;
            TSNode *kids = tsn_named_all(node, &k);
            if (kids == NULL)
                return -1;
            PyObject *parts = PyList_New(0);
            int r = parts ? 0 : -1;
            for (Py_ssize_t i = 0; r == 0 && i < k; i++) {
                const char *ct = ts_node_type(kids[i]);
                if (lit) {
                    if (strcmp(ct, "escape_sequence") == 0)
                        r = tsn_append_new(parts, unescape(st, kids[i]));
                    else if (strcmp(ct, "string_content") == 0)
                        r = tsn_append_new(parts, tsn_node_name(st->c, kids[i]));
                } else if (strcmp(ct, "string_literal") == 0) {
                    PyObject *s;
                    r = string_value(st, kids[i], &s);  /* (one level: a string_literal) */
                    if (r >= 0)
                        r = tsn_append_new(parts, s ? s : PyUnicode_FromString(""));
                } else if (strcmp(ct, "identifier") == 0) {
                    const char *v = "";
                    for (int j = 0; PRI_NAMES[j]; j++)
                        if (tsn_name_is(st->c, kids[i], PRI_NAMES[j]))
                            v = PRI_VALUES[j];
                    r = tsn_append_new(parts, PyUnicode_FromString(v));
                }
            }
            PyMem_Free(kids);
            if (r < 0) {
                Py_XDECREF(parts);
                return -1;
            }
            *out = PyUnicode_Join(st->c->empty, parts);
            Py_DECREF(parts);
            return *out ? 1 : -1;
        }
        if (strcmp(t, "parenthesized_expression") == 0) {
            TSNode inner = first_named(node);
            if (ts_node_is_null(inner))
                return 0;
            if (tsn_is(inner, "comma_expression"))
                node = tsn_child(inner, F_LEFT);  /* (None when absent) */
            else
                node = inner;
            continue;
        }
        return 0;
    }
}

/* s.strip() is not empty */
static int has_text(PyObject *s) {
    Py_ssize_t n = PyUnicode_GET_LENGTH(s);
    int kind = PyUnicode_KIND(s);
    const void *data = PyUnicode_DATA(s);
    for (Py_ssize_t i = 0; i < n; i++)
        if (!Py_UNICODE_ISSPACE(PyUnicode_READ(kind, data, i)))
            return 1;
    return 0;
}

/* extract._branch_strings: the two formats of `cond ? "A" : "B"` (inside parentheses, or
 * the left of a comma expression, as string_value looks): 1 with new strs in *a and *b, 0
 * when the node is no such choice, -1 on error */
static int branch_strings(St *st, TSNode node, PyObject **a, PyObject **b) {
    *a = *b = NULL;
    for (;;) {
        if (ts_node_is_null(node))
            return 0;
        if (tsn_is(node, "parenthesized_expression")) {
            TSNode inner = first_named(node);
            node = !ts_node_is_null(inner) && tsn_is(inner, "comma_expression")
                   ? tsn_child(inner, F_LEFT) : inner;
            continue;
        }
        if (!tsn_is(node, "conditional_expression"))
            return 0;
        int r = string_value(st, tsn_child(node, F_CONSEQUENCE), a);
        if (r == 1)
            r = string_value(st, tsn_child(node, F_ALTERNATIVE), b);
        if (r != 1 || !has_text(*a) || !has_text(*b)) {
            Py_CLEAR(*a);
            Py_CLEAR(*b);
            return r < 0 ? -1 : 0;
        }
        return 1;
    }
}

/* `__func__` / `__FUNCTION__`: the name of the function it is in (extract._FUNC_NAMES) */
static int func_name_arg(St *st, TSNode n) {
    return tsn_is(n, "identifier") &&
           (tsn_name_is(st->c, n, "__func__") || tsn_name_is(st->c, n, "__FUNCTION__"));
}

/* one logcall row of format `s` (stolen), argument i, its later string arguments (and
 * `__func__`, the function's name) inlined */
static int logcall_row(St *st, PyObject *s, Py_ssize_t i, PyObject *callee, PyObject *func,
                       Py_ssize_t line, Py_ssize_t col, PyObject *jargs) {
    Py_ssize_t nk = st->nkids;
    int later = 0, named = PyUnicode_GET_LENGTH(func) > 0;
    for (Py_ssize_t j = i + 1; j < nk && !later; j++)
        later = stringish(st->kids[j]) || (named && func_name_arg(st, st->kids[j]));
    if (later && PyUnicode_FindChar(s, '%', 0, PyUnicode_GET_LENGTH(s), 1) >= 0) {
        PyObject *lits = PyList_New(nk - i - 1);
        if (lits == NULL) {
            Py_DECREF(s);
            return -1;
        }
        for (Py_ssize_t j = i + 1; j < nk; j++) {
            PyObject *v = NULL;
            if (named && func_name_arg(st, st->kids[j])) {
                v = func;
                Py_INCREF(v);
            } else if (stringish(st->kids[j]) && string_value(st, st->kids[j], &v) < 0) {
                Py_DECREF(lits);
                Py_DECREF(s);
                return -1;
            }
            if (v == NULL) {
                v = Py_None;
                Py_INCREF(v);
            }
            PyList_SET_ITEM(lits, j - i - 1, v);
        }
        PyObject *s2 = PyObject_CallFunctionObjArgs(st->inline_literals, s, st->dialect,
                                                    lits, NULL);
        Py_DECREF(lits);
        Py_DECREF(s);
        if (s2 == NULL)
            return -1;
        s = s2;
    }
    PyObject *keys = PyObject_CallFunctionObjArgs(st->literal_keys, s, st->dialect, NULL);
    PyObject *joined = keys ? PyUnicode_Join(S_SPACE, keys) : NULL;
    Py_XDECREF(keys);
    if (joined == NULL) {
        Py_DECREF(s);
        return -1;
    }
    PyObject *row = Py_BuildValue("(nnOOOnON)", line, col, func, callee, s, i, jargs, joined);
    Py_DECREF(s);
    return tsn_append_new(st->logcalls, row);
}

/* extract._logcall over st->kids */
static int logcall(St *st, PyObject *callee, PyObject *func, Py_ssize_t line, Py_ssize_t col,
                   PyObject *jargs) {
    Py_ssize_t nk = st->nkids;
    for (Py_ssize_t i = 0; i < nk && i < 4; i++) {
        PyObject *a, *b;
        int r = branch_strings(st, st->kids[i], &a, &b);
        if (r < 0)
            return -1;
        if (r == 1) {  /* `LogRel((f ? "HM: Enabled\n" : "HM: Disabled\n"))`: a row each */
            if (logcall_row(st, a, i, callee, func, line, col, jargs) < 0) {
                Py_DECREF(b);
                return -1;
            }
            return logcall_row(st, b, i, callee, func, line, col, jargs);
        }
        if (!stringish(st->kids[i]))
            continue;
        PyObject *s;
        r = string_value(st, st->kids[i], &s);
        if (r < 0)
            return -1;
        if (r == 0)
            continue;
        if (!has_text(s)) {
            Py_DECREF(s);
            continue;
        }
        return logcall_row(st, s, i, callee, func, line, col, jargs);
    }
    return 0;
}

/* --- writes ------------------------------------------------------------------------- */

/* (line, col, func, _last_field(ch), jlist(ch), callee, text, "whole-object") of `target` */
static int whole_object(St *st, TSNode target, Py_ssize_t line, Py_ssize_t col, PyObject *func,
                        PyObject *callee, PyObject *text) {
    PyObject *ch = PyList_New(0);
    if (ch == NULL || tsn_chain_of(st->c, target, 0, st->sn, ch) < 0) {
        Py_XDECREF(ch);
        return -1;
    }
    PyObject *last = tsn_last_field(ch), *jch = tsn_jlist(ch);
    Py_DECREF(ch);
    if (last == NULL || jch == NULL) {
        Py_XDECREF(last);
        Py_XDECREF(jch);
        return -1;
    }
    return tsn_append_new(st->assigns, Py_BuildValue("(nnONNOOO)", line, col, func, last, jch,
                                                 callee, text, K_WHOLE_OBJECT));
}

/* extract._filled_pointers over st->kids */
static int filled_pointers(St *st, PyObject *positions, Py_ssize_t line, Py_ssize_t col,
                           PyObject *func, PyObject *callee, PyObject *text) {
    PyObject *seq = PySequence_Fast(positions, "fills: a list of positions was expected");
    if (seq == NULL)
        return -1;
    int r = 0;
    for (Py_ssize_t k = 0; r == 0 && k < PySequence_Fast_GET_SIZE(seq); k++) {
        PyObject *po = PySequence_Fast_GET_ITEM(seq, k);
        if (!PyLong_Check(po)) {
            PyErr_SetString(PyExc_TypeError, "fills: an int position was expected");
            r = -1;
            break;
        }
        int overflow;
        long long p = PyLong_AsLongLongAndOverflow(po, &overflow);
        if (p == -1 && PyErr_Occurred()) {
            r = -1;
            break;
        }
        if (overflow || !(0 < p && p <= st->nkids))
            continue;
        TSNode a = st->kids[p - 1];
        while (tsn_is(a, "cast_expression") || tsn_is(a, "parenthesized_expression")) {
            a = tsn_is(a, "cast_expression") ? tsn_child(a, F_VALUE) : first_named(a);
            if (ts_node_is_null(a))
                break;
        }
        if (!ts_node_is_null(a) && (tsn_is(a, "identifier") || tsn_is(a, "field_expression") ||
                                    tsn_is(a, "call_expression")))
            r = whole_object(st, a, line, col, func, callee, text);  /* (a call: r:FUNC) */
    }
    Py_DECREF(seq);
    return r;
}

/* extract._offset_base: the left operand of `base + 1` / `base - 1` when it is a name, a
 * member or an element; any other node as it is */
static TSNode offset_base(const Ctx *c, TSNode n) {
    if (ts_node_is_null(n) || !tsn_is(n, "binary_expression"))
        return n;
    TSNode op = tsn_child(n, F_OPERATOR), left = tsn_child(n, F_LEFT);
    if (ts_node_is_null(op) || ts_node_is_null(left))
        return n;
    Py_ssize_t a = ts_node_start_byte(op), b = ts_node_end_byte(op);
    if (b - a != 1 || a >= c->nnorm || (c->norm[a] != '+' && c->norm[a] != '-'))
        return n;
    if (tsn_is(left, "identifier") || tsn_is(left, "field_expression") ||
        tsn_is(left, "subscript_expression"))
        return left;
    return n;
}

/* --- one call ----------------------------------------------------------------------- */

static int grow_kids(St *st) {
    Py_ssize_t cap = st->kcap ? st->kcap * 2 : 64;
    TSNode *k = PyMem_Realloc(st->kids, sizeof(TSNode) * cap);
    if (k == NULL) {
        PyErr_NoMemory();
        return -1;
    }
    st->kids = k;
    st->kcap = cap;
    return 0;
}

/* the call row (line, col, func, callee, kind, recv, jargs, eline, guard) */
static int call_row(St *st, TSNode n, Py_ssize_t line, Py_ssize_t col, PyObject *func,
                    PyObject *callee, PyObject *kind, PyObject *recv, PyObject *jargs) {
    PyObject *guard = guard_end(st, n);
    if (guard == NULL)
        return -1;
    return tsn_append_new(st->calls, Py_BuildValue(
        "(nnOOOOOnN)", line, col, func, callee, kind, recv ? recv : Py_None, jargs,
        tsn_line(st->c, ts_node_end_byte(n)), guard));
}

static int one_call(St *st, TSNode n) {
    const Ctx *c = st->c;
    TSNode fn = tsn_child(n, F_FUNCTION);
    if (ts_node_is_null(fn) || tsn_in_spans(&st->pp, ts_node_start_byte(n)))
        return 0;
    TSNode args = tsn_child(n, F_ARGUMENTS);
    fn = deref_callee(fn);
    const char *t = ts_node_type(fn);
    PyObject *callee = NULL, *kind = NULL, *recv = NULL, *jargs = NULL, *text = NULL;
    int r = -1;
    if (strcmp(t, "identifier") == 0) {
        callee = tsn_node_name(c, fn);
        if (callee == NULL)
            goto done;
        int sc = PySet_Contains(st->static_call, callee);
        if (sc != 0) {  /* recorded with the outer call (or an error) */
            r = sc < 0 ? -1 : 0;
            goto done;
        }
        kind = K_DIRECT;
        if (tsn_add_span(st->call_fn, fn) < 0)
            goto done;
    } else if (strcmp(t, "call_expression") == 0 && !ts_node_is_null(tsn_child(fn, F_FUNCTION))) {
        TSNode inner_fn = tsn_child(fn, F_FUNCTION);
        PyObject *nm = tsn_node_name(c, inner_fn);
        if (nm == NULL)
            goto done;
        int sc = PySet_Contains(st->static_call, nm);
        Py_DECREF(nm);
        if (sc < 0)
            goto done;
        if (sc) {
            TSNode inner = tsn_child(fn, F_ARGUMENTS), first = TSN_NULL;
            if (!ts_node_is_null(inner)) {
                Py_ssize_t k;
                TSNode *kids = tsn_named_all(inner, &k);
                if (kids == NULL)
                    goto done;
                for (Py_ssize_t i = 0; i < k; i++)
                    if (tsn_is(kids[i], "identifier")) {
                        first = kids[i];
                        break;
                    }
                PyMem_Free(kids);
            }
            if (ts_node_is_null(first)) {
                r = 0;
                goto done;
            }
            callee = tsn_node_name(c, first);
            kind = K_STATIC_CALL;
            if (callee == NULL || tsn_add_span(st->call_fn, first) < 0)
                goto done;
        }
    }
    if (callee != NULL) {
        /* (set above) */
    } else if (strcmp(t, "field_expression") == 0) {
        TSNode fld = tsn_child(fn, F_FIELD);
        callee = ts_node_is_null(fld) ? PyUnicode_FromString("?") : tsn_node_name(c, fld);
        kind = K_MEMBER;
        PyObject *ch = callee ? PyList_New(0) : NULL;
        if (ch == NULL || tsn_chain_of(c, tsn_child(fn, F_ARGUMENT), 0, st->sn, ch) < 0) {
            Py_XDECREF(ch);
            goto done;
        }
        recv = tsn_jlist(ch);
        Py_DECREF(ch);
        if (recv == NULL || tsn_add_span(st->call_fn, fn) < 0)
            goto done;
    } else if (strcmp(t, "qualified_identifier") == 0 || strcmp(t, "template_function") == 0) {
        TSNode nm = tsn_child(fn, F_NAME);
        callee = tsn_node_name(c, ts_node_is_null(nm) ? fn : nm);
        kind = K_DIRECT;
        if (callee == NULL || tsn_add_span(st->call_fn, fn) < 0)
            goto done;
    } else {
        PyObject *ch = PyList_New(0);
        if (ch == NULL || tsn_chain_of(c, fn, 0, st->sn, ch) < 0) {
            Py_XDECREF(ch);
            goto done;
        }
        callee = tsn_last_field(ch);
        recv = callee ? tsn_jlist(ch) : NULL;
        Py_DECREF(ch);
        if (recv == NULL)
            goto done;
        if (PyUnicode_GET_LENGTH(callee) == 0) {
            Py_INCREF(S_QUESTION);
            Py_SETREF(callee, S_QUESTION);
        }
        kind = K_POINTER;
    }
    Py_ssize_t sb = ts_node_start_byte(n), fb = ts_node_start_byte(fn);
    PyObject *func = tsn_func_at(c, sb);  /* (borrowed) */
    Py_ssize_t line = tsn_line(c, fb), col = tsn_col(c, line, fb);
    if (ts_node_is_null(args)) {
        r = call_row(st, n, line, col, func, callee, kind, recv, S_BRACKETS);
        goto done;
    }
    /* named = args.named_children; kids = those that are no comment */
    Py_ssize_t nnamed = 0;
    TSNode a0 = TSN_NULL;
    st->nkids = 0;
    PyObject *texts = PyList_New(0);
    if (texts == NULL)
        goto done;
    TSTreeCursor cur = ts_tree_cursor_new(args);
    int ok = 0;
    if (ts_tree_cursor_goto_first_child(&cur)) {
        do {
            TSNode ch = ts_tree_cursor_current_node(&cur);
            if (!ts_node_is_named(ch))
                continue;
            if (nnamed++ == 0)
                a0 = ch;
            if (tsn_is(ch, "comment"))
                continue;
            if (st->nkids == st->kcap && grow_kids(st) < 0)
                goto cursor_done;
            st->kids[st->nkids++] = ch;
            if (tsn_append_new(texts, tsn_node_text(c, ch, CALL_TEXT)) < 0)
                goto cursor_done;
        } while (ts_tree_cursor_goto_next_sibling(&cur));
    }
    ok = 1;
cursor_done:
    ts_tree_cursor_delete(&cur);
    jargs = ok ? tsn_jlist(texts) : NULL;
    Py_DECREF(texts);
    if (jargs == NULL)
        goto done;
    if (call_row(st, n, line, col, func, callee, kind, recv, jargs) < 0)
        goto done;
    if (logcall(st, callee, func, line, col, jargs) < 0)
        goto done;
    int wow = PySet_Contains(st->whole_object, callee);
    if (wow < 0)
        goto done;
    if (wow && nnamed > 0) {
        TSNode target = tsn_is(a0, "pointer_expression") ? tsn_child(a0, F_ARGUMENT) : a0;
        target = offset_base(c, target);
        text = tsn_node_text(c, n, MAX_TEXT);
        if (text == NULL || whole_object(st, target, line, col, func, callee, text) < 0)
            goto done;
        if (ts_node_is_null(target)) {  /* _lvalue(None): the twin fails there too */
            PyErr_SetString(PyExc_AttributeError,
                            "'NoneType' object has no attribute 'start_byte'");
            goto done;
        }
        if (tsn_lvalue(st->writes, target) < 0)
            goto done;
    } else if (st->fills_on) {
        PyObject *positions = PyDict_GetItemWithError(st->fills, callee);  /* (borrowed) */
        if (positions == NULL && PyErr_Occurred())
            goto done;
        if (positions != NULL) {
            int truth = PyObject_IsTrue(positions);
            if (truth < 0)
                goto done;
            if (truth) {
                text = tsn_node_text(c, n, MAX_TEXT);
                if (text == NULL ||
                    filled_pointers(st, positions, line, col, func, callee, text) < 0)
                    goto done;
            }
        }
    }
    r = 0;
done:
    Py_XDECREF(callee);
    Py_XDECREF(recv);
    Py_XDECREF(jargs);
    Py_XDECREF(text);
    return r;
}

/* calls(nodes, ctx, ppcond_starts, ppcond_ends, cond_starts, cond_ends, call_fn_nodes,
 *       write_nodes, fills, struct_names, dialect, inline_literals, literal_keys, unescape,
 *       static_call, whole_object_writers, calls, logcalls, assigns) -> None
 *
 * extract._call of each node in turn: the rows go to the lists `calls`, `logcalls` and
 * `assigns` (cx.f's) in the order the Python loop appends them; the callee spans to the set
 * `call_fn_nodes`, the overwritten objects' spans to the set `write_nodes`. */
PyObject *tsn_calls(PyObject *Py_UNUSED(mod), PyObject *args) {
    PyObject *nodes, *pps, *ppe, *cs, *ce;
    St st;
    memset(&st, 0, sizeof st);
    Ctx *c;
    if (!PyArg_ParseTuple(args, "O!O!OOOOO!O!O!O!OOOOO!O!O!O!O!", &PyList_Type, &nodes,
                          &TSN_CtxType, &c, &pps, &ppe, &cs, &ce, &PySet_Type, &st.call_fn,
                          &PySet_Type, &st.writes, &PyDict_Type, &st.fills, &PyDict_Type, &st.sn,
                          &st.dialect, &st.inline_literals, &st.literal_keys, &st.unescape,
                          &PyFrozenSet_Type, &st.static_call, &PyFrozenSet_Type,
                          &st.whole_object, &PyList_Type, &st.calls, &PyList_Type,
                          &st.logcalls, &PyList_Type, &st.assigns))
        return NULL;
    st.c = c;
    st.fills_on = PyDict_GET_SIZE(st.fills) > 0;
    PyObject *out = NULL;
    if (tsn_spans_init(&st.pp, pps, ppe) < 0 || tsn_spans_init(&st.cond, cs, ce) < 0)
        goto done;
    for (Py_ssize_t i = 0; i < PyList_GET_SIZE(nodes); i++) {
        TSNode n;
        if (tsn_node(PyList_GET_ITEM(nodes, i), &n) < 0 || one_call(&st, n) < 0)
            goto done;
    }
    out = Py_None;
    Py_INCREF(out);
done:
    tsn_spans_free(&st.pp);
    tsn_spans_free(&st.cond);
    PyMem_Free(st.kids);
    return out;
}
