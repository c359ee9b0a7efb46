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

from vmxref.ctext import defining_position
from vmxref.model import Site
from vmxref.queries.base import Scope, sort_sites
from vmxref.queries.macroforms import object_bodies, parts

MAX_USES = 2000  # uses of one piece of the name looked at (a common word is everywhere)
_ID = re.compile(r"[A-Za-z_]\w*")


def pasted_definitions(sc: Scope, name: str) -> list[Site]:
    """Uses of a macro that make `name` by pasting an argument (see module docstring), or
    the definition in a header included once per value of the macros its name pastes."""
    out = _by_pieces(sc, name)
    if not out:  # (no argument spells a piece: a macro handing literals to the one that
        # pastes, `BUILD_HELPERS(bool, test)` -> `__BUILD_HELPER(bool, test, read)`)
        out = _by_templates(sc, name)
    if not out and sc.rows("ref", "t.name = ?", (name,), "1", limit=1):  # (a name the code
        # uses: not a mistyped one, for which no pass over the function names is made)
        out = _header_instances(sc, name)
    seen, uniq = set(), []
    for s in sort_sites(out):
        if (s.file, s.line, s.extra["via"]) not in seen:
            seen.add((s.file, s.line, s.extra["via"]))
            uniq.append(s)
    return uniq


def _by_pieces(sc: Scope, name: str) -> list[Site]:
    """The uses whose arguments spell a piece of `name`, of macros that paste it."""
    out = []
    for piece in _pieces(name):
        for cid, path, bid, line, col, func in sc.rows(
                "ref", "t.name = ? AND t.kind IN ('read', 'type')", (piece,),
                "t.line, t.col, t.func", limit=MAX_USES):  # (an argument, or a misread use)
            for callee, args, ccol in _uses_at(sc, bid, func, line, col):
                if piece in (a.strip() for a in args):
                    out += _made_at(sc, (cid, path, bid, line, ccol, func), callee, args, name)
    return out


def _made_at(sc: Scope, at: tuple, callee: str, args: list[str], name: str) -> list[Site]:
    """The `pasted` rows of one macro use (`at`: cid, path, blob, line, col, function) that
    makes `name`, one per definition that pastes it (_makers)."""
    cid, path, bid, line, col, func = at
    return [sc.site("def", cid, path, bid, line, col, func, name, sym_kind="pasted",
                    macro=callee, via=f"{via} ({mpath}:{mline})")
            for mpath, mline, via in _makers(sc, callee, args, name)]


def _header_instances(sc: Scope, name: str) -> list[Site]:
    """A function of a template header included several times, each time after `#define`s
    of the macros its name pastes: IEMAllCImplStrInstr.cpp.h defines
    `RT_CONCAT4(iemCImpl_rep_movs_op,OP_SIZE,_addr,ADDR_SIZE)`, indexed as
    `iemCImpl_rep_movs_opOP_SIZE_addrADDR_SIZE`; `iemCImpl_rep_movs_op8_addr32` is that
    definition with OP_SIZE 8 and ADDR_SIZE 32, values those macros are #defined to."""
    out = []
    for template, pattern, macros in _instance_patterns(sc):
        m = pattern.fullmatch(name)
        if m is None:
            continue
        values = ", ".join(f"{mac} = {v}" for mac, v in zip(macros, m.groups()))
        for cid, path, bid, line, col in sc.rows("sym", "t.name = ? AND t.kind = 'function'",
                                                 (template,), "t.line, t.col"):
            out.append(sc.site("def", cid, path, bid, line, col, name, name,
                               sym_kind="function", template=template,
                               via=f"{template} with {values}"))
    return out


def instance_template(sc: Scope, name: str) -> str | None:
    """The template function whose header instance `name` is (_header_instances), for a
    name the code uses as a value and that no symbol of any kind has (the pass over the
    function names is made for such names only); else None (memoised)."""
    memo = sc.memo("instance_template")
    if name not in memo:
        memo[name] = None
        if not sc.rows("sym", "t.name = ?", (name,), "1", limit=1) and \
                sc.rows("ref", "t.name = ? AND t.kind IN ('read', 'addr')", (name,), "1", limit=1):
            for template, pattern, _macros in _instance_patterns(sc):
                if pattern.fullmatch(name):
                    memo[name] = template
                    break
    return memo[name]


