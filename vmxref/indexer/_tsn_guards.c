/* The pass of `if` conditions: guards.branches, with the parts of vmxref/conditions.py it
 * calls (plain, plain_conjuncts, short_circuits, balanced).
 *
 * The Python twin reads a condition as cx._norms[a:b], a latin-1 decoding of the normalised
 * bytes: one character per byte. The functions below work on those bytes with the same
 * character classes (re's \w and \s, str.split()/strip() white space: TSN_IS_WORD and
 * TSN_IS_SPACE, the same tables for latin-1 characters), and the strs they give are
 * latin-1 decodings, as Python's slices and joins are. */
#include "_tsnative.h"
#include <string.h>

typedef const unsigned char *Bytes;

/* `xx` in s[0:n] */
static int has2(Bytes s, Py_ssize_t n, unsigned char x) {
    for (Py_ssize_t i = 0; i + 1 < n; i++)
        if (s[i] == x && s[i + 1] == x)
            return 1;
    return 0;
}

/* conditions.balanced */
static int balanced(Bytes s, Py_ssize_t n) {
    Py_ssize_t depth = 0;
    for (Py_ssize_t i = 0; i < n; i++) {
        depth += (s[i] == '(') - (s[i] == ')');
        if (depth < 0)
            return 0;
    }
    return depth == 0;
}

/* "".join(s.split()) into out (at least n bytes); returns its length */
static Py_ssize_t squeeze(Bytes s, Py_ssize_t n, unsigned char *out) {
    Py_ssize_t k = 0;
    for (Py_ssize_t i = 0; i < n; i++)
        if (!TSN_IS_SPACE[s[i]])
            out[k++] = s[i];
    return k;
}

