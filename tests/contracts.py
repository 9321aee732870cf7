"""Holding JSON to the result types: ``violations(value, T)`` lists where a value parsed from JSON
differs from the TypedDict (or other annotation) ``T``: a missing or undeclared key, a value of
the wrong type. Stricter than pydantic's default: no coercion (``"1"`` is not an int, ``1`` not
a bool), no extra keys. ``datetime`` and ``date`` are ISO strings in JSON (``print_json`` writes
them with ``str()``).
"""

from __future__ import annotations

import types
from datetime import date, datetime
from typing import (Any, Literal, NotRequired, Required, Union, get_args, get_origin, get_type_hints,
                    is_typeddict)


def violations(value: Any, tp: Any, where: str = "$") -> list[str]:
    if tp is Any:
        return []
    if tp is None or tp is type(None):
        return [] if value is None else [f"{where}: {value!r} is not null"]
    origin = get_origin(tp)
    if origin is Literal:
        return [] if any(value == a and type(value) is type(a) for a in get_args(tp)) else \
            [f"{where}: {value!r} is not one of {get_args(tp)}"]
    if origin in (Union, types.UnionType):
        found = [violations(value, alt, where) for alt in get_args(tp)]
        if any(not f for f in found):
            return []
        return [f"{where}: matches none of {tp}, closest:", *min(found, key=len)]
    if is_typeddict(tp):
        if not isinstance(value, dict):
            return [f"{where}: {type(value).__name__} is not an object ({tp.__name__})"]
        hints = get_type_hints(tp, include_extras=True)
        # (not tp.__required_keys__: under ``from __future__ import annotations`` Python 3.11 misses NotRequired)
        optional = {k for k, h in hints.items()
                    if get_origin(h) is NotRequired or (not tp.__total__ and get_origin(h) is not Required)}
        hints = {k: get_args(h)[0] if get_origin(h) in (NotRequired, Required) else h for k, h in hints.items()}
        problems = [f"{where}: missing key {k!r} ({tp.__name__})" for k in sorted(hints.keys() - optional - set(value))]
        problems += [f"{where}: undeclared key {k!r} ({tp.__name__})" for k in sorted(set(value) - set(hints))]
        for k in (k for k in hints if k in value):
            problems += violations(value[k], hints[k], f"{where}.{k}")
        return problems
    if origin is list:
        if not isinstance(value, list):
            return [f"{where}: {type(value).__name__} is not a list"]
        [item] = get_args(tp)
        return [p for i, v in enumerate(value) for p in violations(v, item, f"{where}[{i}]")]
    if origin is dict:
        if not isinstance(value, dict):
            return [f"{where}: {type(value).__name__} is not an object"]
        key, item = get_args(tp)
        return [p for k, v in value.items() for p in (*violations(k, key, f"{where} key"),
                                                       *violations(v, item, f"{where}[{k!r}]"))]
    if tp in (datetime, date):
        try:
            ok = isinstance(value, str) and bool(tp.fromisoformat(value))
        except ValueError:
            ok = False
        return [] if ok else [f"{where}: {value!r} is not an ISO {tp.__name__}"]
    if tp is float:
        ok = isinstance(value, (int, float)) and not isinstance(value, bool)
        return [] if ok else [f"{where}: {value!r} is not a number"]
    if tp in (int, str, bool):
        ok = type(value) is tp
        return [] if ok else [f"{where}: {value!r} is not {tp.__name__}"]
    raise TypeError(f"{where}: no rule for {tp!r}")


def check(value: Any, tp: Any) -> None:
    """Fail, naming every difference, unless ``value`` is a ``tp``."""
    problems = violations(value, tp)
    assert not problems, f"{getattr(tp, '__name__', tp)}:\n" + "\n".join(problems[:20])

