"""Facts written in a function-like macro's body through a parameter (chains based at
`a:N`, the N-th argument; see vmxref.indexer.macros), put in place at each use of the
macro: `TM_SET_STATE(pTimer, TMTIMERSTATE_STOPPED)` writes pTimer->enmState."""
from __future__ import annotations

from vmxref.lazy import re, json

from vmxref.queries.base import Scope, in_chunks
from vmxref.queries.macroforms import parts
from vmxref.queries.types import parse_chain


def at_macro_uses(sc: Scope, rows: list[tuple], only: set | None = None,
                  field: str | None = None) -> list[tuple]:
    """`rows` with each write made in a function-like macro's body (chain `a:N`, through its
    N-th parameter) replaced by a row per use of the macro: the argument's chain put in
    place, the parameters in the value replaced by the arguments (`TM_SET_STATE(pTimer,
    TMTIMERSTATE_STOPPED)` writes pTimer->enmState, with TMTIMERSTATE_STOPPED). With
    `only`, just the uses at those (blob, line, col, function); with `field`, just the
    writes of a member or variable of that name."""
    out = []
    want = _wanted(only)  # (once: a provenance search passed 5,000 places for 2,000 rows)
    for row in rows:
        chain_t = row[7] or ""
        if not chain_t.startswith(('["a:', '["u:')):
            if field is None or row[6] == field:
                out.append(row)
            continue
        macro, chain = row[5], parse_chain(chain_t)
        # the name written at every use, when the argument does not decide it
        fixed = row[6] or (chain[-1] if len(chain) > 1 else
                           chain[0][2:] if chain[0].startswith("u:") else None)
        if field is not None and fixed is not None and fixed != field:
            continue  # (none of its uses writes `field`: not one is looked up)
        named = field if fixed is None else None
        for cid, path, bid, line, col, func, full, args in _macro_uses(sc, macro, chain, only,
                                                                       want, named):
            written = row[6] or (full[-1] if len(full) > 1 else full[0][2:])  # (the argument)
            if field is not None and written != field:
                continue  # (before the value's parameters are replaced: most uses go here)
            value = _with_literals(sc, row[2], macro, row[3], row[9] or "")
            for p, a in zip(_macro_params(sc, macro), args):
                value = re.sub(rf"(?<!#)#\s*{re.escape(p)}\b", lambda _m, a=a: _quoted(a),
                               value)  # (`"CatchUpPrecentage" #iPeriod`: the text of 0)
                value = re.sub(rf"\b{re.escape(p)}\b", lambda _m, a=a: a, value)
            value = _joined_literals(value) if '"' in value else value
            out.append((cid, path, bid, line, col, func, written, json.dumps(full), row[8],
                        value, row[10]))
    return out


_LITERAL = r'"(?:\\.|[^"\\\n])*"'
_LITERAL_TOKENS = _LITERAL + r"|'(?:\\.|[^'\\\n])*'|[^\"']+|[\"']"  # (compiled when used:
# a query that meets no macro loads no regular expressions)


def _with_literals(sc: Scope, bid: int, macro: str, line: int, value: str) -> str:
    """A value written in a macro's body with the string literals the indexer blanked (it
    reads a #define's body without them: `CFGMR3QueryU32(pCfgHandle, #iPeriod, &..)`) put
    back from the definition's text (`"CatchUpPrecentage" #iPeriod`); the value as it is
    when its place there cannot be told."""
    if not value.strip():
        return value
    memo = sc.memo("_macro_literals")
    key = (bid, macro, line, value)
    if key not in memo:
        memo[key] = value
        from vmxref.ctext import NOT_CODE
        row = sc.conn.execute("SELECT line, end_line FROM sym WHERE blob_id = ? AND name = ? "
                              "AND kind = 'macro' AND line <= ? ORDER BY line DESC LIMIT 1",
                              (bid, macro, line)).fetchone()
        if row and row[1]:
            raw = "\n".join(sc.store.lines(bid)[row[0] - 1:row[1]])
            code = NOT_CODE.sub(lambda m: " " * len(m.group()), raw)  # (as the indexer read it)
            pat = r"(?:\s|\\\n)+".join(map(re.escape, value.split()))
            found = list(re.finditer(pat, code))
            if len(found) == 1:
                text = raw[found[0].start():found[0].end()].replace("\\\n", " ")
                lits: list[str] = []  # (the literals kept as written, comments dropped and
                # white space collapsed around them, as the indexer wrote the value)

                def keep(m) -> str:
                    if m.group()[0] == "/":
                        return " "
                    lits.append(m.group())
                    return f"\0{len(lits) - 1}\0"
                text = " ".join(NOT_CODE.sub(keep, text).split())
                memo[key] = re.sub(r"\0(\d+)\0", lambda m: lits[int(m.group(1))], text)
    return memo[key]


