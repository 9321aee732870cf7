"""Essay contest commands: insday essays list | shortlist | results."""

from __future__ import annotations

from pathlib import Path

import typer

from insday.cli.common import Json, as_of_option, context, json_option, out, out_option, print_json, print_table, ready

app = typer.Typer(name="essays", help="Essay contest (征文评选): roster, shortlist for the vote, final results and "
                                      "certificates.", no_args_is_help=True)

AsOf = as_of_option("Knowledge time: only files received by T count")
Out = out_option("Also write the outputs (xlsx, HTML pages; for results the certificates) to this folder")


@app.command("list")
def list_essays(as_json: json_option("the roster as JSON") = False) -> None:
    """List the essays (征文作品) on the roster: id, title, author, unit, category."""
    # lazy: SQLAlchemy costs about 0.15 s; `insday --help` must not pay it
    from insday.essays.service import roster

    ctx = context()
    ctx.ensure_db()
    essays = roster(ctx.engine, ctx.campaign)
    if as_json:
        print_json([{"id": e["id"], "title": e["title"], "category": e["category"], "unit": e["unit"]} for e in essays])
        return
    print_table(f"征文作品（{len(essays)}）", ["编号", "类别", "作品标题", "作者", "单位"],
                [[e["id"], e["category"], e["title"], e["author"], e["unit_name"]] for e in essays])


def _write(ctx, moment, folder: Path | None, stage: str, quiet: bool) -> None:
    if folder is None:
        return
    # lazy: openpyxl about 0.2 s, jinja2 about 0.05 s; `insday --help` and `status` must not pay it
    from insday.essays.publish import publish_essays

    for path in publish_essays(ctx, moment, folder, stage):
        if not quiet:
            out.print(str(path), highlight=False)


def _print_ties(ties: list[dict]) -> None:
    for t in ties:
        style = "green" if t["resolved"] else "yellow"
        out.print(f"[{style}]并列[/{style}] {t['message']}", highlight=False)


@app.command()
def shortlist(as_of: AsOf = None, out_dir: Out = None, as_json: Json = False) -> None:
    """Panel score of every essay and the shortlist (入围名单) for the online vote (ties at the cut-off listed and reported)."""
    # lazy: SQLAlchemy costs about 0.15 s; `insday --help` must not pay it
    from insday.essays.service import shortlist as compute

    ctx, moment = ready(as_of)
    payload = compute(ctx, moment)
    if as_json:
        print_json(payload)
    else:
        for name, rows in payload["categories"].items():
            print_table(f"{name} 评审得分（每类入围 {payload['per_category']} 篇）",
                        ["名次", "编号", "作品标题", "评审得分", "评分表数", "入围"],
                        [[r["rank"], r["id"], r["title"], None if r["panel_score"] is None else f"{r['panel_score']:.2f}",
                          r["sheets"], "入围" if r["shortlisted"] else None] for r in rows])
        _print_ties(payload["ties"])
    _write(ctx, moment, out_dir, "shortlist", as_json)


@app.command()
def results(as_of: AsOf = None, out_dir: Out = None, as_json: Json = False) -> None:
    """Final ranking (评选结果) of the shortlisted essays (panel score and votes), prizes, and ties for the committee."""
    # lazy: SQLAlchemy costs about 0.15 s; `insday --help` must not pay it
    from insday.essays.service import essay_results

    ctx, moment = ready(as_of)
    payload = essay_results(ctx, moment)
    if as_json:
        print_json(payload)
    else:
        for name, rows in payload["categories"].items():
            print_table(f"{name} 最终排名", ["名次", "编号", "评审得分", "评分表数", "票数", "最终得分", "奖项"],
                        [[f"{v:.2f}" if isinstance(v, float) else v
                          for v in (r["rank"], r["id"], r["panel_score"], r["sheets"], r["votes"], r["final_score"],
                                    r["prize"])] for r in rows])
        if all(r["votes"] is None for rows in payload["categories"].values() for r in rows):
            out.print("[yellow]尚未收到网络投票结果，奖项尚未评定。[/yellow]")
        _print_ties(payload["ties"])
    _write(ctx, moment, out_dir, "results", as_json)


def register(parent: typer.Typer) -> None:
    parent.add_typer(app, name="essays")
