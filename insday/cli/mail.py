"""Deadlines and mail commands: status, remind, outbox, send.

``status`` must stay quick (a median of 0.3 s is the target, start-up included): it imports
neither Prefect nor GX, nor the mail code nor the ORM (its queries are SQLAlchemy Core), and
does not migrate the database (tests/test_imports.py holds it to that).
"""

from __future__ import annotations

from collections import Counter
from contextlib import contextmanager
from typing import Annotated

import typer
from rich import box
from rich.table import Table

from insday.cli.common import Json, as_of_option, context, err, exit_after, out, parse_moment, print_json, ready

AsOf = as_of_option("Evaluate as of moment T")
STATUS_ZH = {"queued": "待发送", "sending": "发送中", "sent": "已发送", "failed": "失败"}
KIND_ZH = {"receipt": "回执", "reminder": "提醒", "overdue": "逾期通知", "digest": "汇总", "bulletin": "通报",
           "alert": "告警"}


def status(
    as_of: AsOf = None,
    deadline: Annotated[list[str] | None, typer.Option(
        "--deadline", metavar="ID", help="Only this deadline id, or every deadline of a kind (e.g. daily_report); "
                                         "lists each unit. Repeatable.")] = None,
    as_json: Json = False,
) -> None:
    """Reporting status (报送情况) per deadline: units expected, on time, late, missing (and still open)."""
    # lazy: SQLAlchemy costs about 0.15 s; `insday --help` must not pay it
    from sqlalchemy.exc import DBAPIError

    # lazy: SQLAlchemy costs about 0.15 s; `insday --help` must not pay it
    from insday.deadlines.status import deadline_status

    ctx = context()
    moment = parse_moment(as_of, ctx.campaign)
    try:
        doc = deadline_status(ctx, moment)
    except DBAPIError as exc:
        if exc.connection_invalidated or "connect" in str(exc.orig).lower():  # the server, not the schema
            reason = str(exc.orig).strip().splitlines()[0] if str(exc.orig).strip() else type(exc.orig).__name__
            err.print(f"无法连接数据库（INSDAY_DATABASE_URL）：{reason}", markup=False, highlight=False)
        else:
            err.print("数据库尚未初始化或版本过旧，请先运行 insday init")
        raise typer.Exit(2) from None
    if deadline:
        ids = [d["id"] for d in doc["deadlines"]]
        unknown = [x for x in deadline if not any(i == x or i.startswith(x + ":") for i in ids)]
        if unknown:
            raise typer.BadParameter(f"没有截止事项「{'」「'.join(unknown)}」，可选：{'、'.join(ids)}",
                                     param_hint="--deadline")
        doc["deadlines"] = [d for d in doc["deadlines"]
                            if any(d["id"] == x or d["id"].startswith(x + ":") for x in deadline)]
    if as_json:
        print_json(doc)
        return
    _print_status(ctx.campaign, doc, detailed=bool(deadline))


def _print_status(campaign, doc: dict, detailed: bool) -> None:
    names = {**{u.code: u.display_name for u in campaign.units}, **doc["units"]}
    table = Table(title=f"报送情况（截至 {doc['as_of'][:16].replace('T', ' ')}）", box=box.SIMPLE_HEAD)
    table.add_column("截止事项", no_wrap=True)
    table.add_column("截止时间", no_wrap=True)
    for head in ("应报", "按时", "逾期", "未报", "待报"):
        table.add_column(head, justify="right")
    for d in doc["deadlines"]:
        table.add_row(d["title"], d["due"][5:16].replace("T", " "), str(d["expected"]), str(d["on_time"]),
                      str(d["late"]), f"[red]{d['missing']}[/red]" if d["missing"] else "0",
                      str(d["open"]) if not d["closed"] else "-")
    out.print(table)
    for c in doc.get("roster_changes", ()):  # insday units add / retire
        out.print(f"名单变更：{c['name']}({c['unit']}) 自 {c['from'][:16].replace('T', ' ')} 起"
                  f"{'新增' if c['kind'] == 'add' else '退出'}（{c['reason']}）", highlight=False)
    for d in doc["deadlines"]:
        if detailed and d["exceptions"]:
            shown = "；".join(f"{names.get(x['unit'], x['unit'])}{_exception(x)}（{x['reason']}）"
                             for x in d["exceptions"])
            out.print(f"[bold]{d['title']}[/bold] 说明：{shown}", highlight=False)
        lists = [("未报送", d["missing_units"]), ("逾期", d["late_units"])]
        if detailed:
            lists.append(("待报送", d["open_units"]))
        for label, codes in lists:
            if codes:
                shown = "、".join(f"{names.get(c, c)}({c})" for c in codes)
                out.print(f"[bold]{d['title']}[/bold] {label}（{len(codes)}）：{shown}", highlight=False)
        if d["rejected_units"]:
            shown = "、".join(f"{names.get(c, c)}({c})" for c in d["rejected_units"])
            out.print(f"[bold]{d['title']}[/bold] 报送的文件未通过校验：{shown}", highlight=False)


