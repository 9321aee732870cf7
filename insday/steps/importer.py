"""Import a raw donation file: every line stored, then every aggregate moved on from the new
records only.

One transaction per file. The records go straight into ``step_records`` (PostgreSQL: one
COPY of the streamed file; SQLite: batches of inserts). Then a fixed number of set-based
statements over the new records (sql/steps/), whatever the size of the history:

1. records that do not count -> ``step_rejects`` (malformed, outside_window,
   unknown_region, below_min_steps); a region spelling no one knows is tried once more the
   careful way (" 北京 ", "１１");
2. one pass over the valid records: per participant (day bits, count, counted steps) and per
   (region as written, day) -> ``tmp_steps_changes``;
3. participants with a same-day repeat (two records of one day in the file, or, when the file
   has days earlier imports had, a day already counted) -> only their records are ranked; the
   losers become ``repeat_same_day`` rejects and leave the changes; an earlier donation in a
   later file supersedes the one counted;
4. the participants' carried state (``step_participants``) moves on: days = old | new, and
   counts, streaks and badge days are those of the new day mask (looked up in the statistics
   of every possible mask, computed in Python); one UPDATE for known participants, one
   INSERT for new ones;
5. the changes per (region, day) -> ``step_region_days``, the top list -> ``step_top_entries``,
   and unlocks are refreshed.

No statement reads a participant's history record by record, so importing day 14 costs about
what day 1 cost; late data for an earlier day only ORs a bit into the affected participants'
masks, and their streaks and badge days are re-derived from it.
"""

from __future__ import annotations

import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

from sqlalchemy import BigInteger, Column, Date, Integer, MetaData, Table, func, insert, select, text, update
from sqlalchemy.engine import Connection

from insday.campaign import Campaign
from insday.db.models import StepImport, StepRegionAlias, step_records
from insday.db.types import UTCDateTime
from insday.env import Env
from insday.sql import fetch
from insday.steps.figures import check_time_order, lock_step_data, refresh_unlocks, run
from insday.steps.records import Header, chunks, copy_chunks, file_sha256, lines, open_records, read_header
from insday.steps.rules import RegionResolver, StepCalendar, mask_stats, step_calendar

REASONS = ("below_7800", "outside_window", "unknown_region", "repeat_same_day", "malformed")
_REASON_KEY = {"below_min_steps": "below_7800"}  # the JSON contract's name for it
_INSERT_BATCH = 5000
_IMPORTS = StepImport.__table__

_tmp = MetaData()
TMP_DAYS = Table("tmp_steps_days", _tmp, Column("idx", Integer, primary_key=True), Column("day", Date),
                 Column("factor", Integer), Column("starts_at", UTCDateTime), Column("ends_at", UTCDateTime),
                 prefixes=["TEMPORARY"])
TMP_MASKS = Table("tmp_steps_mask_stats", _tmp, Column("mask", BigInteger, primary_key=True),
                  Column("donations", Integer), Column("first_on", Date), Column("last_on", Date),
                  Column("current_streak", Integer), Column("best_streak", Integer),
                  Column("first_donation_on", Date), Column("five_donations_on", Date),
                  Column("ten_consecutive_days_on", Date), prefixes=["TEMPORARY"])
_TMP_FROM_SQL = ("tmp_steps_rejects", "tmp_steps_changes", "tmp_steps_problem", "tmp_steps_candidates",
                 "tmp_steps_losers")


def import_donations(env: Env, path: Path | str, *, received_at: datetime | None = None) -> dict:
    """Import one raw donation file; return what ``insday steps import --json`` prints.

    ``received_at`` (default now) is when the records became known; it may not be earlier
    than step data already recorded. The same file (by SHA-256) again changes nothing.
    """
    started = time.perf_counter()
    path = Path(path)
    campaign = env.campaign
    received_at = (received_at or datetime.now(timezone.utc)).astimezone(timezone.utc)
    sha256 = file_sha256(path)
    with open_records(path) as fh, env.engine.begin() as conn:
        header = read_header(fh)
        postgres = conn.dialect.name == "postgresql"
        lock_step_data(conn)
        if postgres:
            # The campaign's time zone makes donated_at::date the local day; the rest is for
            # the few large set-based statements below (and a quick ANALYZE of the records).
            for name, value in (("TimeZone", campaign.timezone), ("work_mem", "256MB"), ("jit", "off"),
                                ("default_statistics_target", "10")):
                conn.execute(text("SELECT set_config(:name, :value, true)"), {"name": name, "value": value})
        earlier = conn.execute(select(_IMPORTS).where(_IMPORTS.c.sha256 == sha256)).one_or_none()
        if earlier is not None:
            return _result(earlier, path, campaign.tz, duplicate=True, unlocks=[], started=started)
        check_time_order(conn, received_at)
        import_id = conn.execute(insert(StepImport).values(
            sha256=sha256, filename=path.name, received_at=received_at, records=0, accepted=0, rejected={},
            superseded=0).returning(StepImport.id)).scalar_one()
        if postgres:
            first_id, count = _copy(conn, header, fh, step_calendar(campaign).days)
        else:
            first_id = (conn.execute(select(func.max(step_records.c.record_id))).scalar() or 0) + 1
            count = _insert(conn, header, fh, campaign, first_id)
        values = {"records": count, "first_record_id": first_id if count else None,
                  "last_record_id": first_id + count - 1 if count else None}
        if count:
            values.update(_aggregate(conn, campaign, import_id, first_id, first_id + count - 1))
        conn.execute(update(StepImport).where(StepImport.id == import_id).values(**values))
        if postgres:  # summarise the pages just appended, so later imports skip them
            conn.execute(text("SELECT brin_summarize_new_values('ix_step_records_record_id')"))
        unlocks = refresh_unlocks(conn, campaign, received_at, f"import {import_id}")
        row = conn.execute(select(_IMPORTS).where(_IMPORTS.c.id == import_id)).one()
        return _result(row, path, campaign.tz, duplicate=False, unlocks=unlocks, started=started)


