"""Raw donation records: every aggregate equals a plain-Python reference computation, however
the records arrive (one file, day by day, a late day, overlapping files, the same file twice)."""

from __future__ import annotations

import json
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import numpy as np
import polars as pl
import pytest
import stepdata
from sqlalchemy import create_engine, func, select, text

from insday.db.models import StepParticipant, StepReject, StepUnlock, step_records
from insday.env import Env
from insday.steps import StepsError, import_donations, step_summary, tally
from insday.steps.figures import region_figures
from insday.steps.columns import read_carefully, read_chunk, read_plainly
from insday.steps.records import FIELDS, Header, parse_line
from insday.steps.rules import mask_participant, mask_stats, step_calendar

TZ = ZoneInfo("Asia/Shanghai")
LATER = datetime(2019, 12, 31, tzinfo=TZ)
DATA = stepdata.dataset()
ALL = [line for _, line in DATA]


def by_day(*indexes: int) -> list[str]:
    return [line for i, line in DATA if i in indexes]


def received(n: int) -> datetime:
    return datetime(2019, 6, 26, 10, tzinfo=TZ) + timedelta(hours=n)


def with_threshold(env: Env, threshold: int) -> Env:
    steps = env.campaign.steps.model_copy(update={"unlock_threshold": threshold})
    return Env(env.settings, env.campaign.model_copy(update={"steps": steps}))


def import_files(env: Env, tmp_path, files: list[list[str]]) -> list[dict]:
    return [import_donations(env, stepdata.write(tmp_path / f"f{n}.csv", lines), received_at=received(n))
            for n, lines in enumerate(files)]


def state(env: Env, as_of: datetime = LATER) -> dict:
    """Everything the raw records decide, read back from the database."""
    calendar, badges = step_calendar(env.campaign).days, env.campaign.steps.badges
    with env.engine.connect() as conn:
        rows = conn.execute(select(StepParticipant)).all()
        people = {p.participant_id: {"total_steps": p.total_steps, **vars(mask_stats(p.days_mask, calendar, badges))}
                  for p in rows}  # counts, streaks and badge days are the day mask's
        assert len(people) == len(rows), "one row per participant (PostgreSQL has no key to enforce it)"
        days = {(f.region_code, f.day): (f.raw_steps, f.raw_donations) for f in region_figures(conn, env.campaign, as_of)
                if f.raw_steps or f.raw_donations}
    summary = step_summary(env, as_of)
    return {"participants": people, "region_days": days,
            "regions": {r["code"]: {k: r[k] for k in ("own_steps", "group_steps", "progress", "unlocked_on")}
                        for r in summary["regions"]},
            "badges": summary["badges"], "top": summary["top"]}


def expected(env: Env, files: list[list[str]]) -> dict:
    ref = stepdata.compute(env.campaign, files)
    summary = stepdata.summary(env.campaign, ref)
    return {"participants": stepdata.participants(env.campaign, ref),
            "region_days": stepdata.region_days(env.campaign, ref), **summary}


def import_outcome(result: dict) -> dict:
    return {k: result[k] for k in ("accepted", "rejected", "superseded")}


def unlock_threshold(env: Env, code: str, day_index: int) -> int:
    """A threshold the helped region's group total reaches exactly on that day (reference)."""
    ref = stepdata.compute(env.campaign, [ALL])
    members = {code} | {r.code for r in env.campaign.steps.regions if r.helps == code}
    total = 0
    for (region, day), (steps, _) in sorted(stepdata.region_days(env.campaign, ref).items(), key=lambda kv: kv[0][1]):
        if region in members and day <= stepdata.DAYS[day_index]:
            total += steps * stepdata.factor(env.campaign, day)
    return total


def unlock_events(env: Env, files: list[list[str]]) -> list[tuple[str, str | None]]:
    """(day, corrected day) for each unlock recorded while importing the files in order (reference)."""
    events, known = [], None
    for n in range(len(files)):
        day = stepdata.summary(env.campaign, stepdata.compute(env.campaign, files[: n + 1]))["regions"]["53"][
            "unlocked_on"]
        if day is not None and (known is None or day < known):
            events.append((day, known))
            known = day
    return events


