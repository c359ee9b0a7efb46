"""What the extractor reads in #define bodies (the grammar leaves them unparsed text).

A function-like macro's body is scanned as text, with its parameters known: the calls it
makes (KVM_BUG_ON -> kvm_vm_bugged), the members it writes or reads through a parameter
(TM_SET_STATE(pTimer, s) -> pTimer->enmState, chains based at `a:N`, the N-th argument,
put in place by the queries at each use), the members a designated-initializer macro sets
(`I(_f, _e) { .flags = (_f), .u.execute = (_e) }`), and the functions a pasting macro
defines (BUILD_KVM_GPR_ACCESSORS). Every identifier of a body is a reference of kind
'define' whose `func` is the macro.
"""
from __future__ import annotations

import bisect
import re

from vmxref.ctext import KEYWORDS, NOT_CALLS, NOT_CODE, defining_position, enclosing_call, \
    expr_text, jlist
from vmxref.indexer.normalize import arg_spans
from vmxref.schema import SYM_HAS_INSTANCES, SYM_INSTANCE


def definition(cx, nm, kind: str) -> None:
    """A #define: its symbol, and what its body does (see the module docstring)."""
    cx.decl_names.add(nm.start_byte)
    d = nm.parent
    val = d.child_by_field_name("value")
    params = d.child_by_field_name("parameters")
    text = (cx.name(params) if params is not None else "") + " " + (cx.text(val, 400) if val is not None else "")
    line, col = cx.pos(nm)
    name = cx.name(nm)
    cx.f.syms.append((name, kind, line, col, cx.eline(d), "", None, 0, 0, text.strip()))
    own = ([cx.name(p) for p in params.named_children if p.type != "comment"]
           if params is not None else [])
    if val is None:
        return
    # the body without its comments and literals (same offsets: lines kept), read once for
    # the three readers below (the grammar leaves a #define body unparsed text)
    body = NOT_CODE.sub(lambda m: " " * len(m.group()),
                        cx._srcs[val.start_byte:min(val.end_byte, val.start_byte + 8000)])
    read_at: set[int] = set()
    if params is not None:  # a function-like macro: what its body does
        _macro_calls(cx, name, own, val, body)
        read_at = _macro_members(cx, name, own, val, body)
    _define_refs(cx, name, own, val, body, read_at)
    if params is not None:
        _initializer_macro(cx, name, own, val)
        _pasting_macro(cx, name, own, val)
        _name_template(cx, name, own, body)


_BODY_IDENT = re.compile(r"(?<![\w$#])[A-Za-z_]\w*(?![\w$])(?!\s*##)")


def _define_refs(cx, name: str, own: list[str], val, body: str, done: set[int]) -> None:
    """Identifiers used in a #define's body, as references of kind 'define' whose `func` is
    the macro (`refs VMCPU_FF_TIMER` finds the masks made of it; `consumes` reads them).
    Parameters, keywords, pasted (`##`) or stringified (`#x`) tokens and the members
    _macro_members recorded (offsets `done`) are left out."""
    skip = KEYWORDS.union(own, (name, "__VA_ARGS__"))
    nl, bis, at = cx._nl, bisect.bisect_left, val.start_byte
    refs = cx.f.refs
    for m in _BODY_IDENT.finditer(body):
        tok = m.group()
        sb = at + m.start()
        if tok in skip or sb in done or body[max(0, m.start() - 2):m.start()].rstrip().endswith("##"):
            continue
        line = bis(nl, sb)
        refs.append((tok, "define", line, sb - nl[line - 1], name, None))


_PASTED_DEF = re.compile(r"((?:\w*##\s*)+\w*)\s*\(")


def _pasting_macro(cx, name: str, own: list[str], val) -> None:
    """A macro that defines functions with pasted names, `#define BUILD_KVM_GPR_ACCESSORS(lname,
    uname) static ... kvm_##lname##_read(...) {...}`: the name templates, for the functions
    its file-scope uses define (see _generated)."""
    body = cx.text(val, 4000)
    if "##" not in body:
        return
    templates = []
    for m in _PASTED_DEF.finditer(body):
        if not defining_position(body[:m.start()]):
            continue  # a call in the body (`vmcs_write##bits(...)`, `else
            # vmx_clear_msr_bitmap_##rw(...)`), not a definition
        parts = [t.strip() for t in m.group(1).split("##")]
        if any(t in own for t in parts):
            templates.append([(own.index(t), "") if t in own else (-1, t) for t in parts])
    if templates:
        cx.paste_macros[name] = templates


def _name_template(cx, name: str, own: list[str], body: str) -> None:
    """A macro that pastes its one parameter into a name, `#define FNAME(name)
    paging##64_##name` (a header included once per definition, mmu/paging_tmpl.h): its
    (prefix, suffix), for the functions declared with it (see instances)."""
    if len(own) != 1 or "##" not in body:
        return
    parts = [t.strip() for t in body.strip().split("##")]
    if own[0] not in parts or parts.count(own[0]) != 1 or not all(
            re.fullmatch(r"\w+", t) for t in parts):
        return
    i = parts.index(own[0])
    cx.name_templates.setdefault(name, []).append(("".join(parts[:i]), "".join(parts[i + 1:])))


