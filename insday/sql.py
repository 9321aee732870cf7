"""Load the SQL in ``sql/``: one statement per file, named by what it returns.

The files are layered as in dbt's jaffle-shop: ``staging/`` holds the current versions of what
was received (valid and current submissions, each report type's current rows), ``marts/`` what
bulletins, status, reports and essays read (by domain), ``ops/`` the working statements of an
import (temporary tables, inserts, updates). A file's first line says what it is, for people and
for tests: ``-- grain: col_a, col_b`` for a query (the output columns no two rows share;
``-- grain: one row`` for a single-row answer), ``-- ops: writes step_rejects`` for a statement
that changes data, ``-- ops: creates temp table tmp_x, grain: record_id`` for one that makes a
table (which has a grain too). ``header(name)`` reads it.

``{{ ref('name') }}`` inlines another file as a subquery (as dbt's ref does), so layers
build on each other without repeating themselves. A file ``name.postgresql.sql`` next to
``name.sql`` is the PostgreSQL variant. Parameters and result columns named ``as_of``,
``*_at`` are aware UTC datetimes, and ``*_on``/``*_date``/``period``/``day`` are dates,
on every database. Every statement over stored data takes ``:campaign`` (the campaign's
name) and reads and writes that campaign's rows only (``staging/valid_submissions`` filters
it, so the layers on top of it inherit it).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from sqlalchemy import Date, bindparam, text
from sqlalchemy.engine import Connection
from sqlalchemy.sql.elements import TextClause

from insday.db.types import UTCDateTime
from insday.paths import SQL_DIR

_REF = re.compile(r"\{\{\s*ref\(['\"]([\w/]+)['\"]\)\s*\}\}")
_PARAM = re.compile(r"(?<![:\w]):(\w+)")
_COMMENT = re.compile(r"--[^\n]*")
_AS = re.compile(r"\bAS\s+(\w+)", re.IGNORECASE)
_HEADER = re.compile(r"-- (?:grain: (?P<grain>[^\n]+)|ops: (?P<ops>[^\n]+?)(?:, grain: (?P<ops_grain>[^\n]+))?)\n")


@dataclass(frozen=True)
class Header:
    """A file's first line: ``grain`` the output columns no two rows share (``()``: one row;
    None: the statement returns no rows), ``ops`` what a working statement does."""

    grain: tuple[str, ...] | None
    ops: str | None = None


def _kind(name: str):
    if name == "as_of" or name.endswith("_at"):
        return UTCDateTime()
    if name in ("period", "day") or name.endswith(("_on", "_date")):
        return Date()
    return None


def _path(name: str, dialect: str) -> Path:
    variant = SQL_DIR / f"{name}.{dialect}.sql"
    return variant if variant.exists() else SQL_DIR / f"{name}.sql"


def header(name: str, dialect: str = "sqlite") -> Header:
    """The grain (and, for ops statements, what they do) from the first line of sql/<name>.sql."""
    with _path(name, dialect).open(encoding="utf-8") as f:
        line = f.readline()
    match = _HEADER.fullmatch(line)
    if match is None:
        raise ValueError(f"sql/{name}: the first line is neither '-- grain: ...' nor '-- ops: ...': {line!r}")
    grain = match["grain"] or match["ops_grain"]
    columns = None if grain is None else () if grain == "one row" else tuple(c.strip() for c in grain.split(","))
    return Header(columns, match["ops"])


@lru_cache(maxsize=None)
def sql_text(name: str, dialect: str = "sqlite") -> str:
    body = _COMMENT.sub("", _path(name, dialect).read_text(encoding="utf-8")).strip().rstrip(";")
    return _REF.sub(lambda m: "(" + sql_text(m.group(1), dialect) + ")", body)


@lru_cache(maxsize=None)
def query(name: str, dialect: str = "sqlite") -> TextClause:
    body = sql_text(name, dialect)
    clause = text(body)
    typed = [bindparam(p, type_=t) for p in dict.fromkeys(_PARAM.findall(body)) if (t := _kind(p)) is not None]
    if typed:
        clause = clause.bindparams(*typed)
    columns = {c: t for c in dict.fromkeys(_AS.findall(body)) if (t := _kind(c)) is not None}
    return clause.columns(**columns) if columns else clause


def fetch(conn: Connection, name: str, **params) -> list[dict]:
    """Run sql/<name>.sql and return its rows as dicts."""
    result = conn.execute(query(name, conn.dialect.name), params)
    return [dict(row) for row in result.mappings()]
