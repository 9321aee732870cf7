"""Import a raw donation file: every line stored, then every aggregate moved on from the file's
counted records only.

One transaction per file and one pass over the file (:mod:`insday.steps.stream`): chunk by
chunk the records are read, checked and classified in the client (polars, worker threads) and
written to ``step_records`` while the next chunks are read (PostgreSQL: one binary COPY;
SQLite: batches of inserts). The client settles same-day repeats within the file (the first
donation wins), so the database then receives only small things: the rejects with their
reasons (``step_rejects``) and, per participant and per region and day, what the file's counted
records add up to (``tmp_steps_changes``). Then a fixed number of set-based statements
(sql/ops/steps/), whatever the size of the history:

1. only when the file has days that earlier imports had counted (late data, overlapping
   files): participants with a counted donation on such a day have those days' records
   ranked (the first donation wins, ``rules.first_donation_order``); the losers become
   ``repeat_same_day`` rejects and leave the file's sums; an earlier donation in a later file
   supersedes the one counted;
2. the participants' carried state (``step_participants``) moves on: days = old | new, the
   counted steps are added, and a badge the new day mask earns (looked up in the badges of
   every possible mask, computed in Python) records the import; PostgreSQL: one MERGE,
   SQLite: one UPDATE for known participants, one INSERT for new ones;
3. the changes per (region, day) -> ``step_region_days``, the top list -> ``step_top_entries``,
   and unlocks are refreshed.

No statement reads a participant's history record by record, so importing day 14 costs about
what day 1 cost; late data for an earlier day only ORs a bit into the affected participants'
masks (counts, streaks and badge days are the mask's).
"""

from __future__ import annotations

import gzip
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import TypedDict

from sqlalchemy import (BigInteger, Boolean, Column, Date, Integer, MetaData, Table, Text, func, insert, select, text,
                        update)
from sqlalchemy.engine import Connection

from insday.campaign import Campaign
from insday.db.models import StepImport, StepReject, StepRegionAlias, step_records
from insday.db.models.steps import ParticipantId
from insday.db.types import UTCDateTime
from insday.env import Env
from insday.sql import fetch
from insday.steps.figures import Unlock, check_time_order, lock_step_data, refresh_unlocks, run
from insday.steps.records import BROKEN_GZIP, Header, file_sha256, open_records, read_header
from insday.steps.rules import BADGES, REJECT_REASONS, RegionResolver, StepsError, badge_masks, step_calendar

_INSERT_BATCH = 5000
_COPY_ROWS = 65536
_IMPORTS = StepImport.__table__

_tmp = MetaData()
TMP_DAYS = Table("tmp_steps_days", _tmp, Column("idx", Integer, primary_key=True), Column("day", Date),
                 Column("factor", Integer), Column("starts_at", UTCDateTime), Column("ends_at", UTCDateTime),
                 prefixes=["TEMPORARY"])
TMP_MASKS = Table("tmp_steps_mask_stats", _tmp, Column("mask", BigInteger, primary_key=True),  # SQLite's
                  *(Column(name, Boolean) for name in BADGES), prefixes=["TEMPORARY"])
# The file's sums: one row per participant (region, idx, donations NULL: day mask, counted steps
# with double days multiplied) and one per (region code, day index) (participant NULL: donations
# and steps as donated); same-day repeats with earlier imports are taken out later as negative rows.
TMP_CHANGES = Table("tmp_steps_changes", _tmp, Column("participant_id", ParticipantId), Column("region", Text),
                    Column("idx", Integer), Column("mask", BigInteger), Column("donations", Integer),
                    Column("steps", BigInteger), Column("counted", BigInteger), prefixes=["TEMPORARY"])
_TMP_FROM_SQL = ("tmp_steps_problem", "tmp_steps_candidates", "tmp_steps_losers")
_RECORD_COLUMNS = ("donated_at", "participant_id", "region", "steps", "raw_line")


