"""Which flag masks hold a flag, by evaluating their expressions: complements and full
masks that never name it, and masks that reach a test through a parameter.

`#define VMCPU_FF_ALL_REM_MASK (~(VMCPU_FF_HIGH_PRIORITY_PRE_RAW_MASK | VMCPU_FF_PDM_CRITSECT
| VMCPU_FF_TLB_FLUSH))` holds VMCPU_FF_TIMER (every flag but those), and `VMCPU_FF_ALL_MASK
(UINT32_MAX)` holds every flag; `_masks_of` in requests.py only finds masks whose body names
the flag. A halt method tests its `fMask` parameter, which VMR3WaitHalted fills with
VMCPU_FF_EXTERNAL_HALTED_MASK: that test is one of VMCPU_FF_TIMER too.

An expression holds a flag when: it is the flag; a macro whose definitions (any of them)
hold it; `~X` where X does not; `A | B` where either does; `A & B` where both do; a full
mask (UINT32_MAX, UINT64_MAX, ~0). Anything else (a number, a call) holds none.
"""
from __future__ import annotations

from vmxref.lazy import re, json

from vmxref.queries.base import Scope, marks
from vmxref.queries.macroforms import object_bodies, object_body, parts

_TOKENS = re.compile(r"[A-Za-z_]\w*|0[xX][0-9a-fA-F]+[uUlL]*|\d+[uUlL]*|[~|&()?:^]|\S")
_FULL = frozenset({"UINT32_MAX", "UINT64_MAX", "ULONG_MAX", "U32_MAX", "U64_MAX"})
_FULL32 = frozenset({"UINT32_MAX", "U32_MAX"})  # (no bit from 32 up: VMCPU_FF_ALL_MASK is
# UINT32_MAX, zero-extended against 6.1's 64-bit flag word, VMCPU_FF_VMX_NMI_WINDOW is bit 35)
MAX_DEPTH = 6  # macros of macros followed
MAX_FAMILY = 400  # macros of one prefix looked at for complements


def holds(sc: Scope, expr: str, const: str, depth: int = 0) -> bool:
    """Does the flag expression `expr` hold `const` (see module docstring)?"""
    toks = _TOKENS.findall(expr or "")
    try:
        value, _ = _or(sc, toks, 0, const, depth)
    except (IndexError, ValueError):
        return False
    return value


def _or(sc, toks, i, const, depth):
    v, i = _and(sc, toks, i, const, depth)
    while i < len(toks) and toks[i] in ("|", "^"):
        w, i = _and(sc, toks, i + 1, const, depth)
        v = v or w
    if i < len(toks) and toks[i] == "?":  # `c ? A : B`: either side
        a, i = _or(sc, toks, i + 1, const, depth)
        if i >= len(toks) or toks[i] != ":":
            raise ValueError("ternary")
        b, i = _or(sc, toks, i + 1, const, depth)
        v = a or b
    return v, i


def _and(sc, toks, i, const, depth):
    v, i = _unary(sc, toks, i, const, depth)
    while i < len(toks) and toks[i] == "&":
        w, i = _unary(sc, toks, i + 1, const, depth)
        v = v and w
    return v, i


def _unary(sc, toks, i, const, depth):
    t = toks[i]
    if t == "~":
        v, i = _unary(sc, toks, i + 1, const, depth)
        return not v, i
    if t == "!":  # (0 or 1: no flag)
        _v, i = _unary(sc, toks, i + 1, const, depth)
        return False, i
    if t == "(":
        if i + 2 < len(toks) and toks[i + 2] == ")" and toks[i + 1][0].isalpha() and \
                i + 3 < len(toks) and toks[i + 3] not in ("|", "&", ")", "?", ":", "^"):
            return _unary(sc, toks, i + 3, const, depth)  # a cast: `(uint32_t)~0`
        v, i = _or(sc, toks, i + 1, const, depth)
        if i >= len(toks) or toks[i] != ")":
            raise ValueError("parenthesis")
        return v, i + 1
    if t[0].isdigit():
        return False, i + 1  # (a number names no flag; `~0` is every flag)
    if t[0].isalpha() or t[0] == "_":
        if i + 1 < len(toks) and toks[i + 1] == "(":  # a call: opaque, unless it names the flag
            j, level = i + 1, 0
            while j < len(toks):
                level += toks[j] == "("
                level -= toks[j] == ")"
                if level == 0:
                    break
                j += 1
            return const in toks[i + 2:j], j + 1
        return _name_holds(sc, t, const, depth), i + 1
    raise ValueError(t)


def _name_holds(sc: Scope, name: str, const: str, depth: int) -> bool:
    if name == const:
        return True
    if name in _FULL:
        return name not in _FULL32 or (flag_value(sc, const) or 0) < 1 << 32
    if depth >= MAX_DEPTH:
        return False
    memo = sc.memo("_flag_holds")
    key = (name, const)
    if key not in memo:
        memo[key] = False  # (a macro defined through itself)
        memo[key] = any(holds(sc, body, const, depth + 1) or _number_holds(sc, body, const)
                        for body in object_bodies(sc, name))
    return memo[key]


