"""Ingest entry point shared by the CLI and the Prefect tasks.

Every ingest queues a receipt per file (in the file's own transaction) unless the caller
passes ``receipts=False``.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from pathlib import Path

from insday.env import Env
from insday.intake.pipeline import FileResult, Intake, Received, ResultHook
from insday.mail.receipts import receipt_hook
from insday.roster import current


_INTAKES: dict[tuple, Intake] = {}


def get_intake(env: Env) -> Intake:
    """One Intake (and so one GX context) per campaign, database and archive in a process, for
    the roster as known now (units.csv plus the roster changes: a unit added by `insday units
    add` is recognised from then on; :meth:`Intake.use_roster`)."""
    key = (id(env.campaign), env.settings.db_url, str(env.settings.archive_dir.resolve()))
    if key not in _INTAKES:
        _INTAKES[key] = Intake(env.campaign, env.engine, env.settings.archive_dir)
    intake = _INTAKES[key]
    intake.use_roster(current(env))
    return intake


def _hook(env: Env, sender: str | None, receipts: bool) -> ResultHook | None:
    if not receipts:
        return None

    return receipt_hook(env, sender)


def ingest_paths(env: Env, paths: Iterable[Path | str], *, bundles: Iterable[Path | str] = (),
                 received_at: datetime | None = None, source: str = "cli", sender: str | None = None,
                 receipts: bool = True) -> list[FileResult]:
    return get_intake(env).ingest(paths, bundles=bundles, received_at=received_at, source=source, sender=sender,
                                  on_result=_hook(env, sender, receipts))


def ingest_received(env: Env, items: list[Received], *, received_at: datetime | None = None,
                    source: str = "cli", sender: str | None = None, receipts: bool = True) -> list[FileResult]:
    return get_intake(env).ingest_received(items, received_at=received_at, source=source, sender=sender,
                                           on_result=_hook(env, sender, receipts))
