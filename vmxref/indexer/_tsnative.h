/* vmxref.indexer._tsnative: what its passes share (see _tsnative.c).
 *
 * A pass is a function of the module that takes the nodes one capture of extract.QUERY
 * holds (py-tree-sitter Node objects) and the per-file context (a Ctx object, extract._Ctx's
 * C side) and returns the facts its Python twin in extract.py appends, as the same tuples.
 * Each Python twin stays the reference: tests/test_tsnative.py extracts every file both
 * ways and compares.
 */
#ifndef VMXREF_TSNATIVE_H
#define VMXREF_TSNATIVE_H

#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <tree_sitter/api.h>

typedef struct {
    PyObject_HEAD
    TSNode node;
    PyObject *children;
    PyObject *tree;
} PyNode;  /* py-tree-sitter's Node (tree_sitter/binding/types.h) */

extern PyTypeObject *TSN_NodeType;
extern unsigned char TSN_IS_WORD[256];   /* Python's re `\w` on a latin-1 character */
extern unsigned char TSN_IS_SPACE[256];  /* str.isspace() on a latin-1 character */

/* The TSNode of a py-tree-sitter Node object (-1 with TypeError for anything else). */
int tsn_node(PyObject *obj, TSNode *out);

/* --- one file: extract._Ctx's texts, lines and function spans ------------------------- */

typedef struct {
    PyObject_HEAD
    PyObject *src_obj, *norm_obj;  /* the bytes (kept alive) */
    const unsigned char *src;      /* the original text: texts, positions */
    Py_ssize_t nsrc;
    const unsigned char *norm;     /* the normalised text (same length): names */
    Py_ssize_t nnorm;
    int norm_ascii;
    Py_ssize_t *nl;                /* -1, then the offset of every newline of src */
    Py_ssize_t nnl;
    Py_ssize_t *fstarts, *fends;   /* function spans (_Ctx.fstarts/fends/fnames), sorted */
    PyObject *fnames;              /* list of str */
    Py_ssize_t nf;
    PyObject *empty;               /* "" */
    /* the rewritten macro uses a text is widened over (extract._Ctx._widen): 4 numbers a
     * use, (cs, ce, start, end) sorted by cs in by_cs, (ce, cs, start, end) sorted by ce in
     * by_ce (set_uses; NULL and 0 when none) */
    Py_ssize_t *uses_by_cs, *uses_by_ce;
    Py_ssize_t nuses;
} Ctx;

extern PyTypeObject TSN_CtxType;

/* bisect.bisect_left(nl, off): the 1-based line of byte `off` (_Ctx.pos, _Ctx.eline) */
Py_ssize_t tsn_line(const Ctx *c, Py_ssize_t off);
/* the 1-based column of byte `off` on line `line` */
static inline Py_ssize_t tsn_col(const Ctx *c, Py_ssize_t line, Py_ssize_t off) {
    return off - c->nl[line - 1];
}
/* _Ctx.name: the normalised text of [a, b) (new reference) */
PyObject *tsn_name(const Ctx *c, Py_ssize_t a, Py_ssize_t b);
/* _Ctx.text: the source text of [a, b), whitespace-collapsed, cut at `limit` characters */
PyObject *tsn_text(const Ctx *c, Py_ssize_t a, Py_ssize_t b, Py_ssize_t limit);
/* _Ctx.func_at: the function whose span holds `byte`, or "" (borrowed reference) */
PyObject *tsn_func_at(const Ctx *c, Py_ssize_t byte);

static inline PyObject *tsn_node_name(const Ctx *c, TSNode n) {
    return tsn_name(c, ts_node_start_byte(n), ts_node_end_byte(n));
}
static inline PyObject *tsn_node_text(const Ctx *c, TSNode n, Py_ssize_t limit) {
    return tsn_text(c, ts_node_start_byte(n), ts_node_end_byte(n), limit);
}

/* --- nodes ------------------------------------------------------------------------------ */

enum {  /* the fields the passes read (ids cached per language) */
    F_ALTERNATIVE,
    F_ARGUMENT, F_ARGUMENTS, F_BODY, F_CONDITION, F_CONSEQUENCE, F_CONSTRAINT, F_DECLARATOR,
    F_DESIGNATOR, F_FIELD, F_FUNCTION, F_INPUT_OPERANDS, F_LEFT, F_NAME, F_OPERATOR,
    F_PARAMETERS, F_RIGHT, F_SCOPE, F_TYPE, F_VALUE, F_COUNT
};

/* the id of a field in the node's language (0: the language has no such field) */
TSFieldId tsn_field_id(TSNode n, int field);
/* node.child_by_field_name(...) (a null node when absent) */
TSNode tsn_child(TSNode n, int field);
/* node.type == type */
static inline int tsn_is(TSNode n, const char *type) {
    return !ts_node_is_null(n) && strcmp(ts_node_type(n), type) == 0;
}
/* The named children of a node (node.named_children), at most `max`; returns how many. */
Py_ssize_t tsn_named_children(TSNode n, TSNode *out, Py_ssize_t max);

/* The children of a node in field `field` (node.children_by_field_name), at most `max`. */
Py_ssize_t tsn_children_by(TSNode n, int field, TSNode *out, Py_ssize_t max);
/* extract.declarator_name: the innermost name node of a declarator (null when none) */
TSNode tsn_declarator_name(TSNode n);
/* extract._function_declarator (null when none) */
TSNode tsn_function_declarator(TSNode n);
/* extract._param_names: the offsets of the parameter names of a function declarator that
 * is no definition's (a prototype, a function pointer) added to `decl` (0, -1 on error) */
