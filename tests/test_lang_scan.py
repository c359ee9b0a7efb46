"""The query scanners of vmxref.queries.lang against the regular expressions they replace."""
import re

from hypothesis import given, settings, strategies as st

from vmxref.queries import lang

REGEXES = {
    lang._IDENT: r"[A-Za-z_][A-Za-z0-9_]*(?![A-Za-z0-9_])",
    lang._WORD: r"[A-Za-z0-9_][A-Za-z0-9_-]*",
    lang._NUMBER: r"-?[0-9]+(?![A-Za-z0-9_])",
    lang._CONST_INT: r"-?(?:0[xX][0-9A-Fa-f]+|[0-9]+)[uUlL]*(?![A-Za-z0-9_])",
    lang._BARE: r"[^\s|]+",
    lang._TOKEN: r"-?[A-Za-z0-9_]+|->|\S",
    lang._ARROW: r"->",
    lang._WS: r"\s*",
}
# Characters that matter to some pattern, a few of each class, and Unicode spaces and letters.
ALPHABET = "aZ_x X09fFuUlL-|>.'\"\t\n\x0b\x1c\u00a0\u2003\u3000é\u0660"
TEXTS = st.text(alphabet=ALPHABET, max_size=12)


@given(TEXTS, st.integers(0, 12))
@settings(max_examples=3000, deadline=None)
def test_scanners_match_their_regex(text, pos):
    pos = min(pos, len(text))
    for scan, rx in REGEXES.items():
        m = re.compile(rx).match(text, pos)
        assert scan(text, pos) == (m.end() if m else -1), (scan.__name__, text, pos)
        assert lang._full(scan, text) == bool(text and re.fullmatch(rx, text)), (scan.__name__, text)


def test_every_whitespace_character_agrees():
    for i in range(0x3100):
        c = chr(i)
        assert lang._WS(c, 0) == re.match(r"\s*", c).end(), hex(i)
        assert lang._BARE(c, 0) == (1 if re.match(r"[^\s|]+", c) else -1), hex(i)
