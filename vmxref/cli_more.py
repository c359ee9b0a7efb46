"""More commands (report, session, run, check, diff, shell), registered on the main group."""
from __future__ import annotations

from pathlib import Path

import click

from vmxref.cli import cli, corpus_option, index_option
from vmxref.render import clean, count

# --- report ------------------------------------------------------------------------------


@cli.command("report")
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@click.option("--out", "out_dir", required=True, type=click.Path(path_type=Path),
              help="Directory to write the site into (created when missing).")
@index_option
@corpus_option
def report_cmd(paths, out_dir, index_dir, corpus) -> None:
    """Write a static HTML site of saved queries: vmxref report --out site queries/

    A query that pins no corpus version has a row per indexed version (as `check` judges it).
    """
    from vmxref.queries.saved import load_all
    from vmxref.report import build_site
    saved = load_all(list(paths) or [Path("queries")], repo_root=Path.cwd())
    s = build_site(out_dir, saved, index_dir, corpus, repo_root=Path.cwd())
    for line in s["not_run"]:
        click.echo(clean(line), err=True)
    click.echo(f"wrote {s['out']}/index.html: {s['files']} queries ({s['queries']} rows), "
               f"{s['source_pages']} source pages, {s['symbol_pages']} symbol pages "
               f"({s['pages']} pages) in {s['seconds']:.1f}s", err=True)
    if s.get("sources_cut"):
        click.echo(f"{s['sources_cut']} files of the answers have no source page (the report "
                   "makes at most MAX_SOURCE_PAGES; the index page says so)", err=True)
    if s["symbols_cut"]:
        click.echo(f"{s['symbols_cut']} names on source pages have no symbol page (the report "
                   "makes at most MAX_SYMBOL_PAGES; the index page says so)", err=True)


# --- sessions ----------------------------------------------------------------------------


@cli.group("session")
def session_group() -> None:
    """Record a code-reading session: start, note, bookmark, replay, export."""


@session_group.command("start")
@click.argument("name")
@index_option
def session_start(name, index_dir) -> None:
    """Start (or resume) session NAME; queries run from now on are recorded."""
    from vmxref import sessions
    meta = _index_meta(index_dir)
    new = sessions.start(index_dir, name, meta)
    click.echo(f"session {name} {'started' if new else 'resumed'}; queries are recorded "
               f"until `vmxref session stop`", err=True)


def _index_meta(index_dir) -> dict[str, str]:
    from vmxref.errors import VmxrefError
    from vmxref.store import Store
    try:
        with Store.open(index_dir) as st:
            meta = {k: v for k, v in st.conn.execute("SELECT key, value FROM meta")}
            meta["corpora"] = ", ".join(f"{c['name']}@{c['version']}" for c in st.corpora())
            return meta
    except VmxrefError:
        return {}


@session_group.command("stop")
@index_option
def session_stop(index_dir) -> None:
    """Stop recording the active session."""
    from vmxref import sessions
    click.echo(f"session {sessions.stop(index_dir)} stopped", err=True)


@session_group.command("note")
@click.argument("text", nargs=-1, required=True)
@index_option
def session_note(text, index_dir) -> None:
    """Add a note to the active session: vmxref session note 'the scale comes from ...'"""
    from vmxref import sessions
    sessions.note(index_dir, " ".join(text))


@session_group.command("bookmark")
@click.argument("location", metavar="FILE:LINE")
@click.argument("text", nargs=-1)
@click.option("--corpus", "-c", default=None, metavar="NAME@VERSION",
              help="Corpus version of FILE (default: that of the last query).")
@index_option
def session_bookmark(location, text, corpus, index_dir) -> None:
    """Bookmark a source line in the active session: vmxref session bookmark x86.c:3120 why"""
    from vmxref import sessions
    path, line = sessions.parse_location(location)
    corpus, path, line_text = _resolved(index_dir, corpus or _last_corpus(index_dir), path, line)
    sessions.bookmark(index_dir, f"{path}:{line}", " ".join(text), corpus, line_text)


def _last_corpus(index_dir) -> str | None:
    from vmxref import sessions
    name = sessions.active(index_dir)
    events = sessions.load(index_dir, name) if name else []
    queries = [e for e in events if e["type"] == "query" and e.get("corpus")]
    return str(queries[-1]["corpus"]).split(",")[0].strip() if queries else None


