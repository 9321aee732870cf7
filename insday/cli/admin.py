"""The association's decisions: `insday extend`, `excuse`, `void`, `resend`, `units add|retire` and `log`.

Each calls the function in :mod:`insday.actions` that the Prefect admin deployments call too,
and is recorded in the audit log (who: the OS user)."""

from __future__ import annotations

from typing import Annotated

import typer

from insday.actions import ActionError
from insday.cli.common import context, err, out, parse_moment, print_json, print_table
from insday.cli.core import KIND_ZH

Unit = Annotated[str, typer.Argument(metavar="UNIT", help="The unit: its code, full name or any short name.")]
Deadline = Annotated[str, typer.Argument(metavar="DEADLINE", help="The deadline's id as `insday status --json` "
                                                                   "prints it (daily_report:2019-06-26, summary).")]
Reason = Annotated[str, typer.Option("--reason", metavar="WHY", help="Why (shown with the decision).")]
AsJson = Annotated[bool, typer.Option("--json", help="Print one JSON object instead of a sentence.")]
ACTION_ZH = {"extend": "延期", "excuse": "免报", "void": "作废", "resend": "重发", "approve": "批准",
             "reject": "退回", "video_withdraw": "撤下短视频", "unit_add": "新增单位", "unit_retire": "单位退出"}
From = Annotated[str, typer.Option("--from", metavar="T", help="From when the change holds (ISO 8601; local "
                                                                "campaign time if no offset): deadlines due by "
                                                                "then are unchanged.")]


def _run(action, as_json: bool, *args, **kwargs) -> dict:
    # lazy: SQLAlchemy costs about 0.15 s; `insday --help` must not pay it
    from insday.audit import cli_actor

    ctx = context()
    ctx.ensure_db()
    try:
        result = action(ctx, *args, actor=cli_actor(), **kwargs)
    except ActionError as exc:
        err.print(f"[red]错误：{exc}[/red]", highlight=False)
        raise typer.Exit(2) from None
    if as_json:
        print_json(result)
    return result


def extend(unit: Unit, deadline: Deadline,
           until: Annotated[str, typer.Option("--until", metavar="T", help="The unit's own due time (ISO 8601; "
                                                                           "local campaign time if no offset).")],
           reason: Reason, as_json: AsJson = False) -> None:
    """Give one unit more time for one deadline: status, reminders, notices and bulletins use its own due time."""
    # lazy: SQLAlchemy costs about 0.15 s; `insday --help` must not pay it
    from insday.actions.deadline import extend as give

    moment = parse_moment(until, context().campaign, "--until")
    r = _run(give, as_json, unit, deadline, moment, reason)
    if not as_json:
        out.print(f"{r['name']}「{r['title']}」延期至 {r['until'][:16].replace('T', ' ')}（{r['reason']}），已记入操作日志",
                  highlight=False)


def excuse(unit: Unit, deadline: Deadline, reason: Reason, as_json: AsJson = False) -> None:
    """Excuse one unit from one deadline: shown as 免报 with the reason, never as missing."""
    # lazy: SQLAlchemy costs about 0.15 s; `insday --help` must not pay it
    from insday.actions.deadline import excuse as exempt

    r = _run(exempt, as_json, unit, deadline, reason)
    if not as_json:
        out.print(f"{r['name']}「{r['title']}」免报（{r['reason']}），已记入操作日志", highlight=False)


def void(submission: Annotated[int, typer.Argument(metavar="SUBMISSION", help="The file's submission id "
                                                                             "(`insday ingest --json`).")],
         reason: Reason, as_json: AsJson = False) -> None:
    """Void a wrongly accepted file: it stops counting (its previous version counts again) and the unit is told."""
    # lazy: openpyxl about 0.2 s, jinja2 about 0.05 s; `insday --help` and `status` must not pay it
    from insday.actions.void import void as cancel

    r = _run(cancel, as_json, submission, reason)
    if not as_json:
        again = f"；第 {r['counts_again']} 号文件重新计入" if r["counts_again"] else ""
        out.print(f"已作废 {r['name'] or ''}「{r['filename']}」（{r['report']}）{again}；"
                  f"{'已通知报送单位' if r['told'] else '该单位没有可用邮箱，请电话通知'}", highlight=False)


