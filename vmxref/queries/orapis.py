"""Flags set or tested through APIs and the macros built on them.

A flag word is often changed through a call rather than an operator: IPRT's
`ASMAtomicUoOrU64(&pVCpu->hm.s.fCtxChanged, HM_CHANGED_GUEST_CR0)`, the kernel's
`atomic_or(FLAG, &v)`, `set_bit(X86_FEATURE_TSC_RELIABLE, caps)`. The profile's `[writes]
or_stores` (a mask) and `bit_sets` (a bit number) name such calls (glob -> the 1-based
positions [address, value]); a call whose value argument names the flag (not under `~`)
raises it, as `x |= C` does (set_cpu_cap(c, bit), a macro over set_bit, too). Its `[reads]
bit_tests` name the calls that test a bit number (`test_bit(nr, addr)`, `boot_cpu_has(bit)`,
address 0: none), and a call or macro use passing the bit there consumes it. A function-like macro whose body hands one of its
parameters to such a call (5.1's `HMCPU_CF_SET(pVCpu, fFlag)`) raises what its uses pass
there; one whose body masks a parameter (`... & (fFlags)`, `HMCPU_CF_IS_PENDING`) tests it.
"""
from __future__ import annotations

from vmxref.lazy import re, json

from vmxref.queries.base import Scope
from vmxref.queries.macroforms import parts
from vmxref.queries.textcalls import call_args

_CLEARED = "~"


_TABLES = ("or_stores", "bit_sets")  # [writes] tables: a mask ORed in, a bit number set


def _spec(sc: Scope, callee: str) -> tuple | None:
    """The [address, value] positions (1-based) the profile's [writes] or_stores or
    bit_sets (`set_bit(nr, addr)`, ASMBitSet) give `callee`."""
    from vmxref.queries.readonly import glob_entry
    return next((e for t in _TABLES if (e := glob_entry(sc, t, callee)) is not None), None)


def _bare_param(arg: str, params: list[str]) -> int | None:
    """Index of the macro parameter the argument is, parenthesised or cast (`(fFlag)`,
    `(uint64_t)(a_fFlags)`), else None."""
    t = arg.strip()
    while True:
        m = re.fullmatch(r"\((.*)\)", t) or re.fullmatch(r"\(\s*[A-Za-z_][\w\s*]*\)\s*(.+)", t)
        if m is None:
            break
        t = m.group(1).strip()
    return params.index(t) if t in params else None


def _test_spec(sc: Scope, callee: str) -> tuple | None:
    """The [address, bit] positions (1-based; address 0: none, `boot_cpu_has(bit)`) the
    profile's [reads] bit_tests give `callee` (`test_bit(nr, addr)`, ASMBitTest)."""
    from vmxref.queries.readonly import _glob_match
    exact, globs = _test_table(sc)
    if callee in exact:
        return exact[callee]
    return next((v for parts, v in globs if _glob_match(parts, callee)), None)


def _test_table(sc: Scope):
    """(exact names, [(glob parts, value)]) of the profile's [reads] bit_tests (memoised)."""
    memo = sc.memo("_bit_tests_table")
    if "t" not in memo:
        from vmxref.queries.profiles import profile_section
        table = profile_section(sc, "reads").get("bit_tests", {})
        memo["t"] = ({k: tuple(v) for k, v in table.items() if "*" not in k},
                     [(tuple(k.split("*")), tuple(v)) for k, v in sorted(table.items()) if "*" in k])
    return memo["t"]


def or_macros(sc: Scope) -> dict[str, int]:
    """Function-like macros whose body hands parameter k (0-based) to an or_stores API as
    the value it ORs in: macro -> k (memoised)."""
    from vmxref.queries.readonly import glob_table
    keys = [k for t in _TABLES for exact, globs in [glob_table(sc, t)]
            for k in (*exact, *("*".join(parts) for parts, _v in globs))]
    return _api_macros(sc, "or_macros", keys, lambda callee: _spec(sc, callee))


def test_macros(sc: Scope) -> dict[str, int]:
    """Function-like macros whose body hands parameter k (0-based) to a bit_tests API as
    the bit it tests: macro -> k (memoised)."""
    exact, globs = _test_table(sc)
    keys = [*exact, *("*".join(parts) for parts, _v in globs)]
    return _api_macros(sc, "test_macros", keys, lambda callee: _test_spec(sc, callee))


def _api_macros(sc: Scope, name: str, keys: list[str], spec_of) -> dict[str, int]:
    """Function-like macros whose body hands parameter k (0-based) to a call of an API
    whose table key is among `keys`, as the value (spec_of(callee)[1], 1-based) it takes:
    macro -> k (memoised under `name`)."""
    memo = sc.memo(name)
    if "all" in memo:
        return memo["all"]
    out: dict[str, int] = {}
    for key in keys:
        prefix = re.split(r"[.*\\]", key, maxsplit=1)[0]  # (a glob's literal start)
        if not prefix:
            continue
        for _c, _p, bid, macro, callee in sc.rows(
                "call", "t.callee >= ? AND t.callee < ? AND t.kind = 'macro'",
                (prefix, prefix + "\x7f"), "t.func, t.callee"):
            spec = spec_of(callee)
            if spec is None or len(spec) < 2 or macro in out:
                continue
            for (text,) in sc.conn.execute("SELECT text FROM sym WHERE blob_id = ? AND name = ? "
                                           "AND kind = 'macro'", (bid, macro)):
                params, body = parts(text)
                args = call_args(body, callee) if params else []
                k = _bare_param(args[spec[1] - 1], params) if len(args) >= spec[1] else None
                if k is not None:
                    out[macro] = k
                    break
    memo["all"] = out
    return out


