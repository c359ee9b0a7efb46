"""vmxref/lazy.py's stand-ins answer as `re` and `json` do: its patterns match as compiled
ones, its `loads` (the C scanner alone) decodes what `json.loads` decodes and refuses with
json's own error what json refuses."""
import json as real_json
import re as real_re
import subprocess
import sys

import pytest
from hypothesis import given, strategies as st

from vmxref.lazy import json, re

JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=4),
    max_leaves=20)


@given(JSON_VALUES, st.sampled_from(["", " ", "\n", " \t\r\n"]))
def test_loads_is_json_loads(value, pad) -> None:
    for text in (real_json.dumps(value), real_json.dumps(value, ensure_ascii=False),
                 real_json.dumps(value, indent=1)):
        assert json.loads(pad + text + pad) == real_json.loads(text)


@given(st.text(max_size=30))
def test_loads_refuses_as_json_does(text) -> None:
    try:
        expected = real_json.loads(text)
    except ValueError as e:
        with pytest.raises(type(e)) as got:
            json.loads(text)
        assert str(got.value) == str(e)
    else:  # (compared as JSON: "NaN" decodes to a float unequal to itself)
        assert real_json.dumps(json.loads(text)) == real_json.dumps(expected)


@pytest.mark.parametrize("text", ["", "[1,", "{} x", "nul", "[1] [2]", '"\\x"', "{'a': 1}"])
def test_loads_error_is_json_decode_error(text) -> None:
    with pytest.raises(real_json.JSONDecodeError):
        json.loads(text)


def test_loads_takes_bytes_and_options_through_json() -> None:
    assert json.loads(b'{"a": 1}') == {"a": 1}
    assert json.loads('{"a": 1.5}', parse_float=str) == {"a": "1.5"}


def test_lazy_pattern_is_the_compiled_pattern() -> None:
    p = re.compile(r"(\w+)\s*\(", 256)  # (re.ASCII)
    q = real_re.compile(r"(\w+)\s*\(", real_re.ASCII)
    text = "foo (bar(x), é(y))"
    assert p.findall(text) == q.findall(text)
    assert p.sub("<\\1>", text) == q.sub("<\\1>", text)
    assert p.match(text).group(1) == "foo" and p.pattern == q.pattern and p.flags == q.flags
    assert re.escape("a.b") == real_re.escape("a.b")


def test_nothing_imported_until_used() -> None:
    code = ("import sys; from vmxref.lazy import re, json; p = re.compile('a+'); "
            "v = json.loads('[1, {\\\"a\\\": null}]'); "
            "print(v, 're' in sys.modules, 'json' in sys.modules, 'enum' in sys.modules); "
            "print(bool(p.match('aa')), 're' in sys.modules)")
    r = subprocess.run([sys.executable, "-S", "-c", code], capture_output=True, text=True,
                       env={"PYTHONPATH": str(__import__("pathlib").Path(__file__).parent.parent)})
    assert r.stdout.split("\n")[:2] == ["[1, {'a': None}] False False False", "True True"], r.stderr


def test_compile_all_compiles_every_pattern_made() -> None:
    from vmxref import lazy
    p = re.compile(r"x(\d+)")
    lazy.compile_all()
    assert "match" in vars(p) and p.match("x12").group(1) == "12"
