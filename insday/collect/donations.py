"""The national platform's raw donation exports, arriving in the inbox folder or the mailbox.

A donation export (``donations-20190626.csv.gz``: CSV with the header
``donated_at,participant_id,region,steps``, gzipped or not, UTF-8 or GBK, with or without a
BOM) is known by its first line, or by the platform's file name; only that first line is
read to tell it from a report file (the exports have millions of lines). It is not a report:
it goes to the steps import (:func:`insday.steps.import_donations`, the one
``insday steps import`` calls), which streams it. Like every received file it is archived
first (by SHA-256), and the same file again is a ``duplicate`` that imports nothing (the
import knows its files by hash).

Step data is recorded in time order (an "as of" answer never changes once given). A file is
recorded as received at its own time (the inbox file's mtime, the message's arrival) or,
when step data recorded after that already exists, at that later moment: it cannot have
been known earlier, or an earlier collection would have taken it. A run asked about an
earlier moment (``as_of``) than that leaves the file for a later run (``deferred``: it stays
in the inbox, the message stays unseen).

Each file's entry in the collect summary (``donations.files``): ``sha256``, ``received_at``
(as recorded), ``status`` (``imported``, ``duplicate``, ``rejected``: the import refused it,
``error`` says why in Chinese; ``deferred``; None in a dry run) and ``import``: what
``insday steps import --json`` prints for it.
"""

from __future__ import annotations

import logging
from datetime import datetime
from pathlib import Path

from sqlalchemy import select

from insday.db.models import StepImport
from insday.env import Env
from insday.steps import StepsError, StepsOutOfOrder, import_donations, latest_step_data

log = logging.getLogger("insday.collect.donations")

STATUSES = ("imported", "duplicate", "rejected", "deferred")


def new_block() -> dict:
    """The ``donations`` part of a collect summary."""
    return {"files": [], **{status: 0 for status in STATUSES}}


def count(block: dict, entry: dict) -> None:
    block["files"].append(entry)
    if entry["status"]:
        block[entry["status"]] += 1


def _known(env: Env, sha256: str) -> bool:
    with env.engine.connect() as conn:
        return conn.execute(select(StepImport.id).where(StepImport.campaign == env.campaign.name, StepImport.sha256 == sha256)).first() is not None


def take_export(env: Env, archived: Path, filename: str, sha256: str, arrived: datetime,
                cutoff: datetime | None) -> dict:
    """Import one archived donation export that arrived at ``arrived``; ``cutoff`` is the
    run's ``as_of`` (None: now). Returns its entry for the collect summary."""
    moment = arrived
    entry = {"filename": filename, "sha256": sha256, "received_at": env.campaign.local(moment).isoformat(),
             "status": None, "error": None, "import": None}
    if not _known(env, sha256):  # (a duplicate is answered as such, whenever it comes)
        latest = latest_step_data(env)
        if latest is not None and latest > moment:
            moment = latest
            entry["received_at"] = env.campaign.local(moment).isoformat()
            if cutoff is not None and moment > cutoff:
                entry.update(status="deferred", error=(
                    f"已有 {env.campaign.local(latest):%Y-%m-%d %H:%M} 记录的步数数据，晚于本次运行的时刻"
                    f"（{env.campaign.local(cutoff):%Y-%m-%d %H:%M}）：留待之后的运行导入"))
                return entry
            log.info("donations: %s arrived %s, before step data recorded at %s: recorded as received then",
                     filename, arrived.isoformat(), latest.isoformat())
    try:
        result = import_donations(env, archived, received_at=moment, filename=filename)
    except StepsOutOfOrder as exc:  # another run recorded step data meanwhile: the next run takes it
        entry.update(status="deferred", error=str(exc))
        return entry
    except StepsError as exc:
        log.warning("donations: %s refused: %s", filename, exc)
        entry.update(status="rejected", error=f"文件「{filename}」未能导入：{exc}" if filename not in str(exc) else str(exc))
        return entry
    entry.update(status="duplicate" if result["duplicate"] else "imported", received_at=result["received_at"])
    entry["import"] = result
    return entry
