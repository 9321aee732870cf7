"""`insday bulletin`: the daily or final bulletin (通报), its checks, its approval, its email."""

from __future__ import annotations

import os
from datetime import date, datetime, timezone
from pathlib import Path
from typing import Annotated

import typer

from insday.cli.common import context, err, exit_after, out, parse_moment, print_json

app = typer.Typer(help="Build, check and publish a bulletin (通报); approve or send back one that waits.")

Day = Annotated[str, typer.Argument(metavar="DAY", help="The bulletin: the day it reports on (YYYY-MM-DD), or final.")]
Note = Annotated[str | None, typer.Option("--note", metavar="WHY", help="Why (kept with the decision).")]
AsJson = Annotated[bool, typer.Option("--json", help="Print one JSON object instead of a summary.")]


@app.callback(invoke_without_command=True)
def bulletin(
    command: typer.Context,
    day: Annotated[str | None, typer.Option(
        "--date", metavar="DAY", help="The day the daily bulletin reports on (YYYY-MM-DD) (default: the latest "
                                      "day whose bulletin cut-off has passed).")] = None,
    final: Annotated[bool, typer.Option("--final", help="The final bulletin (the whole campaign, after the "
                                                        "summaries are due), dated the campaign's last day.")] = False,
    as_of: Annotated[str | None, typer.Option(
        "--as-of", metavar="T", help="What-if: use what was received by this moment instead of the bulletin's "
                                     "cut-off (ISO 8601; local campaign time if no offset). Written to "
                                     "INSDAY_HOME/what-if/<campaign>/ unless --out is given; never published or sent.")] = None,
    out_dir: Annotated[Path | None, typer.Option(
        "--out", metavar="DIR", help="Write the files into DIR/<date>/ instead (never published or sent).")] = None,
    send: Annotated[bool, typer.Option("--send", help="Once approved, email it to every member unit's contact and "
                                                      "the association's contact (each at most once, ever).")] = False,
    as_json: AsJson = False,
) -> None:
    """Build a bulletin (通报), check its figures and publish it once approved.

    Only what was received by the bulletin's cut-off counts (campaign.yaml, bulletin:): built again later, it is
    the same. Its figures are checked (expectations/outputs/bulletin.json): a bulletin that fails is never
    published. One that passes waits for approval (campaign.yaml, publishing:) and the association's contact
    gets the preview; approved, it goes to INSDAY_HOME/public/ and, with --send, to the member units.

    Exit 1 if an email could not be sent, 3 if the bulletin failed its checks.
    """
    if command.invoked_subcommand:
        return
    # lazy: matplotlib about 0.4 s, openpyxl about 0.2 s; `insday --help` and `status` must not pay it
    from insday.bulletin import BulletinError, edition, latest_day, publish_bulletin, run_days
    # lazy: SQLAlchemy costs about 0.15 s; `insday --help` must not pay it
    from insday.mail.delivery import MailConfigError

    ctx = context()
    campaign = ctx.campaign
    moment = parse_moment(as_of, campaign) if as_of else None
    try:
        wanted = date.fromisoformat(day) if day else None
    except ValueError:
        raise typer.BadParameter(f"不是日期：{day!r}（例如 2019-06-30）", param_hint="--date") from None
    try:
        if wanted is None and not final:
            wanted = latest_day(campaign, moment or datetime.now(timezone.utc))
            if wanted is None:
                first = edition(campaign, run_days(campaign)[0]).cutoff
                raise BulletinError(f"还没有可发布的每日通报：第一期的数据截止时间是 {campaign.local(first):%Y-%m-%d %H:%M}")
        this = edition(campaign, wanted, final)
    except BulletinError as exc:
        raise typer.BadParameter(str(exc), param_hint="--date / --final") from None
    if send and ((moment is not None and moment != this.cutoff) or out_dir):
        raise typer.BadParameter("模拟通报（--as-of）或写到 --out 的通报不发送，请去掉 --send", param_hint="--send")
    ctx.ensure_db()
    try:
        result = publish_bulletin(ctx, this.day, final=final, as_of=moment, send=send, out=out_dir)
        result["delivery"] = None
        if send and result["published"]:
            # lazy: SQLAlchemy costs about 0.15 s; `insday --help` must not pay it
            from insday.mail import deliver

            result["delivery"] = deliver(ctx)
    except MailConfigError as exc:
        err.print(f"[red]邮件设置有误：[/red]{exc}", highlight=False)
        raise typer.Exit(2) from None
    result.pop("bulletin")
    if as_json:
        print_json(result)
    else:
        _summary(result)
    if not all(c["success"] for c in result["checks"]):
        raise typer.Exit(3)
    exit_after(result["delivery"])


@app.command()
def approve(day: Day, note: Note = None, as_json: AsJson = False) -> None:
    """Approve the bulletin DAY: publish it (INSDAY_HOME/public/) and queue its email (sent by the next send)."""
    _decide(day, approve=True, note=note, as_json=as_json)


