"""Trace events: the `TP_printk` format of each Linux tracepoint, as a log call of the event.

`TRACE_EVENT(kvm_entry, TP_PROTO(...), TP_ARGS(...), TP_STRUCT__entry(...),
TP_fast_assign(...), TP_printk("vcpu %u, rip 0x%lx", __entry->vcpu_id, __entry->rip))` prints
`kvm_entry: vcpu 0, rip 0xffffffff81000000` in trace_pipe. The normaliser erases these
invocations (their arguments are no C), so the original text is scanned here: one log-call
row per event, at its `TP_printk`, with the event's name as `func` and `TP_printk` as the
callee (`logline` puts `NAME: ` before the format and names the `trace_NAME()` calls).

Events of a class, `DECLARE_EVENT_CLASS(kvm_mmu_page_class, ..., TP_printk(...))` +
`DEFINE_EVENT(kvm_mmu_page_class, kvm_mmu_get_page, ...)`, get a row per event defined in the
same file (the class's name when there is none); `DEFINE_EVENT_PRINT` has its own format.
A `TP_printk` written in a #define body (a macro that defines events) is a row of the macro.
"""
from __future__ import annotations

import bisect
import re

from vmxref import logfmt
from vmxref.ctext import NOT_CALLS, NOT_CODE, jlist
from vmxref.indexer.normalize import arg_spans

# event-defining macro -> index of the argument naming the event (or class)
_NAMED_AT = {"TRACE_EVENT": 0, "TRACE_EVENT_CONDITION": 0, "TRACE_EVENT_FN": 0,
             "TRACE_EVENT_FN_COND": 0, "DECLARE_EVENT_CLASS": 0, "DEFINE_EVENT_PRINT": 1}
_INVOCATION = re.compile(r"\b(TRACE_EVENT\w*|DECLARE_EVENT_CLASS|DEFINE_EVENT\w*)\s*\(")
_LITERAL = re.compile(r'"((?:\\.|[^"\\\n])*)"')
_MACRO_START = re.compile(r"^[ \t]*#[ \t]*define[ \t]+(\w+)", re.M)


def _format_of(text: str, strings: dict[str, list[str]] | None = None) -> list[str]:
    """The formats of a TP_printk's first argument: its literals joined; a name #defined in
    the file as string literals is their text (`TP_printk(kvm_ack_irq_string, ...)`; one
    format per definition when #if branches define it twice); any other macro between them
    (a PRI* constant, a shared fragment) prints text of its own: `%s`."""
    outs, at = [""], 0
    for m in _PIECE.finditer(text):
        gap = text[at:m.start()].strip(" \t\n\\")
        at = m.end()
        if m.group(1) is not None:
            if gap:
                outs = [o + "%s" for o in outs]
            outs = [o + logfmt.unescape_c(m.group(1)) for o in outs]
            continue
        alts = (strings or {}).get(m.group(2))
        if gap or not alts:
            at = m.start()  # (not a string macro: text of its own, up to the next literal)
            continue
        outs = list(dict.fromkeys(o + a for o in outs for a in alts))[:MAX_FORMATS]
    return [o for o in outs if o]


_PIECE = re.compile(r'"((?:\\.|[^"\\\n])*)"|\b([A-Za-z_]\w*)\b')
_STRING_DEFINE = re.compile(r'^[ \t]*#[ \t]*define[ \t]+([A-Za-z_]\w*)[ \t]+'
                            r'((?:"(?:\\.|[^"\\\n])*"(?:[ \t]|\\\n)*)+)$', re.M)
MAX_FORMATS = 4  # formats of one TP_printk at most (string macros defined in #if branches)


def _string_defines(src: str) -> dict[str, list[str]]:
    """`#define NAME "..." "..."` of the file (string literals only): NAME -> its texts, one
    per definition."""
    out: dict[str, list[str]] = {}
    for m in _STRING_DEFINE.finditer(src):
        text = "".join(logfmt.unescape_c(x) for x in _LITERAL.findall(m.group(2)))
        if text not in out.setdefault(m.group(1), []):
            out[m.group(1)].append(text)
    return out


