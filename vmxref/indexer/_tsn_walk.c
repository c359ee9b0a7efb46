/* captures(root, cpp): extract.QUERY's captures by one walk of the tree, in C.
 *
 * Every pattern of extract.QUERY names one node type, some with a field condition on a
 * child (`(struct_specifier body: (_))`, `(preproc_def name: (identifier) @macro)`,
 * `(if_statement condition: (_) @ifcond)`): a table per grammar maps a node's symbol to
 * the capture it belongs to and how (the node itself, or its field child when that child
 * is named / an identifier). One pre-order walk (below: through subtrees, not with a tree
 * cursor) visits every node once;
 * tree-sitter's query engine (QueryCursor.captures) does the same matching several times
 * slower. The result is the dict QueryCursor.captures returns (capture name -> list of
 * py-tree-sitter Node objects, only names that captured something); extract sorts each list
 * into document order either way. tests/test_tsnative.py and bench/twins.py compare both.
 */
#include "_tsnative.h"
/* the runtime's own headers (its sources are compiled into this module, setup.py): the
 * walk below steps through subtrees, not through a TreeCursor */
#include "language.h"
#include "subtree.h"
#include "tree.h"

enum { SELF, HAS_FIELD, FIELD_NAMED, FIELD_IDENT };

/* the capture names, in a fixed order (index = slot of the result lists) */
enum { C_FUNC, C_DECL, C_FDECL, C_TYPEDEF, C_STRUCT, C_ENUM, C_MACRO, C_FMACRO, C_CALL,
       C_ASSIGN, C_UPDATE, C_PTR, C_FEXPR, C_TID, C_CASE, C_RET, C_ERR, C_IFCOND, C_PPCOND,
       C_SIZEOF, C_ASMOUT, NCAPS };
static const char *CAPS[NCAPS] = {"func", "decl", "fdecl", "typedef", "struct", "enum", "macro",
                                  "fmacro", "call", "assign", "update", "ptr", "fexpr", "tid",
                                  "case", "ret", "err", "ifcond", "ppcond", "sizeof", "asmout"};

typedef struct {
    const char *type;   /* the node type of the pattern */
    int cap;            /* its capture (C_*) */
    int how;            /* SELF; the node itself if it has a named `field` child (HAS_FIELD);
                         * its `field` child if named (FIELD_NAMED) / an identifier */
    int field;          /* F_* of that child */
    int cpp_only;
} Pattern;

/* extract.QUERY, pattern by pattern (and the C++ `class_specifier` line extract adds) */
static const Pattern PATTERNS[] = {
    {"function_definition", C_FUNC, SELF, 0, 0},
    {"declaration", C_DECL, SELF, 0, 0},
    {"field_declaration", C_FDECL, SELF, 0, 0},
    {"type_definition", C_TYPEDEF, SELF, 0, 0},
    {"struct_specifier", C_STRUCT, HAS_FIELD, F_BODY, 0},
    {"union_specifier", C_STRUCT, HAS_FIELD, F_BODY, 0},
    {"enum_specifier", C_ENUM, SELF, 0, 0},
    {"preproc_def", C_MACRO, FIELD_IDENT, F_NAME, 0},
    {"preproc_function_def", C_FMACRO, FIELD_IDENT, F_NAME, 0},
    {"call_expression", C_CALL, SELF, 0, 0},
    {"assignment_expression", C_ASSIGN, SELF, 0, 0},
    {"update_expression", C_UPDATE, SELF, 0, 0},
    {"pointer_expression", C_PTR, SELF, 0, 0},
    {"field_expression", C_FEXPR, SELF, 0, 0},
    {"type_identifier", C_TID, SELF, 0, 0},
    {"case_statement", C_CASE, SELF, 0, 0},
    {"return_statement", C_RET, SELF, 0, 0},
    {"if_statement", C_IFCOND, FIELD_NAMED, F_CONDITION, 0},
    {"preproc_if", C_PPCOND, FIELD_NAMED, F_CONDITION, 0},
    {"preproc_elif", C_PPCOND, FIELD_NAMED, F_CONDITION, 0},
    {"sizeof_expression", C_SIZEOF, SELF, 0, 0},
    {"alignof_expression", C_SIZEOF, SELF, 0, 0},
    {"offsetof_expression", C_SIZEOF, SELF, 0, 0},
    {"gnu_asm_output_operand", C_ASMOUT, FIELD_NAMED, F_VALUE, 0},
    {"class_specifier", C_STRUCT, HAS_FIELD, F_BODY, 1},
};
#define NPATTERNS ((int)(sizeof(PATTERNS) / sizeof(PATTERNS[0])))
#define SYM_ERROR ((TSSymbol)-1)  /* ts_builtin_sym_error: `(ERROR) @err` */

