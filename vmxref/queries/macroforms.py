"""Calls and stores written through macros, which the call graph reads as the code they
stand for:

- a macro that calls its argument: `#define IEM_CIMPL_CALL_0(a_fn) a_fn(pVCpu, cbInstr)`,
  `#define FNIEMOP_CALL(a_pfn) (a_pfn)(pVCpu)` — a use with a function (or a table element,
  `FNIEMOP_CALL(g_apfnOneByteMap[b])`) is a call of it;
- a list macro: `#define IEMOP_X4(a_fn) a_fn, a_fn, a_fn, a_fn` — a table entry written
  with it stores the function;
- an alias: `#define emR3ExecuteInstruction emR3HmExecuteInstruction` before a template
  header — a call of the alias is a call of the function.

Each is a look-up on the index (macro texts, references, calls), memoised per scope.
"""
from __future__ import annotations

from vmxref.lazy import re, json

from vmxref.queries.base import Scope, split_args

_LIST_USE = re.compile(r"([A-Za-z_]\w*)\s*\(\s*([A-Za-z_]\w*)\s*\)")  # `IEMOP_X4(fn)`
_PARAM = r"(?:[A-Za-z_]\w*(?:\s*\.\.\.)?|\.\.\.)"
_PARAM_LIST = re.compile(rf"\(\s*((?:{_PARAM}\s*(?:,\s*{_PARAM}\s*)*)?)\)(?=\s|$)")


def parts(text: str | None) -> tuple[list[str] | None, str]:
    """(parameters, body) of a macro definition as the index keeps it (the parameter list,
    a space, the body: `(a_pfn) (a_pfn)(pVCpu)`); parameters None for an object-like
    macro, also one whose body starts with a parenthesis (`(1 << 3)`, `(A | B)`)."""
    text = text or ""
    m = _PARAM_LIST.match(text)
    if m is None:
        return None, text.strip()
    params = [p.strip() for p in m.group(1).split(",")] if m.group(1).strip() else []
    return params, text[m.end():].strip()


def function_like(sc: Scope, macro: str) -> list[tuple[list[str], str]]:
    """(parameters, body) of each function-like definition of `macro` (memoised: the edge
    rules ask it of the same macros again and again)."""
    memo = sc.memo("_function_like")
    if macro not in memo:
        out = []
        for (text,) in sc.conn.execute(
                "SELECT text FROM sym WHERE name = ? AND kind = 'macro' AND text LIKE '(%'",
                (macro,)):
            params, body = parts(text)
            if params is not None:
                out.append((params, body))
        memo[macro] = out
    return memo[macro]


def object_bodies(sc: Scope, name: str) -> list[str]:
    """The bodies of the object-like #defines of `name`."""
    out = []
    for text in macro_texts(sc, name):
        body = object_body(text)
        if body and body not in out:
            out.append(body.replace("\\", " "))
    return out


def macro_texts(sc: Scope, name: str) -> list[str]:
    """The texts of the #defines of `name` in the asked versions (distinct, memoised): as
    the index keeps them, a long one, which it keeps cut (ending in `\u2026`), read whole
    from the source (still cut when the source is not at hand)."""
    memo = sc.memo("_macro_texts")
    if name not in memo:
        out: list[str] = []
        for text, bid, line, end in sc.conn.execute(
                f"SELECT DISTINCT t.text, t.blob_id, t.line, t.end_line FROM sym t "
                f"{sc.files_join} WHERE t.name = ? AND t.kind = 'macro'", (name,)):
            if text and text.endswith("\u2026") and end:
                src = " ".join(sc.store.lines(bid)[line - 1:end])
                m = re.search(rf"#\s*define\s+{re.escape(name)}\b(.*)", src, re.S)
                text = m.group(1).strip() if m else text
            if (text or "") not in out:
                out.append(text or "")
        memo[name] = out
    return memo[name]


def object_body(text: str | None) -> str | None:
    """The body of an object-like #define as the index keeps it; `(UINT32_MAX)` alone is
    one too (kept like a parameter list with no body)."""
    params, body = parts(text)
    if params is None:
        return body
    return (text or "").strip() if not body else None


