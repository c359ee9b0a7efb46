"""Fuzzing the extractor (issue 9): random C-like token soup never crashes the indexer.

The query parser and the format-string matcher have their own property tests:
tests/test_query_lang.py (test_fuzz_parse_never_crashes, test_fuzz_keyword_soup,
test_fuzz_round_trip_generated_queries) and tests/test_logfmt.py
(test_never_raises_on_random_text, test_never_raises_on_percent_soup, ...).
"""
from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from vmxref.indexer import worker

TOKENS = [
    "int", "struct", "union", "enum", "typedef", "static", "const", "void", "unsigned", "char",
    "if", "else", "for", "while", "do", "switch", "case", "default", "return", "goto", "sizeof",
    "#define", "#if", "#ifdef", "#endif", "#include", "\n", "\\\n", "{", "}", "(", ")", "[", "]",
    ";", ",", ".", "->", "=", "+=", "|=", "++", "--", "*", "&", "!", "?", ":", "<<", ">>", "==",
    "vcpu", "kvm", "arch", "u32TscScale", "pVM", "kvm_make_request", "pr_info", "LogRel",
    "KVM_REQ_CLOCK_UPDATE", "0", "1", "0x1f", "'a'", "'\\0'", '"fmt %d\\n"', '"%s"', "/*", "*/",
    "//", "RT_SUCCESS", "DECLCALLBACK", "__attribute__((unused))", "...", "\x00", "\xff", "é",
]


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.sampled_from(TOKENS), max_size=120), st.sampled_from(["c", "cpp"]),
       st.sampled_from([" ", "", "\n"]))
def test_token_soup_never_crashes_the_extractor(tokens: list[str], lang: str, sep: str) -> None:
    worker.init({}, "printf")
    src = sep.join(tokens).encode("utf-8", "surrogateescape")
    job, facts, status = worker.work((7, src, lang))
    assert job == 7 and status == "ok", status
    assert facts is not None


@settings(max_examples=100, deadline=None)
@given(st.binary(max_size=400))
def test_random_bytes_never_crash_the_extractor(data: bytes) -> None:
    worker.init({}, "kernel")
    _job, _facts, status = worker.work((0, data, "c"))
    assert status == "ok", status
