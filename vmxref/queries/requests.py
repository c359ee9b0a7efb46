"""Requests and flags: `calls F arg N = C`, `raises C`, `consumes C`, and deferred edges.

The corpus profile's [requests] table names setter, tester and clearer functions or macros
with the argument index of the request (0-based):

    setters = { kvm_make_request = 0, __kvm_make_request = 0, VMCPU_FF_SET = 1 }
    testers = { kvm_check_request = 0, kvm_test_request = 0, VMCPU_FF_IS_SET = 1 }
    clearers = { kvm_clear_request = 0, VMCPU_FF_CLEAR = 1 }

Wrappers are found from the code: a function that passes one of its parameters as the request
argument of a setter is a setter too (`kvm_make_all_cpus_request(kvm, req)`), at any depth;
so are function-like macros whose body does the same.
"""
from __future__ import annotations

from vmxref.lazy import re, json

from vmxref.errors import UnknownSymbol
from vmxref.model import Site
from vmxref.queries import callsite, orapis, requests_meta
from vmxref.queries.requests_meta import meta_key as _meta_key, section as _section
from vmxref.queries.textcalls import call_args
from vmxref.queries.flagmasks import (alternatives, complement_masks, holds, numeric,
                                      parameter_tests)
from vmxref.queries.flagmasks import one_bit as _one_bit
from vmxref.queries.base import Scope, closing, marks, split_args
from vmxref.queries.macroforms import parts

# (vmxref.queries.edges is imported where it is used: an unchanged re-index only asks
# is_stored(), and the call-graph modules cost more than the rest of that run)

_TOKEN = re.compile(r"[A-Za-z_]\w*")
MAX_WRAPPER_DEPTH = 6


class RequestApi:
    """Setter/tester/clearer names -> request argument index, wrappers included."""

    def __init__(self, setters: dict[str, int], testers: dict[str, int],
                 clearers: dict[str, int], wrapped_by: dict[str, str]) -> None:
        self.setters, self.testers, self.clearers = setters, testers, clearers
        self.wrapped_by = wrapped_by  # wrapper -> the setter it forwards to


def request_api(sc: Scope) -> RequestApi:
    """The request API of the scope's corpora, with wrappers discovered (memoised per scope).

    The wrappers are discovered once per corpus version at index time (`precompute`: the
    macro part reads every macro definition) and read back from the index; a corpus indexed
    before that, or whose profile's [requests] changed since, is discovered here.
    """
    cached = getattr(sc, "_request_api", None)
    if cached is not None:
        return cached
    api = _stored_api(sc)
    if api is None:
        from vmxref.queries.profiles import profile_section
        api = _discover(sc, profile_section(sc, "requests"))
    sc._request_api = api  # type: ignore[attr-defined]
    return api


def _discover(sc: Scope, prof: dict) -> RequestApi:
    api = RequestApi({k: int(v) for k, v in prof.get("setters", {}).items()},
                     {k: int(v) for k, v in prof.get("testers", {}).items()},
                     {k: int(v) for k, v in prof.get("clearers", {}).items()}, {})
    for table in (api.setters, api.testers):
        _add_wrappers(sc, table, api.wrapped_by if table is api.setters else {})
    return api




def precompute(store, cid: int) -> None:
    """Discover the request wrappers of one corpus version and keep them in the index
    (called by the indexer before it commits)."""
    from vmxref.queries.profiles import profile_of
    row = next((c for c in store.corpora() if c["id"] == cid), None)
    prof = profile_of(row, store) if row is not None else None
    section = _section(prof)
    api = _discover(Scope(store, [cid]), section)
    store.set_meta(_meta_key(cid), json.dumps(
        {"profile": section, "setters": api.setters, "testers": api.testers,
         "clearers": api.clearers, "wrapped_by": api.wrapped_by}, sort_keys=True))




def is_stored(store, cid: int, prof=None) -> bool:
    """Does the index hold the request API of this corpus version, computed from the
    [requests] table its profile (`prof` when given, else the one it was indexed with) has
    now?"""
    if prof is None:
        return _stored_api(Scope(store, [cid])) is not None
    return requests_meta.is_current(store, cid, prof)


def _stored_api(sc: Scope) -> RequestApi | None:
    """The merged stored APIs of the scope's corpora; None unless every one is stored and
    was computed from the [requests] table its profile has now."""
    from vmxref.queries.profiles import profile_of
    api = RequestApi({}, {}, {}, {})
    rows = {c["id"]: c for c in sc.store.corpora()}
    for cid in sc.corpus_ids:
        r = sc.conn.execute("SELECT value FROM meta WHERE key = ?", (_meta_key(cid),)).fetchone()
        prof = profile_of(rows[cid], sc.store) if cid in rows else None
        if r is None or prof is None:
            return None
        d = json.loads(r[0])
        if d.get("profile") != _section(prof):
            return None
        api.setters.update(d["setters"])
        api.testers.update(d["testers"])
        api.clearers.update(d["clearers"])
        api.wrapped_by.update(d["wrapped_by"])
    return api


def _add_wrappers(sc: Scope, table: dict[str, int], wrapped_by: dict[str, str]) -> None:
    from vmxref.queries.edges import graph
    g = graph(sc)
    frontier = list(table)
    for _ in range(MAX_WRAPPER_DEPTH):
        nxt = []
        for setter in frontier:
            idx = table[setter]
            for _cid, _p, _b, func, args in sc.rows("call", "t.callee = ?", (setter,), "t.func, t.args"):
                if not func or func in table:
                    continue
                a = json.loads(args)
                if idx >= len(a):
                    continue
                params = g.params(func)
                if a[idx] in params:
                    table[func] = params.index(a[idx])
                    wrapped_by[func] = setter
                    nxt.append(func)
        for name, pidx, setter in _macro_wrappers(sc, {f: table[f] for f in frontier}):
            if name not in table:
                table[name] = pidx
                wrapped_by[name] = setter
                nxt.append(name)
        frontier = nxt
        if not frontier:
            break


def _macro_wrappers(sc: Scope, setters: dict[str, int]) -> list[tuple[str, int, str]]:
    """(macro, parameter index, setter) for function-like macros whose body calls one of
    `setters` with one of their parameters as the request argument (one pass over the
    macro definitions for all of them)."""
    if not setters:
        return []
    out = []
    names = sorted(setters)
    call_re = re.compile(r"\b(" + "|".join(re.escape(n) for n in names) + r")\s*\(")
    for i in range(0, len(names), 200):
        chunk = names[i:i + 200]
        # the macros whose body calls one (the indexer's rows of kind 'macro': look-ups by
        # callee and by name, not a scan of every macro's text)
        called_by = {(b, func) for _c, _p, b, func in sc.rows_in(
            "call", "t.callee", chunk, "t.kind = 'macro'", (), "t.func")}
        defs = [r for r in sc.rows_in("sym", "t.name", sorted({f for _b, f in called_by}),
                                      "t.kind = 'macro'", (), "t.name, t.text, t.rowid")
                if (r[2], r[3]) in called_by]
        for _c, _p, _b, name, text, _r in sorted(defs, key=lambda r: (r[5], r[0], r[1])):
            params, body = parts(text)
            if params is None:
                continue
            for m in call_re.finditer(body):
                idx = setters[m.group(1)]
                args = split_args(body[m.end():])
                if idx < len(args):
                    tok = args[idx].strip().strip("()")
                    if tok in params:
                        out.append((name, params.index(tok), m.group(1)))
    return out


def _has_token(arg: str, const: str) -> bool:
    return const in _TOKEN.findall(arg)


_NEGATED = re.compile(r"~\s*(?:\((?:[^()]|\([^()]*\))*\)|\w+)")


def _names_flag(arg: str, const: str) -> bool:
    """Does a flag argument name `const` other than under a `~` (`~C`, `MASK & ~(C | D)`:
    every flag but those)?"""
    return const in _TOKEN.findall(_NEGATED.sub(" ", arg))


def _masked(arg: str, mask: str, const: str, sc: Scope | None = None) -> bool:
    """Does a flag argument name `mask` (which holds `const`) without taking `const` out,
    by name or (with `sc`) by a mask holding it (`(A_MASK | B_MASK) & ~RESUME_MASK`, where
    RESUME_MASK is `(C)`)?"""
    if not _names_flag(arg, mask) or const in _TOKEN.findall(arg):
        return False
    if sc is not None and "~" in arg:
        negated = {t for m in _NEGATED.finditer(arg) for t in _TOKEN.findall(m.group(0))}
        if negated & set(flag_masks(sc, const)):
            return False
    return True


MASK_DEPTH = 2  # masks of masks


def _masks_of(sc: Scope, const: str) -> list[str]:
    """Macros whose #define body names `const` without a `~` (flag masks such as
    `VMCPU_FF_HIGH_PRIORITY_PRE_MASK (VMCPU_FF_TIMER | ...)`), and masks made of those."""
    out: list[str] = []
    frontier = [const]
    for _ in range(MASK_DEPTH):
        nxt = []
        for c in frontier:
            for mask, texts in _defining_macros(sc, c).items():
                if mask not in out and mask != const and texts and \
                        not any("~" in t for t in texts):
                    out.append(mask)
                    nxt.append(mask)
        frontier = nxt
    return out


def _defining_macros(sc: Scope, name: str) -> dict[str, list[str]]:
    """{macro: the texts of its definitions} of the #defines whose body names `name`."""
    out = {}
    for macro in sorted({r[3] for r in sc.rows("ref", "t.name = ? AND t.kind = 'define'",
                                               (name,), "t.func")}):
        out[macro] = [r[3] or "" for r in sc.rows("sym", "t.name = ? AND t.kind = 'macro'",
                                                   (macro,), "t.text")]
    return out


def _const_refs(sc: Scope, const: str) -> list[tuple]:
    """(cid, path, blob, line, function) of the uses of `const` in code (not in #define
    bodies), memoised: raises and consumes read them several times."""
    memo = sc.memo("_const_refs")
    if const not in memo:
        memo[const] = sc.rows("ref", "t.name = ? AND t.kind != 'define'", (const,),
                              "t.line, t.func")
    return memo[const]