def import_donations(env: Env, path: Path | str, *, received_at: datetime | None = None,
                     filename: str | None = None) -> ImportReport:
    """Import one raw donation file; return what ``insday steps import --json`` prints.

    ``received_at`` (default now) is when the records became known; it may not be earlier
    than step data already recorded. The same file (by SHA-256) again changes nothing.
    ``filename`` is the name it arrived under (default the path's), when it is imported from
    another place (the archive).
    """
    started = time.perf_counter()
    path = Path(path)
    received_at = (received_at or datetime.now(timezone.utc)).astimezone(timezone.utc)
    sha256 = _hash_while_loading_libraries(path)
    try:
        return _import(env, path, filename or path.name, sha256, received_at, started)
    except BROKEN_GZIP as exc:  # nothing is stored: the transaction is rolled back
        raise StepsError(f"文件「{filename or path.name}」是不完整或已损坏的 gzip 压缩文件（{type(exc).__name__}），"
                         "无法读完。请从全国平台重新下载完整的文件后再导入") from None


def _import(env: Env, path: Path, filename: str, sha256: str, received_at: datetime, started: float) -> ImportReport:
    campaign = env.campaign
    with open_records(path) as fh, env.engine.begin() as conn:
        header = read_header(fh)
        lock_step_data(conn, campaign)
        if conn.dialect.name == "postgresql":  # for the few set-based statements (and ANALYZE of their inputs)
            for name, value in (("work_mem", "256MB"), ("jit", "off"), ("default_statistics_target", "10")):
                conn.execute(text("SELECT set_config(:name, :value, true)"), {"name": name, "value": value})
        earlier = conn.execute(select(_IMPORTS).where(_IMPORTS.c.campaign == campaign.name,
                                                      _IMPORTS.c.sha256 == sha256)).one_or_none()
        if earlier is not None:
            return _result(earlier, path, campaign.tz, duplicate=True, unlocks=[], started=started)
        check_time_order(conn, campaign, received_at)
        import_id = conn.execute(insert(StepImport).values(
            campaign=campaign.name, sha256=sha256, filename=filename, received_at=received_at, records=0, accepted=0, rejected={},
            superseded=0).returning(StepImport.id)).scalar_one()
        # Record ids follow every id the campaign handed out before (its step-data lock keeps them contiguous).
        first_id = (conn.execute(select(func.max(StepImport.last_record_id))
                                 .where(StepImport.campaign == campaign.name)).scalar() or 0) + 1
        file_bytes = path.stat().st_size * (6 if isinstance(fh, gzip.GzipFile) else 1)
        stream, earned = _load(conn, header, fh, file_bytes, campaign, import_id, first_id)
        values = {"records": stream.count, "first_record_id": first_id if stream.count else None,
                  "last_record_id": first_id + stream.count - 1 if stream.count else None}
        if stream.count:
            values.update(_aggregate(conn, campaign, import_id, first_id, stream, earned))
        conn.execute(update(StepImport).where(StepImport.id == import_id).values(**values))
        unlocks = refresh_unlocks(conn, campaign, received_at, f"import {import_id}")
        row = conn.execute(select(_IMPORTS).where(_IMPORTS.c.id == import_id)).one()
        return _result(row, path, campaign.tz, duplicate=False, unlocks=unlocks, started=started)


def _hash_while_loading_libraries(path: Path) -> str:
    """The file's SHA-256, computed while polars, NumPy and Arrow load (hashlib lets go of the
    GIL): both take a fraction of a second. A file imported before then needs neither library,
    but that is the rare case."""
    with ThreadPoolExecutor(1, thread_name_prefix="steps-hash") as hasher:
        digest = hasher.submit(file_sha256, path)
        # lazy: Arrow, polars and NumPy (about 0.6 s) load here, while a thread hashes the file
        import pyarrow  # noqa: F401  (pgpq needs it)

        # lazy: Arrow, polars and NumPy (about 0.6 s) load here, while a thread hashes the file
        import insday.steps.stream  # noqa: F401  (polars, NumPy)
        return digest.result()


