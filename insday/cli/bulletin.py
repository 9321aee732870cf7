"""`insday bulletin`: the daily or final bulletin (通报), its files and its email."""

from __future__ import annotations

from datetime import date, datetime, timezone
from pathlib import Path
from typing import Annotated

import typer

from insday.cli.common import context, err, exit_after, out, parse_moment, print_json


def bulletin(
    day: Annotated[str | None, typer.Option(
        "--date", help="The day the daily bulletin reports on (YYYY-MM-DD) (default: the latest day whose "
                       "bulletin cut-off has passed).")] = None,
    final: Annotated[bool, typer.Option("--final", help="The final bulletin (the whole campaign, after the "
                                                        "summaries are due), dated the campaign's last day.")] = False,
    as_of: Annotated[str | None, typer.Option(
        "--as-of", help="What-if: use what was received by this moment instead of the bulletin's cut-off "
                        "(ISO 8601; local campaign time if no offset). Written to INSDAY_HOME/what-if/ unless "
                        "--out is given; never sent.")] = None,
    out_dir: Annotated[Path | None, typer.Option(
        "--out", help="Folder to publish into: <folder>/<date>/ and <folder>/index.html "
                      "(default: INSDAY_HOME/public).")] = None,
    send: Annotated[bool, typer.Option("--send", help="Email it to every member unit's contact and the "
                                                      "association's contact (each at most once, ever).")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object instead of a summary.")] = False,
) -> None:
    """Build and publish a bulletin (通报): HTML page, xlsx workbook, PNG charts and Markdown.

    Only what was received by the bulletin's cut-off counts (campaign.yaml, bulletin:): built again later, it is the same.

    Exit 1 if an email could not be sent.
    """
    from insday.bulletin import BulletinError, edition, latest_day, publish_bulletin, run_days
    from insday.mail.delivery import MailConfigError

    ctx = context()
    campaign = ctx.campaign
    moment = parse_moment(as_of, campaign) if as_of else None
    try:
        wanted = date.fromisoformat(day) if day else None
    except ValueError:
        raise typer.BadParameter(f"not a date: {day!r} (e.g. 2019-06-30)", param_hint="--date") from None
    try:
        if wanted is None and not final:
            wanted = latest_day(campaign, moment or datetime.now(timezone.utc))
            if wanted is None:
                first = edition(campaign, run_days(campaign)[0]).cutoff
                raise BulletinError(f"还没有可发布的每日通报：第一期的数据截止时间是 {campaign.local(first):%Y-%m-%d %H:%M}")
        this = edition(campaign, wanted, final)
    except BulletinError as exc:
        raise typer.BadParameter(str(exc), param_hint="--date / --final") from None
    if send and moment is not None and moment != this.cutoff:
        raise typer.BadParameter("a what-if bulletin (--as-of) is never sent; drop --send", param_hint="--send")
    ctx.ensure_db()
    try:
        result = publish_bulletin(ctx, this.day, final=final, as_of=moment, send=send, out=out_dir)
        result["delivery"] = None
        if send:
            from insday.mail import deliver

            result["delivery"] = deliver(ctx)
    except MailConfigError as exc:
        err.print(f"[red]邮件设置有误 (mail settings error):[/red] {exc}", highlight=False)
        raise typer.Exit(2) from None
    if as_json:
        print_json(result)
    else:
        _summary(result)
    exit_after(result["delivery"])


def _summary(result: dict) -> None:
    h = result["headline"]
    out.print(f"[bold]{result['title']}[/bold]", highlight=False)
    out.print(f"数据截至 {result['as_of'][:16].replace('T', ' ')}" + ("（模拟）" if result["what_if"] else ""),
              highlight=False)
    out.print(f"报送单位 {h['units_reporting']}/{h['units']}，累计参与人次 {h['participants']:,}，累计步数 {h['steps']:,}",
              highlight=False)
    out.print(f"已写入 {result['folder']}（通报列表：{result['files']['list']}）", highlight=False)
    mail = result["mail"]
    if mail:
        out.print(f"邮件：新加入队列 {mail['queued']}，此前已加入 {mail['exists']}", highlight=False)
        for u in mail["unreachable"]:
            out.print(f"[yellow]无法发送[/yellow] {u['name']}({u['unit']})：没有可用邮箱（{u['email'] or '空'}）",
                      highlight=False)
    d = result["delivery"]
    if d:
        out.print(f"发送：成功 {d['sent']}，失败 {d['failed']}，仍待发送 {d['pending']}", highlight=False)
        if d["error"]:
            err.print(f"[red]发送中断：{d['error']}[/red] 邮件仍在队列中，下次运行会继续发送。", highlight=False)


def register(app: typer.Typer) -> None:
    app.command()(bulletin)
