"""Foundation commands: init, units, templates, ingest, docs."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from insday.cli.common import (Json, context, err, existing, json_option, out, out_option, parse_moment, print_json,
                               print_table, received_at_option)

STATUS_ZH = {"accepted": "受理", "rejected": "退回", "duplicate": "重复"}
TIMELINESS_ZH = {"on_time": "按时", "late": "逾期", None: ""}
KIND_ZH = {"property": "财产险", "life": "人身险", "city": "地市协会"}


def init() -> None:
    """Create or upgrade the database schema and load the campaign (roster, essays). Safe to rerun."""
    # lazy: SQLAlchemy costs about 0.15 s; `insday --help` must not pay it
    from sqlalchemy.engine import make_url

    # lazy: SQLAlchemy costs about 0.15 s; `insday --help` must not pay it
    from insday.db.bootstrap import init_database

    ctx = context()
    for folder in ("archive", "outbox"):
        ctx.settings.path(folder).mkdir(parents=True, exist_ok=True)
    for folder in (ctx.inbox_dir, ctx.public_dir):
        folder.mkdir(parents=True, exist_ok=True)
    info = init_database(ctx.engine, ctx.campaign)
    url = make_url(ctx.settings.db_url).render_as_string(hide_password=True)
    action = "created" if info["revision_before"] is None else (
        "upgraded" if info["revision_before"] != info["revision"] else "already current")
    out.print(f"database {url}: schema {action} (revision {info['revision']})")
    out.print(f"campaign {ctx.campaign.name}: {info['units']} member units loaded"
              + (f", {info['inactive']} no longer listed marked inactive" if info["inactive"] else "")
              + f"; {info['essays']} essays")
    out.print(f"home: {ctx.settings.home.resolve()}")


def templates(
    out_dir: out_option("Folder to write the templates to", "INSDAY_HOME/templates") = None,
    report_type: Annotated[list[str] | None, typer.Option(
        "--type", metavar="TYPE", help="Only this report type, e.g. daily_report (repeatable).")] = None,
) -> None:
    """Write one blank xlsx template (报表模板) per report type, to hand out to member units."""
    # lazy: openpyxl about 0.2 s; `insday --help` and `status` must not pay it
    from insday.templates import write_templates

    ctx = context()
    unknown = set(report_type or ()) - set(ctx.campaign.report_types)
    if unknown:
        raise typer.BadParameter(f"没有报表类型「{'」「'.join(sorted(unknown))}」，可选："
                                 f"{'、'.join(ctx.campaign.report_types)}", param_hint="--type")
    target = out_dir or ctx.settings.path("templates", ctx.campaign.name)
    for path in write_templates(ctx.campaign, target, report_type):
        out.print(str(path))


def ingest(
    paths: Annotated[list[Path] | None, typer.Argument(
        metavar="FILES", help="Files or folders (searched recursively; .zip files and folders named like "
                                "'人保财险活动总结' are campaign-summary bundles).")] = None,
    bundle: Annotated[list[Path] | None, typer.Option(
        "--bundle", metavar="DIR", help="A folder submitted as one bundle (campaign summary); repeatable.")] = None,
    received_at: received_at_option("files") = None,
    as_json: json_option("one JSON object instead of a table") = False,
) -> None:
    """Archive, validate and store received report files (报送文件). Exit 1 if any file was rejected."""
    # lazy: openpyxl about 0.2 s, jinja2 about 0.05 s; `insday --help` and `status` must not pay it
    from insday.intake.service import ingest_paths

    if not paths and not bundle:
        raise typer.BadParameter("请给出至少一个文件或文件夹，或用 --bundle DIR", param_hint="FILES")
    existing(paths or [], "FILES")
    existing(bundle or [], "--bundle", folder=True)
    ctx = context()
    moment = parse_moment(received_at, ctx.campaign, "--received-at")
    ctx.ensure_db()
    results = ingest_paths(ctx, paths or [], bundles=bundle or [], received_at=moment)
    counts = {s: sum(1 for r in results if r.status == s) for s in ("accepted", "rejected", "duplicate")}
    if as_json:
        print_json({"files": [r.as_dict() for r in results], **counts})
    else:
        _print_results(ctx, results, counts)
    raise typer.Exit(1 if counts["rejected"] else 0)


def _print_results(ctx, results, counts) -> None:
    campaign = ctx.campaign
    table = Table(title="报送文件处理结果")
    for head in ("文件", "报表", "单位", "期间", "结果", "时效", "版本", "错误", "提示"):
        table.add_column(head)
    for r in results:
        rt = campaign.report_types.get(r.report_type) if r.report_type else None
        unit = campaign.unit_by_code.get(r.unit)
        style = {"accepted": "green", "rejected": "red", "duplicate": "yellow"}[r.status]
        table.add_row(Path(r.path).name, rt.title if rt else "?", unit.display_name if unit else (r.unit or "?"),
                      str(r.period or ""), f"[{style}]{STATUS_ZH[r.status]}[/{style}]",
                      TIMELINESS_ZH[r.timeliness], str(r.version or ""), str(len(r.errors)), str(len(r.warnings)))
    out.print(table)
    for r in results:
        for e in r.errors:
            out.print(f"[red]错误[/red] {e['message']}", highlight=False)
        for w in r.warnings:
            out.print(f"[yellow]提示[/yellow] {w['message']}", highlight=False)
    out.print(f"受理 {counts['accepted']}，退回 {counts['rejected']}，重复 {counts['duplicate']}")


def docs(
    out_dir: out_option("Folder to write the reports to", "INSDAY_HOME/docs") = None,
    gx: Annotated[bool, typer.Option("--gx", help="Also build Great Expectations Data Docs (for the technical "
                                                  "contact) under DIR/gx/: re-validates the archived files.")] = False,
    as_json: Json = False,
) -> None:
    """Validation reports (校验报告): one page in Chinese per received file, and an index of them.

    Self-contained HTML (no network, opens from disk): for each file its unit, report type, when it was
    received, the outcome (受理/退回) and every problem with row, column, value and how to fix it.
    """
    # lazy: openpyxl about 0.2 s, jinja2 about 0.05 s; `insday --help` and `status` must not pay it
    from insday.intake.pages import build_pages

    ctx = context()
    ctx.ensure_db()
    folder = out_dir or ctx.settings.path("docs", ctx.campaign.name)
    result = build_pages(ctx, folder)
    if gx:
        # lazy: GX about 4 s; `insday --help` and `status` must not pay it
        from insday.intake.docs import build_docs

        result["gx"] = str(build_docs(ctx.campaign, ctx.engine, ctx.settings.archive_dir, folder / "gx"))
    if as_json:
        print_json(result)
        return
    out.print(f"校验报告（{result['files']} 个文件）：{Path(result['index']).resolve()}", highlight=False)
    if gx:
        out.print(f"GX Data Docs：{Path(result['gx']).resolve()}", highlight=False)


def campaigns(as_json: json_option("the campaigns as a JSON list") = False) -> None:
    """List the installed campaigns (活动): name, dates and state (upcoming, running, closed)."""
    # lazy: dateutil costs about 0.05 s; `insday --help` must not pay it
    from insday.campaigns import listing

    rows = listing()
    if as_json:
        print_json(rows)
        return
    states = {"upcoming": "尚未开始", "running": "进行中", "closed": "已结束", "invalid": "定义有误"}
    print_table(f"活动（{len(rows)}）", ["名称", "活动", "开始", "结束", "状态"],
                [[r["name"], r.get("title", r.get("error", "")), r.get("start", ""), r.get("end", ""),
                  states[r["state"]]] for r in rows])


def register(app: typer.Typer) -> None:
    app.command()(campaigns)
    app.command()(init)
    app.command()(templates)
    app.command()(ingest)
    app.command()(docs)


__all__ = ["register", "err"]
