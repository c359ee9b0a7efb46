/* The pass of `#define NAME value`: macros.definition of a preproc_def, and _define_refs. */
#include "_tsnative.h"
#include <string.h>

#define DEFINE_BODY_MAX 8000  /* macros.definition reads at most this much of a body */
#define DEFINE_TEXT_MAX 400   /* the text kept in the symbol */

/* ctext.NOT_CODE.sub: comments and string/char literals of a body blanked (same length;
 * also the body of a function-like macro, _tsn_fmacros.c):
 * /\*.*?\*\/ | //[^\n]* | "(?:\\.|[^"\\\n])*" | '(?:\\.|[^'\\\n])*' (re.S), tried in that
 * order at each position, the scan going on after each match. */
void tsn_blank_not_code(unsigned char *s, Py_ssize_t n) {
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
                if (j + 1 < n && s[j] == '\\')
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
 * and `##` (a shorter match would end before a word character: none). Keywords, the
 * macro's own name and __VA_ARGS__ are left out. */
static int define_refs(const Ctx *c, PyObject *refs, PyObject *name, PyObject *keywords,
                       PyObject *va, Py_ssize_t at, const unsigned char *body, Py_ssize_t n,
                       PyObject *kind) {
    Py_ssize_t i = 0;
    while (i < n) {
        if (!TSN_IS_WORD[body[i]]) {
            i++;
            continue;
        }
        Py_ssize_t j = i;
        while (j < n && TSN_IS_WORD[body[j]])
            j++;
        int ok = is_ident_start(body[i]) &&
                 !(i > 0 && (body[i - 1] == '$' || body[i - 1] == '#')) &&
                 !(j < n && body[j] == '$');
        if (ok) {
            Py_ssize_t k = j;
            while (k < n && TSN_IS_SPACE[body[k]])
                k++;
            if (k + 1 < n && body[k] == '#' && body[k + 1] == '#')
                ok = 0;
        }
        if (ok) {
            PyObject *tok = PyUnicode_DecodeLatin1((const char *)body + i, j - i, NULL);
            if (tok == NULL)
                return -1;
            int skipped = PySet_Contains(keywords, tok);
            if (skipped == 0)
                skipped = PyUnicode_Compare(tok, name) == 0 || PyUnicode_Compare(tok, va) == 0;
            if (skipped < 0 || PyErr_Occurred()) {
                Py_DECREF(tok);
                return -1;
            }
            if (!skipped) {
                Py_ssize_t sb = at + i;
                Py_ssize_t line = tsn_line(c, sb);
                PyObject *row = Py_BuildValue("(NOnnOO)", tok, kind, line, tsn_col(c, line, sb),
                                              name, Py_None);
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

/* defines(nodes, ctx, keywords) -> (syms, refs, name offsets)
 *
 * The name nodes of `#define NAME value` (preproc_def, the capture `macro` of
 * extract.QUERY): per node, what macros.definition(cx, node, "macro") records: the symbol
 * (name, "macro", line, col, end line, "", None, 0, 0, text of the value), a reference of
 * kind 'define' of every identifier of the value, and the name's offset for
 * cx.decl_names. */
PyObject *tsn_defines(PyObject *Py_UNUSED(mod), PyObject *args) {
    PyObject *nodes, *keywords;
    Ctx *c;
    if (!PyArg_ParseTuple(args, "O!O!O!", &PyList_Type, &nodes, &TSN_CtxType, &c,
                          &PyFrozenSet_Type, &keywords))
        return NULL;
    PyObject *syms = PyList_New(0), *refs = PyList_New(0), *offs = PyList_New(0);
    PyObject *k_macro = PyUnicode_FromString("macro"), *k_define = PyUnicode_FromString("define");
    PyObject *va = PyUnicode_FromString("__VA_ARGS__"), *out = NULL;
    unsigned char *body = PyMem_Malloc(DEFINE_BODY_MAX);
    if (!syms || !refs || !offs || !k_macro || !k_define || !va || !body)
        goto done;
    for (Py_ssize_t k = 0; k < PyList_GET_SIZE(nodes); k++) {
        TSNode nm;
        if (tsn_node(PyList_GET_ITEM(nodes, k), &nm) < 0)
            goto done;
        Py_ssize_t a = ts_node_start_byte(nm);
        PyObject *off = PyLong_FromSsize_t(a);
        if (off == NULL || PyList_Append(offs, off) < 0) {
            Py_XDECREF(off);
            goto done;
        }
        Py_DECREF(off);
        TSNode d = ts_node_parent(nm), val = tsn_child(d, F_VALUE);
        int has_val = !ts_node_is_null(val);
        PyObject *name = tsn_node_name(c, nm);
        if (name == NULL)
            goto done;
        PyObject *text;
        if (has_val) {
            text = tsn_node_text(c, val, DEFINE_TEXT_MAX);
        } else {
            text = c->empty;
            Py_INCREF(text);
        }
        if (text == NULL) {
            Py_DECREF(name);
            goto done;
        }
        Py_ssize_t line = tsn_line(c, a);
        PyObject *sym = Py_BuildValue("(OOnnnOOiiN)", name, k_macro, line, tsn_col(c, line, a),
                                      tsn_line(c, ts_node_end_byte(d)), c->empty, Py_None, 0, 0,
                                      text);
        if (sym == NULL || PyList_Append(syms, sym) < 0) {
            Py_XDECREF(sym);
            Py_DECREF(name);
            goto done;
        }
        Py_DECREF(sym);
        if (has_val) {
            Py_ssize_t v0 = ts_node_start_byte(val), v1 = ts_node_end_byte(val);
            if (v1 > v0 + DEFINE_BODY_MAX)
                v1 = v0 + DEFINE_BODY_MAX;
            if (v1 > c->nsrc)
                v1 = c->nsrc;
            if (v0 > v1)
                v0 = v1;
            memcpy(body, c->src + v0, v1 - v0);
            tsn_blank_not_code(body, v1 - v0);
            if (define_refs(c, refs, name, keywords, va, v0, body, v1 - v0, k_define) < 0) {
                Py_DECREF(name);
                goto done;
            }
        }
        Py_DECREF(name);
    }
    out = PyTuple_Pack(3, syms, refs, offs);
done:
    PyMem_Free(body);
    Py_XDECREF(syms);
    Py_XDECREF(refs);
    Py_XDECREF(offs);
    Py_XDECREF(k_macro);
    Py_XDECREF(k_define);
    Py_XDECREF(va);
    return out;
}