def _const_calls(sc: Scope, const: str, table: dict[str, int],
                 flag: str | None = None) -> list[tuple]:
    """Calls of functions in `table` whose request argument mentions `const` (a mask that
    holds `flag`, when given: not where the argument takes `flag` out of it)."""
    out = []
    lines = {}
    for cid, path, bid, line, func in _const_refs(sc, const):
        lines.setdefault((bid, func), set()).add(line)
    names = sorted(table)
    for (bid, func), ls in lines.items():
        for row in sc.conn.execute(
                "SELECT line, col, callee, args, end_line, guard_end FROM call WHERE blob_id = ? "
                f"AND func = ? AND callee IN ({marks(len(names))})", (bid, func, *names)):
            line, col, callee, args, end_line, guard_end = row
            if not any(line <= x <= end_line for x in ls):
                continue
            a = json.loads(args)
            i = table[callee]
            if i < len(a) and (_masked(a[i], const, flag, sc) if flag else _names_flag(a[i], const)):
                out.append((bid, func, line, col, callee, guard_end))
        if flag is None:  # (a mask's tests through a local: _local_mask_tests)
            out += _held_calls(sc, const, table, bid, func, ls)
    return out


def _held_calls(sc: Scope, const: str, table: dict[str, int], bid: int, func: str,
                lines: set[int]) -> list[tuple]:
    """Calls of functions in `table` whose request argument is a local variable last set to
    a value naming `const` (`unsigned int req = KVM_REQ_OUTSIDE_GUEST_MODE; ... req &=
    ~KVM_REQUEST_WAIT; kvm_make_vcpus_request_mask(kvm, req, mask)`): the call is where the
    request is made, not the local's initializer."""
    if not func or not table:
        return []
    sets = {}  # local -> [(line, value)] of its plain assignments, in order
    for line, field, value in sc.conn.execute(
            "SELECT line, field, value FROM assign WHERE blob_id = ? AND func = ? AND "
            "kind IN ('init', 'assign') AND op = '=' AND chain = '[\"v:' || field || '\"]' "
            "ORDER BY line", (bid, func)):
        sets.setdefault(field, []).append((line, value))
    held = {v for v, rows in sets.items()
            if any(ln in lines and _names_flag(val, const) for ln, val in rows)}
    if held:  # (only the function's locals: a global of that name is no held request)
        held = {n for (n,) in sc.conn.execute(
            "SELECT DISTINCT name FROM sym WHERE blob_id = ? AND scope = ? AND kind = 'local' "
            f"AND name IN ({marks(len(held))})", (bid, func, *held))}
    if not held:
        return []
    names = sorted(table)
    out = []
    for line, col, callee, args, guard_end in sc.conn.execute(
            "SELECT line, col, callee, args, guard_end FROM call WHERE blob_id = ? AND "
            f"func = ? AND callee IN ({marks(len(names))})", (bid, func, *names)):
        a = json.loads(args)
        i = table[callee]
        var = a[i].strip() if i < len(a) else ""
        if var not in held:
            continue
        before = [(ln, val) for ln, val in sets[var] if ln < line]
        if before and before[-1][0] in lines and _names_flag(before[-1][1], const):
            out.append((bid, func, line, col, f"{callee} ({var})", guard_end))  # (as
            # _mask_var_tests says a local: _one_per_test merges the two)
    return out


def clears(sc: Scope, const: str) -> list[tuple]:
    """The calls of the profile's [requests] clearers that take `const` (`kvm_clear_request(
    REQ, vcpu)`), as _const_calls gives them."""
    return _const_calls(sc, const, request_api(sc).clearers)


def _sites(sc: Scope, kind: str, const: str, rows, **extra) -> list[Site]:
    out = []
    files = {}
    for bid, func, line, col, callee, guard_end in rows:
        if bid not in files:
            files[bid] = sc.files_of(bid)
        for cid, path in files[bid]:
            out.append(sc.site(kind, cid, path, bid, line, col, func, const, via=callee, **extra))
    return sorted(out, key=Site.key)


def raises(sc: Scope, const: str) -> list[Site]:
    """Call sites that set `const` through a setter or a wrapper (never tests or clears);
    for a constant no request API takes, the statements that set it as a bit (`|=`). A bit
    number whose mask is #defined is raised where its mask is, too."""
    sc.require(const)
    mask = _mask_of_bit(sc, const)
    if mask is not None:
        own = _bit_uses(sc, const)[0] + _macro_bit_uses(sc, const)[0] + _bit_setter_calls(sc, const)
        return _merged(raises(sc, mask), _sites(sc, "raise", const, own))
    api = request_api(sc)
    rows = _const_calls(sc, const, api.setters)
    masks = flag_masks(sc, const) if _one_bit(sc, const) else []  # (a flag: not a count,
    # a field value or RT_BIT_32 itself)
    if len(const.split("_")) < 3:  # (a family of one word, HV_: its masks need not be of it)
        masks = [m for m in masks if m in _masks_of(sc, const)]
    if rows or _const_calls(sc, const, api.testers):  # (a setter of a mask holding it)
        rows += _new_places(rows, [(*r[:4], f"{r[4]} ({mask})", r[5]) for mask in masks
                                   for r in _const_calls(sc, mask, api.setters, const)])
    else:
        rows = _bit_uses(sc, const)[0] + _macro_bit_uses(sc, const)[0] + _bit_setter_calls(sc, const)
        rows += _new_places(rows, orapis.or_raises(sc, const, _const_refs(sc, const), _names_flag))
        rows += _new_places(rows, _mask_raises(sc, const, masks))
    return _sites(sc, "raise", const, rows)


def flag_masks(sc: Scope, const: str) -> list[str]:
    """The masks that hold flag `const`: #defines naming it (and masks of those), masks of
    its family holding it without naming it (complements, numbers: HM_CHANGED_GUEST_MASK
    0x00000ffffffffffc), and masks naming those (HM_CHANGED_ALL_GUEST is `(
    HM_CHANGED_GUEST_MASK | HM_CHANGED_KEEPER_STATE_MASK)`)."""
    memo = sc.memo("flag_masks")
    if const not in memo and _value_only(sc, const):
        memo[const] = []  # (an MSR number: no mask holds it as a bit)
    if const not in memo:
        masks = _masks_of(sc, const)
        family = complement_masks(sc, const, masks)  # (~(A | B) without it; UINT32_MAX)
        masks += family
        if _one_bit(sc, const):  # (a shift count or a field value is no bit of a mask)
            for m in family:
                masks += [x for x in _masks_of(sc, m) if x not in masks and x != const
                          and holds(sc, x, const)]  # (evaluated: `(A << 16) + B` holds none)
        memo[const] = masks
    return list(memo[const])


def _value_only(sc: Scope, const: str) -> bool:
    """Is `const` a value the code compares whole, not a flag: a `case` label or an operand of
    `==` / `!=` somewhere, and nowhere an operand of a bit operator (`&`, `|`, `^`, `~`, a
    shift), handed to a request API, nor named by a mask's #define? An MSR number such as
    `MSR_IA32_TSC` (0x10, one bit in hex) is one: a mask of its family that happens to hold
    that bit (`MSR_IA32_BNDCFGS_RSVD` 0xff0) tests nothing of it. (Memoised.)"""
    memo = sc.memo("_value_only")
    if const not in memo:
        c = re.escape(const)
        compared = re.compile(rf"[=!]=\s*\(?\s*{c}\b|\b{c}\s*\)?\s*[=!]=|\bcase\s+{c}\b")
        bits = re.compile(rf"(?<![&|])[&|^~](?![&|=])\s*\(?\s*{c}\b|\b{c}\s*\)?\s*(?:[&|^](?![&|])|<<|>>)"
                          rf"|(?:<<|>>|[&|^]=)\s*\(?\s*{c}\b")
        seen_compare = False
        memo[const] = False
        for _cid, _path, bid, line, _func in _const_refs(sc, const):
            text = sc.store.line_text(bid, line)
            if bits.search(text):
                return False
            seen_compare = seen_compare or bool(compared.search(text))
        api = request_api(sc)
        memo[const] = seen_compare and not _masks_of(sc, const) and not any(
            _const_calls(sc, const, t) for t in (api.testers, api.setters, api.clearers))
    return memo[const]


def _to_local(sc: Scope, bid: int, func: str | None, line: int, col: int) -> bool:
    """Is the assignment at (line, col) one of a local variable (`fImport = MASK | C`: a
    set of bits a later call is handed, not a flag word)?"""
    r = sc.conn.execute("SELECT chain FROM assign WHERE blob_id = ? AND func = ? AND line = ? "
                        "AND col = ?", (bid, func or "", line, col)).fetchone()
    chain = json.loads(r[0]) if r and r[0] else []
    return len(chain) == 1 and chain[0].startswith("v:") and sc.conn.execute(
        "SELECT 1 FROM sym WHERE blob_id = ? AND scope = ? AND name = ? AND kind = 'local'",
        (bid, func or "", chain[0][2:])).fetchone() is not None


def _mask_raises(sc: Scope, const: str, masks: list[str]) -> list[tuple]:
    """Raises of a mask that holds `const`: the mask ORed into something
    (`ASMAtomicUoOrU64(&f, HM_CHANGED_RAISED_XCPT_MASK)`, `f |= HM_CHANGED_ALL_GUEST`, `x = y
    | MASK`), not where the statement clears bits (`&= ~MASK`, an And API with `~MASK`) or
    takes `const` out (`MASK & ~C`); `via` names the mask. A mask assigned whole (`fWhat =
    MASK`) or handed to a function is a set of bits to test or import, no raise."""
    out: list[tuple] = []
    for mask in masks:
        bit_or = re.compile(_BIT_OR.format(c=re.escape(mask)))
        rows = [r for r in _bit_uses(sc, mask)[0]  # (ORed in; `x = MASK` keeps a mask)
                if r[4].startswith("|=") or (bit_or.search(sc.store.line_text(r[0], r[2]))
                                             and not _to_local(sc, r[0], r[1], r[2], r[3]))]
        rows += _new_places(rows, orapis.or_raises(sc, mask, _const_refs(sc, mask),
                                                   lambda a, m: _masked(a, m, const, sc)))
        for r in rows:
            if not _in_clear(sc, r[0], r[2], const):
                via = r[4] if _has_token(r[4], mask) else f"{r[4]} ({mask})"
                out += _new_places(out, [(*r[:4], via, r[5])])
    return out


_BIT_CLEAR = r"~\s*\(?\s*{c}\b"
_BIT_MASKED = (r"(?<![&])&(?![&=])\s*\(?\s*{c}\b|\b{c}\s*\)?\s*&(?![&=])"  # x & C
               r"|(?<![&])&(?![&=])\s*\([^()]*\b{c}\b[^()]*\)"                # x & (B | C)
               r"|\([^()]*\b{c}\b[^()]*\)\s*&(?![&=])")                         # (B | C) & x