def _number_holds(sc: Scope, body: str, const: str) -> bool:
    """Is `body` a mask written as a hex number (`UINT64_C(0x00000ffffffffffc)`) whose bits
    hold the value of `const` (a one-bit flag whose value is known)? A decimal is a count or
    a bit number, no mask."""
    if not _HEX.search(body) or (v := numeric(body)) is None or not one_bit(sc, const):
        return False
    return any(c is not None and v & c == c for c in map(numeric, object_bodies(sc, const)))


def flag_value(sc: Scope, const: str) -> int | None:
    """The value of a flag #defined as one number, or a bit of a #defined bit number
    (`RT_BIT_64(VMCPU_FF_VMX_NMI_WINDOW_BIT)`, `_BIT` being `35`), when every definition of
    the asked versions agrees; else None. (Memoised.)"""
    memo = sc.memo("_flag_value")
    if const not in memo:
        values = set()
        for body in object_bodies(sc, const):
            v = numeric(body)
            if v is None and (m := _BIT_NAMED.fullmatch(body.strip())) is not None:
                bits = {numeric(b) for b in object_bodies(sc, m.group(1))}
                v = 1 << bits.pop() if len(bits) == 1 and None not in bits else None
            values.add(v)
        memo[const] = values.pop() if len(values) == 1 else None
    return memo[const]


_BIT_NAMED = re.compile(r"\(?\s*(?:RT_BIT|RT_BIT_32|RT_BIT_64|BIT|BIT_ULL|_BITUL|_BITULL)\s*\(\s*"
                        r"([A-Za-z_]\w*)\s*\)\s*\)?")


# a bit written as a bit: `RT_BIT_64(3)`, `_BITUL(X86_CR0_WP_BIT)`, `(1 << 4)`
_BIT_OF = re.compile(r"\(?\s*(?:(?:BIT|BIT_ULL|_BITUL|_BITULL|RT_BIT|RT_BIT_32|RT_BIT_64)\s*\(\s*\w+"
                     r"\s*\)|\(?\s*1[uUlL]*\s*<<\s*\(?\w+\)?)\s*\)?")


def one_bit(sc: Scope, const: str) -> bool:
    """Is `const` #defined as one bit in every definition: a bit macro or shift, or a number
    written in hex with one bit set (`UINT64_C(0x0000000000000800)`; a decimal `16` is a count
    or a shift)? Flags are; counts, field values and masks are not. (Memoised.)"""
    memo = sc.memo("_one_bit")
    if const not in memo:
        def bit(t: str) -> bool:
            if _BIT_OF.fullmatch(t):
                return True
            v = numeric(t)
            return v is not None and v > 0 and v & (v - 1) == 0 and _HEX.search(t) is not None
        bodies = object_bodies(sc, const)
        memo[const] = bool(bodies) and all(bit(b.strip()) for b in bodies)
    return memo[const]


def complement_masks(sc: Scope, const: str, known: list[str]) -> list[str]:
    """Macros of the flag's family (`VMCPU_FF_`) that hold it without naming it: a
    complement that leaves it in, or a full mask."""
    words = const.split("_")
    if len(words) < 2:
        return []
    prefix = "_".join(words[:2]) + "_" if len(words) > 2 else words[0] + "_"
    rows = sc.conn.execute(  # (of the asked versions: 5.1's HM_CHANGED_GUEST_TR is RT_BIT(6),
        # 6.1.36's 0x400000; a value of one is no value of the other. DISTINCT before the
        # limit: a header's macro is one row per file that includes it otherwise)
        f"SELECT DISTINCT t.name, t.text FROM sym t {sc.files_join} WHERE t.kind = 'macro' "
        f"AND t.name >= ? AND t.name < ? LIMIT {MAX_FAMILY}",
        (prefix, prefix[:-1] + chr(ord(prefix[-1]) + 1))).fetchall()
    out = []
    values = {numeric(object_body(text) or "") for name, text in rows if name == const} - {None, 0}
    for name, text in rows:
        body = object_body(text)
        if body is None or name == const or name in known or name in out:
            continue
        body = body.replace("\\", " ")  # (a continued line: `A \\ | B`)
        if ("~" in body or any(f in body for f in _FULL)) and holds(sc, body, const):
            out.append(name)
        elif values and _HEX.search(body) and (v := numeric(body)) is not None and any(
                v != c and v & c == c for c in values):  # (a mask is written in hex; `22`
            # is a bit number, VMCPU_FF_CPUM_BIT)
            out.append(name)  # (written as a number: HM_CHANGED_GUEST_CR_MASK 0x7800000)
    return out


_HEX = re.compile(r"0[xX][0-9a-fA-F]+")
_INT = re.compile(r"(0[xX][0-9a-fA-F]+|\d+)[uUlL]*")
_BIT_MACRO = re.compile(r"(?:RT_BIT|RT_BIT_32|RT_BIT_64|BIT|BIT_ULL|_BITUL|_BITULL)\s*\(\s*(\d+)\s*\)")
_SHIFT = re.compile(r"\(?\s*1[uUlL]*\s*<<\s*(\d+)\s*\)?")
_WRAP = re.compile(r"(?:UINT64_C|UINT32_C|U64_C|ULL|_AC|_UL|_ULL)\s*\((.*?)(?:,\s*\w+)?\)")