def _quoted(arg: str) -> str:
    """`#x` of a macro argument: its text as a string literal."""
    return '"' + arg.strip().replace("\\", "\\\\").replace('"', '\\"') + '"'


def _joined_literals(text: str) -> str:
    """Adjacent string literals written as one (`"CatchUpPrecentage" "0"`)."""
    out: list[str] = []
    pending = ""  # (white space after a literal, kept if no literal follows)
    for t in re.findall(_LITERAL_TOKENS, text):
        if t[0] == '"' and out and out[-1][:1] == '"' and not pending.strip():
            out[-1] = out[-1][:-1] + t[1:]
            pending = ""
        elif not t.strip() and out and out[-1][:1] == '"':
            pending += t
        else:
            out.append(pending + t if pending else t)
            pending = ""
    return "".join(out) + pending


def argument_writes(sc: Scope, name: str, cols: str, member: bool = False) -> list[tuple]:
    """Writes of `name` made by macros that assign their argument itself, at their uses
    (`do_shl32_div32(dividend, divisor)`: the body's `n = __quot` sets dividend), and by
    the profile's [writes] assigns_args and modifies_args (macros defined outside the
    corpus: `get_user(x, ptr)` assigns x, `do_div(n, base)` divides n in place: compound). Only the uses whose arguments name it are expanded (a `swap(a, b)` is used
    all over a kernel); with `member` (a struct member is asked), only those naming it as
    a member (`&p->flags`: on all of Linux the 16k `spin_lock_irqsave(lock, flags)` set a
    local `flags`, none a member)."""
    from vmxref.queries.profiles import profile_section
    section = profile_section(sc, "writes")
    modifies = section.get("modifies_args", {})  # `do_div(n, base)`: n /= base, in place
    table = {**section.get("assigns_args", {}), **modifies}
    external = section.get("external", {})  # `module_param(x, uint, 0644)`: x set from outside
    calls = _calls_naming(sc, name)
    if calls is None:  # a name used all over: every argument-assigning macro's calls, scanned
        by_macro = _argument_rows(sc, cols)
        calls = sc.rows_in("call", "t.callee", sorted({*by_macro, *table, *external}),
                           "t.kind = 'direct' "
                           "AND t.args LIKE ?", (f"%{name}%",),
                           "t.callee, t.line, t.col, t.func, t.args")
        if member:
            as_member = re.compile(rf"(?:->|\.)\s*{re.escape(name)}\b")
            calls = [c for c in calls if as_member.search(c[7] or "")]
    else:  # the argument-assigning rows of the macros called there
        by_macro = {}
        called = sorted({c[3] for c in calls})
        # (looked up in the files defining those macros: the (blob, func) key drives)
        blobs = sorted({r[2] for r in sc.rows_in("sym", "t.name", called, "t.kind = 'macro'",
                                                  (), "1")})
        for chunk, ms in in_chunks(blobs):
            for r in sc.rows_in("assign", "t.func", called, f"t.blob_id IN ({ms}) AND "
                                "+t.field = '' AND t.chain LIKE '[\"a:%'", tuple(chunk), cols):
                by_macro.setdefault(r[5], []).append(r)
    # (a macro of the profile's tables is its row below, also where the corpus defines it:
    # do_div's body on all of Linux would add `n >>= ilog2(__base)` and `n = ... / __base`)
    used = {c[3] for c in calls if c[3] in by_macro and c[3] not in table}
    sites = {(c[2], c[4], c[5], c[6]) for c in calls if c[3] in used}
    out = at_macro_uses(sc, [x for m in sorted(used) for x in by_macro[m]], sites, name)
    for cid, path, bid, callee, line, col, func, args_t in calls:
        if callee not in table and callee not in external:
            continue
        args = json.loads(args_t)
        kind, op = (("compound", callee) if callee in modifies else ("assign", "=")
                    ) if callee in table else ("external", external[callee][1])
        for pos in table[callee] if callee in table else external[callee][:1]:
            chain = (arg_chain(args[pos - 1]) if pos <= len(args) and _may_name(args[pos - 1], name)
                     else None)
            named = chain[:-1] if chain and len(chain) > 1 and chain[-1] == "[]" else chain
            # (an element: `get_debugreg(vcpu->arch.db[0], 0)` sets db's element 0)
            if named and (named[-1] if len(named) > 1 else named[0][2:]) == name:
                out.append((cid, path, bid, line, col, func, name, json.dumps(chain), op,
                            f"{callee}({', '.join(args)})", kind))
    return out