int tsn_add_param_names(PyObject *decl, TSNode fd);
/* extract._lvalue: add the (start, end) span of a written or address-taken expression, and
 * those of the objects it is a member of through `.`, to the set `spans` */
int tsn_lvalue(PyObject *spans, TSNode n);
/* (start_byte, end_byte) as a new tuple */
PyObject *tsn_span(TSNode n);
/* set.add((start, end)) of a node; set.add(off) */
int tsn_add_span(PyObject *set, TSNode n);
int tsn_add_offset(PyObject *set, Py_ssize_t off);
/* list.append(item), stealing item (a new reference, or NULL: an error passed on) */
int tsn_append_new(PyObject *list, PyObject *item);
/* node.type is one of the NULL-terminated `types` */
int tsn_is_one_of(TSNode n, const char **types);
extern const char *NAME_TYPES[];  /* extract._NAME_TYPES */
extern const char *DECLARATOR_WRAPPERS[];  /* extract._DECLARATOR_WRAPPERS */
/* cx.name(node) == word, for an ASCII word (compares the normalised bytes) */
int tsn_name_is(const Ctx *c, TSNode n, const char *word);
/* node.named_children in a new PyMem array (*count of them; NULL on error) */
TSNode *tsn_named_all(TSNode n, Py_ssize_t *count);
/* a list of ints as a new PyMem array of Py_ssize_t (NULL on error) */
Py_ssize_t *tsn_int_array(PyObject *list);
/* extract._union's (starts, ends) of sorted disjoint spans, as C arrays */
typedef struct {
    Py_ssize_t *starts, *ends;
    Py_ssize_t n;
} TsnSpans;
/* From two lists of ints of the same length (-1 with an exception: tsn_spans_free still
 * applies); tsn_spans_free releases the arrays. */
int tsn_spans_init(TsnSpans *s, PyObject *starts, PyObject *ends);
void tsn_spans_free(TsnSpans *s);
/* extract._in_spans: is b inside one of the spans? */
int tsn_in_spans(const TsnSpans *s, Py_ssize_t b);
/* the null node (node is None) */
static const TSNode TSN_NULL = {{0, 0, 0, 0}, NULL, NULL};

/* --- texts ------------------------------------------------------------------------------ */

/* ctext.jlist: json.dumps of a list of str (a new str) */
PyObject *tsn_jlist(PyObject *list);

/* extract.chain_of: the receiver chain of an expression, appended to `out` (a list of
 * str); `struct_names` is _Ctx.struct_names (node id -> name, for the types of casts). */
int tsn_chain_of(const Ctx *c, TSNode n, int depth, PyObject *struct_names, PyObject *out);
/* extract._base_type (a new str) */
PyObject *tsn_base_type(const Ctx *c, TSNode t, PyObject *struct_names);
/* extract._stars: "*", "**", "[]", "()" ... of a declarator (a new str) */
PyObject *tsn_stars(TSNode declarator);
/* extract._last_field of a chain list (a new str) */
PyObject *tsn_last_field(PyObject *chain);

/* The passes (each in its own file, registered in _tsnative.c's method table). */
PyObject *tsn_defines(PyObject *mod, PyObject *args);
PyObject *tsn_fmacros(PyObject *mod, PyObject *args);
PyObject *tsn_type_refs(PyObject *mod, PyObject *args);
PyObject *tsn_field_refs(PyObject *mod, PyObject *args);
PyObject *tsn_ident_refs(PyObject *mod, PyObject *args);
PyObject *tsn_writes(PyObject *mod, PyObject *args);
PyObject *tsn_calls(PyObject *mod, PyObject *args);
PyObject *tsn_functions(PyObject *mod, PyObject *args);
PyObject *tsn_structs(PyObject *mod, PyObject *args);
PyObject *tsn_typedefs(PyObject *mod, PyObject *args);
PyObject *tsn_field_decls(PyObject *mod, PyObject *args);
PyObject *tsn_enums(PyObject *mod, PyObject *args);
PyObject *tsn_declarations(PyObject *mod, PyObject *args);
/* ctext.NOT_CODE.sub on a #define body: comments and literals blanked in place */
void tsn_blank_not_code(unsigned char *s, Py_ssize_t n);

/* Interned strings made at module init (_tsnative.c STRINGS): borrowed references. */
extern PyObject *S_QUESTION, *S_THIS, *S_BRACKETS, *S_STAR, *S_EMPTY, *S_PARENS, *S_SPACE,
    *K_DIRECT, *K_STATIC_CALL, *K_MEMBER, *K_POINTER, *K_WHOLE_OBJECT, *K_DEFINE, *K_ASSIGN,
    *K_COMPOUND, *K_INCDEC, *K_OUT_PARAM, *K_MACRO, *S_EQ, *S_PLUSPLUS, *K_ASM, *K_RETURN,
    *S_RET_FIELD, *S_DEFAULT, *K_DESIGNATED, *S_DQUOTE, *S_COMMA;
PyObject *tsn_captures(PyObject *mod, PyObject *args);
PyObject *tsn_receiver_types(PyObject *mod, PyObject *args);
PyObject *tsn_guards(PyObject *mod, PyObject *args);

#endif