static int ident_start(unsigned char ch) {
    return (ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') || ch == '_';
}

/* conditions.TERM.fullmatch: [A-Za-z_]\w*(?:(?:->|\.)[A-Za-z_]\w*)* (no backtracking can
 * help: \w* takes every word character and what may follow it is no word character) */
static int term_full(Bytes s, Py_ssize_t n) {
    Py_ssize_t i = 0;
    for (;;) {
        if (i >= n || !ident_start(s[i]))
            return 0;
        i++;
        while (i < n && TSN_IS_WORD[s[i]])
            i++;
        if (i == n)
            return 1;
        if (s[i] == '.')
            i++;
        else if (s[i] == '-' && i + 1 < n && s[i + 1] == '>')
            i += 2;
        else
            return 0;
    }
}

/* conditions.NUMBER fullmatch: (?:0[xX][0-9a-fA-F]+|[0-9]+)[uUlL]* */
static int number_full(Bytes s, Py_ssize_t n) {
    Py_ssize_t i = 0;
    if (n >= 3 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X') &&
            ((s[2] >= '0' && s[2] <= '9') || (s[2] >= 'a' && s[2] <= 'f') ||
             (s[2] >= 'A' && s[2] <= 'F'))) {
        i = 2;
        while (i < n && ((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f') ||
                         (s[i] >= 'A' && s[i] <= 'F')))
            i++;
    } else {
        while (i < n && s[i] >= '0' && s[i] <= '9')
            i++;
        if (i == 0)
            return 0;
    }
    while (i < n && (s[i] == 'u' || s[i] == 'U' || s[i] == 'l' || s[i] == 'L'))
        i++;
    return i == n;
}

/* conditions.COMPARISON fullmatch: TERM (==|!=) (TERM|NUMBER). A TERM holds no `=`: the
 * first `==` or `!=` is the operator (a second one makes either side no TERM). (`0x1f`
 * alone is no TERM, and `0x` followed by no hex digit takes the decimal branch: `0x` is
 * neither, as with the regular expression.) */
static int comparison_full(Bytes s, Py_ssize_t n) {
    for (Py_ssize_t i = 0; i + 1 < n; i++) {
        if (s[i + 1] == '=' && (s[i] == '=' || s[i] == '!'))
            return term_full(s, i) && (term_full(s + i + 2, n - i - 2) ||
                                       number_full(s + i + 2, n - i - 2));
    }
    return 0;
}

/* plain() of a text without white space (white space is allowed and then removed: plain
 * of a text is plain_squeezed of its squeeze) */
static int plain_squeezed(Bytes t, Py_ssize_t m) {
    for (Py_ssize_t i = 0; i < m; i++) {  /* _ALLOWED: [\w\s()!&|.>=-]* */
        unsigned char ch = t[i];
        if (TSN_IS_WORD[ch] || TSN_IS_SPACE[ch])
            continue;
        switch (ch) {
        case '(': case ')': case '!': case '&': case '|': case '.': case '>': case '-':
        case '=':
            continue;
        default:
            return 0;
        }
    }
    if (has2(t, m, '&') && has2(t, m, '|'))
        return 0;
    Py_ssize_t i = 0, start = 0;
    for (;;) {  /* _JOIN.split(t): each part, lstrip("(!").rstrip(")"), a TERM */
        int sep = i + 1 < m && t[i] == t[i + 1] && (t[i] == '&' || t[i] == '|');
        if (sep || i >= m) {
            Py_ssize_t a = start, b = i;
            while (a < b && (t[a] == '(' || t[a] == '!'))
                a++;
            while (b > a && t[b - 1] == ')')
                b--;
            if (!term_full(t + a, b - a) && !comparison_full(t + a, b - a))
                return 0;
            if (i >= m)
                return 1;
            i += 2;
            start = i;
        } else {
            i++;
        }
    }
}

/* conditions.plain (scratch: n bytes) */
static int plain(Bytes s, Py_ssize_t n, unsigned char *scratch) {
    return plain_squeezed(scratch, squeeze(s, n, scratch));
}

typedef struct {
    unsigned char *sq, *t, *held;  /* each `cap` bytes */
    Py_ssize_t *ps, *pe;           /* parts: `cap` of them */
    char *keep;
    Py_ssize_t cap;
} Scratch;

/* f"({'&&'.join(kept)})" being built: before the first part "(", before the others "&&" */
static Py_ssize_t open_or_join(unsigned char *buf, Py_ssize_t k) {
    if (k == 0) {
        buf[k++] = '(';
    } else {
        buf[k++] = '&';
        buf[k++] = '&';
    }
    return k;
}

/* conditions.plain_conjuncts into s->held; its length (0: "") */
static Py_ssize_t plain_conjuncts(Bytes text, Py_ssize_t n, Scratch *s) {
    unsigned char *t = s->t;
    Py_ssize_t lo = 0, hi = squeeze(text, n, t);
    while (hi - lo >= 2 && t[lo] == '(' && t[hi - 1] == ')' && balanced(t + lo + 1, hi - lo - 2)) {
        lo++;
        hi--;
    }
    Py_ssize_t np = 0, depth = 0, cur = lo, i = lo;
    while (i < hi) {
        unsigned char ch = t[i];
        if (ch == '(') {
            depth++;
        } else if (ch == ')') {
            depth--;
        } else if (depth == 0 && ch == '|' && i + 1 < hi && t[i + 1] == '|') {
            return 0;
        } else if (depth == 0 && ch == '&' && i + 1 < hi && t[i + 1] == '&') {
            s->ps[np] = cur;
            s->pe[np++] = i;
            i += 2;
            cur = i;
            continue;
        }
        i++;
    }
    s->ps[np] = cur;
    s->pe[np++] = hi;
    if (np <= 1)
        return 0;
    Py_ssize_t k = 0;
    for (Py_ssize_t p = 0; p < np; p++) {
        Bytes part = t + s->ps[p];
        Py_ssize_t len = s->pe[p] - s->ps[p];
        if (!plain_squeezed(part, len) || has2(part, len, '&') || has2(part, len, '|'))
            continue;
        k = open_or_join(s->held, k);
        memcpy(s->held + k, part, len);
        k += len;
    }
    if (k == 0)
        return 0;
    s->held[k++] = ')';
    return k;
}

/* (number of leading, trailing white space characters of s[a:b]: all of them when blank) */
static Py_ssize_t lead_ws(Bytes s, Py_ssize_t a, Py_ssize_t b) {
    Py_ssize_t i = a;
    while (i < b && TSN_IS_SPACE[s[i]])
        i++;
    return i - a;
}

static Py_ssize_t trail_ws(Bytes s, Py_ssize_t a, Py_ssize_t b) {
    Py_ssize_t i = b;
    while (i > a && TSN_IS_SPACE[s[i - 1]])
        i--;
    return b - i;
}

/* `ch` in text[a:b] (a Python slice of a str of length n: bounds clamped) */
static int slice_has(Bytes text, Py_ssize_t n, Py_ssize_t a, Py_ssize_t b, unsigned char ch) {
    if (a < 0)
        a = a + n < 0 ? 0 : a + n;
    if (b > n)
        b = n;
    for (Py_ssize_t i = a; i < b; i++)
        if (text[i] == ch)
            return 1;
    return 0;
}

/* conditions.short_circuits: appends a row (line, col of a + offset, end of the condition,
 * func, conjuncts, 1) per (offset, conjuncts) to `out` */
static int short_circuits(const Ctx *c, Bytes text, Py_ssize_t n, Py_ssize_t a0,
                          Py_ssize_t eline, Py_ssize_t ecol, PyObject *func, Scratch *s,
                          PyObject *out) {
    Py_ssize_t lo = 0, hi = n;
    for (;;) {  /* the parentheses around all of it */
        Py_ssize_t a = lo + lead_ws(text, lo, hi), b = hi - trail_ws(text, lo, hi);
        if (b - a >= 2 && text[a] == '(' && text[b - 1] == ')' &&
                balanced(text + a + 1, b - a - 2)) {
            lo = a + 1;
            hi = b - 1;
            continue;
        }
        lo = a;
        hi = b;
        break;
    }
    Py_ssize_t f = -1;  /* text.find("&&", lo) */
    for (Py_ssize_t i = lo < 0 ? 0 : lo; i + 1 < n; i++)
        if (text[i] == '&' && text[i + 1] == '&') {
            f = i;
            break;
        }
    if (!slice_has(text, n, f, hi, '('))
        return 0;
    /* the rows of this condition go to `rows` first: a top-level || drops them all */
    PyObject *rows = PyList_New(0);
    if (rows == NULL)
        return -1;
    Py_ssize_t depth = 0, start = lo, np = 0, i = lo;
    while (i < hi) {  /* _TOKENS.finditer(text, lo, hi): [()\[\]]|&&|\|\| */
        unsigned char ch = text[i];
        if (ch == '(' || ch == '[') {
            depth++;
            i++;
        } else if (ch == ')' || ch == ']') {
            depth--;
            i++;
        } else if (ch == '|' && i + 1 < hi && text[i + 1] == '|') {
            if (depth == 0) {
                Py_DECREF(rows);
                return 0;
            }
            i += 2;
        } else if (ch == '&' && i + 1 < hi && text[i + 1] == '&') {
            if (depth == 0) {
                Bytes p = text + start;
                Py_ssize_t len = i - start;
                s->ps[np] = start;
                s->pe[np] = i;
                s->keep[np++] = plain(p, len, s->sq) && !has2(p, len, '&') && !has2(p, len, '|');
                start = i + 2;
                Py_ssize_t k = 0;
                for (Py_ssize_t q = 0; q < np; q++) {
                    if (!s->keep[q])
                        continue;
                    k = open_or_join(s->held, k);
                    k += squeeze(text + s->ps[q], s->pe[q] - s->ps[q], s->held + k);
                }
                if (k > 0 && slice_has(text, n, start, hi, '(')) {
                    s->held[k++] = ')';
                    Py_ssize_t off = start + lead_ws(text, start, hi);
                    Py_ssize_t b = a0 + off, line = tsn_line(c, b);
                    PyObject *held = PyUnicode_DecodeLatin1((const char *)s->held, k, NULL);
                    if (held == NULL ||
                            tsn_append_new(rows, Py_BuildValue("(nnnnONi)", line,
                                                               tsn_col(c, line, b), eline, ecol,
                                                               func, held, 1)) < 0) {
                        Py_DECREF(rows);
                        return -1;
                    }
                }
            }
            i += 2;
        } else {
            i++;
        }
    }
    Py_ssize_t nrows = PyList_GET_SIZE(rows);
    for (Py_ssize_t r = 0; r < nrows; r++)
        if (PyList_Append(out, PyList_GET_ITEM(rows, r)) < 0) {
            Py_DECREF(rows);
            return -1;
        }
    Py_DECREF(rows);
    return 0;
}

/* guards._exits: `return ...;` (goto, break, continue), or a block that ends with one */
static int is_exit(TSNode n) {
    return tsn_is(n, "return_statement") || tsn_is(n, "goto_statement") ||
           tsn_is(n, "break_statement") || tsn_is(n, "continue_statement");
}

static int exits(TSNode n) {
    if (is_exit(n))
        return 1;
    if (!tsn_is(n, "compound_statement"))
        return 0;
    TSNode last = TSN_NULL;
    TSTreeCursor cur = ts_tree_cursor_new(n);
    if (ts_tree_cursor_goto_first_child(&cur)) {
        do {
            TSNode ch = ts_tree_cursor_current_node(&cur);
            if (ts_node_is_named(ch) && !tsn_is(ch, "comment"))
                last = ch;
        } while (ts_tree_cursor_goto_next_sibling(&cur));
    }
    ts_tree_cursor_delete(&cur);
    return !ts_node_is_null(last) && is_exit(last);
}

/* a row (line, col of `from`, line, col of `to`, func, cond, branch) */
static int row(PyObject *out, const Ctx *c, Py_ssize_t from, Py_ssize_t to, PyObject *func,
               PyObject *cond, int branch) {
    Py_ssize_t l1 = tsn_line(c, from), l2 = tsn_line(c, to);
    return tsn_append_new(out, Py_BuildValue("(nnnnOOi)", l1, tsn_col(c, l1, from), l2,
                                             tsn_col(c, l2, to), func, cond, branch));
}

/* guards(conds, ctx, max_cond) -> rows
 *
 * guards.branches(cx, conds): the condition nodes of `if` statements (the capture `ifcond`
 * of extract.QUERY), in functions, at most max_cond bytes long: the short-circuited
 * conjuncts before a call, the then branch of a plain condition (or of the plain conjuncts
 * of an &&), and the else branch (or the rest of the block after an `if (..) return;`) of a
 * plain one. */
PyObject *tsn_guards(PyObject *Py_UNUSED(mod), PyObject *args) {
    PyObject *nodes;
    Ctx *c;
    Py_ssize_t max_cond;
    if (!PyArg_ParseTuple(args, "O!O!n", &PyList_Type, &nodes, &TSN_CtxType, &c, &max_cond))
        return NULL;
    Scratch s = {0};
    Py_ssize_t cap = (max_cond < c->nnorm ? max_cond : c->nnorm);
    s.cap = (cap > 0 ? cap : 0) + 8;  /* (a condition is at most max_cond bytes of the text) */
    PyObject *out = PyList_New(0), *ret = NULL;
    s.sq = PyMem_Malloc(s.cap);
    s.t = PyMem_Malloc(s.cap);
    s.held = PyMem_Malloc(s.cap);
    s.ps = PyMem_Malloc(s.cap * sizeof(Py_ssize_t));
    s.pe = PyMem_Malloc(s.cap * sizeof(Py_ssize_t));
    s.keep = PyMem_Malloc(s.cap);
    if (out == NULL)
        goto done;
    if (!s.sq || !s.t || !s.held || !s.ps || !s.pe || !s.keep) {
        PyErr_NoMemory();
        goto done;
    }
    for (Py_ssize_t k = 0; k < PyList_GET_SIZE(nodes); k++) {
        TSNode cn;
        if (tsn_node(PyList_GET_ITEM(nodes, k), &cn) < 0)
            goto done;
        Py_ssize_t a = ts_node_start_byte(cn), b = ts_node_end_byte(cn);
        if (b - a > max_cond)
            continue;
        PyObject *func = tsn_func_at(c, a);
        if (PyUnicode_GET_LENGTH(func) == 0)
            continue;
        Py_ssize_t ta = a < c->nnorm ? a : c->nnorm, tb = b < c->nnorm ? b : c->nnorm;
        if (tb < ta)
            tb = ta;
        Bytes text = c->norm + ta;
        Py_ssize_t n = tb - ta;
        if (n + 8 > s.cap) {  /* (b - a <= max_cond: not reached) */
            PyErr_SetString(PyExc_SystemError, "guards: a condition longer than max_cond");
            goto done;
        }
        int amp = has2(text, n, '&');
        if (amp) {  /* a call after `a &&` runs only when a holds */
            Py_ssize_t el = tsn_line(c, b);
            if (short_circuits(c, text, n, a, el, tsn_col(c, el, b), func, &s, out) < 0)
                goto done;
        }
        int whole = plain(text, n, s.sq);
        PyObject *cond;
        if (whole) {
            Py_ssize_t m = squeeze(text, n, s.sq);
            if (m == 0)
                continue;
            cond = PyUnicode_DecodeLatin1((const char *)s.sq, m, NULL);
        } else if (amp) {  /* (scan only an &&) */
            Py_ssize_t m = plain_conjuncts(text, n, &s);
            if (m == 0)
                continue;
            cond = PyUnicode_DecodeLatin1((const char *)s.held, m, NULL);
        } else {
            continue;
        }
        if (cond == NULL)
            goto done;
        TSNode stmt = ts_node_parent(cn);
        TSNode then = tsn_child(stmt, F_CONSEQUENCE), alt = tsn_child(stmt, F_ALTERNATIVE);
        int err = 0;
        if (!ts_node_is_null(then))
            err = row(out, c, ts_node_start_byte(then), ts_node_end_byte(then), func, cond, 1);
        if (!err && whole) {  /* (`if (f(x) && !y)` not taken says nothing of y) */
            if (!ts_node_is_null(alt)) {
                err = row(out, c, ts_node_start_byte(alt), ts_node_end_byte(alt), func, cond, 0);
            } else if (!ts_node_is_null(then) && exits(then)) {
                TSNode block = ts_node_parent(stmt);  /* `if (!x) return 1;`: the rest has x */
                if (!ts_node_is_null(block) &&
                        (tsn_is(block, "compound_statement") || tsn_is(block, "case_statement")) &&
                        ts_node_end_byte(block) > ts_node_end_byte(stmt))
                    err = row(out, c, ts_node_end_byte(stmt), ts_node_end_byte(block), func,
                              cond, 0);
            }
        }
        Py_DECREF(cond);
        if (err < 0)
            goto done;
    }
    ret = out;
    out = NULL;
done:
    PyMem_Free(s.sq);
    PyMem_Free(s.t);
    PyMem_Free(s.held);
    PyMem_Free(s.ps);
    PyMem_Free(s.pe);
    PyMem_Free(s.keep);
    Py_XDECREF(out);
    return ret;
}
