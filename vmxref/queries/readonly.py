"""Which calls only read through an address they get, and which overwrite the object at
it: `&x` handed to a reader is no write of x (ASMAtomicReadU64, copy_to_user, a corpus
function that never writes through that parameter), and handed to a filler it writes
every member of x (copy_from_user, kvm_read_guest). The profile's [writes] read_only_args
and fills tables name the APIs defined outside the corpus."""
from __future__ import annotations

from vmxref.lazy import re, json

from vmxref.queries.base import IN_SCOPE, Scope, marks, split_args


def const_param(sc: Scope, op: str, value: str) -> bool:
    """An out-parameter row whose callee only reads through that parameter: declared
    `const T *`, listed in the profile's [writes] read_only_args (APIs defined outside the
    corpus), or defined in the corpus without writing through it (_reads_only)."""
    callee = value.split("(", 1)[0].strip()
    if not op[1:].isdigit() or not callee.isidentifier():
        return False
    return _read_only_param(sc, callee, int(op[1:]) - 1, 2)


def _read_only_param(sc: Scope, callee: str, pos: int, depth: int) -> bool:
    """_reads_only, memoised per (callee, parameter, depth): the depth decides how far the
    answer looks, so an answer found on the way (at depth 0: "not known to only read") is
    not the answer to the same question asked first. A question met again while it is
    being decided (functions handing the pointer to each other) is answered False there,
    and the answers that depend on that assumption are not kept, only the outermost one.
    (Before, both were kept: a shell's answers depended on the questions asked before.)"""
    return decided(sc, "_read_only_params", (callee, pos, depth),
                   lambda: _reads_only(sc, callee, pos, depth))


def decided(sc: Scope, name: str, key, compute) -> bool:
    """compute(), memoised per key in the scope's memo `name`. A question met again while
    it is being decided (functions handing a pointer to each other) is answered False
    there, and the answers that depend on that assumption are not kept, only the outermost
    one: an answer never depends on the questions asked before it in the same process."""
    memo = sc.memo(name)
    if key in memo:
        return memo[key]
    busy = sc.memo(name + ":busy")  # the questions being decided
    state = sc.memo(name + ":state")  # "assumed": a busy question was answered False
    if key in busy:
        state["assumed"] = True
        return False
    outer = state.pop("assumed", False)
    busy[key] = True
    try:
        found = compute()
    finally:
        del busy[key]
        assumed = state.pop("assumed", False)
        state["assumed"] = (outer or assumed) and bool(busy)
    if not assumed or not busy:  # (the outermost question: its answer is final)
        memo[key] = found
    return found


def _reads_only(sc: Scope, callee: str, pos: int, depth: int) -> bool:
    if pos + 1 in _read_only_positions(sc, callee):
        return True
    params = sc.rows("sym", f"{IN_SCOPE} AND t.kind = 'param' AND t.pos = ?", (callee, pos),
                     "t.flags, t.name")
    if any((flags or 0) & 2 for _c, _p, _b, flags, _n in params):
        return True
    found = _pointer_param(sc, callee, pos) if depth > 0 else None
    if found is None:  # not defined here (or oddly; ASMAtomicXchgU32's asm writes unseen)
        return False  # an out-parameter as far as we know
    for bid, pname in found.items():  # every definition: no write through it, no hand-over
        for chain, kind, op, value in sc.conn.execute(
                "SELECT chain, kind, op, value FROM assign WHERE blob_id = ? AND func = ? AND "
                "chain LIKE ? AND kind != 'init'", (bid, callee, f'["v:{pname}"%')):
            if kind == "out-param" and const_param(sc, op, value):
                continue  # (`memcmp(&new->msi, ...)` reads it)
            if chain != f'["v:{pname}"]':  # (setting the pointer itself writes nothing)
                return False
    for nxt, _kind, i, a, pname in _calls_passing(sc, found, callee):
        if _hands(a, pname, address=False) and not (
                nxt.isidentifier() and _read_only_param(sc, nxt, i, depth - 1)):
            return False  # handed on to a call that may write through it
    return True


