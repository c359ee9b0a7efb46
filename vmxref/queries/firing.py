"""Where a trace event that printed a line was fired: the `trace_EVENT(...)` calls that can
have printed it.

`TP_printk("msr_%s %x = 0x%llx%s", __entry->write ? "write" : "read", ...)` printing
`msr_write` says `__entry->write` was true; `TP_fast_assign(__entry->write = write; ...)`
and `TP_PROTO(unsigned write, u32 ecx, u64 data, bool exception)` say that is the first
argument of trace_kvm_msr(); a call that passes a literal for it (`#define
trace_kvm_msr_read(ecx, data) trace_kvm_msr(0, ecx, data, false)`) cannot have printed the
line. Calls whose argument is not a literal are kept.
"""
from __future__ import annotations

from vmxref.lazy import re, json

from vmxref.queries.base import Scope
from vmxref.queries.textcalls import call_args

MAX_EMITTERS = 200
_TERNARY = re.compile(r'\(?\s*__entry->(\w+)\s*\)?\s*\?\s*"((?:[^"\\]|\\.)*)"\s*:\s*"((?:[^"\\]|\\.)*)"')
_TRUE, _FALSE = frozenset({"1", "true"}), frozenset({"0", "false"})
LOOK_BACK = 80  # lines above a TP_printk searched for its event's TP_PROTO / TP_fast_assign


def emitters(sc: Scope, event: str, blob_id: int, line: int, args: list[str],
             spans: list[dict]) -> list[str]:
    """`path:line: function` of each call that fires `event` and can have printed the spans
    (a call in a wrapper macro's body stands for the macro's calls)."""
    want = _wanted_args(sc, blob_id, line, args, spans)
    rows = sc.rows("call", "t.callee IN (?, ?)", (f"trace_{event}", f"trace_{event}_rcuidle"),
                   "t.line, t.col, t.func, t.kind, t.args")
    out = [r for r in rows if r[6] != "macro" and _may_print(sc, json.loads(r[7] or "[]"), want)]
    macros = sorted({r[5] for r in rows if r[6] == "macro"
                     and _may_print(sc, _macro_args(sc, r[5], f"trace_{event}"), want)})
    if macros:
        out += sc.rows_in("call", "t.callee", macros, "t.kind != 'macro'", (),
                          "t.line, t.col, t.func, t.kind, t.args")
    return [f"{path}:{ln}: {func}" for _cid, path, _bid, ln, _col, func, _k, _a
            in sorted(out, key=lambda r: (r[1], r[3]))[:MAX_EMITTERS]]


def _may_print(sc: Scope, call_args: list[str], want: dict[int, bool]) -> bool:
    """False when a literal argument (or a constant #defined as one: KVM_PIO_OUT) contradicts
    the value the printed text requires."""
    for i, value in want.items():
        a = _literal(sc, call_args[i].strip() if i < len(call_args) else "")
        if (a in _TRUE and not value) or (a in _FALSE and value):
            return False
    return True


def _literal(sc: Scope, arg: str) -> str:
    """`arg`, or the literal an object-like macro of that name is #defined as."""
    if not arg.isidentifier() or arg in _TRUE or arg in _FALSE:
        return arg
    memo = sc.memo("trace_literals")
    if arg not in memo:
        texts = {(r[3] or "").strip().strip("()").strip() for r in sc.rows(
            "sym", "t.name = ? AND t.kind = 'macro'", (arg,), "t.text")}
        memo[arg] = texts.pop() if len(texts) == 1 else arg
    return memo[arg]


def _wanted_args(sc: Scope, blob_id: int, line: int, args: list[str],
                 spans: list[dict]) -> dict[int, bool]:
    """{argument position of the trace call: the truth value the printed text requires}."""
    fields: dict[str, bool] = {}
    for sp in spans:
        i = sp.get("arg", -1)
        m = _TERNARY.fullmatch(args[i].strip()) if 0 <= i < len(args) else None
        if m and m.group(2) != m.group(3) and sp.get("text") in (m.group(2), m.group(3)):
            fields[m.group(1)] = sp["text"] == m.group(2)
    if not fields:
        return {}
    lines = sc.store.lines(blob_id)
    text = " ".join(lines[max(0, line - 1 - LOOK_BACK):line - 1])
    proto = call_args(text, "TP_PROTO", last=True, limit=4000)
    params = [re.findall(r"\w+", p)[-1] if re.findall(r"\w+", p) else "" for p in proto]
    out = {}
    for field, value in fields.items():
        m = list(re.finditer(rf"__entry->{field}\s*=\s*(\w+)\s*;", text))
        if m and m[-1].group(1) in params:
            out[params.index(m[-1].group(1))] = value
    return out


def _macro_args(sc: Scope, macro: str, callee: str) -> list[str]:
    """The arguments of `callee` in the body of function-like macro `macro`."""
    for (text,) in sc.conn.execute("SELECT text FROM sym WHERE name = ? AND kind = 'macro' "
                                   "AND text LIKE '(%' LIMIT 1", (macro,)):
        return call_args(text, callee)
    return []