class ImportReport(TypedDict):
    """``insday steps import --json``: one raw donation file imported (or known already)."""

    import_id: int
    file: str
    sha256: str
    duplicate: bool  # imported before (same SHA-256): nothing changed, every count is 0
    received_at: str  # when the records became known (campaign time)
    records: int
    accepted: int
    rejected: dict[str, int]  # per reason, every key of insday.steps.rules.REJECT_REASONS
    superseded: int  # records counted before, replaced by an earlier donation of the same day in this file
    first_day: str | None  # the days of the valid records
    last_day: str | None
    unlocks: list[Unlock]
    seconds: float


def _result(row, path: Path, tz, *, duplicate: bool, unlocks: list[Unlock], started: float) -> ImportReport:
    rejected = {reason: 0 if duplicate else row.rejected.get(reason, 0) for reason in REJECT_REASONS}
    return {
        "import_id": row.id,
        "file": str(path),
        "sha256": row.sha256,
        "duplicate": duplicate,
        "received_at": row.received_at.astimezone(tz).isoformat(),
        "records": 0 if duplicate else row.records,
        "accepted": 0 if duplicate else row.accepted,
        "rejected": rejected,
        "superseded": 0 if duplicate else row.superseded,
        "first_day": None if duplicate or row.first_day is None else row.first_day.isoformat(),
        "last_day": None if duplicate or row.last_day is None else row.last_day.isoformat(),
        "unlocks": unlocks,
        "seconds": round(time.perf_counter() - started, 3),
    }


def _load(conn: Connection, header: Header, fh, file_bytes: int, campaign: Campaign, import_id: int, first_id: int):
    """Stream the file into step_records, its sums into tmp_steps_changes (with the other
    temporary tables) and its rejects into step_rejects; return the stream (stream.FileStream:
    records, days) and which badges every day mask earns (rules.badge_masks)."""
    # lazy: polars (loaded while the file was hashed): of insday.steps only an import needs it
    import polars as pl

    # lazy: polars (loaded while the file was hashed): of insday.steps only an import needs it
    from insday.steps.stream import FileStream

    aliases = dict(conn.execute(select(StepRegionAlias.spelling, StepRegionAlias.region_code)
                                .where(StepRegionAlias.campaign == campaign.name)).all())
    key = pl.lit(campaign.name, pl.String)  # one constant per import
    sink = _sink(conn)
    records = sink.writer(step_records)

    def encode(batch):  # in the stream's worker thread
        return records.encode(batch.select(key.alias("campaign"), pl.col("record").alias("record_id") + first_id,
                                           *_RECORD_COLUMNS))

    def changes():  # the file's sums, as TMP_CHANGES describes
        for frame in stream.participants():
            yield frame.select("participant_id", region=pl.lit(None, pl.String), idx=pl.lit(None, pl.Int32),
                               mask="mask", donations=pl.lit(None, pl.Int32), steps=pl.lit(None, pl.Int64),
                               counted="counted")
        yield stream.region_days().select(participant_id=pl.lit(None, pl.String), region="region", idx="idx",
                                          mask=pl.lit(None, pl.Int64), donations="donations", steps="steps",
                                          counted=pl.lit(None, pl.Int64))

    stream = FileStream(header, fh, campaign, step_calendar(campaign), aliases, encode, file_bytes)
    records.write(stream.batches())
    _store_aliases(conn, campaign, aliases, {**RegionResolver(campaign.steps.regions).spellings(), **stream.new_aliases})
    earned = None
    if stream.count:
        earned = _prepare(conn, sink, campaign)
        TMP_CHANGES.create(conn)
        sink.load(TMP_CHANGES, _ahead(changes()))
    sink.load(StepReject.__table__, (frame.select(campaign=key, record_id=pl.col("record") + first_id,
                                                  import_id=pl.lit(import_id, pl.Int32), reason="reason")
                                     for frame in stream.rejects()))
    return stream, earned


