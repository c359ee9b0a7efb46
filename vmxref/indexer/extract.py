"""Extract facts from one parsed C/C++ file: symbols, references, calls, writes, log calls.

One tree-sitter query (QUERY) names the interesting nodes; they are collected in C (one
walk of the tree in vmxref.indexer._tsnative, or tree-sitter's query engine without it) and
the steps look only at captured nodes (Python never walks the whole tree). Every fact is a plain tuple with 1-based line/column,
the enclosing function, and (for member accesses) the receiver chain:

    chain = [base, step, step, ...]   base: "v:NAME" variable, "t:TYPE" cast / container_of /
                                      compound literal, "r:FUNC" return value, "this", "?"
                                      steps: field names, "[]" subscript, "#N" positional
                                      initializer index, "*" dereference
"""
from __future__ import annotations

import bisect
import re
from functools import cached_property, lru_cache, partial
from itertools import accumulate, compress, repeat
from dataclasses import dataclass, field
from operator import le, not_, or_, sub

from vmxref import logfmt
from vmxref.indexer import ts
from vmxref.indexer import guards, helperlines, macros, traceevents
from vmxref.ctext import KEYWORDS, PRIMITIVE_TYPES, jlist
from vmxref.indexer import native
from vmxref.indexer.native import mod as _native  # (the identifier scan in C, or None)
from vmxref.schema import SYM_STATIC

QUERY = """
(function_definition) @func
(declaration) @decl
(field_declaration) @fdecl
(type_definition) @typedef
(struct_specifier body: (_)) @struct
(union_specifier body: (_)) @struct
(enum_specifier) @enum
(preproc_def name: (identifier) @macro)
(preproc_function_def name: (identifier) @fmacro)
(call_expression) @call
(assignment_expression) @assign
(update_expression) @update
(pointer_expression) @ptr
(field_expression) @fexpr
(type_identifier) @tid
(case_statement) @case
(return_statement) @ret
(ERROR) @err
(if_statement condition: (_) @ifcond)
(preproc_if condition: (_) @ppcond)
(preproc_elif condition: (_) @ppcond)
(sizeof_expression) @sizeof
(alignof_expression) @sizeof
(offsetof_expression) @sizeof
(gnu_asm_output_operand value: (_) @asmout)
"""

# Calls that overwrite a whole object given its address (first argument).
WHOLE_OBJECT_WRITERS = frozenset({
    "memset", "memcpy", "memmove", "memzero_explicit", "RT_ZERO", "RT_BZERO", "RT_BCOPY",
    "ASMMemZero32", "ASMMemZeroPage", "ASMMemFill32", "ASMMemFill32", "bzero",
})
STATIC_CALL = frozenset({"static_call", "static_call_cond", "static_call_mod"})
# Type names no variable, parameter or member is named after: a declaration of one is error
# recovery's reading of a statement (`*(uint32_t RT_FAR *)pvEAX = uEAX;` after an MSC
# `__asm { }` block reads as a global `uint32_t`), and a cast `(uint32_t)x` would read it.
TYPE_NAMES = frozenset({
    "int8_t", "int16_t", "int32_t", "int64_t", "uint8_t", "uint16_t", "uint32_t", "uint64_t",
    "intptr_t", "uintptr_t", "size_t", "ssize_t", "ptrdiff_t", "off_t", "bool", "_Bool",
    "__u8", "__u16", "__u32", "__u64", "__s8", "__s16", "__s32", "__s64",
})  # (not u8..u64: VirtualBox names union members so, `uint64_t u64;`)
_OBJECT_KINDS = frozenset({"global", "local", "param", "field", "extern"})
PRI_MACROS = {"PRIx64": "llx", "PRIu64": "llu", "PRId64": "lld", "PRIX64": "llX",
              "PRIx32": "x", "PRIu32": "u", "PRId32": "d", "PRIX32": "X"}
MAX_TEXT = 240
_IDENT_BYTE = [chr(c).isalnum() or c == 95 for c in range(128)] + [False] * 128

_STRUCT_TYPES = frozenset({"struct_specifier", "union_specifier", "class_specifier"})
_DECLARATOR_WRAPPERS = frozenset({
    "pointer_declarator", "array_declarator", "parenthesized_declarator",
    "attributed_declarator", "reference_declarator", "init_declarator",
    "abstract_pointer_declarator",
})
_NAME_TYPES = frozenset({"identifier", "field_identifier", "type_identifier",
                         "qualified_identifier", "destructor_name", "operator_name"})


@dataclass
class Facts:
    """All facts of one file content, ready for the store."""

    syms: list[tuple] = field(default_factory=list)
    refs: list[tuple] = field(default_factory=list)
    calls: list[tuple] = field(default_factory=list)
    assigns: list[tuple] = field(default_factory=list)
    logcalls: list[tuple] = field(default_factory=list)
    cases: list[tuple] = field(default_factory=list)
    guards: list[tuple] = field(default_factory=list)
    slotloads: list[tuple] = field(default_factory=list)  # (see slotloads.py)
    byteviews: list[tuple] = field(default_factory=list)  # (see byteviews.py)
    includes: list[tuple] = field(default_factory=list)  # (see includes.py)
    errors: list[tuple[int, int]] = field(default_factory=list)
    nlines: int = 0
    err_lines: int = 0


class _Ctx:
    """Per-file extraction state: source bytes, function spans, position sets.

    Texts are sliced from latin-1 decodings of the source and of the normalised text (one
    character per byte, so byte offsets index them); a slice that is not pure ASCII is
    decoded from the bytes as UTF-8 instead, so results equal `bytes[a:b].decode("utf-8",
    "replace")`. A text is taken over the node's span in the normalised text, which may
    hold a rewritten macro use only in part (`__this_cpu_read(x)` is `x` there): a span that
    holds all of a use's rewritten text holds the whole use (_widen). Lines and columns come from the newline offsets (tree-sitter counts rows
    by b"\\n" and columns in bytes), which avoids building a Point per node.
    """

    def __init__(self, src: bytes, lang: str, profile, norm: bytes | None = None,
                 use_spans=()):
        self.src, self.lang, self.profile = src, lang, profile
        self.norm = norm if norm is not None else src
        self.f = Facts()
        self.fstarts: list[int] = []
        self.fends: list[int] = []
        self.fnames: list[str] = []
        self.struct_names: dict[int, str] = {}
        self.write_nodes: set[tuple[int, int]] = set()
        self.addr_nodes: set[tuple[int, int]] = set()
        self.call_fn_nodes: set[tuple[int, int]] = set()
        self.decl_names: set[int] = set()
        self.field_counts: dict[str, int] = {}
        self.macro_args: set[int] = set()
        self.init_macros: dict[str, list[tuple[list[str], int]]] = {}  # see macros._initializer_macro
        self.paste_macros: dict[str, list[list[tuple[int, str]]]] = {}  # see macros._pasting_macro
        self.name_templates: dict[str, list[tuple[str, str]]] = {}  # see macros._name_template
        self.fn_sym_at: dict[int, int] = {}  # function name offset -> index in f.syms
        self.tracepoints: set[str] = set()  # trace events given symbols (traceevents._event_sym)
        self.cond_starts: list[int] = []  # `if` conditions (see _guard_end)
        self.sizeof_spans: tuple[list[int], list[int]] = ([], [])  # sizeof/alignof/offsetof
        self.ppcond_spans: tuple[list[int], list[int]] = ([], [])  # #if / #elif conditions
        self.cond_ends: list[int] = []
        self.fills: dict[str, list[int]] = {}  # the profile's [writes] fills (see extract)
        self._srcs = src.decode("latin-1")
        self._norms = self._srcs if self.norm is src else self.norm.decode("latin-1")
        self._ascii = self.norm.isascii()
        self._ucs, self._uce = _use_contents(self.norm, use_spans)

    @cached_property
    def _nl(self) -> list[int]:
        """-1, then the offset of every newline (segment lengths + 1, accumulated in C);
        made when first asked (the C passes count lines themselves)."""
        nl = list(accumulate(map((1).__add__, map(len, self.src.split(b"\n"))), initial=-1))
        nl.pop()  # the end of the last segment is no newline
        return nl

    def text(self, node, limit: int = MAX_TEXT) -> str:
        """Source text of a node, whitespace-collapsed, cut at `limit` characters."""
        a, b = node.start_byte, node.end_byte
        if self._ucs and (a in self._ucs or b in self._uce):
            a, b = self._widen(a, b)
        b = self._past_paste(a, b)
        if b > a + limit * 4:
            b = a + limit * 4
        s = self._srcs[a:b]
        if not s.isascii():
            s = self.src[a:b].decode("utf-8", "replace")
        s = " ".join(s.split())
        return s if len(s) <= limit else s[: limit - 1] + "…"

    def _widen(self, a: int, b: int) -> tuple[int, int]:
        """The span widened over the macro uses whose rewritten text [cs, ce) it holds all
        of while it starts or ends inside the use (`x * 1000LL` of `__this_cpu_read(x) *
        1000LL`; `x` alone). Such a span starts at cs or ends at ce (a node starts and ends
        on a token, and the bytes of a use around its rewritten text are blanks), and the
        uses it then holds leave no other (their blanks hold no token): one look at each
        end, over the span as it came."""
        a0, b0 = a, b
        for ce, us, ue in self._ucs.get(a0, ()):
            if ce <= b0:
                a, b = min(a, us), max(b, ue)
        for cs, us, ue in self._uce.get(b0, ()):
            if cs >= a0:
                a, b = min(a, us), max(b, ue)
        return a, b

    def _past_paste(self, a: int, b: int) -> int:
        """The end of a span's source text: a pasted name ends before the blanks that pad it
        to the macro use's length (`pVCpu->CTX_SUFF(pVM)` is `pVCpu->pVMR3` and 8 blanks), so
        a span whose end cuts a source word in two reaches over those blanks (_IDENT_BYTE)."""
        src, norm = self.src, self.norm
        if a < b < len(src) and norm[b] == 32 and _IDENT_BYTE[src[b - 1]] and _IDENT_BYTE[src[b]]:
            while b < len(norm) and norm[b] == 32:
                b += 1
        return b

    def name(self, node) -> str:
        """A name from the normalised text (macro pasting may have rewritten it)."""
        s = self._norms[node.start_byte:node.end_byte]
        if self._ascii or s.isascii():
            return s
        return self.norm[node.start_byte:node.end_byte].decode("utf-8", "replace")

    def pos(self, node) -> tuple[int, int]:
        """1-based (line, column) of a node's start."""
        b = node.start_byte
        nl = self._nl
        line = bisect.bisect_left(nl, b)
        return line, b - nl[line - 1]

    def eline(self, node) -> int:
        """1-based line of a node's end (as tree-sitter's end_point row + 1)."""
        return bisect.bisect_left(self._nl, node.end_byte)

    def newlines(self) -> list[int]:
        """Offsets of every newline, after a -1 sentinel (line of offset o: bisect_left(nl, o))."""
        return self._nl

    def func_at(self, byte: int) -> str:
        """Name of the function whose body contains `byte`, or '' at file scope."""
        i = bisect.bisect_right(self.fstarts, byte) - 1
        if i >= 0 and byte < self.fends[i]:
            return self.fnames[i]
        return ""


