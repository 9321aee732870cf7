"""Load the SQL in ``sql/``: one statement per file, named by what it returns.

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
from functools import lru_cache

from sqlalchemy import Date, bindparam, text
from sqlalchemy.engine import Connection
from sqlalchemy.sql.elements import TextClause

from insday.db.types import UTCDateTime
from insday.paths import SQL_DIR

_REF = re.compile(r"\{\{\s*ref\(['\"]([\w/]+)['\"]\)\s*\}\}")
_PARAM = re.compile(r"(?<![:\w]):(\w+)")
_COMMENT = re.compile(r"--[^\n]*")
_AS = re.compile(r"\bAS\s+(\w+)", re.IGNORECASE)


def _kind(name: str):
    if name == "as_of" or name.endswith("_at"):
        return UTCDateTime()
    if name in ("period", "day") or name.endswith(("_on", "_date")):
        return Date()
    return None


@lru_cache(maxsize=None)
def sql_text(name: str, dialect: str = "sqlite") -> str:
    variant = SQL_DIR / f"{name}.{dialect}.sql"
    path = variant if variant.exists() else SQL_DIR / f"{name}.sql"
    body = _COMMENT.sub("", path.read_text(encoding="utf-8")).strip().rstrip(";")
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