def test_one_file_matches_the_reference(env, tmp_path):
    env = with_threshold(env, unlock_threshold(env, "53", 6))  # 云南 with its helper 北京
    [result] = import_files(env, tmp_path, [ALL])
    want = expected(env, [ALL])
    assert import_outcome(result) == stepdata.compute(env.campaign, [ALL]).outcomes[0]
    assert result["records"] == len(ALL)
    got = state(env)
    assert got == want
    # The edge cases the data set was built for, spelled out.
    assert got["regions"]["53"]["unlocked_on"] == "2019-07-01"
    assert [u for u in result["unlocks"] if u["code"] == "53"] == [
        {"region": "云南", "code": "53", "unlocked_on": "2019-07-01", "group_steps": unlock_threshold(env, "53", 6),
         "corrects": None}]
    alice, bob = got["participants"]["wx_alice_000001"], got["participants"]["wx_bob_0000002"]
    assert (alice["ten_consecutive_days_on"], alice["five_donations_on"]) == (date(2019, 7, 4), date(2019, 6, 29))
    assert alice["total_steps"] == sum(12_000 + 100 * i for i in range(14)) + 12_000 + 1300  # 07-08 doubled
    assert (bob["best_streak"], bob["current_streak"], bob["ten_consecutive_days_on"]) == (5, 5, None)
    carol = got["participants"]["wx_carol_00003"]
    assert carol["total_steps"] == 15_000 + 15_000  # 08:00 beats the 09:00 line; 10:00 line beats its twin
    assert got["region_days"][("13", date(2019, 6, 27))][1] >= 1  # carol's 河北 record counted, not 天津's
    assert got["participants"]["wx_kate_000011"]["first_on"] == date(2019, 6, 26)  # 23:30Z is 07:30 next day
    assert got["participants"]["wx_judy_000010"]["donations"] == 3  # " 北京 ", "１１" and "53" all known
    assert "wx_hank_000008" not in got["participants"] and "wx_ivan_000009" not in got["participants"]
    assert got["top"][0]["participant"] == mask_participant(max(
        want["participants"], key=lambda p: want["participants"][p]["total_steps"]))
    shown = [t["participant"] for t in got["top"]]  # equal totals: wx_tie_a_00014 before wx_tie_b_00013
    assert got["participants"]["wx_tie_a_00014"]["total_steps"] == got["participants"]["wx_tie_b_00013"]["total_steps"]
    assert shown.index("wx_****014") < shown.index("wx_****013")
    assert len(got["top"]) == env.campaign.steps.top_n < len(got["participants"])


def test_settling_in_many_buckets_gives_the_same_figures(env, tmp_path, monkeypatch):
    monkeypatch.setattr(tally, "BUCKET_BYTES", 64)  # a bucket per 64 bytes of the file: 256, the most
    [result] = import_files(env, tmp_path, [ALL])
    assert import_outcome(result) == stepdata.compute(env.campaign, [ALL]).outcomes[0]
    assert state(env) == expected(env, [ALL])


def test_participants_are_numbered_by_id_when_hashes_collide():
    ids = pl.Series(["b", "a", "b", "c", "a"])
    for hashes in (ids.hash().to_numpy(), np.zeros(5, np.uint64)):  # distinct hashes; all the same
        distinct, who = tally.numbers(ids, hashes)
        assert sorted(distinct) == ["a", "b", "c"] and distinct.gather(who).to_list() == ids.to_list()


