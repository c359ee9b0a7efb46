"""The name a function returns for a constant: `tmR3GetTSCModeNameEx(TMTSCMODE_REAL_TSC_OFFSET)`
is "RealTscOffset" when its body is a switch whose `case TMTSCMODE_REAL_TSC_OFFSET:` returns
that literal. logline matches a `%s` whose argument is such a call as that text, as it does
a string literal handed to `%s` (indexer: logfmt.inline_literals): of two statements with
one format, the one whose constant names the mode the line shows is the one that printed it,
and a statement whose constant names another prints none of it."""
from __future__ import annotations

from vmxref import logfmt
from vmxref.lazy import re, json
from vmxref.queries.base import Scope, split_args

_CALL = re.compile(r"(?P<f>[A-Za-z_]\w*)\s*\(\s*(?P<c>[A-Za-z_]\w*|\d+[uUlL]*)\s*\)")
_LIT = r'"(?:[^"\\\n]|\\.)*"'
MAX_BODY_LINES = 200  # a switch that names constants is short; a long function is no table


def with_case_names(sc: Scope, cid: int, fmt: str, dialect: str, args_t: str | None,
                    fmt_arg: int | None) -> str:
    """`fmt` with each `%s` whose argument is `f(CONSTANT)` replaced by the literal f returns
    for CONSTANT (see module docstring); `fmt` itself when none is known, when the call's
    format is not its literal first argument as written (a format the indexer changed, a
    macro's), or when the arguments were cut short."""
    if not args_t or fmt_arg is None or "(" not in args_t:
        return fmt
    args = json.loads(args_t)
    if args and args[-1].endswith("\u2026"):
        return fmt  # (cut short in the index)
    own = args[fmt_arg].strip() if fmt_arg < len(args) else ""
    if len(args) == fmt_arg + 1 and own.startswith("(") and own.endswith(")"):  # IPRT's
        args, fmt_arg = split_args(own[1:-1]), 0  # `Log(("fmt", a, b))`
    if fmt_arg >= len(args) or _decoded(args[fmt_arg]) != fmt:
        return fmt
    lits: list[str | None] = []
    for a in args[fmt_arg + 1:]:
        m = _CALL.fullmatch(a.strip())
        lits.append(case_name(sc, cid, m.group("f"), m.group("c")) if m else None)
    if not any(x is not None for x in lits):
        return fmt
    return logfmt.inline_literals(fmt, dialect, lits)


def case_name(sc: Scope, cid: int, func: str, const: str) -> str | None:
    """The string literal function `func` of corpus version `cid` returns under `case
    const:` of its switch (or its `default:` when no case names const), None when its body
    is not such a switch."""
    memo = sc.memo("_case_names")
    key = (cid, func, const)
    if key not in memo:
        memo[key] = _case_name(sc, cid, func, const)
    return memo[key]


def _case_name(sc: Scope, cid: int, func: str, const: str) -> str | None:
    defs = [r for r in sc.rows("sym", "t.name = ? AND t.kind = 'function'", (func,),
                               "t.line, t.end_line") if r[0] == cid]
    if len(defs) != 1 or not defs[0][4] or defs[0][4] - defs[0][3] > MAX_BODY_LINES:
        return None  # (none, several, or a body too long to be a table of names)
    _cid, _path, bid, first, last = defs[0]
    body = "\n".join(sc.store.lines(bid)[first - 1:last])
    switches = re.findall(r"\bswitch\s*\(\s*([A-Za-z_]\w*)\s*\)", body)
    head = body.split("{", 1)[0]  # (the declarator: its parameters)
    if len(re.findall(r"\bswitch\s*\(", body)) != 1 or len(switches) != 1 or \
            not re.search(rf"\b{switches[0]}\s*[,)]", head):
        return None  # (a switch on its parameter, the constant the call passes)
    labels = r"(?:(?:case\s+[\w\s|()]+?|default)\s*:\s*)*"
    for label in (rf"case\s+{re.escape(const)}\s*:", r"default\s*:"):
        m = re.search(rf"\b{label}\s*{labels}return\s+\(?\s*((?:{_LIT}\s*)+)\)?\s*;", body)
        if m:
            return _decoded(m.group(1))
        if label.startswith("case") and re.search(rf"\b{label}", body):
            return None  # (its case does something else than return a literal)
    return None


def _decoded(text: str) -> str | None:
    """The value of C string literals written one after the other (`"a" "b\\n"`), None when
    the text is anything else (the escapes read by logfmt.unescape_c)."""
    text = text.strip()
    pieces = re.findall(_LIT, text)
    if not pieces or re.sub(_LIT, "", text).strip():
        return None
    return "".join(logfmt.unescape_c(p[1:-1]) for p in pieces)
