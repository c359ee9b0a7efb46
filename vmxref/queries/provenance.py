"""`provenance TARGET [depth N]`: where a value comes from, hop by hop backwards.

From each write of the target, the assigned expression is taken apart: local variables lead
to their own writes in the same function; parameters lead to the arguments at each call
site; calls lead to the callee's `return` statements; member accesses lead to the writes
of that member (resolved by receiver type); out-parameters lead to the callee that fills
them. The result is a tree: each root is a write of the target, `extra["from"]` its hops.
"""
from __future__ import annotations

import json
import re
from fnmatch import fnmatchcase
from functools import partial

from vmxref.errors import VmxrefError
from vmxref.model import Site
from vmxref.queries import callsite, cases, contexts, lang
from vmxref.queries.base import Scope, closing, marks, split_args
from vmxref.queries.edges import ARG_EDGES, graph, uncast
from vmxref.queries.macro_uses import arg_chain
from vmxref.queries.lang import MAX_DEPTH
from vmxref.queries.profiles import profile_section
from vmxref.queries.readonly import _fills_table, const_param, fills
from vmxref.queries.types import parse_chain, resolver
from vmxref.schema import SYM_STATIC
from vmxref.queries.writes import writes

MAX_NODES = 160
MIN_ROOT_NODES = 12  # hops each root may take, however many roots share MAX_NODES
FANOUT = 6
_ASSIGNED = re.compile(r"\s*[A-Za-z_][\w.>\[\]-]*\s*(?<![<>!])=(?!=)\s*(.+)\Z", re.S)  # `v = 0`
_CHAIN = re.compile(r"\b([A-Za-z_]\w*)((?:\s*(?:->|\.)\s*[A-Za-z_]\w*)+)")
_CALL = re.compile(r"\b([A-Za-z_]\w*)\s*\(")
_IDENT = re.compile(r"\b([A-Za-z_]\w*)\b")
_MEMBER = re.compile(r"(?:->|\.)\s*[A-Za-z_]\w*")  # `->f`, `.f`: a member's name, no variable
_INDIRECT = re.compile(r"\)\s*\(|(?:->|\.)\s*[A-Za-z_]\w*\s*\(")  # `static_call(x)(`, `ops->f(`
_VALUE_LINES = 12  # lines below a write its value may go on over
_STRING = re.compile(r'"(?:[^"\\]|\\.)*"')  # a C string literal, whole
_ELSE_LINE = re.compile(r"\s*(?:\}\s*)?else\b")
_CONTROL = re.compile(r"\b(?:if|else|for|while|do|switch|case|default|return|goto|break|"
                      r"continue)\b|^\s*#")  # (a line between a write and its use that may
# skip the one or jump past the other; a preprocessor line may drop either)
_JUST_ABOVE = 8  # lines a member's write may lie above the use and still be all it sees
_RETURN_LINE = re.compile(r"\s*return\b")
_SUBSCRIPTS = re.compile(r"\[[^\[\]]*\]")
# `&x`, `&p->a.b[i]` as an operand (after `(`, `,`, `=`, `?`, `:` or at the start: not `a & b`)
_ADDRESS_OF = re.compile(r"(?:(?<=[(,=?:])|^)\s*&(?!&)\s*[A-Za-z_]\w*(?:\s*(?:->|\.)\s*[A-Za-z_]\w*"
                         r"|\s*\[[^\[\]]*\])*")
_SIZEOF = re.compile(r"\bsizeof\s*\((?:[^()]|\((?:[^()]|\([^()]*\))*\))*\)")  # (no value read)
# a cast: a parenthesised type name before an operand (`(u32)tmp`, `(unsigned long long)x`,
# `(struct kvm *)p`)
_CAST_TYPE = re.compile(r"\(\s*(?:(?:const|volatile|unsigned|signed|struct|union|enum)\s+)*"
                        r"[A-Za-z_]\w*(?:\s+(?:long|int|short|char))*\s*\**\s*\)(?=\s*[\w(])")
_KEYWORDS = frozenset({"sizeof", "return", "if", "while", "for", "switch", "NULL", "true",
                       "false", "struct", "union", "const", "unsigned", "signed", "int", "long",
                       "char", "short", "void", "bool"})
# type names of casts (`(u64)x`), but also names of variables (VirtualBox's `uint64_t u64;`):
# a variable of the function when it is one
_TYPE_WORDS = frozenset({"uint64_t", "uint32_t", "uint16_t", "uint8_t", "int64_t", "int32_t",
                         "u64", "u32", "u16", "u8", "s64", "s32"})


def _writes_section(sc: Scope) -> dict:
    from vmxref.queries.profiles import profile_section
    return profile_section(sc, "writes")


def _new_flow(method):
    """A hop that starts a new value flow (a return, a field's writes, a callee's fills):
    it carries no case constants of the flow that led to it (see _Walk.required)."""
    def run(self, *args, **kwargs):
        before, self.required = self.required, frozenset()
        try:
            return method(self, *args, **kwargs)
        finally:
            self.required = before
    run.__name__, run.__doc__ = method.__name__, method.__doc__
    return run


