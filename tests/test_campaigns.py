"""Campaigns side by side: the two shipped campaigns (jilin-2019, guangdong-2020) in one
database and one INSDAY_HOME, on SQLite and PostgreSQL. Their rosters share unit codes and
names (人保财险 is P01 in both); a unit, file, deadline, message or step record of one is never
seen by the other, through ingest, status, reminders, steps and the bulletin.

| campaign | what | figures |
| --- | --- | --- |
| jilin-2019 | 人保财险 daily report of 2019-06-26, received 06-26 20:00 | 120 participants, 1,500,000 steps |
| guangdong-2020 | 人保财险 daily report of 2020-06-26, received 06-26 21:00 | 77 participants, 2,222,000 steps |
| both | the same file (the Jilin one again) | accepted in Jilin as a duplicate, rejected in Guangdong (2019 is not its window) |
| both | one raw donations file: wx_a 2019-06-26 10,000 steps; wx_a 2020-07-01 10,000 steps | each campaign counts its own day; 07-01 is Guangdong's double day: 20,000 there |
"""

from __future__ import annotations

import json
from datetime import date, datetime, time
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from filemaker import daily_row, write_xlsx

from insday.campaign import CampaignError, campaign_folder, get_campaign
from insday.campaigns import listing
from insday.db import session_scope
from insday.db.migrate import load_reference_data
from insday.env import Env
from insday.paths import CAMPAIGNS_DIR

TZ = ZoneInfo("Asia/Shanghai")


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=TZ)


@pytest.fixture
def both(env, monkeypatch) -> tuple[Env, Env]:
    """Jilin (the env fixture's) and Guangdong in the same database and home, reports approved
    once their checks pass (nobody to approve them here)."""
    guangdong = get_campaign(CAMPAIGNS_DIR / "guangdong-2020")
    with session_scope(env.engine) as s:
        load_reference_data(s, guangdong)
    settings = env.settings.model_copy(update={"auto_approve": True})
    return Env(settings, env.campaign), Env(settings, guangdong)


def test_the_shipped_campaigns_differ_as_configured():
    jl, gd = get_campaign(CAMPAIGNS_DIR / "jilin-2019"), get_campaign(CAMPAIGNS_DIR / "guangdong-2020")
    assert (jl.year, gd.year) == (2019, 2020)
    assert jl.steps.double_days == (date(2019, 7, 8),) and gd.steps.double_days == (date(2020, 7, 1),)
    assert (jl.steps.unlock_threshold, gd.steps.unlock_threshold) == (78_000_000, 50_000_000)
    due = {c.name: {d.id: d.due for d in c.deadlines if d.due} for c in (jl, gd)}
    assert due["jilin-2019"]["scoring_sheet"] == at("2019-06-25 16:00")
    assert due["guangdong-2020"]["scoring_sheet"] == at("2020-06-24 17:00")
    assert due["guangdong-2020"]["summary"] == at("2020-07-10 16:00")
    daily = {c.name: next(d for d in c.deadlines if d.id == "daily_report").due_time for c in (jl, gd)}
    assert daily == {"jilin-2019": time(10), "guangdong-2020": time(12)}
    assert (jl.association.name, gd.association.name) == ("吉林省保险行业协会", "广东省保险行业协会")
    assert jl.bulletin.home_region == "22" and gd.bulletin.home_region == "44"
    assert {u.code for u in jl.units} == {u.code for u in gd.units}  # the same member codes ...
    assert jl.unit_by_code["P01"].name != gd.unit_by_code["P01"].name  # ... of other branches
    assert "广东" in gd.unit_by_code["P01"].name and gd.places and set(gd.places).isdisjoint(jl.places)