def calls_arg(sc: Scope, macro: str, idx: int) -> bool:
    """Is `macro` a function-like macro whose body calls its idx-th parameter?"""
    memo = sc.memo("_macro_calls_arg")
    if (macro, idx) not in memo:
        memo[(macro, idx)] = any(
            idx < len(params) and params[idx].isidentifier() and re.search(
                rf"(?<![\w.>]){re.escape(params[idx])}\s*\)?\s*\(", body)
            for params, body in function_like(sc, macro))
    return memo[(macro, idx)]


_NO_VALUE_CALLS = ("offsetof", "__builtin_offsetof", "sizeof", "_Pragma")  # (their
# arguments name a type, a member or a pragma: no value is read)
_VOID_CAST = re.compile(r"\(\s*void\s*\)\s*\(*\s*$")


def arg_use(sc: Scope, macro: str, idx: int, depth: int = 4, nargs: int | None = None) -> str:
    """How the function-like `macro` uses its idx-th argument: 'value' (read as a value
    somewhere in some definition: handed to a call, stored, called), 'pasted' (only `##`
    pasted into a longer name: `#define PGM_GST_NAME_PAE(name) pgmGstPAE##name`) or 'none'
    (only named: stringified `#name`, a member designator `->member`,
    `RT_UOFFSETOF(type, member)`, cast to void, or not at all). 'value' when `macro` is
    no function-like macro or none of its definitions takes that many arguments.

    Where the reading of the bodies cannot follow the argument (a body that calls through
    a parameter, `RT_UNPACK_CALL(a_Fn, a_Args) a_Fn a_Args`, or a name made by pasting,
    as IPRT's RT_NOREF does to call RT_NOREF<count of its arguments>), a call of the macro
    (with `nargs` arguments, a variadic one's count) is expanded with the corpus's
    definitions (cexpand) and its argument's uses in that text are classified the same
    way; 'value' still when that expansion cannot be completed."""
    kind = _arg_kind(sc, macro, idx, depth)
    if kind != "opaque":
        return kind
    memo = sc.memo("_macro_arg_expanded")
    key = (macro, idx, nargs)
    if key not in memo:
        memo[key] = _expanded_use(sc, macro, idx, nargs)
    return memo[key]


def _arg_kind(sc: Scope, macro: str, idx: int, depth: int) -> str:
    """arg_use as the bodies' text tells it, or 'opaque': read as a value where the reading
    could not follow the argument (see _enclosing_use)."""
    memo = sc.memo("_macro_arg_use")
    key = (macro, idx, depth)
    if key not in memo:
        memo[key] = "value"  # (a macro using itself: as a value)
        kinds: set[str] = set()
        for params, body in function_like(sc, macro):
            if idx < len(params) and not params[idx].endswith("..."):
                p = params[idx]
            elif params and params[-1].endswith("..."):
                p = "__VA_ARGS__"
            else:
                continue
            kinds |= _param_uses(sc, body, p, depth, _param_names(params))
        memo[key] = ("value" if "value" in kinds or not kinds and not function_like(sc, macro)
                     else "opaque" if "opaque" in kinds
                     else "pasted" if "pasted" in kinds else "none")
    return memo[key]


def _param_names(params: list[str]) -> set[str]:
    """The names a body knows its parameters by (`...` as __VA_ARGS__, `args...` as args)."""
    return {p[:-3].strip() or "__VA_ARGS__" if p.endswith("...") else p for p in params}


def _param_uses(sc: Scope, body: str, param: str, depth: int,
                params: set[str] = frozenset()) -> set[str]:
    """The kinds of use (arg_use, and 'opaque') of each occurrence of `param` in a macro
    body with those `params`; an empty body use set stands for 'none'."""
    out = {"none"}
    for m in re.finditer(rf"\b{re.escape(param)}\b", body):
        before, after = body[:m.start()].rstrip(), body[m.end():].lstrip()
        if before.endswith("##") or after.startswith("##"):
            out.add("pasted")
        elif before.endswith("#"):
            out.add("none")  # stringified
        elif before.endswith(".") or before.endswith("->"):
            out.add("none")  # a member's name
        elif _VOID_CAST.search(before) and re.match(r"\)*\s*(?:;|$|\)|\\)", after):
            out.add("none")  # (void)(var)
        else:
            out.add(_enclosing_use(sc, body, m.start(), depth, params))
    return out


