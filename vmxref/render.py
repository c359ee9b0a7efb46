"""Terminal and JSON Lines rendering of results (grep style: path:line:col: function: text)."""
from __future__ import annotations

from collections.abc import Callable
from functools import lru_cache

from vmxref.lazy import re
from vmxref.model import Site

_CONTROL = (
    r"[\x1b\x9d\x90\x9e\x9f][\]P^_][^\x07\x1b\x9c]*(?:\x07|\x1b\\|\x9c)?"  # OSC/DCS/PM/APC strings
    r"|(?:\x1b\[|\x9b)[0-9;:<=>?]*[ -/]*[@-~]?"  # CSI sequences (ESC[2J, ...)
    r"|\x1b[ -/]*[0-~]?"  # other ESC sequences
    r"|[\x00-\x08\x0b-\x1f\x7f-\x9f]")  # remaining C0/C1 controls (tab and newline kept)
_PATH_ESCAPES = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}


@lru_cache(maxsize=1)
def _control():
    import re  # (compiled on the first line that has a control character)
    return re.compile(_CONTROL)


def count(n: int, noun: str) -> str:
    """`1 result`, `2 results`, `0 results`."""
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"


def clean(text: str) -> str:
    """Strip terminal escape sequences and control characters (source text is untrusted)."""
    if text.isprintable():  # every character _CONTROL matches is in category Cc: none here
        return text
    return _control().sub("", text)


def show_path(path: str) -> str:
    """A file path for one-line output: newline, CR and tab written as \\n, \\r, \\t."""
    for ch, esc in _PATH_ESCAPES.items():
        path = path.replace(ch, esc)
    return path


SHOWN_EMITTERS = 8  # `fired at:` lines under a trace event's logline result


def site_line(s: Site) -> str:
    """One grep-style line for a result, with the per-kind details after the text."""
    extra = []
    x = s.extra
    if s.kind == "write":
        extra.append(f"[{x.get('write_kind', '')} {x.get('op', '')}]")
        if x.get("container"):
            extra.append(f"({x['container']})")
        if x.get("via"):  # (another member of the same union: the same storage)
            extra.append(f"[via {x['via']}]")
    elif s.kind in ("caller", "callee") and x.get("edge") not in (None, "direct"):
        to = f" => {s.symbol}" if s.kind == "callee" else ""  # (which function it reaches)
        extra.append(f"[{x['edge']}: {x.get('via', '')}{to}]")
    if s.kind == "caller" and x.get("unparsed"):  # (a call in code that did not parse)
        extra.append("[caller unknown: the file does not parse here]")
    if s.kind == "caller" and x.get("definition"):  # (a name defined twice: which one)
        extra.append(f"[reaches {x['definition']}]")
    if s.kind in ("caller", "callee") and (x.get("depth") or 1) > 1:  # (a caller's caller:
        extra.append(f"[depth {x['depth']}: calls {s.symbol}]" if s.kind == "caller"
                     else f"[depth {x['depth']}]")  # which one it calls, at the level shown)
    elif s.kind == "ref" and x.get("ref_kind"):
        extra.append(f"[{x['ref_kind']}]")
    elif s.kind == "def" and x.get("sym_kind") == "pasted":
        extra.append(f"[pasted by {x.get('via', '')}]")
    elif s.kind == "def" and x.get("sym_kind"):
        extra.append(f"[{x['sym_kind']}]")
        if x.get("container"):  # (a member: of which struct; `def mult` has fourteen)
            extra.append(f"(in {x['container']})")
    elif s.kind == "logline" and "score" in x:
        said = [_LOG_MODES.get(x.get("mode"), "")]
        if x.get("pasted_line"):
            said.insert(0, f"pasted line {x['pasted_line']}")
        if x.get("case_differs"):
            said.append("letter case differs")
        if x.get("continued_by"):  # (a line printed by several calls: the others)
            said.append("continued by the call" + ("s" if len(x["continued_by"]) > 1 else "")
                        + " at line " + ", ".join(str(c["line"]) for c in x["continued_by"]))
        if x.get("module_prefix"):
            said.append(f"matched without the line's `{x['module_prefix']}: `, which it "
                        f"does not print")
        extra.append(f"[{''.join(w + '; ' for w in said if w)}score {x['score']:.2f}]")
    tail = (" " + " ".join(extra)) if extra else ""
    return clean(f"{show_path(s.file)}:{s.line}:{s.col}: {s.function or '-'}: {s.text}{tail}")