def array_passes(sc: Scope, name: str) -> list[tuple]:
    """An array `name` (a member declared `unsigned long x[N]` or with DECLARE_BITMAP) handed
    bare to a call is its address handed on (`__set_bit(idx, pmu->in_use)`): an out-parameter
    row per such argument, as `&x` would make (the read-only callees are left out when the
    rows are classified). Found from the calls whose arguments name it."""
    out = []
    for cid, path, bid, callee, line, col, func, args_t in _calls_naming(sc, name) or ():
        args = json.loads(args_t or "[]")
        for pos, text in enumerate(args, 1):
            if "&" in text:
                continue  # (`&x`, cast or not, is an out-parameter row of its own)
            chain = arg_chain(text)
            if chain and len(chain) > 1 and chain[-1] == name:
                out.append((cid, path, bid, line, col, func, name, json.dumps(chain), f"&{pos}",
                            f"{callee}({', '.join(args)})", "out-param"))
    return out


def _argument_rows(sc: Scope, cols: str) -> dict[str, list[tuple]]:
    """Every argument-assigning row of the corpus' macros, by macro (memoised)."""
    memo = sc.memo("_argument_writes")
    if "rows" not in memo:
        by_macro: dict[str, list[tuple]] = {}
        for r in sc.rows("assign", "t.field = '' AND t.chain LIKE '[\"a:%'", (), cols):
            by_macro.setdefault(r[5], []).append(r)
        memo["rows"] = by_macro
    return memo["rows"]


MAX_REFS_WALKED = 2000  # a name used more often: its macro calls are found by a scan


def _calls_naming(sc: Scope, name: str) -> list[tuple] | None:
    """(cid, path, blob, callee, line, col, function, args) of the direct calls whose
    arguments name `name`, found from the uses of the name (a few for a member name; None
    for a name used more than MAX_REFS_WALKED times)."""
    memo = sc.memo("_calls_naming")
    if name not in memo:
        refs = sc.rows("ref", "t.name = ? AND t.kind != 'define'", (name,), "t.line, t.func",
                       limit=MAX_REFS_WALKED + 1)
        if len(refs) > MAX_REFS_WALKED:
            memo[name] = None
            return None
        out = set()
        for cid, path, bid, line, func in refs:
            for callee, cline, ccol, args in sc.conn.execute(
                    "SELECT callee, line, col, args FROM call WHERE blob_id = ? AND func = ? AND "
                    "line <= ? AND end_line >= ? AND kind = 'direct'",
                    (bid, func or "", line, line)):
                if name in (args or ""):
                    out.add((cid, path, bid, callee, cline, ccol, func, args))
        memo[name] = sorted(out)
    return memo[name]


def macro_uses(sc: Scope, macro: str, chain: tuple[str, ...], only: set | None = None):
    """(cid, path, blob, line, col, function, chain, arguments) of each use of `macro` whose
    argument `a:N` (the chain's base) is a variable or member path: the chain with it put
    in place (with `only`, the uses at those (blob, line, col, function))."""
    return _macro_uses(sc, macro, chain, only, _wanted(only), None)


def _wanted(only: set | None) -> set | None:
    """The places of a large `only` as (blob, line, col, function or ""): its macros' uses
    are then fetched once and picked from (None: no `only`, or few places, looked up one
    by one)."""
    if only is None or len(only) <= 8:
        return None
    return {(b, ln, c, fn or "") for b, ln, c, fn in only}


