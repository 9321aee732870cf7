"""Collect the inbox folder: files dropped in ``INSDAY_HOME/inbox/<campaign>/`` (at any depth) are
archived and ingested, then moved to ``INSDAY_HOME/processed/<campaign>/<date>/<same relative path>``.

- **Complete files only.** Temporary and hidden names (``~$x.xlsx``, ``x.part``, ``.x``)
  are never taken; a file is taken when it was last modified more than
  ``inbox_settle_seconds`` ago, or when its size and mtime stay the same over
  ``inbox_stable_seconds`` (one short wait per run, only when young files are there).
- **Knowledge time.** A file's ``received_at`` is its modification time (never later than
  now). A run with ``as_of`` takes only files modified by then and leaves later ones for a
  later run, so a back-fill or a replay of the campaign sees exactly what had arrived.
- **Nothing lost, nothing twice.** Bytes are archived before anything else; the same bytes
  again are a ``duplicate`` (the database says so by hash) and are moved like any other
  file; a target that exists is never overwritten (``x (2).xlsx``); nothing is deleted.
  A run that stopped between ingest and move leaves files that the next run finds to be
  duplicates and moves, so a rerun converges. A file that cannot be read stays where it
  is and is reported on every run until it can be.
- **Donation exports** (the national platform's raw records, ``donations-*.csv.gz``) are
  told from report files by their first line and go to the steps import, streamed, never
  read whole (:mod:`insday.collect.donations`); they are archived and moved the same way and
  reported apart (``donations``).
- Overlapping runs take turns through the ``inbox`` lease.
"""

from __future__ import annotations

import hashlib
import itertools
import logging
import os
import shutil
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import NotRequired, TypedDict

from insday.collect import donations
from insday.collect.donations import DonationBlock
from insday.collect.imap import ImapOff, ImapReport
from insday.env import Env
from insday.intake.files import archive, archive_file, is_temporary
from insday.intake.pipeline import Outcome, Received
from insday.intake.service import ingest_received
from insday.lease import lease
from insday.steps.records import file_sha256, first_line, looks_like_export

log = logging.getLogger("insday.collect.inbox")

LEASE = "inbox"
BATCH_BYTES = 256 * 2**20  # files ingested together (one validation batch) hold at most this in memory


@dataclass(frozen=True)
class Dropped:
    """A file seen in the inbox: where, and its size and mtime when seen."""

    path: Path
    rel: str
    size: int
    mtime_ns: int

    @property
    def mtime(self) -> datetime:
        return datetime.fromtimestamp(self.mtime_ns / 1e9, timezone.utc)

    def unchanged(self) -> bool:
        try:
            st = self.path.stat()
        except OSError:
            return False
        return (st.st_size, st.st_mtime_ns) == (self.size, self.mtime_ns)


def scan(inbox: Path, links: list[str] | None = None) -> list[Dropped]:
    """Every regular file under ``inbox`` that does not have a temporary or hidden name.
    Symbolic links are never followed (one could point at any file on this machine): they
    are left in place and listed in ``links``."""
    found: list[Dropped] = []
    for folder, dirs, files in os.walk(inbox):  # does not descend into linked folders
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        for name in sorted(files):
            path = Path(folder) / name
            if is_temporary(path):
                continue
            if path.is_symlink():
                if links is not None:
                    links.append(path.relative_to(inbox).as_posix())
                continue
            try:
                st = path.stat()
            except OSError:  # vanished, or a dangling link
                continue
            if path.is_file():
                found.append(Dropped(path, path.relative_to(inbox).as_posix(), st.st_size, st.st_mtime_ns))
    return found


def move_no_clobber(src: Path, dst: Path) -> Path:
    """Move ``src`` to ``dst``, or to ``dst (2)``, ``dst (3)``... if taken; never overwrite."""
    dst.parent.mkdir(parents=True, exist_ok=True)
    for n in itertools.count(1):
        target = dst if n == 1 else dst.with_name(f"{dst.stem} ({n}){dst.suffix}")
        try:
            os.link(src, target, follow_symlinks=False)  # fails if target exists: atomic no-clobber
        except FileExistsError:
            continue
        except OSError:  # no hard links between these folders (another file system, FAT, SMB)
            if os.path.lexists(target):
                continue
            shutil.move(src, target)
            return target
        os.unlink(src)
        return target
    raise AssertionError("unreachable")


