/* The comment / literal / preprocessor-line blanking of extract._NONCODE and
 * normalize._NONCODE (the same regex), shared by _tsn_refs.c (extract.code_only's C twin)
 * and _native.c (normalize._code's C twin, which also wants the directive spans). */
#ifndef VMXREF_NONCODE_H
#define VMXREF_NONCODE_H

#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <string.h>

/* A growable list of (start, end) pairs: v[2k], v[2k + 1]. */
typedef struct {
    Py_ssize_t *v;
    Py_ssize_t n, cap;  /* (counted in Py_ssize_t, two per span) */
} NoncodeSpans;

static inline int noncode_push(NoncodeSpans *s, Py_ssize_t a, Py_ssize_t b) {
    if (s->n + 2 > s->cap) {
        Py_ssize_t cap = s->cap ? s->cap * 2 : 64;
        if (cap > PY_SSIZE_T_MAX / (Py_ssize_t)sizeof(Py_ssize_t) / 2) {
            PyErr_NoMemory();
            return -1;
        }
        Py_ssize_t *v = PyMem_Realloc(s->v, (size_t)cap * sizeof(Py_ssize_t));
        if (v == NULL) {
            PyErr_NoMemory();
            return -1;
        }
        s->v = v;
        s->cap = cap;
    }
    s->v[s->n++] = a;
    s->v[s->n++] = b;
    return 0;
}

/* Blank in place what _NONCODE matches in b[0:m], whose b[0] is the "\n" prepended to the
 * text (newlines kept, every other byte of a match a space): `//...`, `/\* ... *\/`
 * (unterminated: to the end), "..." and '...' (a backslash takes the next character, a
 * newline ends them unmatched), and a newline, blanks and `#` up to the end of the line (a
 * backslash takes the next character, a newline too; a block comment with more than blanks
 * after it on the line where it closes is part of it) or to a `//` or a block comment that
 * ends the line (only blanks after it; or unterminated). With
 * `dirs`, each preprocessor line's span is appended as normalize._code computes it, in
 * offsets of the text without the "\n": (its line start, the match end - 1). 0, or -1 on a
 * memory error (only with dirs). */
static inline int noncode_blank(unsigned char *b, Py_ssize_t m, NoncodeSpans *dirs) {
    /* bytes that may start a match: / " ' and the newline */
    static const unsigned char starts[256] = {['/'] = 1, ['"'] = 1, ['\''] = 1, ['\n'] = 1};
    Py_ssize_t i = 0;
    while (i < m) {
        while (i < m && !starts[b[i]])
            i++;
        if (i >= m)
            break;
        unsigned char c = b[i];
        Py_ssize_t end = -1;
        if (c == '/' && i + 1 < m && b[i + 1] == '/') {
            const unsigned char *nl = memchr(b + i + 2, '\n', (size_t)(m - i - 2));
            end = nl != NULL ? nl - b : m;
        } else if (c == '/' && i + 1 < m && b[i + 1] == '*') {
            end = m;  /* (unterminated: `\*.*\Z`) */
            Py_ssize_t j = i + 2;
            while (j + 1 < m) {  /* the first `*` followed by `/` */
                const unsigned char *star = memchr(b + j, '*', (size_t)(m - 1 - j));
                if (star == NULL)
                    break;
                j = star - b;
                if (b[j + 1] == '/') {
                    end = j + 2;
                    break;
                }
                j++;
            }
        } else if (c == '"' || c == '\'') {
            for (Py_ssize_t j = i + 1; j < m; j++) {
                if (b[j] == '\\') {
                    if (j + 1 >= m)
                        break;
                    j++;
                } else if (b[j] == c) {
                    end = j + 1;
                    break;
                } else if (b[j] == '\n') {
                    break;
                }
            }
        } else if (c == '\n') {
            Py_ssize_t k = i + 1;
            while (k < m && (b[k] == ' ' || b[k] == '\t'))
                k++;
            if (k < m && b[k] == '#') {
                Py_ssize_t j = k + 1;
                while (j < m && b[j] != '\n') {
                    if (b[j] == '\\') {
                        if (j + 1 >= m)
                            break;
                        j += 2;
                    } else if (b[j] == '/' && j + 1 < m && b[j + 1] == '*') {
                        /* a block comment is whitespace to the preprocessor: the directive
                         * goes on past it when anything but blanks follows it on the line
                         * where it closes (`#if A /\* c *\/ || B`, a comment over several
                         * lines with more after it, a line a backslash continues) */
                        Py_ssize_t e = -1;
                        for (Py_ssize_t q = j + 2; q + 1 < m; q++)
                            if (b[q] == '*' && b[q + 1] == '/') {
                                e = q + 2;
                                break;
                            }
                        if (e < 0)
                            break;  /* (unterminated: the directive ends before it) */
                        Py_ssize_t q = e;
                        while (q < m && (b[q] == ' ' || b[q] == '\t' || b[q] == '\r' ||
                                         b[q] == '\f' || b[q] == '\v'))
                            q++;
                        if (q >= m || b[q] == '\n')
                            break;  /* (a comment that ends the line: `#if 0 /\* unused *\/`
                                     * ends before it) */
                        j = e;
                    } else if (b[j] == '/' && j + 1 < m && b[j + 1] == '/') {
                        break;
                    } else {
                        j++;
                    }
                }
                end = j;
                if (dirs != NULL && noncode_push(dirs, i, end - 1) < 0)
                    return -1;
            }
        }
        if (end < 0) {
            i++;
            continue;
        }
        /* blank b[i:end], newlines kept */
        while (i < end) {
            const unsigned char *nl = memchr(b + i, '\n', (size_t)(end - i));
            Py_ssize_t stop = nl != NULL ? nl - b : end;
            memset(b + i, ' ', (size_t)(stop - i));
            i = stop < end ? stop + 1 : end;
        }
    }
    return 0;
}

#endif