def numeric(body: str) -> int | None:
    """The value of a #define body that is one number: a literal (`0x800000`, `0x1ULL`,
    `UINT64_C(0x0000000000800000)`), a bit (`RT_BIT_64(23)`, `BIT(3)`, `(1U << 5)`); else
    None."""
    t = body.strip()
    while t.startswith("(") and t.endswith(")") and t.count("(") == 1:
        t = t[1:-1].strip()
    if (m := _WRAP.fullmatch(t)) is not None:
        t = m.group(1).strip()
    if (m := _INT.fullmatch(t)) is not None:
        return int(m.group(1), 0) if not m.group(1).startswith("0") or m.group(1)[:2].lower() == "0x" \
            or m.group(1) == "0" else int(m.group(1), 8)
    if (m := _BIT_MACRO.fullmatch(t)) is not None or (m := _SHIFT.fullmatch(t)) is not None:
        return 1 << int(m.group(1))
    return None


def parameter_tests(sc: Scope, const: str, testers: dict[str, int]) -> list[tuple]:
    """Tests of a function's parameter (`VMCPU_FF_IS_ANY_SET(pVCpu, fMask)` in a halt method)
    where a call of the function passes a mask that holds `const`: (blob, function, line,
    col, via, guard_end) rows, as requests' tests."""
    from vmxref.queries import callsite
    from vmxref.queries.edges import graph
    g = graph(sc)
    out = []
    for bid, func, line, col, callee, args, guard_end in _param_testers(sc, testers):
        a = json.loads(args)
        i = testers[callee]
        params = g.params(func)
        if i >= len(a) or a[i].strip() not in params:
            continue
        k, pname = params.index(a[i].strip()), a[i].strip()
        for e in g.into(func):
            if func in testers and e.kind == "direct":
                continue  # a call of a test wrapper is listed itself (requests' wrappers)
            passed = callsite.args(sc, e)
            if k < len(passed) and _passes(sc, e.blob_id, e.caller, e.line, passed[k], const):
                out.append((bid, func, line, col, f"{callee} ({pname}, as passed by "
                                                   f"{e.caller} at {e.path}:{e.line})", guard_end))
                break
    return out


def _param_testers(sc: Scope, testers: dict[str, int]) -> list[tuple]:
    """Tester calls whose flag argument is a bare lower-case identifier, a parameter name of
    the calling function (memoised per scope)."""
    memo = sc.memo("_param_testers")
    if "rows" not in memo:
        rows = []
        names = sorted(testers)
        for _c, _p, bid, line, col, func, callee, args, gend in sc.rows(
                "call", f"t.callee IN ({marks(len(names))}) AND t.kind IN ('direct', 'macro')",
                tuple(names), "t.line, t.col, t.func, t.callee, t.args, t.guard_end"):
            a = json.loads(args) if args else []
            i = testers[callee]
            v = a[i].strip() if i < len(a) else ""
            if func and v.isidentifier() and not v.isupper() and sc.conn.execute(
                    "SELECT 1 FROM sym WHERE blob_id = ? AND scope = ? AND kind = 'param' AND "
                    "name = ? LIMIT 1", (bid, func, v)).fetchone():
                rows.append((bid, func, line, col, callee, args, gend))
        memo["rows"] = sorted(set(rows))
    return memo["rows"]


def _passes(sc: Scope, bid: int, func: str, line: int, arg: str, const: str) -> bool:
    """Does the argument text hold `const`: an expression that does, or a local of the
    caller set (before the call) to one (`const uint32_t fMask = !fIgnoreInterrupts ?
    VMCPU_FF_EXTERNAL_HALTED_MASK : ...`)?"""
    arg = arg.strip()
    if any(holds(sc, a, const) for a in alternatives(arg)):
        return True
    if not arg.isidentifier() or not func:
        return False
    for (value,) in sc.conn.execute(
            "SELECT value FROM assign WHERE blob_id = ? AND func = ? AND chain = ? AND line <= ? "
            "AND kind IN ('init', 'assign')", (bid, func, f'["v:{arg}"]', line)):
        if any(holds(sc, a, const) for a in alternatives(value or "")):
            return True
    return False


def alternatives(value: str) -> list[str]:
    """The values a `cond ? A : B` may have (A and B, each maybe a ternary again); [value]
    for any other expression."""
    depth, q = 0, -1
    for i, ch in enumerate(value):
        if ch in "([":
            depth += 1
        elif ch in ")]":
            depth -= 1
        elif depth == 0 and ch == "?" and q < 0:
            q, nested = i, 0
        elif depth == 0 and q >= 0 and ch == "?":
            nested += 1
        elif depth == 0 and q >= 0 and ch == ":":
            if nested:
                nested -= 1
            else:
                return [value[q + 1:i], *alternatives(value[i + 1:])]
    return [value]