def test_selecting_a_campaign(tmp_path):
    assert campaign_folder("guangdong-2020") == CAMPAIGNS_DIR / "guangdong-2020"
    assert campaign_folder(CAMPAIGNS_DIR / "jilin-2019") == CAMPAIGNS_DIR / "jilin-2019"
    with pytest.raises(CampaignError, match="请用 --campaign"):
        campaign_folder(None)  # two installed, none named
    with pytest.raises(CampaignError, match="没有名为「hainan-2021」的活动"):
        campaign_folder("hainan-2021")
    one = tmp_path / "campaigns"
    (one / "jilin-2019").mkdir(parents=True)
    (one / "jilin-2019" / "campaign.yaml").write_text("name: jilin-2019\n", encoding="utf-8")
    assert campaign_folder(None, one) == one / "jilin-2019"  # one installed: the default
    rows = {r["name"]: r for r in listing(now=at("2020-06-30 12:00"))}
    assert rows["jilin-2019"]["state"] == "closed" and rows["guangdong-2020"]["state"] == "running"
    assert (rows["guangdong-2020"]["start"], rows["guangdong-2020"]["end"]) == ("2020-06-20", "2020-07-12")
    assert {r["state"] for r in listing(now=at("2019-01-01 00:00"))} == {"upcoming"}


def test_cli_selects_the_campaign(env, monkeypatch):
    from typer.testing import CliRunner

    from insday.cli import app

    from insday.settings import get_settings

    monkeypatch.setenv("INSDAY_CAMPAIGN", "")  # none selected (restored after the test)
    get_settings.cache_clear()
    runner = CliRunner()
    result = runner.invoke(app, ["campaigns", "--json"])
    assert result.exit_code == 0, result.output
    assert [r["name"] for r in json.loads(result.output)] == ["guangdong-2020", "jilin-2019"]
    result = runner.invoke(app, ["--campaign", "guangdong-2020", "units", "--json"])
    assert result.exit_code == 0, result.output
    assert next(u for u in json.loads(result.output) if u["code"] == "P01")["name"].endswith("广东省分公司")
    monkeypatch.setenv("INSDAY_CAMPAIGN", "")  # --campaign set it, for the flows it starts
    get_settings.cache_clear()
    result = runner.invoke(app, ["units", "--json"])
    assert result.exit_code == 2 and "请用 --campaign" in result.output


def daily(folder: Path, name: str, day: str, participants: int, steps: int) -> Path:
    return write_xlsx(folder / name, [daily_row(day=day, unit="人保财险", participants=participants, steps=steps)])


