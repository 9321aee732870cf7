"""Ingest received files: archive, identify, parse, validate (batched), store.

Order of work keeps the invariants: the bytes are archived before anything else;
each file's submission and rows are stored in one transaction (all or nothing),
together with whatever ``on_result`` writes (receipts); the same bytes twice are a
duplicate and change nothing.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timezone
from email.utils import parseaddr
from pathlib import Path
from typing import Literal, TypedDict

from sqlalchemy import Engine, func, insert, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from insday.campaign import Campaign, text_key
from insday.db import session_scope
from insday.db.models import ROW_MODELS, ReportMedia, Submission
from insday.deadlines import deadline_for
from insday.intake.bundle import zip_folder
from insday.intake.files import archive, collect_files
from insday.intake.issues import IssueReport
from insday.intake.media import archive_media, media_rows
from insday.intake.parse import ParsedFile, Parser
from insday.intake.senders import foreign_sender, sender_warning
from insday.intake.validate import Validator

log = logging.getLogger("insday.intake")

Outcome = Literal["accepted", "rejected", "duplicate"]


class FileReport(TypedDict):
    """One received file, as ``insday ingest --json`` lists it."""

    path: str
    sha256: str
    report_type: str | None  # None: the file could not be told
    unit: str | None
    period: str | None  # the day (daily report) or None
    status: Outcome  # duplicate: the same bytes arrived before and changed nothing
    timeliness: Literal["on_time", "late"] | None  # against the deadline's due + grace; None unless accepted
    version: int | None  # 1, 2, ... per unit, report type and period
    errors: list[IssueReport]
    warnings: list[IssueReport]
    submission: int | None  # the id ``insday void`` and ``insday resend receipt`` take


class IngestReport(TypedDict):
    """``insday ingest --json``: every file and the count of each outcome."""

    files: list[FileReport]
    accepted: int
    rejected: int
    duplicate: int


@dataclass
class FileResult:
    path: str
    sha256: str
    filename: str
    report_type: str | None = None
    unit: str | None = None
    period: date | None = None
    status: Outcome = "rejected"
    timeliness: Literal["on_time", "late"] | None = None
    version: int | None = None
    errors: list[IssueReport] = field(default_factory=list)
    warnings: list[IssueReport] = field(default_factory=list)
    submission_id: int | None = None
    received_at: datetime | None = None
    deadline_id: str | None = None

    def as_dict(self) -> FileReport:
        return {
            "path": self.path, "sha256": self.sha256, "report_type": self.report_type, "unit": self.unit,
            "period": self.period.isoformat() if self.period else None, "status": self.status,
            "timeliness": self.timeliness, "version": self.version, "errors": self.errors,
            "warnings": self.warnings, "submission": self.submission_id,
        }


ResultHook = Callable[[Session, FileResult], None]


@dataclass
class Received:
    """One file as it arrived: where from, its bytes and their hash.

    ``received_at`` and ``sender``, when set, override the batch's values for this file
    (the inbox takes each file's modification time, IMAP each message's sender).
    """

    path: Path
    data: bytes
    sha256: str
    filename: str
    archive_path: str = ""
    received_at: datetime | None = None
    sender: str | None = None


class Intake:
    """Ingests batches of files for one campaign and database. Reuse it: GX loads once."""

    def __init__(self, campaign: Campaign, engine: Engine, archive_dir: Path):
        self.campaign = campaign
        self.engine = engine
        self.archive_dir = archive_dir
        self.parser = Parser(campaign)
        self.validator = Validator(campaign)

    def use_roster(self, campaign: Campaign) -> None:
        """Work with ``campaign``'s roster (:func:`insday.roster.effective`): the parser is rebuilt
        when the roster changed (GX stays loaded)."""
        if campaign.units != self.campaign.units:
            self.parser = Parser(campaign)
        self.campaign = campaign

    def is_bundle_dir(self, folder: Path) -> bool:
        """A folder whose name has a bundle report type's title and a unit's name, e.g.
        "人保财险活动总结": submitted as one bundle. Other folders are searched for files."""
        key = text_key(folder.name)
        return any(text_key(rt.title) in key for rt in self.campaign.report_types.values() if rt.kind == "bundle") \
            and self.parser.matcher.find_in(folder.name).code is not None

    def receive(self, path: Path, filename: str | None = None) -> Received:
        """Archive one file; a folder is a bundle, received as a zip of its files."""
        if path.is_dir():
            data, name = zip_folder(path), filename or f"{path.name}.zip"
        else:
            data, name = path.read_bytes(), filename or path.name
        sha = hashlib.sha256(data).hexdigest()
        item = Received(path, data, sha, name)
        item.archive_path = archive(self.archive_dir, data, sha, Path(name).suffix)
        return item

    def ingest(self, paths: Iterable[Path | str], *, bundles: Iterable[Path | str] = (),
               received_at: datetime | None = None, source: str = "cli", sender: str | None = None,
               on_result: ResultHook | None = None) -> list[FileResult]:
        """Ingest files and folders; ``bundles`` are folders each submitted as one bundle
        (see ``is_bundle_dir``: such folders are found by themselves too)."""
        folders = [Path(b) for b in bundles]
        for folder in folders:
            if not folder.is_dir():
                raise NotADirectoryError(folder)
        items = [self.receive(p) for p in [*collect_files(paths, self.is_bundle_dir), *folders]]
        return self.ingest_received(items, received_at=received_at, source=source, sender=sender,
                                    on_result=on_result)

    def ingest_received(self, items: list[Received], *, received_at: datetime | None = None, source: str = "cli",
                        sender: str | None = None, on_result: ResultHook | None = None) -> list[FileResult]:
        received_at = received_at or datetime.now(timezone.utc)
        if any(t.tzinfo is None for t in (received_at, *(i.received_at for i in items if i.received_at))):
            raise ValueError("received_at must be timezone-aware")
        known = self._known([i.sha256 for i in items])
        results: list[FileResult | None] = [None] * len(items)
        fresh: list[tuple[int, Received, ParsedFile]] = []
        seen_now: dict[str, int] = {}
        for n, item in enumerate(items):
            if item.sha256 in known or item.sha256 in seen_now:
                continue  # resolved below, once the first copy is stored
            seen_now[item.sha256] = n
            fresh.append((n, item, self._parse(item)))

        batch = [p for _, _, p in fresh]
        for _, item, parsed in fresh:
            self._check_submitter(parsed, item.received_at or received_at)
            self._check_sender(parsed, item.sender or sender)
        self.validator.validate(batch, engine=self.engine, received_at=received_at)

        for n, item, parsed in fresh:
            results[n] = self._store(item, parsed, item.received_at or received_at, source, item.sender or sender,
                                     on_result)
        for n, item in enumerate(items):
            if results[n] is None:
                results[n] = self._duplicate(item, on_result)
        return results  # type: ignore[return-value]

    # ----- steps ----------------------------------------------------------

    def _known(self, hashes: list[str]) -> set[str]:
        if not hashes:
            return set()
        with session_scope(self.engine) as s:
            return set(s.scalars(select(Submission.sha256).where(Submission.campaign == self.campaign.name,
                                                                 Submission.sha256.in_(hashes))))

    def _parse(self, item: Received) -> ParsedFile:
        try:
            return self.parser.parse(item.path, item.data, item.filename)
        except Exception as exc:  # a damaged file can break any reader; never lose the file over it
            log.exception("could not parse %s", item.filename)
            parsed = ParsedFile(path=item.path, filename=item.filename)
            parsed.error(f"文件无法解析（{type(exc).__name__}）。请用 Excel 打开确认后另存为 .xlsx 重新报送")
            return parsed

    def _check_submitter(self, parsed: ParsedFile, received_at: datetime) -> None:
        if not (parsed.report_type and parsed.unit):
            return
        unit = self.campaign.unit_by_code.get(parsed.unit)
        if unit is not None and not unit.on_roster(received_at):  # the roster at the file's arrival
            local = self.campaign.local
            if unit.since is not None and received_at < unit.since:
                parsed.error(f"「{unit.name}」自 {local(unit.since):%Y-%m-%d %H:%M} 起参加本次活动，"
                             "此前收到的文件不予受理；请在此之后重新报送")
            else:
                parsed.error(f"「{unit.name}」已于 {local(unit.until):%Y-%m-%d %H:%M} 起退出本次活动，无需再报送")
            return
        rt = self.campaign.report_type(parsed.report_type)
        expected = {u.code for u in self.campaign.members(rt.who)} if rt.who != "claimants" else \
            {u.code for u in self.campaign.members("companies")}
        if rt.association_may_report:
            expected.add(self.campaign.association.code)  # the association's own activities
        if parsed.unit not in expected:
            name = self.campaign.unit_by_code.get(parsed.unit)
            parsed.error(f"「{name.name if name else parsed.unit}」无需报送「{rt.title}」，请核对报表或单位名称")

    def _check_sender(self, parsed: ParsedFile, sender: str | None) -> None:
        """A file sent from an address that is not its unit's contact is flagged (insday.intake.senders)."""
        if parsed.unit and foreign_sender(self.campaign, parsed.unit, sender):
            log.warning("%s names unit %s but came from %s, not its registered contact; flagged to the association",
                        parsed.filename, parsed.unit, parseaddr(sender)[1])
            parsed.warn(sender_warning(self.campaign, parsed.unit, sender))

    def _store(self, item: Received, parsed: ParsedFile, received_at: datetime, source: str,
               sender: str | None, on_result: ResultHook | None) -> FileResult:
        accepted = not parsed.errors and parsed.unit is not None
        deadline = deadline_for(self.campaign, parsed.report_type, parsed.period) if accepted else None
        # Photos and videos sent with the sheet: archived (by their own hash) before the rows point at them.
        archived = archive_media(self.archive_dir, item.data, parsed.media) if accepted and parsed.media else []
        for attempt in range(3):
            result = FileResult(
                path=str(item.path), sha256=item.sha256, filename=item.filename, report_type=parsed.report_type,
                unit=parsed.unit, period=parsed.period, status="accepted" if accepted else "rejected",
                errors=[i.as_dict() for i in parsed.errors], warnings=[i.as_dict() for i in parsed.warnings],
                received_at=received_at, deadline_id=deadline.id if deadline else None,
                timeliness=deadline.timeliness(received_at) if deadline else None)
            try:
                with session_scope(self.engine) as s:
                    sub = Submission(
                        campaign=self.campaign.name, sha256=item.sha256, filename=item.filename, archive_path=item.archive_path,
                        size=len(item.data), source=source, sender=sender, report_type=parsed.report_type,
                        unit_code=parsed.unit if parsed.unit in self.campaign.unit_by_code
                        or parsed.unit == self.campaign.association.code else None,
                        period=parsed.period, period_key=parsed.period.isoformat() if parsed.period else "-",
                        received_at=received_at, status=result.status, timeliness=result.timeliness,
                        deadline_id=result.deadline_id, errors=result.errors, warnings=result.warnings,
                        row_count=len(parsed.records) if accepted else 0)
                    if accepted:
                        sub.version = result.version = self._next_version(s, self.campaign.name, parsed)
                    s.add(sub)
                    s.flush()
                    result.submission_id = sub.id
                    if accepted:
                        self._insert_rows(s, sub.id, parsed)
                        if parsed.media:
                            s.execute(insert(ReportMedia), media_rows(self.campaign.name, sub.id, parsed.media, archived))
                    if on_result:
                        on_result(s, result)
                return result
            except IntegrityError:
                if self._known([item.sha256]):
                    return self._duplicate(item, on_result)  # a concurrent run stored it first
                if attempt == 2:
                    raise
        raise AssertionError("unreachable")

    @staticmethod
    def _next_version(s: Session, campaign: str, parsed: ParsedFile) -> int:
        latest = s.scalar(select(func.max(Submission.version)).where(
            Submission.campaign == campaign, Submission.unit_code == parsed.unit, Submission.report_type == parsed.report_type,
            Submission.period_key == (parsed.period.isoformat() if parsed.period else "-")))
        return (latest or 0) + 1

    def _insert_rows(self, s: Session, submission_id: int, parsed: ParsedFile) -> None:
        rt = self.campaign.report_type(parsed.report_type)
        model = ROW_MODELS[rt.table]
        keys = [c.key for c in rt.columns]
        rows = [{"campaign": self.campaign.name, "submission_id": submission_id, "row_no": r["_row"], **{k: r.get(k) for k in keys}}
                for r in parsed.records]
        s.execute(insert(model), rows)

    def _duplicate(self, item: Received, on_result: ResultHook | None) -> FileResult:
        with session_scope(self.engine) as s:
            sub = s.scalars(select(Submission).where(Submission.campaign == self.campaign.name,
                                                     Submission.sha256 == item.sha256)).one()
            result = FileResult(
                path=str(item.path), sha256=item.sha256, filename=item.filename, report_type=sub.report_type,
                unit=sub.unit_code, period=sub.period, status="duplicate", version=sub.version,
                submission_id=sub.id, received_at=sub.received_at, deadline_id=sub.deadline_id)
            if on_result:
                on_result(s, result)
            return result
