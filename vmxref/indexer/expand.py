"""The bodies of the functions a pasting macro defines, read as the code they expand to.

`BUILD_KVM_GPR_ACCESSORS(rax, RAX)` defines kvm_rax_read and kvm_rax_write (the extractor
finds their names: macros.generated), whose bodies are the macro's: `vcpu->arch.regs[
VCPU_REGS_##uname] = val;`. The grammar leaves a #define's body unparsed, so nothing was
known of what they do: `writes kvm_vcpu_arch.regs` missed the fifteen accessors, `callees
ghcb_set_rax` was empty. For each file-scope use of such a macro defined in the same file,
its definition is expanded with the use's arguments (parameters replaced, `#param`
stringified, `##` pasted) in place: same lines as the #define, continuation backslashes
blanked, everything else of the file blank. That text is normalised, parsed and extracted
like a file, and the facts of the functions the use defines (their calls, assignments,
references, guards, cases, logging calls, parameters and locals) join the file's facts, at
the macro body's lines, under the functions' names. The functions' own symbols stay at the
use (`def kvm_rax_write` is `BUILD_KVM_GPR_ACCESSORS(rax, RAX)`).
"""
from __future__ import annotations

import re

from vmxref.queries.base import split_args  # (the queries' top-level comma split)

MAX_USES = 64  # expansions per file (a table of hundreds of uses is no accessor family)
MAX_BODY_LINES = 80
_TABLES = (("refs", 4), ("calls", 2), ("assigns", 2), ("logcalls", 2), ("cases", 2),
           ("guards", 4))  # Facts list, index of its function column


def generated_bodies(content: bytes, facts, extract_text) -> None:
    """Add to `facts` the facts of the bodies of the functions its file's pasting macros
    define at their uses (see module docstring). `extract_text(bytes)` normalises, parses
    and extracts one text as the worker does a file."""
    uses: dict[tuple[int, int, str], list[str]] = {}
    for s in facts.syms:  # (macros.generated: name, "function", line, col, line, "", None,
        # 0, 0, "MACRO(args)")
        if s[1] == "function" and s[2] == s[4] and s[9] and s[9].endswith(")") and "(" in s[9]:
            uses.setdefault((s[2], s[3], s[9]), []).append(s[0])
    if not uses:
        return
    defs = {s[0]: s[2] for s in facts.syms if s[1] == "macro" and s[9] and "##" in s[9]}
    lines = content.split(b"\n")
    done = 0
    for (_line, _col, used), names in uses.items():
        mname = used.split("(", 1)[0]
        if mname not in defs or done >= MAX_USES:
            continue
        text = _expansion(lines, defs[mname], mname, used)
        if text is None:
            continue
        done += 1
        got = extract_text(text)
        if got is not None:
            _take(facts, got, set(names))


_DEFINE = re.compile(rb"\s*#\s*define\s+([A-Za-z_]\w*)\(([^()]*)\)")


def _expansion(lines: list[bytes], line: int, mname: str, used: str) -> bytes | None:
    """The text of the file with only the macro's definition (at 1-based `line`) left,
    expanded with the arguments of `used` (`MACRO(a, b)`), or None when it cannot be."""
    if not 0 < line <= len(lines):
        return None
    m = _DEFINE.match(lines[line - 1])
    if m is None or m.group(1).decode() != mname:
        return None
    params = [p.strip() for p in m.group(2).split(b",")]
    args = [a.strip().encode() for a in split_args(used[len(mname) + 1:-1])]
    if len(args) != len(params) or not all(re.fullmatch(rb"[A-Za-z_]\w*", p) for p in params):
        return None
    body = [b" " * m.end() + lines[line - 1][m.end():]]
    k = line - 1
    while body[-1].rstrip().endswith(b"\\") and k + 1 < len(lines) and len(body) < MAX_BODY_LINES:
        k += 1
        body.append(lines[k])
    if body[-1].rstrip().endswith(b"\\"):
        return None  # (longer than MAX_BODY_LINES)
    text = b"\n".join(b[:b.rstrip().rfind(b"\\")] if b.rstrip().endswith(b"\\") else b
                      for b in body)
    if b"{" not in text:
        return None  # (no function body: declarations only)
    by = dict(zip(params, args))
    text = re.sub(rb"(?<![#\w])#\s*([A-Za-z_]\w*)",  # `#param`: its argument as a string
                  lambda x: b'"' + by[x.group(1)] + b'"' if x.group(1) in by else x.group(0),
                  text)
    text = re.sub(rb"\b[A-Za-z_]\w*\b", lambda x: by.get(x.group(0), x.group(0)), text)
    text = re.sub(rb"[ \t]*##[ \t]*", b"", text)
    return b"\n" * (line - 1) + text + b"\n"


def _take(facts, got, names: set[str]) -> None:
    """The rows of `got` that belong to the functions `names`, added to `facts`."""
    facts.syms.extend(s for s in got.syms if s[1] != "function" and s[5] in names)
    for attr, i in _TABLES:
        getattr(facts, attr).extend(r for r in getattr(got, attr) if r[i] in names)