def instances(cx, macro_uses) -> None:
    """The names a template function really has: `static int FNAME(page_fault)(...)` (the
    profile's paste rule leaves the stem `page_fault`) is also `paging64_page_fault`,
    `paging32_page_fault` and `ept_page_fault`, one per definition of FNAME in the file.
    Each is a function sym at the same place flagged SYM_INSTANCE; the stem gets SYM_HAS_INSTANCES."""
    syms = cx.f.syms
    for mname, off in macro_uses:
        templates, i = cx.name_templates.get(mname), cx.fn_sym_at.get(off)
        if not templates or i is None:
            continue
        stem = syms[i]
        names = [f"{pre}{stem[0]}{suf}" for pre, suf in dict.fromkeys(templates)]
        names = [n for n in names if n != stem[0] and n.isidentifier()]
        if not names:
            continue
        syms[i] = (*stem[:8], (stem[8] or 0) | SYM_HAS_INSTANCES, stem[9])
        for n in names:
            syms.append((n, "function", *stem[2:8], (stem[8] or 0) | SYM_INSTANCE, stem[9]))


def generated(cx, src: str, macro_uses) -> None:
    """Functions defined by file-scope uses of pasting macros of this file (`def kvm_rax_read`
    finds `BUILD_KVM_GPR_ACCESSORS(rax, RAX)`)."""
    nl = cx.newlines()
    for mname, off in macro_uses:
        templates = cx.paste_macros.get(mname)
        if not templates or cx.func_at(off):
            continue
        spans = arg_spans(cx.src, off + len(mname))
        if spans is None:
            continue
        opn, close, commas = spans
        args = [src[a + 1:b].strip() for a, b in zip([opn, *commas], [*commas, close])]
        line = bisect.bisect_left(nl, off)
        col = off - nl[line - 1]
        used = f"{mname}({', '.join(args)})"
        for t in templates:
            if all(i < len(args) for i, _lit in t):
                gen = "".join(args[i] if i >= 0 else lit for i, lit in t)
                if gen.isidentifier():
                    cx.f.syms.append((gen, "function", line, col, line, "", None, 0, 0, used))


_DESIGNATOR = re.compile(r"\.\s*([A-Za-z_][\w.\s]*?)\s*=\s*([^,{}]+)")
_TOKEN = re.compile(r"[A-Za-z_]\w*")


def _initializer_macro(cx, name: str, own: list[str], val) -> None:
    """A macro whose body is a designated initializer, `#define I(_f, _e) { .flags = (_f),
    .u.execute = (_e) }`: which member each argument sets, for the initializers written
    with it (`I(SrcNone, em_rdtsc)` in an opcode table sets .u.execute to em_rdtsc)."""
    body = cx.text(val, 1000).strip()
    if not (body.startswith("{") and body.endswith("}")):
        return
    sets = []
    for m in _DESIGNATOR.finditer(body[1:-1]):
        if "##" in m.group(2):
            continue
        used = [t for t in _TOKEN.findall(m.group(2)) if t in own]
        if len(used) == 1:
            sets.append(([f.strip() for f in m.group(1).split(".")], own.index(used[0])))
    if sets:
        cx.init_macros[name] = sets


_BODY_CALL = re.compile(r"\b([A-Za-z_]\w*)\s*\(")


def _macro_calls(cx, name: str, own: list[str], val, body: str) -> None:
    """The calls written in a function-like macro's body (`kvm_vm_bugged(kvm)` in KVM_BUG_ON):
    rows of kind 'macro' whose `func` is the macro, so that a call of the macro is a call of
    them (the body is preprocessor text: tree-sitter does not parse it)."""
    line0 = cx.pos(val)[0]
    seen = set()
    for m in _BODY_CALL.finditer(body):
        callee = m.group(1)
        if callee in own or callee in NOT_CALLS or callee in seen or callee == name:
            continue
        seen.add(callee)
        line = line0 + body.count("\n", 0, m.start())
        cx.f.calls.append((line, 0, name, callee, "macro", None, "[]", line, None))


_ASSIGN_OP = re.compile(r"\s*((?:[-+*/%&|^]|<<|>>)?=)(?!=)|\s*(\+\+|--)")
_MEMBER_STEP = re.compile(r"\s*(?:->|\.)\s*([A-Za-z_]\w*)|\s*\[[^\[\]]*\]")


# In a macro body an address handed to a call is a write only when the callee says so by
# its name (ASMAtomicWriteU32, ASMAtomicOrU64, set_bit, spin_lock_init): a macro is used in
# many places, and `&(kvm)->vcpu_array` handed to an iterator would be a write at each.
_WRITER_NAME = re.compile(r"(?i:write|set|xchg|store|inc|dec|add|sub|clear|zero|init|fill|"
                          r"copy|swap|put|reset)|Or[US]|And[US]")
