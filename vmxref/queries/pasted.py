"""Names no declaration spells, made by token pasting at a macro's use.

Linux declares its static-call keys with an X-macro: kvm_host.h and x86.c each define
`KVM_X86_OP(func)` (`DECLARE_STATIC_CALL(kvm_x86_##func, ...)`, `DEFINE_STATIC_CALL_NULL(..)`)
and include asm/kvm-x86-ops.h, which lists `KVM_X86_OP(vcpu_load)`. `kvm_x86_vcpu_load` is
written nowhere; `def kvm_x86_vcpu_load` finds it here: the uses of a macro whose argument
is a piece of the name and one of whose definitions pastes that argument into it (through
an alias such as `#define KVM_X86_OP_OPTIONAL KVM_X86_OP`). Each result is the macro's
use, with the definition that makes the name (`via`).
"""
from __future__ import annotations

from vmxref.lazy import re, json

from vmxref.model import Site
from vmxref.queries.base import Scope, sort_sites
from vmxref.queries.macroforms import parts

MAX_USES = 2000  # uses of one piece of the name looked at (a common word is everywhere)
_ID = re.compile(r"[A-Za-z_]\w*")


def pasted_definitions(sc: Scope, name: str) -> list[Site]:
    """Uses of a macro that make `name` by pasting an argument (see module docstring)."""
    out = []
    for piece in _pieces(name):
        for cid, path, bid, line, col, func in sc.rows(
                "ref", "t.name = ? AND t.kind IN ('read', 'type')", (piece,),
                "t.line, t.col, t.func", limit=MAX_USES):  # (an argument, or a misread use)
            for callee, args, ccol in _uses_at(sc, bid, func, line, col):
                if piece not in (a.strip() for a in args):
                    continue
                for mpath, mline, via in _makers(sc, callee, args, name):
                    out.append(sc.site("def", cid, path, bid, line, ccol, func, name,
                                       sym_kind="pasted", macro=callee,
                                       via=f"{via} ({mpath}:{mline})"))
    seen, uniq = set(), []
    for s in sort_sites(out):
        if (s.file, s.line, s.extra["via"]) not in seen:
            seen.add((s.file, s.line, s.extra["via"]))
            uniq.append(s)
    return uniq


_USE = re.compile(r"([A-Za-z_]\w*)\s*\(([^()]*)\)")


def _uses_at(sc: Scope, bid: int, func: str, line: int, col: int):
    """(macro, arguments, column) of the calls on a line; at file scope, read from its text
    when the parser took the use for something else (the first `KVM_X86_PMU_OP(x)` of a
    header is read as a declaration)."""
    rows = [(c, json.loads(a) if a else [], cc) for c, a, cc in sc.conn.execute(
        "SELECT callee, args, col FROM call WHERE blob_id = ? AND func = ? AND line = ? AND "
        "kind IN ('direct', 'macro')", (bid, func, line))]
    if rows or func:
        return rows
    text = sc.store.line_text(bid, line)
    return [(m.group(1), m.group(2).split(","), col) for m in _USE.finditer(text)]


def _pieces(name: str) -> list[str]:
    """The parts of `name` an argument could be, split at its underscores
    (`kvm_x86_vcpu_load`: vcpu_load, x86_vcpu_load, load, kvm_x86_vcpu, ...)."""
    out = []
    for i, ch in enumerate(name):
        if ch == "_" and 0 < i < len(name) - 1:
            out += [name[i + 1:], name[:i], name[i:], name[:i + 1]]
    return [p for p in dict.fromkeys(out) if _ID.fullmatch(p) and p.strip("_")]


def _makers(sc: Scope, macro: str, args: list[str], name: str,
            depth: int = 0) -> list[tuple[str, int, str]]:
    """(file, line, text) of each definition of `macro` whose expansion with `args` makes
    the token `name` by pasting (an object-like alias is followed, and so is a macro its
    body hands the arguments to)."""
    out = []
    for _cid, path, _bid, line, text in sc.rows("sym", "t.name = ? AND t.kind = 'macro'",
                                                (macro,), "t.line, t.text"):
        text = " ".join((text or "").replace("\\\n", " ").replace("\\", " ").split())
        params, body = parts(text)
        if params is None:  # `#define KVM_X86_OP_OPTIONAL KVM_X86_OP`
            if _ID.fullmatch(body) and depth < 3 and body != macro:
                out += [(p, ln, f"{macro} = {v}")
                        for p, ln, v in _makers(sc, body, args, name, depth + 1)]
            continue
        if "##" not in body:  # another macro that may paste, handed the arguments:
            # `#define KVM_X86_OP(func) WARN_ON(!kvm_x86_ops.func); __KVM_X86_OP(func)`
            if depth < 3:
                for m in _USE.finditer(body):
                    inner, inner_args = m.group(1), m.group(2).split(",")
                    if inner == macro or not any(
                            re.search(rf"\b{re.escape(p)}\b", a) for a in inner_args
                            for p in params if p.isidentifier()):
                        continue
                    for p, a in zip(params, args):
                        if p.isidentifier():
                            inner_args = [re.sub(rf"\b{re.escape(p)}\b", a.strip(), x)
                                          for x in inner_args]
                    out += [(mp, ln, f"{macro} -> {v}")
                            for mp, ln, v in _makers(sc, inner, inner_args, name, depth + 1)]
            continue
        shown = f"{macro}({', '.join(params)}) {body[:120]}"
        for p, a in zip(params, args):
            if p.isidentifier():
                body = re.sub(rf"\b{re.escape(p)}\b", a.strip(), body)
        body = re.sub(r"\s*##\s*", "", body)
        if re.search(rf"(?<![\w]){re.escape(name)}(?!\w)", body):
            out.append((path, line, shown))
    return out