def _exception(x: dict) -> str:
    """How a deadline's exception reads: 延期至 …, 免报, 自 … 起新增 / 退出."""
    if x["kind"] in ("add", "retire"):
        return f"自 {x['from'][:16].replace('T', ' ')} 起{'新增' if x['kind'] == 'add' else '退出'}"
    return f"延期至 {x['until'][:16].replace('T', ' ')}" if x["kind"] == "extend" else "免报"


def remind(
    as_of: AsOf = None,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Queue and send nothing; show what would be sent.")]
    = False,
    no_send: Annotated[bool, typer.Option("--no-send", help="Queue the messages but leave sending to "
                                                            "`insday send`.")] = False,
    as_json: Json = False,
) -> None:
    """Queue and send what is due: reminders (提醒), overdue notices (逾期通知), the association's digest (汇总).

    Each message goes at most once, ever (its key is unique in the outbox). Exit 1 if one could not be sent.
    """
    # lazy: openpyxl about 0.2 s, jinja2 about 0.05 s; `insday --help` and `status` must not pay it
    from insday.deadlines.reminders import run_reminders

    ctx, moment = ready(as_of)
    with _mail_settings():
        report = run_reminders(ctx, moment, dry_run=dry_run, send=not no_send)
    if as_json:
        print_json(report)
    else:
        _print_remind(report)
    exit_after(report["delivery"])


def _print_remind(report: dict) -> None:
    if report["messages"]:
        title = f"提醒（截至 {report['as_of'][:16].replace('T', ' ')}）" + ("（演练，未发送）" if report["dry_run"] else "")
        table = Table(title=title)
        for head in ("类型", "截止事项", "新加入队列", "此前已加入", "将加入（演练）"):
            table.add_column(head, justify="left" if head in ("类型", "截止事项") else "right")
        groups = Counter((m["kind"], m["deadline_id"], m["state"]) for m in report["messages"])
        for kind, deadline_id in dict.fromkeys((k, d) for k, d, _ in groups):
            table.add_row(KIND_ZH[kind], deadline_id,
                          *(str(groups[(kind, deadline_id, st)]) for st in ("queued", "exists", "planned")))
        out.print(table)
    else:
        out.print("此时没有需要发送的提醒。")
    c = report["counts"]
    out.print(f"新加入队列 {c['queued']}，此前已加入 {c['exists']}" + (f"，将加入 {c['planned']}" if report["dry_run"] else ""))
    for u in report["unreachable"]:
        out.print(f"[yellow]无法发送[/yellow] {KIND_ZH[u['kind']]} {u['deadline_id']} {u['name']}({u['unit']})："
                  f"没有可用邮箱（{u['email'] or '空'}），请电话联系 {u['contact']} {u['phone']}", highlight=False)
    if report["delivery"]:
        _print_delivery(report["delivery"])


def _print_delivery(d: dict) -> None:
    via = "SMTP" if d["transport"] == "smtp" else ".eml 文件（未设置 SMTP）"
    out.print(f"发送（{via}）：成功 {d['sent']}，失败 {d['failed']}，重新排队 {d['requeued']}，仍待发送 {d['pending']}")
    if d["error"]:
        err.print(f"[red]发送中断：{d['error']}[/red] 邮件仍在队列中，下次运行会继续发送。", highlight=False)


