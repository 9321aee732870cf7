"""The campaign's other reports: white paper, survey, outreach, videos, projects, summaries."""

from __future__ import annotations

from typing import Annotated

import typer

from insday.cli.common import Json, as_of_option, err, out, out_option, parse_day, print_json, print_table, ready
from insday.units import UnitMatcher

AsOf = as_of_option("Use what was received by moment T")
Out = out_option("Folder to write to", "INSDAY_HOME/reports/<name>")

survey_app = typer.Typer(help="Satisfaction survey (满意度调查): import with `insday ingest`, then report.",
                         no_args_is_help=True)
videos_app = typer.Typer(help="Short videos (短视频): daily leaderboard, certificate list, withdrawing a video.",
                         no_args_is_help=True)
summary_app = typer.Typer(help="Campaign summaries (活动总结): who sent which parts; extract a bundle.",
                          no_args_is_help=True)


def _files(result: dict) -> None:
    for path in result["files"].values():
        out.print(path, highlight=False)


def whitepaper(as_of: AsOf = None, out_dir: Out = None, as_json: Json = False) -> None:
    """White paper data (社会贡献白皮书): totals, per-company tables, charts; xlsx, Markdown, HTML.

    Companies that did not report are listed, never counted as zero."""
    # lazy: matplotlib about 0.4 s, openpyxl about 0.2 s; `insday --help` and `status` must not pay it
    from insday.reports.whitepaper import write_whitepaper

    ctx, moment = ready(as_of)
    result = write_whitepaper(ctx, moment, out_dir)
    if as_json:
        print_json(result)
        return
    totals = result["totals"]
    print_table(f"{result['title']}（{result['year']}年度）：已报送 {result['reported']}/{result['expected']} 家",
           ["指标", "全省合计"], [[f"{m['label']}({m['unit']})", f"{totals[m['key']]:,.2f}" if m["money"]
                                  else f"{totals[m['key']]:,}"] for m in result["metrics"]])
    if result["missing"]:
        out.print("未报送：" + "、".join(u["short_name"] for u in result["missing"]), highlight=False)
    _files(result)


def survey_report(as_of: AsOf = None, out_dir: Out = None, as_json: Json = False) -> None:
    """Survey report (满意度调查报告): satisfaction per company and question with confidence intervals; xlsx, HTML, Markdown.

    Companies with fewer responses than survey.min_responses are flagged, not ranked."""
    # lazy: SciPy about 1 s, matplotlib about 0.4 s; `insday --help` and `status` must not pay it
    from insday.reports.survey import write_survey_report

    ctx, moment = ready(as_of)
    result = write_survey_report(ctx, moment, out_dir)
    if as_json:
        print_json(result)
        return

    def interval(low, high):
        return "" if low is None else f"{low:.2f}–{high:.2f}"

    print_table(f"满意度调查：{result['responses']} 份答卷", ["名次", "公司", "答卷数", "平均分", "置信区间", "满意率", "备注"],
           [[c["rank"] or "", c["short_name"], c["responses"], f"{c['mean']:.2f}", interval(c["ci_low"], c["ci_high"]),
             f"{c['rate']:.1%}", "样本不足，不排名" if c["flagged"] else ""] for c in result["companies"]])
    _files(result)


def outreach(as_of: AsOf = None, as_json: Json = False) -> None:
    """Outreach and publicity events (宣传活动): events, people reached and materials per unit and per kind."""
    # lazy: SQLAlchemy costs about 0.15 s; `insday --help` must not pay it
    from insday.reports.outreach import outreach_summary

    ctx, moment = ready(as_of)
    result = outreach_summary(ctx, moment)
    if as_json:
        print_json(result)
        return
    t = result["totals"]
    print_table(f"宣传活动：{t['units']} 个单位，{t['events']} 场", ["类型", "场次", "覆盖人数", "发放资料"],
           [[k["kind"], k["events"], k["people_reached"], k["materials"]] for k in result["by_kind"]]
           + [["合计", t["events"], t["people_reached"], t["materials"]]])
    print_table("各单位", ["单位", "场次", "覆盖人数", "发放资料", *result["kinds"]],
           [[u["short_name"], u["events"], u["people_reached"], u["materials"], *u["by_kind"].values()]
            for u in result["by_unit"]])
    a = result["association"]
    out.print(f"{a['short_name']}自行组织：{a['events']} 场，覆盖 {a['people_reached']} 人（已计入合计，不计入任何会员单位）",
              highlight=False)
    w = result["workplace"]
    print_table(f"职场宣传：{w['units']} 个单位，{w['sites']} 处场所",
                ["单位", "场所数", "海报标语", "LED屏", "咨询服务台"],
                [[u["short_name"], u["sites"], u["posters"], u["led_screens"], u["service_desks"]] for u in w["by_unit"]]
                + [["合计", w["sites"], w["posters"], w["led_screens"], w["service_desks"]]])