def test_day_by_day_and_a_late_day_equal_one_file(env, tmp_path):
    env = with_threshold(env, unlock_threshold(env, "53", 6))
    bob_day_4 = stepdata.day_line(stepdata.DAYS[4], "08:15:00", "wx_bob_0000002", "北京", 9_000)
    order = [0, 1, 2, 3, 5, 6, 7, 8, 9, 10, 4, 11, 12, 13]  # day 4 arrives late, after day 10
    files = [by_day(i) + ([bob_day_4] if i == 4 else []) for i in order]
    results = import_files(env, tmp_path, files)
    assert state(env) == expected(env, [ALL + [bob_day_4]])
    assert [import_outcome(r) for r in results] == stepdata.compute(env.campaign, files).outcomes
    # Without day 4 the region crossed later; the late day moves the unlock earlier.
    events = [(u["unlocked_on"], u["corrects"]) for r in results for u in r["unlocks"] if u["code"] == "53"]
    assert events == unlock_events(env, files)
    assert events[-1][0] == "2019-07-01" and len(events) == 2
    # Bob's gap on day 4 is filled late: one run of ten days, the badge dated 07-04.
    bob = state(env)["participants"]["wx_bob_0000002"]
    assert (bob["best_streak"], bob["ten_consecutive_days_on"]) == (10, date(2019, 7, 4))


def test_the_unlock_day_does_not_move_with_later_days_and_is_known_as_of(env, tmp_path):
    env = with_threshold(env, unlock_threshold(env, "53", 6))
    import_files(env, tmp_path, [by_day(*range(8)), by_day(*range(8, 14))])
    with env.engine.connect() as conn:
        rows = conn.execute(select(StepUnlock.region_code, StepUnlock.unlocked_on, StepUnlock.recorded_at)).all()
    yunnan = [r for r in rows if r.region_code == "53"]
    assert [r.unlocked_on for r in yunnan] == [date(2019, 7, 1)]  # the later days did not move it
    assert yunnan[0].recorded_at == received(0)
    before = step_summary(env, received(0) - timedelta(seconds=1))
    assert {r["code"]: r["unlocked_on"] for r in before["regions"]}["53"] is None
    assert before["badges"] == {"first_donation": 0, "five_donations": 0, "ten_consecutive_days": 0}
    assert before["top"] == []


def test_summary_as_of_between_imports_sees_only_what_was_received(env, tmp_path):
    import_files(env, tmp_path, [by_day(*range(7)), by_day(*range(7, 14))])
    first = stepdata.compute(env.campaign, [by_day(*range(7))])
    got = state(env, received(1) - timedelta(minutes=1))
    want = stepdata.summary(env.campaign, first)
    assert (got["badges"], got["top"]) == (want["badges"], want["top"])
    assert got["region_days"] == stepdata.region_days(env.campaign, first)


def test_two_overlapping_files_first_donation_wins(env, tmp_path):
    first = ["2019-06-27 10:00:00,wx_dave_000004,北京,9000", "2019-06-28 10:00:00,wx_dave_000004,北京,9000"]
    second = ["2019-06-27 08:00:00,wx_dave_000004,上海,20000",  # earlier that day: replaces the 10:00 one
              "2019-06-28 11:00:00,wx_dave_000004,上海,20000",  # later that day: a repeat
              "2019-06-29 11:00:00,wx_dave_000004,上海,20000"]
    results = import_files(env, tmp_path, [first, second])
    ref = stepdata.compute(env.campaign, [first, second])
    assert [import_outcome(r) for r in results] == ref.outcomes
    assert results[1]["superseded"] == 1 and results[1]["rejected"]["repeat_same_day"] == 1
    assert state(env) == expected(env, [first, second])
    dave = state(env)["participants"]["wx_dave_000004"]
    assert (dave["donations"], dave["total_steps"]) == (3, 20_000 + 9_000 + 20_000)