@app.command()
def reject(day: Day, note: Annotated[str, typer.Option("--note", metavar="WHY", help="Why it is sent back "
                                                                                       "(required).")],
           as_json: AsJson = False) -> None:
    """Send the bulletin DAY back: nothing is published or sent; the note is kept."""
    _decide(day, approve=False, note=note, as_json=as_json)


def _decide(day: str, *, approve: bool, note: str | None, as_json: bool) -> None:
    # lazy: SQLAlchemy costs about 0.15 s; `insday --help` must not pay it
    from insday.audit import cli_actor
    # lazy: matplotlib about 0.4 s, openpyxl about 0.2 s; `insday --help` and `status` must not pay it
    from insday.bulletin import BulletinError, edition
    from insday.bulletin.publish import decide_bulletin
    # lazy: SQLAlchemy costs about 0.15 s; `insday --help` must not pay it
    from insday.publishing.approval import ApprovalError

    ctx = context()
    try:
        this = edition(ctx.campaign, None if day == "final" else date.fromisoformat(day), final=day == "final")
    except (ValueError, BulletinError) as exc:
        message = str(exc) if isinstance(exc, BulletinError) else f"不是日期：{day!r}（例如 2019-06-26，或 final）"
        raise typer.BadParameter(message, param_hint="DAY") from None
    ctx.ensure_db()
    try:
        result = decide_bulletin(ctx, this, approve=approve, actor=cli_actor(), note=note)
    except ApprovalError as exc:
        err.print(f"[red]{exc}[/red]", highlight=False)
        raise typer.Exit(2) from None
    result["resumed"] = _resume(result.get("flow_run_id"), approve, note)
    if as_json:
        print_json(result)
        return
    a = result["approval"]
    out.print(f"《{result['title']}》{'已批准' if approve else '已退回'}（{a['by']}，{a['at'][:16].replace('T', ' ')}）",
              highlight=False)
    if result["published"]:
        mail = result["mail"]
        out.print(f"已发布到 {result['folder']}；邮件新加入队列 {mail['queued']} 封（insday send 发送）", highlight=False)
    if result["resumed"]:
        out.print("等待审批的流程运行已继续。", highlight=False)


def _resume(flow_run_id: str | None, approve: bool, note: str | None) -> bool:
    """Let a flow run that waits for this decision go on (it finds the decision recorded).
    Best effort: without a reachable Prefect server there is nothing waiting to resume."""
    if not flow_run_id or not os.environ.get("PREFECT_API_URL"):
        return False
    try:
        # lazy: Prefect about 1.5 s; `insday --help` and `status` must not pay it
        from prefect.flow_runs import resume_flow_run

        resume_flow_run(flow_run_id, run_input={"decision": "批准发布" if approve else "退回", "note": note or "",
                                                "approver": ""})
        return True
    except Exception:  # not paused any more, or the server is away: the decision stands either way
        return False


def _summary(result: dict) -> None:
    h = result["headline"]
    out.print(f"[bold]{result['title']}[/bold]", highlight=False)
    out.print(f"数据截至 {result['as_of'][:16].replace('T', ' ')}" + ("（模拟）" if result["what_if"] else ""),
              highlight=False)
    out.print(f"报送单位 {h['units_reporting']}/{h['units']}，累计参与人次 {h['participants']:,}，"
              f"累计报送步数 {h['steps']:,}", highlight=False)
    failed = [c for c in result["checks"] if not c["success"]]
    out.print(f"数据校验 {len(result['checks'])} 项：" + ("全部通过" if not failed else f"[red]{len(failed)} 项未通过[/red]"),
              highlight=False)
    for c in failed:
        out.print(f"  [red]✗[/red] {c['expectation']}：{c['detail']}", highlight=False)
    a = result["approval"]
    if a is not None:
        state = {"pending": "[yellow]等待审批[/yellow]（已发邮件给省协会联系人；批准：insday bulletin approve "
                            f"{result['edition']}）",
                 "approved": f"已批准（{a['by']}）", "rejected": f"已退回（{a['by']}：{a['note']}）"}[a["state"]]
        out.print(f"审批：{state}", highlight=False)
    where = "已发布到" if result["published"] else "预览" if a is not None else "已写入"
    out.print(f"{where} {result['folder']}" + (f"（通报列表：{result['files']['list']}）" if "list" in result["files"]
                                              else ""), highlight=False)
    mail = result["mail"]
    if mail:
        if mail.get("awaiting"):
            out.print(f"邮件：未发送，本期通报{mail['awaiting']}", highlight=False)
        else:
            out.print(f"邮件：新加入队列 {mail['queued']}，此前已加入 {mail['exists']}", highlight=False)
        for u in mail["unreachable"]:
            out.print(f"[yellow]无法发送[/yellow] {u['name']}({u['unit']})：没有可用邮箱（{u['email'] or '空'}）",
                      highlight=False)
    d = result["delivery"]
    if d:
        out.print(f"发送：成功 {d['sent']}，失败 {d['failed']}，仍待发送 {d['pending']}", highlight=False)
        if d["error"]:
            err.print(f"[red]发送中断：{d['error']}[/red] 邮件仍在队列中，下次运行会继续发送。", highlight=False)


def register(root: typer.Typer) -> None:
    root.add_typer(app, name="bulletin")
