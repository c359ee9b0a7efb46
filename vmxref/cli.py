"""The command line: a thin skin over vmxref.api. Errors become one line and exit 2."""
from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import click

from vmxref.errors import EXIT_ERROR, VmxrefError, one_line
from vmxref.render import clean, render_sites

EXIT_RESULTS, EXIT_EMPTY = 0, 1


class VmxrefGroup(click.Group):
    """Translates library errors into one-line messages (errors.one_line says them)."""

    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except BrokenPipeError:
            _quiet_broken_pipe()
        except (KeyboardInterrupt, Exception) as e:  # (one_line: None for a bug, re-raised)
            said = one_line(e)
            if said is None:
                raise
            click.echo(said[0], err=True)
            if isinstance(e, KeyboardInterrupt):
                from vmxref import interrupts
                interrupts.exit_within(said[1])
            sys.exit(said[1])


def _quiet_broken_pipe() -> None:
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())
    sys.exit(EXIT_RESULTS)


def index_option(fn):
    return click.option("--index", "index_dir", type=click.Path(path_type=Path), default=None,
                        envvar="VMXREF_INDEX", help="Index directory (default ./.vmxref).")(fn)


def corpus_option(fn):
    return click.option("--corpus", "-c", multiple=True, metavar="NAME[@VERSION]",
                        callback=lambda _ctx, _p, v: ",".join(v) or None,
                        help="Restrict to an indexed corpus (version); give it again for "
                             "several.")(fn)


def json_option(fn):
    return click.option("--json", "as_json", is_flag=True, help="JSON Lines output.")(fn)


def query_options(fn):
    return index_option(corpus_option(json_option(fn)))


@click.group(cls=VmxrefGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="vmxref")
@click.option("--index", "index_dir", type=click.Path(path_type=Path), default=None,
              help="Index directory for the command (as the command's own --index).")
def cli(index_dir: Path | None) -> None:
    """vmxref: where is a field set, what raises a request, who calls a function, which
    line printed a log message — in Linux KVM and VirtualBox sources, without a build."""
    if index_dir is not None:  # the commands read it as the default of their --index
        os.environ["VMXREF_INDEX"] = str(index_dir)


# --- indexing ------------------------------------------------------------------------------

@cli.command("index")
@click.argument("root", type=click.Path(path_type=Path))
@click.option("--corpus", "-c", required=True, metavar="NAME[@VERSION]",
              help="Corpus name (a shipped profile) and version, e.g. linux-kvm@6.1.")
@click.option("--profile", default=None, metavar="NAME|FILE.toml",
              help="Corpus profile to use instead of the one named by --corpus.")
@click.option("--procs", type=int, default=None, help="Worker processes (default: all cores).")
@click.option("--wait", is_flag=True, help="Wait for another indexer instead of refusing.")
@click.option("--no-fulltext", is_flag=True, help="Skip the full-text (search) index.")
@index_option
def index_cmd(root, corpus, profile, procs, wait, no_fulltext, index_dir) -> None:
    """Index the C/C++ tree ROOT as corpus NAME[@VERSION]."""
    from vmxref import api
    from vmxref.render import progress_printer
    stats = api.index(str(root), corpus, index_dir, profile, procs, progress_printer(sys.stderr),
                      wait, fulltext=not no_fulltext)
    click.echo(stats.summary(), err=True)


@cli.group("corpus")
def corpus_group() -> None:
    """Corpus profiles and their sources: list, get, index, remove."""


@corpus_group.command("list")
@index_option
@json_option
def corpus_list(index_dir, as_json) -> None:
    """Shipped profiles and indexed corpus versions."""
    from vmxref import corpora
    from vmxref.store import Store
    from vmxref.errors import NoIndex
    indexed = []
    try:
        with Store.open(index_dir) as st:
            indexed = st.corpora()
    except NoIndex:  # (no index yet: the profiles alone; a damaged one is said, not listed
        pass  # as empty)
    for name in corpora.names():
        prof = corpora.load(name)
        vers = [c for c in indexed if c["name"] == name]
        if as_json:
            click.echo(json.dumps({"name": name, "description": prof.data.get("description", ""),
                                   "indexed": [{"version": c["version"], "root": c["root"],
                                                "files": c["stats"].get("files")} for c in vers]}))
        else:
            v = ", ".join(f"{c['version']} ({c['stats'].get('files', '?')} files)" for c in vers)
            click.echo(f"{name}: {prof.data.get('description', '')}  [indexed: {v or 'none'}]")
    for c in indexed:
        if c["name"] not in corpora.names():
            click.echo(f"{c['name']}@{c['version']}: custom profile [{c['stats'].get('files')} files]")


