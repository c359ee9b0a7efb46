"""Conversion tables for `vmxref.logfmt`: parse one `%...` and say what it prints.

Three dialects:
- "printf": C99/glibc printf (flags `-+ #0'`, width/precision incl. `*`, `n$` positions,
  length `hh h l ll L q j z Z t`, conversions `diouxXeEfFgGaAcspnm%`);
- "kernel": Linux vsprintf, plus `%p<ext>` (all alphanumerics after `%p` belong to it, as
  in lib/vsprintf.c);
- "iprt": VirtualBox RTStrFormat (include/iprt/string.h): printf-like plus `%R<type>`,
  `%R[custom]`, `%M`, `%N`; the `'` flag groups digits with spaces (`3 478 274 491`).

Every conversion becomes an `Atom`: a linear regex (no nested quantifiers over the same
characters) with a length cap, or ANY (free text).  Atoms are deliberately generous: they
must accept whatever the real formatter prints, case and padding variants included.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache


@dataclass(frozen=True)
class Atom:
    """What one conversion can print: `regex` (None = any text), a length cap, a weight.

    `weight` is the specificity per matched character used in scoring (0 for free text).
    """

    kind: str
    regex: re.Pattern[str] | None = None
    max_len: int | None = None
    weight: float = 0.0
    numeric: bool = False  # prints a number: what ends its output is a number's tail

    def accepts(self, line: str, start: int, end: int) -> bool:
        """True if line[start:end] is something this conversion can print."""
        if self.max_len is not None and end - start > self.max_len:
            return False
        return self.regex is None or self.regex.fullmatch(line, start, end) is not None

    def accepts_tail(self, line: str, start: int, end: int) -> bool:
        """True if line[start:end] can end this conversion's output (a log line cut inside
        it: `01` of `801`, `x1f` of `0x1f`, `e+10` of `1e+10`). Numbers only; any other
        conversion takes any tail (a tail of an IPv4 address or a UUID is no address)."""
        if not self.numeric or self.regex is None:
            return True
        piece = line[start:end]
        return any(self.regex.fullmatch(head + piece) is not None for head in _TAIL_HEADS)


_TAIL_HEADS = ("", "0")  # (`0` + a number's tail is a number: `0x1f`, `0.5`, `0e+10`)


ANY = Atom("any")


@dataclass(frozen=True)
class ParsedConv:
    """A parsed `%...`: its text, end offset, atom, and how many arguments it takes.

    `literal` is set for conversions that print fixed text (`%%`); `stars` counts `*`
    width/precision arguments before the value; `nargs` counts value arguments (0 for
    `%m`); `position` is the 1-based `n$` position if given.
    """

    text: str
    end: int
    atom: Atom = ANY
    literal: str | None = None
    stars: int = 0
    nargs: int = 1
    position: int | None = None
    unknown: bool = False


_SPEC = re.compile(
    r"%(?:(?P<pos>[1-9]\d{0,2})\$)?(?P<flags>[-+ #0']*)"
    r"(?P<width>\*(?:\d+\$)?|\d+)?(?:\.(?P<prec>\*(?:\d+\$)?|\d*))?"
    r"(?P<len>hh|h|ll|l|L|q|j|z|Z|t|H|I64|I32)?")
_CONV_CHARS = {
    "printf": "diouxXeEfFgGaAcspnmCS%",
    "kernel": "diouxXeEfFgGaAcspn%",
    "iprt": "diouxXeEfFgGaAcspnSRMN%",
}
_ALNUM = re.compile(r"[A-Za-z0-9]*")


def parse_conversion(fmt: str, at: int, dialect: str) -> ParsedConv | None:
    """Parse the conversion starting at fmt[at] == '%'; None if it is not a valid one."""
    m = _SPEC.match(fmt, at)
    if m is None or m.end() >= len(fmt):
        return None
    ch, end = fmt[m.end()], m.end() + 1
    if ch not in _CONV_CHARS[dialect]:
        return None
    flags, width, prec = m.group("flags"), m.group("width"), m.group("prec")
    stars = (width or "").startswith("*") + (prec or "").startswith("*")
    pos = int(m.group("pos")) if m.group("pos") else None
    if ch == "%":
        return ParsedConv(fmt[at:end], end, literal="%", nargs=0)
    if dialect == "kernel" and ch == "p":
        alnum = _ALNUM.match(fmt, end)
        ext = alnum.group() if alnum else ""
        end += len(ext)
        return ParsedConv(fmt[at:end], end, kernel_pointer(ext), stars=stars, position=pos)
    if dialect == "iprt" and ch == "R":
        typ = iprt_type(fmt, end)
        if typ is None:
            return None
        end += len(typ)
        atom, nargs, unknown = iprt_atom(typ, flags)
        return ParsedConv(fmt[at:end], end, atom, nargs=nargs, unknown=unknown,
                          stars=stars, position=pos)
    if dialect == "iprt" and ch in "MN":
        return ParsedConv(fmt[at:end], end, ANY, nargs=1 + (ch == "N"), stars=stars, position=pos)
    width_n = 256 if (width or "").startswith("*") else _num(width)   # `*`: any padding
    atom = basic_atom(ch, flags, width_n, _num(prec), dialect, m.group("len") or "")
    nargs = 0 if ch == "m" else 1
    return ParsedConv(fmt[at:end], end, atom, nargs=nargs, stars=stars, position=pos)


def _num(text: str | None) -> int | None:
    """A literal width/precision as int (None for absent or `*`)."""
    return int(text) if text and text.isdigit() else None


# ---------------------------------------------------------------------------------------
# basic C conversions

_HEX = r"[0-9a-fA-F]+"
_DEC = r"\d+"


def _grouped(dialect: str) -> str:
    """Digits with thousands grouping: IPRT uses spaces, C locales `,` `.` `'` or space."""
    sep = " " if dialect == "iprt" else "[,.' \u00a0\u202f]"
    return rf"(?:\d{{1,3}}(?:{sep}\d{{3}})+|\d+)"


def _padded(core: str, width: int | None, flags: str) -> str:
    """Allow the space padding a width adds (left or right)."""
    if not width:
        return core
    return rf" *(?:{core}) *" if "-" in flags else rf" *(?:{core})"


# hex digits a `%x` prints at most, by length modifier: an int is 32 bits, a long long 64
# (a `long` too: LP64 Linux; IPRT code prints 64-bit values with %RX64, not %lx)
_HEX_DIGITS = {"": 8, "h": 4, "hh": 2, "I32": 8}


@lru_cache(maxsize=512)
def basic_atom(ch: str, flags: str, width: int | None, prec: int | None,
               dialect: str, length: str = "") -> Atom:
    """The atom of a plain printf conversion character (d, x, s, p, f, ...); `length`: its
    length modifier (`%08x` prints at most 8 hex digits, `%016llx` up to 16)."""
    cap = max(width or 0, 48) + 4
    digits = _grouped(dialect) if "'" in flags else _DEC
    if ch in "di":
        return _atom("int", _padded(rf"[-+ ]?{digits}", width, flags), cap, 0.3)
    if ch == "u":
        return _atom("uint", _padded(rf"\+?{digits}", width, flags), cap, 0.3)
    if ch in "xX":
        most = _HEX_DIGITS.get(length, 16)
        least = width if width and "0" in flags and "-" not in flags and width <= 64 else 1
        least -= 2 if "#" in flags and least > 2 else 0
        digits_ = rf"[0-9a-fA-F]{{{min(least, max(most, least))},{max(most, least)}}}"
        core = rf"(?:0[xX])?{digits_}" if "#" in flags else digits_
        return _atom("hex", _padded(core, width, flags), cap, 0.3)
    if ch == "o":
        return _atom("oct", _padded(r"[0-7]+", width, flags), cap, 0.3)
    if ch == "c":
        return _atom("char", r"[\s\S]" if not width else r" *[\s\S] *", max(width or 1, 1), 0.1)
    if ch in "eEfFgGaA":
        core = (r"[-+ ]?(?:(?:\d[\d,.]*|\.\d+)(?:[eEpP][-+]?\d+)?|0[xX][0-9a-fA-F.]+[pP][-+]?\d+"
                r"|[iI][nN][fF](?:inity)?|[nN][aA][nN])")
        return _atom("float", _padded(core, width, flags), cap + 320, 0.2)
    if ch == "p":
        return _atom("ptr", _padded(_PTR, width, flags), cap, 0.2)
    if ch == "n":
        return _atom("none", "", 0, 0.0)
    if ch in "sSCm":
        return Atom("str", None, prec if prec is not None and not width else None, 0.0)
    return ANY


_PTR = r"(?:0[xX])?[0-9a-fA-F]+|\((?:nil|null|_*ptrval_*|efault)\)"


_NUMERIC_KINDS = frozenset({"int", "uint", "hex", "oct", "float", "ptr"})


def _atom(kind: str, pattern: str, max_len: int | None, weight: float,
          numeric: bool | None = None) -> Atom:
    """Build an Atom from a regex source (`numeric`: by default, the printf number kinds)."""
    return Atom(kind, re.compile(pattern), max_len, weight,
                kind in _NUMERIC_KINDS if numeric is None else numeric)


# ---------------------------------------------------------------------------------------
# kernel %p extensions (Documentation/core-api/printk-formats.rst)

_TOKEN = r"\S*"
_KERNEL_P = [
    ("V", None, 0.0),                                            # nested format
    ("S", r"\S+(?: \[\S+\])?", 0.05), ("s", r"\S+(?: \[\S+\])?", 0.05),
    ("B", r"\S+(?: \[\S+\])?", 0.05), ("F", r"\S+(?: \[\S+\])?", 0.05),
    ("fw", _TOKEN, 0.05), ("f", r"\S+(?: \[\S+\])?", 0.05),
    ("I4", r"\d{1,3}(?:\.\d{1,3}){3}(?::\d+)?", 0.3), ("i4", r"\d{3}(?:\.\d{3}){3}", 0.3),
    ("I6", r"[0-9a-fA-F:.]+", 0.3), ("i6", r"[0-9a-fA-F]+", 0.3),
    ("IS", r"\[?[0-9a-fA-F:.]+\]?(?::\d+)?(?:/\d+)?(?:%\d+)?", 0.3),
    ("iS", r"[0-9a-fA-F:.\[\]%/]+", 0.3),
    ("M", r"[0-9a-fA-F]{2}(?:[:-]?[0-9a-fA-F]{2}){5}", 0.3),
    ("m", r"[0-9a-fA-F]{2}(?:[:-]?[0-9a-fA-F]{2}){5}", 0.3),
    ("U", r"[0-9a-fA-F]{8}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{12}", 0.3),
    ("a", r"(?:0[xX])?[0-9a-fA-F]+", 0.3),
    ("e", r"-?E[A-Z0-9]+|-?\d+", 0.3),
    ("h", r"(?:[0-9a-fA-F]{2}(?:[ :-]?[0-9a-fA-F]{2})*)?", 0.3),
    ("E", None, 0.0), ("d", None, 0.0), ("D", None, 0.0), ("t", None, 0.0),
    ("g", _TOKEN, 0.05), ("G", _TOKEN, 0.05), ("O", _TOKEN, 0.05), ("C", _TOKEN, 0.05),
    ("R", r"\[[^\]]*\]", 0.1), ("r", r"\[[^\]]*\]", 0.1),
    ("b", r"[0-9a-fA-F,\-]*", 0.2),
    ("x", r"(?:0[xX])?[0-9a-fA-F]+", 0.3), ("K", _PTR, 0.2), ("", _PTR, 0.2),
]


@lru_cache(maxsize=256)
def kernel_pointer(ext: str) -> Atom:
    """The atom for kernel `%p<ext>` (ext = all alphanumerics after the `p`)."""
    for key, pattern, weight in _KERNEL_P:
        if ext.startswith(key) and (key or not ext):
            if pattern is None:
                return Atom("p" + ext, None, None, 0.0)
            return _atom("p" + ext, pattern, 4096, weight)
    return Atom("p" + ext, re.compile(_TOKEN), None, 0.05)


# ---------------------------------------------------------------------------------------
# IPRT %R types (include/iprt/string.h, "Group 1" .. "Group 6")

_HEXISH = r"(?:0[xX])?[0-9a-fA-F]+"
_STATUS = r"V(?:ERR|INF|WRN)_[A-Z0-9_]+|[A-Z][A-Z0-9_]+|-?\d+|Unknown Status -?(?:0x)?[0-9a-fA-F]+"
_NUMISH = r"-?(?:0[xX])?[0-9a-fA-F]+(?::[0-9a-fA-F]+)?"
_UUID = r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}"

_IPRT_RT = {
    "bool": r"true|false|!-?\d+!", "uuid": _UUID,
    "mac": r"[0-9a-fA-F]{2}(?::[0-9a-fA-F]{2}){5}",
    "naipv4": r"\d{1,3}(?:\.\d{1,3}){3}", "naipv6": r"[0-9a-fA-F:.]+", "naddr": _TOKEN,
    "int": r"-?\d+", "uint": r"\d+", "foff": r"-?\d+", "xuint": _HEXISH,
    "fp16": r"[0-9a-fA-F]+:[0-9a-fA-F]+", "fp32": r"[0-9a-fA-F]+:[0-9a-fA-F]+",
    "fp64": r"[0-9a-fA-F]+:[0-9a-fA-F]+",
}
for _name in ("file", "fmode", "gid", "ino", "iop", "ldrm", "nthrd", "proc", "ptr", "reg",
              "sel", "sem", "sock", "thrd", "uid", "unicp", "utf16"):
    _IPRT_RT[_name] = _NUMISH

_IPRT_TYPES: dict[str, tuple[str | None, float, int]] = {}   # type -> (regex, weight, nargs)
for _name, _pat in _IPRT_RT.items():
    _IPRT_TYPES["T" + _name] = (_pat, 0.3, 1)
for _ctx in "GHRCK":
    for _kind, _pat in (("i", r"-?\d+"), ("u", r"\d+"), ("p", _HEXISH), ("r", _HEXISH),
                        ("v", _HEXISH), ("x", _HEXISH)):
        _IPRT_TYPES[_ctx + _kind] = (_pat, 0.3, 1)
for _bits in ("8", "16", "32", "64", "128"):
    _IPRT_TYPES["I" + _bits] = (r"[-+ ]?{DIGITS}", 0.3, 1)
    _IPRT_TYPES["U" + _bits] = (r"\+?{DIGITS}", 0.3, 1)
    _IPRT_TYPES["X" + _bits] = ("{HEX}", 0.3, 1)
_IPRT_TYPES.update({
    "hxs": (r"(?:[0-9a-fA-F]{2}(?: [0-9a-fA-F]{2})*)?", 0.3, 1),
    "hXs": (r"(?:[0-9a-fA-F]{2}(?: [0-9a-fA-F]{2})*)?", 0.3, 2),
    "hxd": (None, 0.0, 1), "hxD": (None, 0.0, 1), "hXd": (None, 0.0, 2), "hXD": (None, 0.0, 2),
    "hrc": (_STATUS, 0.4, 1), "hrf": (None, 0.0, 1), "hra": (None, 0.0, 1),
    "rc": (_STATUS, 0.4, 1), "rs": (None, 0.0, 1), "rf": (None, 0.0, 1), "ra": (None, 0.0, 1),
    "wc": (_STATUS, 0.4, 1), "wf": (None, 0.0, 1), "wa": (None, 0.0, 1),
    "fn": (_TOKEN, 0.05, 1), "bn": (None, 0.0, 1), "bs": (None, 0.0, 1),
    "Dtimespec": (None, 0.0, 1),
    "MAs": (None, 0.0, 1), "Mas": (None, 0.0, 1), "Mes": (None, 0.0, 1), "Mjs": (None, 0.0, 1),
    "Mpa": (_TOKEN, 0.0, 1), "Mpf": (_TOKEN, 0.0, 1), "Mpp": (_TOKEN, 0.0, 1),
    "Mpq": (_TOKEN, 0.0, 1),
})
for _c in "cu":
    for _s in "bBi":
        _IPRT_TYPES["h" + _c + _s] = (r"\d+(?:\.\d+)? ?[KMGTPE]?i?B?", 0.2, 1)
_IPRT_BY_LENGTH = sorted(_IPRT_TYPES, key=len, reverse=True)
_IPRT_NUMBERS = frozenset({r"-?\d+", r"\d+", _HEXISH, _NUMISH, r"[-+ ]?{DIGITS}",
                           r"\+?{DIGITS}", "{HEX}"})  # the types that print a number
_IPRT_UNKNOWN = re.compile(r"[A-Z]?[a-z]{1,3}\d*|[A-Z]{1,2}\d*")
_IPRT_REG = re.compile(r"Ax86\[[^\]]*\]|\[[A-Za-z0-9_\-]+\]")


_IPRT_TYPE = re.compile("|".join([*(re.escape(n) for n in _IPRT_BY_LENGTH),  # (in this order:
                                   _IPRT_REG.pattern, _IPRT_UNKNOWN.pattern]))  # first wins)


def iprt_type(fmt: str, at: int) -> str | None:
    """The `%R` type name starting at fmt[at] (longest known prefix, else a guess)."""
    m = _IPRT_TYPE.match(fmt, at)
    return m.group() if m else None


@lru_cache(maxsize=None)
def conversion_regex(dialect: str) -> re.Pattern[str]:
    """One regex that matches, at a `%`, exactly the text parse_conversion takes as one
    conversion (`%%` included) and fails where it returns None; for the words of a format
    (logfmt.literal_keys), which need the conversions' extents, not their atoms. The spec is
    an atomic group: parse_conversion reads it greedily, then looks at the next character."""
    chars = _CONV_CHARS[dialect]
    alts = []
    if dialect == "kernel":
        alts.append(r"p[A-Za-z0-9]*+")
    if dialect == "iprt":
        alts.append(rf"R(?>{_IPRT_TYPE.pattern})")
        chars = chars.replace("R", "")
    alts.append(f"[{re.escape(chars)}]")
    spec = re.sub(r"\(\?P<\w+>", "(?:", _SPEC.pattern)
    return re.compile(f"(?>{spec})(?:{'|'.join(alts)})")


@lru_cache(maxsize=512)
def iprt_atom(typ: str, flags: str) -> tuple[Atom, int, bool]:
    """(atom, number of value args, unknown?) for an IPRT `%R<typ>`."""
    known = _IPRT_TYPES.get(typ)
    if known is None:
        if typ.startswith(("[", "Ax86[")):
            return Atom("R" + typ, None, None, 0.0), 1, False
        return Atom("R" + typ, re.compile(_TOKEN), None, 0.02), 1, True
    pattern, weight, nargs = known
    if pattern is None:
        return Atom("R" + typ, None, None, 0.0), nargs, False
    digits = _grouped("iprt") if "'" in flags else _DEC
    hexcore = rf"(?:0[xX])?{_HEX}" if "#" in flags else _HEX
    numeric = pattern in _IPRT_NUMBERS
    pattern = pattern.replace("{DIGITS}", digits).replace("{HEX}", hexcore)
    cap = None if "*" in pattern else 64
    return (_atom("R" + typ, rf" *(?:{pattern}) *", cap, weight, numeric),
            nargs, False)
