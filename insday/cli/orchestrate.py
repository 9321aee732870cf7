"""Orchestration commands: collect (inbox and mailbox), schedule (the run calendar), serve (Prefect)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated

import typer
import yaml

from insday.campaign import get_campaign, installed
from insday.cli.common import as_of_option, context, err, json_option, out, parse_moment, print_json

STATUS_ZH = {"accepted": "受理", "rejected": "退回", "duplicate": "重复", None: "（演练）"}
IMPORT_ZH = {"imported": "已导入", "duplicate": "重复", "rejected": "未能导入", "deferred": "暂缓", None: "（演练）"}


def collect(
    as_of: as_of_option("Take only files and messages received by T", "everything complete") = None,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Only list what would be taken.")] = False,
    as_json: json_option('one JSON object {"inbox": ..., "imap": ...}') = False,
) -> None:
    """Collect (收取) INSDAY_HOME/inbox/<campaign>/ and the IMAP mailbox, if set: archive, ingest, move to processed/.

    Report files are validated and stored; the national platform's donation exports go to the steps import.
    Exit 1 if a file was rejected or an export could not be imported.
    """
    # lazy: openpyxl about 0.2 s, jinja2 about 0.05 s; `insday --help` and `status` must not pay it
    from insday.collect.imap import collect_imap
    from insday.collect.inbox import collect_inbox

    ctx = context()
    moment = parse_moment(as_of, ctx.campaign) if as_of else None
    ctx.ensure_db()
    result = {"inbox": collect_inbox(ctx, moment, dry_run=dry_run), "imap": collect_imap(ctx, moment, dry_run=dry_run)}
    inbox, imap = result["inbox"], result["imap"]
    refused = inbox["rejected"] + inbox["donations"]["rejected"]
    if imap["enabled"]:
        refused += imap["rejected"] + imap["donations"]["rejected"]
    if as_json:
        print_json(result)
    else:
        _print_collect(inbox, imap)
    raise typer.Exit(1 if refused else 0)


def _print_collect(inbox: dict, imap: dict) -> None:
    for f in inbox["files"]:
        out.print(f"{STATUS_ZH[f['status']]}\t{f['path']}\t{f.get('moved_to') or ''}", highlight=False)
    out.print(f"收件箱：取走报表文件 {len(inbox['files'])} 个（受理 {inbox['accepted']}，退回 {inbox['rejected']}，"
              f"重复 {inbox['duplicate']}）；仍在写入 {len(inbox['waiting'])}，晚于 --as-of {len(inbox['later'])}，"
              f"无法读取 {len(inbox['unreadable'])}", highlight=False)
    for rel in inbox["unreadable"]:
        err.print(f"无法读取 {rel}：留在收件箱中", highlight=False)
    _print_donations("收件箱", inbox["donations"])
    if imap["enabled"]:
        out.print(f"邮箱：{len(imap['messages'])} 封邮件（附件受理 {imap['accepted']}，退回 {imap['rejected']}，"
                  f"重复 {imap['duplicate']}）；晚于 --as-of {imap['later']}，无附件 {imap['without_attachments']}",
                  highlight=False)
        _print_donations("邮箱", imap["donations"])


def _print_donations(where: str, block: dict) -> None:
    """The donation exports taken (the national platform's raw records), one line each."""
    for f in block["files"]:
        result = f["import"]
        if f["status"] == "imported":
            note = f"共 {result['records']:,} 条记录，计入 {result['accepted']:,} 条"
        elif f["status"] == "duplicate":
            note = f"已导入过（{result['received_at'][:16].replace('T', ' ')}），本次未作任何改动"
        else:
            note = f["error"] or ""
        out.print(f"{IMPORT_ZH[f['status']]}\t{f.get('path') or f['filename']}\t{note}", highlight=False)
    if block["files"]:
        out.print(f"{where}：全国平台捐步记录 {len(block['files'])} 个（导入 {block['imported']}，重复 {block['duplicate']}，"
                  f"未能导入 {block['rejected']}，暂缓 {block['deferred']}）", highlight=False)


def schedule(
    as_json: json_option("the deployments and their cron lines as JSON") = False,
    prefect_yaml: Annotated[Path | None, typer.Option(
        "--prefect-yaml", metavar="FILE",
        help="Also write these deployments to FILE (a prefect.yaml for `prefect deploy` on a process work pool).")]
    = None,
    work_pool: Annotated[str, typer.Option("--work-pool", metavar="POOL", show_default=False,
                                           help="Work pool named in the prefect.yaml (default: insday).")] = "insday",
    every_campaign: Annotated[bool, typer.Option(
        "--every-campaign", help="Write every installed campaign's deployments to the prefect.yaml (活动), "
                                 "each on its own work queue.")] = False,
) -> None:
    """Show when each flow runs (运行日程): recurrences in the campaign's time zone, from its calendar.
    With --every-campaign, every installed campaign's (no campaign need be selected)."""
    # lazy: dateutil costs about 0.05 s; `insday --help` must not pay it
    from insday.orchestration import campaign_state, fires, run_plan

    if every_campaign:
        campaigns = [get_campaign(folder) for folder in installed()]
        header = (f"# Written by `insday schedule --every-campaign --prefect-yaml {prefect_yaml and prefect_yaml.name}` "
                  f"from the campaigns {', '.join(c.name for c in campaigns)}; regenerate it after adding a campaign or "
                  "changing one's dates.\n")
    else:
        campaigns = [context().campaign]
        header = (f"# Written by `insday schedule --prefect-yaml {prefect_yaml and prefect_yaml.name}` from the campaign "
                  f"{campaigns[0].name}; regenerate it after changing the campaign's dates.\n")
    if prefect_yaml:
        # lazy: Prefect about 1.5 s, matplotlib about 0.4 s; `insday --help` and `status` must not pay it
        from insday.deployments import prefect_yaml as document

        prefect_yaml.write_text(header + yaml.safe_dump(document(campaigns, work_pool), allow_unicode=True,
                                                        sort_keys=False), encoding="utf-8")
    if as_json:
        print_json([{"flow": p.flow, "deployment": f"{p.flow}/{p.name}", "state": campaign_state(c),
                     "schedules": [{"rrule": s.rrule, "timezone": c.timezone, "parameters": s.parameters,
                                    "runs": len(fires(s, c)), "first": fires(s, c)[0].isoformat(),
                                    "last": fires(s, c)[-1].isoformat()}
                                   for s in p.schedules]} for c in campaigns for p in run_plan(c)])
        return
    states = {'upcoming': '尚未开始', 'running': '进行中', 'closed': '已结束（计划已停用）'}
    for c in campaigns:
        out.print(f"{c.name}：{states[campaign_state(c)]}", highlight=False)
        for p in run_plan(c):
            out.print(f"{p.flow}/{p.name}", style="bold", highlight=False)
            for s in p.schedules:
                moments = fires(s, c)
                params = " ".join(f"{k}={v}" for k, v in s.parameters.items())
                out.print(f"  {moments[0]:%Y-%m-%d %H:%M} .. {moments[-1]:%Y-%m-%d %H:%M}  {len(moments)} 次 "
                          f"({c.timezone}) {params}", highlight=False)


def serve(
    limit: Annotated[int | None, typer.Option("--limit", metavar="N", min=1,
                                              help="At most N flow runs at once (default: no limit).")] = None,
) -> None:
    """Serve every deployment of the campaign against PREFECT_API_URL until stopped (Ctrl-C).

    No work pool is needed: this process starts the scheduled runs and the runs started from
    the Prefect UI. Runs are not paused when it stops.
    """
    # lazy: sets Prefect's defaults for insday before Prefect is imported; only serve wants them
    import insday.flows  # noqa: F401
    # lazy: Prefect about 1.5 s; `insday --help` and `status` must not pay it
    from prefect.settings import get_current_settings

    if not get_current_settings().api.url:
        err.print("未设置 PREFECT_API_URL：insday serve 需要一个运行中的 Prefect 服务器。请先运行 "
                  "`prefect server start`，再设置如 PREFECT_API_URL=http://127.0.0.1:4200/api", highlight=False)
        raise typer.Exit(2)
    # lazy: Prefect about 1.5 s; `insday --help` and `status` must not pay it
    from prefect import serve as prefect_serve

    # lazy: Prefect about 1.5 s, matplotlib about 0.4 s; `insday --help` and `status` must not pay it
    from insday.deployments import build

    ctx = context()
    ctx.ensure_db()
    _run_in_home(ctx)
    deployments = build(ctx.campaign)
    for d in deployments:
        when = f"{len(d.schedules)} 个计划 ({ctx.campaign.timezone})" if d.schedules else "按需运行 (on demand)"
        out.print(f"{d.flow_name}/{d.name}: {when}{'，已暂停（活动已结束）' if d.paused else ''}", highlight=False)
    prefect_serve(*deployments, pause_on_shutdown=False, limit=limit)


def _run_in_home(env) -> None:
    """Serve from INSDAY_HOME, with its paths pinned: each flow run's process starts in this
    process's folder and Prefect imports the flows with that folder first on sys.path, so started
    from the folder holding a clone named insday/, the clone would shadow the installed package."""
    home = env.settings.home.resolve()
    home.mkdir(parents=True, exist_ok=True)
    os.environ.update(INSDAY_HOME=str(home), INSDAY_DATABASE_URL=env.settings.db_url,
                      INSDAY_CAMPAIGN=str(env.campaign.folder.resolve()))
    os.chdir(home)


def register(app: typer.Typer) -> None:
    app.command()(collect)
    app.command()(schedule)
    app.command()(serve)