@corpus_group.command("get")
@click.argument("name")
@click.option("--from", "source", default=None, metavar="PATH|TARBALL",
              help="Take the sources from a local tree or tarball.")
@click.option("--dest", type=click.Path(path_type=Path), default=None,
              help="Where to put the sources (default ./corpora-local/NAME-VERSION).")
@click.option("--version", "version", default=None, help="Version label.")
def corpus_get(name, source, dest, version) -> None:
    """Obtain a corpus's sources (only the profile's paths)."""
    from vmxref.corpora import fetch
    out = fetch.get(name, source=source, dest=dest, version=version)
    click.echo(str(out))


@corpus_group.command("index")
@click.argument("name")
@click.option("--version", "version", default=None, help="Version label.")
@click.option("--root", type=click.Path(path_type=Path), default=None,
              help="Sources (default: where `corpus get` put them).")
@index_option
def corpus_index(name, version, root, index_dir) -> None:
    """Index a corpus obtained with `corpus get` (get it first when missing)."""
    from vmxref import api, corpora
    from vmxref.corpora import fetch
    prof = corpora.load(name)
    ver = version or prof.default_version
    root = root or fetch.default_dest(prof, ver)
    if not Path(root).is_dir():
        root = fetch.get(name, dest=root, version=ver)
    from vmxref.render import progress_printer
    stats = api.index(str(root), f"{prof.name}@{ver}", index_dir, None, None,
                      progress_printer(sys.stderr))
    click.echo(stats.summary(), err=True)


@corpus_group.command("remove")
@click.argument("corpus", metavar="NAME[@VERSION]")
@click.option("--wait", is_flag=True, help="Wait for another indexer instead of refusing.")
@index_option
def corpus_remove(corpus, wait, index_dir) -> None:
    """Remove an indexed corpus version (its files, and the contents and facts no other
    version shares) from the index."""
    from vmxref import api
    label, files, blobs = api.remove(corpus, index_dir, wait=wait)
    click.echo(f"removed {label}: {files} files ({blobs} contents no other version shares)",
               err=True)


# --- queries -----------------------------------------------------------------------------

def _run_and_print(query: str, index_dir, corpus, as_json) -> None:
    from vmxref import api
    from vmxref import sessions
    sc = api.open_scope(index_dir, corpus)
    sites = api.run_query(sc, query)
    sessions.record_if_active(query, sc, sites)
    render_sites(sites, as_json, click.echo, len(sc.corpus_ids) > 1)
    from vmxref.queries.engine import note as side_note
    note = side_note(sc, query, sites, as_json)
    if note:
        click.echo(note, err=True)
    sys.exit(EXIT_RESULTS if sites else EXIT_EMPTY)


@cli.command("q")
@click.argument("query")
@query_options
def q_cmd(query, index_dir, corpus, as_json) -> None:
    """Run one query of the query language, e.g. vmxref q 'callers kvm_guest_time_update'."""
    _run_and_print(query, index_dir, corpus, as_json)


def quoted_text(verb: str, text: str) -> str:
    """TEXT of `vmxref logline TEXT` as a string of the query language: quoted, unless it is
    one already (`vmxref logline "'TM: ...'"`, the query's own quoting pasted: that one pair
    of quotes is not part of the line; `'a' is 'b'` is a line with quotes, and is quoted)."""
    from vmxref.errors import QuerySyntaxError
    from vmxref.queries.lang import parse, quote
    if len(text) >= 2 and text[0] in "'\"" and text[-1] == text[0]:
        try:
            if not parse(f"{verb} {text}").pipes:
                return text
        except QuerySyntaxError:
            pass
    return quote(text)


