"""`insday demo`: replay a whole campaign (``--campaign NAME``) through the real flows."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path
from typing import Annotated

import typer
from rich.cells import cell_len
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from insday.cli.common import context, out, out_option, parse_day

KIND_ZH = {"receipt": "回执", "reminder": "截止前提醒", "overdue": "逾期通知", "digest": "未报汇总（给协会）",
           "bulletin": "通报", "alert": "故障告警"}


def demo(
    out_dir: out_option("Home folder of the replay; an existing one is reused and converges (nothing is ingested "
                        "or sent twice)", "a new ./insday-demo-<time> each run") = None,
    seed: Annotated[int, typer.Option("--seed", metavar="N", show_default=False,
                                      help="Random seed of the synthetic campaign (default: 78).")] = 78,
    until: Annotated[str | None, typer.Option("--until", metavar="DAY", help="Stop after this day, YYYY-MM-DD "
                                              "(default: the campaign's last day).")] = None,
) -> None:
    """Replay (演示) a whole campaign (insday --campaign NAME demo), day by day from its first to its
    last day, through the real flows.

    Synthetic but realistic submissions (late, missing, wrong and resubmitted reports)
    arrive as the member units would send them; SQLite, the .eml outbox and a temporary
    Prefect server are used. At the end it prints where everything is.
    """
    # lazy: Prefect about 1.5 s, SciPy about 1 s; `insday --help` and `status` must not pay it
    from insday.demo import run_demo

    ctx = context()
    last = parse_day(until, "--until")
    home = out_dir or Path(f"insday-demo-{datetime.now():%Y%m%d-%H%M%S}")
    out.print(f"回放 {ctx.campaign.year} 年活动 {ctx.campaign.name} (replaying the campaign) into [bold]{home}[/bold] …")
    with Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                  console=out, transient=False) as bar:
        task = bar.add_task("准备数据 (generating submissions)", total=None)
        days: dict[date, int] = {}

        def step(flow: str, day: date, n: int, total: int) -> None:
            days.setdefault(day, len(days) + 1)
            bar.update(task, total=total, completed=n - 1, description=f"{day:%m-%d} 第{days[day]}天 {flow:<15}")

        def said(flow: str, at: datetime, n: int, total: int, lines: str, seconds: float) -> None:
            # a log (output not a terminal) gets one line per run: the day, the run, what it did
            out.print(f"[{n}/{total}] {ctx.campaign.local(at):%m-%d %H:%M} {flow}（{seconds:.1f} 秒）：{lines}",
                      highlight=False, markup=False)

        if not out.is_terminal:
            out.print("准备数据：生成各单位的报送文件 (generating submissions) …", highlight=False)
        result = run_demo(home, seed=seed, until=last, progress=step, done=None if out.is_terminal else said)
        bar.update(task, completed=result.runs, description="完成 (done)")
    files = result.files
    out.print(f"\n{result.runs} 次流程运行 (flow runs)；文件：受理 {files.get('accepted', 0)}，"
              f"退回 {files.get('rejected', 0)}，逾期 {files.get('late', 0)}")
    out.print("邮件 (emails): " + "，".join(f"{KIND_ZH.get(k, k)} {n}" for k, n in sorted(result.messages.items())))

    labels = {"bulletins": "通报 bulletins", "emails": "邮件 emails (.eml)", "essay results": "征文结果 essay results",
              "white paper": "白皮书 white paper", "survey report": "满意度调查 survey report",
              "validation reports": "校验报告 validation reports", "database": "数据库 database"}
    names = {key: labels.get(key, key) for key in result.outputs}
    width = max(map(cell_len, names.values()), default=0)
    out.print("\n去哪里看 (where to look):")
    for key, path in result.outputs.items():
        # soft_wrap: a path is printed whole, never cut to the terminal's width, so it can be copied
        out.print(f"  {names[key]}{' ' * (width - cell_len(names[key]))}  {path}", soft_wrap=True, highlight=False,
                  markup=False)


def register(app: typer.Typer) -> None:
    app.command()(demo)