_BIT_TEST = _BIT_MASKED + r"|[=!]=\s*\(?\s*{c}\b|\b{c}\s*\)?\s*[=!]="  # x == C, x != C
_BIT_AND = r"(?<![&])&(?![&=])\s*\(?\s*{c}\b|\b{c}\s*\)?\s*&(?![&=])"  # x & C, C & x
_BIT_OR = r"(?<![|])\|(?![|=])\s*\(?\s*{c}\b|\b{c}\s*\)?\s*\|(?![|=])"  # x | C


# checks made by the compiler (a `x & C` in them tests nothing at run time)
_COMPILE_TIME = re.compile(r"\b(?:BUILD_BUG_ON\w*|static_assert|_Static_assert|AssertCompile\w*)\s*\(")


# a bit number made a mask: `1 << C`, `(1UL << C)`, `BIT(C)`, `BIT_ULL(C)`, `RT_BIT_64(C)`
_SHIFTED = (r"\(\s*1[uU]?[lL]{{0,2}}\s*<<\s*\(?\s*{c}\s*\)?\s*\)|\b1[uU]?[lL]{{0,2}}\s*<<\s*\(?\s*{c}\b\s*\)?"
            r"|\b(?:BIT|BIT_ULL|_BITUL|_BITULL|RT_BIT|RT_BIT_32|RT_BIT_64)\s*\(\s*{c}\s*\)")


MULTILINE_VALUE = 12  # lines above a use where the assignment holding it may start


def _mask_of_bit(sc: Scope, const: str) -> str | None:
    """The macro #defined as the mask of bit number `const` and nothing else (`#define
    VMCPU_FF_TIMER RT_BIT_64(VMCPU_FF_TIMER_BIT)`), or None."""
    whole = re.compile(r"\(?\s*(?:" + _SHIFTED.format(c=re.escape(const)) + r")\s*\)?")
    for mask, texts in _defining_macros(sc, const).items():
        if texts and all(whole.fullmatch(t.strip()) for t in texts):
            return mask
    return None


def _merged(a: list[Site], b: list[Site]) -> list[Site]:
    """Sites of both lists, one per place (the first list's where both have it)."""
    seen = {(s.corpus, s.version, s.file, s.line) for s in a}
    return sorted(a + [s for s in b if (s.corpus, s.version, s.file, s.line) not in seen],
                  key=Site.key)


def _unshifted(const: str):
    """text -> text with the masks made of bit number `const` written as `const` itself."""
    pat = re.compile(_SHIFTED.format(c=re.escape(const)))
    return lambda text: pat.sub(const, text) if const in text else text


def _shifted(value: str, const: str) -> bool:
    """Is every use of `const` in the value shifted elsewhere (`(spte & MASK) << SHIFT`,
    `(C | D) >> 4`: its bits land on others), as the left operand of a shift that applies to
    it or to a parenthesised group holding it? (`MASK | p << 3` shifts p, not MASK.)"""
    uses = list(re.finditer(rf"\b{re.escape(const)}\b", value))
    return bool(uses) and all(_shift_follows(value, m.end()) and _anded(value, m.start(), m.end())
                              for m in uses)


def _anded(value: str, start: int, end: int) -> bool:
    """Is the use at value[start:end] an operand of `&` in its parenthesised group (`spte &
    MASK`: the bits of another value selected, then moved; `(WB << SHIFT)` alone is a field
    set to the value WB)?"""
    depth, a = 0, start
    while a > 0 and depth >= 0:
        a -= 1
        depth += {")": 1, "(": -1}.get(value[a], 0)
    depth, b = 0, end
    while b < len(value) and depth >= 0:
        depth += {"(": 1, ")": -1}.get(value[b], 0)
        b += 1
    return re.search(r"(?<!&)&(?!&)", value[a:b]) is not None


def _shift_follows(value: str, at: int) -> bool:
    depth, other = 0, False  # (`other`: an operator of lower precedence seen at this level)
    i = at
    while i < len(value):
        ch = value[i]
        if ch == "(":
            depth += 1
        elif ch == ")":
            if depth == 0:
                other = False  # (out of a group holding it: the group is the operand)
            else:
                depth -= 1
        elif depth == 0 and value.startswith(("<<", ">>"), i):
            if not other:
                return True
            i += 1
        elif depth == 0 and ch in ",;?:":
            return False
        elif depth == 0 and ch in "|&^=<>!":
            other = True
        i += 1
    return False


def _bit_uses(sc: Scope, const: str) -> tuple[list[tuple], list[tuple]]:
    """(sets, tests) of a flag bit outside any request API: `flags |= C`, `x = C` or
    `x = y | C` sets it, `x & C` or `x == C` in an expression tests it, `&= ~C` clears it
    (neither). A bit number counts in its masks: `(1 << C)`, `BIT(C)`."""
    unshift = _unshifted(const)
    clear = re.compile(_BIT_CLEAR.format(c=re.escape(const)))
    test = re.compile(_BIT_TEST.format(c=re.escape(const)))
    bit_or = re.compile(_BIT_OR.format(c=re.escape(const)))
    sets, tests = [], []
    seen = set()
    for _cid, _path, bid, line, func in _const_refs(sc, const):
        if (bid, line) in seen:
            continue
        seen.add((bid, line))
        ops = sc.conn.execute(  # (a value may start lines above: `x = (1 << A) |\n (1 << C)`)
            "SELECT line, col, op, value FROM assign WHERE blob_id = ? AND func = ? AND line "
            "BETWEEN ? AND ? AND kind IN ('assign', 'compound', 'init') ORDER BY line DESC",
            (bid, func or "", line - MULTILINE_VALUE, line)).fetchall()
        here = [r for r in ops if r[0] == line]
        above = [r for r in ops if r[0] < line][:1]
        src = sc.store.lines(bid)[above[0][0] - 1:line] if above and not here else []
        if src and not any(";" in t for t in src[:-1]):  # (one statement: no `;` in between)
            # the value from the source: the stored text of a long one is cut (`x = (1 << A) |
            # ... (1 << C)` over 13 lines)
            text = " ".join(src)
            ops = [(above[0][0], above[0][1], above[0][2],
                    text.split(above[0][2], 1)[-1].split(";", 1)[0])]
        else:
            ops = here
        if ops and ops[0][0] != line:
            if (bid, ops[0][0]) in seen:
                continue
            seen.add((bid, ops[0][0]))
            line = ops[0][0]
        hit = [(col, op, _chosen(_outside_calls(unshift(v or "")))) for _l, col, op, v in ops]
        hit = [(col, op, v) for col, op, v in hit if _has_token(v, const)]
        if any(op in ("|=", "^=") or (op == "=" and (v.strip() == const or bit_or.search(v)))
               for _c, op, v in hit if not clear.search(v) and not _shifted(v, const)):
            col = next(c for c, op, v in hit)
            if _mask_only_local(sc, bid, func, line, col):
                continue  # (`fUnusedMask = A | C; ... And(&f, ~fUnusedMask)`: a mask, no raise)
            sets.append((bid, func, line, col, f"{hit[0][1]} {const}", None))
            if any(test.search(v) for _c, _o, v in hit):  # `f |= (g->flags & C)`: copies
                tests.append((bid, func, line, col, f"& {const}", None))  # g's bit: a test
        elif not any(clear.search(v or "") for _c, _o, v in hit) and not (
                hit and hit[0][1] == "=" and _mask_only_local(sc, bid, func, line, hit[0][0])):
            # (`fCtxMask = ALL & ~SHARED`: a mask made for the tests below, no test itself)
            lines = sc.store.lines(bid)
            raw = lines[line - 1] if 0 < line <= len(lines) else ""
            indent = len(raw) - len(raw.lstrip())  # (columns count it)
            text = unshift(raw.strip())
            m = test.search(text)
            at = m.start() if m else None
            if at is None and line > 1:  # `(timer_mode ==\n APIC_LVT_TIMER_TSCDEADLINE)`: the
                # operator ends the line above
                prev = unshift(sc.store.line_text(bid, line - 1)).rstrip()
                if _OPERATOR_END.search(prev) and test.search(f"{prev} {text.lstrip()}"):
                    at = max(text.find(const), 0)
            if at is not None and not _COMPILE_TIME.search(text):
                tests.append((bid, func, line, indent + at + 1, f"& {const}", None))
    return sets, _one_per_statement(sc, tests)


def _one_per_statement(sc: Scope, tests: list[tuple]) -> list[tuple]:
    """The test rows without those on the continuation line of a statement that already
    has one (`Assert((f & (C | D))\n == (C | D))`: one test, at its first line)."""
    have = {(t[0], t[2]) for t in tests}
    out = []
    for t in tests:
        bid, line = t[0], t[2]
        if (bid, line - 1) in have:
            lines = sc.store.lines(bid)
            prev = lines[line - 2].rstrip() if line >= 2 else ""
            here = lines[line - 1].lstrip() if line <= len(lines) else ""
            if prev and not prev.endswith((";", "{", "}")) and here.startswith(("==", "!=")):
                continue  # (the other side of the comparison above; `(a & C) &&\n (b & C)`
                # on two lines are two tests)
        out.append(t)
    return out


_OPERATOR_END = re.compile(r"(?:[=!]=|(?<![&])&)\s*\(?\s*$")


