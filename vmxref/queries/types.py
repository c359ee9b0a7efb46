"""Receiver type resolution: which struct a member access belongs to.

Works on the receiver chains of the extractor (`["v:pVM", "tm", "s", "cTSCTicksPerSecond"]`)
with the declared types of locals, parameters, globals and struct members, following
typedef chains (`PGIMKVMCPU -> GIMKVMCPU * -> struct GIMKVMCPU`). Lookups are cached per
query scope; nothing is loaded for the whole corpus.
"""
from __future__ import annotations

from functools import lru_cache

from vmxref.lazy import re, json
from vmxref.queries.base import IN_SCOPE, Scope

_PRIMITIVE = frozenset({"int", "char", "void", "long", "short", "unsigned", "signed", "float",
                        "double", "bool", "_Bool", "?", "u8", "u16", "u32", "u64", "s8", "s16",
                        "s32", "s64", "uint8_t", "uint16_t", "uint32_t", "uint64_t", "int8_t",
                        "int16_t", "int32_t", "int64_t", "size_t", "uintptr_t", "RTGCPHYS"})


def _most_declared(rows: list[tuple]) -> str | None:
    """The type most of these declarations give (rows end with the type), ties to the
    smallest name: the same answer whatever order the index returns the rows in (a typedef
    or struct declared differently per architecture, as msi_alloc_info_t is)."""
    counts: dict[str, int] = {}
    for r in rows:
        if r[-1] is not None:
            counts[r[-1]] = counts.get(r[-1], 0) + 1
    return min(counts, key=lambda t: (-counts[t], t)) if counts else None


def resolver(sc: Scope) -> "TypeResolver":
    """The TypeResolver of a scope, kept on it: every query of a long-lived scope (the
    shell, a report) shares what the earlier ones looked up."""
    tr = getattr(sc, "_types", None)
    if tr is None:
        tr = sc._types = TypeResolver(sc)  # type: ignore[attr-defined]
    return tr