def _enclosing_use(sc: Scope, body: str, pos: int, depth: int,
                   params: set[str] = frozenset()) -> str:
    """The use of the argument written at `pos` of a macro body by the call around it:
    'none' or 'pasted' when that call is a macro (or offsetof, sizeof) that only names or
    pastes the argument it is in, else 'value'; 'opaque' (a value, as far as the text
    tells) where the text cannot tell which call that is: a callee that is a parameter
    (`a_Fn(x)`) or made by pasting, the argument written after a name or a parenthesis at
    the top level (`a_Fn a_Args`: the argument list of a call made there), or macros
    nested deeper than `depth`."""
    from vmxref.ctext import open_bracket  # (the indexer's scanner of macro bodies too)
    while (found := open_bracket(body, pos)) is not None:
        i, k = found
        if body[i] != "(":
            return "value"
        name = re.search(r"([A-Za-z_]\w*)\s*$", body[:i])
        if name is None:  # a grouping parenthesis: the argument is the group's
            pos = i
            continue
        callee = name.group(1)
        if callee in _NO_VALUE_CALLS:
            return "none"
        if depth <= 0:
            return "opaque"
        if not function_like(sc, callee):
            made = callee in params or body[:name.start()].rstrip().endswith("##")
            return "opaque" if made else "value"
        return _arg_kind(sc, callee, k, depth - 1)
    return "opaque" if re.search(r"[\w)]\s*$", body[:pos]) else "value"


def _expanded_use(sc: Scope, macro: str, idx: int, nargs: int | None) -> str:
    """arg_use read in the expansions of a call of `macro` (cexpand.call_expansions) with
    the asked corpus's definitions: 'value' when one reads the argument's value or none
    could be completed."""
    from vmxref.queries import cexpand
    texts = cexpand.call_expansions(lambda name: _expansion_defs(sc, name), macro, idx, nargs)
    if texts is None:
        return "value"
    kinds: set[str] = set()
    for text in texts:
        kinds |= _sentinel_uses(sc, text, cexpand.SENTINEL)
    return ("value" if kinds & {"value", "opaque"} else "pasted" if "pasted" in kinds
            else "none")


def _sentinel_uses(sc: Scope, text: str, sentinel: str) -> set[str]:
    """The kinds of use (as _param_uses) of the name `sentinel` in an expanded text: in a
    string literal (stringified) 'none', inside a longer name 'pasted', else as in a
    body, no macro left to follow."""
    from vmxref.queries import cexpand
    kinds: set[str] = set()
    toks = cexpand.lex(text)
    for t in toks:
        if sentinel in t.text and t.text != sentinel:
            kinds.add("none" if t.kind == "str" else "pasted")
    text = " ".join('""' if t.kind == "str" else t.text for t in toks)
    return kinds | _param_uses(sc, text, sentinel, 0)


def _expansion_defs(sc: Scope, name: str) -> list:
    """The #defines of `name` in the asked versions, as cexpand reads them (memoised):
    continuation backslashes and comments blanked, a body the index keeps cut read whole
    from the source."""
    memo = sc.memo("_cexpand_defs")
    if name not in memo:
        from vmxref.queries import cexpand
        out = []
        for text in macro_texts(sc, name):
            whole = not text.endswith("\u2026")
            text = _CONTINUATION.sub(" ", text).strip()
            params, body = parts(text)
            if params is None:
                out.append(cexpand.Macro(None, body, whole=whole))
            else:
                out.append(cexpand.Macro(params, body, alt=None if body else text,
                                         whole=whole))
        memo[name] = out
    return memo[name]


_CONTINUATION = re.compile(r"(?s)\\(?=\s|$)|/\*.*?\*/")