def _use_contents(norm: bytes, use_spans) -> tuple[dict, dict]:
    """The rewritten macro uses a text may be widened over (_Ctx._widen), by where their
    rewritten text starts ({cs: [(ce, start, end), ...]}) and ends ({ce: [(cs, start, end),
    ...]}): [cs, ce) is the use's span in the normalised text without the blanks around
    it. Uses wholly blanked (erased) or rewritten from their first byte to their last
    (`while (args)`, a declaration) have nothing to widen over."""
    by_cs: dict[int, list] = {}
    by_ce: dict[int, list] = {}
    for us, ue in use_spans:
        seg = norm[us:ue]
        body = seg.lstrip()
        if not body:
            continue
        cs, ce = ue - len(body), us + len(seg.rstrip())
        if cs == us and ce == ue:
            continue
        by_cs.setdefault(cs, []).append((ce, us, ue))
        by_ce.setdefault(ce, []).append((cs, us, ue))
    return by_cs, by_ce


def extract(src: bytes, tree, lang: str, profile=None, macro_uses=(), dialect: str = "printf",
            text: bytes | None = None, byte_range: tuple[int, int] | None = None,
            fills: dict | None = None, use_spans=()) -> Facts:
    """Extract every fact of one file from its tree (see module docstring); with
    `byte_range`, the facts of the nodes that intersect it (others may come along).
    `fills`: the profile's [writes] fills (callee -> 1-based positions of the objects
    it overwrites). `use_spans`: the (start, end) spans of the macro uses the normaliser
    rewrote (normalize.normalize_ex's `spans`): texts are widened over them (_Ctx._widen)."""
    cx = _Ctx(src, lang, profile, text, use_spans)
    cx.dialect = dialect
    cx.fills = fills or {}
    caps = _captures(tree, lang, byte_range)
    _doc_order(caps)
    get = lambda k: caps.get(k, ())  # noqa: E731
    cx.f.nlines = src.count(b"\n") + 1
    _errors(cx, get("err"))
    cx.cond_starts, cx.cond_ends = _union(get("ifcond"))
    cx.sizeof_spans = _union(_size_operands(src, get("sizeof"), get("call")))
    cx.ppcond_spans = _union(get("ppcond"))  # `#if IS_ENABLED(X)`: no call
    step = _steps(cx)  # the steps below in C when vmxref.indexer._tsnative is built
    step.functions(get("func"))
    step.guards(get("ifcond"))
    step.structs(get("struct"))
    step.defines(get("macro"))
    step.fmacros(get("fmacro"))  # (before the declarations: initializer macros, see _macro)
    if get("err") and byte_range is None:
        _missed_defines(cx, text if text is not None else src, lang, step)
    step.typedefs(get("typedef"))
    step.field_decls(get("fdecl"))
    step.declarations(get("decl"))
    step.enums(get("enum"))
    step.calls(get("call"))
    _macro_formats(cx)
    _continued_lines(cx)
    helperlines.helper_lines(cx, tree, _literal_keys)
    if byte_range is None:  # (a text scan of the whole file: once)
        traceevents.trace_events(cx, dialect)
    step.writes(get("assign"), get("update"), get("ptr"), get("asmout"), get("case"), get("ret"))
    special = _special_kinds(cx)  # the write / call / address sets are complete here
    step.field_refs(get("fexpr"), special)
    step.ident_refs(text if text is not None else src, get("tid"), special)
    if macro_uses:
        nl = cx.newlines()
        for name, off in macro_uses:
            line = bisect.bisect_left(nl, off)
            cx.f.refs.append((name, "macro", line, off - nl[line - 1], cx.func_at(off), None))
        if cx.paste_macros:
            macros.generated(cx, cx._srcs, macro_uses)
        if cx.name_templates:
            macros.instances(cx, macro_uses)
    cx.f.syms = [s for s in cx.f.syms if s[0] not in TYPE_NAMES or s[1] not in _OBJECT_KINDS]
    step.receiver_types(cx.f)
    return cx.f


class Steps:
    """The extraction steps over the captures, in Python: the reference. Their C twins
    (csteps.CSteps, over vmxref.indexer._tsnative) give the same facts in the same order."""

    def __init__(self, cx: _Ctx):
        self.cx = cx

    def functions(self, nodes) -> None:
        _functions(self.cx, nodes)

    def guards(self, conds) -> None:
        """Branches on plain conditions (the `if` condition nodes)."""
        guards.branches(self.cx, conds)

    def structs(self, nodes) -> None:
        _structs(self.cx, nodes)

    def defines(self, nodes) -> None:
        """`#define NAME value` (the names of preproc_def nodes)."""
        for n in nodes:
            macros.definition(self.cx, n, "macro")

    def fmacros(self, nodes) -> None:
        """`#define NAME(params) value` (the names of preproc_function_def nodes)."""
        for n in nodes:
            macros.definition(self.cx, n, "macro")

    def typedefs(self, nodes) -> None:
        for n in nodes:
            _typedef(self.cx, n)

    def field_decls(self, nodes) -> None:
        for n in nodes:
            _field_decl(self.cx, n)

    def declarations(self, nodes) -> None:
        for n in nodes:
            _declaration(self.cx, n)

    def enums(self, nodes) -> None:
        for n in nodes:
            _enum(self.cx, n)

    def calls(self, nodes) -> None:
        for n in nodes:
            _call(self.cx, n)

    def writes(self, assign, update, ptr, asmout, case, ret) -> None:
        """Assignments, ++/--, `&x` handed to calls, asm outputs, case labels, returns."""
        cx = self.cx
        for n in assign:
            _assign(cx, n)
        for n in update:
            _update(cx, n)
        for n in ptr:
            _pointer(cx, n)
        for n in asmout:
            _asm_output(cx, n)
        for n in case:
            _case(cx, n)
        for n in ret:
            _return(cx, n)

    def field_refs(self, nodes, special) -> None:
        _field_refs(self.cx, nodes, special)

    def ident_refs(self, text: bytes, tids, special) -> None:
        _ident_refs(self.cx, text, tids, special)

    def receiver_types(self, f: Facts) -> None:
        _receiver_types(f)


def _steps(cx: _Ctx) -> Steps:
    """The steps in C when vmxref.indexer._tsnative is built, else in Python."""
    passes = native.ts_passes()
    if passes is None:
        return Steps(cx)
    from vmxref.indexer.csteps import CSteps
    return CSteps(cx, passes)


def merge_branches(facts: Facts, other: Facts, src: bytes, dropped: list[tuple[int, int]]) -> None:
    """Add to `facts` the facts of `other` (the same file parsed with the other branches of
    split `#if` groups kept) that lie on the lines of those branches (`dropped`, byte
    ranges): calls, references, writes, log calls, case labels and declarations written
    only under `#else`."""
    spans: list[tuple[int, int]] = []  # (line spans, nested ones joined: an outer branch
    for a, b in sorted((src.count(b"\n", 0, a) + 1, src.count(b"\n", 0, b) + 1)  # holds
                       for a, b in dropped):  # an inner group's, and goes on after it)
        if spans and a <= spans[-1][1]:
            spans[-1] = (spans[-1][0], max(b, spans[-1][1]))
        else:
            spans.append((a, b))
    starts = [a for a, _b in spans]

    def inside(line: int) -> bool:
        i = bisect.bisect_right(starts, line) - 1
        return i >= 0 and line <= spans[i][1]

    have = {(s[0], s[1], s[2]) for s in facts.syms}
    facts.syms += [s for s in other.syms if inside(s[2]) and (s[0], s[1], s[2]) not in have]
    # (a macro use the normaliser rewrote is a reference of every text, blanked branch or
    # not: the first text's facts have it)
    uses = {r for r in facts.refs if r[1] == "macro"}
    facts.refs += [r for r in other.refs if inside(r[2]) and (r[1] != "macro" or r not in uses)]
    for name in ("calls", "assigns", "logcalls", "cases", "guards"):
        getattr(facts, name).extend(r for r in getattr(other, name) if inside(r[0]))


def _receiver_types(f: Facts) -> None:
    """Append to each write the declared type of its chain's base variable when that is a
    parameter or local of the writing function (its last declaration there), else None:
    `writes` filters whole-object writes by it without a declaration look-up per row."""
    decl: dict[tuple[str, str], tuple[int, str]] = {}
    for s in f.syms:
        kind = s[1]
        if (kind == "param" or kind == "local") and s[5]:
            key = (s[5], s[0])
            old = decl.get(key)
            if old is None or s[2] >= old[0]:
                decl[key] = (s[2], s[6])
    out = []
    for r in f.assigns:
        chain, func = r[4], r[2]
        d = decl.get((func, chain[4:chain.index('"', 4)])) if func and chain.startswith('["v:') \
            else None
        out.append((*r, d[1] if d is not None else None))
    f.assigns = out


def _span(node) -> tuple[int, int]:
    return node.start_byte, node.end_byte


# --- errors and functions -------------------------------------------------------------

_DEFINE_LINE = re.compile(rb"^[ \t]*#[ \t]*define[ \t]+([A-Za-z_]\w*)", re.M)


def _missed_defines(cx, text: bytes, lang: str, step) -> None:
    """The #defines the tree left in or beside an ERROR node, made symbols as the others are: a
    #define written inside an initializer list or an enum body (`#define SHADOW_FIELD_RO(x,
    y) { x, offsetof(..) },` in nested.c's field table, PGMMODEDATABTH_ENTRY in
    g_aPgmBothModeData's) is no directive tree-sitter can place there. Each is parsed again
    alone: only its lines, without its block comments, as tree-sitter's included ranges of
    the file's text (same offsets, so the steps read them as they read any #define). Only
    for a file whose tree has errors."""
    macros = [s for s in cx.f.syms if s[1] == "macro"]
    if len(macros) >= text.count(b"define ") + text.count(b"define\t"):
        return  # (every #define has its symbol: an upper bound found at memchr speed)
    have = {(s[0], s[2]) for s in macros}
    nl = cx.newlines()
    spans = []
    found = _DEFINE_LINE.finditer(text)  # (anywhere: not every #define the tree missed lies
    # inside an ERROR node, kvm.h's enum holds some outside them)
    for m in found:
        line = bisect.bisect_left(nl, m.start(1))
        if (m.group(1).decode("latin-1"), line) in have:
            continue
        end = text.find(b"\n", m.end())
        while end >= 0 and _continued(text, end):
            end = text.find(b"\n", end + 1)
        spans.append((m.start(), len(text) if end < 0 else end))
    if spans and b"/*" in text:  # (a #define in a block comment is none: nt.h's
        # `/*#  define HEAP_CREATE_ALIGN_16 ...` commented out over three lines)
        comments = [m.span() for m in _NONCODE.finditer(text) if m.group().startswith(b"/*")]
        starts = [a for a, _b in comments]
        spans = [(a, b) for a, b in spans
                 if (i := bisect.bisect_right(starts, a) - 1) < 0 or a >= comments[i][1]]
    if not spans:
        return
    caps: dict[str, list] = {"macro": [], "fmacro": []}
    for a, b in spans:  # (each alone: a broken one cannot swallow the next)
        pieces = _without_block_comments(text, a, min(b + 1, len(text)))
        for k, v in _captures(ts.parse_ranges(text, lang, pieces), lang, None).items():
            if k in caps:
                caps[k] += v
    _doc_order(caps)
    step.defines(caps.get("macro", ()))
    step.fmacros(caps.get("fmacro", ()))