def test_the_fake_platform_counts_what_the_importer_counts(env, tmp_path):
    # the demo's national platform, fed the same files (odd spellings, rejects, same-day repeats,
    # an earlier donation in a later file), answers with the raw records' figures
    from insday.fake.platform import Platform

    files = [by_day(*range(7)), by_day(*range(5, 14)), ["2019-06-27 05:00:00,wx_alice_000001,天津,30000",
                                                        "2019-06-27 05:00:00,wx_alice_000001,北京,31000"]]
    import_files(env, tmp_path, files)
    platform = Platform(env.campaign)
    try:
        for n, lines in enumerate(files):
            platform.receive(stepdata.write(tmp_path / f"p{n}.csv.gz", lines, gz=True))
        got = {(r["region"], date.fromisoformat(r["date"])): (r["steps"], r["donations"])
               for r in platform.payload()["regions"]}
    finally:
        platform.stop()
    assert got == state(env)["region_days"] == stepdata.region_days(env.campaign, stepdata.compute(env.campaign, files))
    # alice's earlier 天津 donation in the last file replaced her 07:00 北京 one; at the same time, the earlier line wins
    before = stepdata.region_days(env.campaign, stepdata.compute(env.campaign, files[:2]))
    day = date(2019, 6, 27)
    assert got[("12", day)][0] - before[("12", day)][0] == 30000 and got[("11", day)][1] == before[("11", day)][1] - 1


def test_reimporting_changes_nothing(env, tmp_path):
    [result] = import_files(env, tmp_path, [ALL])
    before = state(env)
    path = stepdata.write(tmp_path / "f0.csv", ALL)
    again = import_donations(env, path, received_at=received(5))
    assert again["duplicate"] and again["import_id"] == result["import_id"] and again["accepted"] == 0
    # The same records in a different file (gzipped): all repeats, nothing counted twice.
    gz = import_donations(env, stepdata.write(tmp_path / "again.csv.gz", ALL, gz=True), received_at=received(6))
    assert not gz["duplicate"] and gz["accepted"] == 0 and gz["superseded"] == 0
    assert gz["rejected"]["repeat_same_day"] == result["accepted"] + result["rejected"]["repeat_same_day"]
    assert state(env) == before


def test_every_line_is_kept_and_every_reject_has_its_reason(env, tmp_path):
    [result] = import_files(env, tmp_path, [ALL])
    with env.engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(step_records)).scalar() == len(ALL)
        reasons = dict(conn.execute(select(StepReject.reason, func.count()).group_by(StepReject.reason)).all())
        kept = conn.execute(select(step_records.c.raw_line).where(step_records.c.raw_line.is_not(None))).scalars()
        assert sorted(kept) == sorted(line for line in ALL if "lena" in line)
    want = {k: v for k, v in result["rejected"].items() if v}
    assert reasons == want


def test_time_order_and_header_are_checked(env, tmp_path):
    import_files(env, tmp_path, [by_day(0)])
    with pytest.raises(StepsError, match="时间顺序"):
        import_donations(env, stepdata.write(tmp_path / "old.csv", by_day(1)), received_at=received(0) - timedelta(1))
    bad = tmp_path / "bad.csv"
    bad.write_text("time,user,province,steps\n2019-06-26 08:00:00,u1,北京,9000\n", encoding="utf-8")
    with pytest.raises(StepsError, match="表头"):
        import_donations(env, bad, received_at=received(3))


def test_header_in_any_order_crlf_and_gb18030(env, tmp_path):
    lines = ["wx_x_000001,北京,2019-06-26 08:00:00,9000", "wx_x_000001,北京,2019-06-27 08:00:00,9000"]
    path = tmp_path / "gbk.csv"
    path.write_bytes(("participant_id,region,donated_at,steps\r\n" + "\r\n".join(lines) + "\r\n").encode("gb18030"))
    result = import_donations(env, path, received_at=received(0))
    assert result["accepted"] == 2 and sum(result["rejected"].values()) == 0
    assert state(env)["participants"]["wx_x_000001"]["donations"] == 2


def test_mask_statistics_equal_the_reference(campaign):
    days = tuple(stepdata.DAYS)
    for m in range(1, 1 << len(days), 37):  # a spread of the 16,383 masks
        lines = [stepdata.day_line(d, "08:00:00", "u", "北京", 8000) for i, d in enumerate(days) if m >> i & 1]
        ref = stepdata.participants(campaign, stepdata.compute(campaign, [lines]))["u"]
        stats = vars(mask_stats(m, days, campaign.steps.badges))
        assert stats == {k: v for k, v in ref.items() if k != "total_steps"}, bin(m)