def _pointer_param(sc: Scope, callee: str, pos: int) -> dict[int, str] | None:
    """{blob defining `callee`: the name of its parameter `pos` there} when the corpus
    defines it (each definition may name it differently: a weak default beside the arch's
    own) and no definition holds inline assembly (whose writes through it are unseen);
    None otherwise."""
    defs = set(sc.definitions(callee))
    names: dict[int, set[str]] = {}
    for r in sc.rows("sym", f"{IN_SCOPE} AND t.kind = 'param' AND t.pos = ?", (callee, pos),
                     "t.name"):
        if r[2] in defs and r[3]:
            names.setdefault(r[2], set()).add(r[3])
    if not defs or set(names) != defs or any(len(n) != 1 for n in names.values()) or any(
            _inline_asm(sc, bid, callee) for bid in defs):
        return None
    return {bid: n.pop() for bid, n in names.items()}


def _hands(arg: str, pname: str, address: bool = True) -> bool:
    """Is the argument the pointer `pname` itself (_handed)? (The bare name, as most are,
    without the pattern.)"""
    return arg == pname or _handed(pname, address).fullmatch(arg) is not None


def _handed(pname: str, address: bool = True) -> re.Pattern:
    """An argument that is the pointer `pname` itself (behind casts and parentheses; with
    `address`, also `&pname`)."""
    amp = "&?" if address else ""
    return re.compile(rf"(?:\(\s*[A-Za-z_][\w\s]*\**\s*\)\s*)*{amp}\(?\s*{re.escape(pname)}\s*\)?")


def _past_pointer_member(arg: str, pname: str) -> bool:
    """Does the argument reach through `pname` and then through a pointer member of what it
    points at (`p->pVmcsInfo->au64Msr[i]`, `&p->a.pb->c`)? What it names, or the address it
    makes, is in another object than *pname."""
    return re.match(rf"&?\(?\s*{re.escape(pname)}\s*->\s*\w+(?:\s*\[[^\]]*\])*"
                    rf"(?:\s*\.\s*\w+(?:\s*\[[^\]]*\])*)*\s*->", arg) is not None


_MEMBER_PATH = re.compile(r"\(?\s*(\w+)\s*->\s*(\w+(?:\s*(?:->|\.)\s*\w+)*)\s*\)?")


# comparisons, logic and shifts make an integer, whatever pointer they read (`it.level !=
# fault->goal_level` handed to WARN_ON_ONCE); `?:` may choose a pointer
_SCALAR_OPS = re.compile(r"==|!=|<=|>=|&&|\|\||<<|>>|(?<![-<>])[<>](?![<>=])|^!")


def _scalar_member(sc: Scope, defs: dict[int, str], func: str, pname: str, arg: str,
                   member: str) -> bool:
    """Is the argument the value of a member read through the pointer parameter
    (`data->host_tsc`, `p->a.b`) whose type is neither an array nor a struct (those hand on
    an address into the object, or a copy of a part of it), or the address of such a
    member other than the asked one (`&data->host_tsc` writes no `clock`), or of a struct
    member that cannot hold the asked one? A comparison or a logical expression is an
    integer too."""
    if "?" not in arg and _SCALAR_OPS.search(arg) or re.match(r"(?:sizeof|offsetof)\b", arg):
        return True  # (an integer: `sizeof(to->hv_enlightenments)`)
    if re.fullmatch(r"[A-Za-z_]\w*\s*\(.*\)", arg, re.S) and not arg.startswith(("container_of",
                                                                              "RT_FROM_")):
        return True  # (a call's value: `do_realtime(ts, p)` hands p to do_realtime, listed
        # on its own)
    address = arg.startswith("&")
    m = _MEMBER_PATH.fullmatch(arg[1:].strip() if address else arg)
    if m is None or m.group(1) != pname or (
            address and member in re.split(r"\s*(?:->|\.)\s*", m.group(2))):
        return False
    from vmxref.queries.types import resolver
    tr = resolver(sc)
    for bid in defs:
        t = tr.var_type(bid, func, pname)
        for name in re.split(r"\s*(?:->|\.)\s*", m.group(2)):
            owner = tr.struct_of(t)
            t = tr.field_type(owner, name) if owner else None
            if t is None:
                return False
        if tr.is_array(t):
            return False
        if tr.struct_of(t) is not None and not tr.is_pointer(t) and (
                not address or _may_hold(tr, t, member)):
            return False  # (`&to->hv_enlightenments` handed to memcpy writes no tsc_offset)
    return True