def _mask_only_local(sc: Scope, bid: int, func: str | None, line: int, col: int) -> bool:
    """Is the assignment at (line, col) one of a local variable that the function then uses
    only as a mask (under `~`, or with `&`: `fUnusedMask = HM_CHANGED_GUEST_RIP | ...;
    ASMAtomicUoAndU64(&f, ~fUnusedMask)`), never ORed in, stored or passed on? Such a local
    sets no flag."""
    if not func:
        return False
    r = sc.conn.execute("SELECT chain FROM assign WHERE blob_id = ? AND func = ? AND line = ? "
                        "AND col = ?", (bid, func, line, col)).fetchone()
    chain = json.loads(r[0]) if r and r[0] else []
    if len(chain) != 1 or not chain[0].startswith("v:"):
        return False
    name = chain[0][2:]
    span = sc.conn.execute("SELECT end_line FROM sym WHERE blob_id = ? AND name = ? AND "
                           "kind = 'function' AND line <= ? ORDER BY line DESC LIMIT 1",
                           (bid, func, line)).fetchone()
    local = sc.conn.execute("SELECT 1 FROM sym WHERE blob_id = ? AND scope = ? AND name = ? AND "
                            "kind = 'local'", (bid, func, name)).fetchone()
    if not span or not local:
        return False
    body = "\n".join(sc.store.lines(bid)[line:span[0]])
    q = re.escape(name)
    uses = list(re.finditer(rf"(?<![\w.>])\b{q}\b", body))
    if not uses:
        return False
    for m in uses:
        before, after = body[:m.start()].rstrip(), body[m.end():].lstrip()
        if re.match(r"(?:[|^&]?=)(?!=)", after):
            continue  # (assigned again: `fUnusedMask |= ...`)
        call = re.search(r"(\w+)\s*\($", before)
        if call and call.group(1) not in ("if", "while", "switch", "return") and \
                re.match(r"[,)]", after):
            return False  # (handed to a call or macro: `RT_BIT(iReg2) & f` uses it as a
            # number; `RT_BOOL(mask & f)` masks with it)
        if before.endswith("~") or before.endswith("~(") or re.search(r"(?<![&])&\s*\(?$", before):
            continue  # (a mask: `~x`, `y & x`)
        if re.match(r"\)?\s*&(?![&=])\s*\(?\s*[A-Z_][A-Z0-9_]*\b", after):
            return False  # `flags & C`: a flag word tested for its bits, set above
        if re.match(r"\)?\s*&(?![&=])", after):
            if re.search(r"\breturn\s*\(?$", before):
                return False  # (`return x & m`: x's bits are handed on)
            continue  # (a mask: `x & y`)
        if (re.search(r"[=!]=\s*\(?$", before) or re.match(r"\)?\s*[=!]=", after)) and \
                _ands(_statement_at(body, m.start()), name):
            continue  # (compared with in a statement that masks with it: `(f & mask) ==
            # mask`, all of the mask's bits set; `last != x` alone compares a value)
        return False
    return True


def _statement_at(body: str, at: int) -> str:
    """The text of the statement around offset `at` (from the `;`, `{` or `}` before it to
    the `;` after it)."""
    start = max(body.rfind(c, 0, at) for c in ";{}") + 1
    end = body.find(";", at)
    return body[start:end if end >= 0 else len(body)]


# a variable ANDed with something (a binary `&`: `&var` is its address)
_VAR_AND = r"[\w)\]]\s*&(?![&=])\s*\(?\s*{c}\b|(?<![\w.>]){c}\s*\)?\s*&(?![&=])"


def _ands(text: str, name: str) -> bool:
    """Does `text` AND `name` with something (a binary `&`, not an address `&name`)?"""
    return re.search(_VAR_AND.format(c=re.escape(name)), text) is not None


_CLEARING = re.compile(r"&=\s*~|And\w*\s*\([^;]*?,\s*~")  # `x &= ~(...)`, ASMAtomicAndU64(&x, ~(...))


def _in_api_call(sc: Scope, bid: int, func: str | None, line: int, col: int,
                 names: list[str]) -> bool:
    """Is (line, col) inside the arguments of a call of one of `names` (a request API)?"""
    if not names:
        return False
    for cline, ccol, end in sc.conn.execute(
            f"SELECT line, col, end_line FROM call WHERE blob_id = ? AND func = ? AND line <= ? "
            f"AND end_line >= ? AND callee IN ({marks(len(names))})",
            (bid, func or "", line, line, *names)):
        if (cline, ccol) < (line, col):
            return True
    return False


def _tests_bits_of(sc: Scope, bid: int, line: int, mask: str) -> bool:
    """Is `mask` ANDed with something on `line` (or across the line break above it: `(x &\n
    MASK)`) to test its bits? A value compared whole with it (`msr ==
    HV_X64_MSR_SYNDBG_CONTROL`, an MSR number whose bit 0 is set) tests no flag it happens to
    hold, nor does a field the AND selects and an order comparison reads as a number
    (`(features & VERSION_MASK) >= 1`)."""
    pat = re.compile(_BIT_MASKED.format(c=re.escape(mask)))
    text = sc.store.line_text(bid, line)
    prev = sc.store.line_text(bid, line - 1).rstrip() if line > 1 else ""
    for t in (text, f"{prev} {text.strip()}" if prev.endswith("&") else ""):
        for m in pat.finditer(t):
            if not _ordered(t, m.start(), m.end()):
                return True
    return False


_ORDER_AFTER = re.compile(r"\s*(?:<=|>=|<(?!<)|>(?!>))")
_ORDER_BEFORE = re.compile(r"(?:<=|>=|(?<![<-])<|(?<![>-])>)\s*$")


def _ordered(text: str, start: int, end: int) -> bool:
    """Is the parenthesised group around text[start:end] (an AND) an operand of `<`, `>`,
    `<=` or `>=`?"""
    depth, a = 0, start
    while a > 0:
        a -= 1
        if text[a] == ")":
            depth += 1
        elif text[a] == "(":
            if depth == 0:
                break
            depth -= 1
    else:
        return False
    b = closing(text, a)
    return bool(_ORDER_AFTER.match(text, b + 1) or _ORDER_BEFORE.search(text[:a]))


def _in_clear(sc: Scope, bid: int, line: int, const: str) -> bool:
    """Is `line` part of a statement that clears bits (`fCtxChanged &= ~(...)`,
    `ASMAtomicUoAndU64(&fCtxChanged, ~( ... (DR_MASK & ~DR7) ...))`), or that leaves `const`
    out explicitly (`MASK & ~C`)? A mask named there is no test of the flag."""
    lines = sc.store.lines(bid)
    start = line
    while start > 1 and line - start < MULTILINE_VALUE:
        prev = lines[start - 2].rstrip() if start - 2 < len(lines) else ""
        if not prev or prev.endswith((";", "{", "}")):
            break
        start -= 1
    text = " ".join(t.strip() for t in lines[start - 1:line])
    return bool(_CLEARING.search(text) or re.search(rf"~\s*\(?\s*{re.escape(const)}\b", text))


def _chosen(value: str) -> str:
    """The branches of a conditional value (`(pfec & (A | B)) ? 0 : kf` sets 0 or kf: its
    condition tests A, it sets nothing of it), either of which may be the value, so `C : 0`
    reads as `(C) | (0)`; other values as they are."""
    alts = alternatives(value)
    return value if len(alts) == 1 else " | ".join(f"({a})" for a in alts)


_CALL_ARGS = re.compile(r"(\w)\s*\([^()]*\)")


def _outside_calls(value: str) -> str:
    """`value` without the arguments of the calls in it (`f = clear(p, C | D)`: the `C | D`
    is what the callee gets, not what f is set to)."""
    prev = None
    while prev != value:
        prev, value = value, _CALL_ARGS.sub(r"\1()", value)
    return value


def _calls_passing(sc: Scope, const: str, exact: bool):
    """(blob, function, line, col, callee, guard_end, the callee's parameter) of each direct
    call that passes `const` as an argument (the whole argument with `exact`, else as a
    flag of it), once per call and argument."""
    from vmxref.queries.edges import graph
    g, seen = graph(sc), set()
    for _c, _p, bid, line, func in _const_refs(sc, const):
        for cline, ccol, callee, args, gend in sc.conn.execute(
                "SELECT line, col, callee, args, guard_end FROM call WHERE blob_id = ? AND "
                "func = ? AND line <= ? AND end_line >= ? AND kind = 'direct'",
                (bid, func or "", line, line)):
            for i, a in enumerate(json.loads(args)):
                if (a.strip() != const if exact else not _names_flag(a, const)) \
                        or (bid, cline, ccol, i) in seen:
                    continue
                seen.add((bid, cline, ccol, i))
                params = g.params(callee)
                if i < len(params) and params[i]:
                    yield bid, func, cline, ccol, callee, gend, params[i]


def _complement_tests(sc: Scope, const: str, testers: dict[str, int]) -> list[tuple]:
    """Tests whose argument takes a mask's complement (`VMCPU_FF_IS_PENDING(pVCpu,
    ~VMCPU_FF_HIGH_PRIORITY_PRE_RAW_MASK)`: every flag but those), evaluated: the ones that
    hold `const` (flagmasks.holds), as _const_calls rows with the argument named."""
    words = const.split("_")
    family = "_".join(words[:2]) + "_" if len(words) > 2 else words[0] + "_"
    out = []
    for _c, _p, bid, func, line, col, callee, args, guard_end in sc.rows_in(
            "call", "t.callee", sorted(testers), "t.args LIKE '%~%'", (),
            "t.func, t.line, t.col, t.callee, t.args, t.guard_end"):
        a = json.loads(args)
        i = testers[callee]
        names = [n for n in re.findall(r"\b[A-Z][A-Z0-9_]*\b", a[i])] if i < len(a) else []
        if names and all(n.startswith(family) for n in names) and "~" in a[i] and \
                holds(sc, a[i], const):  # (masks of the flag's own family: a VM_FF_ mask's
            # complement tests the VM's word, not a VMCPU_FF_ flag)
            out.append((bid, func, line, col, f"{callee} ({' '.join(a[i].split())})",
                        guard_end))
    return _once_per_call(out)


def _new_places(rows: list[tuple], more: list[tuple]) -> list[tuple]:
    """The rows of `more` at a (blob, function, line, col) none of `rows` has."""
    have = {r[:4] for r in rows}
    return [r for r in more if r[:4] not in have]


def _once_per_call(rows: list[tuple]) -> list[tuple]:
    """Rows (blob, function, line, col, ...) with one per call."""
    return list({r[:4]: r for r in reversed(rows)}.values())[::-1]


def _bit_setter_calls(sc: Scope, const: str) -> list[tuple]:
    """Calls that pass `const` to a function of the corpus that ORs that parameter into
    something or stores it (`hmR0SvmSetCtrlIntercept(pVmcb, SVM_CTRL_INTERCEPT_RDTSC)`, whose
    body does `pVmcb->ctrl.u64InterceptCtrl |= fCtrlIntercept`; `pvclock_set_flags(
    PVCLOCK_TSC_STABLE_BIT)`, whose body is `valid_flags = flags`): raises of the bit, as
    `x |= C` and `x = C` are."""
    return _once_per_call([
        (bid, func, line, col, f"{callee}()", gend)
        for bid, func, line, col, callee, gend, param in _calls_passing(sc, const, False)
        if _stores_param(sc, callee, param, 3) or _tests_param_word(sc, callee, param)])


