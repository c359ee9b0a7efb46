"""`re` and `json` imported on first use, for the modules a query process loads.

A query process pays for every module it imports: `re` (with `enum`, which it loads) costs
about 8 ms and `json` 3 ms more (its decoder and encoder compile patterns, so it loads `re`
too), a quarter of a `callers` query's whole process, although most queries run no pattern
of their own. A query module writes

    from vmxref.lazy import re, json

and keeps its patterns at module level, where they read best: `re.compile` here returns a
pattern that is compiled (and `re` imported) the first time one of its methods is looked
up, after which the methods are the compiled pattern's own, bound into the instance, so a
lazy pattern costs nothing more per call. `json.loads` decodes with the C scanner that
`json` itself uses (`_json`), without importing `json` or `re`; anything wrong in the text
is decoded again by `json.loads` proper, for its error. Any other attribute (`re.sub`,
`json.dumps`) imports the real module and is then kept on the stand-in. Flags are the real
module's, so a module-level `re.S` would import `re`: the indexer's modules, which always
run their patterns, import `re` themselves.
"""
from __future__ import annotations

import sys

_METHODS = ("match", "fullmatch", "search", "sub", "subn", "findall", "finditer", "split",
            "pattern", "flags", "groups", "groupindex")


_PATTERNS: list["Pattern"] = []  # every lazy pattern made (see compile_all)


class Pattern:
    """Stands for `re.compile(pattern, flags)` until first used."""

    def __init__(self, pattern, flags: int = 0) -> None:
        self._args = (pattern, flags)
        _PATTERNS.append(self)

    def __getattr__(self, name: str):
        if name.startswith("_"):
            raise AttributeError(name)
        import re as real
        compiled = real.compile(*self._args)
        for m in _METHODS:
            self.__dict__[m] = getattr(compiled, m)
        return getattr(compiled, name)

    def __repr__(self) -> str:
        return f"re.compile({self._args[0]!r}) (lazy)"


def _import(name: str):
    """The top-level module `name`, imported (`importlib` would import `warnings` too: 2 ms
    of every query process)."""
    __import__(name)
    return sys.modules[name]


class _Module:
    """A stand-in for a module, imported at the first attribute looked up."""

    def __init__(self, name: str) -> None:
        self._name = name

    def __getattr__(self, attr: str):
        if attr.startswith("_"):  # (the stand-in's own, or a private name: never imported)
            raise AttributeError(attr)
        value = getattr(_import(self._name), attr)
        self.__dict__[attr] = value
        return value

    def __repr__(self) -> str:
        return f"<lazy module {self._name!r}>"


class _Re(_Module):
    def compile(self, pattern, flags: int = 0) -> Pattern:
        return Pattern(pattern, flags)


class _ScanContext:
    """What `_json.make_scanner` reads from a JSONDecoder: json.loads' defaults."""
    strict = True
    object_hook = None
    object_pairs_hook = None
    parse_float = float
    parse_int = int
    parse_constant = {"NaN": float("nan"), "Infinity": float("inf"),
                      "-Infinity": float("-inf")}.__getitem__


_WS = " \t\n\r"


class _Json(_Module):
    def __init__(self, name: str) -> None:
        super().__init__(name)
        try:
            import _json
            self._scan = _json.make_scanner(_ScanContext())
        except (ImportError, AttributeError):  # pragma: no cover (a Python without it)
            self._scan = None

    def loads(self, s, **kw):
        """json.loads(s) for a str with no options, by the C scanner alone."""
        if self._scan is not None and not kw and isinstance(s, str):
            start = len(s) - len(s.lstrip(_WS))
            try:
                obj, end = self._scan(s, start)
            except (StopIteration, SystemError):  # (SystemError: an unterminated string
                # before json.decoder is imported; the stdlib's loads says what is wrong)
                obj, end = None, -1
            if end >= 0 and not s[end:].strip(_WS):
                return obj
        return getattr(_import(self._name), "loads")(s, **kw)


re = _Re("re")
json = _Json("json")


def compile_all() -> None:
    """Compile every lazy pattern of the modules imported so far (`vmxref shell` does it
    before its first prompt: its answers should not pay for first uses)."""
    for p in _PATTERNS:
        p.match  # noqa: B018 (looking a method up compiles it)