def _without_block_comments(text: bytes, a: int, b: int) -> list[tuple[int, int]]:
    """text[a:b] as pieces around its block comments: tree-sitter ends a #define's value at
    `/*`, so `#define X(a) do { /* nothing */ } while (0)` parses only without it."""
    out = []
    while True:
        c = text.find(b"/*", a, b)
        if c < 0:
            break
        e = text.find(b"*/", c + 2, b)
        if e < 0:
            break
        if c > a:
            out.append((a, c))
        a = e + 2
    if b > a:
        out.append((a, b))
    return out


def _continued(text: bytes, nl: int) -> bool:
    """Does the line ending at the newline `nl` end with a continuation backslash?"""
    j = nl - 1 if text[nl - 1:nl] != b"\r" else nl - 2
    return text[j:j + 1] == b"\\"


def _captures(tree, lang: str, byte_range: tuple[int, int] | None) -> dict:
    """QUERY's captures (capture name -> nodes): by one walk of the tree in C when the C
    passes are built (the same nodes as tree-sitter's query engine finds, faster), else by
    the query; with `byte_range`, only the nodes that intersect it (the query)."""
    passes = native.ts_passes()
    if passes is not None and byte_range is None:
        return passes.captures(tree.root_node, lang == "cpp")
    query = QUERY + ("(class_specifier body: (_)) @struct\n" if lang == "cpp" else "")
    return ts.captures(tree.root_node, lang, query, byte_range)


def _doc_order(caps: dict) -> None:
    """Put every capture list in document order (outer node first).

    py-tree-sitter's QueryCursor.captures collects each capture's nodes in a set, so their
    order follows the nodes' hashes (their addresses): it differs from one parse of the same
    text to the next. The facts of a file, and the row order of the index, follow these
    lists: sorted, the same content gives the same index. (In C when the passes are built.)
    """
    passes = native.ts_passes()
    for k, nodes in caps.items():
        if passes is not None:
            passes.doc_order(nodes)
        else:
            nodes.sort(key=lambda n: (n.start_byte, -n.end_byte, n.kind_id))


# Macros that take a type and a member and give a size or an offset, or count an array's
# elements (`ARRAY_SIZE(vcpu->arch.db)`, `RT_ELEMENTS(a)`: sizeof(a) / sizeof(a[0])): their
# arguments are operands of sizeof/offsetof (no value is read), like those of offsetof(T, m).
SIZE_MACROS = (b"RT_OFFSETOF", b"RT_UOFFSETOF", b"RT_OFFSETOF_ADD", b"RT_UOFFSETOF_ADD",
               b"RT_UOFFSETOF_DYN", b"RT_UOFFSET_AFTER", b"RT_SIZEOFMEMB", b"sizeof_field",
               b"offsetofend", b"ARRAY_SIZE", b"RT_ELEMENTS")