class _Walk:
    def __init__(self, sc: Scope, depth: int, asked: str = ""):
        self.sc, self.depth = sc, depth
        self.asked = asked  # (the target as asked: the depth marker's question to go on)
        self.tr = resolver(sc)
        self.g = graph(sc)
        self.seen: set[tuple] = set()
        self.found: set[tuple] = set()  # seen keys whose expansion gave hops
        self.open: set[tuple] = set()  # seen keys whose expansion is under way
        self.count = 0
        self.limit = MAX_NODES  # (the hops this root may reach: provenance shares them)
        # function -> the line of it the hop being expanded came in at (a call site reached
        # from a callee's parameter): the `case` labels governing that line decide which
        # calls of the function can lead there (see _case_rules_out)
        self.at: dict[str, int] = {}
        # the case-family constants the value being traced must have come with (MSR indices
        # the `case` labels governing a traced line name), carried up through the calls that
        # hand the same object on: `__kvm_set_msr(vcpu, MSR_IA32_XSS, ...)` cannot reach
        # `case MSR_IA32_TSC_DEADLINE` two calls down
        self.required: frozenset[str] = frozenset()
        # the compilation contexts (profile [entry] contexts) of the line being traced: a
        # return or a fill of another context is no source (a ring-3 root does not reach
        # `#else /* IN_RING0 */` code two returns down); a field's writes start afresh
        self.ctxs: frozenset[str] = frozenset()
        # function -> the calls of it (blob, line, col) that hand another object than the
        # asked one where the root write is made through a parameter (_foreign_calls)
        self.foreign: dict[str, set[tuple[int, int, int]]] = {}
        # the nodes being expanded, from the root down to the current one (file, line, col,
        # value, hop): one of them met again below itself is said to be shown above
        self.above: set[tuple] = set()
        # the subtrees shown so far (a node and the fingerprint of its sources): the same one
        # again, anywhere, is said to be shown above (one helper's subtree under four callers
        # of it, each in two contexts)
        self.shown: set[tuple] = set()
        self._prints: dict[int, tuple] = {}  # id(node dict) -> (the node: its id stays its
        # own while kept, its fingerprint)

    def node(self, site: Site, hop: str, level: int, ctx: dict | None = None) -> dict:
        me = (site.file, site.line, site.col, site.extra.get("value"), hop)
        if me in self.above:  # (the node itself again below it: a loop of the value)
            return {"hop": hop, "seen": True, "from": []}
        self.count += 1
        d = site.to_json()
        d.pop("member", None)  # (which member of an object handed on is asked: see out_param)
        d["hop"] = hop
        before = self.ctxs  # (the compilation contexts the trace is in: narrowed by this line's)
        cx = contexts.contexts(self.sc)
        bid = self.blob(site) if cx is not None and level < self.depth else None
        if bid is not None:
            here = cx.at(bid, site.line, site.file)
            self.ctxs = (before & here or here) if before else here
        self.above.add(me)
        try:
            d["from"] = self.sources(site, level + 1, ctx) if level < self.depth else \
                self._deeper() if self._goes_on(site, ctx) else []
        finally:
            self.ctxs = before
            self.above.discard(me)
        d["from"] = _once(d["from"])  # (a marker each hop once: those the walk made anywhere)
        if len(d["from"]) > 1 or any(n.get("from") or n.get("seen") for n in d["from"]):  # (a subtree worth
            # a pointer back to it, not one leaf)
            key = (me, "|".join(sorted({self._print(n) for n in d["from"]})))
            if key in self.shown:
                seen = {"hop": hop, "seen": True, "from": []}
                self._prints[id(seen)] = (seen, self._print(d))  # (as what it stands for:
                return seen  # the subtree above it repeats whole, it is said once too)
            self.shown.add(key)
        return d

    def _print(self, n: dict) -> str:
        """A fingerprint of a shown node and everything below it (memoised per node). A
        hop the walk traces once per key (a function's returns, a global's or a member's
        writes: `_again` says `shown above` for the next) is its label alone, as is a
        marker of one, so the subtree holding it and the one holding its marker agree."""
        got = self._prints.get(id(n))
        if got is None:
            hop = n["hop"]
            fp = repr(("ref", hop)) if n.get("seen") or hop.startswith(_TRACED_ONCE) else repr((
                n.get("file"), n.get("line"), n.get("col"), n.get("value"), hop,
                sorted({self._print(c) for c in n.get("from", [])})))
            got = self._prints[id(n)] = (n, fp)
        return got[1]

    def sources(self, site: Site, level: int, ctx: dict | None = None) -> list[dict]:
        """Hops that feed the value written at `site`. `ctx` maps a function whose `return`
        this is to the call that led here (its arguments are the parameters' values)."""
        value = site.extra.get("value", "")
        if site.extra.get("write_kind") == "out-param":
            return self.out_param(site, level, ctx)
        if (site.extra.get("write_kind") in ("whole-object", "incdec", "external")
                and not _at_offset(site.extra)) or not value:
            return []  # (external: set from outside the code, a module parameter; a store
            # at a computed offset is followed: vmcs12_write_any's field_value)
        value = _last_assigned(value)
        out: list[dict] = []
        bid = self.blob(site)
        func = site.function
        taken: set[str] = set()
        if (m := _CALL.match(value)) and m.group(1) in _macro_assigners(self.sc):
            taken.add(site.symbol)  # (`get_user(x, ptr)` writing x: x is what is written)
        # an address handed to a call that writes there is no source of the value
        # (`kvm_get_time_and_clockread(&ka->master_kernel_ns, ...)`); one it reads is
        # (`test_bit(KVM_APIC_INIT, &apic->pending_events)`)
        value = _conditions_dropped(_SIZEOF.sub(" ", value))
        if "&" in value and bid is not None:
            filled = self._filled_at(bid, func, site.line)
            value = _ADDRESS_OF.sub(lambda a: " " if _IDENT.findall(a.group(0))[-1:] and
                                    _IDENT.findall(a.group(0))[-1] in filled else a.group(0),
                                    value)
        flat = _unsubscripted(value)
        handed = self._followed_args(flat)  # (`vgettsc(&gtod->raw_clock, ..)`: an address
        # handed to a corpus function, which reads through it under its return: no value)
        for m in _CHAIN.finditer(flat):
            if flat[:m.start()].rstrip().endswith("&") and \
                    any(a <= m.start() < b for a, b in handed):
                continue
            base, rest = m.group(1), m.group(2)
            fields = [f for f in re.split(r"\s*(?:->|\.)\s*", rest) if f]
            taken.add(base)  # (its members are no names of their own: a local `mult` beside
            # `tk->tkr_mono.mult` in the value is one; the loop below skips member names)
            local = self.local_object(site, bid, func, base, fields, level, ctx)
            if local is not None:  # a struct local of this function: its own writes
                out += local
                continue
            through = self.param_member(site, bid, func, base, fields, level, ctx)
            if through is not None:  # a member of what a pointer parameter points at
                out += through
                continue
            chain = [f"v:{base}", *fields]
            qual = self.tr.struct_path(bid, func, chain) if bid else None
            if qual:
                owner, _, fld = qual[-1].rpartition(".")
                ftype = self.tr.field_type(owner, fld)
                if (m.group(0) != flat.strip() and self.tr.is_pointer(ftype)
                        and self.tr.struct_of(ftype) is not None):
                    continue  # a handle (apic->vcpu in nsec_to_cycles(apic->vcpu, ns)): no value
                owner, path = self._embedded_path(qual)
                just = self._set_just_above(site, bid, func, chain, owner, path, level)
                out += just if just is not None else self.field_writes(owner, path, level)
        called: set[str] = set()
        arg_spans = [(m.end(), closing(value, m.end() - 1)) for m in _CALL.finditer(value)]
        for m in _CALL.finditer(value):
            name = m.group(1)
            taken.add(name)
            if name in called:
                continue  # (every call of it is taken at once)
            if any(a <= m.start() < b for a, b in arg_spans) and self._handle_call(value, m):
                continue  # a handle handed to a call (`get_time_ref_counter(
                # hv_stimer_to_vcpu(stimer)->kvm)`): where it points, no value
            called.add(name)
            if name not in _KEYWORDS and name not in _TYPE_WORDS:
                # each call of it in the value, with its own arguments (`nsec_to_cycles(v,
                # new) - nsec_to_cycles(v, old)` on the lines below the write)
                calls = self.calls_in_value(bid, func, site.line, name,
                                            len(re.findall(rf"\b{re.escape(name)}\s*\(", value)))
                for call in calls or [None]:
                    keyed = self._keyed(site, name, call, level, returned=True) if call else None
                    if keyed is not None:  # (`kvm_lapic_get_reg(apic, APIC_TMICT)`: what
                        out += keyed  # was stored under that key, not the register file)
                        continue
                    out += self.returns(name, level, {**(ctx or {}), **call} if call else ctx)
        if _INDIRECT.search(value):
            out += self.indirect_returns(site, bid, level, ctx, taken)
        names = _MEMBER.sub(" ", _CAST_TYPE.sub(" ", _SUBSCRIPTS.sub("[]", value)))
        for m in _IDENT.finditer(names):
            # (an index is not the value, nor the type of a cast: `(u32)tmp`, nor what a
            # sizeof measures: `memdup_user(argp, sizeof(*p))`, nor a member's name)
            name = m.group(1)
            if name in taken or name in _KEYWORDS or name.isupper():
                continue
            taken.add(name)
            if bid is not None and uncast(value) != name and \
                    re.search(rf"[(,]\s*(?:\([^()]*\)\s*)?{re.escape(name)}\s*[,)]", value) and \
                    self.tr.is_pointer(self.tr.var_type(bid, func, name)):
                continue  # a pointer handed to a call: where it writes or reads, no value
            out += self.variable(site, bid, func, name, level, ctx)
        return _once(out)[: FANOUT * 3]

    def _handle_call(self, value: str, m) -> bool:
        """Is the call `m` in `value`, with the members it is followed by (`f(x)->kvm`), a
        pointer to a struct: a handle, as `apic->vcpu` is one?"""
        end = closing(value, m.end() - 1)
        typ = self.tr.return_type(m.group(1))
        for fld in re.findall(r"\s*(?:->|\.)\s*([A-Za-z_]\w*)",
                              re.match(r"(?:\s*(?:->|\.)\s*[A-Za-z_]\w*)*", value[end + 1:]).group(0)):
            owner = self.tr.struct_of(typ)
            typ = self.tr.field_type(owner, fld) if owner else None
        return self.tr.is_pointer(typ) and self.tr.struct_of(typ) is not None

    def _set_just_above(self, site: Site, bid: int, func: str, chain: list[str], owner: str,
                        path: tuple[str, ...], level: int) -> list[dict] | None:
        """The write of the member chain (`pKvmCpu->uTsc = TMCpuTickGetNoCheck(pVCpu);`) that
        the statements just above the use make, in its block, with only declarations,
        assignments without calls, comments or blank lines between (nothing there can change
        it): that write alone, not every write of the member in the corpus. None when there
        is no such write."""
        if bid is None or not func:
            return None
        row = self.sc.conn.execute(
            "SELECT line, col, op, value, kind FROM assign WHERE blob_id = ? AND func = ? AND "
            "chain = ? AND line < ? ORDER BY line DESC, col DESC LIMIT 1",
            (bid, func, json.dumps(chain), site.line)).fetchone()
        if row is None or row[4] != "assign" or row[2] != "=":
            return None
        lines = self.sc.store.lines(bid)
        line, use = row[0], site.line
        if use - line > _JUST_ABOVE or use > len(lines) or \
                _indent(lines, line) != _indent(lines, use) or not lines[line - 1].rstrip().endswith(";"):
            return None
        base = chain[0][2:]
        for text in lines[line:use - 1]:
            code = text.split("//")[0]
            if "(" in code or "{" in code or "}" in code or _CONTROL.search(code) or \
                    re.search(rf"\b{re.escape(base)}\s*=[^=]", code):
                return None  # (a call, a block, a branch, the pointer set anew)
        s = self.sc.site("provenance", self.cid(site), site.file, bid, line, row[1], func,
                         ".".join([base, *chain[1:]]), op=row[2], value=row[3], write_kind=row[4])
        return [self.node(s, f"field {owner}.{'.'.join(path)}, set just above", level)]

    def _followed_args(self, value: str) -> list[tuple[int, int]]:
        """The spans of the argument lists of the calls in `value` whose function the corpus
        defines (each such call is followed through its return, where its parameters are)."""
        out = []
        for m in _CALL.finditer(value):
            name = m.group(1)
            if name not in _KEYWORDS and name not in _TYPE_WORDS and \
                    self.sc.has_sym(name, ("function",)):
                out.append((m.end(), closing(value, m.end() - 1)))
        return out

    def _assigned(self, bid: int, func: str, name: str) -> bool:
        return bool(self.sc.conn.execute(
            "SELECT 1 FROM assign WHERE blob_id = ? AND func = ? AND field = ? AND chain = ?",
            (bid, func, name, json.dumps([f"v:{name}"]))).fetchone())

    def _goes_on(self, site: Site, ctx: dict | None = None) -> bool:
        """Would the value at `site` lead to hops of its own, by what sources() would follow
        (its first step only, no hop made): a member, a variable of the function, a global,
        a call of a function the corpus defines, a call through a pointer. A literal, a
        constant (`NSEC_PER_SEC`), a call outside the corpus (`rdtsc()`, `RTTimeNow(pTime)`),
        a [writes] fills call or a whole object's zeroing is a final source."""
        value, kind = site.extra.get("value", ""), site.extra.get("write_kind")
        defined = partial(self.sc.has_sym, kinds=("function",))
        if kind == "out-param":
            m = _CALL.match(value)
            return bool(m) and not fills(self.sc, site.extra.get("op", ""), value) and \
                defined(m.group(1))
        if (kind in ("whole-object", "incdec", "external") and not _at_offset(site.extra)) \
                or not value:
            return False
        value = _conditions_dropped(_SIZEOF.sub(" ", _last_assigned(value)))
        if _CHAIN.search(_unsubscripted(value)) or _INDIRECT.search(value):
            return True
        calls = {m.group(1) for m in _CALL.finditer(value)} - _KEYWORDS - _TYPE_WORDS
        if any(defined(c) for c in calls):
            return True
        bid, func = self.blob(site), site.function
        if bid is None or not func:
            return False
        params = self.g.params(func)
        for m in _IDENT.finditer(_CAST_TYPE.sub(" ", _SUBSCRIPTS.sub("[]", value))):
            name = m.group(1)
            if name in calls or name in _KEYWORDS or name.isupper():
                continue
            vtype = self.tr.var_type(bid, func, name)
            if uncast(value) != name and self.tr.is_pointer(vtype) and \
                    re.search(rf"[(,]\s*(?:\([^()]*\)\s*)?{re.escape(name)}\s*[,)]", value):
                continue  # (a pointer handed to a call)
            if name in params:  # (with a caller, or set in the body; not a context handle)
                if (self.tr.struct_of(vtype) is None or uncast(value) == name) and (
                        func in (ctx or {}) or self._assigned(bid, func, name) or
                        any(e.kind in ARG_EDGES and e.origin is None
                            for e in self.g.into(func))):
                    return True
            elif self.sc.conn.execute(
                    "SELECT 1 FROM sym WHERE blob_id = ? AND scope = ? AND name = ? AND "
                    "kind = 'local'", (bid, func, name)).fetchone() or self.tr.has_global(name):
                return True
        return False

    def _deeper(self) -> list[dict]:
        """The marker under a node the depth limit stops at while its value goes on."""
        d: dict = {"hop": f"not followed: depth limit {self.depth}", "depth_limit": self.depth}
        if self.asked and self.depth < MAX_DEPTH:
            d["deeper"] = f"provenance {self.asked} depth {min(self.depth + 4, MAX_DEPTH)}"
        d["from"] = []
        return [d]

    def _filled_at(self, bid: int, func: str, line: int) -> set[str]:
        """Names (last member) of what the calls of a value written at `line` fill through
        an address (`f(&x)`, `f(&p->a)`: out-param rows of those lines)."""
        return {r[0] for r in self.sc.conn.execute(
            "SELECT field, op, value FROM assign WHERE blob_id = ? AND func = ? AND line "
            "BETWEEN ? AND ? AND kind IN ('out-param', 'whole-object') AND op LIKE '&%'",
            (bid, func or "", line, line + _VALUE_LINES))
            if not const_param(self.sc, r[1], r[2])}  # (`test_bit(n, &x)` reads x)

    def indirect_returns(self, site: Site, bid: int | None, level: int, ctx: dict | None,
                         taken: set[str]) -> list[dict]:
        """Returns of the functions a call through a table or pointer in the value reaches
        (`static_call(kvm_x86_get_interrupt_shadow)(vcpu)`: vmx_ and svm_get_interrupt_shadow;
        `pDevIns->pHlpR3->pfnTMTimeVirtGet(pDevIns)`: the helper bound to that member)."""
        if bid is None:
            return []
        out: list[dict] = []
        for e in self.g.out_of(site.function):
            if e.blob_id == bid and e.line == site.line and e.kind != "direct" \
                    and e.callee not in taken:
                taken.add(e.callee)
                out += self.returns(e.callee, level, ctx)
        return out

    def calls_in_value(self, bid: int | None, func: str, line: int, callee: str,
                       count: int) -> list[dict]:
        """The `count` calls of `callee` a value written at `line` holds (the call spanning
        the line, or the first ones below it: a value may go on over the next lines), each
        as {callee: (site, args)}."""
        if bid is None or count <= 0:
            return []
        rows = self.sc.conn.execute(
            "SELECT line, col, args FROM call WHERE blob_id = ? AND func = ? AND callee = ? "
            "AND end_line >= ? AND line <= ? ORDER BY line, col",
            (bid, func or "", callee, line, line + _VALUE_LINES)).fetchall()
        return [{callee: (bid, func, r[0], r[1], json.loads(r[2]))} for r in rows[:count]]

    def local_object(self, site: Site, bid, func: str, base: str, fields: list[str],
                     level: int, ctx: dict | None = None) -> list[dict] | None:
        """Writes, in this function before the site, of a struct variable declared here (not
        a pointer): `data.clock` after `copy_from_user(&data, ...)` comes from that copy, not
        from the writes of kvm_clock_data.clock elsewhere. None when `base` is no such local."""
        if bid is None or not func:
            return None
        t = self.tr.local_type(bid, func, base)
        if t is None or self.tr.is_pointer(t) or (self.tr.struct_of(t) or self.tr.named_type(t)) is None:
            return None
        decl = self.sc.conn.execute(  # (the declaration in force: two blocks may each
            # declare their own `cpuid`, of different types)
            "SELECT max(line) FROM sym WHERE blob_id = ? AND scope = ? AND name = ? AND "
            "kind = 'local' AND line <= ?", (bid, func, base, site.line)).fetchone()[0] or 0
        key = ("object", bid, func, base, decl, tuple(fields), _ctx_key(ctx))
        what = f"local {'.'.join([base, *fields])}"
        if not self._budget(key):
            return self._again(key, what)
        out = []  # (the writes of another variable's member of that name are left out)
        union = len(fields) == 1 and self._is_union(self.tr.struct_of(t) or self.tr.named_type(t))
        if union:  # every member of a union is the same storage: `exit_reason.full` is set
            # by `.basic = ...` and `exit_reason.basic = ...`
            found = self.sc.conn.execute(
                "SELECT line, col, op, value, kind, chain FROM assign WHERE blob_id = ? AND "
                "func = ? AND chain LIKE ? AND line <= ? AND line >= ? ORDER BY line",
                (bid, func, f'["v:{base}"%', site.line, decl)).fetchall()
            forms = lambda ch: True  # noqa: E731 (the variable, a member, a member of a
            # member: `u.s.Lo` of RTUINT64U, written by `rdtsc`'s outputs, is part of `u.u`)
        else:
            found = self.sc.conn.execute(
                "SELECT line, col, op, value, kind, chain FROM assign WHERE blob_id = ? AND "
                "func = ? AND field IN (?, ?) AND line <= ? AND line >= ? ORDER BY line",
                (bid, func, base, fields[-1], site.line, decl)).fetchall()
            forms = lambda ch: ch in ([f"v:{base}", *fields], [f"v:{base}"])  # noqa: E731
        rows = [r for r in found
                if (ch := list(parse_chain(r[5]))) and ch[0] == f"v:{base}" and forms(ch)
                and not self._other_arm(bid, func, r[0], site.line)
                and not (r[4] == "out-param" and const_param(self.sc, r[2], r[3]))]
        for line, col, op, value, kind, chain_t in rows[-FANOUT:]:
            s = self.sc.site("provenance", self.cid(site), site.file, bid, line, col, func, base,
                             op=op, value=value, write_kind=kind)
            ch = list(parse_chain(chain_t))
            if kind == "out-param" and len(ch) == 1:  # `get_kvmclock(kvm, &data)`: the callee
                s.extra["member"] = list(fields)  # fills data.clock (see out_param)
            hop = (f"local {'.'.join([base, *ch[1:]])}, a member of the same union"
                   if union and len(ch) >= 2 and ch[1:] != list(fields) else what)
            out.append(self.node(s, hop, level, ctx))
        return self._found(key, self._more(len(rows), FANOUT, what) + out)

    def _is_union(self, name: str | None) -> bool:
        return bool(name) and self.sc.has_sym(name, ("union",))

    def _other_arm(self, bid: int, func: str, line: int, at: int) -> bool:
        """Is `line` in another `case` arm, before it, of the switch whose arm holds `at`
        (`data &= ~(u64)0x40` under `case MSR_AMD64_NB_CFG` never reaches `case
        MSR_KVM_STEAL_TIME`'s use of data; fall-through aside)?"""
        if line >= at:
            return False
        group, top = cases.governing(self.sc, bid, func, at)
        if not group:
            return False
        g2, top2 = cases.governing(self.sc, bid, func, line)
        if not g2 or top2 == top or top2 > top:
            return False
        opened = cases.switch_line(self.sc, bid, top)
        return bool(opened) and opened == cases.switch_line(self.sc, bid, top2)

    def param_member(self, site: Site, bid, func: str, base: str, fields: list[str],
                     level: int, ctx: dict | None, depth: int = 3) -> list[dict] | None:
        """`msr_info->data` where msr_info is a pointer parameter: what the calls of the
        function hand over (`&msr` after `msr.data = data` in __kvm_set_msr: that member's
        writes there; a pointer parameter of the caller: its callers in turn), not every
        write of msr_data.data in the corpus. None when `base` is no pointer parameter or
        no call hands over a local struct or a parameter (the member's writes anywhere
        then stand, as before); a call handing anything else is shown as its argument."""
        if bid is None or not func or depth <= 0:
            return None
        params = self.g.params(func)
        if base not in params:
            return None
        ptype = self.tr.var_type(bid, func, base)
        if not self.tr.is_pointer(ptype) or self.tr.struct_of(ptype) is None:
            return None
        own = self._pointed_writes(site, bid, func, base, fields, level, ctx)
        if own is not None:  # (`data->host_tsc = rdtsc()` above the use: not the callers')
            return own
        idx = params.index(base)
        if ctx and func in ctx:
            calls = [ctx[func]]
        else:
            at = self.at.get(func, site.line)
            required = self.required | self._case_labels(func, bid, at)
            own_file = bid if self.g.static_in(func, bid) else None  # (see param)
            calls = [(e.blob_id, e.caller, e.line, e.col, callsite.args(self.sc, e))
                     for e in self.g.into(func) if e.kind in ARG_EDGES and e.origin is None
                     and not self._contradicts(e, required)
                     and not (own_file is not None and e.kind == "direct"
                              and e.blob_id != own_file)]
        skip = self.foreign.get(func, ())
        calls = [c for c in calls if idx < len(c[4]) and (c[0], c[2], c[3]) not in skip]
        if not calls:
            return None
        before_req = self.required
        if not (ctx and func in ctx):
            self.required = required  # (for the callers up the chain: see __init__)
        try:
            return self._param_member_calls(site, func, base, fields, idx, calls, level, ctx,
                                            depth)
        finally:
            self.required = before_req

    def _pointed_writes(self, site: Site, bid: int, func: str, base: str, fields: list[str],
                        level: int, ctx: dict | None) -> list[dict] | None:
        """Writes of `base->fields`, `base` a pointer parameter, in `func` above the site
        (`data->host_tsc = rdtsc()` before `... data->host_tsc)` in __get_kvmclock); None
        when there are none: the value then comes from the callers."""
        found = self.sc.conn.execute(
            "SELECT line, col, op, value, kind, chain FROM assign WHERE blob_id = ? AND "
            "func = ? AND field = ? AND line <= ? ORDER BY line, col",
            (bid, func, fields[-1], site.line)).fetchall()
        want = [f"v:{base}", *fields]
        rows = [r[:5] for r in found
                if (r[0], r[1]) < (site.line, site.col) and list(parse_chain(r[5])) == want
                and not self._other_arm(bid, func, r[0], site.line)
                and not self._other_branch(bid, r[0], site.line)
                and not (r[4] == "out-param" and const_param(self.sc, r[2], r[3]))]
        if not rows:
            return None
        key = ("pointed", bid, func, base, tuple(fields), site.line, _ctx_key(ctx))
        what = f"{base}->{'.'.join(fields)}, set in {func}()"
        if not self._budget(key):
            return self._again(key, what)
        out = []
        for line, col, op, value, kind in rows[-FANOUT:]:
            s = self.sc.site("provenance", self.cid(site), site.file, bid, line, col, func, base,
                             op=op, value=value, write_kind=kind)
            out.append(self.node(s, what, level, ctx))
        if not any(self._overwrites(r) for r in rows):  # (`x->n += 64`: and the value before)
            out += self._member_anywhere(site, base, fields, level)
        return self._found(key, self._more(len(rows), FANOUT, what) + out)

    def _overwrites(self, row: tuple) -> bool:
        """Does the write (line, col, op, value, kind) set the whole value (`=`, an
        initialiser, a [writes] fills call), not change it (`+=`, `++`)?"""
        _line, _col, op, value, kind = row
        return kind in ("assign", "init") and op == "=" or \
            kind == "out-param" and fills(self.sc, op, value)

    def _other_branch(self, bid: int, line: int, use: int) -> bool:
        """Is `line` in the then-branch of an `if` whose `else` holds `use` (by indentation:
        an `else` less indented than the write between them, the use inside its arm)?"""
        if line >= use:
            return False
        lines = self.sc.store.lines(bid)
        indent = partial(_indent, lines)
        at, iu = indent(line), indent(use)
        if at is None or iu is None:
            return False
        for n in range(line + 1, use):
            d = indent(n)
            if d is None or d >= at:
                continue
            if not _ELSE_LINE.match(lines[n - 1]):
                return False  # (the write's block ended some other way: not an if/else)
            return iu > d and all(
                (e := indent(k)) is None or e > d or lines[k - 1].strip() == "{"
                for k in range(n + 1, use))
        return False

    def _returns_first(self, bid: int, line: int, use: int) -> bool:
        """Does the block of the write on `line` return before the use on `use` (by
        indentation: a `return` as indented as the write, before anything less indented)?
        `if (!fTicking) { u64 = ...; ...; return u64; }` keeps that u64 from the code
        after the block. (`break` and `goto` may lead on to the use: not these.)"""
        if line >= use:
            return False
        lines = self.sc.store.lines(bid)
        wi = _indent(lines, line)
        if wi is None:
            return False
        for n in range(line + 1, min(use, len(lines) + 1)):
            d = _indent(lines, n)
            if d is None or d > wi:
                continue
            if d < wi:
                return False  # (the write's block ended without a return)
            if _RETURN_LINE.match(lines[n - 1]):
                return True
        return False

    def _member_anywhere(self, site: Site, base: str, fields: list[str],
                         level: int) -> list[dict]:
        """The writes of `base->fields` anywhere (named from its struct), `base` a pointer
        of site's function."""
        bid = self.blob(site)
        if bid is None:
            return []
        qual = self.tr.struct_path(bid, site.function, [f"v:{base}", *fields])
        if not qual:
            return []
        owner, path = self._embedded_path(qual)
        return self.field_writes(owner, path, level)

    def _param_member_calls(self, site: Site, func: str, base: str, fields: list[str],
                            idx: int, calls: list, level: int, ctx: dict | None,
                            depth: int) -> list[dict] | None:
        """param_member's hops, one per call handing the object over."""
        what = f"{base}->{'.'.join(fields)}, argument {idx + 1} of {func}()"
        out: list[dict] = []
        resolved = False
        outer = {f: c for f, c in (ctx or {}).items() if f != func}
        for cbid, caller, line, col, args in calls[:FANOUT]:
            files = self.sc.files_of(cbid)
            path = files[0][1] if files else site.file
            arg = uncast(args[idx])
            s = self.sc.site("provenance", self.cid(site), path, cbid, line, col, caller, base,
                             op="arg", value=args[idx], write_kind="argument")
            name = arg[1:].strip() if arg.startswith("&") else arg
            got = None
            if name.isidentifier() and arg.startswith("&"):  # (its writes before this call)
                before = self.sc.site("provenance", self.cid(site), path, cbid, line - 1, col,
                                      caller, base, op="arg", value=args[idx],
                                      write_kind="argument")
                got = self.local_object(before, cbid, caller, name, fields, level, outer)
            elif name.isidentifier():
                got = self.param_member(s, cbid, caller, name, fields, level, outer, depth - 1)
                if got is None and name not in self.g.params(caller) and \
                        self.tr.is_pointer(self.tr.var_type(cbid, caller, name)):
                    # a local pointer: the member's writes through it above the call, else
                    # where what it points at comes from when the function filled it
                    # (`kvm_sregs = memdup_user(argp, ...)`), not a handle it was given
                    got = self._pointed_writes(s, cbid, caller, name, fields, level, outer) \
                        or ([self.node(s, what, level, outer)]
                            if self._made_here(cbid, caller, name, line) else None)
            elif arg.startswith("&"):  # `&vcpu->hv_clock`: that member's own writes
                got = self._member_object(cbid, caller, name, fields, level)
            if got is not None:
                resolved = True
                out += got
            else:  # (a node only if some call resolves: see below; a parameter or `&...`
                # handed on: the member's writes, another expression: its value)
                out.append((s, not arg.startswith("&") and not name.isidentifier()))
        if not resolved:
            return None
        out = [n if isinstance(n, dict) else self.node(n[0], what, level, outer) if n[1]
               else self._handed_pointer(n[0], what, level, site, base, fields) for n in out]
        seen_again: set[str] = set()  # (several calls into here handing the same local)
        out = [n for n in out if not n.get("seen") or
               (n["hop"] not in seen_again and not seen_again.add(n["hop"]))]
        return self._more(len(calls), FANOUT, what) + out

    def _made_here(self, bid: int, func: str, name: str, line: int) -> bool:
        """Does `func` fill what its local pointer `name` points at, above `line`: a copy
        outside the corpus (`memdup_user(argp, ...)`, kmemdup, RTMemDup) or a call filling
        the whole object (`copy_from_user(save, ...)`)? A pointer taken from elsewhere
        (`vcpu = filp->private_data`, `per_cpu_ptr(...)`, `to_vmx(vcpu)`) is a handle, a
        fresh allocation (`kzalloc`) holds nothing yet."""
        for value, kind in self.sc.conn.execute(
                "SELECT value, kind FROM assign WHERE blob_id = ? AND func = ? AND field = ? "
                "AND chain = ? AND line <= ?", (bid, func, name, json.dumps([f"v:{name}"]),
                                                line)):
            m = _CALL.match(value or "")
            if kind == "whole-object" or m and "dup" in m.group(1).lower() \
                    and not self.g.is_function(m.group(1)):
                return True
        return False

    def _handed_pointer(self, s: Site, what: str, level: int, site: Site, base: str,
                        fields: list[str]) -> dict:
        """A call handing over a pointer whose member it does not set itself (nor its own
        callers through a local): the member's writes anywhere, as when no call resolves, not
        the pointer's value (TMNotifyStartOfExecution's `pVCpu` for pVCpu->tm.s.u64TSC is no
        source of the TSC; the writes of VMCPU.tm.s.u64TSC are). For a parameter handed on
        and for `&...` only: another pointer (a local, `map.hva + 0x400`) is traced as
        before, its own writes (`copy_from_user(save, ...)`) fill what it points at."""
        self.count += 1
        d = s.to_json()
        d.pop("member", None)
        d["hop"] = what
        d["from"] = self._member_anywhere(site, base, fields, level + 1) \
            if level < self.depth else self._deeper()
        return d

    def _member_object(self, bid: int, func: str, path_text: str, fields: list[str],
                       level: int) -> list[dict] | None:
        """The writes of `fields` of the member object whose address a call hands over
        (`kvm_hv_setup_tsc_page(v->kvm, &vcpu->hv_clock)`: kvm_vcpu_arch.hv_clock.tsc_shift,
        not every pvclock_vcpu_time_info.tsc_shift); None when the path does not resolve."""
        chain = arg_chain(path_text)
        if not chain or len(chain) < 2 or "[]" in chain:
            return None
        qual = self.tr.struct_path(bid, func, [*chain, *fields])
        if not qual:
            return None
        owner, path = self._embedded_path(qual)
        return self.field_writes(owner, path, level)

    def blob(self, site: Site) -> int | None:
        blobs = self.sc.blobs_of(site.file)
        return blobs[0] if blobs else None

    def _budget(self, key: tuple) -> bool:
        if key in self.seen or self.count >= self.limit:
            return False
        self.seen.add(key)
        self.open.add(key)  # (until _found: being expanded, above the hops made meanwhile)
        return True

    def _again(self, key: tuple, what: str) -> list[dict]:
        """A hop already expanded elsewhere in the tree into something, or being expanded
        above this one: said, not repeated (nothing when it led nowhere); when the node
        budget is spent, said so."""
        if key in self.found or key in self.open:
            return [{"hop": what, "seen": True, "from": []}]
        if key not in self.seen and self.count >= self.limit:
            return [{"hop": what, "cut": True, "from": []}]
        return []

    @staticmethod
    def _more(total: int, shown: int, what: str) -> list[dict]:
        """A marker for the sources of a hop left out (more than FANOUT)."""
        return [{"hop": what, "more": total - shown, "from": []}] if total > shown else []

    def _found(self, key: tuple, nodes: list[dict]) -> list[dict]:
        self.open.discard(key)
        if nodes:
            self.found.add(key)
        return nodes

    def _embedded_path(self, qual: list[str]) -> tuple[str, tuple[str, ...]]:
        """The member a chain reads, named from the outermost struct it is embedded in
        (`gtod->raw_clock.base_cycles`: pvclock_gtod_data.raw_clock.base_cycles, not every
        pvclock_clock.base_cycles, which clock.base_cycles is too); a pointer member ends it."""
        owner, _, fld = qual[-1].rpartition(".")
        path = [fld]
        for q in reversed(qual[:-1]):
            o, _, f = q.rpartition(".")
            t = self.tr.field_type(o, f)
            if not o or t is None or self.tr.is_pointer(t) or self.tr.is_array(t):
                break
            owner, path = o, [f, *path]
        return owner, tuple(path)

    @_new_flow
    def field_writes(self, owner: str, path: tuple[str, ...] | str, level: int) -> list[dict]:
        path = (path,) if isinstance(path, str) else path
        what = f"field {owner}.{'.'.join(path)}"
        if not self._budget(("field", owner, path)):
            return self._again(("field", owner, path), what)
        try:
            sites = [s for s in writes(self.sc, lang.Target(owner, path)) if _source_write(self.sc, s)]
        except VmxrefError:  # a member the corpus does not declare (an outside struct's)
            return self._found(("field", owner, path), [])
        before, self.ctxs = self.ctxs, frozenset()  # (shared state: written in any context)
        try:
            nodes = [self.node(s, what, level) for s in sites[:_fanout(len(sites))]]
        finally:
            self.ctxs = before
        return self._found(("field", owner, path),
                           nodes + self._more(len(sites), _fanout(len(sites)), what))

    @_new_flow
    def returns(self, func: str, level: int, ctx: dict | None = None) -> list[dict]:
        # (per call site when the callee has parameters: their values come from that call;
        # per compilation context of the call: `#ifdef IN_RING3 return ...; #else ...`)
        want = self._call_contexts((ctx or {}).get(func))
        key = ("ret", func, _ctx_key(ctx) if ctx and func in ctx and self.g.params(func) else None,
               want)
        if not self._budget(key):
            return self._again(key, f"return of {func}()")
        rows = returns_of(self.sc, func) + _macro_returns(self.sc, func)
        if want:
            cx = contexts.contexts(self.sc)
            rows = [r for r in rows if cx.at(r[2], r[3], r[1]) & want] or rows
        out = self._more(len(rows), _fanout(len(rows)), f"return of {func}()")
        for cid, path, bid, line, col, value in rows[:_fanout(len(rows))]:
            s = self.sc.site("provenance", cid, path, bid, line, col, func, func, op="return",
                             value=value, write_kind="return")
            out.append(self.node(s, f"return of {func}()", level, ctx))
        return self._found(key, out)

    def _call_contexts(self, call: tuple | None) -> frozenset[str]:
        """The compilation contexts of a call site (profile [entry] contexts; empty when the
        profile has none), within those of the trace so far (alone when the call is
        unknown)."""
        cx = contexts.contexts(self.sc)
        if cx is None:
            return frozenset()
        if call is None:
            return self.ctxs
        at = cx.at(call[0], call[2])
        return (at & self.ctxs or at) if self.ctxs else at

    def variable(self, site: Site, bid, func: str, name: str, level: int,
                 ctx: dict | None = None) -> list[dict]:
        if bid is None or not func:
            return []
        params = self.g.params(func)
        if name in params:
            ptype = self.tr.var_type(bid, func, name)
            if self.tr.struct_of(ptype) is not None and \
                    uncast(site.extra.get("value", "")) != name:
                return []  # a context handle (pVM, vcpu): it does not carry the value itself
                # (unless it is the value: `vcpu->arch.cpuid_entries = e2`)
            # the parameter's own assignments in the body (`off -= u64Sub`), then the value
            # it came in with
            own = self._local_writes(site, bid, func, name, level, ctx, f"parameter {name}")
            if ctx and func in ctx:  # reached from one call: that call's argument
                outer = {f: c for f, c in ctx.items() if f != func}
                return own + self.argument(site, ctx[func], params.index(name), name, level,
                                           outer)
            return own + self.param(func, params.index(name), name, level,
                                    (bid, self.at.get(func, site.line)))
        is_local = self.sc.conn.execute(
            "SELECT 1 FROM sym WHERE blob_id = ? AND scope = ? AND name = ? AND kind = 'local'",
            (bid, func, name)).fetchone()
        if is_local:
            return self._local_writes(site, bid, func, name, level, ctx, f"local {name}")
        if self.tr.has_global(name):
            key, what = ("global", name, self._static_in(bid, name)), f"global {name}"
            if not self._budget(key):
                return self._again(key, what)
            sites = self._global_writes(bid, site.file, name)
            return self._found(key, [self.node(s, what, level) for s in sites[:FANOUT]]
                               + self._more(len(sites), FANOUT, what))
        return []

    def _static_in(self, bid: int, name: str) -> bool:
        """Is `name` a file-scope static variable of that blob?"""
        return bool(self.sc.conn.execute(
            "SELECT 1 FROM sym WHERE blob_id = ? AND scope = '' AND name = ? AND kind = 'global' "
            f"AND flags & {SYM_STATIC}", (bid, name)).fetchone())

    def _global_writes(self, bid: int, path: str, name: str) -> list[Site]:
        """The writes of the variable `name` a use in that blob sees: the plain variable (not
        members of that name in other structs), in this file only when the file declares it
        static (`static unsigned int ref_freq` in tsc.c is no other driver's ref_freq)."""
        sites = [s for s in writes(self.sc, lang.Target(None, (name,)), members=False)
                 if not s.extra.get("container")]
        if self._static_in(bid, name):
            sites = [s for s in sites if s.file == path]
        return sites

    def _local_writes(self, site: Site, bid: int, func: str, name: str, level: int,
                      ctx: dict | None, what: str) -> list[dict]:
        """The assignments of a local (or a parameter) of `func` above the use at `site`."""
        element = json.dumps([f"v:{name}", "[]"])
        found = self.sc.conn.execute(  # the variable, or an element of it (`a[i] = x`)
            "SELECT line, col, op, value, kind, chain FROM assign WHERE blob_id = ? AND "
            "func = ? AND chain IN (?, ?) AND line <= ? ORDER BY line",
            (bid, func, json.dumps([f"v:{name}"]), element, site.line)).fetchall()
        elements = {(r[0], r[1]) for r in found if r[5] == element}
        rows = sorted([r[:5] for r in found] + self._assigned_by_macros(bid, func, name,
                                                                          site.line))
        rows = [r for r in rows if not self._holds(bid, r[0], r[1], site.line, site.col)]
        # (`data = f(data)`: the write is not yet made where its own value reads data)
        want = self._call_contexts((ctx or {}).get(func))
        if want:  # (the assignments the context of the call into here compiles)
            cx = contexts.contexts(self.sc)
            rows = [r for r in rows if cx.at(bid, r[0], site.file) & want] or rows
        rows = [r for r in rows if not self._other_arm(bid, func, r[0], site.line)
                and not contexts.other_arms(self.sc, bid, r[0], site.line)
                and not self._other_branch(bid, r[0], site.line)
                and not self._returns_first(bid, r[0], site.line)]
        if self.required:  # (`data = __canonical_address(data, ..)` under `case MSR_FS_BASE`
            # of __kvm_set_msr gives nothing to a value that came with MSR_IA32_TSC_ADJUST)
            rows = [r for r in rows if not self._other_labels(func, bid, r[0])]
        known = self._known_params(func, ctx)
        if known:  # (`if (fCheckTimers) u64 = TMVirtualSyncGet(pVM);` when every call on
            # the way passes `false` for it, also through a wrapper's own parameter)
            from vmxref.queries import guards
            rows = [r for r in rows if not guards.ruled_out(self.sc, bid, func, r[0], r[1],
                                                            known)] or rows
        rows = self._after_last_overwrite(bid, rows, site.line, elements)
        rows = self._dead_before(bid, func, name, rows, site.line, elements)
        # (the writes a use sees depend on where it is: `ns` at line 1681 sees the
        # `ns = ...` of 1679 that the use at 1676 does not; "shown above" only when same)
        if not rows:
            return []
        key = ("local", bid, func, name, _ctx_key(ctx), tuple(r[0] for r in rows),
               self.required)
        if not self._budget(key):
            return self._again(key, what)
        n = _fanout(len(rows))
        out = self._more(len(rows), n, what)
        came_in = self.at.get(func)
        if came_in is None:  # (a local set at the top of the function, `u64 data =
            # msr_info->data`, read under `case MSR_IA32_TSC_ADJUST`: the callers that hand
            # the value are those that can reach that case, not every one)
            self.at[func] = site.line
        try:
            return self._found(key, self._local_nodes(site, bid, func, name, rows[-n:], level,
                                                      ctx, what, out))
        finally:
            if came_in is None:
                self.at.pop(func, None)

    def _other_labels(self, func: str, bid: int, line: int) -> bool:
        """Is `line` under `case` labels of the family of the required constants, none of
        them required?"""
        labels = self._case_labels(func, bid, line)
        if not labels or labels & self.required:
            return False
        fam, _declared = cases.families(self.sc, cases.case_prefixes(self.sc))
        return not {fam(v) for v in labels}.isdisjoint(fam(v) for v in self.required)

    def _local_nodes(self, site: Site, bid: int, func: str, name: str, rows: list,
                     level: int, ctx: dict | None, what: str, out: list[dict]) -> list[dict]:
        """The hops of a local's assignments (_local_writes)."""
        for line, col, op, value, kind in rows:
            s = self.sc.site("provenance", self.cid(site), site.file, bid, line, col, func, name,
                             op=op, value=value, write_kind=kind)
            if kind == "asm":  # (inline assembly makes it of its inputs: those, at this level;
                # the asm itself when they give nothing new, so the value keeps a source)
                inner = self.sources(s, level, ctx) if level <= self.depth else []
                if any(not n.get("seen") for n in inner):
                    out = _once(out + inner)
                else:  # (inputs all shown above: the asm, they are said under it)
                    out.append(self.node(s, what, level, ctx))
                continue
            out.append(self.node(s, what, level, ctx))
        return out

    def _known_params(self, func: str, ctx: dict | None, depth: int = 4) -> dict[str, bool]:
        """Parameters of `func` whose value the calls in `ctx` fix as a literal (`false`,
        `NULL`, `1`), also one handed on from a caller's parameter they fix
        (`tmCpuTickGetInternal(pVCpu, false)` -> `tmCpuTickGetRawVirtual(pVM, fCheckTimers)`)."""
        call = (ctx or {}).get(func)
        if not call or depth <= 0:
            return {}
        from vmxref.queries import guards
        outer = None
        out: dict[str, bool] = {}
        for p, a in zip(self.g.params(func), call[4]):
            v = guards.literal_value(str(a))
            if v is None and str(a).strip().isidentifier():
                if outer is None:
                    outer = self._known_params(call[1], {k: c for k, c in ctx.items()
                                                         if k != func}, depth - 1)
                v = outer.get(str(a).strip())
            if p and v is not None:
                out[p] = v
        return out

    def _holds(self, bid: int, line: int, col: int, use: int, ucol: int) -> bool:
        """Is the place (use, ucol) inside the statement of the write at (line, col): the write
        itself, or its value (`data = __canonical_address(data, ...)`, also over the next
        lines), read before the write is made? Not when a `;` ends the write's statement or a
        parenthesis around the write closes before the place (`if ((x = f()) > 0) y = x;`)."""
        if (line, col) > (use, ucol) or use - line > _VALUE_LINES:
            return False
        if (line, col) == (use, ucol):
            return True
        lines = self.sc.store.lines(bid)
        if not 0 < line <= use <= len(lines):
            return False
        text = lines[line - 1][col - 1:ucol - 1] if use == line else "\n".join(
            [lines[line - 1][col - 1:], *lines[line:use - 1], lines[use - 1][:ucol - 1]])
        depth = 0
        for ch in _STRING.sub('""', text):
            if ch == ";" or ch == "{" or ch == "}":
                return False
            depth += ch in "([" and 1 or ch in ")]" and -1 or 0
            if depth < 0:
                return False
        return True

    def _assigned_by_macros(self, bid: int, func: str, name: str, line: int) -> list[tuple]:
        """(line, col, op, value, kind) of the uses, in `func` up to `line`, of the macros the
        profile's [writes] assigns_args says assign their argument (`do_div(tmp, from)`
        divides tmp in place), whose argument there is the variable `name`."""
        section = _writes_section(self.sc)
        modifies = section.get("modifies_args", {})
        table = {**section.get("assigns_args", {}), **modifies}
        if not table:
            return []
        out = []
        names = sorted(table)
        for cline, ccol, callee, args_t in self.sc.conn.execute(
                "SELECT line, col, callee, args FROM call WHERE blob_id = ? AND func = ? AND "
                f"line <= ? AND callee IN ({','.join('?' * len(names))})",
                (bid, func, line, *names)):
            args = json.loads(args_t or "[]")
            for pos in table.get(callee, ()):
                if pos <= len(args) and args[pos - 1].strip() == name:
                    # (as `writes` says it: `get_user(x, ptr)` assigns x, do_div divides it)
                    op, kind = (callee, "compound") if callee in modifies else ("=", "assign")
                    out.append((cline, ccol, op, f"{callee}({', '.join(args)})", kind))
        return out

    def _after_last_overwrite(self, bid: int, rows: list, use: int,
                              elements: set = frozenset()) -> list:
        """The rows a use at line `use` can see: an overwrite (`=`, an initialiser, a [writes]
        fills call: `SSMR3GetU64(pSSM, &u64)`) in the block of the use or one around it,
        with nothing between them leaving the write's block (by indentation: a closing brace
        or a label is less indented), hides the writes before it (`SSMR3GetU64(pSSM, &u64);
        x = u64; rc = SSMR3GetU64(pSSM, &u64); if (ok) y = u64;`: y's u64 is the second)."""
        if len(rows) < 2:
            return rows
        lines = self.sc.store.lines(bid)
        indent = partial(_indent, lines)
        at = indent(use)
        if at is None:
            return rows
        for i in range(len(rows) - 1, 0, -1):
            line, _col, op, value, kind = rows[i]
            wi = indent(line)
            if line >= use or wi is None or wi > at:
                continue  # (a write deeper than the use: in a block the use is not in)
            if not self._overwrites(rows[i]) or (line, _col) in elements:
                continue  # (`a[iLow] = 0` leaves the other elements)
            if any((d := indent(n)) is not None and d < wi for n in range(line + 1, use)):
                continue  # (the block of the write ends before the use)
            return rows[i:]
        return rows

    def _dead_before(self, bid: int, func: str, name: str, rows: list, use: int,
                     elements: set = frozenset()) -> list:
        """The rows a use at line `use` can see once the writes every way to it overwrites
        are left out. A write is dead when, after it, `if (v) x = a;` and `if (!v) x = b;` (or
        the two arms of one if/else) both overwrite x, v a plain local that nothing between
        the two tests changes and each test run on every way (in the use's block or a `do`
        body, not under a loop, switch or another if), each overwrite straight in its branch
        (no nested block, no goto/break/continue before it): kvm_guest_time_update's
        `kernel_ns = 0`, replaced under `if (use_master_clock)` in the seqcount loop and
        under `if (!use_master_clock)` after it. A write of 0 (NULL, false) is dead too after
        such a test `if (!x) x = ...;` of the traced local itself (`khz = 0; ... if (!khz)
        khz = tsc_khz;`): a 0 that reaches the test is replaced there."""
        if len(rows) < 2:
            return rows
        guards = self._guards(bid, func)
        if not guards:
            return rows
        lines = self.sc.store.lines(bid)
        covered: dict[tuple[str, bool], list[int]] = {}  # (var, value) -> if lines
        for row in rows:
            line, col = row[0], row[1]
            if line >= use or not self._overwrites(row) or (line, col) in elements:
                continue
            inside = [g for g in guards if (g[0], g[1]) <= (line, col) < (g[2], g[3])]
            if not inside:
                continue
            g = max(inside, key=lambda g: (g[0], g[1]))  # (the innermost branch)
            if g[2] >= use:
                continue
            key = _tested(g[4], g[5])
            at = _if_line(lines, g[0])
            if key is None or at is None or not _straight_in(lines, g, line) \
                    or not _always_runs(lines, at, use):
                continue
            covered.setdefault(key, []).append(at)
        if not covered:
            return rows

        def dead(row: tuple) -> bool:
            line = row[0]
            zero = (name, False)
            if row[3] is not None and row[3].strip() in _ZEROS and \
                    any(a > line for a in covered.get(zero, ())):
                return True
            for (var, val), ats in covered.items():
                if not val or (var, False) not in covered:
                    continue
                for a in (a for a in ats if a > line):
                    for b in (b for b in covered[(var, False)] if b > line):
                        lo, hi = min(a, b), max(a, b)
                        if not any(_changes(var, lines[n - 1]) for n in range(lo + 1, hi)):
                            return True
            return False
        return [r for r in rows if not dead(r)] or rows

    def _guards(self, bid: int, func: str) -> list[tuple]:
        """The plain-condition branches of a function (guard rows), memoised."""
        memo = self.sc.memo("provenance_guards")
        if (bid, func) not in memo:
            memo[(bid, func)] = self.sc.conn.execute(
                "SELECT line, col, end_line, end_col, cond, branch FROM guard WHERE "
                "blob_id = ? AND func = ?", (bid, func)).fetchall()
        return memo[(bid, func)]

    def argument(self, site: Site, call: tuple, idx: int, name: str, level: int,
                 ctx: dict | None) -> list[dict]:
        """The argument `idx` of the one call that led into this function."""
        bid, caller, line, col, args = call
        key, what = ("arg", bid, line, col, idx, _ctx_key(ctx)), \
            f"argument {idx + 1} ({name}) of {site.function}()"
        if idx >= len(args):
            return []
        if not self._budget(key):
            return self._again(key, what)
        files = self.sc.files_of(bid)
        s = self.sc.site("provenance", self.cid(site), files[0][1] if files else site.file, bid, line,
                         col, caller, name, op="arg", value=args[idx], write_kind="argument")
        return self._found(key, [self.node(s, what, level, ctx)])

    def param(self, func: str, idx: int, name: str, level: int,
              use: tuple[int, int] | None = None) -> list[dict]:
        """The argument `idx` of the calls of `func`: direct ones, and those through a
        static call or a function table it is bound to (`static_call(kvm_x86_set_hv_timer)
        (vcpu, guest_deadline_tsc, ...)` for vmx_set_hv_timer). A call passing a constant
        that the switch around the use (blob, line) sends elsewhere is left out
        (`set_cr(ctxt, 0, cr0)` gives no value to `case 4:`)."""
        from vmxref.queries.feasible import _switch_rules_out
        what = f"argument {idx + 1} ({name}) of {func}()"
        arm = cases.governing(self.sc, use[0], func, use[1]) if use else ((), 0)
        # (a static function of a source file is called by name from that file only:
        # timekeeping.c's update_pvclock_gtod is not x86.c's)
        own = use[0] if use and self.g.static_in(func, use[0]) else None
        key = ("param", func, idx, arm, own)
        if not self._budget(key):
            return self._again(key, what)
        params = self.g.params(func)
        calls, runs = self._forwarded(func, idx)  # (a request run with these arguments)
        for e in self.g.into(func):
            if e.kind not in ARG_EDGES or e.origin is not None:
                continue
            if e.kind == "pointer" and any(f"passed at {r}" in e.via for r in runs):
                continue  # (the request queue's call, with its copies of those arguments)
            if own is not None and e.kind == "direct" and e.blob_id != own:
                continue
            if arm[0] and _switch_rules_out(self.sc, e, func, use[0], use[1], params):
                continue
            if self._contradicts(e, self.required):
                continue  # (another MSR index than the traced value came with: see __init__)
            if (e.blob_id, e.line, e.col) in self.foreign.get(func, ()):
                continue  # (it fills another object than the asked one: _foreign_calls)
            a = callsite.args(self.sc, e)
            if idx < len(a):
                calls.append((e, a[idx]))
        out = self._more(len(calls), FANOUT, what)
        for e, value in calls[:FANOUT]:
            s = self.sc.site("provenance", e.cid, e.path, e.blob_id, e.line, e.col, e.caller,
                             name, op="arg", value=value, write_kind="argument")
            before = self.at.get(e.caller)
            self.at[e.caller] = e.line  # (the caller's hops below came in at this call)
            try:
                out.append(self.node(s, what, level))
            finally:
                if before is None:
                    self.at.pop(e.caller, None)
                else:
                    self.at[e.caller] = before
        return self._found(key, out)

    def _forwarded(self, func: str, idx: int) -> tuple[list[tuple], set[str]]:
        """The calls that hand `func` to a function of the profile's [provenance.forwards]
        (`VMR3ReqPriorityCallWaitU(pUVM, VMCPUID_ANY, (PFNRT)tmR3SetWarpDrive, 2, pUVM,
        u32Percent)`), which runs it with the arguments after it: ([(edge, argument idx)],
        the places of all of them as FILE:LINE). Its parameter idx comes from there, not from
        the request queue's call that passes copies of them (`u.pfn02(pauArgs[0],
        pauArgs[1])` in vmR3ReqProcessOne)."""
        from vmxref.queries.edges import Edge
        rules = profile_section(self.sc, "provenance").get("forwards", {})
        out, runs, seen = [], set(), set()
        for pat, rule in rules.items():
            fpos, first, param = (list(rule) + [1])[:3]
            for cid, path, bid, line, col, caller, callee, args_t in self.sc.rows(
                    "call", "t.callee GLOB ? AND t.args LIKE ?", (pat, f"%{func}%"),
                    "t.line, t.col, t.func, t.callee, t.args"):
                args = json.loads(args_t) if args_t else []
                if (bid, line, col) in seen or len(args) < fpos or \
                        uncast(args[fpos - 1]).lstrip("&").strip() != func:
                    continue
                seen.add((bid, line, col))
                k = first - 1 + idx - (param - 1)
                if idx >= param - 1 and k < len(args):  # (a parameter it forwards: pvUser
                    # of a rendezvous callback, not the pVM / pVCpu the runner passes)
                    runs.add(f"{path}:{line}")
                    out.append((Edge(cid, path, bid, line, col, caller, func, "registered",
                                     f"{callee}(..., {func}, ...)"), args[k]))
        return out, runs

    def _case_labels(self, func: str, bid: int, line: int) -> frozenset[str]:
        """The constants of one-value families (the profile's [entry] case_families: MSR
        indices) among the `case` labels governing `line` of `func` (none under a range)."""
        prefixes = cases.case_prefixes(self.sc)
        if not prefixes:
            return frozenset()
        stack = cases.case_values(self.sc, bid, func, line, prefixes)
        if not stack or "*" in stack:
            return frozenset()
        fam, declared = cases.families(self.sc, prefixes)
        return frozenset(v for v in stack if v and fam(v) in declared)

    def _contradicts(self, e, required: frozenset[str]) -> bool:
        """Does the call `e` pass a constant of a one-value family, also in a member of a
        local struct whose address it passes, other than those `required`? (efer_trap sets
        msr_info.index = MSR_EFER: its kvm_set_msr_common call never reaches `case
        MSR_IA32_TSC_DEADLINE`.)"""
        if not required or e.kind not in ARG_EDGES:
            return False
        prefixes = cases.case_prefixes(self.sc)
        fam, _declared = cases.families(self.sc, prefixes)
        passed = cases.passed_constants(self.sc, e, prefixes)
        for f in {fam(v) for v in required}:
            given = {c for c in passed if fam(c) == f}
            if given and not given & required:
                return True
        return False

    @_new_flow
    def out_param(self, site: Site, level: int, ctx: dict | None = None) -> list[dict]:
        m = _CALL.match(site.extra.get("value", ""))
        if not m:
            return []
        callee = m.group(1)
        op = site.extra.get("op", "")
        if fills(self.sc, op, site.extra.get("value", "")):
            return []  # a [writes] fills API: the value comes from what it reads (guest
            # memory, the saved state, user space), not from its internals' stores
        params = self.g.params(callee)
        pos = int(op[1:]) - 1 if op[1:].isdigit() else -1
        pname = params[pos] if 0 <= pos < len(params) else ""
        call = next(iter(self.calls_in_value(self.blob(site), site.function, site.line,
                                             callee, 1)), None)
        written = call or self._written_call(site, callee)  # (a call in a macro's body)
        keyed = self._keyed(site, callee, written, level) if written else None
        if keyed is not None:
            return keyed
        inner = {**(ctx or {}), **call} if call else ctx
        key = ("out", callee, pname, tuple(site.extra.get("member") or ()), _ctx_key(inner))
        if not self._budget(key):
            return self._again(key, f"filled by {callee}()")
        if pname:  # the writes through that parameter (`*pshift = ...` is not `*pmultiplier`)
            where, args = "t.func = ? AND t.chain = ?", (callee, json.dumps([f"v:{pname}", "*"]))
        else:
            where, args = "t.func = ? AND t.chain LIKE ?", (callee, '["v:%", "*"]')
        kinds = "t.kind IN ('assign', 'compound')"
        rows = [(*r, "assign") for r in self._stores_in(callee, f"{where} AND {kinds}", args)]
        member = site.extra.get("member")
        if pname:  # a struct filled member by member: `data->clock = ...` (the member asked
            # for, when known: `&data` for data.clock), and its own out-params
            mwhere, margs = (("t.func = ? AND t.chain = ?", (callee, json.dumps([f"v:{pname}", *member])))
                             if member else ("t.func = ? AND t.chain LIKE ? AND t.chain != ?",
                                             (callee, f'["v:{pname}", %', json.dumps([f"v:{pname}", "*"]))))
            rows += [(*r, "assign") for r in self._stores_in(callee, f"{mwhere} AND {kinds}", margs)]
            rows += [(*r, "out-param") for r in self._stores_in(
                callee, f"{mwhere} AND t.kind = 'out-param'", margs)]
            rows.sort(key=lambda r: (r[2], r[3], r[4]))
        if call and rows:  # (a store under `if (puAux)` when the call passes NULL there)
            rows = _passed_guards(self.sc, callee, params, call[callee][4], rows) or rows
        want = self._call_contexts(call.get(callee) if call else None)
        if want:  # (the writes the context of the call compiles: `#ifdef IN_RING3 *pu = ...`)
            cx = contexts.contexts(self.sc)
            rows = [r for r in rows if cx.at(r[2], r[3], r[1]) & want] or rows
        out = []
        for cid, path, bid, line, col, op, value, kind in rows[:FANOUT]:
            s = self.sc.site("provenance", cid, path, bid, line, col, callee, callee, op=op,
                             value=value, write_kind=kind)
            out.append(self.node(s, f"filled by {callee}()", level, inner))
        out += self._more(len(rows), FANOUT, f"filled by {callee}()")  # (said, not dropped)
        if pname:  # the pointer handed on: `do_monotonic_raw(kernel_ns, ...)` fills it there
            handed = self._handed_on(callee, pname, want)
            for cid, path, bid, line, col, inner_callee, pos, args_t in handed[:FANOUT]:
                s = self.sc.site("provenance", cid, path, bid, line, col, callee, callee,
                                 op=f"&{pos + 1}", value=f"{inner_callee}({', '.join(args_t)})",
                                 write_kind="out-param")
                if member:
                    s.extra["member"] = member
                out.append(self.node(s, f"filled by {callee}()", level, inner))
            out += self._more(len(handed), FANOUT, f"filled by {callee}(), handed on")
        return self._found(key, out)

    def _written_call(self, site: Site, callee: str) -> dict | None:
        """The call a write's value is, read from that text, as calls_in_value gives one: for
        a write made in the body of a macro used there (TM_CFG_PERIOD's `CFGMR3QueryU32(
        pCfgHandle, "CatchUpPrecentage" #iPeriod, &...)`), which has no call row of its own
        at the use; None when the value is no call of `callee`."""
        value = (site.extra.get("value") or "").strip()
        if not value.startswith(callee) or not value.endswith(")"):
            return None
        rest = value[len(callee):].lstrip()
        if not rest.startswith("("):
            return None
        return {callee: (self.blob(site), site.function, site.line, site.col,
                         split_args(rest[1:-1]))}

    def _keyed(self, site: Site, callee: str, call: dict, level: int,
               returned: bool = False) -> list[dict] | None:
        """A read of the value stored under a literal key (the profile's [provenance] keyed:
        `CFGMR3QueryU64(pNode, "TSCTicksPerSecond", &x)`): the values the corpus stores under
        that key (`CFGMR3InsertInteger(pRoot, "RamSize", 128U * _1M)`) and a *Def read's
        default, else a leaf saying the key is set from outside; None when no rule applies
        (the callee's stores are followed as for any out-parameter). `returned`: a read whose
        value is what the call returns, by a rule with `returns = true`; its key may also be
        a named constant (`kvm_lapic_get_reg(apic, APIC_TMICT)`)."""
        rule = next((r for pat, r in profile_section(self.sc, "provenance").get(
            "keyed", {}).items() if fnmatchcase(callee, pat)), None)
        if not isinstance(rule, dict) or bool(rule.get("returns")) != returned:
            return None
        args = call[callee][4]
        kpos = rule.get("key", 0)
        key = args[kpos - 1].strip() if 0 < kpos <= len(args) else ""
        if not (_STRING.fullmatch(key) or returned and key.isidentifier() and key.isupper()):
            return None
        what = f"stored under {key}"
        dpos = rule.get("default", 0)
        memo = ("keyed", key, call[callee][:4] if 0 < dpos <= len(args) else None)
        if not self._budget(memo):
            return self._again(memo, what)
        spos, vpos = rule.get("store_key", 0), rule.get("store_value", 0)
        out: list[dict] = []
        for cid, path, bid, func, line, col, store, args_t in self.sc.rows(
                "call", "t.callee GLOB ? AND t.args LIKE ?", (rule.get("stores", ""),
                                                              f"%{key.strip(chr(34))}%"),
                "t.func, t.line, t.col, t.callee, t.args"):
            sargs = json.loads(args_t or "[]")
            if 0 < spos <= len(sargs) and 0 < vpos <= len(sargs) and \
                    sargs[spos - 1].strip() == key:
                s = self.sc.site("provenance", cid, path, bid, line, col, func, store, op="arg",
                                 value=sargs[vpos - 1].strip(), write_kind="argument")
                out.append(self.node(s, f"{what} by {store}()", level))
        out = out[:FANOUT] + self._more(len(out), FANOUT, what)
        if 0 < dpos <= len(args):
            bid, caller, line, col, _a = call[callee]
            s = self.sc.site("provenance", self.cid(site), site.file, bid, line, col, caller,
                             callee, op="arg", value=args[dpos - 1].strip(),
                             write_kind="argument")
            out.append(self.node(s, f"default of {callee}() when {key} is not set", level))
        if not any("file" in n for n in out):
            out.append({"hop": f"{what}: no store of that key in the corpus" + (
                "" if returned else ", the value comes from the configuration"),
                "outside": True, "from": []})
        return self._found(memo, out)

    def _stores_in(self, func: str, where: str, args: tuple) -> list[tuple]:
        """The assignments of function `func` that match `where`, in the index's row order.
        Read through the blobs that define `func` (assign_blob): the assign table has no
        index on the function alone, and scanning it took 1 s on all of Linux. (The `func`
        of an assignment is a function, template or macro defined in its own blob: on
        linux-kvm, vbox-vmm and linux-big every one is; a name defined nowhere has none.)"""
        blobs = [b for (b,) in self.sc.conn.execute(
            "SELECT DISTINCT blob_id FROM sym WHERE name = ? AND kind IN ('function', "
            "'template', 'macro')", (func,))]
        rows = self.sc.rows_in("assign", "t.blob_id", blobs, where, args,
                               "t.rowid, t.line, t.col, t.op, t.value")
        rows.sort(key=lambda r: r[3])  # (stable: a blob's several paths keep their order)
        return [(*r[:3], *r[4:]) for r in rows]

    def _handed_on(self, func: str, pname: str, want: frozenset[str]) -> list[tuple]:
        """Calls in `func` that pass its pointer parameter `pname` on as an argument (the
        callee's out-parameter at that position), in the contexts `want` when given."""
        out = []
        cx = contexts.contexts(self.sc) if want else None
        for cid, path, bid, line, col, callee, kind, args_t in self.sc.rows(
                "call", "t.func = ? AND t.args LIKE ?", (func, f"%{pname}%"),
                "t.line, t.col, t.callee, t.kind, t.args"):
            args = json.loads(args_t) if args_t else []
            if pname not in (a.strip() for a in args) or (
                    cx is not None and not cx.at(bid, line, path) & want):
                continue
            pos = [a.strip() for a in args].index(pname)
            targets = [callee] if kind == "direct" else [  # (a helper table's function)
                e.callee for e in self.g.out_of(func) if (e.line, e.col) == (line, col)]
            for t in dict.fromkeys(targets):
                if (self.g.params(t) or self.sc.has_sym(t, ("function", "prototype"))
                        or not self.sc.has_sym(t, ("macro",))) and \
                        not const_param(self.sc, f"&{pos + 1}", f"{t}("):  # (RTTimeSpecGetNano
                    # only reads it; RTTimeNow, outside the corpus (its prototype and IPRT's
                    # mangling #define are), may fill it: a leaf; a macro's writes are
                    # expanded at its uses: RT_NOREF(pTime) is none)
                    out.append((cid, path, bid, line, col, t, pos, args))
        return out

    def foreign_calls(self, root: Site, asked: str | None) -> dict[str, set[tuple[int, int, int]]]:
        """For a root write made through a pointer parameter (`to->tsc_offset = ...` in a
        copy helper) when the asked member lies in a larger struct (vcpu_svm.nested.ctl),
        the calls of the function that hand that parameter the address of a local object
        (`&ctl_cached`): they fill the local, not the asked object, so what they hand the
        other parameters is no source (svm_set_nested_state's checked scratch copy)."""
        func, target = root.function, str(root.extra.get("target") or "")
        base = target.split(".", 1)[0]
        bid = self.blob(root)
        if not func or not base.isidentifier() or bid is None:
            return {}
        params = self.g.params(func)
        if base not in params:
            return {}
        ptype = self.tr.var_type(bid, func, base)
        held = self.tr.struct_of(ptype) if self.tr.is_pointer(ptype) else None
        if held is None or asked is None or (self.tr.struct_of(asked) or asked) == held:
            return {}  # (any object of the parameter's type is the asked one)
        idx, out = params.index(base), set()
        for e in self.g.into(func):
            if e.kind not in ARG_EDGES or e.origin is not None:
                continue
            a = callsite.args(self.sc, e)
            arg = uncast(a[idx]) if idx < len(a) else ""
            name = arg[1:].strip() if arg.startswith("&") else ""
            if name.isidentifier() and name not in self.g.params(e.caller) and \
                    (t := self.tr.local_type(e.blob_id, e.caller, name)) is not None and \
                    not self.tr.is_pointer(t):
                out.add((e.blob_id, e.line, e.col))
        return {func: out} if out else {}

    def cid(self, site: Site) -> int:
        for c in self.sc.corpus_ids:
            if self.sc.store.corpus_label(c) == (site.corpus, site.version):
                return c
        return self.sc.corpus_ids[0]