def _ahead(frames):
    """The frames, each made in a worker thread while the one before is stored."""
    with ThreadPoolExecutor(1, thread_name_prefix="steps-settle") as worker:
        pending = worker.submit(next, frames, None)
        while (frame := pending.result()) is not None:
            pending = worker.submit(next, frames, None)
            yield frame


def _prepare(conn: Connection, sink, campaign: Campaign) -> dict[str, list[bool]]:
    """The temporary tables the statements need (days; on SQLite which badges every day mask
    earns); return which badges every day mask earns."""
    # lazy: polars (loaded while the file was hashed): of insday.steps only an import needs it
    import polars as pl

    cal = step_calendar(campaign)
    _drop_temporary(conn)
    TMP_DAYS.create(conn)
    conn.execute(insert(TMP_DAYS), [
        {"idx": i, "day": day, "factor": cal.factor(day), "starts_at": campaign.at(day),
         "ends_at": campaign.at(day + timedelta(days=1))} for i, day in enumerate(cal.days)])
    earned = badge_masks(cal.days, campaign.steps.badges)
    if conn.dialect.name != "postgresql":  # PostgreSQL takes them as arrays
        TMP_MASKS.create(conn)
        sink.load(TMP_MASKS, [pl.DataFrame({"mask": range(1, 1 << len(cal.days)), **earned},
                                          schema_overrides={"mask": pl.Int64})])
    return earned


def _aggregate(conn: Connection, campaign: Campaign, import_id: int, first_id: int, stream,
               earned: dict[str, list[bool]]) -> dict:
    """Move every aggregate on from the file's sums; return the import's outcome."""
    cal = step_calendar(campaign)
    params = {"campaign": campaign.name, "import_id": import_id, "first_id": first_id, "top_n": campaign.steps.top_n}
    _analyze(conn, TMP_CHANGES.name)
    rejected, superseded = stream.reject_counts(), 0
    if stream.first_idx is not None and _days_counted_before(conn, campaign, import_id, cal.days[stream.first_idx]):
        run(conn, "ops/steps/tmp_problem", **params)  # late data, or a file overlapping an earlier one
        [problems] = fetch(conn, "ops/steps/problem_counts")
        if problems["participants"]:
            _analyze(conn, "tmp_steps_problem")
            for name in ("tmp_candidates", "tmp_losers", "reject_losers", "subtract_losers_participants",
                         "subtract_losers_regions"):
                run(conn, f"ops/steps/{name}", **params)
            for row in fetch(conn, "ops/steps/loser_counts", **params):
                if row["own"]:
                    rejected["repeat_same_day"] = rejected.get("repeat_same_day", 0) + row["records"]
                else:
                    superseded = row["records"]
    if conn.dialect.name == "postgresql":
        run(conn, "ops/steps/upsert_participants", **params, **{f"{name}_masks": earned[name] for name in BADGES})
    else:
        run(conn, "ops/steps/update_participants", **params)
        run(conn, "ops/steps/insert_participants", **params)
    run(conn, "ops/steps/insert_region_days", **params)
    run(conn, "ops/steps/insert_top", **params)
    _drop_temporary(conn)
    return {
        "accepted": stream.count - sum(rejected.values()),
        "rejected": rejected,
        "superseded": superseded,
        "first_day": None if stream.first_idx is None else cal.days[stream.first_idx],  # valid records' days
        "last_day": None if stream.last_idx is None else cal.days[stream.last_idx],
    }


def _sink(conn: Connection):
    return _PostgresSink(conn) if conn.dialect.name == "postgresql" else _SQLiteSink(conn)