def _instance_patterns(sc: Scope) -> list[tuple[str, object, list[str]]]:
    """(template name, pattern of its instances' names, the macros it pastes) of every
    function whose name holds object-like macro names written in capitals (OP_SIZE,
    ADDR_SIZE, OP_rAX), each matched by the values its #defines give (memoised: one pass over
    the function names, made only for a name no declaration spells)."""
    memo = sc.memo("_instance_patterns")
    if "p" in memo:
        return memo["p"]
    out = []
    names = {r[3] for r in sc.rows("sym", "t.kind = 'function' AND t.name GLOB "
                                   "'*[A-Z][A-Z0-9]_[A-Za-z]*'", (), "t.name")}
    for fname in sorted(names):
        # (the macros among the pieces that start with a capital and hold an underscore)
        pieces = sorted({fname[i:j] for i in range(len(fname)) if fname[i].isupper()
                         for j in range(i + 3, len(fname) + 1) if "_" in fname[i:j]})
        macro_names = {n for chunk in range(0, len(pieces), 500) for (n,) in sc.conn.execute(
            f"SELECT DISTINCT name FROM sym WHERE kind = 'macro' AND name IN "
            f"({','.join('?' * len(pieces[chunk:chunk + 500]))})", pieces[chunk:chunk + 500])}
        parts, macros = [], []
        pos = i = 0
        while i < len(fname):
            # (the longest macro name starting here: OP_SIZE in `opOP_SIZE_addr`)
            j = next((j for j in range(len(fname), i + 2, -1)
                      if fname[i].isupper() and fname[i:j] in macro_names), 0)
            values = _simple_values(sc, fname[i:j]) if j else set()
            if not values:
                i += 1
                continue
            parts.append(re.escape(fname[pos:i]))
            parts.append("(" + "|".join(re.escape(v) for v in sorted(values, key=len,
                                                                       reverse=True)) + ")")
            macros.append(fname[i:j])
            pos = i = j
        if macros:
            parts.append(re.escape(fname[pos:]))
            out.append((fname, re.compile("".join(parts)), macros))
    memo["p"] = out
    return out


def _simple_values(sc: Scope, macro: str) -> set[str]:
    """The values an object-like macro is #defined to when each is one word (`8`, `al`)."""
    return {b.strip() for b in object_bodies(sc, macro) if re.fullmatch(r"\w+", b.strip())}


_PASTED_TOKEN = re.compile(r"\w+(?:\s*##\s*\w+)+")


def _templates(sc: Scope) -> list[tuple[str, object]]:
    """(macro, pattern) of every pasted token of every function-like macro of the scope
    (`vmx_##action##_msr_bitmap_##access` -> `vmx_(\\w*)_msr_bitmap_(\\w*)`), memoised."""
    memo = sc.memo("_paste_templates")
    if "all" not in memo:
        got = []
        for _cid, _path, _bid, macro, text in sc.rows(
                "sym", "t.kind = 'macro' AND t.text LIKE '%##%'", (), "t.name, t.text"):
            text = " ".join((text or "").replace("\\\n", " ").replace("\\", " ").split())
            params, body = parts(text)
            if not params:
                continue
            for m in _PASTED_TOKEN.finditer(body):
                pieces = [t.strip() for t in m.group().split("##")]
                if not any(t in params for t in pieces) or all(t in params for t in pieces):
                    continue  # (a token of parameters only makes any name: _by_pieces')
                if not _defines(body, m.start(), m.end()):
                    continue  # (a call the body makes, `vmx_test_##rw(bitmap, msr)`)
                rx = "".join(r"(\w*)" if t in params else re.escape(t) for t in pieces)
                got.append((macro, re.compile(rx)))
        memo["all"] = list(dict.fromkeys(got))
    return memo["all"]


def _defines(body: str, start: int, end: int) -> bool:
    """Is the pasted token body[start:end] the name of a function the body defines: a
    parameter list after it, a type before it (`static inline rtype vmx_##a##_x(`), not a
    keyword or an operator (`else vmx_clear_##rw(..)`, `= x##_read(..)`)?"""
    return body[end:].lstrip().startswith("(") and defining_position(body[:start])


def _handing(sc: Scope, macro: str, depth: int = 3) -> list[str]:
    """`macro` and the function-like macros whose bodies use it (and theirs, `depth`
    levels): the macros a use of which may expand to `macro`. (The macros whose bodies
    name it are its `define` references, whose function is the macro: a look-up by name,
    where a LIKE over every macro's text scanned sym, seconds per macro on all of Linux,
    16 s for a `def` of a mistyped name.)"""
    out, frontier = [macro], [macro]
    for _ in range(depth):
        nxt = []
        for m in frontier:
            for (outer,) in sc.conn.execute(
                    "SELECT DISTINCT func FROM ref WHERE name = ? AND kind = 'define'", (m,)):
                if outer and outer not in out and any(
                        re.search(rf"(?<!\w){re.escape(m)}\s*\(", body)
                        for _p, body in (parts(t) for (t,) in sc.conn.execute(
                            "SELECT text FROM sym WHERE name = ? AND kind = 'macro'",
                            (outer,)))):
                    out.append(outer)
                    nxt.append(outer)
        frontier = nxt
    return out


def _by_templates(sc: Scope, name: str) -> list[Site]:
    """The uses of macros that expand, maybe through other macros, to one whose pasted
    token makes `name` with the arguments the use gives (checked by _makers)."""
    out = []
    makers = dict.fromkeys(m for m, rx in _templates(sc) if rx.fullmatch(name))
    entries = dict.fromkeys(e for m in makers for e in _handing(sc, m))
    for macro in entries:
        for cid, path, bid, line, col, func in sc.rows(
                "ref", "t.name = ? AND t.kind IN ('macro', 'call', 'read', 'type')", (macro,),
                "t.line, t.col, t.func", limit=MAX_USES):
            for callee, args, ccol in _uses_at(sc, bid, func, line, col):
                if callee == macro:
                    out += _made_at(sc, (cid, path, bid, line, ccol, func), callee, args, name)
    return out


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