def _result(row, path: Path, tz, *, duplicate: bool, unlocks: list, started: float) -> dict:
    rejected = {reason: 0 if duplicate else row.rejected.get(reason, 0) for reason in REASONS}
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


def _copy(conn: Connection, header: Header, fh, days) -> tuple[int, int]:
    """Stream the file into step_records with COPY; return the first record id and the count.

    The ids come from the identity's sequence, cached 1,000 at a time per session. Dropping
    this session's cache first makes them follow every id handed out before, and holding the
    step-data lock keeps them contiguous; the count of ids used is checked against the lines.
    """
    columns = ", ".join((*header.order, "raw_line"))  # names checked by read_header
    sequence = conn.execute(text("SELECT pg_get_serial_sequence('step_records', 'record_id')")).scalar()
    conn.execute(text("DISCARD SEQUENCES"))
    before = conn.execute(text("SELECT nextval(:sequence)"), {"sequence": sequence}).scalar()
    count = 0
    with conn.connection.driver_connection.cursor() as cur:
        with cur.copy(f"COPY step_records ({columns}) FROM STDIN (FORMAT csv)") as copy:
            for data, lines_in_chunk in copy_chunks(header, fh, days):
                copy.write(data)
                count += lines_in_chunk
    last = conn.execute(text("SELECT currval(:sequence)"), {"sequence": sequence}).scalar()
    if last - before != count:
        raise RuntimeError(f"step_records ids {before + 1}..{last} are not the {count} records just copied")
    return before + 1, count


def _insert(conn: Connection, header: Header, fh, campaign: Campaign, first_id: int) -> int:
    """Insert the file's records in batches (SQLite); record ids from first_id on."""
    position = {name: i for i, name in enumerate(header.order)}
    batch: list[dict] = []
    count = 0
    for data in chunks(fh):
        for line in lines(header, data):
            row = {"record_id": first_id + count, "donated_at": None, "participant_id": None, "region": None,
                   "steps": None, "raw_line": line.raw}
            if line.fields:
                moment = datetime.fromisoformat(line.fields[position["donated_at"]])
                row.update(donated_at=moment if moment.tzinfo else moment.replace(tzinfo=campaign.tz),
                           participant_id=line.fields[position["participant_id"]],
                           region=line.fields[position["region"]],
                           steps=int(line.fields[position["steps"]]))
            batch.append(row)
            count += 1
            if len(batch) >= _INSERT_BATCH:
                conn.execute(insert(step_records), batch)
                batch = []
    if batch:
        conn.execute(insert(step_records), batch)
    return count


