"""Saved-query commands (run, check, diff), registered on the main group.

`run` prints each saved query's title and results; `check` prints PASS/FAIL/SKIP per file
(exit 1 on a failure, or when every file was skipped) and can write SARIF; `diff` compares
one query across two versions (and which call paths of a site came or went).
Every file is validated (keys, syntax, corpus, symbols) before anything runs.
"""
from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from vmxref.cli import EXIT_EMPTY, EXIT_ERROR, EXIT_RESULTS, cli, corpus_option, index_option, json_option
from vmxref.render import clean, count, path_lines, render_sites

_FILES = click.argument("files", nargs=-1, required=True, type=click.Path(path_type=Path))


def _header(o) -> str:
    sq = o.plan.saved
    return clean(f"== {o.plan.shown} [{o.plan.corpus}]: {sq.title}")


@cli.command("run")
@_FILES
@index_option
@corpus_option
@json_option
def run_cmd(files, index_dir, corpus, as_json) -> None:
    """Run saved query files (FILE.toml or DIR of them): title, then results."""
    from vmxref.queries import runner
    plans = runner.prepare(list(files), index_dir, Path.cwd(), corpus)
    errors = any_results = False
    for o in (runner.run_plan(p, enforce=False) for p in plans):
        errors |= _print_run(o, as_json)
        any_results |= bool(o.sites)
    sys.exit(EXIT_ERROR if errors else EXIT_RESULTS if any_results else EXIT_EMPTY)


def _print_run(o, as_json: bool) -> bool:
    """Print one outcome of `run`; True when it was an error."""
    from vmxref.queries import runner
    if as_json:
        for s in o.sites:
            click.echo(json.dumps({"query": o.plan.shown, **s.to_json()}, ensure_ascii=False))
    else:
        click.echo(_header(o))
        render_sites(o.sites, False, click.echo)
    if o.remark and not as_json:
        click.echo(clean(f"vmxref: {o.plan.shown}: {o.remark}"), err=True)
    if o.status in (runner.SKIP, runner.ERROR):
        why = "; ".join(map(str, o.failures))
        click.echo(clean(f"{o.plan.shown}: {o.status}: {why}"), err=True)
    return o.status == runner.ERROR


@cli.command("check")
@_FILES
@index_option
@corpus_option
@json_option
@click.option("--sarif", "sarif_out", type=click.Path(path_type=Path), default=None,
              help="Also write the outcome as SARIF 2.1.0 to this file.")
@click.option("--verbose", "-v", is_flag=True, help="Also print the results of each query.")
def check_cmd(files, index_dir, corpus, as_json, sarif_out, verbose) -> None:
    """Check saved queries' [expect]: PASS/FAIL/SKIP per file; exit 1 on any failure, or
    when every file was skipped (nothing checked)."""
    from vmxref.queries import runner
    plans = runner.prepare(list(files), index_dir, Path.cwd(), corpus)
    outcomes = []
    for p in plans:
        o = runner.run_plan(p, enforce=True)
        outcomes.append(o)
        _print_check(o, as_json, verbose)
    counts = runner.summary(outcomes)
    if not as_json:
        click.echo(", ".join(f"{n} {k}" for k, n in sorted(counts.items())) or "nothing to check")
    if sarif_out is not None:
        from vmxref.queries import sarif
        sarif.write(sarif_out, outcomes)
    if runner.checked_nothing(outcomes):
        click.echo("vmxref: nothing was checked: every file was skipped (the SKIP lines say "
                   "why); index their corpora or choose another --corpus", err=True)
        sys.exit(EXIT_EMPTY)
    sys.exit(1 if any(o.failed for o in outcomes) else 0)


def _print_check(o, as_json: bool, verbose: bool) -> None:
    """One PASS/FAIL/SKIP line (and reasons) for `check`."""
    if as_json:
        click.echo(json.dumps({"file": o.plan.shown, "corpus": o.plan.corpus,
                               "title": o.plan.saved.title, "status": o.status,
                               "results": len(o.sites), "failures": [str(f) for f in o.failures]}))
        return
    n = f" ({count(len(o.sites), 'result')})" if o.status not in ("SKIP", "ERROR") else ""
    click.echo(clean(f"{o.status} {o.plan.shown} [{o.plan.corpus}]{n}"))
    for f in o.failures:
        click.echo(clean(f"    {f}"))
    if verbose:
        render_sites(o.sites, False, lambda s: click.echo("    " + s))
        if o.remark:
            click.echo(clean(f"    ({o.remark})"))


@cli.command("diff")
@click.argument("query")
@click.option("--from", "from_spec", required=True, metavar="NAME@V1", help="Old corpus version.")
@click.option("--to", "to_spec", required=True, metavar="NAME@V2", help="New corpus version.")
@click.option("--all", "show_all", is_flag=True, help="Also list results that did not change.")
@index_option
@json_option
def diff_cmd(query, from_spec, to_spec, show_all, index_dir, as_json) -> None:
    """Compare a query's results between two versions: added / removed / moved / changed.
    QUERY is a query text or a saved query file (`*.toml`), whose query is compared."""
    from vmxref.queries import diff, saved
    if query.strip().endswith(".toml"):  # (no query text ends so)
        query = saved.load(Path(query.strip())).query.text
    entries, why = diff.diff_query_why(query, from_spec, to_spec, index_dir)
    if from_spec.partition("@")[0] != to_spec.partition("@")[0]:  # (two code bases)
        click.echo(f"vmxref: {from_spec} and {to_spec} are two different corpora: their results "
                   f"are matched by text alone", err=True)
    shown = [e for e in entries if show_all or e.status != diff.SAME]
    for e in shown:
        click.echo(json.dumps(e.to_json(), ensure_ascii=False) if as_json else clean(e.line()))
        if not as_json and e.status in (diff.ADDED, diff.REMOVED):  # (which paths came or went)
            for line in path_lines(e.new or e.old):
                click.echo(line)
        elif not as_json and e.status == diff.MOVED and "call paths:" in e.note:
            for side, site in (("old", e.old), ("new", e.new)):  # (its own paths, both ends)
                for line in path_lines(site):
                    click.echo(line.replace("path:", f"{side} path:", 1))
    if not as_json:
        click.echo(diff.summary_line(entries, from_spec, to_spec, why), err=True)
    sys.exit(EXIT_RESULTS if shown else EXIT_EMPTY)