def prune_empty(folder: Path, root: Path) -> None:
    """Remove ``folder`` and its parents up to (not including) ``root`` while they are empty:
    what a sender dropped as a folder leaves no husk behind once its files are taken."""
    while folder != root and root in folder.parents:
        try:
            folder.rmdir()  # only ever succeeds on an empty folder
        except OSError:
            return
        folder = folder.parent


def _complete(dropped: list[Dropped], now: datetime, settle: float, stable: float,
              sleep: Callable[[float], None]) -> tuple[list[Dropped], list[Dropped]]:
    """Split into (complete, still being written)."""
    settled, young = [], []
    for d in dropped:
        (settled if now - d.mtime >= timedelta(seconds=settle) else young).append(d)
    if not young:
        return settled, []
    sleep(stable)
    steady, moving = [], []
    for d in young:
        (steady if d.unchanged() else moving).append(d)
    return settled + steady, moving


def _batches(files: list[Dropped]) -> Iterator[list[Dropped]]:
    """Consecutive groups of at most BATCH_BYTES (a bigger file alone), so memory stays bounded."""
    batch, size = [], 0
    for d in files:
        if batch and size + d.size > BATCH_BYTES:
            yield batch
            batch, size = [], 0
        batch.append(d)
        size += d.size
    if batch:
        yield batch


class InboxFile(TypedDict):
    """A report file taken from the inbox (a dry run gives only the first four keys, status None)."""

    path: str  # relative to the inbox
    sha256: str
    received_at: str  # the file's modification time (UTC)
    status: Outcome | None
    report_type: NotRequired[str | None]
    unit: NotRequired[str | None]
    submission: NotRequired[int | None]
    errors: NotRequired[list[str]]  # the first three errors' sentences
    moved_to: NotRequired[str | None]  # relative to INSDAY_HOME; None: changed meanwhile, left in place


class InboxReport(TypedDict):
    """``insday collect --json``'s ``inbox`` and the ``collect_inbox`` task."""

    as_of: str | None  # only files modified by then were taken; None: every complete file
    dry_run: bool
    files: list[InboxFile]
    accepted: int
    rejected: int
    duplicate: int
    waiting: list[str]  # still being written (or changed while read): left for a later run
    later: list[str]  # modified after ``as_of``
    unreadable: list[str]  # unreadable files and symbolic links, left in place
    donations: DonationBlock


class CollectReport(TypedDict):
    """``insday collect --json``: the inbox folder, then the mailbox."""

    inbox: InboxReport
    imap: ImapReport | ImapOff


def collect_inbox(env: Env, as_of: datetime | None = None, *, dry_run: bool = False, wait: float | None = None,
                  label: str | None = None, sleep: Callable[[float], None] = time.sleep) -> InboxReport:
    """Take the complete files in the inbox (modified by ``as_of``, if given), ingest and move them.

    With ``dry_run`` only report what would be taken.
    """
    if as_of is not None and as_of.tzinfo is None:
        raise ValueError("as_of must be timezone-aware")
    inbox = env.inbox_dir
    summary: InboxReport = {"as_of": as_of.isoformat() if as_of else None, "dry_run": dry_run, "files": [],
                     "accepted": 0, "rejected": 0, "duplicate": 0, "waiting": [], "later": [], "unreadable": [],
                     "donations": donations.new_block()}
    if not inbox.is_dir():
        if not dry_run:
            inbox.mkdir(parents=True, exist_ok=True)
        return summary
    if dry_run:
        return _collect(env, summary, as_of, dry_run, sleep)
    wait = env.settings.lease_wait if wait is None else wait
    with lease(env.engine, LEASE, campaign=env.campaign.name, wait=wait, label=label):
        return _collect(env, summary, as_of, dry_run, sleep)


