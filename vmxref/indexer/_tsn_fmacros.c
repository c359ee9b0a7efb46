/* The pass of `#define NAME(params) value`: macros.definition of a preproc_function_def,
 * with _macro_calls, _macro_members and _define_refs in C. What fills per-file state
 * (_initializer_macro, _pasting_macro, _name_template) stays Python: called back, per
 * macro, only when its body can hold what they look for (a `{` first, or `##`), in the
 * order macros.definition calls them.
 *
 * The body is read as macros.py reads it: the latin-1 text of at most 8000 bytes of the
 * value, comments and literals blanked (ctext.NOT_CODE), scanned with the regexes of
 * macros.py, mirrored below (Python's `\w` and `\s` on a latin-1 str: TSN_IS_WORD and
 * TSN_IS_SPACE). Every str made of body text is a latin-1 decoding, as the slices of
 * cx._srcs are; the macro's name and parameters are cx.name's (normalised text, UTF-8),
 * compared with body tokens through their latin-1 form (a str with a character above
 * U+00FF equals no token). */
#include "_tsnative.h"
#include <string.h>

#define BODY_MAX 8000  /* macros.definition reads at most this much of a body */
#define TEXT_MAX 400   /* the text kept in the symbol */
#define CTEXT_MAX 200  /* enclosing_call's call text */

static int ident_start(unsigned char c) {  /* [A-Za-z_] */
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '_';
}

static Py_ssize_t word_end(const unsigned char *b, Py_ssize_t n, Py_ssize_t i) {
    while (i < n && TSN_IS_WORD[b[i]])
        i++;
    return i;
}

static Py_ssize_t skip_space(const unsigned char *b, Py_ssize_t n, Py_ssize_t i) {
    while (i < n && TSN_IS_SPACE[b[i]])
        i++;
    return i;
}

static int has2(const unsigned char *b, Py_ssize_t n, char x, char y) {
    for (Py_ssize_t i = 0; i + 1 < n; i++)
        if (b[i] == x && b[i + 1] == y)
            return 1;
    return 0;
}

/* a str's latin-1 bytes (a str holding a character above U+00FF: none, it equals no
 * latin-1 token) */
typedef struct {
    const unsigned char *s;
    Py_ssize_t n;
    int ident;  /* str.isidentifier() */
} Word;

static void word_of(PyObject *str, Word *w) {
    if (PyUnicode_KIND(str) == PyUnicode_1BYTE_KIND) {
        w->s = PyUnicode_1BYTE_DATA(str);
        w->n = PyUnicode_GET_LENGTH(str);
    } else {
        w->s = NULL;
        w->n = -1;
    }
}

static int word_is(const Word *w, const unsigned char *t, Py_ssize_t n) {
    return w->n == n && w->s != NULL && memcmp(w->s, t, n) == 0;
}

typedef struct {  /* one macro */
    const Ctx *c;
    PyObject *name;  /* cx.name of the macro's name */
    Word wname;
    Word *own;       /* its parameters (not the comments among them) */
    Py_ssize_t nown;
    const unsigned char *b;  /* the blanked body */
    Py_ssize_t n;
    Py_ssize_t at;   /* the value's start byte */
    PyObject *keywords, *not_calls;
} Macro;

static Py_ssize_t own_index(const Macro *m, const unsigned char *t, Py_ssize_t n) {
    for (Py_ssize_t k = 0; k < m->nown; k++)
        if (word_is(&m->own[k], t, n))
            return k;
    return -1;
}

static PyObject *latin1(const unsigned char *s, Py_ssize_t n) {
    return PyUnicode_DecodeLatin1((const char *)s, n, NULL);
}

/* --- _macro_calls: _BODY_CALL = \b([A-Za-z_]\w*)\s*\( -------------------------------- */