def _may_hold(tr, t: str, member: str, depth: int = 4) -> bool:
    """Can an object of type `t` (a struct) hold a member named `member`, itself or in the
    structs embedded in it?"""
    owner = tr.struct_of(t)
    if owner is None or depth <= 0:
        return True  # (unknown: it may)
    if tr.field_type(owner, member) is not None:
        return True
    for f in tr.field_order(owner):
        ft = tr.field_type(owner, f)
        if ft and not tr.is_pointer(ft) and tr.struct_of(ft) is not None and \
                _may_hold(tr, ft, member, depth - 1):
            return True
    return False


def _calls_passing(sc: Scope, defs: dict[int, str], func: str):
    """(callee, call kind, argument index, argument text, the parameter's name there) of the
    arguments that mention its parameter, in the calls in each definition of `func`."""
    for bid, pname in defs.items():
        for nxt, kind, args in sc.conn.execute(
                "SELECT callee, kind, args FROM call WHERE blob_id = ? AND func = ? AND args "
                "LIKE ?", (bid, func, f"%{pname}%")):
            for i, a in enumerate(json.loads(args)):
                if pname in a:  # (the others hand on no pointer of it: no pattern is run)
                    yield nxt, kind, i, a, pname


def leaves_member(sc: Scope, op: str, value: str, member: str, depth: int = 5) -> bool:
    """For an out-parameter row `f(.., &obj, ..)`: is `f` a function of the corpus that
    writes no `member` through that parameter, nor hands the pointer on to a call that
    might (`hmR0VmxExitXxx(pVCpu, &VmxTransient)` writes other members of it)?"""
    callee = value.split("(", 1)[0].strip()
    if not op[1:].isdigit() or not callee.isidentifier() or depth <= 0:
        return False
    pos = int(op[1:]) - 1
    return decided(sc, "_leaves_member", (callee, pos, member, depth),
                   lambda: _leaves(sc, callee, pos, member, depth))


def writes_inside(sc: Scope, op: str, value: str, member: str, depth: int = 5) -> bool:
    """For an out-parameter row `f(.., &obj, ..)`: does every write `f` can make through that
    parameter happen in functions of the corpus (its own `p->member = ...`, or a function
    it hands the pointer on to, `depth` deep)? Those writes are listed where they are made;
    the call itself is no write. False when the pointer may reach code outside the corpus
    (or inline assembly) that could write it unseen."""
    callee = value.split("(", 1)[0].strip()
    if not op[1:].isdigit() or not callee.isidentifier() or depth <= 0:
        return False
    pos = int(op[1:]) - 1  # (per member: which members a call leaves alone differs)
    return decided(sc, "_writes_inside", (callee, pos, member, depth),
                   lambda: _inside(sc, callee, pos, member, depth))


def _inside(sc: Scope, callee: str, pos: int, member: str, depth: int) -> bool:
    found = _pointer_param(sc, callee, pos)
    if found is None:
        return False
    for nxt, kind, i, a, pname in _calls_passing(sc, found, callee):
        if nxt == callee and i == pos:
            continue  # (itself, the pointer handed back in: no write it does not make here)
        if not re.search(rf"\b{re.escape(pname)}\b", a) or sc.has_sym(nxt, ("macro",)):
            continue  # (AssertPtr(p): a macro's writes through its argument are listed
            # at its uses, see macro_uses)
        if _scalar_member(sc, found, callee, pname, a.strip(), member):
            continue  # (`data->host_tsc`: a member's value, no pointer into the object;
            # `&data->host_tsc`: the address of another scalar member)
        if _past_pointer_member(a.strip(), pname):
            continue  # (`p->pVmcsInfo->au64Msr[i]`: in what a member points at, not in *p)
        if not _hands(a.strip(), pname):
            return False  # a pointer made from it (`(uint8_t *)pvDst + off`)
        if const_param(sc, f"&{i + 1}", f"{nxt}("):
            continue
        if kind != "direct" or not (leaves_member(sc, f"&{i + 1}", f"{nxt}(", member)
                                    or writes_inside(sc, f"&{i + 1}", f"{nxt}(", member,
                                                     depth - 1)):
            return False  # handed to a pointer call, or to code outside the corpus
    return True


