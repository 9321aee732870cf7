"""End to end with a real Prefect server: `prefect server start` on a free loopback port,
`insday serve` in the background, a run started with `prefect deployment run`, the UI in
headless Chromium, and `prefect deploy` of prefect.yaml (every campaign) onto a process work pool,
where two workers, one per campaign's work queue, run the two campaigns' runs at once.

One server for the module; the tests run in file order (prefect deploy last: it takes the
served deployments over).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import httpx
import pytest
from conftest import SMTPServer, free_port
from filemaker import daily_row, write_xlsx

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parent.parent
INSDAY = str(Path(sys.executable).parent / "insday")  # the installed command (pip install -e .)
CHROMIUM = Path("/usr/bin/chromium")
TZ = ZoneInfo("Asia/Shanghai")
FLOWS = ["daily_run", "deadline_watch", "essay_awards", "final_bulletin"]
ADMIN = ["approve_bulletin", "change_roster", "excuse_unit", "extend_deadline", "resend_message", "void_submission"]
ALL = sorted(f"{f}/jilin-2019" for f in FLOWS + ADMIN)


@dataclass
class Served:
    api: str
    ui: str
    env: dict
    home: Path
    logs: Path
    smtp: SMTPServer
    serve: subprocess.Popen

    def post(self, path: str, body: dict | None = None):
        response = httpx.post(f"{self.api}{path}", json=body or {}, timeout=30)
        response.raise_for_status()
        return response.json()

    def get(self, path: str):
        response = httpx.get(f"{self.api}{path}", timeout=30)
        response.raise_for_status()
        return response.json()

    def deployments(self) -> dict[str, dict]:
        deployments = self.post("/deployments/filter")  # first: their flows exist by then
        flows = {f["id"]: f["name"] for f in self.post("/flows/filter")}
        return {f"{flows[d['flow_id']]}/{d['name']}": d for d in deployments}

    def prefect(self, *args: str) -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, "-m", "prefect", *args], env=self.env, cwd=ROOT,
                              capture_output=True, text=True, timeout=180)


def _stop(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGTERM)  # its own session: the process and its children
        try:
            proc.wait(30)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(10)


def _wait(check, timeout: float, what: str, logs: Path):
    give_up = time.monotonic() + timeout
    while time.monotonic() < give_up:
        try:
            if result := check():
                return result
        except httpx.HTTPError:
            pass
        time.sleep(0.5)
    pytest.fail(f"{what} within {timeout:.0f} s; logs:\n" + logs.read_text(errors="replace")[-3000:])


@pytest.fixture(scope="module")
def served(tmp_path_factory, artifacts_dir):
    tmp = tmp_path_factory.mktemp("prefect-e2e")
    port = free_port()
    api = f"http://127.0.0.1:{port}/api"
    smtp = SMTPServer()
    smtp.start()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PREFECT_", "INSDAY_"))}
    env.update(PREFECT_HOME=str(tmp / "prefect"), PREFECT_API_URL=api, PREFECT_UI_API_URL=api,
               PREFECT_UI_URL=api.removesuffix("/api"), PREFECT_SERVER_ANALYTICS_ENABLED="false",
               INSDAY_CAMPAIGN="jilin-2019", INSDAY_HOME=str(tmp / "home"),
               INSDAY_DATABASE_URL=f"sqlite:///{tmp / 'home' / 'insday.db'}", INSDAY_INBOX_STABLE_SECONDS="0.2",
               INSDAY_APPROVAL_POLL_SECONDS="1", **smtp.settings_env())
    server_log, serve_log = tmp / "server.log", tmp / "serve.log"
    with server_log.open("wb") as out:
        server = subprocess.Popen([sys.executable, "-m", "prefect", "server", "start", "--host", "127.0.0.1",
                                   "--port", str(port)], env=env, stdout=out, stderr=subprocess.STDOUT,
                                  start_new_session=True)
    processes = [server]
    try:
        _wait(lambda: httpx.get(f"{api}/health", timeout=5).status_code == 200, 180, "the server was not healthy",
              server_log)
        # served as a user would after cloning into ~/insday: the command on PATH, started from the
        # clone's parent folder, where a folder named insday/ (holding sql/, flows/ ...) must not
        # shadow the installed package in any flow run
        parent = tmp / "home-of-the-clone"
        for folder in ("insday/sql", "insday/flows", "insday/insday"):
            (parent / folder).mkdir(parents=True)
        with serve_log.open("wb") as out:
            processes.append(subprocess.Popen([INSDAY, "serve"], env=env, cwd=parent, stdout=out,
                                              stderr=subprocess.STDOUT, start_new_session=True))
        s = Served(api, api.removesuffix("/api"), env, tmp / "home", serve_log, smtp, processes[-1])
        _wait(lambda: len(s.deployments()) == len(ALL), 120, f"insday serve did not register {len(ALL)} deployments",
              serve_log)
        yield s
    finally:
        for proc in reversed(processes):
            _stop(proc)
        smtp.stop()
        for log in (server_log, serve_log):
            (artifacts_dir / f"prefect-e2e-{log.name}").write_bytes(log.read_bytes())


def test_serve_registers_every_flow_with_its_campaign_schedule(served):
    deployments = served.deployments()
    assert sorted(deployments) == ALL
    assert all(deployments[f"{f}/jilin-2019"]["schedules"] == [] for f in ADMIN)  # on demand only
    daily = deployments["daily_run/jilin-2019"]
    assert [(s["schedule"]["rrule"], s["schedule"]["timezone"], s["active"]) for s in daily["schedules"]] == [
        ("DTSTART:20190626T103000\nRRULE:FREQ=DAILY;UNTIL=20190709T103000", "Asia/Shanghai", False)]
    # 2019 is over: paused, its schedules inactive (and ending in 2019); runs by hand still work
    assert daily["work_pool_name"] is None and daily["paused"] is True
    assert deployments["extend_deadline/jilin-2019"]["paused"] is False
    final = deployments["final_bulletin/jilin-2019"]
    assert [(s["schedule"]["rrule"], s["schedule"]["timezone"]) for s in final["schedules"]] == [
        ("DTSTART:20190712T170000\nRRULE:FREQ=DAILY;COUNT=1", "Asia/Shanghai")]
    essays = deployments["essay_awards/jilin-2019"]
    assert sorted((s["schedule"]["rrule"], s["parameters"]["stage"]) for s in essays["schedules"]) == [
        ("DTSTART:20190625T163000\nRRULE:FREQ=DAILY;COUNT=1", "shortlist"),
        ("DTSTART:20190708T170000\nRRULE:FREQ=DAILY;COUNT=1", "results")]
    form = daily["parameter_openapi_schema"]["properties"]
    assert "ISO 8601" in form["as_of"]["description"] and form["dry_run"]["type"] == "boolean"
    assert {"type": "string", "format": "date-time"} in form["as_of"]["anyOf"] and form["as_of"]["default"] is None
    assert form["as_of"]["pattern"].startswith("^")  # what the server asserts (it does not assert format)
    assert (form["as_of"]["title"], form["dry_run"]["title"]) == ("运行时刻", "试运行")
    assert "按此时刻运行（北京时间" in form["as_of"]["description"]
    stage = essays["parameter_openapi_schema"]["properties"]["stage"]
    assert stage["title"] == "阶段" and {"type": "string", "enum": ["shortlist", "results"]} in stage["anyOf"]


def _start(served: Served, *params: str, deployment: str = "daily_run/jilin-2019") -> str:
    started = served.prefect("deployment", "run", deployment, *(x for p in params for x in ("--param", p)))
    assert started.returncode == 0, started.stdout + started.stderr
    return next(line.split()[-1] for line in started.stdout.splitlines() if "UUID" in line)


def _state(served: Served, run_id: str, *types: str) -> dict | None:
    run = served.get(f"/flow_runs/{run_id}")
    return run if run["state_type"] in types else None


def _finished(served: Served, run_id: str) -> dict:
    return _wait(lambda: _state(served, run_id, "COMPLETED", "FAILED", "CRASHED", "CANCELLED"), 180,
                 "the flow run did not finish", served.logs)


def _paused(served: Served, run_id: str) -> dict:
    return _wait(lambda: _state(served, run_id, "PAUSED", "COMPLETED", "FAILED", "CRASHED"), 180,
                 "the flow run did not pause for the approval", served.logs)


def _kinds(served: Served) -> list[str]:
    return sorted(m["X-Insday-Kind"] for m in served.smtp.messages)


def _approvals(served: Served) -> list[tuple]:
    import sqlite3

    with sqlite3.connect(served.home / "insday.db") as db:
        return db.execute("SELECT edition, state, decided_by, note FROM approvals ORDER BY id").fetchall()


def test_a_run_started_by_hand_ingests_the_inbox_and_waits_for_the_bulletins_approval(served):
    inbox = served.home / "inbox" / "jilin-2019" / "人保"
    report = write_xlsx(inbox / "人保财险0626.xlsx", [daily_row(day="2019-06-26", unit="人保财险")])
    at = datetime(2019, 6, 26, 21, 0, tzinfo=TZ).timestamp()
    os.utime(report, (at, at))

    run_id = _start(served, "as_of=2019-06-27T10:30:00+08:00", "dry_run=false")
    run = _paused(served, run_id)
    assert run["state_type"] == "PAUSED", run["state"]
    assert run["name"] == "daily_run 2019-06-27"
    assert run["parameters"] == {"as_of": "2019-06-27T10:30:00+08:00", "dry_run": False}
    assert not report.exists()
    assert (served.home / "processed" / "jilin-2019" / "2019-06-26" / "人保" / "人保财险0626.xlsx").exists()
    import sqlite3

    with sqlite3.connect(served.home / "insday.db") as db:
        rows = db.execute("SELECT unit_code, period, status, source, timeliness FROM submissions").fetchall()
    assert rows == [("P01", "2019-06-26", "accepted", "inbox", "on_time")]
    # Before the decision: the receipt and the request to the association (with the run's link), no bulletin.
    _wait(lambda: "approval" in _kinds(served), 60, "the approval request was not sent", served.logs)
    assert "bulletin" not in _kinds(served) and not (served.home / "public" / "jilin-2019" / "2019-06-26").exists()
    [request] = [m for m in served.smtp.messages if m["X-Insday-Kind"] == "approval"]
    assert f"{served.ui}/runs/flow-run/{run_id}" in request.get_body(("plain",)).get_content()
    assert _approvals(served) == [("2019-06-26", "pending", None, None)]

    served.post(f"/flow_runs/{run_id}/resume", {"run_input": {"decision": "批准发布", "note": "", "approver": "刘璐"}})
    run = _finished(served, run_id)
    assert run["state_type"] == "COMPLETED", run["state"]
    assert _approvals(served) == [("2019-06-26", "approved", "prefect：刘璐", None)]
    assert _kinds(served).count("bulletin") == 64  # 63 member units and the association, once each
    assert (served.home / "public" / "jilin-2019" / "2019-06-26" / "index.html").exists()
    [report] = served.post("/artifacts/filter", {"artifacts": {"key": {"any_": ["jilin-2019-daily-run-report"]},
                                                               "flow_run_id": {"any_": [run_id]}}})
    assert "已批准（prefect：刘璐），已发布到" in report["data"]  # the run's report says what the decision did
    assert "| 人保财险0626.xlsx |" not in report["data"] and "| 人保/人保财险0626.xlsx | 人保财险 |" in report["data"]


def test_a_bulletin_sent_back_in_the_form_goes_nowhere_and_keeps_the_note(served):
    before = len(served.smtp.messages)
    run_id = _start(served, "as_of=2019-06-28T10:30:00+08:00", "dry_run=false")
    assert _paused(served, run_id)["state_type"] == "PAUSED"
    served.post(f"/flow_runs/{run_id}/resume", {"run_input": {"decision": "退回", "note": "人保财险步数待核实",
                                                              "approver": "刘璐"}})
    assert _finished(served, run_id)["state_type"] == "COMPLETED"
    assert _approvals(served)[-1] == ("2019-06-27", "rejected", "prefect：刘璐", "人保财险步数待核实")
    new = [m["X-Insday-Kind"] for m in served.smtp.messages[before:]]
    assert "bulletin" not in new and new.count("approval") == 1
    assert not (served.home / "public" / "jilin-2019" / "2019-06-27").exists()


def test_a_mistyped_or_out_of_campaign_as_of_is_refused_and_alerts_nobody(served):
    # not a date (June has 30 days): the server's parameter validation refuses to create the run
    bad = served.prefect("deployment", "run", "daily_run/jilin-2019", "--param", "as_of=2019-06-31T10:30",
                         "--param", "dry_run=true")
    assert bad.returncode != 0 and "Validation failed for field 'as_of'" in bad.stdout + bad.stderr
    runs = served.post("/flow_runs/filter")
    assert not any(r["parameters"].get("as_of") == "2019-06-31T10:30" for r in runs)

    # a real moment a year off: the run starts, refuses in Chinese before anything runs, IT is not alerted
    alerts = sum(m["X-Insday-Kind"] == "alert" for m in served.smtp.messages)
    run_id = _start(served, "as_of=2018-06-27T10:30:00+08:00", "dry_run=false")
    run = _finished(served, run_id)
    assert run["state_type"] == "FAILED" and "运行时刻 2018-06-27 10:30 不在" in run["state"]["message"]
    time.sleep(2)
    assert sum(m["X-Insday-Kind"] == "alert" for m in served.smtp.messages) == alerts
    [report] = served.post("/artifacts/filter", {"artifacts": {"key": {"any_": ["jilin-2019-daily-run-report"]},
                                                               "flow_run_id": {"any_": [run_id]}}})
    assert "**未执行**" in report["data"] and "没有通知技术联系人" in report["data"]


def test_an_admin_form_takes_the_campaigns_choices_and_refuses_what_is_not_on_them(served):
    import sqlite3

    form = served.deployments()["extend_deadline/jilin-2019"]["parameter_openapi_schema"]["properties"]
    assert (form["unit"]["title"], form["deadline"]["title"], form["until"]["title"]) == ("单位", "截止事项", "延期至")
    assert "P01 人保财险" in form["unit"]["enum"] and len(form["unit"]["enum"]) == 63
    assert "daily_report:2019-06-28 每日参与情况（6月28日）" in form["deadline"]["enum"]
    assert form["until"]["format"] == "date-time" and "延期后的截止时间" in form["until"]["description"]

    bad = served.prefect("deployment", "run", "extend_deadline/jilin-2019", "--param", "unit=火星保险",
                         "--param", "deadline=summary 活动总结", "--param", "until=2019-07-13T12:00:00+08:00",
                         "--param", "reason=x")  # not one of the choices: the server refuses to start it
    assert bad.returncode != 0 and "unit" in bad.stdout + bad.stderr

    alerts = sum(m["X-Insday-Kind"] == "alert" for m in served.smtp.messages)
    refused = _start(served, "unit=P01 人保财险", "deadline=daily_report:2019-06-28 每日参与情况（6月28日）",
                     "until=2019-06-29T09:00:00+08:00", "reason=系统故障", deployment="extend_deadline/jilin-2019")
    run = _finished(served, refused)  # before the deadline's own due time: refused in Chinese, IT not alerted
    assert run["state_type"] == "FAILED" and "须晚于原截止时间" in run["state"]["message"]
    time.sleep(2)
    assert sum(m["X-Insday-Kind"] == "alert" for m in served.smtp.messages) == alerts

    run_id = _start(served, "unit=P01 人保财险", "deadline=daily_report:2019-06-28 每日参与情况（6月28日）",
                    "until=2019-06-30T12:00:00+08:00", "reason=系统故障", "operator=刘璐",
                    deployment="extend_deadline/jilin-2019")
    assert _finished(served, run_id)["state_type"] == "COMPLETED"
    with sqlite3.connect(served.home / "insday.db") as db:
        assert db.execute("SELECT unit_code, deadline_id, kind, reason, actor FROM deadline_overrides").fetchall() == [
            ("P01", "daily_report:2019-06-28", "extend", "系统故障", "prefect：刘璐")]
        assert db.execute("SELECT action, actor, unit_code FROM audit_log WHERE action = 'extend'").fetchall() == [
            ("extend", "prefect：刘璐", "P01")]
    [artifact] = served.post("/artifacts/filter", {"artifacts": {"key": {"any_": ["jilin-2019-extend"]}}})
    assert "人保财险「每日参与情况（6月28日）」延期至 2019-06-30 12:00（系统故障）" in artifact["data"]


def test_the_roster_form_adds_and_retires_a_unit_with_typed_parameters(served):
    import sqlite3

    form = served.deployments()["change_roster/jilin-2019"]["parameter_openapi_schema"]
    fields = form["properties"]
    assert (fields["action"]["title"], fields["action"]["enum"]) == ("名单变更", ["新增", "退出"])
    assert (fields["effective"]["title"], fields["effective"]["format"]) == ("生效时间", "date-time")
    assert fields["unit"]["title"] == "单位" and "P02 平安财险" in fields["unit"]["anyOf"][0]["enum"]
    assert fields["unit_kind"]["anyOf"][0]["enum"] == ["财产险公司", "人身险公司", "地市协会"]
    assert "此后截止的事项才按新名单计算" in fields["effective"]["description"]
    assert set(form["required"]) == {"action", "effective", "reason"}

    alerts = sum(m["X-Insday-Kind"] == "alert" for m in served.smtp.messages)
    refused = _start(served, "action=退出", "unit=P02 平安财险", "effective=2019-09-01T00:00:00+08:00", "reason=撤销",
                     deployment="change_roster/jilin-2019")
    run = _finished(served, refused)  # after the campaign: refused in Chinese, IT not alerted
    assert run["state_type"] == "FAILED" and "不在活动期间" in run["state"]["message"]

    added = _start(served, "action=新增", "unit_code=P40", "name=吉林测试财产保险股份有限公司", "display_name=测试财险",
                   "unit_kind=财产险公司", "contact=王敏", "email=min.wang@test-p.example.com",
                   "effective=2019-06-28T00:00:00+08:00", "reason=新会员", "operator=刘璐",
                   deployment="change_roster/jilin-2019")
    assert _finished(served, added)["state_type"] == "COMPLETED"
    retired = _start(served, "action=退出", "unit=P02 平安财险", "effective=2019-06-28T00:00:00+08:00",
                     "reason=撤销分支机构", "operator=刘璐", deployment="change_roster/jilin-2019")
    assert _finished(served, retired)["state_type"] == "COMPLETED"
    time.sleep(2)
    assert sum(m["X-Insday-Kind"] == "alert" for m in served.smtp.messages) == alerts
    with sqlite3.connect(served.home / "insday.db") as db:
        assert db.execute("SELECT kind, unit_code, effective_at, reason, actor FROM roster_changes ORDER BY id"
                          ).fetchall() == [("add", "P40", "2019-06-27 16:00:00.000000", "新会员", "prefect：刘璐"),
                                           ("retire", "P02", "2019-06-27 16:00:00.000000", "撤销分支机构", "prefect：刘璐")]
        assert db.execute("SELECT action, actor, unit_code FROM audit_log WHERE action LIKE 'unit_%' ORDER BY id"
                          ).fetchall() == [("unit_add", "prefect：刘璐", "P40"), ("unit_retire", "prefect：刘璐", "P02")]
    artifacts = served.post("/artifacts/filter", {"artifacts": {"key": {"any_": ["jilin-2019-change-roster"]}}})
    assert any("测试财险（P40）自 2019-06-28 00:00 起新增（新会员）" in a["data"] for a in artifacts)
    assert any("平安财险（P02）自 2019-06-28 00:00 起退出（撤销分支机构）" in a["data"] for a in artifacts)


@pytest.mark.skipif(not CHROMIUM.exists(), reason="/usr/bin/chromium is not installed")
def test_the_ui_lists_the_deployments(served, artifacts_dir):
    shot = artifacts_dir / "prefect-ui-deployments.png"
    with tempfile.TemporaryDirectory() as profile:
        common = [str(CHROMIUM), "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                  "--disable-component-update", "--no-first-run", "--disable-sync", f"--user-data-dir={profile}",
                  "--window-size=1400,900", "--virtual-time-budget=15000"]
        dom = subprocess.run([*common, "--dump-dom", f"{served.ui}/deployments"], capture_output=True, text=True,
                             timeout=120)
        subprocess.run([*common, f"--screenshot={shot}", f"{served.ui}/deployments"], capture_output=True,
                       timeout=120)
    for flow in FLOWS:
        assert flow in dom.stdout, f"{flow} not on the deployments page"
    assert "jilin-2019" in dom.stdout
    assert shot.stat().st_size > 10_000


def test_prefect_yaml_deploys_every_campaign_onto_a_process_work_pool_that_two_workers_serve(served, tmp_path, artifacts_dir):
    # as when moving from `insday serve` to workers: serve stops first, or its runner, polling the
    # same deployments, would take their runs before the workers do
    _stop(served.serve)
    pool = served.prefect("work-pool", "create", "insday", "--type", "process")
    assert pool.returncode == 0, pool.stdout + pool.stderr
    deployed = served.prefect("--no-prompt", "deploy", "--all", "--prefect-file", str(ROOT / "prefect.yaml"))
    assert deployed.returncode == 0, deployed.stdout + deployed.stderr
    deployments = served.deployments()
    # the shipped prefect.yaml holds both campaigns, each on its own work queue
    assert sorted(deployments) == sorted([*ALL, *(name.replace("jilin-2019", "guangdong-2020") for name in ALL)])
    assert {d["work_pool_name"] for d in deployments.values()} == {"insday"}
    assert {d["work_queue_name"] for d in deployments.values()} == {"jilin-2019", "guangdong-2020"}
    watch = deployments["deadline_watch/jilin-2019"]
    assert watch["entrypoint"] == "insday.flows.deadline_watch.deadline_watch" and watch["pull_steps"] == []
    assert sorted((s["schedule"]["rrule"], s["active"]) for s in watch["schedules"]) == [
        ("DTSTART:20190622T080000\nRRULE:FREQ=HOURLY;BYHOUR=8,9,10,11,12,13,14,15,16,17,18;UNTIL=20190712T180000",
         False),
        ("DTSTART:20191105T080000\nRRULE:FREQ=HOURLY;BYHOUR=8,9,10,11,12,13,14,15,16,17,18;UNTIL=20191108T180000",
         False)]

    # Two workers, started in another folder as on other machines, one per campaign's work queue,
    # run the two campaigns' runs at once from the installed package. Neither worker is told a
    # campaign (two are installed): each run knows its own from its deployment's job variables.
    env = {k: v for k, v in served.env.items() if k != "INSDAY_CAMPAIGN"}
    campaigns = {"jilin-2019": "2019-06-25T14:00", "guangdong-2020": "2020-06-24T14:00"}
    workers, logs = {}, {}
    for name in campaigns:
        logs[name] = tmp_path / f"worker-{name}.log"
        with logs[name].open("wb") as out:
            workers[name] = subprocess.Popen(
                [sys.executable, "-m", "prefect", "worker", "start", "--pool", "insday", "--work-queue", name],
                env=env, cwd=tmp_path, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        ids = {}
        for name, as_of in campaigns.items():
            started = served.prefect("deployment", "run", f"deadline_watch/{name}", "--param", f"as_of={as_of}",
                                     "--param", "dry_run=true")
            assert started.returncode == 0, started.stdout + started.stderr
            ids[name] = next(line.split()[-1] for line in started.stdout.splitlines() if "UUID" in line)

        def finished(run_id):
            run = served.get(f"/flow_runs/{run_id}")
            return run if run["state_type"] in ("COMPLETED", "FAILED", "CRASHED", "CANCELLED") else None

        runs = {name: _wait(lambda: finished(ids[name]), 240, f"the {name} worker did not finish the run", logs[name])
                for name in campaigns}
    finally:
        for name, worker in workers.items():
            _stop(worker)
            (artifacts_dir / f"prefect-e2e-worker-{name}.log").write_bytes(logs[name].read_bytes())
    assert {name: r["state_type"] for name, r in runs.items()} == dict.fromkeys(campaigns, "COMPLETED"), \
        {name: r["state"] for name, r in runs.items()}
    assert runs["jilin-2019"]["name"] == "deadline_watch 2019-06-25 (dry run)"
    assert runs["guangdong-2020"]["name"] == "deadline_watch 2020-06-24 (dry run)"
    for name, run in runs.items():  # each on its campaign's queue, taken by that queue's worker
        assert run["work_queue_name"] == name
        other = next(n for n in campaigns if n != name)
        assert ids[name][:8] in logs[name].read_text(errors="replace")
        assert ids[name][:8] not in logs[other].read_text(errors="replace")