typedef struct {
    const TSLanguage *lang;
    int cpp;
    uint32_t nsym;
    int16_t *pattern;  /* symbol -> index in PATTERNS, or -1 */
    TSSymbol ident;    /* `identifier` */
} Table;

static Table tables[4];

static const Table *table_of(const TSLanguage *lang, int cpp) {
    for (int i = 0; i < 4; i++) {
        if (tables[i].lang == lang && tables[i].cpp == cpp)
            return &tables[i];
        if (tables[i].lang == NULL) {
            uint32_t nsym = ts_language_symbol_count(lang);
            int16_t *pat = PyMem_Malloc(sizeof(int16_t) * (nsym ? nsym : 1));
            if (pat == NULL) {
                PyErr_NoMemory();
                return NULL;
            }
            for (uint32_t s = 0; s < nsym; s++)
                pat[s] = -1;
            for (int p = 0; p < NPATTERNS; p++) {
                if (PATTERNS[p].cpp_only && !cpp)
                    continue;
                TSSymbol s = ts_language_symbol_for_name(
                    lang, PATTERNS[p].type, (uint32_t)strlen(PATTERNS[p].type), true);
                if (s != 0 && s < nsym)
                    pat[s] = (int16_t)p;
            }
            tables[i].pattern = pat;
            tables[i].nsym = nsym;
            tables[i].ident = ts_language_symbol_for_name(lang, "identifier", 10, true);
            tables[i].cpp = cpp;
            tables[i].lang = lang;
            return &tables[i];
        }
    }
    PyErr_SetString(PyExc_RuntimeError, "_tsnative.captures: too many grammars");
    return NULL;
}

/* a new py-tree-sitter Node of `tree` (as the binding's node_new_internal makes them) */
static PyObject *new_node(TSNode n, PyObject *tree) {
    PyNode *self = PyObject_New(PyNode, TSN_NodeType);
    if (self == NULL)
        return NULL;
    self->node = n;
    self->children = NULL;
    self->tree = Py_NewRef(tree);
    return (PyObject *)self;
}

static int add(PyObject **lists, int cap, TSNode n, PyObject *tree) {
    if (lists[cap] == NULL && (lists[cap] = PyList_New(0)) == NULL)
        return -1;
    PyObject *o = new_node(n, tree);
    if (o == NULL)
        return -1;
    int rc = PyList_Append(lists[cap], o);
    Py_DECREF(o);
    return rc;
}

/* --- the walk ---------------------------------------------------------------------------
 *
 * Every visible node under a root, in pre-order (a TreeCursor's order). A TreeCursor moves
 * between visible nodes: each step to a next sibling climbs out of the hidden nodes between
 * them (`_expression`, and the balanced trees of hidden `*_repeat` nodes a long list of
 * statements or top-level items is stored in) and down again, ~500 instructions a step on
 * Linux files, three fifths of this pass. The walk goes through every subtree once instead,
 * a stack of levels, and yields the visible ones: a subtree is visible as a node when the
 * grammar makes it visible or its parent's production aliases it (the cursor's rule). A
 * node's position is its parent's start plus the sizes of the children before it, and the
 * paddings of all but the first (whose padding is the parent's own), as the runtime's
 * child iterators compute it. */
typedef struct {
    Subtree parent;
    Length position;          /* where the next child starts, its padding not yet added */
    uint32_t index;           /* the next child */
    uint32_t structural;      /* the next non-extra child: its place in the alias sequence */
    const TSSymbol *aliases;  /* the parent production's alias sequence, or NULL */
} Level;

typedef struct {
    const TSTree *tree;
    const TSLanguage *lang;
    Level *stack;
    Py_ssize_t depth, cap;
    int failed;
} Walk;