static int macro_calls(const Macro *m, PyObject *calls, PyObject *k_macro, PyObject *s_brackets) {
    const unsigned char *b = m->b;
    Py_ssize_t n = m->n, line0 = tsn_line(m->c, m->at), nls = 0, counted = 0;
    PyObject *seen = PySet_New(NULL);
    if (seen == NULL)
        return -1;
    Py_ssize_t i = 0;
    while (i < n) {
        if (!TSN_IS_WORD[b[i]]) {
            i++;
            continue;
        }
        /* a word run's start (the character before is no word character: \b) */
        Py_ssize_t j = word_end(b, n, i), k = skip_space(b, n, j);
        if (!ident_start(b[i]) || k >= n || b[k] != '(') {
            i = j;
            continue;
        }
        if (own_index(m, b + i, j - i) < 0 && !word_is(&m->wname, b + i, j - i)) {
            PyObject *callee = latin1(b + i, j - i);
            if (callee == NULL)
                goto fail;
            int skip = PySet_Contains(m->not_calls, callee);
            if (skip == 0)
                skip = PySet_Contains(seen, callee);
            if (skip == 0 && PySet_Add(seen, callee) < 0)
                skip = -1;
            if (skip < 0) {
                Py_DECREF(callee);
                goto fail;
            }
            if (!skip) {
                for (; counted < i; counted++)
                    nls += b[counted] == '\n';
                Py_ssize_t line = line0 + nls;
                if (tsn_append_new(calls, Py_BuildValue("(niONOOOnO)", line, 0, m->name, callee,
                                                        k_macro, Py_None, s_brackets, line,
                                                        Py_None)) < 0)
                    goto fail;
            } else {
                Py_DECREF(callee);
            }
        }
        i = k + 1;
    }
    Py_DECREF(seen);
    return 0;
fail:
    Py_DECREF(seen);
    return -1;
}

/* --- _macro_members ------------------------------------------------------------------- */

/* _expr_text(body, start, stops): the end of the text from `start` to the unbalanced
 * closing bracket, or a character of `stops` at depth 0 */
static Py_ssize_t expr_end(const unsigned char *b, Py_ssize_t n, Py_ssize_t start,
                           const char *stops) {
    Py_ssize_t depth = 0;
    for (Py_ssize_t k = start; k < n; k++) {
        unsigned char ch = b[k];
        if (ch == '(' || ch == '[' || ch == '{') {
            depth++;
        } else if (ch == ')' || ch == ']' || ch == '}') {
            if (depth == 0)
                return k;
            depth--;
        } else if (depth == 0 && ch != 0 && strchr(stops, ch) != NULL) {
            return k;
        }
    }
    return n;
}

/* " ".join(s.replace("\\\n", " ").split()) (all_bs: s.replace("\\", " ")) into out (at
 * most n bytes); returns the length */
static Py_ssize_t collapse(const unsigned char *s, Py_ssize_t n, int all_bs, unsigned char *out) {
    Py_ssize_t o = 0;
    int gap = 0;
    for (Py_ssize_t i = 0; i < n; i++) {
        unsigned char ch = s[i];
        if (TSN_IS_SPACE[ch] || (ch == '\\' && (all_bs || (i + 1 < n && s[i + 1] == '\n')))) {
            gap = o > 0;
            continue;
        }
        if (gap) {
            out[o++] = ' ';
            gap = 0;
        }
        out[o++] = ch;
    }
    return o;
}

static int ends_with(const unsigned char *b, Py_ssize_t end, const char *s) {
    Py_ssize_t k = (Py_ssize_t)strlen(s);
    return end >= k && memcmp(b + end - k, s, k) == 0;
}

/* re.search of a pattern of literal words in `s`; ci: ASCII case-insensitive (a latin-1
 * letter folds to no ASCII one); `upper`: the word must be followed by [A-Z] (2: or
 * [0-9]), 3: by [US]; `under`: at the start or after `_`, and followed by `_` */
static int has_word(const unsigned char *s, Py_ssize_t n, const char *w, int ci, int next) {
    Py_ssize_t k = (Py_ssize_t)strlen(w);
    for (Py_ssize_t i = 0; i + k <= n; i++) {
        Py_ssize_t j = 0;
        for (; j < k; j++) {
            unsigned char a = s[i + j], x = (unsigned char)w[j];
            if (ci && a >= 'A' && a <= 'Z')
                a = (unsigned char)(a - 'A' + 'a');
            if (a != x)
                break;
        }
        if (j < k)
            continue;
        if (next == 0)
            return 1;
        if (i + k >= n)
            continue;
        unsigned char a = s[i + k];
        if (next == 1 && a >= 'A' && a <= 'Z')
            return 1;
        if (next == 2 && ((a >= 'A' && a <= 'Z') || (a >= '0' && a <= '9')))
            return 1;
        if (next == 3 && (a == 'U' || a == 'S'))
            return 1;
        if (next == 4 && a == '_' && (i == 0 || s[i - 1] == '_'))
            return 1;
    }
    return 0;
}