def _passed_guards(sc, callee: str, params: list[str], args: list, rows: list) -> list:
    """The stores of `rows` (in `callee`) that the call's literal arguments allow: one
    under `if (puAux)` is left out when the call passes NULL for puAux (guards.py reads
    the same `guard` facts for paths)."""
    from vmxref.queries import guards
    known = {p: v for p, a in zip(params, args)
             if p and (v := guards.literal_value(str(a))) is not None}
    if not known:
        return rows
    return [r for r in rows if not guards.ruled_out(sc, r[2], callee, r[3], r[4], known)]


def _last_assigned(value: str) -> str:
    """The value of a chained assignment's last right-hand side (`*tsc_timestamp = v = 0`:
    the value is 0, not v's others)."""
    while (m := _ASSIGNED.match(value)) is not None:
        value = m.group(1)
    return value


def _unsubscripted(value: str) -> str:
    """The value without its subscripts (`p->a[i].f` is the member path `p->a.f`: the index
    is no step of it)."""
    while _SUBSCRIPTS.search(value):
        value = _SUBSCRIPTS.sub("", value)
    return value


_TRACED_ONCE = ("return of ", "global ", "field ")  # (hops of the keys _budget/_again keep)


_FILLS = ("out-param", "whole-object")  # write kinds of a call or copy filling an object


