"""`insday demo` replays the first days of the campaign through the real flows, and a second
run into the same home changes nothing."""

from __future__ import annotations

import json
import os
import re

import pytest
from sqlalchemy import create_engine, func, select
from typer.testing import CliRunner

from insday.campaign import get_campaign, parse_duration
from insday.cli import app
from insday.db.models import OutboxMessage, Submission

pytestmark = [pytest.mark.usefixtures("prefect_harness"), pytest.mark.slow]


@pytest.fixture
def clean_environ():
    saved = dict(os.environ)
    yield
    os.environ.clear()
    os.environ.update(saved)
    from insday.settings import get_settings

    get_settings.cache_clear()


def _state(home):
    engine = create_engine(f"sqlite:///{home / 'insday.db'}")
    with engine.connect() as conn:
        subs = set(conn.execute(select(Submission.sha256, Submission.status, Submission.version)).all())
        keys = set(conn.execute(select(OutboxMessage.key)).scalars())
    engine.dispose()
    return {"submissions": subs, "keys": keys}


def test_demo_first_days(tmp_path, clean_environ):
    home = tmp_path / "demo"
    result = CliRunner().invoke(app, ["demo", "--out", str(home), "--until", "2019-06-27", "--seed", "5"],
                                catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert "index.html" in result.output and str(home) in result.output
    # not a terminal (a log): one line per run, saying the day, the run and what it did
    runs = [line for line in result.output.splitlines() if re.match(r"\[\d+/\d+\] \d\d-\d\d \d\d:\d\d ", line)]
    total = int(re.search(r"(\d+) 次流程运行", result.output).group(1))
    assert len(runs) == total and runs[-1].startswith(f"[{total}/{total}] 06-27 ")
    assert any(" daily_run（" in line and "收件箱：收取文件" in line and "提醒和催报：" in line for line in runs)

    # every file that arrived was archived and answered; nothing is left in the inbox
    engine = create_engine(f"sqlite:///{home / 'insday.db'}")
    with engine.connect() as conn:
        subs = conn.execute(select(Submission.unit_code, Submission.report_type, Submission.status,
                                   Submission.received_at)).all()
        kinds = dict(conn.execute(select(OutboxMessage.kind, func.count()).group_by(OutboxMessage.kind)).all())
        keys = list(conn.execute(select(OutboxMessage.key)).scalars())
    engine.dispose()
    campaign = get_campaign()
    assert {s.report_type for s in subs} >= {"survey", "scoring_sheet", "daily_report", "videos"}
    assert any(s.status == "rejected" for s in subs), "the synthetic campaign has mistakes"
    assert not [p for p in (home / "inbox").rglob("*") if p.is_file()]
    assert kinds["receipt"] == len(subs)
    assert kinds["reminder"] > 0 and kinds["overdue"] > 0 and kinds["digest"] > 0

    # reminders for the scoring sheet went only to companies without an accepted sheet when it was
    # due to go (due - offset; those moments fall on the hour, when the watch runs)
    due = campaign.deadline_spec("scoring_sheet").due
    sheets = {s.unit_code: s.received_at for s in subs if s.report_type == "scoring_sheet" and s.status == "accepted"}
    scoring = [k.split(":") for k in keys if k.startswith("reminder:scoring_sheet:")]
    assert {offset for *_, offset in scoring} == {"3d", "1d", "2h"}
    for _, _, unit, offset in scoring:
        assert unit not in sheets or sheets[unit] > due - parse_duration(offset)
    reminded_3d = {unit for _, _, unit, offset in scoring if offset == "3d"}
    assert reminded_3d == {u.code for u in campaign.members("companies")
                           if u.code not in sheets or sheets[u.code] > due - parse_duration("3d")}

    # the daily runs of 06-26 and 06-27 10:30 published the bulletins of 06-25 and 06-26 and emailed every
    # member and the association
    public = home / "public" / campaign.name  # each campaign's pages in its own folder
    bulletin = (public / "2019-06-25" / "index.html").read_text(encoding="utf-8")
    assert "6月25日" in bulletin and "2019-06-25" in (public / "index.html").read_text(encoding="utf-8")
    assert 'href="jilin-2019/index.html"' in (home / "public" / "index.html").read_text(encoding="utf-8")
    assert kinds["bulletin"] == 2 * (len(campaign.units) + 1)  # the bulletins of 06-25 and 06-26

    # each bulletin that went out passed every check of expectations/outputs/bulletin.json (run again
    # here on the published files) and has its approval recorded: automatic, as the demo says
    from insday.bulletin.checks import check_bulletin
    from insday.db.models import Approval, AuditEntry

    engine = create_engine(f"sqlite:///{home / 'insday.db'}")
    with engine.connect() as conn:
        approvals = conn.execute(select(Approval.output, Approval.edition, Approval.state, Approval.checks_passed,
                                        Approval.decided_by).order_by(Approval.edition)).all()
        audited = conn.execute(select(AuditEntry.action, AuditEntry.actor)).all()
    engine.dispose()
    bulletins = [a for a in approvals if a.output == "daily_bulletin"]
    assert [a.edition for a in bulletins] == ["2019-06-25", "2019-06-26"]
    assert all(a.state == "approved" and a.checks_passed and "INSDAY_AUTO_APPROVE" in a.decided_by for a in bulletins)
    assert len([a for a in audited if a.action == "approve"]) == len(approvals)
    names = {u.display_name for u in campaign.units}
    for day in ("2019-06-25", "2019-06-26"):
        folder = public / day
        doc = json.loads((folder / "bulletin.json").read_text(encoding="utf-8"))
        checks = check_bulletin(campaign, doc, (folder / "index.html").read_text(encoding="utf-8"),
                                folder / "bulletin.xlsx")
        assert all(c.success for c in checks), [c for c in checks if not c.success]
        share = doc["home_share"]
        assert share["consistent"] and 0 < share["members_share"] < 100  # the units' staff are among the donors
        assert {u["name"] for u in doc["units"]} == names  # one name per unit, the roster's

    # the essay shortlist was published at 06-25 16:30
    shortlist = (public / "essays" / "shortlist" / "essay-shortlist.html").read_text(encoding="utf-8")
    assert f"每类前 {campaign.essays.shortlist_per_category} 名产生" in shortlist
    # every file received has its validation report, listed on the index
    index = (home / "docs" / campaign.name / "index.html").read_text(encoding="utf-8")
    assert f"全部（{len(subs)}）" in index

    # a second run into the same home converges: the units "send" the same files again, so each
    # gets one 'duplicate' receipt; nothing is ingested twice, no reminder or notice goes twice
    before = _state(home)
    again = CliRunner().invoke(app, ["demo", "--out", str(home), "--until", "2019-06-27", "--seed", "5"],
                               catch_exceptions=False)
    assert again.exit_code == 0, again.output
    after = _state(home)
    assert after["submissions"] == before["submissions"]
    added = after["keys"] - before["keys"]
    assert added and all(k.startswith("receipt:") and k.endswith(":duplicate") for k in added)