def _leaves(sc: Scope, callee: str, pos: int, member: str, depth: int) -> bool:
    found = _pointer_param(sc, callee, pos)
    if found is None:  # not defined here: it may write anything (a macro: its body says)
        return _macro_leaves(sc, callee, pos, member)
    for bid, pname in found.items():
        for chain, kind, op, value in sc.conn.execute(
                "SELECT chain, kind, op, value FROM assign WHERE blob_id = ? AND func = ? AND "
                "chain LIKE ?", (bid, callee, f'["v:{pname}"%')):
            if kind == "out-param" and const_param(sc, op, value):
                continue
            if f'"{member}"' in chain or chain == f'["v:{pname}", "*"]':
                return False  # writes the member (or the whole object) through it
    for nxt, _kind, i, a, pname in _calls_passing(sc, found, callee):
        if nxt == callee and i == pos:
            continue  # (a recursive call with the same pointer: see _inside)
        if _hands(a.strip(), pname) and not leaves_member(
                sc, f"&{i + 1}", f"{nxt}(", member, depth - 1):
            return False  # handed on to a call that may write it
    return True


def _macro_leaves(sc: Scope, macro: str, pos: int, member: str) -> bool:
    """Does every function-like definition of `macro` leave `member` of what its parameter
    `pos` points at alone: no `(p)->...member... =` in its body, and `p` handed to no call
    (HMSVM_SEG_REG_COPY_FROM_VMCB(pCtx, &VmcbNstGst, FS, fs) only reads the VMCB)?"""
    from vmxref.queries.macroforms import parts
    texts = [t for (t,) in sc.conn.execute(
        "SELECT DISTINCT text FROM sym WHERE name = ? AND kind = 'macro' AND text LIKE '(%'",
        (macro,))]
    if not texts:
        return False
    for text in texts:
        params, body = parts(text)
        if params is None or pos >= len(params) or not params[pos].isidentifier():
            return False
        p = re.escape(params[pos])
        body = body.replace("\\", " ")
        if re.search(rf"\b[A-Za-z_]\w*\s*\((?:[^()]|\([^()]*\))*\b{p}\b(?!\s*\)?\s*->)", body):
            return False  # handed to a call (or a macro) as it is
        for m in re.finditer(rf"(?:\(\s*{p}\s*\)|\b{p}\b)\s*->\s*([\w.>\s-]+?)\s*"
                             rf"(?:\[[^\]]*\]\s*)?(?:[-+*/|&^]|<<|>>)?=(?!=)", body):
            if member in re.split(r"\s*(?:->|\.)\s*", m.group(1)):
                return False  # writes it
    return True


_ASM = re.compile(r"\b(?:__asm__|__asm|asm)\b")


def _inline_asm(sc: Scope, bid: int, func: str) -> bool:
    """Does the definition of `func` in that blob hold inline assembly?"""
    lines = sc.store.lines(bid)
    for line, end in sc.conn.execute("SELECT line, end_line FROM sym WHERE blob_id = ? AND "
                                     "name = ? AND kind = 'function'", (bid, func)):
        if any("asm" in t and _ASM.search(t) for t in lines[line - 1:end or line]):
            return True
    return False


def _read_only_positions(sc: Scope, callee: str) -> tuple[int, ...]:
    """The argument positions [writes] read_only_args gives `callee` (glob_entry)."""
    return glob_entry(sc, "read_only_args", callee) or ()