def _once(nodes: list[dict]) -> list[dict]:
    """The hops with each `[...: shown above]` marker once (two uses of a value in one
    expression, two asm statements of the same inputs), and each write once: one found by
    two routes (`set in prepare_vmcs02()` through the pointer above the call, and among the
    member's writes anywhere) is the first route's."""
    # (a marker beside the argument hop it points at says nothing: `[argument 2 (u32) of
    # F(): shown above]` beside `argument 2 (u32) of F()`; the hop of a local or a member
    # names all of its writes, of which a node beside shows one: such a marker stays)
    said: set = {n["hop"] for n in nodes if not n.get("seen") and n.get("file")
                 and n["hop"].startswith("argument ")}
    routes: dict[tuple, str] = {}  # a write -> the hop it was first found by
    out = []
    for n in nodes:
        if n.get("seen"):
            if n["hop"] in said:
                continue
            said.add(n["hop"])
        elif n.get("file"):
            key = (n.get("file"), n.get("line"), n.get("col"), n.get("value"),
                   n["hop"] if n.get("write_kind") in _FILLS else None)  # (a call filling
            # an object is one write per member asked: `ts.tv_nsec + NSEC_PER_SEC *
            # ts.tv_sec` after kvm_get_walltime_and_clockread(&ts, ..) has two sources)
            if routes.setdefault(key, n["hop"]) != n["hop"]:
                continue  # (another route to it; the same route twice is two calls' contexts:
                # `f(a) - f(b)` returns for each its own argument)
        out.append(n)
    return out