def _collect(env: Env, summary: InboxReport, as_of: datetime | None, dry_run: bool,
             sleep: Callable[[float], None]) -> InboxReport:
    settings = env.settings
    now = datetime.now(timezone.utc)
    due: list[Dropped] = []
    links: list[str] = []
    for d in scan(env.inbox_dir, links):
        (summary["later"] if as_of is not None and d.mtime > as_of else due).append(d)
    summary["later"] = [d.rel for d in summary["later"]]
    for rel in links:
        log.warning("inbox: %s is a symbolic link; not followed, left in place", rel)
        summary["unreadable"].append(rel)
    complete, waiting = _complete(due, now, settings.inbox_settle_seconds, settings.inbox_stable_seconds, sleep)
    summary["waiting"] = [d.rel for d in waiting]
    exports, reports = [], []  # donation exports are told by their first line alone
    for d in complete:
        (exports if looks_like_export(d.path.name, first_line(d.path)) else reports).append(d)

    for batch in _batches(reports):
        taken = _read(batch, now, summary)
        if dry_run:
            summary["files"] += [{"path": d.rel, "sha256": r.sha256, "received_at": r.received_at.isoformat(),
                                  "status": None} for d, r in taken]
        elif taken:
            _ingest_and_move(env, taken, summary)
    for d in sorted(exports, key=lambda d: (d.mtime_ns, d.rel)):  # step data is recorded in time order
        _take_export(env, d, now, as_of, dry_run, summary)
    block = summary["donations"]
    log.debug("inbox: %d taken (%d accepted, %d rejected, %d duplicate), %d waiting, %d later, %d unreadable; "
             "donation exports: %d imported, %d duplicate, %d rejected, %d deferred",
             len(summary["files"]), summary["accepted"], summary["rejected"], summary["duplicate"],
             len(summary["waiting"]), len(summary["later"]), len(summary["unreadable"]), block["imported"],
             block["duplicate"], block["rejected"], block["deferred"])
    return summary


def _take_export(env: Env, d: Dropped, now: datetime, as_of: datetime | None, dry_run: bool, summary: dict) -> None:
    """Archive a donation export (copied in blocks), import it, move it to processed/."""
    settings = env.settings
    try:
        if dry_run:
            rel, sha = None, file_sha256(d.path)
        else:
            rel, sha = archive_file(settings.archive_dir, d.path, Path(d.path.name).suffix)
    except OSError as exc:
        log.warning("inbox: cannot read %s (%s); left in place", d.rel, exc)
        summary["unreadable"].append(d.rel)
        return
    if not d.unchanged():  # written to while we read it
        summary["waiting"].append(d.rel)
        return
    arrived = min(d.mtime, now)
    if dry_run:
        entry = {"filename": d.path.name, "sha256": sha, "received_at": env.campaign.local(arrived).isoformat(),
                 "status": None, "error": None, "import": None}
    else:
        entry = donations.take_export(env, settings.archive_dir / rel, d.path.name, sha, arrived, as_of)
    entry = {"path": d.rel, **entry, "moved_to": None}
    if entry["status"] not in (None, "deferred"):
        entry["moved_to"] = _move(env, d, arrived)
    donations.count(summary["donations"], entry)


def _read(batch: list[Dropped], now: datetime, summary: dict) -> list[tuple[Dropped, Received]]:
    taken = []
    for d in batch:
        try:
            data = d.path.read_bytes()
        except OSError as exc:
            log.warning("inbox: cannot read %s (%s); left in place", d.rel, exc)
            summary["unreadable"].append(d.rel)
            continue
        if len(data) != d.size or not d.unchanged():  # written to while we read it
            summary["waiting"].append(d.rel)
            continue
        sha = hashlib.sha256(data).hexdigest()
        taken.append((d, Received(d.path, data, sha, d.path.name, received_at=min(d.mtime, now))))
    return taken


def _ingest_and_move(env: Env, taken: list[tuple[Dropped, Received]], summary: dict) -> None:
    settings = env.settings
    for _, item in taken:
        item.archive_path = archive(settings.archive_dir, item.data, item.sha256, Path(item.filename).suffix)
    results = ingest_received(env, [item for _, item in taken], source="inbox")
    for (d, item), result in zip(taken, results):
        entry = {"path": d.rel, "sha256": item.sha256, "received_at": item.received_at.isoformat(),
                 "status": result.status, "report_type": result.report_type, "unit": result.unit,
                 "submission": result.submission_id, "errors": [e["message"] for e in result.errors][:3],
                 "moved_to": None}
        summary[result.status] += 1
        entry["moved_to"] = _move(env, d, item.received_at)
        summary["files"].append(entry)


def _move(env: Env, d: Dropped, received_at: datetime) -> str | None:
    """Move a taken file to processed/<campaign>/<local date received>/<its path in the inbox>, if it is
    still the bytes that were taken; its new place, relative to INSDAY_HOME."""
    settings = env.settings
    if not d.unchanged():
        log.warning("inbox: %s changed after it was read; left for the next run", d.rel)
        return None
    day = env.campaign.local(received_at).date().isoformat()
    target = move_no_clobber(d.path, env.processed_dir / day / d.rel)
    prune_empty(d.path.parent, env.inbox_dir)
    return target.relative_to(settings.home).as_posix()