def pastes_instance(sc: Scope, func: str) -> bool:
    """Is `func` defined under a name a macro makes (`PGM_GST_DECL(int, Walk)(..)`,
    `PGM_BTH_NAME(SyncPage)(PVMCPUCC pVCpu, ..)`): a template's function, whose instances
    are named by pasting its name?"""
    memo = sc.memo("_pastes_instance")
    if func not in memo:
        memo[func] = any(
            re.match(rf"\s*(?:(?:[\w\s*]*\s)?[A-Za-z_]\w*\s*\((?:[^()]*,)?\s*)?"
                     rf"{re.escape(func)}\s*\)\s*\(", t or "")  # (the text of a name a
            # macro's argument gives begins at the name: `Walk)(PVM pVM, ..)`)
            for (t,) in sc.conn.execute(
                "SELECT text FROM sym WHERE name = ? AND kind = 'function'", (func,)))
    return memo[func]


def member_call_receivers(sc: Scope, macro: str, slot: str) -> list[tuple[list[str], str]]:
    """(parameters, receiver text) of each call through member `slot` written in a body of
    the function-like `macro` (`#define KVM_EMULATOR_BUG_ON(cond, ctxt) .. ctxt->ops->
    vm_bugged(ctxt)`: `ctxt->ops`), memoised."""
    memo = sc.memo("_macro_member_calls")
    key = (macro, slot)
    if key not in memo:
        out = []
        for params, body in function_like(sc, macro):
            for m in re.finditer(rf"(?:->|\.)\s*{re.escape(slot)}\s*\(", body):
                recv = _receiver_text(body, m.start())
                if recv:
                    out.append((params, recv))
        memo[key] = out
    return memo[key]


def _receiver_text(body: str, end: int) -> str:
    """The expression before the `->`/`.` at `end`: names, members, balanced groups and
    calls (`(a_pIns)->CTX_SUFF(pHlp)`)."""
    i = end
    while True:
        j = i
        while j > 0 and body[j - 1].isspace():
            j -= 1
        if j > 0 and body[j - 1] in ")]":
            level, k = 0, j - 1
            while k >= 0:
                if body[k] in ")]":
                    level += 1
                elif body[k] in "([":
                    level -= 1
                    if level == 0:
                        break
                k -= 1
            if k < 0:
                return ""
            if body[k] == "[":  # an element: the array before it
                i = k
                continue
            name = re.search(r"[A-Za-z_]\w*\s*$", body[:k])
            i = name.start() if name and body[k] == "(" and not re.search(
                r"\b(?:return|if|while|sizeof)\s*$", body[:k]) else k
        else:
            name = re.search(r"[A-Za-z_]\w*$", body[:j])
            if name is None:
                break
            i = name.start()
        j = i
        while j > 0 and body[j - 1].isspace():
            j -= 1
        if body[:j].endswith("->"):
            i = j - 2
        elif body[:j].endswith(".") and not body[:j].endswith(".."):
            i = j - 1
        else:
            break
    return body[i:end].strip()


def is_list(sc: Scope, macro: str) -> bool:
    """Is `macro` a list of its one parameter (`a_fn, a_fn, a_fn, a_fn`)?"""
    memo = sc.memo("_list_macro")
    if macro not in memo:
        memo[macro] = any(
            len(params) == 1 and len(items) > 1 and set(items) == {params[0]}
            for params, body in function_like(sc, macro)
            for items in [[t.strip() for t in body.split(",")]])
    return memo[macro]


def listed(sc: Scope, value: str) -> str:
    """The function a table entry `IEMOP_X4(fn)` stores (`value` itself otherwise)."""
    m = _LIST_USE.fullmatch(value)
    return m.group(2) if m and is_list(sc, m.group(1)) else value


def list_stores(g, func: str) -> list[tuple]:
    """Rows (cid, path, blob, chain, function, line), as the graph reads stores, of the
    table entries that store `func` through a list macro (`/* 0x31 */
    IEMOP_X4(iemOp_rdtsc),` in g_apfnTwoByteMap)."""
    out = []
    for cid, path, bid, line, caller, _bare in g.value_refs(func):
        if caller:
            continue
        for chain_t, fn, value in g.sc.conn.execute(
                "SELECT chain, func, value FROM assign WHERE blob_id = ? AND func = '' "
                "AND line = ? AND kind = 'init'", (bid, line)):
            if value.strip() != func and listed(g.sc, value.strip()) == func:
                out.append((cid, path, bid, chain_t, fn, line))
    return out


