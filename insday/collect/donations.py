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

Each file's entry in the collect summary (``donations.files``) is a :class:`DonationFile`.
"""

from __future__ import annotations

import logging
from datetime import datetime
from pathlib import Path
from typing import Literal, NotRequired, TypedDict

from sqlalchemy import select

from insday.db.models import StepImport
from insday.env import Env
from insday.steps import StepsError, StepsOutOfOrder, import_donations, latest_step_data
from insday.steps.importer import ImportReport

log = logging.getLogger("insday.collect.donations")

STATUSES = ("imported", "duplicate", "rejected", "deferred")


# A donation export taken from the inbox or the mailbox ("import" is a keyword: the functional form).
DonationFile = TypedDict("DonationFile", {
    "path": NotRequired[str],  # inbox: its path in the inbox
    "uid": NotRequired[str],  # mailbox: the message's IMAP uid
    "filename": str,
    "sha256": str,
    "received_at": str,  # as recorded (campaign time)
    "status": Literal["imported", "duplicate", "rejected", "deferred"] | None,  # None in a dry run
    "error": str | None,  # rejected or deferred: why, in Chinese
    "import": ImportReport | None,  # imported or duplicate: what `insday steps import --json` prints for it
    "moved_to": NotRequired[str | None],  # inbox: its place under INSDAY_HOME/processed/, once moved
})


class DonationBlock(TypedDict):
    """The ``donations`` part of a collect summary: every export and the count per status."""

    files: list[DonationFile]
    imported: int
    duplicate: int
    rejected: int
    deferred: int


def new_block() -> DonationBlock:
    """The ``donations`` part of a collect summary."""
    return {"files": [], **{status: 0 for status in STATUSES}}


def count(block: DonationBlock, entry: DonationFile) -> None:
    block["files"].append(entry)
    if entry["status"]:
        block[entry["status"]] += 1


def _known(env: Env, sha256: str) -> bool:
    with env.engine.connect() as conn:
        return conn.execute(select(StepImport.id).where(StepImport.campaign == env.campaign.name, StepImport.sha256 == sha256)).first() is not None


def take_export(env: Env, archived: Path, filename: str, sha256: str, arrived: datetime,
                cutoff: datetime | None) -> DonationFile:
    """Import one archived donation export that arrived at ``arrived``; ``cutoff`` is the
    run's ``as_of`` (None: now). Returns its entry for the collect summary."""
    moment = arrived
    entry: DonationFile = {"filename": filename, "sha256": sha256, "received_at": env.campaign.local(moment).isoformat(),
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