def fill_sql(sc: Scope) -> list[tuple[str, tuple]]:
    """Conditions on assign rows `t` (with their parameters), one per row kind so that each
    statement looks up (field, kind) in the index: a whole-object write, or an out-parameter
    of a call the profile's [writes] fills names (checked in SQL: on all of Linux a member
    type's out-parameters are thousands of rows, and a local named `p` has 19 k writes)."""
    parts = [("t.kind = 'whole-object'", ())]
    names = sorted(_fills_table(sc))
    if names:  # (the callee as the value starts, `memcpy(`: one look-up in the list per row,
        # where a range test per callee cost 30% more on the out-parameters of all Linux)
        parts.append(("t.kind = 'out-param' AND substr(t.value, 1, instr(t.value, '(')) IN "
                      f"({marks(len(names))})", tuple(n + "(" for n in names)))
    return parts


def _fills_table(sc: Scope) -> dict:
    from vmxref.queries.profiles import profile_section
    return profile_section(sc, "writes").get("fills", {})


def fills(sc: Scope, op: str, value: str) -> bool:
    """Does the call of an out-parameter row overwrite the whole object at that argument
    (the profile's [writes] fills: copy_from_user, kvm_read_guest, SSMR3GetMem, ...)?"""
    table = _fills_table(sc)
    callee = value.split("(", 1)[0].strip()
    return op[1:].isdigit() and int(op[1:]) in table.get(callee, ())


def glob_table(sc: Scope, name: str):
    """(exact names, [(regex, value)]) of a [writes] table whose keys may hold `*`."""
    memo = sc.memo("_glob_tables")
    if name not in memo:
        from vmxref.queries.profiles import profile_section
        table = profile_section(sc, "writes").get(name, {})
        exact = {k: tuple(v) for k, v in table.items() if "*" not in k}
        globs = [(tuple(k.split("*")), tuple(v)) for k, v in sorted(table.items()) if "*" in k]
        memo[name] = (exact, globs)
    return memo[name]


def _glob_match(parts: tuple[str, ...], name: str) -> bool:
    """Does `name` match the glob whose `*`-separated parts these are? (No regex: a
    process's first `writes` compiled the profile's 17 globs, ~3 ms.)"""
    first, *middle, last = parts
    if len(name) < len(first) + len(last) or not name.startswith(first) \
            or not name.endswith(last):
        return False
    at, end = len(first), len(name) - len(last)
    for part in middle:
        at = name.find(part, at, end)
        if at < 0:
            return False
        at += len(part)
    return True


def glob_entry(sc: Scope, name: str, callee: str) -> tuple | None:
    """The value the [writes] table `name` gives `callee`: its own entry, else that of the
    first glob (`atomic*_read`, `ASMAtomicRead*`) that matches it; None when none does."""
    exact, globs = glob_table(sc, name)
    if callee in exact:
        return exact[callee]
    return next((v for parts, v in globs if _glob_match(parts, callee)), None)


def stored_value(sc: Scope, op: str, value: str) -> str | None:
    """For an out-parameter row of a call that stores one of its arguments at the address
    it gets (the profile's [writes] stores: `ASMAtomicWriteU64(&x, off)` stores `off`),
    the text of that argument; else None."""
    callee, _, rest = value.partition("(")
    callee = callee.strip()
    if not op[1:].isdigit() or not callee.isidentifier():
        return None
    spec = glob_entry(sc, "stores", callee)
    if not spec or spec[0] != int(op[1:]):
        return None
    args = split_args(rest)
    return args[spec[1] - 1].strip() if len(args) >= spec[1] else None


def modified_addresses(sc: Scope, name: str, refs: list[tuple[int, str, int]]) -> set[tuple]:
    """Of (blob, function, line) places where the address of `name` is passed to a call,
    those where a call of the profile's [writes] read_modify_write table gets it there: the
    call reads the old value as it changes it (`__test_and_set_bit(bit, &pmu->global_status)`
    returns the old bit)."""
    exact, globs = glob_table(sc, "read_modify_write")
    if not exact and not globs:
        return set()
    out = set()
    for bid, func, line in set(refs):
        for op, value in sc.conn.execute(
                "SELECT op, value FROM assign WHERE blob_id = ? AND func = ? AND line = ? "
                "AND field = ? AND kind = 'out-param'", (bid, func or "", line, name)):
            pos = glob_entry(sc, "read_modify_write", value.split("(", 1)[0].strip()) or ()
            if op[1:].isdigit() and int(op[1:]) in pos:
                out.add((bid, func, line))
    return out