static int walk_push(Walk *w, const Subtree *sub, Length at) {
    if (ts_subtree_child_count(*sub) == 0)
        return 0;
    if (w->depth == w->cap) {
        Py_ssize_t cap = w->cap ? 2 * w->cap : 64;
        Level *grown = PyMem_Realloc(w->stack, (size_t)cap * sizeof(Level));
        if (grown == NULL) {
            PyErr_NoMemory();
            w->failed = 1;
            return -1;
        }
        w->stack = grown;
        w->cap = cap;
    }
    w->stack[w->depth++] = (Level){*sub, at, 0, 0,
                                    ts_language_alias_sequence(w->lang,
                                                               ts_subtree_production_id(*sub))};
    return 0;
}

/* A walk under `root` (yielded by the caller itself: walk_next gives its descendants). */
static void walk_start(Walk *w, TSNode root) {
    *w = (Walk){root.tree, root.tree->language, NULL, 0, 0, 0};
    walk_push(w, (const Subtree *)root.id,
              (Length){root.context[0], {root.context[1], root.context[2]}});
}

/* The next visible descendant in pre-order; 0 at the end or on failure (w->failed set). */
static int walk_next(Walk *w, TSNode *out) {
    while (w->depth > 0) {
        Level *lv = &w->stack[w->depth - 1];
        if (lv->index == lv->parent.ptr->child_count) {
            w->depth--;
            continue;
        }
        const Subtree *child = &ts_subtree_children(lv->parent)[lv->index];
        TSSymbol alias = 0;
        if (!ts_subtree_extra(*child)) {
            if (lv->aliases)
                alias = lv->aliases[lv->structural];
            lv->structural++;
        }
        if (lv->index > 0)
            lv->position = length_add(lv->position, ts_subtree_padding(*child));
        Length at = lv->position;
        lv->position = length_add(lv->position, ts_subtree_size(*child));
        lv->index++;
        int visible = ts_subtree_visible(*child) || alias != 0;
        if (walk_push(w, child, at) < 0)  /* (lv may move: not used below) */
            return 0;
        if (visible) {
            *out = ts_node_new(w->tree, child, at, alias);
            return 1;
        }
    }
    return 0;
}

static void walk_end(Walk *w) {
    PyMem_Free(w->stack);
    w->stack = NULL;
}

PyObject *tsn_captures(PyObject *Py_UNUSED(mod), PyObject *args) {
    PyObject *root_obj, *result = NULL;
    int cpp;
    if (!PyArg_ParseTuple(args, "Op", &root_obj, &cpp))
        return NULL;
    TSNode root;
    if (tsn_node(root_obj, &root) < 0)
        return NULL;
    PyObject *tree = ((PyNode *)root_obj)->tree;
    const Table *t = table_of(ts_node_language(root), cpp);
    if (t == NULL)
        return NULL;
    PyObject *lists[NCAPS] = {NULL};
    Walk w;
    walk_start(&w, root);
    TSNode n = root;  /* the root, then its descendants */
    for (int more = !w.failed; more; more = walk_next(&w, &n)) {
        TSSymbol s = ts_node_symbol(n);
        if (s < t->nsym && t->pattern[s] >= 0) {
            const Pattern *p = &PATTERNS[t->pattern[s]];
            if (p->how == SELF) {
                if (add(lists, p->cap, n, tree) < 0)
                    goto done;
            } else {
                TSNode c = tsn_child(n, p->field);
                if (!ts_node_is_null(c) && (p->how == FIELD_IDENT ? ts_node_symbol(c) == t->ident
                                                                   : ts_node_is_named(c)))
                    if (add(lists, p->cap, p->how == HAS_FIELD ? n : c, tree) < 0)
                        goto done;
            }
        } else if (s == SYM_ERROR) {
            if (add(lists, C_ERR, n, tree) < 0)
                goto done;
        }
    }
    if (w.failed)
        goto done;

    if ((result = PyDict_New()) == NULL)
        goto done;
    for (int i = 0; i < NCAPS; i++) {
        if (lists[i] != NULL && PyDict_SetItemString(result, CAPS[i], lists[i]) < 0) {
            Py_CLEAR(result);
            goto done;
        }
    }
done:
    walk_end(&w);
    for (int i = 0; i < NCAPS; i++)
        Py_XDECREF(lists[i]);
    return result;
}