_LOG_MODES = {"near": "near miss: most of its words, not its format",  # (logline's modes
               "line": "one line of its output",  # but "full": the whole line is its output)
               "contained": "its output inside the line", "tail": "the end of its output",
               "fragment": "a piece of its output",
               "location": "the file and line the line names (a WARNING, BUG or assertion "
                           "report)",
               "ratelimit": "a rate-limited logging call of the function the line names "
                            "(`callbacks suppressed`)"}
_TESTED_IN = r"tested in (\w+) at (\S+):(\d+)"  # (a deferred edge's via: where the test is)
_MEMBER = r"[A-Za-z_][\w:]*(?:\.[A-Za-z_]\w*)+(?=[ ,;]|\Z)"  # (an indirect edge's via: its member)


def path_lines(s: Site) -> list[str]:
    """Call paths of a result, one per line, indented under it."""
    out = []
    for p in s.paths or []:
        hops = []
        for h in p:
            label = h.function + (f" [{h.entry}]" if h.entry else "")
            hops.append(f"{label} ({show_path(h.file)}:{h.line})")
            if h.edge and h.edge != "direct":
                rest = h.via
                if rest.startswith("case "):  # (the rest of an indirect edge's via: --json)
                    case, _, rest = rest.partition("; ")
                    hops[-1] += f" [{case}]"
                what = rest.split()[0] if h.edge == "deferred" and rest else ""
                if h.edge in ("pointer", "ops-table") and re.match(_MEMBER, rest):
                    what = re.match(_MEMBER, rest).group(0)  # (the member called through:
                    # `=pointer VMREQ_U::Internal.pfn=>`, the request packet's worker)
                tested = re.search(_TESTED_IN, rest) if what else None
                if tested:  # (the tester is no node of the path: it comes later in it)
                    what += (f" in {tested.group(1)} ({show_path(tested.group(2))}:"
                             f"{tested.group(3)})")
                hops[-1] += f" ={h.edge}{' ' + what if what else ''}=>"  # (the request)
            elif h.via:
                hops[-1] += f" [{h.via}]"
        out.append(clean("    path: " + " -> ".join(hops)))
    if s.paths == [] and s.extra.get("no_path"):
        out.append(clean(f"    path: {s.extra['no_path']}"))
    return out


def render_sites(sites: list[Site], as_json: bool, echo: Callable[[str], None],
                 several: bool = False) -> None:
    """Print results as grep-style lines or as JSON Lines. Results of several corpus
    versions (no --corpus on an index holding 5.1 and 6.1.36) start with NAME@VERSION: ,
    also when only one of the asked versions (`several`) has any."""
    mixed = not as_json and (several or len({(s.corpus, s.version) for s in sites}) > 1)
    for s in sites:
        if as_json:
            import json
            echo(json.dumps(s.to_json(), ensure_ascii=False))
            continue
        tag = clean(f"{s.corpus}@{s.version}: ") if mixed else ""
        if s.kind == "provenance":
            from vmxref.queries.provenance import root_value, tree_lines
            echo(tag + clean(site_line(s) + f"  [{root_value(s.extra)}]"))
            for line in tree_lines(s):
                echo(clean(line))
            continue
        echo(tag + site_line(s))
        for line in path_lines(s):
            echo(line)
        fired = s.extra.get("emitted_by") or ()  # a trace event: where it is fired
        for where in fired[:SHOWN_EMITTERS]:
            echo(clean(f"    fired at: {where}"))
        if len(fired) > SHOWN_EMITTERS:
            echo(f"    fired at: ... and {len(fired) - SHOWN_EMITTERS} more (--json lists them)")


def progress_printer(stream) -> Callable[[int, int], None] | None:
    """A `parsing done/total` counter rewritten in place on a terminal (None elsewhere)."""
    if not stream.isatty():
        return None

    def report(done: int, total: int) -> None:
        stream.write(f"\rparsing {done}/{total}" + ("\n" if done == total else ""))
        stream.flush()
    return report