def _tests_param_word(sc: Scope, func: str, param: str) -> bool:
    """Does the (one-definition) body of `func` test constants' bits in its parameter
    (`if (action & TK_MIRROR)` in timekeeping_update(tk, action))? Then the parameter is a
    word of flags its callers set: passing a flag asks for it, a raise, as `x |= C` is."""
    memo = sc.memo("_tests_param_word")
    if (func, param) not in memo:
        rows = sc.rows("sym", "t.name = ? AND t.kind = 'function'", (func,), "t.line, t.end_line")
        found = False
        if len(rows) == 1:
            _c, _p, bid, start, end = rows[0]
            body = " ".join(sc.store.lines(bid)[start:end])
            q = re.escape(param)
            found = bool(re.search(rf"\b{q}\s*\)?\s*&(?![&=])\s*\(?\s*[A-Z][A-Z0-9_]*\b(?!\s*\()"
                                   rf"|\b[A-Z][A-Z0-9_]*\s*\)?\s*&(?![&=])\s*\(?\s*{q}\b", body))
        memo[(func, param)] = found
    return memo[(func, param)]


def _stores_param(sc: Scope, func: str, param: str, depth: int) -> bool:
    """Does `func` OR its parameter `param` into something or store it, itself or through
    the functions it hands it on to unchanged (`vmR3SetState(pVM, enmStateNew, ..)` passes
    it to vmR3SetStateLocked, which stores it in pVM->enmVMState), `depth` calls deep?"""
    memo = sc.memo("_stores_param")
    key = (func, param, depth)
    if key not in memo:
        memo[key] = False  # (recursion)
        from vmxref.queries.edges import graph
        g = graph(sc)
        memo[key] = bool(sc.rows(
            "assign", "t.func = ? AND t.op IN ('|=', '=') AND t.value = ? AND "
            "t.kind IN ('assign', 'compound')", (func, param), "1", limit=1)) or \
            _ors_param_bit(sc, func, param) or (
            depth > 1 and any(
                a.strip() == param and k < len(g.params(callee)) and g.params(callee)[k]
                and _stores_param(sc, callee, g.params(callee)[k], depth - 1)
                for _c, _p, _b, callee, args in sc.rows(
                    "call", "t.func = ? AND t.kind = 'direct' AND t.args LIKE ?",
                    (func, f"%{param}%"), "t.callee, t.args")
                for k, a in enumerate(json.loads(args) if args else [])))
    return memo[key]


def _param_or_bit(text: str, param: str) -> bool:
    """Is an argument or value the parameter itself, or the mask of it as a bit number
    (`BIT(bit)`, `1UL << nr`), behind casts and parentheses?"""
    q = re.escape(param)
    t = _bare_arg(text)
    return bool(re.fullmatch(rf"{q}|BIT(?:_ULL)?\s*\(\s*{q}\s*\)|1[UL]*\s*<<\s*\(?\s*{q}\s*\)?",
                             t))


def _ors_param_bit(sc: Scope, func: str, param: str) -> bool:
    """Does `func` OR its parameter, or the mask of it as a bit number, into something:
    `flags |= BIT(nr)`, or an API of the profile's [writes] or_stores / bit_sets
    (tick_nohz_dep_set_all's `atomic_fetch_or(BIT(bit), dep)`, `set_bit(nr, addr)`)?"""
    from vmxref.queries.orapis import _spec
    blobs = sc.definitions(func)  # (its rows are in the files that define it: assign_blob,
    # where `func = ?` alone read every write of the corpus)
    if blobs and any(_param_or_bit(v or "", param) for *_w, v in sc.rows(
            "assign", f"t.blob_id IN ({marks(len(blobs))}) AND t.func = ? AND t.op = '|=' AND "
            "t.kind = 'compound' AND t.value LIKE ?", (*blobs, func, f"%{param}%"), "t.value")):
        return True
    for *_w, callee, args in sc.rows("call", "t.func = ? AND t.kind = 'direct' AND t.args "
                                     "LIKE ?", (func, f"%{param}%"), "t.callee, t.args"):
        spec = _spec(sc, callee)
        a = json.loads(args) if args else []
        if spec and 0 < spec[1] <= len(a) and _param_or_bit(a[spec[1] - 1], param):
            return True
    return False


def _bit_tester_calls(sc: Scope, const: str) -> list[tuple]:
    """Calls that pass `const` to a function of the corpus that tests that parameter as a
    bit (`kvm_para_has_feature(KVM_FEATURE_CLOCKSOURCE_STABLE_BIT)`, whose body is
    `return !!(kvm_arch_para_features() & (1UL << feature));`): tests of the bit."""
    body_tests: dict[tuple[str, str], bool] = {}
    out = []
    for bid, func, line, col, callee, gend, param in _calls_passing(sc, const, True):
        if (callee, param) not in body_tests:  # (a word of flags tested against constants
            # is no bit number: passing a flag there asks for it, _bit_setter_calls)
            body_tests[(callee, param)] = _tests_param_bit(sc, callee, param) and \
                not _tests_param_word(sc, callee, param)
        if body_tests[(callee, param)]:
            out.append((bid, func, line, col, f"{callee}()", gend))
    return _once_per_call(out)


def _bit_test_calls(sc: Scope, const: str) -> list[tuple]:
    """Calls of the profile's [reads] bit_tests APIs (and uses of the macros over them) that
    pass bit number `const`: `test_bit(KVM_APIC_INIT, &apic->pending_events)`,
    `boot_cpu_has(X86_FEATURE_CONSTANT_TSC)` (orapis.bit_tests)."""
    return _once_per_call(orapis.bit_tests(sc, const, _const_refs(sc, const), _names_flag))


def _tests_param_bit(sc: Scope, func: str, param: str) -> bool:
    """Does the (one-definition) body of `func` test its parameter `param` as a bit number
    (`x & (1UL << param)`, `x & BIT(param)`, `test_bit(param, ...)`)?"""
    rows = sc.rows("sym", "t.name = ? AND t.kind = 'function'", (func,), "t.line, t.end_line")
    if len(rows) != 1:
        return False
    _c, _p, bid, start, end = rows[0]
    body = " ".join(sc.store.lines(bid)[start - 1:end])
    test = re.compile(_BIT_AND.format(c=re.escape(param)))  # (`param != OTHER` tests no bit)
    return bool(test.search(_unshifted(param)(body)) or re.search(
        rf"\b(?:test_bit|variable_test_bit|constant_test_bit)\s*\(\s*{re.escape(param)}\b", body))


def _macro_bit_uses(sc: Scope, const: str) -> tuple[list[tuple], list[tuple]]:
    """(sets, tests) of a flag bit through function-like macros whose body sets or tests it
    (`#define MSR_GIM_HV_REF_TSC_IS_ENABLED(a) RT_BOOL((a) & MSR_GIM_HV_REF_TSC_ENABLE)`):
    the uses of such a macro, named after it."""
    test = re.compile(_BIT_TEST.format(c=re.escape(const)))
    clear = re.compile(_BIT_CLEAR.format(c=re.escape(const)))
    sets_re = re.compile(rf"\|=\s*\(?\s*{re.escape(const)}\b")
    sets, tests = [], []
    for macro, texts in _defining_macros(sc, const).items():
        if not texts or not all(t.startswith("(") for t in texts) or any(clear.search(t)
                                                                        for t in texts):
            continue  # (object-like: a mask, see _masks_of; or it clears the bit)
        into = sets if any(sets_re.search(t) for t in texts) else (
            tests if any(test.search(t) for t in texts) else None)
        if into is None:
            continue
        for _c, _p, bid, line, col, func, guard_end in sc.rows(
                "call", "t.callee = ? AND t.kind = 'direct'", (macro,),
                "t.line, t.col, t.func, t.guard_end"):
            into.append((bid, func, line, col, f"{macro}()", guard_end))
    return sets, tests


VALUE_KINDS = ("macro", "enumerator", "global", "extern", "local", "param", "field")


def consumes(sc: Scope, const: str) -> list[Site]:
    """Tests of `const` (also of a flag mask whose #define holds it, `via` naming the mask),
    each with the calls that run when the test succeeds. A bit number whose mask is
    #defined (`VMCPU_FF_TIMER_BIT`, `VMCPU_FF_TIMER RT_BIT_64(VMCPU_FF_TIMER_BIT)`) is
    tested where its mask is, and where the number itself is tested."""
    sc.require(const)
    mask = _mask_of_bit(sc, const)
    if mask is not None:
        own = _bit_uses(sc, const)[1] + _macro_bit_uses(sc, const)[1] + _bit_tester_calls(sc, const)
        own += _new_places(own, _bit_test_calls(sc, const))
        return _merged(consumes(sc, mask), _consume_sites(sc, const, own))
    api = request_api(sc)
    rows = _const_calls(sc, const, api.testers)
    if not sc.has_sym(const, VALUE_KINDS):  # (a name defined nowhere has no value: no mask
        # holds it, UINT32_MAX neither; the tests that name it are all there is)
        return _consume_sites(sc, const, rows + _new_places(rows, _bit_test_calls(sc, const)))
    masks = flag_masks(sc, const)
    masked = [(*r[:4], f"{r[4]} ({mask})", r[5]) for mask in masks
              for r in _const_calls(sc, mask, api.testers, const)]  # of a mask holding it
    masked += _mask_var_tests(sc, const, masks, api.testers)
    masked += _flag_word_tests(sc, const, api.testers)
    masked += _macro_tests(sc, const, masks, api.testers)
    masked += parameter_tests(sc, const, api.testers)
    if _one_bit(sc, const):  # (a flag: a name of another kind is no bit of a complement)
        masked += _new_places(rows + masked, _complement_tests(sc, const, api.testers))
    if not rows and not _const_calls(sc, const, api.setters):  # (masked tests or not)
        rows = _bit_uses(sc, const)[1] + _macro_bit_uses(sc, const)[1] + _bit_tester_calls(sc, const)
        rows += _new_places(rows, _bit_test_calls(sc, const))
        apis = sorted({*api.testers, *api.setters, *api.clearers})
        for mask in masks:  # `(cr0 ^ old_cr0) & KVM_MMU_CR0_ROLE_BITS` tests X86_CR0_WP too
            rows += [r for r in _bit_uses(sc, mask)[1]  # (via `& MASK`)
                     if not _in_clear(sc, r[0], r[2], const)
                     and not _in_api_call(sc, r[0], r[1], r[2], r[3], apis)
                     and _tests_bits_of(sc, r[0], r[2], mask)]
            # (not in a request API's argument: a tester's is a test the mask rows above
            # counted, a clearer's `VMCPU_FF_CLEAR_MASK(pVCpu, ALL & ~REQUEST)` is none)
        rows += _new_places(rows, _local_mask_tests(sc, const, masks))
        rows += _case_tests(sc, const)
        rows += _new_places(rows + masked, orapis.param_mask_tests(
            sc, const, _const_refs(sc, const), _names_flag))
    return _consume_sites(sc, const, rows + masked)