def reads_old(sc: Scope, op: str, value: str) -> bool:
    """Does the out-parameter row `f(.., &x, ..)` hand x to a call of the profile's [writes]
    read_modify_write table at that position (one that reads the old value as it changes
    it: `reads` lists it)?"""
    pos = glob_entry(sc, "read_modify_write", value.split("(", 1)[0].strip()) or ()
    return op[1:].isdigit() and int(op[1:]) in pos


def modify_kind(sc: Scope, op: str, value: str) -> str | None:
    """For an out-parameter row `f(.., &x, ..)` whose call is in the profile's [writes]
    read_modify_write table at that position: the write kind it is, "incdec" for an
    increment or decrement (`ASMAtomicDecU32(&x)`, `atomic_inc_return(&x)`), else
    "compound" (an add, an exchange, a bit test-and-set); "compound" too for an address an
    or_stores, bit_sets, and_stores or bit_clears call changes in place (`ASMAtomicOrU64(&x,
    f)` is `x |= f`, `ASMAtomicBitClear(&x, n)` is `x &= ~bit n`); None otherwise."""
    callee = value.split("(", 1)[0].strip()
    if not op[1:].isdigit():
        return None
    if reads_old(sc, op, value):
        return "incdec" if re.search(r"Inc|Dec|_inc|_dec", callee) else "compound"
    for table in _IN_PLACE:  # (ORed, ANDed, a bit set or cleared: `|=` / `&= ~` in place)
        spec = glob_entry(sc, table, callee)
        if spec and spec[0] == int(op[1:]):
            return "compound"
    return None


# [writes] tables of calls that change the object at an address in place, [address, value]
_IN_PLACE = ("or_stores", "bit_sets", "and_stores", "bit_clears")


_LINES_ONE_BY_ONE = 200  # more lines than this: the name's out-parameter rows read at once


def read_only_addresses(sc: Scope, name: str, refs: list[tuple]) -> set[tuple]:
    """Of the places where the address of `name` (a variable or the last member of a chain)
    is passed to a call (its refs of kind 'write' from `&x` arguments: (blob, function,
    line) or (blob, function, line, col)), those whose call only reads through it:
    `atomic_read(&kvm->online_vcpus)` reads online_vcpus, it is no out-parameter write. With
    columns, the refs of a line pair with its out-parameter rows in column order, so
    `copy_to_user_nofault(&st->preempted, &preempted, ...)` reads its second argument and
    writes its first; without, a line counts when every call on it only reads."""
    out = set()
    by_line: dict[tuple, list] = {}
    for r in set(refs):
        by_line.setdefault(tuple(r[:3]), []).append(r)
    at_once = None
    if len(by_line) > _LINES_ONE_BY_ONE:  # (`refs flags` on all of Linux: 32k lines)
        at_once = {}
        for bid, func, line, op, value in sc.conn.execute(
                "SELECT blob_id, func, line, op, value FROM assign WHERE field = ? AND "
                "kind = 'out-param' ORDER BY blob_id, func, line, col", (name,)):
            at_once.setdefault((bid, func, line), []).append((op, value))
    for (bid, func, line), here in by_line.items():
        if at_once is not None:
            rows = at_once.get((bid, func or "", line), [])
        else:
            rows = sc.conn.execute(
                "SELECT op, value FROM assign WHERE blob_id = ? AND func = ? AND line = ? "
                "AND field = ? AND kind = 'out-param' ORDER BY col", (bid, func or "", line,
                                                                     name)).fetchall()
        reads = [const_param(sc, op, value) for op, value in rows]
        if rows and all(reads):
            out.update(here)
        elif any(reads) and all(len(r) > 3 for r in here) and len(here) == len(rows):
            out.update(r for r, ro in zip(sorted(here, key=lambda r: r[3]), reads) if ro)
    return out