def _args(code: bytes, src: str, opn: int, close: int, commas: list[int]) -> list[str]:
    """The argument texts of an argument list (whitespace and line continuations collapsed)."""
    bounds = [opn, *commas, close]
    return [" ".join(src[a + 1:b].replace("\\\n", " ").split())
            for a, b in zip(bounds, bounds[1:])]


def trace_events(cx, dialect: str) -> None:
    """Append a log-call row per trace event defined in the file (see module docstring)."""
    src = cx._srcs
    if "TP_printk" not in src:
        return
    code_s = NOT_CODE.sub(lambda m: " " * len(m.group()), src)  # (same offsets)
    code = code_s.encode("latin-1")
    nl = cx.newlines()
    macros = [(m.start(), m.group(1)) for m in _MACRO_START.finditer(code_s)]
    starts = [a for a, _n in macros]
    printers = []   # (offset of TP_printk, event or class name, is a class)
    assigns = []    # (offset of TP_fast_assign, event or class name, is a class)
    strings = _string_defines(src) if "#" in src else {}
    classes: dict[str, list[str]] = {}
    for m in _INVOCATION.finditer(code_s):
        spans = arg_spans(code, m.end() - 1)
        if spans is None:
            continue
        opn, close, commas = spans
        kind = m.group(1)
        args = _args(code, code_s, opn, close, commas)
        bounds = [opn, *commas]
        _proto_types(cx, code, code_s, opn, close, nl)
        k = bisect.bisect_right(starts, m.start()) - 1
        in_define = k >= 0 and m.start() < _define_end(src, macros[k][0])
        if kind == "DEFINE_EVENT" or kind.startswith("DEFINE_EVENT_") and kind not in _NAMED_AT:
            if len(args) >= 2:  # DEFINE_EVENT(class, name, ...), DEFINE_EVENT_FN, _CONDITION
                classes.setdefault(args[0], []).append(args[1])
                if not in_define:
                    _event_sym(cx, args[1], bounds[1] + 1, f"{kind}({args[0]}, {args[1]}, ...)")
            continue
        i = _NAMED_AT.get(kind, 0)
        if not in_define and len(args) > i and args[i].isidentifier():
            _event_sym(cx, args[i], bounds[i] + 1, f"{kind}({args[i]}, ...)")
        if not in_define and len(args) > i and args[i].isidentifier():
            fa = code_s.find("TP_fast_assign", opn, close)
            if fa >= 0:
                assigns.append((fa, args[i], kind == "DECLARE_EVENT_CLASS"))
        at = code_s.find("TP_printk", opn, close)
        if at < 0 or len(args) <= i or not args[i].isidentifier():
            continue
        printers.append((at, args[i], kind == "DECLARE_EVENT_CLASS"))
    for at, name, is_class in assigns:
        for ev in (classes.get(name) or [name]) if is_class else [name]:
            _assign_calls(cx, code, code_s, at + len("TP_fast_assign"), f"trace_{ev}", nl)
    for at, name, is_class in printers:
        spans = arg_spans(code, at + len("TP_printk"))
        if spans is None:
            continue
        opn, close, commas = spans
        first = commas[0] if commas else close
        fmts = [f for f in _format_of(src[opn + 1:first], strings) if f.strip()]
        if not fmts:
            continue
        rest = _args(code, src, opn, close, commas)[1:]
        line = bisect.bisect_left(nl, at)
        col = at - nl[line - 1]
        k = bisect.bisect_right(starts, at) - 1
        end = _define_end(src, macros[k][0]) if k >= 0 else -1
        if at < end:  # in a #define: TRACE_EVENT_KVM_EXIT(kvm_exit) names the events
            events = _macro_events(code_s, end, macros[k][1])
            for ev in events:
                if ev != macros[k][1]:
                    use = re.search(rf"\b{re.escape(macros[k][1])}\s*\(\s*{ev}\b", code_s[end:])
                    if use:
                        _event_sym(cx, ev, end + use.end() - len(ev), f"{macros[k][1]}({ev})")
        else:
            events = (classes.get(name) or [name]) if is_class else [name]
        for ev in events:  # (the keys with `EVENT: `: "msr_%s %x = 0x%llx" has none alone)
            for fmt in fmts:
                keys = " ".join(logfmt.literal_keys(fmt, dialect, f"{ev}: "))
                cx.f.logcalls.append((line, col, ev, "TP_printk", fmt, 0, jlist(rest), keys))


