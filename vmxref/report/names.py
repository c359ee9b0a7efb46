"""Page names and relative links of a generated site: hashed, never taken from paths.

Every page lives in the site's top directory, so every link is a bare file name (plus an
`#L<line>` anchor); nothing a source tree or query file contains ends up in a file name
except a slug reduced to [a-z0-9-].
"""
from __future__ import annotations

import hashlib
import re

_SLUG = re.compile(r"[^a-z0-9]+")


def _digest(*parts: str) -> str:
    return hashlib.sha1("\0".join(parts).encode("utf-8", "replace")).hexdigest()[:12]


def slug(text: str, limit: int = 40) -> str:
    """A file-name-safe slug: lower case letters, digits and dashes only."""
    return _SLUG.sub("-", text.lower()).strip("-")[:limit].strip("-") or "x"


def query_page(key: str, title: str = "") -> str:
    """Page of one query (`key` identifies it uniquely, `title` gives a readable prefix)."""
    return f"q-{slug(title or key)}-{_digest('q', key)}.html"


def source_page(corpus: str, version: str, path: str) -> str:
    """Page of one source file of one corpus version."""
    return f"s-{_digest('s', corpus, version, path)}.html"


def symbol_page(corpus: str, version: str, name: str) -> str:
    """Page of one symbol of one corpus version."""
    return f"y-{_digest('y', corpus, version, name)}.html"


def anchor(line: int) -> str:
    """The id of a source line on a source page."""
    return f"L{int(line)}"


def line_link(page: str, line: int) -> str:
    """Relative link to a line of a source page."""
    return f"{page}#{anchor(line)}"