def test_two_campaigns_never_see_each_other(both, tmp_path):
    from insday.bulletin import build_bulletin, publish_bulletin
    from insday.deadlines.status import deadline_status
    from insday.intake.service import ingest_paths
    from insday.mail.outbox import list_messages
    from insday.deadlines.reminders import run_reminders
    from insday.steps import import_donations, step_summary

    jl, gd = both
    # --- ingest: the same unit name, each campaign's own unit
    jilin_file = daily(tmp_path / "jl", "人保财险0626.xlsx", "2019-06-26", 120, 1_500_000)
    [a] = ingest_paths(jl, [jilin_file], received_at=at("2019-06-26 20:00"))
    [b] = ingest_paths(gd, [daily(tmp_path / "gd", "人保财险0626.xlsx", "2020-06-26", 77, 2_222_000)],
                       received_at=at("2020-06-26 21:00"))
    assert (a.status, a.unit, a.version, b.status, b.unit, b.version) == ("accepted", "P01", 1, "accepted", "P01", 1)
    # the same bytes again: a duplicate in Jilin, a new file in Guangdong (where 2019 is outside the window)
    [again] = ingest_paths(jl, [jilin_file], received_at=at("2019-06-26 20:05"))
    [other] = ingest_paths(gd, [jilin_file], received_at=at("2020-06-26 21:05"))
    assert again.status == "duplicate" and again.submission_id == a.submission_id
    assert other.status == "rejected" and other.submission_id not in (a.submission_id, b.submission_id)

    # --- status: each campaign's deadlines and files only
    js = deadline_status(jl, at("2019-06-27 12:00"))
    gs = deadline_status(gd, at("2020-06-27 13:00"))
    jday = next(d for d in js["deadlines"] if d["id"] == "daily_report:2019-06-26")
    gday = next(d for d in gs["deadlines"] if d["id"] == "daily_report:2020-06-26")
    assert (jday["on_time"], jday["missing"], jday["rejected_units"]) == (1, 62, [])
    assert (gday["on_time"], gday["missing"], gday["rejected_units"]) == (1, 62, [])
    assert not any(d["id"].startswith("daily_report:2020") for d in js["deadlines"])
    assert not any(d["id"].startswith("daily_report:2019") for d in gs["deadlines"])
    assert js["units"]["P01"] == gs["units"]["P01"] == "人保财险"
    assert gday["due"] == "2020-06-27T12:00:00+08:00" and jday["due"] == "2019-06-27T10:00:00+08:00"

    # --- reminders: the overdue notices and the digest of each campaign, to its own people
    jr = run_reminders(jl, at("2019-06-27 10:30"), send=False)
    gr = run_reminders(gd, at("2020-06-27 12:30"), send=False)
    with session_scope(jl.engine) as s:
        jm, gm = list_messages(s, "jilin-2019", limit=None), list_messages(s, "guangdong-2020", limit=None)
    assert {m["key"] for m in jm} == {m["key"] for m in jr["messages"]} | {f"receipt:{a.sha256}:accepted",
                                                                          f"receipt:{a.sha256}:duplicate"}
    # Guangdong's outbox: its own reminders and the rejection's receipt (the key is Guangdong's own)
    assert {m["key"] for m in gm} == {m["key"] for m in gr["messages"]} | {f"receipt:{b.sha256}:accepted",
                                                                          f"receipt:{a.sha256}:rejected"}
    jdigest = next(m for m in jm if m["key"] == "digest:daily_report:2019-06-26")
    gdigest = next(m for m in gm if m["key"] == "digest:daily_report:2020-06-26")
    assert (jdigest["to"], gdigest["to"]) == ("liulu@jiaia.example.org", "chenjing@gdia.example.org")
    assert all("gdia" not in m["to"] for m in jm) and all("jiaia" not in m["to"] for m in gm)
    assert not any(m["unit"] == "P01" and m["kind"] == "overdue" for m in jm + gm)  # P01 reported in both

    # --- steps: one file, each campaign counts its own day; 07-01 counts double in Guangdong only
    raw = tmp_path / "donations.csv"
    raw.write_text("donated_at,participant_id,region,steps\n2019-06-26 08:00:00,wx_a,甘肃,10000\n"
                   "2020-07-01 08:00:00,wx_a,甘肃,10000\n", encoding="utf-8")
    ji = import_donations(jl, raw, received_at=at("2019-06-27 09:00"))
    gi = import_donations(gd, raw, received_at=at("2020-07-02 09:00"))
    assert not ji["duplicate"] and not gi["duplicate"]
    assert (ji["accepted"], ji["rejected"]["outside_window"], gi["accepted"], gi["rejected"]["outside_window"]) == \
        (1, 1, 1, 1)
    jsum, gsum = step_summary(jl, at("2019-06-28 00:00")), step_summary(gd, at("2020-07-03 00:00"))
    assert [t["steps"] for t in jsum["top"]] == [10_000] and [t["steps"] for t in gsum["top"]] == [20_000]
    assert (jsum["threshold"], gsum["threshold"]) == (78_000_000, 50_000_000)
    assert jsum["badges"]["first_donation"] == gsum["badges"]["first_donation"] == 1

    # --- bulletin: each campaign's figures, pages under public/<campaign>/, the index of campaigns
    jb, gb = build_bulletin(jl, date(2019, 6, 26)), build_bulletin(gd, date(2020, 6, 26))
    assert (jb["headline"]["steps_day"], gb["headline"]["steps_day"]) == (1_500_000, 2_222_000)
    assert (jb["headline"]["participants_day"], gb["headline"]["participants_day"]) == (120, 77)
    assert jb["headline"]["units_reporting"] == gb["headline"]["units_reporting"] == 1
    jp = publish_bulletin(jl, date(2019, 6, 26), send=True)
    gp = publish_bulletin(gd, date(2020, 6, 26), send=True)
    assert jp["folder"] == str(jl.settings.public_dir / "jilin-2019" / "2019-06-26")
    assert gp["folder"] == str(gd.settings.public_dir / "guangdong-2020" / "2020-06-26")
    assert "吉林" in (Path(jp["folder"]) / "index.html").read_text(encoding="utf-8")
    assert "广东" in (Path(gp["folder"]) / "index.html").read_text(encoding="utf-8")
    index = (jl.settings.public_dir / "index.html").read_text(encoding="utf-8")
    assert index.index("guangdong-2020/index.html") < index.index("jilin-2019/index.html")  # the latest first
    with session_scope(jl.engine) as s:
        jm, gm = list_messages(s, "jilin-2019", limit=None), list_messages(s, "guangdong-2020", limit=None)
    jbul = [m for m in jm if m["kind"] == "bulletin"]
    gbul = [m for m in gm if m["kind"] == "bulletin"]
    assert len(jbul) == len(gbul) == 64  # 63 members and the association, each campaign's own
    # each association gets its own campaign's bulletin only
    assert [m["to"] for m in jbul if m["unit"] == "ASSOC"] == ["liulu@jiaia.example.org"]
    assert [m["to"] for m in gbul if m["unit"] == "ASSOC"] == ["chenjing@gdia.example.org"]
    assert {m["subject"] for m in jbul} == {f"【通报】{jb['title']}"} and "吉林" in jb["title"]
    assert {m["subject"] for m in gbul} == {f"【通报】{gb['title']}"} and "广东" in gb["title"]