def _macro_uses(sc: Scope, macro: str, chain: tuple[str, ...], only: set | None,
                want: set | None, named: str | None):
    """macro_uses; with `named`, only the uses whose argument may designate it (_may_name)."""
    free = chain[0].startswith("u:")  # a variable of the using function (`pVM`)
    idx = -1 if free else int(chain[0][2:])
    if only is None:
        sites = _macro_call_sites(sc, macro)
    elif want is not None:  # (one look-up of the macro's uses, not one statement per place)
        sites = [r for r in _macro_call_sites(sc, macro) if (r[2], r[3], r[4], r[5] or "") in want]
    else:
        sites = [r for b, ln, c, fn in sorted(only) for r in sc.rows(
            "call", "t.blob_id = ? AND t.func = ? AND t.line = ? AND t.col = ? AND t.callee = ? "
            "AND t.kind = 'direct'", (b, fn or "", ln, c, macro), "t.line, t.col, t.func, t.args")]
    for cid, path, bid, line, col, func, args_t in sites:
        args = json.loads(args_t)
        if free:
            base = [f"v:{chain[0][2:]}"] if func else None
        else:
            base = (arg_chain(args[idx]) if idx < len(args) and (
                named is None or _may_name(args[idx], named)) else None)
        if base is not None:
            yield cid, path, bid, line, col, func, [*base, *chain[1:]], args


def _macro_call_sites(sc: Scope, macro: str) -> list[tuple]:
    memo = sc.memo("_macro_call_sites")
    if macro not in memo:
        memo[macro] = sc.rows("call", "t.callee = ? AND t.kind = 'direct'", (macro,),
                              "t.line, t.col, t.func, t.args")
    return memo[macro]


def _macro_params(sc: Scope, macro: str) -> list[str]:
    """Parameter names of a function-like macro (from its definition's text, `(a, b) body`;
    memoised: asked for each of its rows)."""
    memo = sc.memo("_macro_params")
    if macro not in memo:
        memo[macro] = []
        for (text,) in sc.conn.execute("SELECT text FROM sym WHERE name = ? AND kind = 'macro' "
                                       "AND text LIKE '(%' LIMIT 1", (macro,)):
            memo[macro] = parts(text)[0] or []
    return memo[macro]


_ARG = re.compile(r"[A-Za-z_]\w*(?:\s*(?:->|\.)\s*[A-Za-z_]\w*|\s*\[[^\[\]]*\])*")
_ARG_STEP = re.compile(r"[A-Za-z_]\w*|\[[^\[\]]*\]")
_CAST = re.compile(r"\(\s*[A-Za-z_][\w\s]*\**\s*\)\s*(?=[&A-Za-z_(])")
_CALL_RECEIVER = re.compile(r"([A-Za-z_]\w*)\s*\((?:[^()]|\([^()]*\))*\)(?=\s*(?:->|\.|$))")


def _may_name(text: str, name: str) -> bool:
    """Can the chain arg_chain makes of an argument end with, or be, the identifier `name`?
    Not when the text does not hold it (tested before the patterns run: on all of Linux
    their compiling cost a `writes` more than the arguments they were run on)."""
    return name in text or not name.isidentifier()


def arg_chain(text: str) -> list[str] | None:
    """Chain of a macro argument written as a variable or member path (`pTimer`,
    `&pVM->tm.s`, `(PTMTIMER)pv`), or what a call returns (`VMMGetCpu(pVM)`, a member of it:
    `pmc_to_pmu(pmc)->irq_work`, first element `r:FUNC`): None for anything else."""
    t = text.strip()
    for _ in range(4):
        t = _CAST.sub("", t, count=1) if _CAST.match(t) else t
        if t.startswith("&"):
            t = t[1:].strip()
        if t.startswith("(") and t.endswith(")") and _ARG.fullmatch(t[1:-1].strip()):
            t = t[1:-1].strip()
    m = _CALL_RECEIVER.match(t)  # `pmc_to_pmu(pmc)->irq_work`: a member of what it returns
    if m and _ARG.fullmatch("x" + t[m.end():]):
        steps = _ARG_STEP.findall(t[m.end():])
        return [f"r:{m.group(1)}", *("[]" if s.startswith("[") else s for s in steps)]
    if not _ARG.fullmatch(t):
        return None
    steps = _ARG_STEP.findall(t)
    return [f"v:{steps[0]}", *("[]" if s.startswith("[") else s for s in steps[1:])]