_CALLED = re.compile(r"\b([A-Za-z_]\w*)\s*\(")


def _assign_calls(cx, code: bytes, code_s: str, paren: int, func: str,
                  nl: list[int]) -> None:
    """The calls in an event's `TP_fast_assign(...)` (at `paren`, the offset of its `(`), as
    calls of `trace_EVENT`, the function the tracepoint runs them in: `__entry->rip =
    kvm_rip_read(vcpu)` in kvm_entry's makes trace_kvm_entry a caller of kvm_rip_read (and
    a path from vcpu_enter_guest's `trace_kvm_entry(vcpu, ..)` goes on to it). The
    normaliser erases the invocation, so no tree has them."""
    spans = arg_spans(code, paren)
    if spans is None:
        return
    opn, close = spans[0], spans[1]
    for m in _CALLED.finditer(code_s, opn + 1, close):
        callee = m.group(1)
        if callee in NOT_CALLS or code_s[m.start() - 2:m.start()] == "->" or \
                code_s[m.start() - 1:m.start()] == ".":
            continue  # (a keyword; a member's call: no function of its name)
        inner = arg_spans(code, m.end() - 1)
        if inner is None:
            continue
        args = _args(code, cx._srcs, *inner)
        args = [] if args == [""] else [a[:160] for a in args]
        line = bisect.bisect_left(nl, m.start())
        col = m.start() - nl[line - 1]
        eline = bisect.bisect_left(nl, inner[1])
        cx.f.calls.append((line, col, func, callee, "direct", None, jlist(args), eline, None))
        cx.f.refs.append((callee, "call", line, col, func, None))


def _proto_types(cx, code: bytes, code_s: str, opn: int, close: int, nl: list[int]) -> None:
    """A type reference of each `struct NAME` in the event's TP_PROTO(...): the parser
    reads the macro's arguments as expressions (`refs pvclock_vcpu_time_info kind type`
    lists kvm_pvclock_update's prototype)."""
    at = code_s.find("TP_PROTO", opn, close)
    spans = arg_spans(code, at + len("TP_PROTO")) if at >= 0 else None
    if spans is None:
        return
    for m in _STRUCT.finditer(code_s, spans[0], spans[1]):
        off = m.start(1)
        line = bisect.bisect_left(nl, off)
        cx.f.refs.append((m.group(1), "type", line, off - nl[line - 1], "", None))


_STRUCT = re.compile(r"\b(?:struct|union)\s+([A-Za-z_]\w*)")


def _event_sym(cx, name: str, at: int, text: str) -> None:
    """Symbols of a trace event: its name and the `trace_NAME` function the tracepoint
    machinery generates (what the code calls), kind 'tracepoint', at the name (skipping
    the blanks before it)."""
    if name in cx.tracepoints:
        return
    cx.tracepoints.add(name)
    src = cx._srcs
    while at < len(src) and src[at] in " \t\r\n\\":
        at += 1
    nl = cx.newlines()
    line = bisect.bisect_left(nl, at)
    col = at - nl[line - 1]
    for n in (name, f"trace_{name}"):
        cx.f.syms.append((n, "tracepoint", line, col, line, "", None, 0, 0, text))


def _macro_events(code: str, end: int, macro: str) -> list[str]:
    """The first arguments of a macro's uses after its #define (ending at `end`):
    `TRACE_EVENT_KVM_EXIT(kvm_exit);` -> kvm_exit (the macro's own name when it has none)."""
    found = re.findall(rf"\b{re.escape(macro)}\s*\(\s*(\w+)\s*[,)]", code[end:])
    return list(dict.fromkeys(found)) or [macro]


def _define_end(src: str, start: int) -> int:
    """Offset of the newline ending the #define that starts at `start` (its last line has no
    continuation backslash); len(src) at the end of the file."""
    i = start
    while True:
        j = src.find("\n", i)
        if j < 0:
            return len(src)
        if not src[i:j].rstrip(" \t\r").endswith("\\"):
            return j
        i = j + 1