def _local_mask_tests(sc: Scope, const: str, masks: list[str]) -> list[tuple]:
    """Tests through a local variable set to flags or masks that hold `const` and used only
    as a mask (`_mask_only_local`): `u64 mask = A | C; return (x & mask) == mask;` tests C
    where `mask` is ANDed or compared; (blob, function, line, col, via, None) rows."""
    out, seen = [], set()
    unshift = _unshifted(const)
    for name in (const, *masks):
        for _c, _p, bid, line, func in _const_refs(sc, name):
            if not func or (bid, func, line) in seen:
                continue
            seen.add((bid, func, line))
            for aline, acol, chain, value in sc.conn.execute(
                    "SELECT line, col, chain, value FROM assign WHERE blob_id = ? AND func = ? "
                    "AND line BETWEEN ? AND ? AND kind IN ('init', 'assign') AND chain LIKE "
                    "'[\"v:%'", (bid, func, line - MULTILINE_VALUE, line)):
                ch = json.loads(chain)
                if len(ch) != 1 or (bid, func, aline, ch[0]) in seen:
                    continue
                seen.add((bid, func, aline, ch[0]))
                v = _outside_calls(unshift(value or ""))
                if not _has_token(v, name) or not any(holds(sc, _VARIABLE.sub("UINT64_MAX", a), const)
                                                      for a in alternatives(v)):
                    continue  # (named, and evaluated: `A & ~C` holds no C; `f(C)` is what f
                    # returns; a full mask, `m = c ? UINT64_MAX : ~RT_BIT_64(20)`, names none)
                var = ch[0][2:]
                vtype = sc.conn.execute(
                    "SELECT type FROM sym WHERE blob_id = ? AND scope = ? AND name = ? AND "
                    "kind = 'local'", (bid, func, var)).fetchone()
                writes = sc.conn.execute(
                    "SELECT count(*) FROM assign WHERE blob_id = ? AND func = ? AND chain = ?",
                    (bid, func, chain)).fetchone()[0]
                if vtype and "*" not in (vtype[0] or "") and writes == 1 and \
                        _mask_only_local(sc, bid, func, aline, acol):  # (a constant mask:
                    # set once; `errcode |= ...` or a value set in each case is a flag word)
                    via = f"& {var}" + ("" if name == const else f" ({name})")
                    out += _var_mask_tests(sc, bid, func, var, aline, via)
    return _once_per_call(out)


# a variable in a mask's value (`tmask = mask & C`): may hold any flag (as a full mask)
_VARIABLE = re.compile(r"(?<![\w.>])(?=\w*[a-z])[A-Za-z_]\w*\b(?!\s*[(.]|\s*->)")


# a local ANDed or compared
_VAR_TEST = _VAR_AND + r"|[=!]=\s*\(?\s*{c}\b|(?<![\w.>]){c}\s*\)?\s*[=!]="


def _var_mask_tests(sc: Scope, bid: int, func: str, var: str, start: int, via: str) -> list[tuple]:
    """The lines after `start` (up to the variable's next assignment) where the local `var`
    is ANDed with something or compared, not under `~` nor in a statement that clears bits."""
    nxt = sc.conn.execute("SELECT min(line) FROM assign WHERE blob_id = ? AND func = ? AND "
                          "chain = ? AND line > ? AND kind IN ('init', 'assign')",
                          (bid, func, f'["v:{var}"]', start)).fetchone()[0]
    test = re.compile(_VAR_TEST.format(c=re.escape(var)))
    clear = re.compile(_BIT_CLEAR.format(c=re.escape(var)))
    lines = sc.store.lines(bid)
    out = []
    for (line,) in sc.conn.execute(
            "SELECT DISTINCT line FROM ref WHERE blob_id = ? AND func = ? AND name = ? AND "
            "kind = 'read' AND line > ? AND line < ? ORDER BY line",
            (bid, func, var, start, nxt or 1 << 30)):
        raw = lines[line - 1] if 0 < line <= len(lines) else ""
        text = raw.strip()
        m = test.search(text)
        if m is None or clear.search(text) or _CLEARING.search(text) or _COMPILE_TIME.search(text):
            continue
        at = m.start() + m.group().find(var)
        out.append((bid, func, line, len(raw) - len(raw.lstrip()) + at + 1, via, None))
    return _one_per_statement(sc, out)


def _case_tests(sc: Scope, const: str) -> list[tuple]:
    """`case C:` of a switch tests C as `x == C` does: (blob, function, line, col, via,
    the last line of its arm) rows (the arm ends before the next label of the function)."""
    out = []
    for _c, _p, bid, func, line in sc.rows("kase", "t.value = ?", (const,), "t.func, t.line"):
        nxt = sc.conn.execute("SELECT min(line) FROM kase WHERE blob_id = ? AND func = ? AND "
                              "line > ?", (bid, func, line)).fetchone()[0]
        lines = sc.store.lines(bid)
        text = lines[line - 1] if 0 < line <= len(lines) else ""
        col = text.find("case") + 1 if "case" in text else 1
        out.append((bid, func, line, col, "case", (nxt - 1) if nxt else None))
    return out


def _consume_sites(sc: Scope, const: str, rows: list[tuple]) -> list[Site]:
    """Sites of test rows (not inside a log call), each with the calls the test guards."""
    from vmxref.queries.profiles import profile_section
    asserts = profile_section(sc, "requests").get("debug_asserts", [])
    rows = _one_per_test([r for r in rows if not _in_log_call(sc, r[0], r[1], r[2], r[3])
                          and not _in_call_of(sc, asserts, r[0], r[1], r[2], r[3])])
    from vmxref.queries.edges import graph
    g = graph(sc)
    out = []
    for r in rows:
        bid, func, line, col, callee, guard_end = r
        if guard_end is None and func:  # (a flag-bit test, `if (action & TK_CLEAR_NTP)`: the
            guard_end = _branch_end(sc.store.lines(bid), line, col)  # tester calls have theirs)
            r = (*r[:5], guard_end)
        runs = _guarded_calls(sc, g, bid, func, line, col, guard_end) if guard_end else []
        for s in _sites(sc, "consume", const, [r]):
            s.extra["runs"] = runs
            s.extra["guard_end"] = guard_end
            out.append(s)
    return sorted(out, key=Site.key)


def _guarded_calls(sc: Scope, g, bid: int, func: str, line: int, col: int,
                   guard_end: int) -> list[str]:
    """The calls of the branch a test at (line, col) guards: after the end of its `if`
    condition (a condition's other calls, on its continuation lines too, run either way),
    up to `guard_end`; named as the call graph names them: a function; an ops-table or
    static call by the member it goes through (`kvm_x86_nested_ops.triple_fault`,
    `kvm_x86_ops.enable_irq_window`), as `callers STRUCT.MEMBER` takes it; a call through
    a pointer by the functions it is known to reach."""
    start = _condition_end(sc.store.lines(bid), line, col)
    rows = [r for r in sc.conn.execute(
        "SELECT line, col, callee, kind FROM call WHERE blob_id = ? AND func = ? AND line >= ? "
        "AND line <= ? ORDER BY line, col", (bid, func, start[0], guard_end))
            if (r[0], r[1]) > start]
    if not rows:
        return []
    edges: dict[tuple[int, int], list] = {}
    if any(k != "direct" or not g.is_function(c) for _l, _c, c, k in rows):
        for e in g.out_of(func):
            if e.blob_id == bid:
                edges.setdefault((e.line, e.col), []).append(e)
    out = []
    for cline, ccol, callee, kind in rows:
        if kind == "direct" and g.is_function(callee):
            out.append(callee)
            continue
        for e in edges.get((cline, ccol), ()):
            if e.kind == "static-call":
                key, _, to = e.via.partition(" -> ")
                out.append(key if " (set at " in to or not to else to)
            elif e.kind == "ops-table":
                name = e.via.split(" (")[0].split(":")[0]
                if not name.startswith("?."):
                    out.append(name)
            elif e.kind == "pointer" and e.is_function:
                out.append(e.callee)
        if kind == "static-call" and (cline, ccol) not in edges:
            out.append(f"static_call({callee})")
    return list(dict.fromkeys(out))


_COND_NOISE = re.compile(r'//[^\n]*|/\*.*?\*/|"(?:[^"\\\n]|\\.)*"|\'(?:[^\'\\\n]|\\.)*\'', re.S)
_IF = re.compile(r"\bif\s*\(")


def _blank_noise(text: str) -> str:
    """`text` with its comments and literals blanked (offsets and line breaks kept)."""
    return _COND_NOISE.sub(lambda m: re.sub(r"[^\n]", " ", m.group(0)), text)


def _window(lines: list[str], first: int, last: int) -> tuple[str, list[int]]:
    """Lines first..last (1-based) as one text with comments and literals blanked
    (_blank_noise), and the offset where each of its lines starts."""
    text = _blank_noise("\n".join(lines[first - 1:last]))
    starts = [0]
    for t in text.split("\n")[:-1]:
        starts.append(starts[-1] + len(t) + 1)
    return text, starts


def _condition_end(lines: list[str], line: int, col: int) -> tuple[int, int]:
    """(line, col) of the `)` that closes the `if` condition holding the test at (line, col)
    (1-based), or (line, col) itself when no `if` around it is found."""
    first = max(1, line - MULTILINE_VALUE)
    text, starts = _window(lines, first, line + 3 * MULTILINE_VALUE)
    k = line - first
    if k >= len(starts):
        return line, col
    at = starts[k] + col - 1
    for m in reversed(list(_IF.finditer(text, 0, at + 1))):
        depth = 0
        for i in range(m.end() - 1, len(text)):
            depth += (text[i] == "(") - (text[i] == ")")
            if depth == 0:
                break
        else:
            continue
        if i > at:
            n = text.count("\n", 0, i)
            return first + n, i - starts[n] + 1
    return line, col


