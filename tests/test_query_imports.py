"""A plain query process imports only what its answer needs: `def`, `refs` and `callers`
of a function load no regular expressions, JSON (its C scanner decodes: vmxref/lazy.py),
datetime (the sqlite3 package's adapters), pathlib, typing or click; each costs a
whole-process query milliseconds (see bench/RESULTS.md). Run with -S and the checkout on
sys.path, so an editable install's path hooks (which import pathlib and re themselves) do
not mask it."""
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
HEAVY = ("re", "json", "pathlib", "typing", "click", "enum", "urllib.parse", "difflib", "fnmatch",
         "tomllib", "datetime", "importlib", "warnings")
CODE = """
import io, sys
sys.path.insert(0, sys.argv[1])
from vmxref import fastcli
sys.argv = ['vmxref', '--index', sys.argv[2], *sys.argv[3:]]
out, sys.stdout = sys.stdout, io.StringIO()
try:
    fastcli.run_fast(*fastcli._parse(sys.argv[1:]))
finally:
    answer, sys.stdout = sys.stdout.getvalue(), out
print(answer.count(chr(10)), *sorted(m for m in %r if m in sys.modules))
""" % (HEAVY,)


@pytest.mark.parametrize("verb", ["def", "refs", "callers"])
def test_plain_queries_load_no_heavy_module(kvm_index, verb):
    r = subprocess.run([sys.executable, "-S", "-c", CODE, str(ROOT), str(kvm_index), verb,
                        "kvm_guest_time_update"], capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stderr
    lines, *loaded = r.stdout.split()
    assert int(lines) >= 1  # (it answered)
    assert loaded == [], f"`{verb}` imported {loaded}"
