"""The optional C part of vmxref (everything else is in pyproject.toml).

vmxref.indexer._spoolc writes the workers' spools (see vmxref/indexer/spool.py). It needs a
C compiler, Python's headers and SQLite's (Debian: libsqlite3-dev); when they are missing
the build of the extension fails, pip carries on, and the sqlite3 module writes the spools.
"""
from setuptools import Extension, setup

setup(ext_modules=[Extension("vmxref.indexer._spoolc", ["vmxref/indexer/_spoolc.c"],
                             libraries=["sqlite3"], optional=True)])