def videos_board(
    day: Annotated[str | None, typer.Option(
        "--date", metavar="DAY", help="The board's day, YYYY-MM-DD (default: the latest with a board).")] = None,
    as_of: AsOf = None, as_json: Json = False,
    old_day: Annotated[str | None, typer.Option("--day", hidden=True)] = None,  # its name before --date
) -> None:
    """One day's video leaderboard (达人榜) and champion, every champion so far, and submissions per unit."""
    # lazy: openpyxl about 0.2 s; `insday --help` and `status` must not pay it
    from insday.reports.videos import video_leaderboard

    wanted = parse_day(day or old_day, "--date")
    ctx, moment = ready(as_of)
    result = video_leaderboard(ctx, moment, wanted)
    if as_json:
        print_json(result)
        return
    print_table(f"短视频达人榜 {result['day'] or '（暂无）'}", ["名次", "作品", "作者", "单位", "票数"],
           [[e["rank"], e["title"], e["author"], e["short_name"], e["votes"]] for e in result["entries"]])
    if result["champions"]:
        print_table("每日冠军", ["日期", "作品", "作者", "单位", "票数"],
               [[c["day"], c["title"], c["author"], c["short_name"], c["votes"]] for c in result["champions"]])
    s = result["submissions"]
    out.print(f"已报送短视频 {s['videos']} 个，来自 {s['units']} 个单位", highlight=False)
    for w in result["withdrawn"]:
        out.print(f"已撤下：{w['title']}（{w['short_name']}）{w['link']}，原因：{w['reason']}", highlight=False)


def videos_certificates(as_of: AsOf = None, out_dir: Out = None, as_json: Json = False) -> None:
    """Certificate list (证书名单): every creator who made a daily leaderboard (xlsx)."""
    # lazy: SQLAlchemy costs about 0.15 s; `insday --help` must not pay it
    from insday.reports.common import out_dir as folder
    # lazy: openpyxl about 0.2 s; `insday --help` and `status` must not pay it
    from insday.reports.videos import video_certificates, write_certificates

    ctx, moment = ready(as_of)
    people = video_certificates(ctx, moment)
    path = write_certificates(people, folder(ctx, "videos", out_dir), ctx.campaign)
    if as_json:
        print_json({"as_of": moment.isoformat(), "certificates": people, "file": str(path)})
        return
    print_table(f"证书名单（{len(people)} 人）", ["姓名", "单位", "证书", "上榜天数", "最好名次"],
           [[p["author"], p["short_name"], p["award"], len(p["days"]), p["best_rank"]] for p in people])
    out.print(str(path), highlight=False)


def videos_withdraw(
    link: Annotated[str, typer.Argument(
        metavar="LINK", help="The video's link (the platform's share text will do) or its row id in the videos report.")],
    reason: Annotated[str, typer.Option("--reason", metavar="WHY",
                                        help="Why it is withdrawn (kept with it and in the audit log).")],
    actor: Annotated[str | None, typer.Option("--actor", metavar="NAME",
                                              help="Who withdraws it (default: the OS user).")] = None,
    as_json: Json = False,
) -> None:
    """Withdraw a video (negative content): it leaves the daily boards and the certificate list from now on."""
    # lazy: SQLAlchemy costs about 0.15 s; `insday --help` must not pay it
    from insday.audit import cli_actor
    from insday.reports.withdrawals import VideoNotFound, withdraw_video

    if not reason.strip():
        raise typer.BadParameter("请写明撤下的原因", param_hint="--reason")
    ctx, _ = ready()
    try:
        result = withdraw_video(ctx, link, reason, actor or cli_actor())
    except VideoNotFound as exc:
        err.print(str(exc), highlight=False)
        raise typer.Exit(1) from None
    if as_json:
        print_json(result)
        return
    when = ctx.campaign.local(result["withdrawn_at"])
    state = "已撤下" if result["created"] else "此前已撤下"
    out.print(f"{state}：{result['title']}（{result['author']}，{result['unit']}）{result['link']}\n"
              f"原因：{result['reason']}；{result['actor']}，{when:%Y-%m-%d %H:%M}", highlight=False)


