"""A crash in the middle of a run: the n-th INSERT into a table raises, as a power cut would."""

from __future__ import annotations

from contextlib import contextmanager

import pytest
from sqlalchemy import event


@contextmanager
def crash_at_insert(engine, table: str, *, nth: int = 1, where: str | None = None, message: str = "power cut"):
    """Within the block, the ``nth`` INSERT INTO ``table`` (counting only those whose parameters
    contain ``where``, if given) raises RuntimeError(message); the block must let it out."""
    seen = []

    def crash(conn, cursor, statement, parameters, *rest):
        if statement.lstrip().upper().startswith(f"INSERT INTO {table.upper()}") and (
                where is None or where in str(parameters)):
            seen.append(statement)
            if len(seen) == nth:
                raise RuntimeError(message)

    event.listen(engine, "before_cursor_execute", crash)
    try:
        with pytest.raises(RuntimeError, match=message):
            yield
    finally:
        event.remove(engine, "before_cursor_execute", crash)