_ITEM_CALL = re.compile(r"([A-Za-z_]\w*)\s*\(\s*([A-Za-z_]\w*)\s*\)")


def _brace_items(body: str) -> list[str] | None:
    """The top-level items of a body that is one brace list `{ a, b, Nm(c) }`, else None."""
    b = body.strip().rstrip(",").strip()
    if not (b.startswith("{") and b.endswith("}")):
        return None
    items = [x.strip() for x in split_args(b[1:-1])]
    return items[:-1] if items and not items[-1] else items  # (`{ a, b, }`)


def pasted_stores(g, func: str) -> list[tuple]:
    """Rows (cid, path, blob, chain, function, line), as the graph reads stores, of the
    initializer items that store an instance of the template function `func` by a macro
    that pastes its name (`PGM_GST_NAME_REAL(GetPDE),` in g_aPgmGuestModeData: the real
    mode's copy of GetPDE, in the element's pfnGetPDE)."""
    rows = []  # (the SQL first: most functions have no file-scope use, and a query that
    # needs no pattern imports no `re`)
    for cid, path, bid, line, caller, _bare in g.value_refs(func):
        if not caller:
            rows += [(cid, path, bid, line, *r) for r in g.sc.conn.execute(
                "SELECT chain, func, value FROM assign WHERE blob_id = ? AND func = '' "
                "AND line = ? AND kind = 'init' AND value LIKE ?", (bid, line, f"%(%{func}%"))]
    if not rows or not pastes_instance(g.sc, func):
        return []
    out = []
    for cid, path, bid, line, chain_t, fn, value in rows:
        m = _ITEM_CALL.fullmatch(value.strip())
        if m and m.group(2) == func and arg_use(g.sc, m.group(1), 0) == "pasted":
            out.append((cid, path, bid, chain_t, fn, line))
    return out


def entry_stores(g, func: str) -> list[tuple]:
    """Rows (cid, path, blob, chain, function, line), as the graph reads stores, of the table
    elements a function-like macro fills with `func` by its place in a brace list:
    `#define PGMMODEDATABTH_ENTRY(uShwT, uGstT, Nm) { uShwT, uGstT, Nm(InvalidatePage), .. }`
    used as `PGMMODEDATABTH_ENTRY(PGM_TYPE_PAE, PGM_TYPE_PAE, PGM_BTH_NAME_PAE_PAE)` in
    g_aPgmBothModeData's initializer stores InvalidatePage's PAE instance in the element's
    third member (pfnInvalidatePage): a template function named by pasting, `Nm(stem)` with
    Nm a parameter, or `func` itself. One row per table and member (its first element)."""
    sc = g.sc
    refs = sc.memo("_define_refs")  # (the #define bodies naming it: fetched a search level
    if func not in refs:            # at a time by Graph.prefetch)
        prefetch_aliases(sc, [func])
    macros = sorted({macro for _path, _bid, _line, macro in refs[func] if macro})
    out, seen = [], set()
    for macro in macros:
        places = set()
        for params, body in function_like(sc, macro):
            items = _brace_items(body)
            for i, item in enumerate(items or ()):
                m = _ITEM_CALL.fullmatch(item)
                if item == func or m and m.group(2) == func and m.group(1) in params:
                    places.add(i)
        if len(places) != 1:
            continue  # (not in a brace list, or at different places in its definitions)
        place = places.pop()
        for cid, path, bid, chain_t, fn, line in sc.rows(
                "assign", "t.value >= ? AND t.value < ? AND t.kind = 'init'",
                (f"{macro}(", f"{macro})"), "t.chain, t.func, t.line"):
            chain = json.loads(chain_t)
            if len(chain) != 2 or not chain[1].startswith("#"):
                continue  # (an element of an array variable)
            if (chain[0], place) in seen:
                continue
            seen.add((chain[0], place))  # (the member at that place: the graph's struct_path
            # names a positional step `#N` as for a plain positional initializer)
            out.append((cid, path, bid, json.dumps([*chain, f"#{place}"]), fn, line))
    return out