def _branch_end(lines: list[str], line: int, col: int) -> int | None:
    """The last line of the branch an `if` runs when the test at (line, col) holds: the
    statement after the condition (a `{ ... }` block to its `}`, else to its `;`). None
    when the test is in no `if` condition, or is negated there (`!(x & C)`, `(x & C) == 0`):
    that branch runs when the flag is clear."""
    end = _condition_end(lines, line, col)
    if end == (line, col):
        return None
    first = max(1, line - MULTILINE_VALUE)
    text, starts = _window(lines, first, end[0] + MAX_BRANCH_LINES)
    at, close = starts[line - first] + col - 1, starts[end[0] - first] + end[1] - 1
    opening = max((m.end() - 1 for m in _IF.finditer(text, 0, at + 1)), default=-1)
    cond = text[opening:close + 1]
    inner = cond[:at - opening]
    depth, k = 0, len(inner) - 1  # (the group holding the test: negated before it?)
    while k >= 0:
        depth += (inner[k] == ")") - (inner[k] == "(")
        if depth < 0:
            if inner[:k].rstrip().endswith("!"):
                return None
            depth = 0
        k -= 1
    rest = re.sub(r"\s+", "", cond[at - opening:])
    if re.match(r"[\w\s&|()<>-]*\)?==0", rest) or inner.rstrip().endswith("!"):
        return None
    i = close + 1
    while i < len(text) and text[i].isspace():
        i += 1
    if i >= len(text):
        return None
    if text[i] == "{":
        depth = 0
        for j in range(i, len(text)):
            depth += (text[j] == "{") - (text[j] == "}")
            if depth == 0:
                return first + text.count("\n", 0, j)
        return None
    depth = 0
    for j in range(i, len(text)):
        depth += (text[j] in "([{") - (text[j] in ")]}")
        if text[j] == ";" and depth == 0:
            return first + text.count("\n", 0, j)
    return None


MAX_BRANCH_LINES = 400  # lines of a guarded block looked at past its condition


def _one_per_test(rows: list[tuple]) -> list[tuple]:
    """One row per test: a test whose masks both hold the constant (`VMCPU_FF_IS_ANY_SET(p,
    f ? A_MASK : B_MASK)`) is found once per mask; its `via` names both (`TESTER (A_MASK,
    B_MASK)`); a direct test of the constant wins over a mask's."""
    at: dict[tuple, int] = {}
    out: list[tuple] = []
    for r in rows:
        k = (r[0], r[2], r[3])
        i = at.get(k)
        if i is None:
            at[k] = len(out)
            out.append(r)
            continue
        old, new = out[i][4], r[4]
        head, sep, masks = old.partition(" (")
        head2, sep2, more = new.partition(" (")
        if sep and sep2 and head == head2 and more[:-1] not in masks[:-1].split(", "):
            out[i] = (*out[i][:4], f"{head} ({masks[:-1]}, {more}", out[i][5])
        elif not sep2:  # (the constant itself)
            out[i] = r
    return out


def _macro_tests(sc: Scope, const: str, masks: list[str], testers: dict[str, int]) -> list[tuple]:
    """Uses of function-like macros whose body calls a tester with `const` or a mask holding
    it (`IEM_CHECK_FF_YIELD_REPSTR_MAYBE_RETURN(...)`: `VMCPU_FF_IS_ANY_SET(a_pVCpu, (a_fEflags)
    & X86_EFL_IF ? VMCPU_FF_YIELD_REPSTR_MASK : ...)`), named after the macro (at most
    MAX_MACRO_TEST_USES uses of one macro)."""
    out = []
    names = sorted(testers)
    for name in [const, *masks]:
        for macro in _defining_macros(sc, name):
            for bid, start, end in {r[2:] for r in sc.rows(
                    "sym", "t.name = ? AND t.kind = 'macro'", (macro,), "t.line, t.end_line")}:
                hit = None
                body = "\n".join(sc.store.lines(bid)[start - 1:end])
                for (callee,) in sc.conn.execute(
                        f"SELECT DISTINCT callee FROM call WHERE blob_id = ? AND func = ? AND kind "
                        f"= 'macro' AND callee IN ({marks(len(names))})", (bid, macro, *names)):
                    a = call_args(body, callee)
                    i = testers[callee]
                    if i < len(a) and (_names_flag(a[i], name) if name == const
                                       else _masked(a[i], name, const, sc)):
                        hit = callee
                        break
                if hit is None:
                    continue
                uses = sc.rows("call", "t.callee = ? AND t.kind = 'direct'", (macro,),
                               "t.line, t.col, t.func, t.guard_end", limit=MAX_MACRO_TEST_USES + 1)
                for _c, _p, ubid, line, col, func, gend in uses[:MAX_MACRO_TEST_USES]:
                    via = f"{macro}() ({hit}{'' if name == const else ' of ' + name})"
                    out.append((ubid, func, line, col, via, gend))
                break
    return _once_per_call(out)


MAX_MACRO_TEST_USES = 300


def _in_call_of(sc: Scope, callees: list[str], bid: int, func: str, line: int, col: int) -> bool:
    """Is the test at (line, col) inside a call of one of `callees` (the profile's [requests]
    debug_asserts: `Assert(!VMCPU_FF_IS_SET(...))` is compiled out of a release build)?"""
    if not callees:
        return False
    return sc.conn.execute(
        f"SELECT 1 FROM call WHERE blob_id = ? AND func = ? AND line <= ? AND end_line >= ? "
        f"AND (line < ? OR col < ?) AND callee IN ({marks(len(callees))}) LIMIT 1",
        (bid, func or "", line, line, line, col, *callees)).fetchone() is not None


def _in_log_call(sc: Scope, bid: int, func: str, line: int, col: int) -> bool:
    """Is the call at (line, col) a printed argument of a logging call (`Log5(("%d",
    VMCPU_FF_IS_SET(pVCpu, VMCPU_FF_TIMER)))` prints the flag, acts on nothing)? The
    arguments before the format of an assertion are its condition, evaluated in every build
    (`AssertLogRelMsg(!VMCPU_FF_IS_SET(..), ("..."))`): not printed ones."""
    for lline, lcol, fmt_arg in sc.conn.execute(
            "SELECT l.line, l.col, l.fmt_arg FROM logcall l CROSS JOIN call c ON c.blob_id = "
            "l.blob_id AND c.func = l.func AND c.line = l.line AND c.col = l.col WHERE "
            "l.blob_id = ? AND l.func = ? AND l.line <= ? AND c.end_line >= ? AND (c.line < ? "
            "OR c.col < ?)", (bid, func or "", line, line, line, col)):
        if not fmt_arg:
            return True
        start = _argument_start(sc.store.lines(bid), lline, lcol, fmt_arg)
        if start is None or (line, col) >= start:
            return True
    return False


def _argument_start(lines: list[str], line: int, col: int, n: int) -> tuple[int, int] | None:
    """(line, col), 1-based, where argument `n` (0-based) of the call whose name starts at
    (line, col) begins; None when the text does not say (unbalanced, too long)."""
    depth, quote, i, j = 0, "", line - 1, col - 1
    for _ in range(64 * 1024):
        if i >= len(lines):
            return None
        text = lines[i]
        if j >= len(text):
            i, j = i + 1, 0
            continue
        ch = text[j]
        if quote:
            if ch == "\\":
                j += 1
            elif ch == quote:
                quote = ""
        elif ch in "\"'":
            quote = ch
        elif ch in "([{":
            depth += 1
        elif ch in ")]}":
            depth -= 1
            if depth <= 0:
                return None
        elif ch == "," and depth == 1:
            n -= 1
            if n == 0:
                return (i + 1, j + 2)
        j += 1
    return None


def _mask_var_tests(sc: Scope, const: str, masks: list[str], testers: dict[str, int]) -> list[tuple]:
    """Tests of a local variable set to a mask that holds `const` (`uint64_t const fCpuFFs =
    VMCPU_FF_TIMER | ...;` then `VMCPU_FF_IS_ANY_SET(pVCpu, fCpuFFs)`), in that function."""
    found: dict[tuple[int, str], set[str]] = {}
    for name in (const, *masks):
        for _c, _p, bid, line, func in sc.rows("ref", "t.name = ? AND t.kind = 'read'", (name,),
                                               "t.line, t.func"):
            if not func:
                continue
            for chain, value in sc.conn.execute(
                    "SELECT chain, value FROM assign WHERE blob_id = ? AND func = ? AND line "
                    "BETWEEN ? AND ? AND kind IN ('init', 'assign') AND chain LIKE '[\"v:%'",
                    (bid, func, line - 8, line)):
                var = chain[4:-2]
                if chain == f'["v:{var}"]' and any(  # (either side of a `c ? A : B`)
                        _names_flag(v, const) if name == const else _masked(v, name, const, sc)
                        for v in alternatives(value or "")):
                    found.setdefault((bid, func), set()).add(var)
    out = []
    names = sorted(testers)
    for (bid, func), vars_ in sorted(found.items()):
        for line, col, callee, args, guard_end in sc.conn.execute(
                "SELECT line, col, callee, args, guard_end FROM call WHERE blob_id = ? AND "
                f"func = ? AND callee IN ({marks(len(names))})", (bid, func, *names)):
            a = json.loads(args)
            i = testers[callee]
            for var in sorted(vars_):
                if i < len(a) and _names_flag(a[i], var):
                    out.append((bid, func, line, col, f"{callee} ({var})", guard_end))
    return out


def _flag_words(sc: Scope, testers: dict[str, int]) -> list[tuple[str, str]]:
    """(member, flag family) of the members the tester macros AND their flag parameter with
    (`VMCPU_FF_IS_ANY_SET(pVCpu, fFlags)` is `RT_BOOL((pVCpu)->fLocalForcedActions &
    (fFlags))`: fLocalForcedActions holds VMCPU_FF_ flags; memoised per scope)."""
    memo = sc.memo("_flag_words")
    if "all" not in memo:
        words: set[tuple[str, str]] = set()
        for name, idx in sorted(testers.items()):
            family = "_".join(name.split("_")[:2]) + "_"  # (VMCPU_FF_IS_SET: VMCPU_FF_)
            for (text,) in sc.conn.execute("SELECT DISTINCT text FROM sym WHERE name = ? AND "
                                           "kind = 'macro'", (name,)):
                params, body = parts(text)
                if params is None or idx >= len(params):
                    continue
                words.update((w, family) for w in re.findall(
                    rf"(?:->|\.)\s*(\w+)\s*\)?\s*&(?![&=])\s*\(*\s*{re.escape(params[idx])}\b", body))
        memo["all"] = sorted(words)
    return memo["all"]


