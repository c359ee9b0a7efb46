"""Text results of several corpus versions say which version each line is from."""
from __future__ import annotations

from vmxref.model import Site
from vmxref.render import render_sites


def _site(version: str, line: int) -> Site:
    return Site("write", "virtualbox-vmm", version, "src/VBox/VMM/VMMR3/GIMHv.cpp", line, 5,
                "gimR3HvEnableTscPage", "GIMHVREFTSC.u64TscScale", "pRefTsc->u64TscScale = x;",
                {"write_kind": "assign", "op": "="})


def test_mixed_versions_are_labelled_and_one_version_is_not():
    out: list[str] = []
    render_sites([_site("5.1", 1264), _site("6.1.36", 1272)], False, out.append)
    assert [x.split(": ", 1)[0] for x in out] == ["virtualbox-vmm@5.1", "virtualbox-vmm@6.1.36"]
    one: list[str] = []
    render_sites([_site("6.1.36", 1272)], False, one.append)
    assert one[0].startswith("src/VBox/VMM/VMMR3/GIMHv.cpp:1272:5: ")
    js: list[str] = []
    render_sites([_site("5.1", 1264), _site("6.1.36", 1272)], True, js.append)
    assert all(x.startswith("{") for x in js)  # JSON has its own corpus/version keys