def _fanout(total: int) -> int:
    """How many of `total` sources to show: all of up to FANOUT + 2 (a marker for one or two
    left out would hide them for a line's worth of text: TMAllCpu.cpp:446 and 450, the two
    ordinary TSC modes, were the two of eight a switch's cases left out), else FANOUT."""
    return total if total <= FANOUT + 2 else FANOUT


_ZEROS = frozenset({"0", "0U", "0UL", "0ULL", "0L", "0LL", "NULL", "false", "nullptr"})
_TESTED = re.compile(r"(!?)\(*\s*(!?)\s*([A-Za-z_]\w*)\s*\)*")
_IF_OPEN = re.compile(r"\bif\s*\(")
_DO_OPEN = re.compile(r"\s*(?:\}\s*)?do\s*\{?\s*$")
_JUMPS = re.compile(r"\b(?:goto|break|continue)\b")


def _tested(cond: str, branch: int) -> tuple[str, bool] | None:
    """(v, value of v in the branch) of a guard on a plain local, `(v)` or `(!v)`."""
    m = _TESTED.fullmatch(cond or "")
    if not m or (m.group(1) and m.group(2)):
        return None
    neg = bool(m.group(1) or m.group(2))
    return m.group(3), bool(branch) != neg


def _if_line(lines: list[str], start: int) -> int | None:
    """The line of the `if` (or `else`) whose branch starts on line `start`."""
    for n in range(start, max(start - 3, 0), -1):
        t = lines[n - 1] if n <= len(lines) else ""
        if _IF_OPEN.search(t) or _ELSE_LINE.match(t):
            return n
    return None