class _PostgresSink:
    """Rows into tables with binary COPY; frames have the table's columns, in order and of its types."""

    def __init__(self, conn: Connection):
        self.cursor = conn.connection.driver_connection.cursor()

    def writer(self, table: Table) -> _BinaryCopy:
        return _BinaryCopy(self.cursor, table)

    def load(self, table: Table, frames) -> None:
        """Frames, in slices."""
        writer = self.writer(table)
        writer.write(writer.encode(piece) for frame in frames for piece in frame.iter_slices(_COPY_ROWS))


class _BinaryCopy:
    """One COPY: frames are encoded by pgpq (in any thread, one after the other), then written in order."""

    def __init__(self, cursor, table: Table):
        self.cursor, self.table, self.encoder = cursor, table, None

    def encode(self, frame) -> bytes:
        # lazy: pgpq and polars (loaded while the file was hashed): of insday.steps only an import needs them
        import pgpq
        import polars as pl

        arrow = frame.to_arrow(compat_level=pl.CompatLevel.newest())  # strings as views: no copy
        parts = []
        if self.encoder is None:
            self.encoder = pgpq.ArrowToPostgresBinaryEncoder(arrow.schema)
            parts.append(self.encoder.write_header())
        parts += [self.encoder.write_batch(batch) for batch in arrow.to_batches()]
        return b"".join(parts)

    def write(self, payloads) -> None:
        columns = ", ".join(c.name for c in self.table.columns)
        with self.cursor.copy(f"COPY {self.table.name} ({columns}) FROM STDIN (FORMAT binary)") as copy:
            for payload in payloads:
                copy.write(payload)
            if self.encoder is not None:
                copy.write(self.encoder.finish())


class _SQLiteSink:
    """Rows into tables with batches of inserts."""

    def __init__(self, conn: Connection):
        self.conn = conn

    def writer(self, table: Table) -> _Inserts:
        return _Inserts(self.conn, table)

    def load(self, table: Table, frames) -> None:
        writer = self.writer(table)
        writer.write(writer.encode(frame) for frame in frames)


class _Inserts:
    def __init__(self, conn: Connection, table: Table):
        self.conn, self.table = conn, table

    def encode(self, frame) -> list[dict]:
        return frame.to_dicts()

    def write(self, payloads) -> None:
        for rows in payloads:
            for i in range(0, len(rows), _INSERT_BATCH):
                self.conn.execute(insert(self.table), rows[i:i + _INSERT_BATCH])


def _analyze(conn: Connection, *names: str) -> None:
    """PostgreSQL plans joins with temporary tables well only once it knows their size."""
    if conn.dialect.name == "postgresql":
        for name in names:
            conn.execute(text(f"ANALYZE {name}"))


def _drop_temporary(conn: Connection) -> None:
    for name in (*_TMP_FROM_SQL, TMP_CHANGES.name, TMP_DAYS.name, TMP_MASKS.name):
        conn.execute(text(f"DROP TABLE IF EXISTS {name}"))


def _store_aliases(conn: Connection, campaign: Campaign, known: dict[str, str], spellings: dict[str, str]) -> None:
    """Add region spellings to the campaign's step_region_aliases (known: those already there)."""
    for spelling, code in spellings.items():
        if spelling not in known:
            conn.execute(insert(StepRegionAlias).values(campaign=campaign.name, spelling=spelling, region_code=code))
        elif known[spelling] != code:
            conn.execute(update(StepRegionAlias).where(StepRegionAlias.campaign == campaign.name,
                                                       StepRegionAlias.spelling == spelling).values(region_code=code))


def _days_counted_before(conn: Connection, campaign: Campaign, import_id: int, first_day) -> bool:
    """Whether an earlier import of the campaign has valid records on or after first_day (so this
    import can repeat a day already counted)."""
    latest = conn.execute(select(func.max(StepImport.last_day)).where(StepImport.campaign == campaign.name,
                                                                      StepImport.id != import_id)).scalar()
    return latest is not None and latest >= first_day