/* _ASKER_NAME: (?:Is|Has|Get|Query)[A-Z]|(?:^|_)(?:is|has|get)_ */
static int asker_name(const unsigned char *s, Py_ssize_t n) {
    static const char *up[] = {"Is", "Has", "Get", "Query"}, *low[] = {"is", "has", "get"};
    for (int k = 0; k < 4; k++)
        if (has_word(s, n, up[k], 0, 1))
            return 1;
    for (int k = 0; k < 3; k++)
        if (has_word(s, n, low[k], 0, 4))
            return 1;
    return 0;
}

/* _WRITER_NAME: (?i:write|set|xchg|...)|Or[US]|And[US] */
static int writer_name(const unsigned char *s, Py_ssize_t n) {
    static const char *words[] = {"write", "set", "xchg", "store", "inc", "dec", "add", "sub",
                                  "clear", "zero", "init", "fill", "copy", "swap", "put",
                                  "reset", NULL};
    for (int k = 0; words[k]; k++)
        if (has_word(s, n, words[k], 1, 0))
            return 1;
    return has_word(s, n, "Or", 0, 3) || has_word(s, n, "And", 0, 3);
}

/* _last_out_param */
static int last_out_param(const unsigned char *callee, Py_ssize_t ncallee, Py_ssize_t idx,
                          const unsigned char *ctext, Py_ssize_t nctext) {
    if (!has_word(callee, ncallee, "Get", 0, 2) && !has_word(callee, ncallee, "Query", 0, 2))
        return 0;
    Py_ssize_t depth = 0, commas = 0;
    for (Py_ssize_t k = ncallee + 1; k < nctext; k++) {
        unsigned char ch = ctext[k];
        if (ch == '(' || ch == '[' || ch == '{')
            depth++;
        else if (ch == ')' || ch == ']' || ch == '}')
            depth--;
        else if (ch == ',' && depth == 0)
            commas++;
    }
    return commas >= 1 && idx == commas + 1;
}

/* enclosing_call(body, at): 1 with the callee [*c0, *c1), the 1-based argument index and
 * the call text (in `out`, *nout bytes); 0 for None; -1 on error */
static int enclosing_call(const Macro *m, Py_ssize_t at, Py_ssize_t *c0, Py_ssize_t *c1,
                          Py_ssize_t *idx, unsigned char *out, Py_ssize_t *nout) {
    const unsigned char *b = m->b;
    Py_ssize_t depth = 0, commas = 0;
    for (Py_ssize_t k = at - 1; k >= 0; k--) {
        unsigned char ch = b[k];
        if (ch == ')' || ch == ']' || ch == '}') {
            depth++;
        } else if (ch == '(' || ch == '[' || ch == '{') {
            if (depth == 0) {
                if (ch != '(')
                    return 0;
                /* re.search(r"([A-Za-z_]\w*)$", body[:k].rstrip()) */
                Py_ssize_t h = k;
                while (h > 0 && TSN_IS_SPACE[b[h - 1]])
                    h--;
                Py_ssize_t p = h;
                while (p > 0 && TSN_IS_WORD[b[p - 1]])
                    p--;
                while (p < h && !ident_start(b[p]))
                    p++;
                if (p >= h)
                    return 0;
                PyObject *callee = latin1(b + p, h - p);
                if (callee == NULL)
                    return -1;
                int nc = PySet_Contains(m->not_calls, callee);
                Py_DECREF(callee);
                if (nc != 0)
                    return nc < 0 ? -1 : 0;
                Py_ssize_t e = expr_end(b, m->n, k + 1, "");
                Py_ssize_t o = 0;
                memcpy(out, b + p, h - p);
                o = h - p;
                out[o++] = '(';
                o += collapse(b + k + 1, e - (k + 1), 1, out + o);
                out[o++] = ')';
                *c0 = p;
                *c1 = h;
                *idx = commas + 1;
                *nout = o < CTEXT_MAX ? o : CTEXT_MAX;
                return 1;
            }
            depth--;
        } else if (ch == ',' && depth == 0) {
            commas++;
        }
    }
    return 0;
}

typedef struct {
    Py_ssize_t at, n;  /* an identifier step (n > 0), or `[]` (n == 0) */
} Step;