def _straight_in(lines: list[str], g: tuple, line: int) -> bool:
    """Is the write on `line` made whenever branch `g` runs: no goto, break or continue
    before it in the branch, and no block of the branch around it (by indentation)?"""
    if any(_JUMPS.search(lines[n - 1]) for n in range(g[0], line + 1)):
        return False
    if g[0] == g[2] or line == g[0]:
        return True
    body = [d for n in range(g[0] + 1, g[2]) if (d := _indent(lines, n)) is not None
            and lines[n - 1].strip() not in ("{", "}")]
    wi = _indent(lines, line)
    return wi is not None and bool(body) and wi <= min(body)


def _always_runs(lines: list[str], at: int, use: int) -> bool:
    """Does the statement on line `at` run on every way to the use on line `use`: each
    less indented line above it up to the use's level opens a `do` loop (run at least
    once) or a plain block, not a loop, switch, if or else?"""
    iu, here = _indent(lines, use), _indent(lines, at)
    if iu is None or here is None:
        return False
    n = at
    while here > iu:
        n -= 1
        while n > 0 and ((d := _indent(lines, n)) is None or d >= here
                         or lines[n - 1].lstrip().startswith(("#", "/*", "*", "//"))):
            n -= 1
        if n <= 0:
            return False
        t = lines[n - 1].strip()
        if not (_DO_OPEN.match(lines[n - 1]) or
                t == "{" and n > 1 and _DO_OPEN.match(lines[n - 2])):
            return False
        here = _indent(lines, n)
    return True


