"""The command line contract: exit codes and JSON shapes (help texts: test_cli_help.py)."""

import json
from datetime import datetime

import pytest
from filemaker import daily_row, write_xlsx
from typer.testing import CliRunner

from insday.cli import app

runner = CliRunner()


def run(*args):
    return runner.invoke(app, list(args), catch_exceptions=False)


def test_init_twice_is_safe(env):
    first, second = run("init"), run("init")
    assert first.exit_code == second.exit_code == 0
    assert "already current" in second.output
    assert "63 member units" in second.output


def test_units_json(env):
    result = run("units", "--json")
    units = json.loads(result.stdout)
    assert len(units) == len(env.campaign.units)
    assert units[0] == {"code": "C01", "name": "长春市保险行业协会", "display_name": "长春市协会",
                        "short_names": ["长春市协会", "长春协会", "长春市保协"], "kind": "city", "contact": "何立新",
                        "email": "lixin.he@changchun.example.org", "phone": "0431-88045977"}


def test_ingest_json_contract_and_exit_codes(env, tmp_path):
    good = write_xlsx(tmp_path / "in" / "good.xlsx", [daily_row()])
    result = run("ingest", str(good), "--received-at", "2019-06-27T09:00", "--json")
    assert result.exit_code == 0
    payload = json.loads(result.stdout)
    assert set(payload) == {"files", "accepted", "rejected", "duplicate"}
    [f] = payload["files"]
    assert set(f) == {"path", "sha256", "report_type", "unit", "period", "status", "timeliness", "version",
                      "errors", "warnings", "submission"}
    assert (f["unit"], f["period"], f["status"], f["timeliness"], f["version"]) == (
        "P01", "2019-06-26", "accepted", "on_time", 1)
    from insday.db import session_scope
    from insday.db.models import Submission

    with session_scope(env.engine) as s:  # the id `insday void` and `insday resend receipt` take
        assert s.get(Submission, f["submission"]).sha256 == f["sha256"]

    bad = write_xlsx(tmp_path / "in" / "bad.xlsx", [daily_row(unit="P02", steps="x")])
    result = run("ingest", str(tmp_path / "in"), "--received-at", "2019-06-27T11:00+08:00", "--json")
    assert result.exit_code == 1
    payload = json.loads(result.stdout)
    assert (payload["accepted"], payload["rejected"], payload["duplicate"]) == (0, 1, 1)
    rejected = next(f for f in payload["files"] if f["status"] == "rejected")
    assert rejected["errors"][0] == {"row": 2, "column": "步数", "message": rejected["errors"][0]["message"],
                                     "value": "x", "problem": "不是数字",
                                     "fix": "请只填写阿拉伯数字，不要带单位或文字，如 12000"}
    assert bad.name in rejected["errors"][0]["message"]


def test_ingest_table_output(env, tmp_path):
    path = write_xlsx(tmp_path / "bad.xlsx", [daily_row(steps="x")])
    result = run("ingest", str(path))
    assert result.exit_code == 1
    assert "退回" in result.output and "不是数字" in result.output


@pytest.mark.parametrize(("args", "said"), [
    (("ingest", "/no/such/file.xlsx"), "找不到「/no/such/file.xlsx」，请检查路径"),
    (("ingest", "--received-at", "yesterday", "."), "yesterday"),
    (("no-such-command",), "没有「no-such-command」这个命令")])
def test_usage_errors_exit_2_with_one_chinese_line_naming_the_mistake(env, args, said):
    result = run(*args)
    assert result.exit_code == 2
    assert result.output.startswith("错误：") and said in result.output


def test_docs_gx_builds_great_expectations_data_docs_beside_the_reports(env, tmp_path):
    write_xlsx(tmp_path / "in" / "a.xlsx", [daily_row()])
    write_xlsx(tmp_path / "in" / "b.xlsx", [daily_row(unit="P02", steps=-1)])
    run("ingest", str(tmp_path / "in"), "--received-at", datetime(2019, 6, 27, 9).isoformat())
    result = run("docs", "--gx")
    assert result.exit_code == 0
    docs = env.settings.path("docs", env.campaign.name)
    assert (docs / "index.html").exists() and len(list((docs / "files").glob("*.html"))) == 2
    assert (docs / "gx" / "index.html").exists()
    pages = list((docs / "gx" / "validations" / "daily_report").rglob("*.html"))
    assert len(pages) == 1
    html = pages[0].read_text(encoding="utf-8")
    assert "b.xlsx" in html and "steps" in html