static PyObject *step_str(const Macro *m, const Step *s, PyObject *s_brackets) {
    if (s->n == 0) {
        Py_INCREF(s_brackets);
        return s_brackets;
    }
    return latin1(m->b + s->at, s->n);
}

/* [base, *steps[:upto]] as a jlist */
static PyObject *chain_jlist(const Macro *m, PyObject *base, const Step *steps, Py_ssize_t upto,
                             PyObject *s_brackets) {
    PyObject *lst = PyList_New(0), *out = NULL;
    if (lst == NULL || PyList_Append(lst, base) < 0)
        goto done;
    for (Py_ssize_t k = 0; k < upto; k++)
        if (tsn_append_new(lst, step_str(m, &steps[k], s_brackets)) < 0)
            goto done;
    out = tsn_jlist(lst);
done:
    Py_XDECREF(lst);
    return out;
}

typedef struct {
    PyObject *refs, *assigns;
    Step *steps;            /* room for BODY_MAX / 2 + 1 */
    unsigned char *scratch; /* room for 2 * BODY_MAX + 16 */
    unsigned char *done;    /* room for BODY_MAX: the offsets of the members read */
} Members;

/* one match of _BODY_WORD at [i, j) with its base (a:N or u:NAME): 0 done, -1 error */
static int member_use(const Macro *m, Members *w, Py_ssize_t i, Py_ssize_t j, PyObject *base,
                      int is_u, Py_ssize_t line0, Py_ssize_t col0) {
    const unsigned char *b = m->b;
    Py_ssize_t n = m->n, mi = i, k = j;
    while (k < n && (b[k] == ' ' || b[k] == '\t'))
        k++;
    if (k < n && b[k] == ')') {  /* `(pTimer)` */
        Py_ssize_t p = i;
        while (p > 0 && TSN_IS_SPACE[b[p - 1]])
            p--;
        if (p > 0 && b[p - 1] == '(') {
            k++;
            i = p - 1;
        }
    }
    /* _MEMBER_STEP: \s*(?:->|\.)\s*([A-Za-z_]\w*)|\s*\[[^\[\]]*\] */
    Py_ssize_t nsteps = 0, last = 0;
    for (;;) {
        Py_ssize_t q = skip_space(b, n, k), r = -1;
        if (q + 1 < n && b[q] == '-' && b[q + 1] == '>')
            r = q + 2;
        else if (q < n && b[q] == '.')
            r = q + 1;
        if (r >= 0) {
            r = skip_space(b, n, r);
            if (r < n && ident_start(b[r])) {
                Py_ssize_t e = word_end(b, n, r);
                w->steps[nsteps].at = r;
                w->steps[nsteps].n = e - r;
                nsteps++;
                last = r;
                k = e;
                continue;
            }
        }
        if (q < n && b[q] == '[') {
            Py_ssize_t e = q + 1;
            while (e < n && b[e] != '[' && b[e] != ']')
                e++;
            if (e < n && b[e] == ']') {
                w->steps[nsteps].at = q;
                w->steps[nsteps].n = 0;
                nsteps++;
                k = e + 1;
                continue;
            }
        }
        break;
    }
    if (nsteps && w->steps[nsteps - 1].n == 0)
        return 0;
    /* before = body[:i].rstrip(" \t(") */
    Py_ssize_t bend = i;
    while (bend > 0 && (b[bend - 1] == ' ' || b[bend - 1] == '\t' || b[bend - 1] == '('))
        bend--;
    int before_incdec = ends_with(b, bend, "++") || ends_with(b, bend, "--");
    /* _ASSIGN_OP: \s*((?:[-+ * / %&|^]|<<|>>)?=)(?!=)|\s*(\+\+|--) (the class without spaces) */
    Py_ssize_t q = skip_space(b, n, k), o1 = -1, o1end = -1, o2 = -1;
    if (q < n) {
        unsigned char ch = b[q];
        Py_ssize_t e = -1;
        if (ch == '-' || ch == '+' || ch == '*' || ch == '/' || ch == '%' || ch == '&' ||
                ch == '|' || ch == '^') {
            if (q + 1 < n && b[q + 1] == '=')
                e = q + 2;
        } else if (ch == '<' || ch == '>') {
            if (q + 2 < n && b[q + 1] == ch && b[q + 2] == '=')
                e = q + 3;
        } else if (ch == '=') {
            e = q + 1;
        }
        if (e >= 0 && !(e < n && b[e] == '=')) {
            o1 = q;
            o1end = e;
        } else if (q + 1 < n && ((b[q] == '+' && b[q + 1] == '+') ||
                                 (b[q] == '-' && b[q + 1] == '-'))) {
            o2 = q;
        }
    }
    int have_op = o1 >= 0 || o2 >= 0;
    int nosteps = nsteps == 0;
    if (nosteps && (is_u || (!have_op && !before_incdec)))
        return 0;  /* the argument itself: only assigned or stepped */
    PyObject *opt = NULL, *kind, *value = NULL, *last_step = NULL, *chain = NULL;
    int rc = -1;
    if (o1 >= 0) {
        opt = latin1(b + o1, o1end - o1);
        kind = o1end - o1 == 1 ? K_ASSIGN : K_COMPOUND;
        Py_ssize_t e = expr_end(b, n, o1end, ";,");
        value = latin1(w->scratch, collapse(b + o1end, e - o1end, 0, w->scratch));
    } else if (have_op || before_incdec) {
        opt = o2 >= 0 ? latin1(b + o2, 2) : latin1(b + bend - 2, 2);
        kind = K_INCDEC;
        value = S_EMPTY;
        Py_INCREF(value);
    } else if (ends_with(b, bend, "&") && !ends_with(b, bend, "&&")) {
        Py_ssize_t c0, c1, idx, nt;
        int got = enclosing_call(m, i, &c0, &c1, &idx, w->scratch, &nt);
        if (got <= 0)
            return got;
        int asker = asker_name(b + c0, c1 - c0);
        if (asker && !last_out_param(b + c0, c1 - c0, idx, w->scratch, nt))
            return 0;
        if (!writer_name(b + c0, c1 - c0) && !asker)
            return 0;
        opt = PyUnicode_FromFormat("&%zd", idx);
        kind = K_OUT_PARAM;
        /* " ".join(ctext.replace("\\\n", " ").split()) */
        value = latin1(w->scratch + nt, collapse(w->scratch, nt, 0, w->scratch + nt));
    } else if (!ends_with(b, bend, "&")) {  /* a read: a reference of the last member */
        Py_ssize_t sb = m->at + last, line = tsn_line(m->c, sb);
        PyObject *ch = chain_jlist(m, base, w->steps, nsteps - 1, S_BRACKETS);
        if (ch == NULL)
            return -1;
        PyObject *tok = step_str(m, &w->steps[nsteps - 1], S_BRACKETS);
        if (tok == NULL) {
            Py_DECREF(ch);
            return -1;
        }
        if (tsn_append_new(w->refs, Py_BuildValue("(NOnnON)", tok, K_DEFINE, line,
                                                  tsn_col(m->c, line, sb), m->name, ch)) < 0)
            return -1;
        w->done[last] = 1;
        return 0;
    } else {
        return 0;
    }
    if (opt == NULL || value == NULL)
        goto done;
    if (nosteps) {
        last_step = S_EMPTY;
        Py_INCREF(last_step);
    } else {
        last_step = step_str(m, &w->steps[nsteps - 1], S_BRACKETS);
    }
    chain = chain_jlist(m, base, w->steps, nsteps, S_BRACKETS);
    if (last_step == NULL || chain == NULL)
        goto done;
    Py_ssize_t nls = 0, lastnl = -1;
    for (Py_ssize_t p = 0; p < mi; p++)
        if (b[p] == '\n') {
            nls++;
            lastnl = p;
        }
    Py_ssize_t line = line0 + nls, col = lastnl < 0 ? col0 + mi : mi - lastnl;
    if (tsn_append_new(w->assigns, Py_BuildValue("(nnOOOOOO)", line, col, m->name, last_step,
                                                 chain, opt, value, kind)) < 0)
        goto done;
    rc = 0;
done:
    Py_XDECREF(opt);
    Py_XDECREF(value);
    Py_XDECREF(last_step);
    Py_XDECREF(chain);
    return rc;
}