def _calls_at(sc: Scope, refs) -> list[tuple]:
    """(blob, function, line, col, callee, args, guard_end) of the direct calls spanning
    the lines of `refs` (a constant's _const_refs rows), once per call."""
    out: dict[tuple, tuple] = {}
    for _c, _p, bid, line, func in refs:
        for cline, ccol, callee, args, gend in sc.conn.execute(
                "SELECT line, col, callee, args, guard_end FROM call WHERE blob_id = ? AND "
                "func = ? AND line <= ? AND end_line >= ? AND kind = 'direct'",
                (bid, func or "", line, line)):
            out.setdefault((bid, cline, ccol, callee), (bid, func, cline, ccol, callee, args, gend))
    return list(out.values())


def _passes(call: tuple, pos: int | None, const: str, names_flag) -> bool:
    """Does the call's argument `pos` (0-based) name `const`, not under `~`?"""
    a = json.loads(call[5] or "[]")
    return pos is not None and pos < len(a) and names_flag(a[pos], const) and \
        _CLEARED not in a[pos]


def _row(call: tuple) -> tuple:
    bid, func, line, col, callee, _args, gend = call
    return (bid, func, line, col, f"{callee}()", gend)


def or_raises(sc: Scope, const: str, refs, names_flag) -> list[tuple]:
    """(blob, function, line, col, via, guard_end) of the or_stores calls, and the uses of
    or_macros, whose value argument names `const` (refs: the const's _const_refs rows;
    names_flag: requests._names_flag)."""
    return _passing(sc, const, refs, names_flag, or_macros(sc), lambda c: _spec(sc, c))


def bit_tests(sc: Scope, const: str, refs, names_flag) -> list[tuple]:
    """(blob, function, line, col, via, guard_end) of the calls of the profile's [reads]
    bit_tests APIs, and the uses of test_macros, whose bit argument names `const`:
    `test_bit(KVM_APIC_INIT, &apic->pending_events)`, `boot_cpu_has(X86_FEATURE_CONSTANT_TSC)`
    test it, as `x & BIT(C)` does."""
    return _passing(sc, const, refs, names_flag, test_macros(sc), lambda c: _test_spec(sc, c))


def _passing(sc: Scope, const: str, refs, names_flag, macros: dict[str, int],
             spec_of) -> list[tuple]:
    """The rows of the calls at `refs` (of an API whose [address, value] positions spec_of
    gives, or of a macro over one: `macros`, its value parameter) passing `const` there."""
    def value_pos(callee: str) -> int | None:
        if callee in macros:
            return macros[callee]
        spec = spec_of(callee)
        return spec[1] - 1 if spec is not None and len(spec) >= 2 else None
    return [_row(c) for c in _calls_at(sc, refs) if _passes(c, value_pos(c[4]), const, names_flag)]


def param_mask_macros(sc: Scope, names: list[str]) -> dict[str, int]:
    """Of the function-like macros `names`, those whose body masks parameter k with `&`
    (`RT_BOOL(ASMAtomicUoReadU32(&(pVCpu)->hm.s.fContextUseFlags) & (fFlags))`): -> k."""
    out = {}
    for name in names:
        for (text,) in sc.conn.execute("SELECT DISTINCT text FROM sym WHERE name = ? AND "
                                       "kind = 'macro'", (name,)):
            params, body = parts(text)
            for k, p in enumerate(params or []):
                if p.isidentifier() and _masks(body, p):
                    out[name] = k
                    break
    return out


def _masks(body: str, p: str) -> bool:
    """Does `body` AND the parameter `p` itself (`x & (p)`, `p & x`; not `&(p)->member`, an
    address, nor `p->m & x`, a member of what it points at)?"""
    q = re.escape(p)
    for m in re.finditer(rf"(?<![&])&(?![&=])\s*\(?\s*{q}\b(?!\s*\)?\s*(?:->|\.))", body):
        before = body[:m.start()].rstrip()
        if before[-1:].isalnum() or before[-1:] in ("_", ")", "]"):
            return True  # (a binary `&`: something on its left)
    return bool(re.search(rf"(?<![\w.>])\(?\s*{q}\s*\)?\s*&(?![&=])", body))


def param_mask_tests(sc: Scope, const: str, refs, names_flag) -> list[tuple]:
    """(blob, function, line, col, via, guard_end) of the uses of function-like macros that
    mask a parameter (param_mask_macros) passing `const` there: `HMCPU_CF_IS_PENDING(pVCpu,
    HM_CHANGED_GUEST_CR0)` tests it."""
    calls = _calls_at(sc, refs)
    masks = param_mask_macros(sc, sorted({c[4] for c in calls if sc.has_sym(c[4], ("macro",))}))
    return [_row(c) for c in calls if _passes(c, masks.get(c[4]), const, names_flag)]