def resend(kind: Annotated[str, typer.Argument(metavar="KIND", help="receipt SUBMISSION | reminder UNIT DEADLINE | "
                                                                    "bulletin DAY UNIT (DAY a date or final)")],
           target: Annotated[list[str], typer.Argument(metavar="WHAT...", help="What to send again (see KIND).")],
           reason: Annotated[str | None, typer.Option("--reason", metavar="WHY", help="Why.")] = None,
           as_json: AsJson = False) -> None:
    """Send a receipt, a reminder or a bulletin again, once (the next send delivers it)."""
    # lazy: SQLAlchemy costs about 0.15 s; `insday --help` must not pay it
    from insday.actions.resend import resend as again

    shapes = {"receipt": 1, "reminder": 2, "bulletin": 2}
    if kind not in shapes or len(target) != shapes[kind]:
        raise typer.BadParameter("应为 receipt 文件编号 | reminder 单位 截止事项 | bulletin 日期 单位", param_hint="KIND")
    if kind == "receipt":
        if not target[0].isdigit():
            raise typer.BadParameter(f"「{target[0]}」不是文件编号", param_hint="SUBMISSION")
        options = {"submission": int(target[0])}
    elif kind == "reminder":
        options = {"unit": target[0], "deadline": target[1]}
    else:
        options = {"day": target[0], "unit": target[1]}
    r = _run(again, as_json, kind, reason=reason, **options)
    if not as_json:
        out.print(f"已重新加入发送队列：「{r['subject']}」→ {r['to']}", highlight=False)


def log(unit: Annotated[str | None, typer.Option("--unit", metavar="UNIT", help="Only what concerns this unit.")]
        = None, limit: Annotated[int, typer.Option("--limit", metavar="N", help="At most N entries.")] = 200,
        as_json: AsJson = False) -> None:
    """Every decision and admin action, newest first: when, who, what, which unit and deadline, why."""
    # lazy: SQLAlchemy costs about 0.15 s; `insday --help` must not pay it
    from insday.actions.common import find_unit
    from insday.audit import entries
    from insday.db import session_scope
    from insday.roster import current

    ctx = context()
    ctx.ensure_db()
    try:
        code = find_unit(current(ctx), unit).code if unit else None
    except ActionError as exc:
        raise typer.BadParameter(str(exc), param_hint="--unit") from None
    with session_scope(ctx.engine) as session:
        rows = entries(session, ctx.campaign.name, unit=code, limit=limit)
    for r in rows:
        r["at"] = ctx.campaign.local(r["at"]).isoformat()
    if as_json:
        print_json(rows)
        return

    roster = current(ctx)
    print_table(f"操作日志（{len(rows)} 条，最新在前）", ["时间", "操作人", "操作", "单位", "截止事项", "文件", "原因"],
                [[r["at"][:16].replace("T", " "), r["actor"], ACTION_ZH.get(r["action"], r["action"]),
                  roster.display_name(r["unit"]) if r["unit"] else "", r["deadline"], r["submission"],
                  r["reason"]] for r in rows])


units_app = typer.Typer(help="Member units (会员单位): the roster in effect (units.csv plus additions and "
                             "retirements); add a unit or retire one from a moment on.")


@units_app.callback(invoke_without_command=True)
def units(command: typer.Context, as_of: Annotated[str | None, typer.Option(
        "--as-of", metavar="T", help="The roster as known at moment T (ISO 8601; local campaign time if no "
                                     "offset) (default: now).")] = None, as_json: AsJson = False) -> None:
    """List the member units (会员单位) in effect: units.csv plus the units added or retired (新增、退出)."""
    if command.invoked_subcommand is None:
        list_units(as_of, as_json)