def _changes(var: str, text: str) -> bool:
    """Does this line assign, step or take the address of `var`?"""
    v = re.escape(var)
    return bool(re.search(rf"(?<![\w.>])\b{v}\s*(?:[-+*/%&|^]|<<|>>)?=(?!=)|"
                          rf"(?<![\w.>])\b{v}\s*(?:\+\+|--)|(?:\+\+|--)\s*{v}\b|&\s*{v}\b",
                          text))


def _indent(lines: list[str], n: int) -> int | None:
    """The indentation of line `n` (1-based) of a file's lines; None for a blank line."""
    t = lines[n - 1] if 0 < n <= len(lines) else ""
    return len(t) - len(t.lstrip()) if t.strip() else None


def _conditions_dropped(value: str) -> str:
    """`c ? a : b` -> `a : b` at any depth: a condition picks the value, it is none of it
    (`fExtrn & CPUMCTX_EXTRN_TSC_AUX ? aValues[0].Reg64 : CPUMGetGuestTscAux(pVCpu)`);
    GNU `c ?: b` keeps c, which is its value then."""
    if "?" not in value:
        return value
    out = list(value)
    starts = [0]  # where the operand being read at each parenthesis depth began
    for i, ch in enumerate(value):
        if ch in "([":
            starts.append(i + 1)
        elif ch in ")]":
            if len(starts) > 1:
                starts.pop()
        elif ch in ",;=" and not (ch == "=" and value[i + 1:i + 2] == "=") and \
                not (ch == "=" and i and value[i - 1] in "=!<>"):
            starts[-1] = i + 1
        elif ch == "?" and value[i + 1:].lstrip()[:1] != ":":
            for j in range(starts[-1], i + 1):
                if out[j] != "\n":
                    out[j] = " "
            starts[-1] = i + 1
    return "".join(out)