/* _macro_members: _BODY_WORD = (?<![\w.>$#])[A-Za-z_]\w* */
static int macro_members(const Macro *m, Members *w) {
    const unsigned char *b = m->b;
    Py_ssize_t n = m->n;
    if (!(has2(b, n, '-', '>') || memchr(b, '.', n) || memchr(b, '=', n) ||
          has2(b, n, '+', '+') || has2(b, n, '-', '-')))
        return 0;
    int any = 0;
    for (Py_ssize_t k = 0; k < m->nown; k++)
        any |= m->own[k].ident;
    if (!any)
        return 0;
    Py_ssize_t line0 = tsn_line(m->c, m->at), col0 = tsn_col(m->c, line0, m->at);
    Py_ssize_t i = 0;
    while (i < n) {
        if (!TSN_IS_WORD[b[i]]) {
            i++;
            continue;
        }
        Py_ssize_t j = word_end(b, n, i);
        if (!ident_start(b[i]) || (i > 0 && (b[i - 1] == '.' || b[i - 1] == '>' ||
                                             b[i - 1] == '$' || b[i - 1] == '#'))) {
            i = j;
            continue;
        }
        Py_ssize_t idx = own_index(m, b + i, j - i);
        PyObject *base;
        int is_u = 0;
        if (idx >= 0 && m->own[idx].ident) {
            base = PyUnicode_FromFormat("a:%zd", idx);
        } else {
            /* tok in KEYWORDS or tok == name or not _ARROW_NEXT.match(body, m.end()) */
            Py_ssize_t q = skip_space(b, n, j);
            if (!(q + 1 < n && b[q] == '-' && b[q + 1] == '>') || word_is(&m->wname, b + i, j - i)) {
                i = j;
                continue;
            }
            PyObject *tok = latin1(b + i, j - i);
            if (tok == NULL)
                return -1;
            int kw = PySet_Contains(m->keywords, tok);
            if (kw != 0) {
                Py_DECREF(tok);
                if (kw < 0)
                    return -1;
                i = j;
                continue;
            }
            base = PyUnicode_FromFormat("u:%U", tok);
            Py_DECREF(tok);
            is_u = 1;
        }
        if (base == NULL)
            return -1;
        int r = member_use(m, w, i, j, base, is_u, line0, col0);
        Py_DECREF(base);
        if (r < 0)
            return -1;
        i = j;
    }
    return 0;
}