@units_app.command("list")
def list_units(as_of: Annotated[str | None, typer.Option(
        "--as-of", metavar="T", help="The roster as known at moment T (ISO 8601; local campaign time if no "
                                     "offset) (default: now).")] = None, as_json: AsJson = False) -> None:
    """List the member units (会员单位) in effect, with the additions and retirements (新增、退出) and why."""
    # lazy: SQLAlchemy costs about 0.15 s; `insday --help` must not pay it
    from sqlalchemy.exc import DBAPIError

    # lazy: SQLAlchemy costs about 0.15 s; `insday --help` must not pay it
    from insday.actions.roster import roster

    ctx = context()
    moment = parse_moment(as_of, ctx.campaign)
    try:
        rows = roster(ctx, moment)
    except DBAPIError:  # no database yet: the roster is units.csv
        rows = [u.as_dict() for u in ctx.campaign.units]
    if as_json:
        print_json(rows)
        return
    print_table(f"{ctx.campaign.title} 会员单位（{len(rows)}）",
                ["代码", "名称", "全称", "其他简称", "类型", "联系人", "邮箱", "电话", "名单变更"],
                [[u["code"], u["display_name"], u["name"], "、".join(u["short_names"]),
                  KIND_ZH.get(u["kind"], u["kind"]), u["contact"], u["email"], u["phone"],
                  "；".join(f"{c['from'][:16].replace('T', ' ')} 起{'新增' if c['kind'] == 'add' else '退出'}（{c['reason']}）"
                           for c in u.get("changes", ()))] for u in rows])


@units_app.command("add")
def add_unit(code: Annotated[str, typer.Argument(metavar="CODE", help="The new unit's code (e.g. P40).")],
             name: Annotated[str, typer.Option("--name", metavar="NAME", help="Its full (legal) name.")],
             kind: Annotated[str, typer.Option("--kind", metavar="KIND", help="property (财产险公司), life "
                                                                            "(人身险公司) or city (地市协会).")],
             contact: Annotated[str, typer.Option("--contact", metavar="NAME",
                                                  help="Its contact person (reminders and bulletins go to them).")],
             email: Annotated[str, typer.Option("--email", metavar="ADDR", help="The contact's email address.")],
             start: From, reason: Reason,
             display: Annotated[str | None, typer.Option(
                 "--display-name", metavar="NAME",
                 help="The one name it is shown by (default: its shortest Chinese short name).")] = None,
             short: Annotated[list[str] | None, typer.Option("--short-name", metavar="NAME", help="Another name "
                                                             "submitters use (repeatable).")] = None,
             phone: Annotated[str, typer.Option("--phone", metavar="PHONE", help="The contact's phone.")] = "",
             as_json: AsJson = False) -> None:
    """Add a unit to the roster from --from on (新增): expected, reminded and shown for deadlines due after it."""
    # lazy: SQLAlchemy costs about 0.15 s; `insday --help` must not pay it
    from insday.actions.roster import add_unit as add

    moment = parse_moment(start, context().campaign, "--from")
    r = _run(add, as_json, code, name, kind=kind, contact=contact, email=email, effective=moment, reason=reason,
             display=display, short_names=tuple(short or ()), phone=phone)
    if not as_json:
        again = "（此前已新增，未重复记录）" if r["repeated"] else "，已记入操作日志"
        out.print(f"{r['name']}（{r['unit']}）自 {r['from'][:16].replace('T', ' ')} 起新增（{r['reason']}）{again}",
                  highlight=False)


@units_app.command("retire")
def retire_unit(unit: Unit, start: From, reason: Reason, as_json: AsJson = False) -> None:
    """Retire a unit from --from on (退出): not expected, reminded or missing for deadlines due after it."""
    # lazy: SQLAlchemy costs about 0.15 s; `insday --help` must not pay it
    from insday.actions.roster import retire_unit as retire

    moment = parse_moment(start, context().campaign, "--from")
    r = _run(retire, as_json, unit, moment, reason)
    if not as_json:
        again = "（此前已退出，未重复记录）" if r["repeated"] else "，已记入操作日志"
        out.print(f"{r['name']}（{r['unit']}）自 {r['from'][:16].replace('T', ' ')} 起退出（{r['reason']}）{again}",
                  highlight=False)


def register(app: typer.Typer) -> None:
    for command in (extend, excuse, void, resend, log):
        app.command()(command)
    app.add_typer(units_app, name="units")