def _macro_assigners(sc: Scope) -> set[str]:
    """The profile's [writes] assigns_args and modifies_args macros (`get_user`, do_div)."""
    section = _writes_section(sc)
    return {*section.get("assigns_args", {}), *section.get("modifies_args", {})}


def returns_of(sc: Scope, func: str) -> list[tuple]:
    """(cid, path, blob, line, col, value) of the `return` statements of `func`, looked up in
    the blobs that define it (the (blob, function) key: a look-up by function alone scans
    every return of the corpus)."""
    blobs = sorted({r[2] for r in sc.rows("sym", "t.name = ? AND t.kind = 'function'", (func,),
                                          "1")})
    out = []
    for bid in blobs:
        out += sc.rows("assign", "t.blob_id = ? AND t.func = ? AND t.kind = 'return'",
                       (bid, func), "t.line, t.col, t.value")
    return sorted(out, key=lambda r: (r[1], r[3], r[4], r[0]))  # (by place: the same order
    # in every index of these sources)


def _macro_returns(sc: Scope, func: str) -> list[tuple]:
    """returns_of's rows for the uses in `func` of the profile's [provenance.returning]
    macros, which return one of their arguments (`AssertPtrReturn(pPoolPage,
    NIL_RTHCPHYS)`: NIL_RTHCPHYS), value = that argument."""
    from vmxref.queries.profiles import profile_section
    table = profile_section(sc, "provenance").get("returning", {})
    if not table:
        return []
    names = sorted(table)
    out = []
    for bid in sorted({r[2] for r in sc.rows("sym", "t.name = ? AND t.kind = 'function'",
                                             (func,), "1")}):
        for cid, path, b, line, col, callee, args in sc.rows(
                "call", f"t.blob_id = ? AND t.func = ? AND t.callee IN ({marks(len(names))})",
                (bid, func, *names), "t.line, t.col, t.callee, t.args"):
            a = json.loads(args)
            pos = int(table[callee]) - 1
            if 0 <= pos < len(a):
                out.append((cid, path, b, line, col, a[pos].strip()))
    return sorted(out, key=lambda r: (r[1], r[3], r[4], r[0]))


def _source_write(sc: Scope, s: Site) -> bool:
    """A write that gives the member a value of its own: not the zeroing or copying of a
    whole object around it, except a call that fills it (`kvm_read_guest(.., &hv->tsc_ref,
    ..)`, `copy_from_user(vmcs12, ...)`: the value comes from guest or user memory;
    [writes] fills of the profile), and a store at a computed offset into it
    (vmcs12_write_any's `*(u64 *)p = field_value`: L1's VMWRITE sets any field so)."""
    op = str(s.extra.get("op", ""))
    if s.extra.get("write_kind") != "whole-object" or op.startswith("&"):
        return True
    if op == "computed offset":
        return True
    value = str(s.extra.get("value", ""))
    return value.split("(", 1)[0].strip() == op and op in _fills_table(sc)


def provenance(sc: Scope, target, depth: int = 8) -> list[Site]:
    """Writes of `target`, each with the tree of where its value comes from."""
    w = _Walk(sc, depth, str(target))
    roots = [s for s in writes(sc, target) if _source_write(sc, s)]
    out = []
    for i, s in enumerate(roots):
        # (each root its share of the hops left: the first roots' trees do not use them
        # all up before the write the guest reads, last in file order, is expanded)
        w.limit = w.count + max(MIN_ROOT_NODES, (MAX_NODES - w.count) // (len(roots) - i))
        w.foreign = w.foreign_calls(s, getattr(target, "struct", None))
        node = w.node(s, "write", 0)
        s.kind = "provenance"
        s.extra["from"] = node["from"]
        s.extra["level"] = 0
        out.append(s)
    return out


def _ctx_key(ctx: dict | None) -> tuple:
    """The calls a context holds (its hops depend on all of them: div_frac() reached from
    kvm_get_time_scale() called at 3041 is not the one called at 3191)."""
    return tuple(sorted((f, c[:4]) for f, c in (ctx or {}).items()))


def root_value(d: dict) -> str:
    """How a provenance root's value is shown beside it: `= v`, an operator (`++`, `+= adj`),
    or where it is set from outside (`module_param`)."""
    kind, op, value = d.get("write_kind"), d.get("op", ""), d.get("value", "")
    if kind == "external":
        return f"set from outside: {op}"
    if kind in ("incdec", "compound") and op.startswith("&") and "(" in value:
        # a call that changes the object in place through its address (`set_bit(n, &x)`,
        # `ASMAtomicIncU32(&x)`)
        return f"changed in place by {value.split('(', 1)[0].strip()}(), argument {op[1:]}"
    if kind in ("incdec", "compound"):
        return f"{op} {value}".strip()
    if kind in ("whole-object", "out-param") and op != "=" and "(" in value:
        # a call fills the object through its address: not the call's return value
        at = f", argument {op[1:]}" if op.startswith("&") and op[1:].isdigit() else ""
        return f"filled by {value.split('(', 1)[0].strip()}(){at}"
    return f"= {value}"


def _at_offset(extra: dict) -> bool:
    """Is this write a store at a computed offset into the object (`*(u64 *)p =
    field_value`, p = (char *)vmcs12 + offset): its value is followed like an assignment's."""
    return extra.get("write_kind") == "whole-object" and extra.get("op") == "computed offset"


def _shown_value(n: dict) -> str:
    """The value of a hop with its operator when it is no plain `=`: `>>= 1`, `|= FLAG`, `++`."""
    op, value = n.get("op", ""), n.get("value", "")
    if n.get("write_kind") == "whole-object":  # (a fill through a pointer, a computed offset)
        if op == "computed offset" or "(" not in value:
            return value
        callee = value.split("(", 1)[0].strip()  # (op is the writer, memcpy, or `&N`: the
        at = f", argument {op[1:]}" if op.startswith("&") and op[1:].isdigit() else ""  # fill's
        return f"filled by {callee or op}(){at}"  # argument: CPUMR3CpuIdGetLeaf(pVM, &leaf..)
    if n.get("write_kind") == "external":  # `module_param(x, ...)`
        return f"{value}: set from outside ({op})"
    if op and op not in ("=", "arg", "return") and not op.startswith("&"):
        return f"{op} {value}".strip()
    return value


def tree_lines(site: Site) -> list[str]:
    """The provenance tree of one root, as indented text lines."""
    lines: list[str] = []

    def walk(nodes: list[dict], indent: int) -> None:
        for n in nodes:
            if n.get("seen"):
                lines.append(f"{'  ' * indent}<- [{n['hop']}: shown above]")
                continue
            if n.get("outside"):
                lines.append(f"{'  ' * indent}<- [{n['hop']}]")
                continue
            if n.get("more"):
                lines.append(f"{'  ' * indent}<- [{n['hop']}: {n['more']} more, not shown]")
                continue
            if n.get("depth_limit"):
                more = f"; {n['deeper']} goes on" if n.get("deeper") else ""
                lines.append(f"{'  ' * indent}<- [{n['hop']}{more}]")
                continue
            if n.get("cut"):
                lines.append(f"{'  ' * indent}<- [{n['hop']}: not followed, the walk's limit "
                             f"of {MAX_NODES} hops is reached; ask for it alone]")
                continue
            lines.append(f"{'  ' * indent}<- {n['file']}:{n['line']}: {n['function'] or '-'}: "
                         f"{_shown_value(n)}  [{n['hop']}]")
            walk(n.get("from", []), indent + 1)
    walk(site.extra.get("from", []), 1)
    return lines
