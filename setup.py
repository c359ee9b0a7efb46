"""The optional C part of vmxref (everything else is in pyproject.toml).

vmxref.indexer._native writes the workers' spools and scans a file's identifiers (see
vmxref/indexer/native.py). It needs a C compiler, Python's headers and SQLite's (Debian:
libsqlite3-dev); when they are missing, the build of the extension fails, pip carries on,
and the Python twins of its functions do the work.
"""
from setuptools import Extension, setup

setup(ext_modules=[Extension("vmxref.indexer._native", ["vmxref/indexer/_native.c"],
                             libraries=["sqlite3"], optional=True)])
