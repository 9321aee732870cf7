"""What the flows share: the run's moment and name, the stage runner, the failure alert."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Annotated, Any, Literal, TypedDict

from prefect import get_run_logger, pause_flow_run
from prefect.artifacts import create_markdown_artifact
from prefect.exceptions import FlowPauseTimeout
from prefect.input import RunInput
from prefect.logging.loggers import flow_run_logger
from prefect.runtime import flow_run
from prefect.settings import PREFECT_UI_URL
from pydantic import Field

from insday.actions import ActionError
from insday.bulletin import edition
from insday.bulletin.publish import OUTPUT, BulletinReport, approval_state, decide_bulletin
from insday.collect.imap import ImapOff, ImapReport
from insday.collect.inbox import InboxReport
from insday.db import session_scope
from insday.deadlines.reminders import RemindReport
from insday.deadlines.status import StatusReport
from insday.env import load_env
from insday.flows import heartbeats
from insday.mail import deliver, enqueue
from insday.mail.delivery import DeliveryReport
from insday.orchestration import check_as_of, failure_alert, parse_as_of, run_name
from insday.publishing.approval import AT_TIMEOUT, ApprovalError
from insday.runreport import FLOWS, STAGES, artifact_key, run_report
from insday.steps.pull import PullReport, PullSkipped
from insday.steps.summary import StepSummary
from insday.tasks.collect import collect_imap, collect_inbox
from insday.tasks.essays import EssayStage
from insday.tasks.steps import StepsDeferred

heartbeats.install()  # every flow's module imports this one: no run waits for its heartbeat thread to stop


# The type of every scheduled flow's ``as_of``: a date-time (JSON schema ``format: date-time``;
# naive = campaign time) or None (now). The Prefect server does not assert ``format`` when it
# validates a run's parameters, but always asserts ``pattern``: this one takes ISO 8601 / RFC 3339
# date-times of real calendar days (a date alone, or with minutes, optional seconds, fraction and
# offset), so ``2019-06-31T10:30`` is refused by the server before any run is created.
AS_OF_PATTERN = (r"^\d{4}-(?:(?:0[13578]|1[02])-(?:0[1-9]|[12]\d|3[01])|(?:0[469]|11)-(?:0[1-9]|[12]\d|30)"
                 r"|02-(?:0[1-9]|1\d|2\d))(?:[Tt ](?:[01]\d|2[0-3]):[0-5]\d(?::[0-5]\d(?:\.\d+)?)?"
                 r"(?:[Zz]|[+-](?:[01]\d|2[0-3]):?[0-5]\d)?)?$")
AsOf = Annotated[datetime | None, Field(json_schema_extra={"pattern": AS_OF_PATTERN})]


# A run may wait for a bulletin's approval (campaign.yaml publishing: timeout, up to a day or
# two): the flow's own time limit leaves room for that; every task keeps its own limit.
APPROVAL_WAIT = 3 * 24 * 3600


class StageResults(TypedDict, total=False):
    """What a scheduled flow returns: each stage's result by task name; a stage that did not run
    (failed, skipped, or not one of the flow's) is absent."""

    collect_inbox: InboxReport
    collect_imap: ImapReport | ImapOff
    pull_steps: PullReport | PullSkipped | StepsDeferred
    step_summary: StepSummary
    deadline_status: StatusReport
    send_reminders: RemindReport
    publish_bulletin: BulletinReport  # with what the approval decided (published, sent back)
    publish_essays: EssayStage
    deliver_mail: DeliveryReport  # delivered before and after an approval: the sums


class StagesFailed(RuntimeError):
    """One or more stages of a flow run failed; the message names them."""


def when(as_of: datetime | str | None) -> tuple[datetime, datetime | None]:
    """(the run's moment, the collection cut-off): an explicit ``as_of`` (naive: campaign time)
    also limits which files are collected (those received by then); without one, everything
    complete is. An explicit ``as_of`` outside the campaign's window is refused (ActionError,
    Chinese) before anything runs."""
    campaign = load_env().campaign
    given = as_of is not None and (not isinstance(as_of, str) or bool(as_of.strip()))
    moment = parse_as_of(as_of, campaign)
    if given:
        check_as_of(moment, campaign)
    return moment, (moment if given else None)


def named(flow: str, detail: str | None = None) -> Callable[[], str]:
    """A flow_run_name callable: ``daily_run 2019-06-30`` from the run's parameters."""

    def name() -> str:
        params = flow_run.parameters or {}
        return run_name(flow, params.get("as_of"), load_env().campaign, dry_run=bool(params.get("dry_run")),
                        detail=params.get(detail) if detail else None)

    return name


class Stages:
    """Runs a flow's tasks in order. A failed stage skips the stages that need it, the others
    still run (mail already queued is still delivered), and the flow fails at the end naming
    every failed stage. Each run leaves its report (a Markdown artifact, Chinese), also when
    its ``as_of`` is refused before anything runs."""

    def __init__(self, flow: str, as_of: datetime | str | None, dry_run: bool) -> None:
        self.flow, self.dry_run = flow, dry_run
        self.results: StageResults = {}
        self.failed: list[str] = []
        self.errors: dict[str, str] = {}
        self.skipped: list[str] = []
        try:
            self.moment, self.cutoff = when(as_of)
        except ActionError as exc:
            self.moment = parse_as_of(as_of, load_env().campaign)
            self._artifact(refused=str(exc))
            raise

    def run(self, task, *args, needs: tuple[str, ...] = (), **kwargs) -> Any:
        blocked = [n for n in needs if n in self.failed or n in self.skipped]
        if blocked:
            get_run_logger().warning("%s：未运行，因为%s未完成", STAGES.get(task.name, task.name),
                                     "、".join(STAGES.get(n, n) for n in blocked))
            self.skipped.append(task.name)
            return None
        state = task(*args, return_state=True, **kwargs)
        if not state.is_completed():
            get_run_logger().error("%s：未完成（%s）", STAGES.get(task.name, task.name), state.message)
            self.failed.append(task.name)
            self.errors[task.name] = state.message or ""
            return None
        result = state.result()
        before = self.results.get(task.name)
        if task.name == "deliver_mail" and before:  # delivered before and after an approval: both count
            result = {**result, **{k: before[k] + result[k] for k in ("sent", "failed", "requeued", "recovered")}}
        self.results[task.name] = result
        return result

    def collect(self) -> tuple[str, ...]:
        """Every flow's first stages: the inbox folder, then the mailbox. Returns their names,
        for the stages that need what was collected."""
        for task in (collect_inbox, collect_imap):
            self.run(task, self.cutoff, self.dry_run)
        return (collect_inbox.name, collect_imap.name)

    def decided(self, outcome: dict | None) -> None:
        """What the approval decided (published, sent back) goes into the bulletin's part of the report."""
        bulletin = self.results.get("publish_bulletin")
        if outcome and bulletin is not None:
            bulletin.update({k: outcome[k] for k in ("approval", "folder", "files", "mail", "published")
                             if outcome.get(k) is not None})

    def _artifact(self, refused: str | None = None) -> None:
        env = load_env()
        text = run_report(env.campaign, self.flow, self.moment, dry_run=self.dry_run, results=self.results,
                          failed=self.errors, skipped=self.skipped, outbox=str(env.settings.outbox_dir),
                          refused=refused)
        said = "未执行（运行时刻不在活动范围内）" if refused else "有步骤未完成" if self.failed else "全部完成"
        create_markdown_artifact(text, key=artifact_key(env.campaign, f"{self.flow.replace('_', '-')}-report"),
                                 description=f"{FLOWS.get(self.flow, self.flow)}"
                                             f"（{env.campaign.local(self.moment):%Y-%m-%d %H:%M}）运行报告：{said}")

    def outcome(self) -> StageResults:
        self._artifact()
        if self.failed:
            skipped = f"; skipped: {', '.join(self.skipped)}" if self.skipped else ""
            raise StagesFailed(f"failed: {', '.join(self.failed)}{skipped}")
        return self.results


class BulletinDecision(RunInput):
    """The form the Prefect UI shows on a run that waits for a bulletin's approval."""

    decision: Literal["批准发布", "退回"] = Field(
        title="审批结果", description="批准发布：发布到网站并发送给各会员单位联系人；退回：不发布、不发送")
    note: str = Field("", title="意见", description="退回时请写明需要修改的地方；批准时可留空")
    approver: str = Field("", title="审批人", description="您的姓名，记入操作日志")


def wait_for_approval(published: dict | None, final: bool = False) -> dict | None:
    """If the bulletin the publish stage built waits for approval, pause this run until the
    association's contact decides in the Prefect UI (or by CLI), then publish and mail it or
    keep it back; at the timeout do what campaign.yaml says (``on_timeout``). Returns the
    decision's outcome, or None when there was nothing to wait for."""
    if not published or not published.get("approval") or published["approval"]["state"] != "pending":
        return None
    logger = get_run_logger()
    env = load_env()
    campaign = env.campaign
    this = edition(campaign, campaign.end if final else datetime.fromisoformat(published["day"]).date(), final)
    rule = campaign.approval(OUTPUT[final])
    hours = rule.timeout_delta.total_seconds() / 3600
    logger.info("《%s》等待省协会联系人审批（最长 %g 小时）：点击右上角 Resume，选择“批准发布”或“退回”。", published["title"], hours)
    form = BulletinDecision.with_initial_data(description=_decision_text(published))
    try:
        answer = pause_flow_run(wait_for_input=form, timeout=int(rule.timeout_delta.total_seconds()),
                                poll_interval=max(1, int(env.settings.approval_poll_seconds)),
                                key=f"approval-{this.key}")
    except FlowPauseTimeout:
        if rule.on_timeout == "publish":
            logger.warning("《%s》逾时未审批，按 campaign.yaml（on_timeout: publish）自动发布", published["title"])
            return decide_bulletin(env, this, approve=True, actor=AT_TIMEOUT)
        logger.warning("《%s》逾时未审批：未发布、未发送；批准后再发布（在 Prefect 界面运行「审批通报」approve_bulletin，"
                       "或重新运行本期流程）", published["title"])
        return None
    approve = answer.decision == "批准发布"
    actor = f"prefect：{answer.approver.strip()}" if answer.approver.strip() else "prefect"
    note = answer.note.strip() or (None if approve else "（退回，未填写意见）")
    try:
        outcome = decide_bulletin(env, this, approve=approve, actor=actor, note=note)
    except ApprovalError as exc:  # decided meanwhile (e.g. by CLI): keep that decision
        logger.warning("《%s》未按本次表单处理：%s", published["title"], exc)
        return approval_state(env, this)
    if approve:
        logger.info("《%s》已批准（%s），已发布，邮件新加入队列 %d 封", published["title"], actor, outcome["mail"]["queued"])
    else:
        logger.info("《%s》已退回（%s）：%s；未发布、未发送", published["title"], actor, note)
    return outcome


def _decision_text(published: dict) -> str:
    """The Markdown shown above the approval form."""
    h = published["headline"]
    lines = [f"### 审批：{published['title']}", "", f"数据截至 {published['as_of'][:16].replace('T', ' ')}。"
             "数据校验：" + "、".join(f"{c['expectation']}（{'通过' if c['success'] else '未通过'}）"
                                   for c in published["checks"]), "",
             f"- 累计报送步数：{h['steps']:,}；累计参与人次：{h['participants']:,}",
             f"- 预览：`{published['files']['html']}`（预览邮件已发给省协会联系人，附网页和 Excel）",
             "", "批准后发布到网站并发送给各会员单位联系人；退回则不发布、不发送，意见记入操作日志。"]
    return "\n".join(lines)


def refused(state) -> bool:
    """Whether a run failed because what was asked cannot be done (a Chinese message says why):
    the person who asked needs to know, not IT."""
    try:
        return isinstance(state.result(raise_on_failure=False), ActionError)
    except Exception:
        return False


def report(action: str, line: str, detail: dict) -> None:
    """The one Chinese line an admin run logs, and its Markdown report in the Prefect UI."""
    get_run_logger().info(line)
    rows = "\n".join(f"| {k} | {v} |" for k, v in detail.items() if v not in (None, "", []))
    create_markdown_artifact(f"### {line}\n\n| 项目 | 内容 |\n| --- | --- |\n{rows}\n\n已记入操作日志。",
                             key=artifact_key(load_env().campaign, action.replace("_", "-")), description=line)


def alert_tech_contact(flow, flow_run, state) -> None:
    """on_failure / on_crashed hook: email the association's technical contact. Never raises;
    a run refused for what was asked (a Chinese message in the run) alerts nobody."""
    logger = flow_run_logger(flow_run, flow)
    if refused(state):
        logger.warning("未执行：%s", state.message)
        return
    try:
        env = load_env()
        to = env.settings.tech_contact_email or env.campaign.association.tech_contact
        if not to:
            logger.error("flow run failed and no technical contact is set (INSDAY_TECH_CONTACT_EMAIL)")
            return
        ui = PREFECT_UI_URL.value()
        url = f"{ui}/runs/flow-run/{flow_run.id}" if ui else None
        subject, html, text = failure_alert(env.campaign, flow_run.name, state.name, state.message, url)

        with session_scope(env.engine) as s:
            enqueue(s, campaign=env.campaign.name, key=f"alert:{flow_run.id}", kind="alert", to_name="技术联系人", to_addr=to,
                    subject=subject, html=html, text=text)
        deliver(env, label=flow_run.name)
        logger.info("failure alert sent to the technical contact %s", to)
    except Exception:
        logger.exception("could not email the failure alert to the technical contact")


HOOKS = dict(on_failure=[alert_tech_contact], on_crashed=[alert_tech_contact])
ADMIN_HOOKS = dict(timeout_seconds=600, retries=0, **HOOKS)  # admin actions: on demand, never retried