/* --- _define_refs: _BODY_IDENT = (?<![\w$#])[A-Za-z_]\w*(?![\w$])(?!\s*##) ------------- */

static int define_refs(const Macro *m, PyObject *refs, PyObject *k_define,
                       const unsigned char *done) {
    const unsigned char *b = m->b;
    Py_ssize_t n = m->n, i = 0;
    while (i < n) {
        if (!TSN_IS_WORD[b[i]]) {
            i++;
            continue;
        }
        Py_ssize_t j = word_end(b, n, i);
        int ok = ident_start(b[i]) && !(i > 0 && (b[i - 1] == '$' || b[i - 1] == '#')) &&
                 !(j < n && b[j] == '$') && !done[i];
        if (ok) {
            Py_ssize_t k = skip_space(b, n, j);
            if (k + 1 < n && b[k] == '#' && b[k + 1] == '#')
                ok = 0;
        }
        if (ok && (own_index(m, b + i, j - i) >= 0 || word_is(&m->wname, b + i, j - i) ||
                   (j - i == 11 && memcmp(b + i, "__VA_ARGS__", 11) == 0)))
            ok = 0;
        if (ok) {
            PyObject *tok = latin1(b + i, j - i);
            if (tok == NULL)
                return -1;
            int kw = PySet_Contains(m->keywords, tok);
            if (kw < 0) {
                Py_DECREF(tok);
                return -1;
            }
            if (!kw) {
                Py_ssize_t sb = m->at + i, line = tsn_line(m->c, sb);
                if (tsn_append_new(refs, Py_BuildValue("(NOnnOO)", tok, k_define, line,
                                                       tsn_col(m->c, line, sb), m->name,
                                                       Py_None)) < 0)
                    return -1;
            } else {
                Py_DECREF(tok);
            }
        }
        i = j;
    }
    return 0;
}

/* Which of _initializer_macro (1), _pasting_macro (2) and _name_template (4) can find
 * something in the value [v0, v1) (the body `b`, n bytes, blanked): when one is not called
 * it would return without a trace.
 * - _initializer_macro: cx.text(val, 1000).strip() starts with `{` (its first character
 *   past white space: `{`, or a non-ASCII one, for which this does not decide);
 * - _pasting_macro: a `##` in cx.text(val, 4000) (so in the value) followed by a `(`
 *   (_PASTED_DEF), and some parameter (a template names one);
 * - _name_template: one parameter, and a `##` in the body. */