def outbox(
    status_: Annotated[str | None, typer.Option("--status", metavar="STATE", help="Only messages in this state: "
                                                                                  "queued, sending, sent or failed.")]
    = None,
    kind: Annotated[str | None, typer.Option("--kind", metavar="KIND", help="Only this kind: receipt, reminder, "
                                                                          "overdue, digest, bulletin, alert.")] = None,
    limit: Annotated[int, typer.Option("--limit", metavar="N", min=1, help="Show at most N messages, newest first "
                                                                          "(default: 50).", show_default=False)]
    = 50,
    as_json: Json = False,
) -> None:
    """Show the outbox (发件箱): counts by kind and state, and the latest messages with their errors."""
    # lazy: SQLAlchemy costs about 0.15 s; `insday --help` must not pay it
    from insday.db import session_scope
    from insday.db.models.mail import KINDS, STATUSES
    from insday.mail.outbox import list_messages, outbox_counts

    if status_ and status_ not in STATUSES:
        raise typer.BadParameter(f"没有状态「{status_}」，可选：{'、'.join(STATUSES)}", param_hint="--status")
    if kind and kind not in KINDS:
        raise typer.BadParameter(f"没有类型「{kind}」，可选：{'、'.join(KINDS)}", param_hint="--kind")
    ctx = context()
    ctx.ensure_db()
    with session_scope(ctx.engine) as s:
        counts = outbox_counts(s, ctx.campaign.name)
        messages = list_messages(s, ctx.campaign.name, status=status_, kind=kind, limit=limit)
    if as_json:
        print_json({"counts": counts, "messages": messages})
        return

    summary = Table(title="发件箱")
    summary.add_column("类型")
    for st in STATUSES:
        summary.add_column(STATUS_ZH[st], justify="right")
    for k, by_status in sorted(counts.items()):
        summary.add_row(KIND_ZH.get(k, k), *(str(by_status.get(st, 0)) for st in STATUSES))
    out.print(summary)
    table = Table(title=f"最近 {len(messages)} 封")
    for head in ("编号", "类型", "单位", "收件人", "主题", "状态", "次数", "错误"):
        table.add_column(head)
    for m in messages:
        table.add_row(str(m["id"]), KIND_ZH.get(m["kind"], m["kind"]), m["unit"] or "", m["to"], m["subject"],
                      STATUS_ZH.get(m["status"], m["status"]), str(m["attempts"]), m["last_error"] or "")
    out.print(table)


def send(
    limit: Annotated[int | None, typer.Option("--limit", metavar="N", min=1, help="Send at most N messages "
                                                                                 "(default: all).")] = None,
    retry_failed: Annotated[bool, typer.Option("--retry-failed", help="Also retry failed messages now, "
                                                                      "attempts counted from zero.")] = False,
    as_json: Json = False,
) -> None:
    """Send the queued mail (邮件) by SMTP, or as .eml files under INSDAY_HOME/outbox/ when no SMTP host is set.

    Exit 1 if a message could not be sent (it stays queued for the next run).
    """
    # lazy: SQLAlchemy costs about 0.15 s; `insday --help` must not pay it
    from insday.db import session_scope
    from insday.mail import deliver
    from insday.mail.outbox import retry_failed as reset

    ctx = context()
    ctx.ensure_db()
    if retry_failed:
        with session_scope(ctx.engine) as s:
            reset(s, ctx.campaign.name)
    with _mail_settings():
        report = deliver(ctx, limit=limit)
    if as_json:
        print_json(report)
    else:
        _print_delivery(report)
    exit_after(report)


@contextmanager
def _mail_settings():
    """Exit 2 with the reason when the mail settings cannot work."""
    # lazy: SQLAlchemy costs about 0.15 s; `insday --help` must not pay it
    from insday.mail.delivery import MailConfigError

    try:
        yield
    except MailConfigError as exc:
        err.print(f"[red]邮件设置有误：[/red]{exc}", highlight=False)
        raise typer.Exit(2) from None


def register(app: typer.Typer) -> None:
    app.command()(status)
    app.command()(remind)
    app.command()(outbox)
    app.command()(send)