def test_the_2020_fake_campaign_follows_its_own_rules(tmp_path):
    """insday fake / insday demo --campaign guangdong-2020: its dates, its deadlines, its places."""
    from collections import Counter

    from insday.fake.generate import Generator

    gd = get_campaign(CAMPAIGNS_DIR / "guangdong-2020")
    arrivals = Generator(gd, tmp_path, seed=7, participants=200, until=date(2020, 6, 28)).run()
    assert arrivals and {gd.local(a.at).year for a in arrivals} == {2020}
    daily = [a for a in arrivals if a.report_type == "daily_report" and not a.note]
    # on time is by 12:00 the next day in Guangdong: some arrive between 10:00 (Jilin's due time) and 12:00
    assert any(time(10) < gd.local(a.at).time() < time(12) for a in daily)
    sheets = [gd.local(a.at) for a in arrivals if a.report_type == "scoring_sheet"]
    assert sheets and Counter(s <= at("2020-06-24 17:00") for s in sheets)[True] >= len(sheets) // 2
    import gzip

    from openpyxl import load_workbook

    raw = [tmp_path / a.path for a in arrivals if a.report_type == "donations"]
    lines = [line for p in raw for line in gzip.decompress(p.read_bytes()).decode("utf-8").splitlines()[1:]]
    assert lines and all(line.startswith("2020-06-") for line in lines)  # the 2020 step run
    places = [str(c) for a in arrivals if a.report_type == "events" and a.path.endswith(".xlsx")
              for row in load_workbook(tmp_path / a.path).active.iter_rows(values_only=True) for c in row if c]
    assert any(p.startswith(gd.places) for p in places) and not any(p.startswith(("长春", "吉林市")) for p in places)


def test_a_campaign_added_to_a_database_gets_its_roster_on_first_use(env):
    """A database that holds Jilin: the first command for Guangdong loads Guangdong's roster."""
    from sqlalchemy import func, select

    from insday.db.models import Unit

    guangdong = Env(env.settings, get_campaign(CAMPAIGNS_DIR / "guangdong-2020"))
    guangdong.ensure_db()
    with session_scope(env.engine) as s:
        counts = dict(s.execute(select(Unit.campaign, func.count()).group_by(Unit.campaign)).all())
        p01 = s.scalar(select(Unit.name).where(Unit.campaign == "guangdong-2020", Unit.code == "P01"))
    assert counts == {"jilin-2019": 64, "guangdong-2020": 64}  # 63 members and the association each
    assert p01.endswith("广东省分公司")