static int state_needed(const Ctx *c, Py_ssize_t v0, Py_ssize_t v1, Py_ssize_t nown,
                        const unsigned char *b, Py_ssize_t n) {
    const unsigned char *s = c->src;
    int which = 0;
    Py_ssize_t i = v0;
    while (i < v1 && s[i] < 0x80 && TSN_IS_SPACE[s[i]])
        i++;
    if (i < v1 && (s[i] == '{' || s[i] >= 0x80))
        which |= 1;
    if (nown > 0) {
        for (i = v0; i + 1 < v1; i++)
            if (s[i] == '#' && s[i + 1] == '#')
                break;
        if (i + 1 < v1 && memchr(s + i + 2, '(', v1 - i - 2) != NULL)
            which |= 2;
    }
    if (nown == 1 && has2(b, n, '#', '#'))
        which |= 4;
    return which;
}

/* str.strip() */
static PyObject *strip(PyObject *s) {
    Py_ssize_t a = 0, e = PyUnicode_GET_LENGTH(s);
    int kind = PyUnicode_KIND(s);
    const void *data = PyUnicode_DATA(s);
    while (a < e && Py_UNICODE_ISSPACE(PyUnicode_READ(kind, data, a)))
        a++;
    while (e > a && Py_UNICODE_ISSPACE(PyUnicode_READ(kind, data, e - 1)))
        e--;
    if (a == 0 && e == PyUnicode_GET_LENGTH(s)) {
        Py_INCREF(s);
        return s;
    }
    return PyUnicode_Substring(s, a, e);
}

/* fmacros(nodes, ctx, keywords, not_calls, decl_names, syms, calls, refs, assigns, cx, state)
 *
 * The name nodes of `#define NAME(params) value` (preproc_function_def, the capture
 * `fmacro` of extract.QUERY): per node, what macros.definition(cx, node, "macro") does,
 * appended to cx.f's lists (syms, calls, refs, assigns) and cx.decl_names; `state(cx,
 * node, name, own, body, which)` is called for the state the Python helpers fill (which:
 * those that can find something, see state_needed). */