_SPACE_PAREN = re.compile(rb"\s*\(")
_WORD_BYTES = frozenset(b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_")


def _size_operands(src: bytes, sizeofs, calls) -> list:
    """The sizeof/alignof/offsetof nodes and the argument lists of SIZE_MACROS calls (the
    file's text is searched first: most files have none)."""
    if b"OFFSET" not in src and b"SIZEOFMEMB" not in src and b"sizeof_field" not in src \
            and b"offsetofend" not in src and b"ARRAY_SIZE" not in src \
            and b"RT_ELEMENTS" not in src:
        return sizeofs
    at = _size_macro_starts(src)
    args = [c.child_by_field_name("arguments") for c in calls if c.start_byte in at]
    return [*sizeofs, *(a for a in args if a is not None)]


def _size_macro_starts(src: bytes) -> set[int]:
    r"""Offsets of the SIZE_MACROS names followed by `(` (`\bNAME\s*\(`), found name by name
    with bytes.find: one regular expression of the eleven alternatives tried at every byte
    of the file took 14 ms on IEMAll.cpp, this 2 ms."""
    at: set[int] = set()
    for name in SIZE_MACROS:
        i = src.find(name)
        while i >= 0:
            j = i + len(name)
            if (i == 0 or src[i - 1] not in _WORD_BYTES) and _SPACE_PAREN.match(src, j):
                at.add(i)
            i = src.find(name, j)
    return at


def _union(nodes) -> tuple[list[int], list[int]]:
    """Starts and ends of the disjoint byte ranges that the nodes cover (sorted)."""
    starts: list[int] = []
    ends: list[int] = []
    for a, b in sorted((n.start_byte, n.end_byte) for n in nodes):
        if ends and a <= ends[-1]:
            ends[-1] = max(ends[-1], b)
        else:
            starts.append(a)
            ends.append(b)
    return starts, ends


def _errors(cx: _Ctx, nodes) -> None:
    lines: set[int] = set()
    for n in nodes:
        a, b = cx.pos(n)[0], cx.eline(n)
        cx.f.errors.append((a, b))
        lines.update(range(a, b + 1))
    cx.f.err_lines = len(lines)


def declarator_name(node):
    """Innermost name node of a declarator (through pointers, arrays, function declarators)."""
    while node is not None:
        t = node.type
        if t in _NAME_TYPES:
            return node
        if t == "function_declarator" or t in _DECLARATOR_WRAPPERS:
            nxt = node.child_by_field_name("declarator")
            if nxt is None:  # parenthesized_declarator has no field name
                nxt = next((c for c in node.named_children if c.type != "attribute_specifier"), None)
            node = nxt
        else:
            return None
    return None


def _param_names(cx: _Ctx, fd) -> None:
    """The parameter names of a function declarator that is no definition's (a prototype,
    a function pointer: `int (*handle_exit)(struct kvm_vcpu *vcpu, enum ... exit_fastpath)`)
    are declarations: no reads (a definition's are its `param` symbols, _params)."""
    params = fd.child_by_field_name("parameters") if fd is not None else None
    if params is None:
        return
    for p in params.named_children:
        if p.type in ("parameter_declaration", "optional_parameter_declaration"):
            d = p.child_by_field_name("declarator")
            nm = declarator_name(d) if d is not None else None
            if nm is not None:
                cx.decl_names.add(nm.start_byte)


def _function_declarator(node):
    while node is not None:
        if node.type == "function_declarator":
            return node
        if node.type in _DECLARATOR_WRAPPERS:
            node = node.child_by_field_name("declarator") or (
                node.named_children[0] if node.named_children else None)
        else:
            return None
    return None


def _stars(declarator) -> str:
    """Pointer / array suffix of a declarator ('*', '**', '[]')."""
    out = []
    node = declarator
    while node is not None and node.type not in _NAME_TYPES:
        if node.type in ("pointer_declarator", "abstract_pointer_declarator"):
            out.append("*")
        elif node.type == "array_declarator":
            out.append("[]")
        elif node.type == "function_declarator":
            return "()"
        nxt = node.child_by_field_name("declarator")
        if nxt is None and node.named_children:
            nxt = node.named_children[0]
        node = nxt
    return "".join(out)


def _return_stars(decl) -> str:
    """The `*`s of a function's return type: the pointer declarators above its function
    declarator (`struct foo **bar(void)`: "**"; _stars stops at the function declarator)."""
    out = []
    node = decl
    while node is not None and node.type in _DECLARATOR_WRAPPERS:
        if node.type in ("pointer_declarator", "abstract_pointer_declarator"):
            out.append("*")
        nxt = node.child_by_field_name("declarator")
        if nxt is None and node.named_children:
            nxt = node.named_children[0]
        node = nxt
    return "".join(out)


def _base_type(cx: _Ctx, tnode) -> str:
    """Base type name of a `type` node: struct tag, typedef name or primitive."""
    if tnode is None:
        return "?"
    t = tnode.type
    if t in _STRUCT_TYPES or t == "enum_specifier":
        if tnode.id in cx.struct_names:
            return cx.struct_names[tnode.id]
        nm = tnode.child_by_field_name("name")
        return cx.name(nm) if nm is not None else "?"
    if t == "qualified_identifier":
        nm = tnode.child_by_field_name("name")
        return cx.name(nm) if nm is not None else cx.name(tnode)
    if t == "template_type":
        nm = tnode.child_by_field_name("name")
        return cx.name(nm) if nm is not None else cx.name(tnode)
    return cx.name(tnode)


def _functions(cx: _Ctx, nodes) -> None:
    prof = cx.profile
    for n in nodes:
        decl = n.child_by_field_name("declarator")
        fd = _function_declarator(decl)
        if fd is None:
            continue
        nm = declarator_name(fd.child_by_field_name("declarator"))
        if nm is None:
            continue
        name, scope = cx.name(nm), ""
        params = fd.child_by_field_name("parameters")
        if nm.type == "qualified_identifier":
            inner = nm.child_by_field_name("name")
            sc = nm.child_by_field_name("scope")
            scope = cx.name(sc) if sc else ""
            name = cx.name(inner) if inner is not None else name
        arg = prof.function_name_arg(name) if prof is not None else None
        if arg is not None and params is not None:
            real = _macro_arg_name(cx, params, arg)
            if real:
                cx.macro_fn = True
                cx.f.refs.append((name, "macro", *cx.pos(nm), real, None))
                name = real
        cx.decl_names.add(nm.start_byte)
        static = any(c.type == "storage_class_specifier" and cx.name(c) == "static"
                     for c in n.children)
        rtype = _base_type(cx, n.child_by_field_name("type")) + _return_stars(decl)
        line, col = cx.pos(nm)
        cx.fn_sym_at[nm.start_byte] = len(cx.f.syms)
        cx.f.syms.append((name, "function", line, col, cx.eline(n), scope, rtype, 0,
                          SYM_STATIC if static else 0, cx.text(fd, 200)))
        cx.fstarts.append(n.start_byte)
        cx.fends.append(n.end_byte)
        cx.fnames.append(name)
        if params is not None and arg is None:
            _params(cx, params, name)
    order = sorted(range(len(cx.fstarts)), key=cx.fstarts.__getitem__)
    cx.fstarts = [cx.fstarts[i] for i in order]
    cx.fends = [cx.fends[i] for i in order]
    cx.fnames = [cx.fnames[i] for i in order]


def _macro_arg_name(cx: _Ctx, params, index: int) -> str:
    args = [c for c in params.named_children if c.type != "comment"]
    if index >= len(args):
        return ""
    a = args[index]
    nm = a if a.type in _NAME_TYPES else None
    if nm is None:
        d = a.child_by_field_name("declarator")
        nm = declarator_name(d) if d is not None else a.child_by_field_name("type")
    return cx.name(nm) if nm is not None else ""


def _params(cx: _Ctx, params, fname: str) -> None:
    pos = 0
    for p in params.named_children:
        if p.type not in ("parameter_declaration", "optional_parameter_declaration"):
            continue
        d = p.child_by_field_name("declarator")
        nm = declarator_name(d) if d is not None else None
        if nm is not None:
            cx.decl_names.add(nm.start_byte)
            line, col = cx.pos(nm)
            ptype = _base_type(cx, p.child_by_field_name("type")) + _stars(d)
            const = any(c.type == "type_qualifier" and cx.name(c) == "const" for c in p.children)
            cx.f.syms.append((cx.name(nm), "param", line, col, line, fname, ptype, pos,
                              2 if const and "*" in ptype else 0, None))
        pos += 1


# --- types ------------------------------------------------------------------------------

def _structs(cx: _Ctx, nodes) -> None:
    """Name every struct/union/class body, including anonymous ones (document order)."""
    for n in sorted(nodes, key=lambda x: (x.start_byte, -x.end_byte)):
        nm = n.child_by_field_name("name")
        parent = n.parent
        if nm is not None:
            name = cx.name(nm)
            if nm.type == "qualified_identifier":
                inner = nm.child_by_field_name("name")
                name = cx.name(inner) if inner is not None else name
            cx.decl_names.add(nm.start_byte)
        elif parent is not None and parent.type == "type_definition":
            tds = [d for d in parent.children_by_field_name("declarator") if d.type == "type_identifier"]
            name = cx.name(tds[0]) if tds else f"(anonymous@{cx.pos(n)[0]})"
        elif parent is not None and parent.type == "field_declaration":
            body = parent.parent
            while body is not None and body.type.startswith("preproc_"):
                body = body.parent
            owner = cx.struct_names.get(body.id, "?") if body is not None else "?"
            d = parent.child_by_field_name("declarator")
            fnm = declarator_name(d) if d is not None else None
            name = f"{owner}::{cx.name(fnm)}" if fnm is not None else owner
        else:
            name = f"(anonymous@{cx.pos(n)[0]})"
        cx.struct_names[n.id] = name
        body = n.child_by_field_name("body")
        if body is not None:
            cx.struct_names[body.id] = name
        for c in n.children:
            if c.type == "base_class_clause":  # C++ inheritance: fields of the bases
                for b in c.named_children:
                    if b.type in ("type_identifier", "qualified_identifier", "template_type"):
                        line, col = cx.pos(b)
                        cx.f.syms.append((_base_type(cx, b), "base", line, col, line, name,
                                          None, 0, 0, None))
        if nm is not None or (parent is not None and (
                parent.type == "type_definition" or (
                    n.type == "union_specifier" and parent.type == "declaration"))):
            # (an unnamed union a variable is declared with, `union { PFNRT pfn; ... } u;`:
            # its members alias each other, which the queries can tell only from its kind)
            kind = n.type.split("_")[0]
            line, col = cx.pos(nm if nm is not None else n)
            cx.f.syms.append((name, kind, line, col, cx.eline(n), "", None, 0, 0, None))


def _typedef(cx: _Ctx, n) -> None:
    base = _base_type(cx, n.child_by_field_name("type"))
    for d in n.children_by_field_name("declarator"):
        nm = declarator_name(d)
        if nm is None:
            continue
        cx.decl_names.add(nm.start_byte)
        _param_names(cx, _function_declarator(d))
        line, col = cx.pos(nm)
        cx.f.syms.append((cx.name(nm), "typedef", line, col, line, "", base + _stars(d), 0, 0,
                          cx.text(n, 160)))


def _field_decl(cx: _Ctx, n) -> None:
    owner_body = n.parent
    while owner_body is not None and owner_body.type.startswith("preproc_"):
        owner_body = owner_body.parent  # fields under #ifdef inside the struct body
    owner = cx.struct_names.get(owner_body.id) if owner_body is not None else None
    if owner is None:
        return
    tnode = n.child_by_field_name("type")
    base = _base_type(cx, tnode)
    pos = cx.field_counts.get(owner, 0)
    cx.field_counts[owner] = pos + 1
    for d in n.children_by_field_name("declarator"):
        nm = declarator_name(d)
        if nm is None:
            continue
        cx.decl_names.add(nm.start_byte)
        _param_names(cx, _function_declarator(d))
        line, col = cx.pos(nm)
        cx.f.syms.append((cx.name(nm), "field", line, col, line, owner, base + _stars(d), pos, 0, None))


def _enum(cx: _Ctx, n) -> None:
    nm = n.child_by_field_name("name")
    ename = cx.name(nm) if nm is not None else ""
    if nm is not None and n.child_by_field_name("body") is not None:
        cx.decl_names.add(nm.start_byte)
        cx.f.syms.append((ename, "enum", *cx.pos(nm), cx.eline(n), "", None, 0, 0, None))
    body = n.child_by_field_name("body")
    if body is None:
        return
    i = 0
    for e in body.named_children:
        if e.type != "enumerator":
            continue
        en = e.child_by_field_name("name")
        val = e.child_by_field_name("value")
        cx.decl_names.add(en.start_byte)
        line, col = cx.pos(en)
        cx.f.syms.append((cx.name(en), "enumerator", line, col, line, ename, None, i, 0,
                          cx.text(val, 120) if val is not None else None))
        i += 1


def _macro_statement(cx: _Ctx, n, tnode) -> bool:
    """`DECLARE_WORK(w, fn);` at file scope: the grammar sees a declaration; record a call."""
    if tnode is not None and tnode.type == "macro_type_specifier":
        name_node, args = tnode.child_by_field_name("name"), []
        for c in tnode.named_children:  # `a,` before the last argument lands in an ERROR node
            if c.type == "type_descriptor":
                args.append(c)
            elif c.type == "ERROR":
                args += [x for x in c.named_children if x.type == "type_descriptor"]
    elif tnode is None:
        d = n.child_by_field_name("declarator")
        if d is None or d.type != "function_declarator":
            return False
        name_node = d.child_by_field_name("declarator")
        params = d.child_by_field_name("parameters")
        args = [p for p in params.named_children] if params is not None else []
        if any(p.type == "parameter_declaration" and p.child_by_field_name("declarator")
               is not None for p in args):
            return False  # a real (K&R-style) prototype
    else:
        return False
    if name_node is None or name_node.type != "identifier":
        return False
    name = cx.name(name_node)
    if not name.isupper() and "_" not in name:
        return False
    line, col = cx.pos(name_node)
    texts = [cx.text(a, 160) for a in args]
    for a in args:
        for c in (a, *a.named_children):
            if c.type == "type_identifier":
                cx.macro_args.add(c.start_byte)
    cx.decl_names.add(name_node.start_byte)
    cx.call_fn_nodes.add(_span(name_node))
    cx.f.calls.append((line, col, cx.func_at(n.start_byte), name, "direct", None,
                       jlist(texts), cx.eline(n), None))
    cx.f.refs.append((name, "call", line, col, cx.func_at(n.start_byte), None))
    return True


def _declaration(cx: _Ctx, n) -> None:
    func = cx.func_at(n.start_byte)
    tnode = n.child_by_field_name("type")
    if not func and _macro_statement(cx, n, tnode):
        return
    base = _base_type(cx, tnode)
    classes = {cx.name(c) for c in n.children if c.type == "storage_class_specifier"}
    static, extern = "static" in classes, "extern" in classes
    for d in n.children_by_field_name("declarator"):
        value = d.child_by_field_name("value") if d.type == "init_declarator" else None
        inner = d.child_by_field_name("declarator") if d.type == "init_declarator" else d
        nm = declarator_name(inner)
        if nm is None:
            continue
        name = cx.name(nm)
        cx.decl_names.add(nm.start_byte)
        line, col = cx.pos(nm)
        fd = _function_declarator(inner)
        _param_names(cx, fd)
        if fd is not None and value is None and _stars(inner) == "()" and not _fn_pointer(fd):
            cx.f.syms.append((name, "prototype", line, col, line, "", base, 0,
                              SYM_STATIC if static else 0, cx.text(n, 200)))
            continue
        # (`extern const T x = { ... };` defines x: VirtualBox's DECLEXPORT helper tables)
        kind = "local" if func else ("extern" if extern and value is None else "global")
        cx.f.syms.append((name, kind, line, col, line, func, base + _stars(inner), 0,
                          SYM_STATIC if static else 0, None))
        if value is not None:
            _initializer(cx, value, [f"v:{name}"], func, "init")
            if value.type == "initializer_list" and not any(
                    c.type == "initializer_pair" for c in value.named_children):
                vl, vc = cx.pos(value)  # `= { 0 }` / positional: the whole object is initialised
                cx.f.assigns.append((vl, vc, func, name, jlist([f"v:{name}"]), "=",
                                     cx.text(value), "init"))


def _fn_pointer(fd) -> bool:
    """Does the function declarator declare a pointer to a function (`int (*fn)(void)`: a
    variable), not a function (`int fn(void)`: a prototype)?"""
    d = fd.child_by_field_name("declarator")
    while d is not None and d.type == "parenthesized_declarator":
        d = d.named_children[0] if d.named_children else None
    return d is not None and d.type == "pointer_declarator"


_COMMENT_DESIGNATOR = re.compile(r"/\*\s*\.([A-Za-z_]\w*)\s*=?\s*\*/$")


MAX_INIT_DEPTH = 100  # nested initializer lists followed; deeper values are not recorded
# positional elements that are number literals recorded per initializer: data tables
# (dictionaries, firmware images, Unicode tables: 600,000 rows of all VirtualBox, 37 % of
# its writes) keep their first ones and their whole-object row, not one row per byte
MAX_INIT_NUMBERS = 64


def _number(item) -> bool:
    """A number literal (`12`, `'a'`, `-1`): an element of a data table."""
    if item.type == "unary_expression":
        arg = item.child_by_field_name("argument")
        return arg is not None and arg.type == "number_literal"
    return item.type in ("number_literal", "char_literal")


def _take(left: list[int]) -> bool:
    """Spend one of the numbers `left`: was there one?"""
    left[0] -= 1
    return left[0] >= 0


def _initializer(cx: _Ctx, value, chain: list[str], func: str, wkind: str,
                 depth: int = 0, left: list[int] | None = None) -> None:
    """Record writes of an initializer: plain values, designated and positional lists (up
    to MAX_INIT_DEPTH lists deep: a generated table nested deeper than the interpreter's
    recursion limit cost the whole file its facts, "too-deep"); positional number literals
    up to MAX_INIT_NUMBERS of them (`left`: how many more, shared by the nested lists)."""
    if depth > MAX_INIT_DEPTH:
        return
    if left is None:
        left = [MAX_INIT_NUMBERS]
    if value.type != "initializer_list":
        line, col = cx.pos(value)
        cx.f.assigns.append((line, col, func, _last_field(chain), jlist(chain), "=",
                             cx.text(value), wkind))
        return
    idx = 0
    said = None  # a designator written as a comment: `/* .pfnConstruct = */ apicR3Construct,`
    for item in value.named_children:
        if item.type == "comment":
            m = _COMMENT_DESIGNATOR.match(cx.name(item))
            said = m.group(1) if m else None
            continue
        if said is not None and item.type != "initializer_pair":
            _initializer(cx, item, chain + [said], func, "designated", depth + 1, left)
            said = None
            idx += 1
            continue
        said = None
        if item.type == "call_expression" and cx.init_macros:
            fn = item.child_by_field_name("function")
            sets = cx.init_macros.get(cx.name(fn)) if fn is not None else None
            args = item.child_by_field_name("arguments")
            if sets and args is not None:
                kids = [a for a in args.named_children if a.type != "comment"]
                for path, i in sets:
                    if i < len(kids):
                        _initializer(cx, kids[i], chain + [f"#{idx}", *path], func, "designated",
                                     depth + 1, left)
                idx += 1
                continue
        if item.type == "initializer_pair":
            steps = []
            for dz in item.children_by_field_name("designator"):
                if dz.type == "field_designator":
                    steps.append(cx.name(dz.named_children[0]) if dz.named_children else "?")
                elif dz.type == "field_identifier":
                    steps.append(cx.name(dz))
                else:
                    steps.append("[]")
            val = item.child_by_field_name("value")
            if val is not None and steps:
                _initializer(cx, val, chain + steps, func, "designated", depth + 1, left)
        elif not _number(item) or _take(left):
            _initializer(cx, item, chain + [f"#{idx}"], func,
                         "designated" if wkind != "init" else "init", depth + 1, left)
        idx += 1


def _last_field(chain: list[str]) -> str:
    for s in reversed(chain):
        if s not in ("[]", "*") and not s.startswith("#"):
            return s.split(":", 1)[1] if ":" in s else s
    return ""


def chain_of(cx: _Ctx, node, depth: int = 0) -> list[str]:
    """Receiver chain of an expression (see module docstring)."""
    if node is None or depth > 40:
        return ["?"]
    t = node.type
    if t == "identifier":
        return [f"v:{cx.name(node)}"]
    if t == "this":
        return ["this"]
    if t == "field_expression":
        fld = node.child_by_field_name("field")
        return chain_of(cx, node.child_by_field_name("argument"), depth + 1) + [cx.name(fld) if fld is not None else "?"]
    if t == "subscript_expression":
        return chain_of(cx, node.child_by_field_name("argument"), depth + 1) + ["[]"]
    if t == "parenthesized_expression":
        inner = node.named_children[0] if node.named_children else None
        return chain_of(cx, inner, depth + 1)
    if t == "cast_expression":
        td = node.child_by_field_name("type")
        tn = td.child_by_field_name("type") if td is not None else None
        dcl = td.child_by_field_name("declarator") if td is not None else None
        return [f"t:{_base_type(cx, tn)}{_stars(dcl) if dcl is not None else ''}"]
    if t == "pointer_expression":
        op = node.child_by_field_name("operator")
        inner = chain_of(cx, node.child_by_field_name("argument"), depth + 1)
        return inner + ["*"] if op is not None and cx.name(op) == "*" else inner
    if t == "call_expression":
        fn = node.child_by_field_name("function")
        args = node.child_by_field_name("arguments")
        fname = cx.name(fn) if fn is not None and fn.type == "identifier" else ""
        if fname in ("container_of", "list_entry", "list_first_entry", "RT_FROM_MEMBER",
                     "hlist_entry", "container_of_const", "RT_FROM_CPP_MEMBER") and args is not None:
            a = args.named_children
            if len(a) >= 2:
                tn = a[1]
                if tn.type == "type_descriptor":
                    tn = tn.child_by_field_name("type")
                return [f"t:{_base_type(cx, tn)}*"]
        return [f"r:{fname}"] if fname else ["?"]
    if t == "compound_literal_expression":
        td = node.child_by_field_name("type")
        tn = td.child_by_field_name("type") if td is not None else None
        return [f"t:{_base_type(cx, tn)}"]
    return ["?"]


# --- calls, writes, references -----------------------------------------------------------

def _deref_callee(fn):
    """The callee of `(*p->m)(...)`, `(p->m)(...)`, `(*fn)(...)`: the member or the pointer
    itself (calling through `*f` is calling f). Other shapes as they are."""
    node = fn
    while node is not None:
        if node.type == "parenthesized_expression" and node.named_child_count == 1:
            node = node.named_children[0]
        elif node.type == "pointer_expression" and (op := node.child_by_field_name("operator")) \
                is not None and op.type == "*":
            node = node.child_by_field_name("argument")
        else:
            break
    return node if node is not None and node.type in ("field_expression", "identifier") else fn


def _call(cx: _Ctx, n) -> None:
    fn = n.child_by_field_name("function")
    if fn is None or _in_spans(cx.ppcond_spans, n.start_byte):
        return
    args = n.child_by_field_name("arguments")
    fn = _deref_callee(fn)  # `(*lp->read)(...)` is `lp->read(...)`
    t = fn.type
    recv = None
    if t == "identifier":
        callee, kind = cx.name(fn), "direct"
        if callee in STATIC_CALL:
            return  # recorded with the outer call
        cx.call_fn_nodes.add((fn.start_byte, fn.end_byte))
    elif t == "call_expression" and (inner_fn := fn.child_by_field_name("function")) is not None \
            and cx.name(inner_fn) in STATIC_CALL:
        inner = fn.child_by_field_name("arguments")
        names = [c for c in inner.named_children if c.type == "identifier"] if inner is not None else []
        if not names:
            return
        callee, kind = cx.name(names[0]), "static-call"
        cx.call_fn_nodes.add(_span(names[0]))
    elif t == "field_expression":
        fld = fn.child_by_field_name("field")
        callee, kind = (cx.name(fld) if fld is not None else "?"), "member"
        recv = jlist(chain_of(cx, fn.child_by_field_name("argument")))
        cx.call_fn_nodes.add(_span(fn))
    elif t in ("qualified_identifier", "template_function"):
        nm = fn.child_by_field_name("name")
        callee, kind = cx.name(nm) if nm is not None else cx.name(fn), "direct"
        cx.call_fn_nodes.add(_span(fn))
    else:
        ch = chain_of(cx, fn)
        callee, kind, recv = _last_field(ch) or "?", "pointer", jlist(ch)
    func = cx.func_at(n.start_byte)
    line, col = cx.pos(fn)
    if args is None:
        cx.f.calls.append((line, col, func, callee, kind, recv, "[]", cx.eline(n),
                           _guard_end(cx, n)))
        return
    named = args.named_children
    kids = [a for a in named if a.type != "comment"]
    text = cx.text
    jargs = jlist([text(a, 160) for a in kids])
    cx.f.calls.append((line, col, func, callee, kind, recv, jargs, cx.eline(n),
                       _guard_end(cx, n)))
    _logcall(cx, kids, callee, func, line, col, jargs)
    if callee in WHOLE_OBJECT_WRITERS and named:
        a0 = named[0]
        target = a0.child_by_field_name("argument") if a0.type == "pointer_expression" else a0
        target = _offset_base(cx, target)
        ch = chain_of(cx, target)
        cx.f.assigns.append((line, col, func, _last_field(ch), jlist(ch), callee,
                             cx.text(n), "whole-object"))
        _lvalue(cx.write_nodes, target)
    elif cx.fills and (positions := cx.fills.get(callee)):
        _filled_pointers(cx, kids, positions, (line, col, func, callee, cx.text(n)))


def _offset_base(cx: _Ctx, node):
    """`base + 1` (`memcpy(base + 1, base, sizeof(*base))`): an object of base's type,
    further on; `base` as the writer's target. Any other node as it is."""
    if node is not None and node.type == "binary_expression":
        op = node.child_by_field_name("operator")
        left = node.child_by_field_name("left")
        if op is not None and cx.name(op) in ("+", "-") and left is not None and left.type in (
                "identifier", "field_expression", "subscript_expression"):
            return left
    return node


def _filled_pointers(cx: _Ctx, kids: list, positions, call: tuple) -> None:
    """A pointer (not `&x`: _pointer records those) handed to a call that overwrites the
    object it points to (the profile's [writes] fills): `SSMR3GetStructEx(pSSM, pGstCtx,
    ...)` writes all of *pGstCtx, as `memset(p, ...)` does; so does one a call returns
    (`kvm_read_guest_cached(.., get_shadow_vmcs12(vcpu), ..)`: chain `r:get_shadow_vmcs12`)."""
    line, col, func, callee, text = call
    for p in positions:
        if not 0 < p <= len(kids):
            continue
        a = kids[p - 1]
        while a.type in ("cast_expression", "parenthesized_expression"):
            a = a.child_by_field_name("value") if a.type == "cast_expression" else (
                a.named_children[0] if a.named_children else None)
            if a is None:
                break
        if a is not None and a.type in ("identifier", "field_expression", "call_expression"):
            ch = chain_of(cx, a)  # (a call: what it returns, `get_shadow_vmcs12(vcpu)`)
            cx.f.assigns.append((line, col, func, _last_field(ch), jlist(ch), callee, text,
                                 "whole-object"))


_GUARD_WRAPPERS = frozenset({"parenthesized_expression", "condition_clause", "unary_expression",
                             "binary_expression", "call_expression", "argument_list"})


def _guard_end(cx: _Ctx, n) -> int | None:
    """When the call is (part of) an `if` condition: last line of the guarded branch (None
    when the test is negated: that branch runs when the flag or request is not pending)."""
    i = bisect.bisect_right(cx.cond_starts, n.start_byte) - 1
    if i < 0 or n.start_byte >= cx.cond_ends[i]:
        return None  # in no `if` condition: no need to walk up the parents
    node, prev, negated = n.parent, n, False
    for _ in range(6):
        if node is None:
            return None
        if node.type == "unary_expression":
            op = node.child_by_field_name("operator")
            negated ^= op is not None and cx.name(op) == "!"
        if node.type == "if_statement":
            if negated:  # `if (!TEST(X)) ...`: the branch runs when X is not pending
                return None
            cond = node.child_by_field_name("condition")
            if cond is not None and cond.start_byte <= prev.start_byte < cond.end_byte:
                cons = node.child_by_field_name("consequence")
                return cx.eline(cons) if cons is not None else None
            return None
        if node.type not in _GUARD_WRAPPERS:
            return None
        prev, node = node, node.parent
    return None


def _string_value(cx: _Ctx, node) -> str | None:
    """Decoded text of a string literal or a concatenation (PRIx64 & co. mapped), else None."""
    t = node.type
    if t == "string_literal":
        parts = []
        for c in node.named_children:
            if c.type in ("string_content", "escape_sequence"):
                parts.append(_unescape(cx.name(c)) if c.type == "escape_sequence" else cx.name(c))
        return "".join(parts)
    if t == "concatenated_string":
        out = []
        for c in node.named_children:
            if c.type == "string_literal":
                out.append(_string_value(cx, c) or "")
            elif c.type == "identifier":
                out.append(PRI_MACROS.get(cx.name(c), ""))
        return "".join(out)
    if t == "parenthesized_expression" and node.named_children:
        inner = node.named_children[0]
        if inner.type == "comma_expression":
            left = inner.child_by_field_name("left")
            return _string_value(cx, left) if left is not None else None
        return _string_value(cx, inner)
    return None


_ESC = {"n": "\n", "t": "\t", "r": "\r", "\\": "\\", '"': '"', "'": "'", "0": "\0", "a": "\a"}


def _unescape(s: str) -> str:
    if len(s) == 2 and s[1] in _ESC:
        return _ESC[s[1]]
    if s.startswith("\\x"):
        try:
            return _char(int(s[2:], 16))
        except ValueError:
            return ""
    if s[1:].isdigit():
        try:
            return _char(int(s[1:], 8))
        except ValueError:
            return ""
    return s[1:]


def _char(v: int) -> str:
    """chr(v); U+FFFD for a surrogate (`"\\xd800"`: a lone surrogate cannot be stored as
    UTF-8, the spool write of the file would fail)."""
    return "\ufffd" if 0xD800 <= v <= 0xDFFF else chr(v)


@lru_cache(maxsize=8192)
def _literal_keys(fmt: str, dialect: str) -> tuple[str, ...]:
    """logfmt.literal_keys, memoised (format strings repeat across a corpus' files)."""
    return tuple(logfmt.literal_keys(fmt, dialect))


_STRINGISH = frozenset({"string_literal", "concatenated_string", "parenthesized_expression"})


def _logcall(cx: _Ctx, kids, callee: str, func: str, line: int, col: int, jargs: str) -> None:
    """A call with a string literal among its first 4 arguments: a log call candidate (a
    row per branch when that argument chooses between two: `f ? "A\n" : "B\n"`)."""
    for i, a in enumerate(kids[:4]):
        both = _branch_strings(cx, a)
        if both is not None:  # `LogRel((f ? "HM: Enabled\n" : "HM: Disabled\n"))`
            for s in both:
                _logcall_row(cx, kids, i, s, callee, func, line, col, jargs)
            return
        if a.type not in _STRINGISH:
            continue  # _string_value would return None
        s = _string_value(cx, a)
        if s is not None and s.strip():
            _logcall_row(cx, kids, i, s, callee, func, line, col, jargs)
            return


_FUNC_NAMES = ("__func__", "__FUNCTION__")  # (the name of the function they are in)


def _logcall_row(cx: _Ctx, kids, i: int, s: str, callee: str, func: str, line: int, col: int,
                 jargs: str) -> None:
    def known(b) -> str | None:  # (a literal's text, or `__func__`'s: the function's name)
        if b.type in _STRINGISH:
            return _string_value(cx, b)
        return func if func and b.type == "identifier" and cx.name(b) in _FUNC_NAMES else None
    lits = [known(b) for b in kids[i + 1:]] if "%" in s else []
    if any(x is not None for x in lits):
        s = logfmt.inline_literals(s, cx.dialect, lits)
    keys = _literal_keys(s, cx.dialect)
    cx.f.logcalls.append((line, col, func, callee, s, i, jargs, " ".join(keys)))


def _branch_strings(cx: _Ctx, node) -> tuple[str, str] | None:
    """The two formats of `cond ? "A" : "B"` (inside parentheses, or the left of a comma
    expression, as _string_value looks), else None."""
    while node is not None and node.type == "parenthesized_expression":
        inner = node.named_children[0] if node.named_children else None
        node = inner.child_by_field_name("left") if inner is not None and \
            inner.type == "comma_expression" else inner
    if node is None or node.type != "conditional_expression":
        return None
    a, b = (node.child_by_field_name(f) for f in ("consequence", "alternative"))
    sa = _string_value(cx, a) if a is not None else None
    sb = _string_value(cx, b) if sa is not None and b is not None else None
    if sa is None or sb is None or not sa.strip() or not sb.strip():
        return None
    return sa, sb


_STRING_LITERAL = re.compile(r'"((?:[^"\\\n]|\\.)*)"')
_LITERALS_ONLY = re.compile(rb'(?:\s|\\\n|"(?:[^"\\\n]|\\.)*")*')


# macros that mark a literal for translation and print it as it is (gettext's no-op
# marker: IPRT's `#define N_(s) (s)`, `VMSetError(pVM, rc, RT_SRC_POS, N_("..."), ...)`)
IDENTITY_STRING_MACROS = frozenset({"N_", "gettext_noop"})


def _translated_formats(cx: _Ctx) -> None:
    """A format handed to a call inside a translation marker (`N_("Configuration error:
    ...%s")`) is that call's: the row indexed for the marker's own call is moved to the
    call whose argument the marker is (its callee, line and arguments), so the call's
    prefixes apply (VMSetError's `VMSetError: `) and its later arguments are the format's."""
    rows = cx.f.logcalls
    if not any(r[3] in IDENTITY_STRING_MACROS for r in rows):
        return
    import json
    outer = []  # (line, col, func, callee, jargs, index of the marker argument, end line)
    for line, col, func, callee, _kind, _recv, jargs, eline, *_rest in cx.f.calls:
        if callee in IDENTITY_STRING_MACROS or not any(m + "(" in jargs for m in
                                                       IDENTITY_STRING_MACROS):
            continue
        args = json.loads(jargs)
        k = next((j for j, a in enumerate(args)
                  if re.match(r"\s*(?:%s)\s*\(" % "|".join(IDENTITY_STRING_MACROS), a)), None)
        if k is not None:
            outer.append((line, col, func, callee, jargs, k, eline))
    for n, (line, col, func, callee, fmt, i, jargs, keys) in enumerate(rows):
        if callee not in IDENTITY_STRING_MACROS:
            continue
        at = [o for o in outer if o[2] == func and (o[0], o[1]) < (line, col)
              and line <= (o[6] or o[0])]  # (the marker inside the call's lines)
        if at:
            o = max(at, key=lambda o: (o[0], o[1]))
            rows[n] = (o[0], o[1], func, o[3], fmt, o[5], o[4], keys)


def _macro_formats(cx: _Ctx) -> None:
    """A format #defined in the file as string literals and handed to a call by its name
    (`#define L1TF_MSG_SMT "L1TF CPU bug present..."`, `pr_warn_once(L1TF_MSG_SMT)`): a
    log call candidate of that text, as if written there. And the log calls in the body of
    a function-like macro of the file, at each use of it there (see _macro_body_formats)."""
    _translated_formats(cx)
    _macro_body_formats(cx)
    names = {s[0] for s in cx.f.syms if s[-1] and s[-1][0] == '"' and s[1] == "macro"}
    _leading_string_macros(cx, names)
    if not names:
        return
    quoted = [f'"{n}"' for n in names]
    done = {(r[0], r[1]) for r in cx.f.logcalls}
    bodies: dict[str, str | None] = {}
    import json
    for line, col, func, callee, _kind, _recv, jargs, *_rest in cx.f.calls:
        if not any(q in jargs for q in quoted) or (line, col) in done:
            continue
        args = [a.strip() for a in json.loads(jargs)[:4]]
        i = next((k for k, a in enumerate(args) if a in names), None)
        if i is None:
            continue
        if args[i] not in bodies:
            bodies[args[i]] = _define_string(cx.src, args[i])
        fmt = bodies[args[i]]
        if fmt and fmt.strip():
            keys = _literal_keys(fmt, cx.dialect)
            cx.f.logcalls.append((line, col, func, callee, fmt, i, jargs, " ".join(keys)))
            done.add((line, col))


_CONT_CALLEES = frozenset({"pr_cont"})
_CONT_LEVEL = ("\x01c", "KERN_CONT")  # (printk(KERN_CONT "...") as the format's start)


def _continues(row: tuple) -> bool:
    """Does this log call go on the current line (pr_cont, printk(KERN_CONT "..."))?"""
    _line, _col, _func, callee, fmt, i, jargs = row[:7]
    if callee in _CONT_CALLEES or fmt.startswith(_CONT_LEVEL):
        return True
    if "KERN_CONT" not in jargs:
        return False
    import json
    args = json.loads(jargs)
    return i < len(args) and args[i].lstrip().startswith("KERN_CONT")


_CONT_MARK = re.compile(r"\A(?:\x01c|KERN_CONT\b ?)")
_LINE_PRINTERS = ("pr_", "printk")  # (kernel calls whose text a pr_cont may go on)


def _continued_lines(cx: _Ctx) -> None:
    """A kernel call whose format does not end its line (`pr_err("SVI|RVI = %02x|%02x ", ..)`)
    and the pr_cont calls after it in the same function (`pr_cont("TPR Threshold = 0x%02x\n",
    ..)`) print one dmesg line: a row of the first call with the formats joined (and the
    arguments of each after its format), one per pr_cont of the run."""
    rows = cx.f.logcalls
    if cx.dialect != "kernel" or not any(_continues(r) for r in rows):
        return
    import json
    acc = None  # (first row, joined format, joined arguments after the formats)
    for line, col, func, callee, fmt, i, jargs, _keys in sorted(rows, key=lambda r: r[:2]):
        if _continues((line, col, func, callee, fmt, i, jargs)):
            if acc is not None and acc[0][2] == func:
                first, joined, args = acc
                joined += _CONT_MARK.sub("", fmt)
                args = args + json.loads(jargs)[i + 1:]
                cx.f.logcalls.append((*first[:4], joined, first[5],
                                      jlist(json.loads(first[6])[:first[5] + 1] + args),
                                      " ".join(_literal_keys(joined, cx.dialect))))
                acc = None if fmt.endswith("\n") else (first, joined, args)
            continue
        if callee.startswith(_LINE_PRINTERS) and func:
            acc = None if fmt.endswith("\n") else (
                (line, col, func, callee, fmt, i, jargs), fmt, json.loads(jargs)[i + 1:])


# string macros a format may start with, defined in headers outside the file, by dialect:
# IPRT's log.h; the kernel's printk.h (`pr_warn(FW_BUG "Cannot support x2AVIC ...")` prints
# `[Firmware Bug]: Cannot support x2AVIC ...`)
STRING_MACROS = {
    "iprt": {"LOG_FN_FMT": "%Rfn"},
    "kernel": {"FW_BUG": "[Firmware Bug]: ", "FW_WARN": "[Firmware Warn]: ",
               "FW_INFO": "[Firmware Info]: ", "HW_ERR": "[Hardware Error]: ",
               "DEPRECATED": "[Deprecated]: "},
}
# a format argument's leading macro names before its first string literal: `(DBGFLOG_NAME
# ": Elf64WriteElfHdr failed. rc=%Rrc\n", rc)`, `LOG_FN_FMT ": pFilter=%#p"`
_LEADING_NAMES = re.compile(r'\A[\s(]*+((?:[A-Za-z_]\w*+\s*+)++)(?=")')  # (possessive:
# no backtracking into the names, a long run of them not followed by a literal fails fast)


def _leading_string_macros(cx: _Ctx, names: set[str]) -> None:
    """A format that starts with string macros (`#define DBGFLOG_NAME "DBGFCoreWrite"` in
    the file, IPRT's LOG_FN_FMT): their text is put before the literal the call was
    indexed with, which left them out (`DBGFCoreWrite: Elf64WriteElfHdr failed...`)."""
    if not cx.f.logcalls:
        return
    import json
    bodies: dict[str, str | None] = {}
    for k, (line, col, func, callee, fmt, i, jargs, keys) in enumerate(cx.f.logcalls):
        if '"' not in jargs:
            continue
        try:
            arg = json.loads(jargs)[i]
        except (ValueError, IndexError, TypeError):
            continue
        m = _LEADING_NAMES.match(arg)
        if m is None:
            continue
        lead = []
        for name in m.group(1).split():
            if name not in bodies:
                bodies[name] = STRING_MACROS.get(cx.dialect, {}).get(name) or (
                    _define_string(cx.src, name) if name in names else None)
            if bodies[name] is None:
                break
            lead.append(bodies[name])
        else:
            fmt = "".join(lead) + fmt
            cx.f.logcalls[k] = (line, col, func, callee, fmt, i, jargs,
                                " ".join(_literal_keys(fmt, cx.dialect)))


# a function-like macro's definition (name, parameters, body with its continued lines)
_FMACRO_AT = re.compile(rb"[ \t]*#[ \t]*define[ \t]+([A-Za-z_]\w*)\(([^()]*)\)((?:[^\n]*\\\n)*[^\n]*)")
# a call in a macro body whose first argument (inside `((`, IPRT's style) starts with a
# string literal or a parameter and goes on as a concatenation: `LogRel(("HM:   " a_StrDesc
# " (must be set)\n"))`, `RTLogRelPrintf(" %32s: %" aFmt "\n", #aMember, ...)` (`\b`
# after a name: a name split in two pieces made the match backtrack exponentially)
_BODY_LOGCALL = re.compile(r'\b([A-Za-z_]\w*)\s*\(\s*\(?\s*((?:"(?:[^"\\\n]|\\.)*"|[A-Za-z_]\w*\b)'
                           r'(?:\s*(?:"(?:[^"\\\n]|\\.)*"|[A-Za-z_]\w*\b))*)\s*([,)])')
_PIECE = re.compile(r'"((?:[^"\\\n]|\\.)*)"|([A-Za-z_]\w*)')


def _macro_body_formats(cx: _Ctx) -> None:
    """The log calls in the body of a function-like macro defined in the file, at each use
    of the macro in the file, with the use's string arguments put in for the parameters
    (`HMVMX_REPORT_FEAT(fAllowed1, fAllowed0, "POSTED_INT", ...)` prints `HM:   POSTED_INT
    (must be cleared)` from the body's `LogRel(("HM:   " a_StrDesc " (must be cleared)\\n"))`;
    `#aMember` after the format is the argument's text). A body that uses another such macro
    of the file (`CAP_SUB(a_szField, a_Value)` -> `CAP_SUB_EX(a_szField, "%d", a_Value)` ->
    `LogRel(("NEM:   %36s: " a_szFmt "\\n", ...))`) is followed into it with its arguments
    put in, MAX_MACRO_NESTING deep."""
    lines = {s[0]: s[2] for s in cx.f.syms if s[1] == "macro" and s[-1] and s[-1][0] == "("
             and ('"' in s[-1] or "#" in s[-1])}  # (function-like, a string or `#p` in the
    uses = [c for c in cx.f.calls if c[3] in lines] if lines else ()  # body: where defined)
    if lines:
        _unused_macro_formats(cx, lines, {c[3] for c in uses})
    if not uses:
        return
    nl = cx.newlines()
    defs: dict[str, tuple | None] = {}

    def definition(name: str) -> tuple | None:  # (params, log calls, uses of file macros)
        if name not in defs:
            m = _FMACRO_AT.match(cx.src, nl[lines[name] - 1] + 1)
            if m is None or m.group(1).decode() != name:
                defs[name] = None
            else:
                body = m.group(3).replace(b"\\\n", b" ").decode("utf-8", "replace")
                inner = [(n.group(1), _macro_call_args(body, n.end()))
                         for n in _NAME_CALL.finditer(body)
                         if n.group(1) in lines and n.group(1) != name]
                skip = {n for n, _a in inner}
                defs[name] = (
                    [p.strip() for p in m.group(2).decode("utf-8", "replace").split(",")],
                    [(lc.group(1), lc.group(2), body[lc.end():].split(")", 1)[0].split(",")
                      if lc.group(3) == "," else [])
                     for lc in _BODY_LOGCALL.finditer(body) if lc.group(1) not in skip],
                    [(n, a) for n, a in inner if a is not None])
        return defs[name]

    def expand(line, col, func, callee, args, jargs, depth) -> None:
        d = definition(callee)
        if d is None:
            return
        params, calls, inner = d
        if len(args) != len(params):
            return
        given = dict(zip(params, args))
        for printer, pieces, rest in calls:
            fmt, literal = _concat(pieces, given, params)
            if not literal or not fmt.strip():
                continue
            lits = [given.get(a.strip()[1:].strip()) if a.strip().startswith("#") else
                    _literals_text(given[a.strip()]) if given.get(a.strip(), "").startswith('"')
                    and given[a.strip()].endswith('"') else None
                    for a in rest]  # (`#aMember`; a parameter given a string literal:
            # `NEM_LOG_REL_CAP_EX("WHvCapabilityCodeProcessorVendor", "%d - Intel", v)`'s
            # `"NEM: %-38s= " a_szFmt "\\n", a_szField` prints the name padded)
            if "%" in fmt and any(x is not None for x in lits):
                fmt = logfmt.inline_literals(fmt, cx.dialect, lits)
            keys = _literal_keys(fmt, cx.dialect)
            cx.f.logcalls.append((line, col, func, printer, fmt, 0, jargs, " ".join(keys)))
        if depth < MAX_MACRO_NESTING:
            for name, inner_args in inner:
                expand(line, col, func, name, [_put_args(a, given).strip() for a in inner_args],
                       jargs, depth + 1)

    import json
    try:
        for line, col, func, callee, _kind, _recv, jargs, *_rest in uses:
            expand(line, col, func, callee, [a.strip() for a in json.loads(jargs)], jargs, 0)
    finally:  # (`expand` calls itself: its cell and it make a cycle that held on to `cx`,
        # the file's facts, until a garbage collection: workers run without one, worker.py)
        del expand


MAX_MACRO_NESTING = 3  # file macros followed into the macros their bodies use
_NAME_CALL = re.compile(r"\b([A-Za-z_]\w*)\s*\(")
_C_LITERAL = re.compile(r'"(?:[^"\\\n]|\\.)*"|\'(?:[^\'\\\n]|\\.)*\'')
_ARG_TOKEN = re.compile(r'"(?:[^"\\\n]|\\.)*"|\'(?:[^\'\\\n]|\\.)*\'|##|#\s*([A-Za-z_]\w*)|([A-Za-z_]\w*)')


def _macro_call_args(body: str, pos: int) -> list[str] | None:
    """The top-level arguments of the call whose `(` ends at `pos` (string and character
    literals kept whole), or None when its `)` is not in the body."""
    depth, cur, out, i = 0, [], [], pos
    while i < len(body):
        ch = body[i]
        if ch in "\"'":
            m = _C_LITERAL.match(body, i)
            if m is None:
                return None
            cur.append(m.group())
            i = m.end()
            continue
        if ch in "([{":
            depth += 1
        elif ch in ")]}":
            if depth == 0:
                out.append("".join(cur))
                return out
            depth -= 1
        elif ch == "," and depth == 0:
            out.append("".join(cur))
            cur = []
            i += 1
            continue
        cur.append(ch)
        i += 1
    return None


def _put_args(text: str, given: dict[str, str]) -> str:
    """A macro body's argument text with the use's arguments put in for the parameters:
    `a_szField` -> `"fExtendedMsrExit"`, `#a_Field` -> `"fExtendedMsrExit"` (its text as a
    string literal); literals are left as they are."""
    def put(m):
        if m.group(1) is not None and m.group(1) in given:
            a = given[m.group(1)].strip()
            return '"' + a.replace("\\", "\\\\").replace('"', '\\"') + '"'
        if m.group(2) is not None and m.group(2) in given:
            return given[m.group(2)]
        return m.group()
    return _ARG_TOKEN.sub(put, text)


def _unused_macro_formats(cx: _Ctx, lines: dict[str, int], used: set[str]) -> None:
    """The log calls in the body of a function-like macro the file defines but does not use
    (IEMAll.cpp's `FNIEMOP_UD_STUB(a_Name)`, used in the instruction tables' files: `Log((
    "Unsupported instruction %Rfn\\n", __FUNCTION__))`), at their lines in the definition,
    the macro as their function: the statement a line of theirs comes from."""
    nl = cx.newlines()
    for name, at in lines.items():
        if name in used:
            continue
        m = _FMACRO_AT.match(cx.src, nl[at - 1] + 1)
        if m is None or m.group(1).decode() != name:
            continue
        params = [p.strip() for p in m.group(2).decode("utf-8", "replace").split(",")]
        raw = m.group(3)
        body = raw.replace(b"\\\n", b"  ").decode("latin-1")  # (offsets kept: bytes)
        for lc in _BODY_LOGCALL.finditer(body):
            fmt, literal = _concat(lc.group(2), {}, params)
            if not literal or not fmt.strip():
                continue
            rest = body[lc.end():].split(")", 1)[0].split(",") if lc.group(3) == "," else []
            fmt = fmt.encode("latin-1").decode("utf-8", "replace")
            off = m.start(3) + lc.start()
            line = bisect.bisect_left(nl, off)
            jargs = jlist([lc.group(2).strip(), *(a.strip() for a in rest if a.strip())])
            cx.f.logcalls.append((line, off - nl[line - 1], name, lc.group(1), fmt, 0,
                                  jargs.encode("latin-1", "replace").decode("utf-8", "replace"),
                                  " ".join(_literal_keys(fmt, cx.dialect))))


def _concat(text: str, given: dict[str, str], params: list[str]) -> tuple[str, bool]:
    """A concatenation of literals and names with the parameters' string arguments put in
    (a name that is no parameter, or whose argument is no literal, prints nothing known);
    and whether it holds a literal."""
    out, literal = [], False
    for m in _PIECE.finditer(text):
        if m.group(1) is not None:
            out.append(logfmt.unescape_c(m.group(1)))
            literal = True
        elif m.group(2) in params and (a := given.get(m.group(2), "")).startswith('"'):
            out.append(_literals_text(a))
    return "".join(out), literal


def _literals_text(text: str) -> str:
    """The string literals of `text` joined, their C escapes decoded."""
    return "".join(logfmt.unescape_c(m.group(1)) for m in _STRING_LITERAL.finditer(text))


def _define_string(src: bytes, name: str) -> str | None:
    """The text of `#define NAME "..." "..."` (string literals only, possibly continued on
    the next lines) in `src`, escapes decoded; None for another body."""
    m = re.search(rb"^[ \t]*#[ \t]*define[ \t]+" + re.escape(name.encode()) +
                  rb"[ \t]+((?:[^\n]*\\\n)*[^\n]*)", src, re.M)
    if m is None or _LITERALS_ONLY.fullmatch(m.group(1).rstrip()) is None:
        return None
    return _literals_text(m.group(1).decode("utf-8", "replace"))


def _assign(cx: _Ctx, n) -> None:
    left = n.child_by_field_name("left")
    right = n.child_by_field_name("right")
    op = n.child_by_field_name("operator")
    if left is None:
        return
    ch = chain_of(cx, left)
    opt = cx.name(op) if op is not None else "="
    line, col = cx.pos(left)
    cx.f.assigns.append((line, col, cx.func_at(n.start_byte), _last_field(ch), jlist(ch), opt,
                         cx.text(right) if right is not None else "",
                         "assign" if opt == "=" else "compound"))
    _lvalue(cx.write_nodes, left)
    if right is not None and right.type == "initializer_list":
        _initializer(cx, right, ch, cx.func_at(n.start_byte), "designated")


def _lvalue(spans: set, node) -> None:
    """Add the span of a written (or address-taken) expression, and of the objects it is a
    member of through `.`: `hv->tsc_ref.tsc_sequence = 0` reads no `tsc_ref` (it writes a
    part of it); through `->` the pointer is read (`a->p->x = 0` reads `a->p`). Parentheses
    around it are no part of it: `&(svm->vcpu)` takes the address of `svm->vcpu`."""
    while node.type == "parenthesized_expression" and node.named_children:
        node = node.named_children[0]
    spans.add(_span(node))
    while node is not None and node.type == "field_expression":
        op = node.child_by_field_name("operator")
        if op is None or op.type != ".":
            break
        node = node.child_by_field_name("argument")
        while node is not None and node.type == "parenthesized_expression" and node.named_children:
            node = node.named_children[0]
        if node is None or node.type not in ("field_expression", "identifier", "subscript_expression"):
            break
        spans.add(_span(node))
        if node.type == "subscript_expression":
            break


def _update(cx: _Ctx, n) -> None:
    arg = n.child_by_field_name("argument")
    op = n.child_by_field_name("operator")
    if arg is None:
        return
    ch = chain_of(cx, arg)
    line, col = cx.pos(arg)
    cx.f.assigns.append((line, col, cx.func_at(n.start_byte), _last_field(ch), jlist(ch),
                         cx.name(op) if op is not None else "++", "", "incdec"))
    _lvalue(cx.write_nodes, arg)


def _pointer(cx: _Ctx, n) -> None:
    op = n.child_by_field_name("operator")
    if op is None or cx.name(op) != "&":
        return
    arg = n.child_by_field_name("argument")
    if arg is None:
        return
    _lvalue(cx.addr_nodes, arg)
    top, parent = n, n.parent  # `(uint64_t volatile *)&x` and `(&x)` are still `&x` passed
    while parent is not None and parent.type in ("cast_expression", "parenthesized_expression"):
        top, parent = parent, parent.parent
    if parent is None or parent.type != "argument_list":
        return
    call = parent.parent
    fn = call.child_by_field_name("function") if call is not None else None
    callee = cx.name(fn) if fn is not None else "?"
    if fn is not None and fn.type == "field_expression":
        fld = fn.child_by_field_name("field")
        callee = cx.name(fld) if fld is not None else callee
    if callee in WHOLE_OBJECT_WRITERS:  # arg 0 is recorded by _call; the others are read
        return
    ch = chain_of(cx, arg)
    line, col = cx.pos(arg)
    idx = [c for c in parent.named_children if c.type != "comment"].index(top) + 1
    cx.f.assigns.append((line, col, cx.func_at(n.start_byte), _last_field(ch), jlist(ch),
                         f"&{idx}", cx.text(call, 200), "out-param"))
    _lvalue(cx.write_nodes, arg)


def _asm_output(cx: _Ctx, n) -> None:
    """An output operand of inline assembly, `: "+m" (st->preempted)`: a write of kind 'asm'
    (op `asm` and the constraint; a `+` one reads the old value too, so its reference stays
    a read), whose value is the input operands' expressions ("" when there are none)."""
    cons = n.parent.child_by_field_name("constraint") if n.parent is not None else None
    ctext = cx.text(cons, 24).strip().strip('"') if cons is not None else ""
    ch = chain_of(cx, n)
    if not ch:
        return
    stmt = n.parent
    while stmt is not None and stmt.type != "gnu_asm_expression":
        stmt = stmt.parent
    inputs = stmt.child_by_field_name("input_operands") if stmt is not None else None
    values = [cx.text(v, 80) for op in (inputs.named_children if inputs is not None else ())
              if (v := op.child_by_field_name("value")) is not None]
    line, col = cx.pos(n)
    # (the value: what the assembly reads, its input operands; the output is made of them)
    cx.f.assigns.append((line, col, cx.func_at(n.start_byte), _last_field(ch), jlist(ch),
                         f"asm {ctext}".strip(), ", ".join(values), "asm"))
    if "+" not in ctext:
        _lvalue(cx.write_nodes, n)


def _return(cx: _Ctx, n) -> None:
    """`return EXPR;` as a write of the function's return value (for provenance); comments
    before the value are skipped (`return /* c */ x;`)."""
    val = next((c for c in n.named_children[:8] if c.type != "comment"), None)
    if val is None:
        return
    func = cx.func_at(n.start_byte)
    line, col = cx.pos(val)
    cx.f.assigns.append((line, col, func, "<return>", jlist([f"r:{func}"]), "return",
                         cx.text(val), "return"))


def _case(cx: _Ctx, n) -> None:
    val = n.child_by_field_name("value")
    line, col = cx.pos(val if val is not None else n)
    cx.f.cases.append((line, col, cx.func_at(n.start_byte),
                       cx.text(val, 120) if val is not None else "default"))


def _field_refs(cx: _Ctx, nodes, special: dict[tuple[int, int], str]) -> None:
    refs, pos, name, func_at = cx.f.refs, cx.pos, cx.name, cx.func_at
    for n in nodes:
        fld = n.child_by_field_name("field")
        if fld is None:
            continue
        line, col = pos(fld)
        ch = chain_of(cx, n.child_by_field_name("argument"))
        sb = n.start_byte
        kind = special.get((sb, n.end_byte)) or ("sizeof" if _in_spans(cx.sizeof_spans, sb)
                                                 else "read")
        refs.append((name(fld), kind, line, col, func_at(sb), jlist(ch)))


def _in_spans(spans: tuple[list[int], list[int]], b: int) -> bool:
    starts, ends = spans
    i = bisect.bisect_right(starts, b) - 1
    return i >= 0 and b < ends[i]


_NONCODE = re.compile(
    rb"/(?:/[^\n]*|\*[^*]*\*+(?:[^/*][^*]*\*+)*/|\*.*\Z)"
    rb"|\"[^\"\\\n]*(?:\\.[^\"\\\n]*)*\"|'[^'\\\n]*(?:\\.[^'\\\n]*)*'"
    rb"|\n[ \t]*\#[^\n\\/]*(?:(?:\\.|/(?![*/])|/\*[^*]*\*+(?:[^/*][^*]*\*+)*/(?![ \t\r\f\v]*(?:\n|\Z)))[^\n\\/]*)*",
    re.S)
_BLANK = bytes(b if b == 10 else 32 for b in range(256))
_NONCODE_SPLIT = re.compile(b"(" + _NONCODE.pattern + b")", re.S)


# _ident_refs' tokens: word runs with the `.`/`>`/`$` before them. A token that is an
# identifier is exactly an identifier not preceded by a word character, `.`, `>` or `$`
# (fields after `.`/`->` are _field_refs' job).
_TOKEN = re.compile(r"([.>$\w]\w*)", re.ASCII)


def code_only(text: bytes) -> bytes:
    """`text` with comments, string/char literals and preprocessor lines blanked (same length)."""
    parts = _NONCODE_SPLIT.split(b"\n" + text)  # code, match, code, ..., code
    parts[1::2] = map(bytes.translate, parts[1::2], repeat(_BLANK))
    return b"".join(parts)[1:]


def _special_kinds(cx: _Ctx) -> dict[tuple[int, int], str]:
    """Span -> ref kind for written / called / address-taken nodes (write > call > addr)."""
    out = dict.fromkeys(cx.addr_nodes, "addr")
    out.update(dict.fromkeys(cx.call_fn_nodes, "call"))
    out.update(dict.fromkeys(cx.write_nodes, "write"))
    return out


def _ident_refs(cx: _Ctx, text: bytes, tids, special: dict[tuple[int, int], str]) -> None:
    """Identifier references by a regex scan of the code (no per-node Python work).

    Field names after `.`/`->` are left to _field_refs; declarations, keywords and type
    names (from the tree) are skipped; the kind comes from the write/call/address sets.
    The scan splits a latin-1 decoding of the code (one character per byte, so offsets are
    byte offsets) into word tokens with their `.`/`>`/`$` prefix; tokens that are
    identifiers without a prefix are the references (ident_tokens, or its C twin).
    Everything per token runs in C (map / compress / zip); only the few special (write,
    call, address) spans loop.
    """
    refs, decl = cx.f.refs, cx.decl_names
    nl, bis, name_of = cx._nl, bisect.bisect_left, cx.name
    types = set()
    for n in tids:
        sb = n.start_byte
        types.add(sb)
        if sb in decl or n.end_byte == sb:  # (a MISSING type name: no reference)
            continue
        line = bis(nl, sb)
        kind = "read" if sb in cx.macro_args else "type"  # DECLARE_WORK(w, fn): fn is a value
        refs.append((name_of(n), kind, line, sb - nl[line - 1], cx.func_at(sb), None))
    scan = _native.ident_tokens if _native is not None else ident_tokens
    names, starts, lines, cols = scan(code_only(text), nl, decl | types, KEYWORDS)
    kinds = ["read"] * len(starts)
    for a, b in zip(*cx.sizeof_spans):  # operands of sizeof: no read of the value
        for i in range(bis(starts, a), bis(starts, b)):
            kinds[i] = "sizeof"
    if special:
        where = dict(zip(starts, range(len(starts))))
        for (s, e), k in special.items():
            i = where.get(s)
            if i is not None and s + len(names[i]) == e:
                kinds[i] = k
    for i in [i for i, nm in enumerate(names) if nm in PRIMITIVE_TYPES]:
        if kinds[i] == "read":
            kinds[i] = "type"  # (`(uint32_t)x`, `size_t n`: no value read)
    refs.extend(zip(names, kinds, lines, cols, _funcs_of(cx, starts), repeat(None)))


def ident_tokens(code: bytes, nl: list[int], skip: set[int], keywords: frozenset[str]
                 ) -> tuple[list[str], list[int], list[int], list[int]]:
    """(names, starts, lines, cols) of the identifier tokens of `code` (comments, literals
    and preprocessor lines blanked) that are no keyword and start at no offset of `skip`;
    `nl` as _Ctx.newlines(). (The C twin, _native.ident_tokens, gives the same lists.)"""
    parts = _TOKEN.split(code.decode("latin-1"))
    toks = parts[1::2]
    starts = list(accumulate(map(len, parts)))[0::2]  # start of parts[2i + 1]
    # not a reference: a keyword, a number or a word after `.`/`->`/`$`; a declaration, a type
    bad = keywords.union([t for t in set(toks) if not t.isidentifier()])
    ok = list(map(not_, map(or_, map(bad.__contains__, toks), map(skip.__contains__, starts))))
    names, starts = list(compress(toks, ok)), list(compress(starts, ok))
    lines = list(map(partial(bisect.bisect_left, nl), starts))
    cols = list(map(sub, starts, map(([0] + nl).__getitem__, lines)))  # nl[line - 1]
    return names, starts, lines, cols


def _funcs_of(cx: _Ctx, starts: list[int]) -> list[str]:
    """Enclosing function name of each (ascending) offset, '' outside functions."""
    fstarts, fends, fnames = cx.fstarts, cx.fends, cx.fnames
    bounds = [b for pair in zip(fstarts, fends) for b in pair]
    if all(map(le, bounds, bounds[1:])):  # disjoint spans: one bisect per offset, in C
        labels = [""] + [x for nm in fnames for x in (nm, "")]
        return list(map(labels.__getitem__, map(partial(bisect.bisect_right, bounds), starts)))
    out, fi, nf = [], 0, len(fstarts)  # overlapping spans (parse errors): first one ending after
    for s in starts:
        while fi < nf and fends[fi] <= s:
            fi += 1
        out.append(fnames[fi] if fi < nf and fstarts[fi] <= s else "")
    return out
