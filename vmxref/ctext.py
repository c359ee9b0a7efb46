"""Small helpers on C source text shared by the extractor's modules and the queries that read
macro bodies (outside the indexer package: a query process does not load the indexer)."""
from __future__ import annotations

import re
from json.encoder import encode_basestring_ascii as _jstr

KEYWORDS = frozenset(
    "auto break case char const continue default do double else enum extern float for goto "
    "if inline int long register restrict return short signed sizeof static struct switch "
    "typedef union unsigned void volatile while _Bool bool true false NULL class public "
    "private protected template typename namespace using new delete this operator virtual "
    "friend explicit mutable nullptr constexpr noexcept static_assert decltype typeof "
    "__typeof__ asm __asm__ __volatile__ volatile defined".split())

# tree-sitter's `primitive_type` names that are no keyword: a use is a type reference
PRIMITIVE_TYPES = frozenset(
    "size_t ssize_t ptrdiff_t intptr_t uintptr_t charptr_t nullptr_t max_align_t int8_t "
    "int16_t int32_t int64_t uint8_t uint16_t uint32_t uint64_t char8_t char16_t "
    "char32_t".split())

# comments and string / char literals of a #define body (blanked, same offsets)
NOT_CODE = re.compile(r'/\*.*?\*/|//[^\n]*|"(?:\\.|[^"\\\n])*"|\'(?:\\.|[^\'\\\n])*\'', re.S)

# words followed by `(` that are no calls
NOT_CALLS = frozenset({"if", "while", "for", "switch", "return", "sizeof", "typeof", "__typeof__",
                       "_Alignof", "__alignof__", "do", "defined", "__builtin_expect",
                       "__builtin_constant_p", "__attribute__", "asm", "__asm__", "volatile",
                       "__volatile__", "_Generic", "_Static_assert", "static_assert"})


# words that stand before a name being called or tested, never before a function's name in
# its definition: `else vmx_clear_msr_bitmap_##rw(..)`, `return x##_read(..)`
NOT_RETURN_TYPES = frozenset({"else", "return", "do", "case", "goto", "sizeof", "typeof",
                              "__typeof__", "default", "if", "while", "for", "switch"})
_LAST_WORD = re.compile(r"(\w+)\W*$")


def defining_position(before: str) -> bool:
    """Can the name that follows `before` (the text up to it) be the name of a function
    being defined: a type or `*` right before it, not an operator, nor a keyword of
    NOT_RETURN_TYPES (`static inline rtype vmx_##a##_x(` is a definition, `else
    vmx_clear_##rw(` a call)?"""
    before = before.rstrip(" \t\\")
    if not before or not (before[-1].isalnum() or before[-1] in "_*"):
        return False
    m = _LAST_WORD.search(before)
    return m is None or m.group(1) not in NOT_RETURN_TYPES


def jlist(items) -> str:
    """json.dumps of a list of strings (same output, without the encoder object)."""
    return "[" + ", ".join(map(_jstr, items)) + "]"


def expr_text(body: str, start: int, stops: str = ";,") -> str:
    """The text from `start` to the unbalanced `)` (or, at depth 0, a character of
    `stops`) that ends it: an expression (`;`, `,`), or the rest of an argument list ("")."""
    depth = 0
    for k in range(start, len(body)):
        ch = body[k]
        if ch in "([{":
            depth += 1
        elif ch in ")]}":
            if depth == 0:
                return body[start:k]
            depth -= 1
        elif depth == 0 and ch in stops:
            return body[start:k]
    return body[start:]


def open_bracket(body: str, at: int) -> tuple[int, int] | None:
    """(offset, commas before `at` at its level) of the innermost bracket left open before
    the offset `at` of a macro body, or None (at the top level)."""
    depth, commas = 0, 0
    for k in range(at - 1, -1, -1):
        ch = body[k]
        if ch in ")]}":
            depth += 1
        elif ch in "([{":
            if depth == 0:
                return k, commas
            depth -= 1
        elif ch == "," and depth == 0:
            commas += 1
    return None


def enclosing_call(body: str, at: int) -> tuple[str, int, str] | None:
    """(callee, 1-based argument index, call text) of the call whose argument list holds
    the offset `at` of a macro body, or None (not an argument of a named call)."""
    found = open_bracket(body, at)
    if found is None or body[found[0]] != "(":
        return None
    k, commas = found
    mm = re.search(r"([A-Za-z_]\w*)$", body[:k].rstrip())
    if mm is None or mm.group(1) in NOT_CALLS:
        return None
    end = expr_text(body, k + 1, "")
    text = f"{mm.group(1)}({' '.join(end.replace(chr(92), ' ').split())})"
    return mm.group(1), commas + 1, text[:200]