def _verb_command(verb: str, doc: str, quote_rest: bool = False):
    @click.argument("args", nargs=-1, required=True)
    @query_options
    def cmd(args, index_dir, corpus, as_json) -> None:
        rest = quoted_text(verb, " ".join(args)) if quote_rest else " ".join(args)
        _run_and_print(f"{verb} {rest}", index_dir, corpus, as_json)
    cmd.__doc__ = doc
    return cli.command(verb, context_settings={"ignore_unknown_options": True})(cmd)


for _verb, _doc, _q in (
    ("def", "Definitions of a symbol: vmxref def kvm_guest_time_update", False),
    ("refs", "References with their kind: vmxref refs u32TscScale [kind write]", False),
    ("callers", "Callers of a function: vmxref callers kvm_guest_time_update [depth N]", False),
    ("callees", "Functions a function calls: vmxref callees vcpu_enter_guest [depth N]", False),
    ("writes", "Writes of a field or variable: vmxref writes GIMKVMSYSTEMTIME.u32TscScale", False),
    ("reads", "Reads of a field or variable: vmxref reads kvm_vcpu_arch.hv_clock", False),
    ("calls", "Calls of a function: vmxref calls kvm_make_request arg 1 = KVM_REQ_CLOCK_UPDATE", False),
    ("raises", "Sites that raise a request/flag: vmxref raises KVM_REQ_CLOCK_UPDATE [| paths from entry]", False),
    ("consumes", "Sites that test a request/flag: vmxref consumes KVM_REQ_CLOCK_UPDATE", False),
    ("path", "Call paths: vmxref path kvm_vcpu_ioctl -> kvm_guest_time_update [max N]", False),
    ("provenance", "Where a value comes from: vmxref provenance GIMKVMSYSTEMTIME.u32TscScale", False),
    ("logline", "Which statement printed a log line: vmxref logline 'TM: cTSCTicksPerSecond=...'", True),
):
    _verb_command(_verb, _doc, _q)


@cli.command("search")
@click.argument("text", nargs=-1, required=True)
@click.option("--in", "scope", type=click.Choice(["code", "comment", "string"]), default=None)
@click.option("--path", "path_glob", default=None, help="Only paths matching this glob.")
@query_options
def search_cmd(text, scope, path_glob, index_dir, corpus, as_json) -> None:
    """Full-text search over code, comments and strings: vmxref search tsc scale"""
    from vmxref.queries.lang import search_query
    _run_and_print(search_query(list(text), scope, path_glob), index_dir, corpus, as_json)


@cli.command("stats")
@query_options
def stats_cmd(index_dir, corpus, as_json) -> None:
    """Per corpus version: files, symbols, references, parse-error share, resolution rates."""
    from vmxref import api
    sc = api.open_scope(index_dir, corpus)
    rows = api.stats(sc)
    listed = {(c["name"], c["version"]): c["stats"].get("skipped_files", []) for c in sc.store.corpora()}
    for r in rows:
        r["skipped_files"] = ", ".join(f"{p} ({why})" for p, why in listed.get((r["corpus"], r["version"]), []))
        if as_json:
            click.echo(json.dumps(r))
        else:
            click.echo(clean(f"{r['corpus']}@{r['version']}:"))
            for k, v in r.items():
                if k not in ("corpus", "version"):
                    click.echo(clean(f"  {k}: {v}".replace("\n", "\\n")))


def main() -> None:
    """Console entry point."""
    from vmxref import interrupts
    interrupts.install()
    try:
        cli(prog_name="vmxref")
    except BrokenPipeError:
        _quiet_broken_pipe()


# Commands that live in their own modules register themselves on `cli` when imported.
from vmxref import cli_more  # noqa: E402,F401  (report, session, shell)
from vmxref import cli_saved  # noqa: E402,F401  (run, check, diff)


@cli.command("shell")
@index_option
@corpus_option
@json_option
def shell_cmd(index_dir, corpus, as_json) -> None:
    """Interactive queries with history and completion (warm: each answer in milliseconds)."""
    from vmxref import shell
    shell.run(index_dir, corpus, as_json)