class TypeResolver:
    """Resolves variable and chain types within one Scope (memoised)."""

    def __init__(self, sc: Scope):
        self.sc = sc
        self._typedef: dict[str, str | None] = {}
        self._field: dict[tuple[str, str], str | None] = {}
        self._structs: dict[str, bool] = {}
        self._global: dict[str, str | None] = {}
        self._has_global: dict[str, bool] = {}
        self._ret: dict[str, str | None] = {}
        self._conv: dict[str, str | None] = {}
        self._contains: dict[tuple[str, str], bool] = {}
        # struct -> every struct that embeds it, when a query walked them up (writes)
        self.holders: dict[str, frozenset[str]] = {}
        self._local: dict[tuple[int, str, str], str | None] = {}
        self._owner: dict[tuple[str, str], str] = {}
        self._declares: dict[tuple[str, str], list[tuple]] = {}
        self._bases: dict[str, list[str]] = {}
        self._orders: dict[str, list[str]] = {}  # struct -> members (field_order)
        # (base type, chain after the base, outside) -> struct_path: on all of Linux a
        # `writes` of a common member name resolves ~100k chains over a few thousand types
        self._paths: dict[tuple, tuple[str, ...] | None] = {}

    # --- primitive lookups -------------------------------------------------------------
    def typedef(self, name: str) -> str | None:
        if name not in self._typedef:
            self._typedef[name] = _most_declared(
                self.sc.rows("sym", "t.name = ? AND t.kind = 'typedef'", (name,), "t.type"))
        return self._typedef[name]

    def is_struct(self, name: str) -> bool:
        if name not in self._structs:
            r = self.sc.rows("sym", f"{IN_SCOPE} AND t.kind = 'field'", (name,), "1", limit=1)
            self._structs[name] = bool(r)
        return self._structs[name]

    def field_type(self, struct: str, field: str) -> str | None:
        key = (struct, field)
        if key not in self._field:
            self._field[key] = None  # (guards against inheritance cycles)
            typ = _most_declared(self._declared(struct, field))
            if typ is None:
                for base in self.bases(struct):
                    typ = self.field_type(base, field)
                    if typ is not None:
                        break
            self._field[key] = typ
        return self._field[key]

    def owner(self, struct: str, field: str) -> str:
        """The struct that declares `field`: `struct` itself or the base class it comes
        from (VMCPU for GVMCPU.fLocalForcedActions; `struct` when neither does)."""
        key = (struct, field)
        if key not in self._owner:  # (path searches ask again for every edge they weigh)
            self._owner[key] = self._owner_of(struct, field, 0)
        return self._owner[key]

    def _declared(self, struct: str, field: str) -> list[tuple]:
        """The field rows of `struct` itself named `field` (their types last), read once:
        field_type() takes the type, owner() whether there is one."""
        key = (struct, field)
        if key not in self._declares:
            self._declares[key] = self.sc.rows(
                "sym", f"{IN_SCOPE} AND t.kind = 'field' AND t.name = ?", (struct, field), "t.type")
        return self._declares[key]

    def _owner_of(self, struct: str, field: str, depth: int) -> str:
        if depth > 8 or self._declared(struct, field):
            return struct
        for base in self.bases(struct):
            if self.field_type(base, field) is not None:
                return self._owner_of(base, field, depth + 1)
        return struct

    def bases(self, struct: str) -> list[str]:
        """C++ base classes of a struct/class (struct names, typedefs resolved)."""
        if struct not in self._bases:
            self._bases[struct] = []  # (guards against inheritance cycles)
            out = []
            for row in self.sc.rows("sym", f"{IN_SCOPE} AND t.kind = 'base'", (struct,), "t.name"):
                b = self.struct_of(row[3])
                if b and b != struct and b not in out:
                    out.append(b)
            self._bases[struct] = out
        return list(self._bases[struct])

    def var_type(self, blob_id: int, func: str, name: str) -> str | None:
        """Declared type of a local/parameter of `func` in that blob, else of a global of
        that blob, else of the globals of that name elsewhere — each only when all its
        declarations agree (a name like `p` declared differently in many files designates
        none of them; nor does a file-scope `tmp` declared with three types, as the locals
        of macro-defined functions such as SYSCALL_DEFINE bodies are)."""
        if func:
            typ = self.local_type(blob_id, func, name)
            if typ is not None:
                return typ
        if blob_id:
            key = (blob_id, "", name)
            if key not in self._local:  # a global of this file (static, or its own extern)
                types = {t for (t,) in self.sc.conn.execute(
                    "SELECT type FROM sym WHERE blob_id = ? AND scope = '' AND name = ? "
                    "AND kind IN ('global', 'extern')", (blob_id, name))}
                self._local[key] = types.pop() if len(types) == 1 else None
            if self._local[key] is not None:
                return self._local[key]
        if name not in self._global:  # elsewhere: only when every declaration agrees
            types = {r[3] for r in self.sc.rows(
                "sym", "t.name = ? AND t.kind IN ('global', 'extern')", (name,), "t.type")}
            self._global[name] = types.pop() if len(types) == 1 else \
                None if types else self.object_macro_type(name)
        if self._global[name] is None and blob_id:
            return self.conventional_type(name)
        return self._global[name]

    def local_type(self, blob_id: int, func: str, name: str) -> str | None:
        """Declared type of a parameter or local `name` of `func` in that blob (its last
        declaration there), None when `func` declares no such name."""
        key = (blob_id, func, name)
        if key not in self._local:
            r = self.sc.conn.execute(
                "SELECT type, max(line) FROM sym WHERE blob_id = ? AND name = ? AND scope = ? "
                "AND kind IN ('param', 'local')", (blob_id, name, func)).fetchone()
            self._local[key] = r[0]
        return self._local[key]

    def know_locals(self, rows) -> None:
        """Take local_type of (blob, function, name, type) rows as known: a write's
        `assign.vtype` is the declared type of its chain's base variable in the writing
        function (its last declaration there, None when it declares none), which is what
        local_type would look up (indexer/extract.py _receiver_types)."""
        for b, func, name, typ in rows:
            if func:
                self._local.setdefault((b, func, name), typ)

    def prime_locals(self, keys) -> None:
        """local_type of many (blob, function, name) keys in one statement per 300, e.g. the
        receivers of every call site of an ops-table member."""
        todo = [k for k in dict.fromkeys(keys) if k[1] and k not in self._local]
        for i in range(0, len(todo), 300):
            chunk = todo[i:i + 300]
            found = {(b, s, n): t for b, s, n, t, _line in self.sc.conn.execute(
                "WITH k(b, s, n) AS (VALUES " + ",".join(["(?,?,?)"] * len(chunk)) + ") "
                "SELECT k.b, k.s, k.n, t.type, max(t.line) FROM k CROSS JOIN sym t INDEXED BY sym_blob "
                "ON t.blob_id = k.b AND t.scope = k.s AND t.name = k.n "
                "AND t.kind IN ('param', 'local') GROUP BY k.b, k.s, k.n",
                [x for k in chunk for x in k])}
            for k in chunk:
                self._local[k] = found.get(k)

    def has_global(self, name: str) -> bool:
        """Is a global (or extern) of that name declared anywhere in the scope? (memoised:
        `writes` asks it of every candidate row's variable, 158k times in a provenance on
        all of Linux)"""
        if name in self._global and self._global[name] is not None:
            return True
        if name not in self._has_global:
            self._has_global[name] = bool(self.sc.rows(
                "sym", "t.name = ? AND t.kind IN ('global', 'extern')", (name,), "1", limit=1))
        return self._has_global[name]

    def conventional_type(self, name: str) -> str | None:
        """The type most parameters named `name` have in the corpus (pVCpu, vcpu, pVM, kvm).

        Used only when no declaration is in sight: macro-generated parameter lists
        (FNIEMOP_DEF, IEM_CIMPL_DEF_n) declare `pVCpu` out of view.
        """
        if name not in self._conv:  # (counted in the asked corpus versions only: PVMCPU in
            # 5.1 and PVMCPUCC in 6.1 would make pVCpu ambiguous in an index holding both)
            r = self.sc.conn.execute(
                f"SELECT t.type, count(*) AS n FROM sym t INDEXED BY sym_name {self.sc.files_join} "
                "WHERE t.name = ? AND t.kind = 'param' GROUP BY t.type ORDER BY n DESC LIMIT 2",
                (name,)).fetchall()
            ok = r and r[0][1] >= 20 and (len(r) == 1 or r[0][1] >= 4 * r[1][1])
            self._conv[name] = r[0][0] if ok else None
        return self._conv[name]

    def return_type(self, func: str, depth: int = 0) -> str | None:
        """The type a call of `func` gives: a function's declared return type, or what a
        function-like macro's body is (macro_type)."""
        if func not in self._ret:
            self._ret[func] = None  # (recursion)
            self._ret[func] = _most_declared(self.sc.rows(
                "sym", "t.name = ? AND t.kind IN ('function', 'prototype')", (func,), "t.type")
            ) or (self.macro_type(func, depth) if depth < 4 else None)
        return self._ret[func]

    def macro_type(self, macro: str, depth: int = 0) -> str | None:
        """The type of a function-like macro's body, when it says: a cast
        (`((PPGMPHYSHANDLERTYPEINT)MMHyperHeapOffsetToPtr(..))`), a call of a function or
        macro of known type (`PGMPHYSHANDLERTYPEINT_FROM_HANDLE(a_pVM, ..)`), or a member
        path from a parameter that one struct of the corpus spells (`&(pmc)->vcpu->arch.pmu`:
        kvm_pmc.vcpu, kvm_vcpu.arch, kvm_vcpu_arch.pmu: a `kvm_pmu *`)."""
        from vmxref.queries.macroforms import parts
        types = set()
        for (text,) in self.sc.conn.execute(
                "SELECT DISTINCT text FROM sym WHERE name = ? AND kind = 'macro' AND text LIKE '(%'",
                (macro,)):
            params, body = parts(text)
            if params is None or not body:
                continue
            t = self._expression_type(body.replace("\\", " "), params, depth)
            if t:
                types.add(t)
        return types.pop() if len(types) == 1 else None

    def object_macro_type(self, macro: str) -> str | None:
        """The type of an object-like macro used as a variable, when every definition's
        body says the same (macro_type's rules without parameters): Linux's `#define
        current get_current()` is a `task_struct *`, so `current->restart_block.fn` is a
        member of task_struct."""
        types = set()
        for (text,) in self.sc.conn.execute(
                "SELECT DISTINCT text FROM sym WHERE name = ? AND kind = 'macro'", (macro,)):
            if not text or text.startswith("("):
                return None  # (a function-like macro named as a variable: no value)
            t = self._expression_type(text.replace("\\", " "), [], 0)
            if not t:
                return None
            types.add(t)
        return types.pop() if len(types) == 1 else None

    def _expression_type(self, body: str, params: list[str], depth: int) -> str | None:
        b = body.strip()
        while b.startswith("(") and _balanced_outer(b):
            b = b[1:-1].strip()
        m = _CAST_HEAD.match(b)
        if m and m.group(1).split()[-1].rstrip("*") not in params:
            # (spelled as declarations are: `(struct kvm_vcpu *)` is a `kvm_vcpu*`)
            words = [w for w in m.group(1).replace("*", " * ").split()
                     if w not in ("const", "struct", "union", "volatile")]
            return " ".join(w for w in words if w != "*") + "*" * words.count("*")
        m = _CALL_HEAD.match(b)
        if m and _balanced_outer(b[m.end() - 1:]):
            return self.return_type(m.group(1), depth + 1)
        m = _PARAM_PATH.fullmatch(b)
        if m and m.group(2) in params:
            names = re.split(r"\s*(?:->|\.)\s*", m.group(3).strip())
            t = self._spelled(names)
            return (t + " *" if m.group(1) else t) if t else None
        return None

    def _spelled(self, names: list[str]) -> str | None:
        """The type of the last member of a path that exactly one struct of the corpus
        spells from its first member on."""
        ends = set()
        for _c, _p, _b, owner in self.sc.rows("sym", "t.name = ? AND t.kind = 'field'",
                                              (names[0],), "t.scope", limit=200):
            t, ok = None, bool(owner)
            for i, n in enumerate(names):
                o = owner if i == 0 else self.struct_of(t, member=n)
                t = self.field_type(o, n) if o else None
                if t is None:
                    ok = False
                    break
            if ok:
                ends.add(t)
        return ends.pop() if len(ends) == 1 else None

    # --- composite ----------------------------------------------------------------------
    def struct_of(self, type_text: str | None, depth: int = 0,
                  member: str | None = None) -> str | None:
        """The struct/union a type designates (through pointers, arrays and typedefs). With
        `member`, the member looked up next in it: a struct that declares it is known one
        from that look-up, without a statement of its own."""
        if not type_text or depth > 12:
            return None
        base = _base_type(type_text)
        if not base or base in _PRIMITIVE:
            return None
        if member is not None and base not in self._structs and self._declared(base, member):
            self._structs[base] = True
        if self.is_struct(base):
            return base
        td = self.typedef(base)
        if td is None or td.rstrip("*[]") == base:
            return base if self.is_struct(base) else None
        return self.struct_of(td, depth + 1, member)

    def struct_alternatives(self, type_text: str | None, depth: int = 0) -> list[str]:
        """Every struct a type may designate when its typedefs are declared several ways
        (one per compilation context), most declared first (memoised)."""
        if not type_text or depth > 6:
            return []
        base = _base_type(type_text)
        if not base or base in _PRIMITIVE:
            return []
        if self.is_struct(base):
            return [base]
        key = ("alts", base)
        if key not in self._field:
            self._field[key] = None
            out: list[str] = []
            for row in self.sc.rows("sym", "t.name = ? AND t.kind = 'typedef'", (base,), "t.type"):
                if row[3] and row[3].rstrip("*[]") != base:
                    for st in self.struct_alternatives(row[3], depth + 1):
                        if st not in out:
                            out.append(st)
            self._field[key] = out  # type: ignore[assignment]
        return self._field[key] or []  # type: ignore[return-value]

    def container(self, blob_id: int, func: str, chain: list[str]) -> str | None:
        """Struct that owns the LAST field of `chain` (None when unresolved)."""
        qual = self.struct_path(blob_id, func, chain)
        return qual[-1].rpartition(".")[0] if qual else None

    def base_type(self, blob_id: int, func: str, base: str) -> str | None:
        """Declared type text of a chain's base."""
        if base.startswith("v:"):
            return self.var_type(blob_id, func, base[2:])
        if base.startswith("t:"):
            return base[2:]
        if base.startswith("r:"):
            return self.return_type(base[2:])
        return None

    def is_array(self, type_text: str | None, depth: int = 0) -> bool:
        """Is the type an array (declared `x[]`, or a typedef of one)?"""
        if not type_text or depth > 8:
            return False
        if type_text.endswith("[]"):
            return True
        base = type_text.rstrip("*")
        if base != type_text or self.is_struct(base):
            return False
        td = self.typedef(base)
        return td is not None and td != base and self.is_array(td, depth + 1)

    def struct_path(self, blob_id: int, func: str, chain: list[str],
                    outside: bool = False) -> list[str] | None:
        """Qualified names of every member in the chain: ['VM.tm', 'TM.s', ...] (None if unresolved).

        `[]` and `*` step into elements; a positional initializer index `#N` is an element of
        an array type, or else the N-th member of the struct. With `outside`, the chain may go
        on into a struct defined outside the corpus, named by the declared type
        (`hv->tsc_ref.tsc_scale`: ['kvm_hv.tsc_ref', 'ms_hyperv_tsc_page.tsc_scale']); the
        members below one of its members are owned by their path from it
        (`x86_hyper_kvm.init.guest_late_init`: ['hypervisor_x86.init',
        'hypervisor_x86.init.guest_late_init']).
        """
        t = self.base_type(blob_id, func, chain[0])
        key = (t, tuple(chain[1:]), outside)
        if key not in self._paths:
            self._paths[key] = self._path_from(t, chain, outside)
        found = self._paths[key]
        return list(found) if found is not None else None

    def _path_from(self, t: str | None, chain, outside: bool) -> tuple[str, ...] | None:
        """struct_path of a chain whose base has the declared type `t`."""
        out: list[str] = []
        for i, s in enumerate(chain[1:], start=1):
            if s in ("[]", "*"):
                t = t[:-2] if t and t.endswith("[]") else (t[:-1] if t and t.endswith("*") else t)
                continue
            if s.startswith("#") and self.is_array(t):
                t = t[:-2] if t.endswith("[]") else t
                continue
            cur = self.struct_of(t, member=None if s.startswith("#") else s)
            if cur is None:
                named = self.named_type(t) if outside and s[0] != "#" else None
                if named and not self.is_struct(named):
                    # (members of a struct defined outside the corpus: their types are
                    # unknown, so each one below is owned by the path that leads to it,
                    # `.init.guest_late_init` of a `struct hypervisor_x86`:
                    # ['hypervisor_x86.init', 'hypervisor_x86.init.guest_late_init'])
                    owner = named
                    for m in chain[i:]:
                        if m in ("[]", "*") or m.startswith("#"):
                            return None
                        out.append(f"{owner}.{m}")
                        owner = out[-1]
                    break
                return None
            name = self.positional_name(cur, int(s[1:])) if s.startswith("#") else s
            if name is None:
                return None
            prev, t = t, self.field_type(cur, name)
            if t is None:  # a typedef per context (`typedef struct PDMDEVINSR3 *PPDMDEVINS;`
                for alt in self.struct_alternatives(prev):  # under IN_RING3, R0 and RC ones
                    if alt != cur and self.field_type(alt, name) is not None:  # beside it):
                        cur, t = alt, self.field_type(alt, name)  # the one with the member
                        break
            out.append(f"{self.owner(cur, name) if t is not None else cur}.{name}")
        return tuple(out) or None

    def contains_struct(self, outer: str, inner: str, depth: int = 0) -> bool:
        """Is `inner` the struct `outer`, or embedded (not pointed to) in its members, at any depth?"""
        if outer == inner:
            return True
        if inner in self.holders:
            return outer in self.holders[inner]
        key = (outer, inner)
        if depth > 6:
            return False
        if key not in self._contains:
            self._contains[key] = False  # cycles
            found = False
            for row in self.sc.rows("sym", f"{IN_SCOPE} AND t.kind = 'field'", (outer,), "t.type"):
                t = row[3] or ""
                if self.is_pointer(t):
                    continue
                sub = self.struct_of(t)
                if sub and self.contains_struct(sub, inner, depth + 1):
                    found = True
                    break
            self._contains[key] = found or any(
                self.contains_struct(b, inner, depth + 1) for b in self.bases(outer))
        return self._contains[key]

    def is_pointer(self, type_text: str | None, depth: int = 0) -> bool:
        """Is the type a pointer (written `T *`, or a typedef of one: PVM, PPDMDEVINS)?"""
        if not type_text or depth > 12:
            return False
        if "*" in type_text:
            return True
        base = type_text.rstrip("[]").strip()
        if self.is_struct(base):
            return False
        td = self.typedef(base)
        return td is not None and td != base and self.is_pointer(td, depth + 1)

    def named_type(self, type_text: str | None, depth: int = 0) -> str | None:
        """The struct/union name a type designates, even when it is defined outside the corpus
        (`struct vmcb *` -> "vmcb"); None for primitives and unknown typedefs."""
        if not type_text or depth > 12:
            return None
        base = type_text.rstrip("*[]()").strip()
        if not base or base in _PRIMITIVE or base == "?":
            return None
        if self.is_struct(base):
            return base
        td = self.typedef(base)
        if td is None:
            return base if not base.endswith("_t") and not base.isupper() else None
        if td.rstrip("*[]") == base:
            return base
        return self.named_type(td, depth + 1)

    def receiver_type(self, blob_id: int, func: str, chain: list[str]) -> str | None:
        """Type name of the receiver of the chain's last member (see named_type)."""
        qual = self.struct_path(blob_id, func, chain[:-1]) if len(chain) > 2 else None
        if len(chain) > 2 and qual is None:
            return None
        if qual:
            owner, _, fld = qual[-1].rpartition(".")
            return self.named_type(self.field_type(owner, fld))
        return self.named_type(self.base_type(blob_id, func, chain[0]))

    def field_order(self, struct: str) -> list[str]:
        """The members of `struct` in declaration order (of one declaration: a struct
        declared per architecture or context may differ), memoised: a positional
        initializer's `#N` is its N-th."""
        got = self._orders.get(struct)
        if got is None:
            r = self.sc.rows("sym", f"{IN_SCOPE} AND t.kind = 'field' ORDER BY t.blob_id, t.pos",
                             (struct,), "t.name, t.blob_id")
            first = r[0][4] if r else None
            # (a name declared twice is one member in two `#if` branches, as 5.1's
            # PDMDEVHLPR3.pfnPCIBusRegister per version: one place, not two)
            got = self._orders[struct] = list(dict.fromkeys(x[3] for x in r if x[4] == first))
        return got

    def positional_name(self, struct: str, pos: int) -> str | None:
        names = self.field_order(struct)
        return names[pos] if 0 <= pos < len(names) else None