def test_masked_ids():
    assert mask_participant("wx_alice_000001") == "wx_****001"
    assert mask_participant("abcd") == "a****d"
    assert mask_participant("abc") == "****"


def test_import_json_counts_every_line_as_the_reference_does(env, tmp_path):
    lines = by_day(0, 1)
    path = stepdata.write(tmp_path / "f.csv", lines)
    result = json.loads(json.dumps(import_donations(env, path, received_at=received(0))))
    [expected] = stepdata.compute(env.campaign, [lines]).outcomes
    assert result["accepted"] == expected["accepted"] > 0
    for reason in ("below_min_steps", "outside_window", "unknown_region", "repeat_same_day"):
        assert result["rejected"][reason] == expected["rejected"][reason], reason
    assert result["accepted"] + sum(result["rejected"].values()) == len(lines)


def test_the_plain_reading_takes_only_lines_the_careful_reading_takes_verbatim():
    header = Header(FIELDS, "utf-8")
    lines = ALL + ["2019-06-25 07:00,u,北京,8000", "2019-06-25T07:00:00.123456+0800,u,北京,8000",
                   "2019-06-26 07:00:00+08,u,内蒙古 自治区,8000", "2019-02-29 07:00:00,u,北京,8000",
                   "2020-02-29 07:00:00,u,北京,8000", " 2019-06-25 07:00:00,u,北京,8000",
                   "2019-06-25 24:00:00,u,北京,8000", "2019-06-25 07:00:00,u,北京,0123456789"]
    data = ("\n".join(lines) + "\n").encode()
    plain = read_plainly(header, data, "Asia/Shanghai")
    taken = dict(zip(lines, plain["ok"]))
    fast_lines = [line for line in lines if taken[line]]
    assert 300 < len(fast_lines) < len(lines)
    for line in fast_lines:
        assert parse_line(header, line) == tuple(line.split(","))
    assert parse_line(header, " 2019-06-25 07:00:00,u,北京,8000")[0] == "2019-06-25 07:00:00"  # careful only
    assert parse_line(header, "2020-02-29 07:00:00,u,北京,8000") is not None
    for bad in ("2019-02-29 07:00:00,u,北京,8000", "2019-06-25 24:00:00,u,北京,8000",
                "2019-06-25 07:00:00,u,北京,0123456789"):
        assert parse_line(header, bad) is None and not taken[bad]
    # Both readings together give what the careful one alone gives, times included.
    assert read_chunk(header, data, "Asia/Shanghai").equals(read_carefully(header, data, "Asia/Shanghai"))


def test_record_ids_follow_import_order_across_processes(env, tmp_path):
    """On PostgreSQL ids come from a sequence cached per session: an import by another process
    in between must not make this session's next import reuse older cached ids (the id order
    decides ties between files, and which records were counted before an import)."""
    if env.engine.dialect.name != "postgresql":
        pytest.skip("sequence caching is PostgreSQL's")
    other = Env(env.settings, env.campaign)
    other.__dict__["engine"] = create_engine(env.settings.db_url)  # another process, its own session
    files = [by_day(0), by_day(1), by_day(2)]
    import_donations(env, stepdata.write(tmp_path / "a.csv", files[0]), received_at=received(0))
    import_donations(other, stepdata.write(tmp_path / "b.csv", files[1]), received_at=received(1))
    other.engine.dispose()
    import_donations(env, stepdata.write(tmp_path / "c.csv", files[2]), received_at=received(2))
    with env.engine.connect() as conn:
        ids = conn.execute(text("SELECT first_record_id, last_record_id FROM step_imports ORDER BY id")).all()
    assert ids[0][1] < ids[1][0] <= ids[1][1] < ids[2][0]
    assert state(env) == expected(env, files)