def table_calls(sc: Scope, table: str) -> list[tuple]:
    """Calls of an element of the array `table` handed to a macro that calls its argument
    (`FNIEMOP_CALL(g_apfnOneByteMap[b])`): (cid, path, blob, line, col, caller, macro)."""
    memo = sc.memo("_table_macro_calls")
    if table not in memo:
        out = []
        seen = set()
        for cid, path, bid, line, caller in sc.rows(
                "ref", "t.name = ? AND t.kind = 'read' AND t.chain IS NULL AND t.func != ''",
                (table,), "t.line, t.func"):
            if (bid, caller, line) in seen:
                continue
            seen.add((bid, caller, line))
            for col, callee, args_t in sc.conn.execute(
                    "SELECT col, callee, args FROM call WHERE blob_id = ? AND func = ? AND "
                    "line = ? AND kind = 'direct'", (bid, caller, line)):
                args = [a.strip() for a in json.loads(args_t or "[]")]
                for idx, a in enumerate(args):
                    if a.startswith(table) and a[len(table):].lstrip().startswith("[") \
                            and calls_arg(sc, callee, idx):
                        out.append((cid, path, bid, line, col, caller, callee))
        memo[table] = out
    return memo[table]


def aliases_of(sc: Scope, func: str) -> list[tuple[str, str]]:
    """(macro, where) of the object-like macros defined as the bare name `func`."""
    refs = sc.memo("_define_refs")
    if func not in refs:
        prefetch_aliases(sc, [func])
    out = []
    for path, bid, line, macro in refs[func]:
        if sc.conn.execute("SELECT 1 FROM sym WHERE blob_id = ? AND name = ? AND kind = 'macro' "
                           "AND text = ?", (bid, macro, func)).fetchone() is not None:
            out.append((macro, f"{path}:{line}"))
    return list(dict.fromkeys(out))


def prefetch_aliases(sc: Scope, funcs) -> None:
    """The #define bodies naming each of `funcs` (what aliases_of reads), in one statement
    for a level of a call-graph search."""
    refs = sc.memo("_define_refs")
    todo = [f for f in funcs if f not in refs]
    for f in todo:
        refs[f] = []
    for _cid, path, bid, line, macro, name in sc.rows_in(
            "ref", "t.name", todo, "t.kind = 'define'", (), "t.line, t.func, t.name"):
        refs[name].append((path, bid, line, macro))


def expanded_call_args(sc: Scope, chain: list[str], use_args: list[str],
                       func: str) -> list[str] | None:
    """The arguments `func` gets where a use of macro chain[0] (with `use_args`) expands,
    through the macros of `chain` in turn, each calling the next: parameters replaced by
    the arguments and `##` pasted (`vmx_adjust_sec_exec_feature(vmx, &ec, invpcid,
    INVPCID)` -> `guest_cpuid_has(&(vmx)->vcpu, X86_FEATURE_INVPCID)`). None when a macro
    has no function-like definition of that arity or does not call the next one."""
    args = use_args
    for i, macro in enumerate(chain):
        nxt = chain[i + 1] if i + 1 < len(chain) else func
        body = None
        for (text,) in sc.conn.execute("SELECT DISTINCT text FROM sym WHERE name = ? AND "
                                       "kind = 'macro' AND text LIKE '(%'", (macro,)):
            params, b = parts(text)
            if params is not None and len(params) == len(args):
                body = _substituted(b, params, args)
                break
        if body is None:
            return None
        m = re.search(rf"\b{re.escape(nxt)}\s*\(", body)
        if m is None:
            return None
        args = [a.strip() for a in split_args(body[m.end():])]
    return args


def _substituted(body: str, params: list[str], args: list[str]) -> str:
    """A macro body with its parameters replaced by the arguments, `##` pasted and `#p`
    left as it is."""
    table = dict(zip(params, args))
    out = re.sub(r"\b[A-Za-z_]\w*\b", lambda m: table.get(m.group(0), m.group(0)),
                 body.replace("\\\n", " "))
    return re.sub(r"\s*##\s*", "", out)
