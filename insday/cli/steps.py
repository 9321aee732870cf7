"""Step-run commands: insday steps import | pull | summary | reconcile."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, NoReturn

import typer

from insday.cli.common import (Json, as_of_option, context, err, existing, out, parse_moment, print_json, print_table,
                               ready, received_at_option)

steps_app = typer.Typer(help="Charity step run (公益跑): import donation records, pull the national platform's "
                             "aggregates, summary and reconcile.", no_args_is_help=True)

AsOf = as_of_option("What was known at moment T")
ReceivedAt = received_at_option("data")  # not earlier than step data already recorded


def _fail(exc: Exception) -> NoReturn:
    err.print(f"[red]错误[/red] {exc}", highlight=False)
    raise typer.Exit(1)


@steps_app.command("import")
def import_(
    file: Annotated[Path, typer.Argument(metavar="FILE", help="Raw donation records: CSV (optionally .gz) with "
                                                              "header donated_at,participant_id,region,steps.")],
    received_at: ReceivedAt = None,
    as_json: Json = False,
) -> None:
    """Import raw donation records (捐步记录) and update every step aggregate.

    Not earlier than step data already recorded (--received-at). Exit 1 if the file cannot be imported.
    """
    # lazy: SQLAlchemy costs about 0.15 s; `insday --help` must not pay it
    from insday.steps import StepsError, import_donations
    from insday.steps.rules import REJECT_REASONS

    existing([file], "FILE", folder=False)
    ctx = context()
    moment = parse_moment(received_at, ctx.campaign, "--received-at") if received_at else None
    ctx.ensure_db()
    try:
        result = import_donations(ctx, file, received_at=moment)
    except StepsError as exc:
        _fail(exc)
    if as_json:
        print_json(result)
        return
    if result["duplicate"]:
        out.print(f"{file.name}: 已于 {result['received_at']} 导入过（第 {result['import_id']} 批），本次未作任何改动")
        return
    rejected = "，".join(f"{REJECT_REASONS[k]} {v:,}" for k, v in result["rejected"].items() if v) or "无"
    out.print(f"{file.name}: 共 {result['records']:,} 条记录，计入 {result['accepted']:,} 条；未计入：{rejected}"
              + (f"；此前计入的 {result['superseded']:,} 条被本文件中同日更早的捐步取代" if result["superseded"] else ""))
    _print_unlocks(result["unlocks"])


@steps_app.command()
def pull(
    file: Annotated[Path | None, typer.Option("--file", metavar="FILE", help="Read the platform's aggregates from "
                                                                             "this CSV or xlsx file instead of the "
                                                                             "HTTP endpoint.")] = None,
    received_at: ReceivedAt = None,
    as_json: Json = False,
) -> None:
    """Get the national platform's aggregates (全国平台汇总) from INSDAY_STEPS_API_URL, or --file.

    Exit 1 on any problem with the data.
    """
    # lazy: SQLAlchemy costs about 0.15 s; `insday --help` must not pay it
    from insday.steps import StepsError, import_aggregates_file, pull_aggregates

    if file is not None:
        existing([file], "--file", folder=False)
    ctx = context()
    moment = parse_moment(received_at, ctx.campaign, "--received-at") if received_at else None
    if file is None and not ctx.settings.steps_api_url:
        raise typer.BadParameter("未设置 INSDAY_STEPS_API_URL：请设置它，或用 --file 给出平台数据文件", param_hint="--file")
    ctx.ensure_db()
    try:
        result = (import_aggregates_file(ctx, file, received_at=moment) if file
                  else pull_aggregates(ctx, as_of=moment))
    except StepsError as exc:
        _fail(exc)
    if as_json:
        print_json(result)
        return
    days = f"{result['days'][0]} 至 {result['days'][-1]}" if result["days"] else "无"
    out.print(f"已保存全国平台数据（{result['location']}）：地区 {result['regions']} 行，单位 {result['units']} 行，日期 {days}")
    _print_unlocks(result["unlocks"])


@steps_app.command()
def summary(as_of: AsOf = None, as_json: Json = False) -> None:
    """Step summary (捐步汇总): regions with progress and unlocks, badges, top participants, member units."""
    # lazy: SQLAlchemy costs about 0.15 s; `insday --help` must not pay it
    from insday.steps import step_summary

    ctx, moment = ready(as_of)
    data = step_summary(ctx, moment)
    if as_json:
        print_json(data)
        return
    print_table(f"各地区捐步（截至 {data['as_of'][:16].replace('T', ' ')}，目标 {data['threshold']:,} 步）",
                ["排名", "地区", "本地区步数", "互助", "合计步数", "进度", "解锁日期", "来源"],
                [[r["rank"], r["name"], f"{r['own_steps']:,}", r["helper"] or r["helps"],
                  None if r["group_steps"] is None else f"{r['group_steps']:,}",
                  None if r["progress"] is None else f"{r['progress']:.2f}%", r["unlocked_on"],
                  {"pulled": "全国平台", "raw": "原始记录", "mixed": "混合", None: None}[r["source"]]]
                 for r in data["regions"]])
    b = data["badges"]
    out.print(f"勋章：首次捐步 {b['first_donation']:,} 人，捐步5次 {b['five_donations']:,} 人，"
              f"连续10天 {b['ten_consecutive_days']:,} 人")
    print_table(f"个人排行前 {len(data['top'])} 名", ["名次", "参与者", "步数"],
                [[t["rank"], t["participant"], f"{t['steps']:,}"] for t in data["top"]])
    print_table("会员单位排行（每日报送）", ["排名", "单位", "步数", "参与人次", "报送天数", "全国平台步数"],
                [[u["rank"], u["name"], f"{u['steps']:,}", f"{u['participants']:,}", u["days_reported"],
                  None if u["platform_steps"] is None else f"{u['platform_steps']:,}"] for u in data["units"]])


@steps_app.command()
def reconcile(as_of: AsOf = None, as_json: Json = False) -> None:
    """Reconcile (核对) the figures recomputed from raw records with the platform's, per region per day."""
    # lazy: SQLAlchemy costs about 0.15 s; `insday --help` must not pay it
    from insday.steps import reconcile as compare

    ctx, moment = ready(as_of)
    data = compare(ctx, moment)
    if as_json:
        print_json(data)
        return
    c = data["counts"]
    out.print(f"截至 {data['as_of'][:16].replace('T', ' ')}：一致 {c['match']}，不一致 {c['mismatch']}，"
              f"仅原始记录 {c['raw_only']}，仅全国平台 {c['pulled_only']}（地区×日期）")
    if data["differences"]:
        print_table("差异", ["地区", "日期", "原始记录步数", "全国平台步数", "差额", "原始记录人次", "全国平台人次"],
                    [[r["region"], r["day"], *(None if v is None else f"{v:,}" for v in (
                        r["raw_steps"], r["pulled_steps"], r["steps_diff"], r["raw_donations"],
                        r["pulled_donations"]))] for r in data["differences"]])


def _print_unlocks(unlocks: list[dict]) -> None:
    for u in unlocks:
        note = f"（更正：原记为 {u['corrects']}）" if u["corrects"] else ""
        out.print(f"[green]解锁[/green] {u['region']}：{u['unlocked_on']} 合计步数达到 {u['group_steps']:,}{note}",
                  highlight=False)


def register(app: typer.Typer) -> None:
    app.add_typer(steps_app, name="steps")