def _resolved(index_dir, corpus, path: str, line: int) -> tuple[str, str, str]:
    """(NAME@VERSION, the file's indexed path, the line's text) of a bookmark: the corpus
    version is --corpus, else the last query's, else the only one indexed; FILE may be the
    end of an indexed path (`x86.c`) that names one file. SessionError (one line) when it
    names none, several, or the line is past the file's end."""
    from vmxref import api
    from vmxref.sessions import SessionError
    sc = api.open_scope(index_dir, corpus)
    if len(sc.corpus_ids) != 1:
        raise SessionError(f"say which corpus version {path} is in: --corpus NAME@VERSION (no "
                           f"query of this session names one; indexed: {sc.label()})")
    cid, label = sc.corpus_ids[0], sc.label()
    rows = [r for r in sc.conn.execute(
        "SELECT path, blob_id FROM file WHERE corpus_id = ? AND (path = ? OR path LIKE ?)",
        (cid, path, "%" + path.lstrip("/"))) if r[0] == path or r[0].endswith("/" + path)]
    rows = [r for r in rows if r[0] == path] or rows
    if not rows:
        raise SessionError(f"no file {path} in {label}")
    if len(rows) > 1:
        names = ", ".join(sorted(r[0] for r in rows)[:3])
        raise SessionError(f"{path} names {len(rows)} files of {label} ({names}"
                           f"{', ...' if len(rows) > 3 else ''}): give more of its path")
    full, bid = rows[0]
    count = len(sc.store.lines(bid))
    if line > count:
        raise SessionError(f"{full} has {count} lines in {label}: no line {line}")
    return label, full, sc.store.line_text(bid, line)
    return ""


@session_group.command("list")
@index_option
def session_list(index_dir) -> None:
    """Recorded sessions (the active one is marked with *)."""
    from vmxref import sessions
    act = sessions.active(index_dir)
    for name, counts in sessions.list_sessions(index_dir):
        mark = "*" if name == act else " "
        nq = counts.get("query", 0)
        click.echo(f"{mark} {name}: {nq} {'query' if nq == 1 else 'queries'}, "
                   f"{count(counts.get('note', 0), 'note')}, "
                   f"{count(counts.get('bookmark', 0), 'bookmark')}")


@session_group.command("show")
@click.argument("name")
@index_option
def session_show(name, index_dir) -> None:
    """Print the events of a session."""
    from vmxref import sessions
    from vmxref.report.account import when
    for ev in sessions.load(index_dir, name):
        t, at = ev["type"], when(ev.get("time"))
        if t == "query":
            line = f"query [{ev.get('corpus', '')}] {ev.get('query', '')} -> {count(ev.get('count', 0), 'result')}"
        elif t == "note":
            line = f"note: {ev.get('text', '')}"
        elif t == "bookmark":
            line = f"bookmark {ev.get('file', '')}:{ev.get('line', '')} {ev.get('text', '')}"
        else:
            line = t + (" (resumed)" if ev.get("resumed") else "")
        click.echo(clean(f"{at}  {line}"))


@session_group.command("replay")
@click.argument("name")
@click.option("--corpus", "-c", required=True, metavar="NAME@VERSION",
              help="Corpus version to re-run the session's queries on.")
@index_option
def session_replay(name, corpus, index_dir) -> None:
    """Re-run a session's queries on another version and show what changed."""
    from vmxref import sessions
    changes = sessions.replay(index_dir, name, corpus)
    for ch in changes:
        moved = f" ~{len(ch.moved)}" if ch.moved else ""
        click.echo(clean(f"== {ch.query}  [{ch.recorded_on}: {ch.recorded_count} -> {corpus}: "
                         f"{ch.count}; +{len(ch.added)} -{len(ch.removed)}{moved}]"))
        if ch.error:
            click.echo(clean(f"   error: {ch.error}"))
        if ch.partial:
            click.echo("   (the record kept only part of the results; removals are approximate)")
        for sign, sites in (("+", ch.added), ("-", ch.removed)):
            for s in sites:
                where = f"{s.file}:{s.line}" if s.line else s.file
                click.echo(clean(f" {sign} {where}: {s.function or '-'}: {s.text}"))
        for status, old, new, note in ch.moved:  # (as `diff` says it: moved, changed)
            was = f"{old.file}:{old.line}" if old.line else old.file
            click.echo(clean(f" ~ {new.file}:{new.line}: {new.function or '-'}: {status} "
                             f"(from {old.function or '-'} at {was}"
                             f"{'; ' + note if note and not note.startswith('from ') else ''}):"
                             f" {new.text}"))
    changed = sum(1 for c in changes if c.added or c.removed or c.error or c.moved)
    click.echo(f"{len(changes)} queries replayed on {corpus}, {changed} changed", err=True)


@session_group.command("export")
@click.argument("name")
@click.option("--md", "md_file", type=click.Path(path_type=Path), default=None,
              help="Write a Markdown account to this file.")
@click.option("--html", "html_dir", type=click.Path(path_type=Path), default=None,
              help="Write an HTML account (report pages) into this directory.")
@index_option
def session_export(name, md_file, html_dir, index_dir) -> None:
    """Export a session as a readable account: --md FILE and/or --html DIR."""
    from vmxref.errors import VmxrefError
    from vmxref.report import account
    if not md_file and not html_dir:
        raise VmxrefError("say where to export: --md FILE and/or --html DIR")
    if md_file:
        n = account.export_markdown(index_dir, name, md_file)
        click.echo(f"wrote {md_file} ({n} events)", err=True)
    if html_dir:
        s = account.export_html(index_dir, name, html_dir)
        click.echo(f"wrote {s['out']}/index.html ({s['pages']} pages)", err=True)
