"""The report commands: JSON shapes, files written, exit codes."""

from __future__ import annotations

import json

from contracts import check
from reportmaker import (BOARD_HEADER, EVENT_HEADER, INDICATOR_HEADER, PROJECT_HEADER, SURVEY_HEADER, board_rows,
                         event_row, indicator_row, make_zip, project_row, summary_members, survey_row, write)
from typer.testing import CliRunner

from insday.cli import app
from insday.reports.outreach import OutreachReport
from insday.reports.projects import ProjectsReport
from insday.reports.summary import SummaryStatus
from insday.reports.survey import SurveyReport
from insday.reports.videos import CertificateList, VideoBoard
from insday.reports.whitepaper import WhitepaperReport

runner = CliRunner()


def run(*args):
    return runner.invoke(app, list(args), catch_exceptions=False)


def ingest(*args):
    result = run("ingest", *args, "--json")
    assert result.exit_code == 0, result.stdout
    return json.loads(result.stdout)


def test_report_commands_json(env, tmp_path):
    files = tmp_path / "in"
    write(files / "ind.xlsx", INDICATOR_HEADER, [indicator_row()])
    write(files / "ev.xlsx", EVENT_HEADER, [event_row()])
    write(files / "board.xlsx", BOARD_HEADER, board_rows())
    write(files / "proj.xlsx", PROJECT_HEADER, [project_row()])
    write(files / "survey.xlsx", SURVEY_HEADER, [survey_row(n, when="2019-04-20 10:00") for n in range(1, 4)])
    assert ingest(str(files), "--received-at", "2019-07-02T10:00")["accepted"] == 5

    wp = json.loads(run("whitepaper", "--as-of", "2019-07-05T00:00", "--out", str(tmp_path / "wp"), "--json").stdout)
    check(wp, WhitepaperReport)
    assert wp["reported"] == 1 and wp["totals"]["employees"] == 2100 and (tmp_path / "wp" / "whitepaper.xlsx").exists()

    survey = json.loads(run("survey", "report", "--out", str(tmp_path / "s"), "--json").stdout)
    check(survey, SurveyReport)
    assert survey["responses"] == 3 and survey["companies"][0]["flagged"] is True
    page = (tmp_path / "s" / "survey.html").read_text(encoding="utf-8")
    assert survey["companies"][0]["name"] in page

    outreach = json.loads(run("outreach", "--json").stdout)
    check(outreach, OutreachReport)
    assert outreach["totals"]["events"] == 1

    board = json.loads(run("videos", "board", "--day", "2019-06-22", "--json").stdout)
    check(board, VideoBoard)
    assert board["champion"]["title"] == "作品1"
    certs = json.loads(run("videos", "certificates", "--out", str(tmp_path / "v"), "--json").stdout)
    check(certs, CertificateList)
    assert len(certs["certificates"]) == 10 and certs["file"].endswith("短视频达人证书名单.xlsx")

    projects = json.loads(run("projects", "--as-of", "2019-11-09T00:00", "--json").stdout)
    check(projects, ProjectsReport)
    [p] = projects["projects"]
    assert (p["project_id"], p["unit"], projects["overdue"]) == ("JL-2019-01", "P01", 1)
    assert p["deadlines"] == [{"id": "project_donation", "title": "保险扶贫项目捐赠并公布",
                               "due": "2019-11-08T18:00:00+08:00", "done_on": None, "state": "overdue"}]

    for command in (["outreach"], ["videos", "board"], ["projects"], ["summary", "status"]):
        assert run(*command).exit_code == 0, command


def test_bundle_folder_and_summary_commands(env, tmp_path):
    folder = tmp_path / "材料"
    for name, data in summary_members(top="").items():
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        (folder / name).write_bytes(data.encode() if isinstance(data, str) else data)
    refused = run("ingest", "--bundle", str(folder), "--received-at", "2019-07-12T10:00", "--json")
    assert refused.exit_code == 1 and "没有可识别的单位名称" in refused.stdout
    named = folder.rename(tmp_path / "人保财险")
    payload = ingest("--bundle", str(named), "--received-at", "2019-07-12T10:00")
    assert (payload["files"][0]["report_type"], payload["files"][0]["unit"]) == ("summary", "P01")
    make_zip(tmp_path / "z" / "国寿财险活动总结.zip", summary_members())
    ingest(str(tmp_path / "z"), "--received-at", "2019-07-12T17:00")

    status = json.loads(run("summary", "status", "--json").stdout)
    check(status, SummaryStatus)
    assert (status["submitted"], status["missing"]) == (2, 61)
    late = next(u for u in status["units"] if u["unit"] == "P04")
    assert late["timeliness"] == "late"
    extracted = run("summary", "extract", "人保财险", "--out", str(tmp_path / "x"))
    assert extracted.exit_code == 0
    assert (tmp_path / "x" / "P01-人保财险" / "人保财险" / "活动方案.docx").read_bytes() == b"PK plan"  # the member as sent
    assert run("summary", "extract", "平安财险", "--out", str(tmp_path / "x")).exit_code == 1


def test_usage_errors_exit_2(env, tmp_path):
    assert run("videos", "board", "--day", "6月22日").exit_code == 2
    assert run("summary", "extract", "平安").exit_code == 2  # ambiguous: 平安财险, 平安人寿, 平安养老
    assert run("ingest").exit_code == 2
    assert run("whitepaper", "--as-of", "yesterday").exit_code == 2