_CAST_HEAD = re.compile(r"\(\s*((?:const\s+|struct\s+|union\s+)*[A-Za-z_]\w*(?:\s*\*)*)\s*\)\s*[\w(&*]")
_CALL_HEAD = re.compile(r"([A-Za-z_]\w*)\s*\(")
_PARAM_PATH = re.compile(r"(&)?\s*\(?\s*\(?\s*([A-Za-z_]\w*)\s*\)?\s*->\s*"
                         r"([A-Za-z_]\w*(?:\s*(?:->|\.)\s*[A-Za-z_]\w*)*)\s*\)?")


def _balanced_outer(text: str) -> bool:
    """Does the parenthesis opening `text` close at its very end?"""
    if not text.startswith("(") or not text.endswith(")"):
        return False
    depth = 0
    for i, ch in enumerate(text):
        depth += ch == "("
        depth -= ch == ")"
        if depth == 0 and i < len(text) - 1:
            return False
    return True


@lru_cache(maxsize=4096)
def parse_chain(text: str | None) -> tuple[str, ...]:
    """Chain JSON from the index -> tuple."""
    return tuple(json.loads(text)) if text else ()


def _base_type(type_text: str) -> str:
    """A type without its pointers, array brackets and a function type's `()`; the name of
    an unnamed struct or union (`(anonymous@66)`) keeps its parentheses."""
    t = type_text.strip()
    if t.startswith("(anonymous@"):
        return t[:t.index(")") + 1] if ")" in t else t
    return t.rstrip("*[]()").strip()