def _aggregate(conn: Connection, campaign: Campaign, import_id: int, first_id: int, last_id: int) -> dict:
    """Move every aggregate on from records first_id..last_id; return the import's outcome."""
    cal = step_calendar(campaign)
    params = {"import_id": import_id, "first_id": first_id, "last_id": last_id, "min_steps": cal.min_steps,
              "window_start_at": cal.start, "window_end_at": cal.end, "start_date": cal.days[0],
              "double_mask": cal.double_mask, "double_factor": cal.double_factor, "top_n": campaign.steps.top_n}
    _drop_temporary(conn)
    _analyze(conn, "step_records")  # the new records change its statistics a lot
    _create_days(conn, campaign, cal)
    resolver = RegionResolver(campaign.steps.regions)
    params["spellings"] = _store_aliases(conn, resolver.spellings())

    run(conn, "steps/tmp_rejects", **params)
    odd = {row["region"]: resolver.resolve(row["region"]) for row in fetch(conn, "steps/unknown_spellings")}
    if any(odd.values()):  # " 北京 ", "北京市 ", "１１": known regions written unusually
        params["spellings"] = _store_aliases(conn, {s: code for s, code in odd.items() if code})
        conn.execute(text("DROP TABLE tmp_steps_rejects"))
        run(conn, "steps/tmp_rejects", **params)
    run(conn, "steps/store_rejects", **params)

    run(conn, "steps/tmp_changes", **params)
    _store_mask_stats(conn, campaign, cal)
    _analyze(conn, "tmp_steps_changes", TMP_MASKS.name)
    [days] = fetch(conn, "steps/import_days")
    run(conn, "steps/tmp_problem", **params)
    if days["first_idx"] is not None and _days_counted_before(conn, import_id, cal.days[days["first_idx"]]):
        run(conn, "steps/add_overlap_problems", **params)  # late data, or a file overlapping an earlier one
    _analyze(conn, "tmp_steps_problem")
    [problems] = fetch(conn, "steps/problem_counts")
    if problems["participants"]:
        run(conn, "steps/tmp_candidates", **params)
        if problems["overlapping"]:
            run(conn, "steps/add_counted_candidates", **params)
        run(conn, "steps/tmp_losers", **params)
        _analyze(conn, "tmp_steps_losers")
        for name in ("reject_losers", "subtract_losers_participants", "subtract_losers_regions"):
            run(conn, f"steps/{name}", **params)
    if conn.dialect.name == "postgresql":
        run(conn, "steps/upsert_participants", **params)
    else:
        run(conn, "steps/update_participants", **params)
        run(conn, "steps/insert_participants", **params)
    run(conn, "steps/insert_region_days", **params)
    run(conn, "steps/insert_top", **params)

    outcome = fetch(conn, "steps/import_outcome", **params)
    rejected = {_REASON_KEY.get(r["reason"], r["reason"]): r["records"] for r in outcome if r["own"]}
    _drop_temporary(conn)
    return {
        "accepted": last_id - first_id + 1 - sum(rejected.values()),
        "rejected": rejected,
        "superseded": sum(r["records"] for r in outcome if not r["own"]),
        "first_day": None if days["first_idx"] is None else cal.days[days["first_idx"]],  # valid records' days
        "last_day": None if days["last_idx"] is None else cal.days[days["last_idx"]],
    }


def _analyze(conn: Connection, *names: str) -> None:
    """PostgreSQL plans joins with temporary tables well only once it knows their size."""
    if conn.dialect.name == "postgresql":
        for name in names:
            conn.execute(text(f"ANALYZE {name}"))


def _drop_temporary(conn: Connection) -> None:
    for name in (*_TMP_FROM_SQL, TMP_DAYS.name, TMP_MASKS.name):
        conn.execute(text(f"DROP TABLE IF EXISTS {name}"))


def _create_days(conn: Connection, campaign: Campaign, cal: StepCalendar) -> None:
    TMP_DAYS.create(conn)
    conn.execute(insert(TMP_DAYS), [
        {"idx": i, "day": day, "factor": cal.factor(day), "starts_at": campaign.at(day),
         "ends_at": campaign.at(day + timedelta(days=1))} for i, day in enumerate(cal.days)])


def _store_aliases(conn: Connection, spellings: dict[str, str]) -> list[str]:
    """Add region spellings to step_region_aliases; return every known spelling."""
    known = dict(conn.execute(select(StepRegionAlias.spelling, StepRegionAlias.region_code)).all())
    for spelling, code in spellings.items():
        if spelling not in known:
            conn.execute(insert(StepRegionAlias).values(spelling=spelling, region_code=code))
        elif known[spelling] != code:
            conn.execute(update(StepRegionAlias).where(StepRegionAlias.spelling == spelling).values(region_code=code))
        known[spelling] = code
    return sorted(known)


def _store_mask_stats(conn: Connection, campaign: Campaign, cal: StepCalendar) -> None:
    """Counts, streaks and badge days of every possible day mask (2**days - 1 of them)."""
    TMP_MASKS.create(conn)
    rows = [{"mask": m, **vars(mask_stats(m, cal.days, campaign.steps.badges))} for m in range(1, 1 << len(cal.days))]
    for i in range(0, len(rows), _INSERT_BATCH):
        conn.execute(insert(TMP_MASKS), rows[i:i + _INSERT_BATCH])


def _days_counted_before(conn: Connection, import_id: int, first_day) -> bool:
    """Whether an earlier import has valid records on or after first_day (so this import can
    repeat a day already counted)."""
    latest = conn.execute(select(func.max(StepImport.last_day)).where(StepImport.id != import_id)).scalar()
    return latest is not None and latest >= first_day