_ASKER_NAME = re.compile(r"(?:Is|Has|Get|Query)[A-Z]|(?:^|_)(?:is|has|get)_")  # IsInterceptSet


_BODY_WORD = re.compile(r"(?<![\w.>$#])[A-Za-z_]\w*")
_ARROW_NEXT = re.compile(r"\s*->")


def _macro_members(cx, name: str, own: list[str], val, body: str) -> set[int]:
    """Members a function-like macro's body writes or reads through one of its parameters
    (`#define TM_SET_STATE(pTimer, s) ASMAtomicWriteU32(..&(pTimer)->enmState, s)`): assign
    rows, and references of kind 'define', of the macro (`func` = its name) whose chain
    starts at `a:N`, the N-th argument, which `writes` and `reads` put in place at each use
    of the macro. Read from the text, as _macro_calls does: assignments, ++/--,
    `&(param)->member` handed to a call whose name says it writes (_WRITER_NAME), other
    uses are reads. Returns the byte offsets of the members read (see _define_refs)."""
    read_at: set[int] = set()
    if not any(t in body for t in ("->", ".", "=", "++", "--")):
        return read_at
    params = [p for p in own if p.isidentifier()]
    if not params:
        return read_at
    line0, col0 = cx.pos(val)
    nl_, at = cx._nl, val.start_byte
    # a parameter, or a variable of the use site the body names (`pVM->tm.s.x = u64` in
    # TM_CFG_PERIOD, whose pVM is the using function's): chains based at a:N or u:NAME
    pset = frozenset(params)
    for m in _BODY_WORD.finditer(body):  # (one pattern for every macro: no compile per macro)
        tok = m.group()
        if tok in pset:
            base = f"a:{own.index(tok)}"
        elif tok in KEYWORDS or tok == name or not _ARROW_NEXT.match(body, m.end()):
            continue
        else:
            base = f"u:{tok}"
        i, j = m.start(), m.end()
        k = j
        while k < len(body) and body[k] in " \t":
            k += 1
        if k < len(body) and body[k] == ")" and body[:i].rstrip().endswith("("):
            k += 1  # `(pTimer)`
            i = body[:i].rstrip().rfind("(")
        steps, last = [], 0
        while (sm := _MEMBER_STEP.match(body, k)) is not None:
            steps.append(sm.group(1) or "[]")
            last = sm.start(1) if sm.group(1) else last
            k = sm.end()
        if steps and steps[-1] == "[]":
            continue
        chain = [base, *steps]
        before = body[:i].rstrip(" \t(")
        op = _ASSIGN_OP.match(body, k)
        if not steps:  # the argument itself: only assigned or stepped (`n = __quot`), its
            if base[0] == "u" or (op is None and not before.endswith(("++", "--"))):
                continue  # (name known at each use)
            steps = [""]
        if op is not None and op.group(1):
            opt, kind = op.group(1), "assign" if op.group(1) == "=" else "compound"
            value = expr_text(body, op.end())
        elif op is not None or before.endswith(("++", "--")):
            opt, kind, value = (op.group(2) if op is not None else before[-2:]), "incdec", ""
        elif before.endswith("&") and not before.endswith("&&"):
            call = enclosing_call(body, i)
            if call is None:
                continue
            callee, idx, ctext = call
            if _ASKER_NAME.search(callee) and not _last_out_param(callee, idx, ctext):
                continue  # (an iterator, a test, a read: every use of the macro would count)
            if not _WRITER_NAME.search(callee) and not _ASKER_NAME.search(callee):
                continue
            opt, kind, value = f"&{idx}", "out-param", ctext
        elif not before.endswith("&"):  # a read: a reference of the last member
            sb = at + last
            line = bisect.bisect_left(nl_, sb)
            cx.f.refs.append((steps[-1], "define", line, sb - nl_[line - 1], name,
                              jlist(chain[:-1])))
            read_at.add(sb)
            continue
        else:
            continue
        nl = body.rfind("\n", 0, m.start())
        line = line0 + body.count("\n", 0, m.start())
        col = (col0 + m.start()) if nl < 0 else m.start() - nl
        cx.f.assigns.append((line, col, name, steps[-1], jlist(chain), opt,
                             " ".join(value.replace("\\\n", " ").split()), kind))
    return read_at


def _last_out_param(callee: str, idx: int, ctext: str) -> bool:
    """A getter's last argument of several is where it stores what it gets, by the IPRT /
    CFGM / SSM convention: `CFGMR3QueryU32(pCfg, "Name", &x)`, `SSMR3GetU64(pSSM, &u64)`
    (not a `Get`/`Query` given one object: `RTListGetFirst(&list, ...)`, `IsOwner(&cs)`)."""
    if not re.search(r"(?:Get|Query)[A-Z0-9]", callee):
        return False
    depth, commas = 0, 0
    for ch in ctext[len(callee) + 1:]:
        if ch in "([{":
            depth += 1
        elif ch in ")]}":
            depth -= 1
        elif ch == "," and depth == 0:
            commas += 1
    return commas >= 1 and idx == commas + 1