def projects(as_of: AsOf = None, as_json: Json = False) -> None:
    """Poverty-relief projects (保险扶贫项目): claimant, figures, and the state of their deadlines."""
    # lazy: SQLAlchemy costs about 0.15 s; `insday --help` must not pay it
    from insday.reports.projects import STATE_ZH, projects, projects_report

    ctx, moment = ready(as_of)
    if as_json:
        print_json(projects_report(ctx, moment))
        return
    items = projects(ctx, moment)

    def deadlines(p):
        return "；".join(f"{d['title']} {ctx.campaign.local(d['due']):%m-%d %H:%M} {STATE_ZH[d['state']]}"
                        for d in p["deadlines"])

    print_table(f"保险扶贫项目（{len(items)} 个）",
           ["项目编号", "认领公司", "地区", "保障额度(万元)", "人数", "期限(月)", "捐赠", "公布", "完成", "截止与状态"],
           [[p["project_id"], p["short_name"], p["region"], f"{p['coverage'] / 10000:,.0f}", p["people"],
             p["term_months"], p["donated_on"], p["published_on"], p["completed_on"], deadlines(p)] for p in items])


def summary_status(as_of: AsOf = None, as_json: Json = False) -> None:
    """Campaign summaries (活动总结): which unit sent which parts, who is missing, whose bundle was refused."""
    # lazy: SQLAlchemy costs about 0.15 s; `insday --help` must not pay it
    from insday.reports.summary import summary_status as status

    ctx, moment = ready(as_of)
    result = status(ctx, moment)
    if as_json:
        print_json(result)
        return
    parts = result["parts"]

    def shown(u, p):
        c = u["parts"][p["key"]]
        return "" if u["status"] != "accepted" else f"{c['files']}" + (f"+{c['links']}链接" if c["links"] else "")

    def state(u):
        text = {"accepted": "已受理", "missing": "未报送"}[u["status"]]
        return text + ("（最近一次被退回）" if u["rejected"] else "")

    print_table(f"活动总结：已报送 {result['submitted']}/{result['expected']}",
           ["单位", "状态", "时效", *[p["title"] for p in parts]],
           [[u["short_name"], state(u), {"on_time": "按时", "late": "逾期"}.get(u["timeliness"], ""),
             *[shown(u, p) for p in parts]] for u in result["units"]])


def summary_extract(
    unit: Annotated[str, typer.Argument(metavar="UNIT", help="The unit: code, full name or short name.")],
    out_dir: Out = None, as_of: AsOf = None,
) -> None:
    """Extract a unit's current summary bundle from the archive (member paths checked again)."""
    # lazy: SQLAlchemy costs about 0.15 s; `insday --help` must not pay it
    from insday.reports.common import out_dir as folder
    from insday.reports.summary import extract_summary

    ctx, moment = ready(as_of)
    match = UnitMatcher(list(ctx.campaign.units), ctx.campaign.province).resolve(unit)
    if match.code is None:
        raise typer.BadParameter(f"{unit}：{match.problem}", param_hint="UNIT")
    try:
        path = extract_summary(ctx, match.code, folder(ctx, "summaries", out_dir), moment)
    except LookupError:
        err.print(f"{ctx.campaign.unit_by_code[match.code].display_name} 尚无已受理的活动总结", highlight=False)
        raise typer.Exit(1) from None
    out.print(str(path), highlight=False)


def register(app: typer.Typer) -> None:
    app.command()(whitepaper)
    survey_app.command("report")(survey_report)
    app.add_typer(survey_app, name="survey")
    app.command()(outreach)
    videos_app.command("board")(videos_board)
    videos_app.command("certificates")(videos_certificates)
    videos_app.command("withdraw")(videos_withdraw)
    app.add_typer(videos_app, name="videos")
    app.command()(projects)
    summary_app.command("status")(summary_status)
    summary_app.command("extract")(summary_extract)
    app.add_typer(summary_app, name="summary")