PyObject *tsn_fmacros(PyObject *Py_UNUSED(mod), PyObject *args) {
    PyObject *nodes, *keywords, *not_calls, *decl, *syms, *calls, *refs, *assigns, *cx, *state;
    Ctx *c;
    if (!PyArg_ParseTuple(args, "O!O!O!O!O!O!O!O!O!OO", &PyList_Type, &nodes, &TSN_CtxType, &c,
                          &PyFrozenSet_Type, &keywords, &PyFrozenSet_Type, &not_calls,
                          &PySet_Type, &decl, &PyList_Type, &syms, &PyList_Type, &calls,
                          &PyList_Type, &refs, &PyList_Type, &assigns, &cx, &state))
        return NULL;
    PyObject *out = NULL, *own = NULL, *name = NULL;
    Word *words = NULL;
    TSNode *kids = NULL;
    unsigned char *body = PyMem_Malloc(BODY_MAX), *done = PyMem_Malloc(BODY_MAX);
    Members w;
    memset(&w, 0, sizeof w);
    w.refs = refs;
    w.assigns = assigns;
    w.steps = PyMem_Malloc(sizeof(Step) * (BODY_MAX / 2 + 1));
    w.scratch = PyMem_Malloc(2 * BODY_MAX + 16);
    w.done = done;
    PyObject *k_macro = K_MACRO, *s_space = S_SPACE;
    if (!body || !done || !w.steps || !w.scratch) {
        PyErr_NoMemory();
        goto done;
    }
    for (Py_ssize_t k = 0; k < PyList_GET_SIZE(nodes); k++) {
        PyObject *node = PyList_GET_ITEM(nodes, k);
        TSNode nm;
        if (tsn_node(node, &nm) < 0 || tsn_add_offset(decl, ts_node_start_byte(nm)) < 0)
            goto done;
        TSNode d = ts_node_parent(nm), val = tsn_child(d, F_VALUE),
               params = tsn_child(d, F_PARAMETERS);
        int has_val = !ts_node_is_null(val), has_params = !ts_node_is_null(params);
        if ((name = tsn_node_name(c, nm)) == NULL)
            goto done;
        /* text = (cx.name(params) or "") + " " + (cx.text(val, 400) or "") */
        PyObject *pn = has_params ? tsn_node_name(c, params) : (Py_INCREF(c->empty), c->empty);
        PyObject *vt = has_val ? tsn_node_text(c, val, TEXT_MAX) : (Py_INCREF(c->empty), c->empty);
        PyObject *t1 = pn && vt ? PyUnicode_Concat(pn, s_space) : NULL;
        PyObject *t2 = t1 ? PyUnicode_Concat(t1, vt) : NULL;
        PyObject *text = t2 ? strip(t2) : NULL;
        Py_XDECREF(pn);
        Py_XDECREF(vt);
        Py_XDECREF(t1);
        Py_XDECREF(t2);
        if (text == NULL)
            goto done;
        Py_ssize_t a = ts_node_start_byte(nm), line = tsn_line(c, a);
        if (tsn_append_new(syms, Py_BuildValue("(OOnnnOOiiN)", name, k_macro, line,
                                               tsn_col(c, line, a),
                                               tsn_line(c, ts_node_end_byte(d)), c->empty,
                                               Py_None, 0, 0, text)) < 0)
            goto done;
        /* own: the parameters' names (not the comments among them) */
        Py_ssize_t nk = 0;
        if ((own = PyList_New(0)) == NULL)
            goto done;
        if (has_params) {
            if ((kids = tsn_named_all(params, &nk)) == NULL)
                goto done;
            for (Py_ssize_t p = 0; p < nk; p++)
                if (!tsn_is(kids[p], "comment") &&
                        tsn_append_new(own, tsn_node_name(c, kids[p])) < 0)
                    goto done;
            PyMem_Free(kids);
            kids = NULL;
        }
        if (has_val) {
            Py_ssize_t nown = PyList_GET_SIZE(own);
            if ((words = PyMem_Malloc(sizeof(Word) * (nown ? nown : 1))) == NULL) {
                PyErr_NoMemory();
                goto done;
            }
            for (Py_ssize_t p = 0; p < nown; p++) {
                PyObject *s = PyList_GET_ITEM(own, p);
                word_of(s, &words[p]);
                if ((words[p].ident = PyUnicode_IsIdentifier(s)) < 0)
                    goto done;
            }
            Py_ssize_t v0 = ts_node_start_byte(val), v1 = ts_node_end_byte(val);
            if (v1 > c->nsrc)
                v1 = c->nsrc;
            if (v0 > v1)
                v0 = v1;
            Py_ssize_t vend = v1;
            if (v1 > v0 + BODY_MAX)
                v1 = v0 + BODY_MAX;
            memcpy(body, c->src + v0, v1 - v0);
            tsn_blank_not_code(body, v1 - v0);
            memset(done, 0, v1 - v0);
            Macro m = {c, name, {NULL, 0, 0}, words, nown, body, v1 - v0, v0, keywords,
                       not_calls};
            word_of(name, &m.wname);
            if (has_params && (macro_calls(&m, calls, k_macro, S_BRACKETS) < 0 ||
                               macro_members(&m, &w) < 0))
                goto done;
            if (define_refs(&m, refs, K_DEFINE, done) < 0)
                goto done;
            int which = has_params ? state_needed(c, v0, vend, nown, body, v1 - v0) : 0;
            if (which) {
                PyObject *bs = latin1(body, v1 - v0), *wh = PyLong_FromLong(which), *r = NULL;
                if (bs && wh)
                    r = PyObject_CallFunctionObjArgs(state, cx, node, name, own, bs, wh, NULL);
                Py_XDECREF(bs);
                Py_XDECREF(wh);
                if (r == NULL)
                    goto done;
                Py_DECREF(r);
            }
            PyMem_Free(words);
            words = NULL;
        }
        Py_CLEAR(own);
        Py_CLEAR(name);
    }
    out = Py_None;
    Py_INCREF(out);
done:
    PyMem_Free(kids);
    PyMem_Free(words);
    PyMem_Free(body);
    PyMem_Free(done);
    PyMem_Free(w.steps);
    PyMem_Free(w.scratch);
    Py_XDECREF(own);
    Py_XDECREF(name);
    return out;
}