def _flag_word_tests(sc: Scope, const: str, testers: dict[str, int]) -> list[tuple]:
    """A flag word read and ANDed by hand with a value that holds `const`, as the testers do
    (`fCpu = pVCpu->fLocalForcedActions & (VMCPU_FF_ALL_MASK & ~(VMCPU_FF_TLB_FLUSH | ...));`
    in IEMExecLots, then `if (!fCpu ...)`): (blob, function, line, col, via, None) rows, at
    the `&`; not in a statement that clears bits."""
    out = []
    if not _one_bit(sc, const):
        return out  # (a flag: every mask `holds` a full mask's, not a tester's name)
    for word, family in _flag_words(sc, testers):
        if not const.startswith(family):
            continue  # (fLocalForcedActions holds VMCPU_FF_ flags, not VM_FF_ ones)
        rows = sc.memo("_flag_word_reads")
        if word not in rows:
            rows[word] = sorted({(r[2], r[3], r[4]) for r in sc.rows(
                "ref", "t.name = ? AND t.kind = 'read'", (word,), "t.line, t.func")})
        for bid, line, func in rows[word]:
            lines = sc.store.lines(bid)
            # (the statement, up to STATEMENT_LINES: IEMExecLots' mask in 5.1 spans 13 lines,
            # with `# ifdef VBOX_WITH_RAW_MODE` lines and comments inside, blanked here)
            text = _code_lines(lines[line - 1:line - 1 + STATEMENT_LINES])
            m = re.search(rf"\b{re.escape(word)}\s*\)?\s*&(?![&=])\s*", text.split(";")[0])
            if m is None:
                continue
            rest = text[m.end():]
            operand = _operand(rest)
            if not operand or not holds(sc, _outside_calls(operand), const) or \
                    _in_clear(sc, bid, line, const) or re.search(r"&=\s*$", text[:m.start()]):
                continue
            named = [t for t in dict.fromkeys(_TOKEN.findall(_NEGATED.sub(" ", operand)))
                     if t == const or (t.isupper() and holds(sc, t, const))]
            amp = text.index("&", m.start() + len(word))  # (the test is listed at its `&`,
            at = text.count("\n", 0, amp)  # which may be on a line below the word)
            col = amp - (text.rfind("\n", 0, amp) + 1) + 1
            out.append((bid, func, line + at, col,
                        f"{word} & " + (", ".join(named) if named else operand.strip()), None))
    return _once_per_call(out)


STATEMENT_LINES = 40  # lines of a statement read from its first one


def _code_lines(lines: list[str]) -> str:
    """Source lines joined, preprocessor lines, comments and literals blanked (offsets
    kept)."""
    return _blank_noise("\n".join("" if t.lstrip().startswith("#") else t for t in lines))


def _operand(text: str) -> str:
    """The operand at the start of `text`: a parenthesised group, or a name (`a->b`, `X`)."""
    text = text.lstrip()
    if text.startswith("("):
        depth = 0
        for i, ch in enumerate(text):
            depth += (ch == "(") - (ch == ")")
            if depth == 0:
                return text[:i + 1]
        return ""
    m = re.match(r"[\w.>-]+(?:\s*\([^()]*\))?", text)
    return m.group(0) if m else ""


def calls(sc: Scope, func: str, arg: int | None = None, const: str | None = None) -> list[Site]:
    """Call sites of `func` (direct and resolved indirect), optionally with arg N (1-based) = CONST."""
    sc.require(func)
    out = []
    from vmxref.queries.edges import graph
    for e in graph(sc).into(func):
        if not e.caller:
            continue  # a file-scope registration (EXPORT_SYMBOL_GPL(func)) is no call
        if arg is not None and const is not None:
            a = _macro_expanded_args(sc, e, func) if e.kind == "macro" else callsite.args(sc, e)
            if a is None:
                continue  # (the macro's arguments are not the function's)
            if arg - 1 >= len(a) or not arg_is(a[arg - 1], const):
                continue
        out.append(sc.site("call", e.cid, e.path, e.blob_id, e.line, e.col, e.caller, func,
                           edge=e.kind, via=e.via))
    if not out and arg is not None and (n := _arity(sc, func)) is not None and arg > n:
        raise UnknownSymbol(f"there is no argument {arg} of {func}, which takes {n} in "
                            f"{sc.label()}")
    if not out and const is not None and re.fullmatch(r"[A-Za-z_]\w*", const):
        sc.require(const)  # (a misspelt constant: said with look-alikes, not "no results")
    return sorted(out, key=Site.key)


def _arity(sc: Scope, func: str) -> int | None:
    """How many arguments `func` takes by its definitions, prototypes and function-like
    macro definitions in the corpus: the most any of them takes; None when one is variadic
    (`...`) or none is known."""
    most = None
    for kind, text in {(r[3], r[4] or "") for r in sc.rows(
            "sym", "t.name = ? AND t.kind IN ('function', 'prototype', 'macro')", (func,),
            "t.kind, t.text")}:
        if kind == "macro":
            if not text.startswith("("):
                continue  # (an object-like macro: no parameters of its own)
            params = text[1:]
        else:
            m = re.search(rf"\b{re.escape(func)}\s*\(", text)
            if m is None:
                return None
            params = text[m.end():]
        if _operand("(" + params) == "":
            return None  # (the stored text stops before the list's `)`: a long signature)
        args = [a.strip() for a in split_args(params)]
        if any("..." in a for a in args):
            return None
        n = 0 if args in ([""], ["void"]) else len(args)
        most = n if most is None else max(most, n)
    return most


_ARG_CAST = re.compile(r"\(\s*(?:(?:const|volatile|unsigned|signed|struct|enum|union)\s+)*"
                       r"[A-Za-z_]\w*(?:\s+[A-Za-z_]\w*)*\s*\**\s*\)\s*(?=[\w(~!-])")


def arg_is(arg: str, const: str) -> bool:
    """Is a call's argument CONST (`calls F arg N = CONST`): the constant itself, behind
    casts and parentheses, or one term of an OR of flags (`A | CONST`); never under `~`
    (`MASK & ~CONST` is every flag but it) nor inside other arithmetic, a member access or
    an offsetof. An integer CONST compares by value: `0` is `0x0`, `0UL`, `(u32)0`."""
    want = _int_value(const)
    terms = _or_terms(_bare_arg(arg))
    if want is not None:
        return any(_int_value(t) == want for t in terms)
    return const in terms


def _bare_arg(text: str) -> str:
    """The argument without the casts and parentheses around the whole of it."""
    t = text.strip()
    while True:
        m = _ARG_CAST.match(t)
        if m:
            t = t[m.end():].strip()
        elif t.startswith("(") and _operand(t) == t:
            t = t[1:-1].strip()
        else:
            return t


def _or_terms(text: str) -> list[str]:
    """The terms of a top-level `|` chain (each bare, nested ORs flattened); the whole text
    as its one term when anything else is at its top level."""
    depth, cut, parts = 0, 0, []
    for i, ch in enumerate(text):
        if ch in "([":
            depth += 1
        elif ch in ")]":
            depth -= 1
        elif depth == 0 and ch == "|" and text[i + 1:i + 2] != "|" and text[i - 1:i] != "|":
            parts.append(text[cut:i])
            cut = i + 1
    if not parts:
        return [text]
    parts.append(text[cut:])
    return [t for p in parts for t in _or_terms(_bare_arg(p))]


def _int_value(text: str) -> int | None:
    """The value of an integer literal (flagmasks.numeric), also negated (`-1`)."""
    t = text.strip()
    neg = t.startswith("-")
    v = numeric(t[1:] if neg else t)
    return -v if neg and v is not None else v


def _macro_expanded_args(sc: Scope, e, func: str) -> list[str] | None:
    """The arguments `func` gets at a macro use that calls it (edges.py `M1() -> M2() calls
    func`): the use's arguments carried through the macros' bodies."""
    from vmxref.queries.macroforms import expanded_call_args
    via, sep, _f = e.via.rpartition(" calls ")
    if not sep:
        return None
    chain = [m.strip().removesuffix("()") for m in via.split(" -> ")]
    row = sc.conn.execute("SELECT args FROM call WHERE blob_id = ? AND line = ? AND col = ? "
                          "AND callee = ?", (e.blob_id, e.line, e.col, chain[0])).fetchone()
    if row is None or not all(m.isidentifier() for m in chain):
        return None
    return expanded_call_args(sc, chain, json.loads(row[0]) if row[0] else [], func)


def deferred_into(sc: Scope, func: str, line: int = 0) -> list:
    """Deferred edges raiser -> `func` for the requests whose test in `func` guards `line`."""
    from vmxref.queries.edges import Edge, edge_order
    cache = getattr(sc, "_deferred", None)
    if cache is None:
        cache = sc._deferred = {}  # type: ignore[attr-defined]
    key = (func, line)
    if key in cache:
        return cache[key]
    api = request_api(sc)
    out: list = []
    tested = set()
    if func not in _testing_functions(sc, api):
        cache[key] = out
        return out
    tests = sc.memo("_tests_in")  # the request tests of a function, for all its lines
    if func not in tests:
        tests[func] = sc.rows_in("call", "t.callee", api.testers, "t.func = ?", (func,),
                                 "t.callee, t.args, t.line, t.guard_end")
    for _cid, _p, bid, callee, args, cline, gend in tests[func]:
        if gend and cline <= line <= gend:
            a = json.loads(args)
            i = api.testers[callee]
            if i < len(a):
                tested.update(t for t in _TOKEN.findall(a[i]) if t.isupper())
    raisers = sc.memo("_raisers")  # per request: the same for every line that tests it
    for const in sorted(tested):
        if const not in raisers:
            raisers[const] = _const_calls(sc, const, api.setters)
        for bid, rfunc, line, col, callee, _g in raisers[const]:
            for cid, path in sc.files_of(bid):
                out.append(Edge(cid, path, bid, line, col, rfunc, func, "deferred",
                                f"{const} via {callee}"))
    out.sort(key=edge_order)
    cache[key] = out
    return out


def _testing_functions(sc: Scope, api) -> frozenset[str]:
    """Functions that call a request test at all (one look-up per scope: most functions a
    backward search crosses test nothing, and need no query of their calls)."""
    got = getattr(sc, "_testing_functions", None)
    if got is None:
        got = frozenset(r[3] for r in sc.rows_in("call", "t.callee", api.testers, "1", (),
                                                 "t.func"))
        sc._testing_functions = got  # type: ignore[attr-defined]
    return got
