"""Essay contest commands: insday essays list | shortlist | results."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from insday.cli.common import context, out, parse_moment, print_json

app = typer.Typer(name="essays", help="征文评选 (essay contest): roster, shortlist for the vote, final results and "
                                      "certificates.", no_args_is_help=True)

AsOf = Annotated[str | None, typer.Option(
    "--as-of", help="Knowledge time: only files received by then count (ISO 8601; local campaign time if no "
                    "offset) [default: now].")]
Out = Annotated[Path | None, typer.Option("--out", help="Also write the outputs (xlsx, HTML pages; for results the "
                                                       "certificates) to this folder.",
                                          file_okay=False)]
Json = Annotated[bool, typer.Option("--json", help="Print one JSON object instead of tables.")]


@app.command("list")
def list_essays(as_json: Annotated[bool, typer.Option("--json", help="Print the roster as JSON.")] = False) -> None:
    """List the essays on the roster (id, title, author, unit, category)."""
    from insday.essays.service import roster

    ctx = context()
    ctx.ensure_db()
    essays = roster(ctx.engine)
    if as_json:
        print_json([{"id": e["id"], "title": e["title"], "category": e["category"], "unit": e["unit"]} for e in essays])
        return
    from rich.table import Table

    table = Table(title=f"征文作品（{len(essays)}）")
    for head in ("编号", "类别", "作品标题", "作者", "单位"):
        table.add_column(head)
    for e in essays:
        table.add_row(e["id"], e["category"], e["title"], e["author"], e["unit_name"])
    out.print(table)


def _write(ctx, moment, folder: Path | None, stage: str, quiet: bool) -> None:
    if folder is None:
        return
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
    """Panel score of every essay and the shortlist for the online vote (ties at the cut-off listed and reported)."""
    from insday.essays.service import shortlist as compute

    ctx = context()
    moment = parse_moment(as_of, ctx.campaign)
    ctx.ensure_db()
    payload = compute(ctx, moment)
    if as_json:
        print_json(payload)
    else:
        from rich.table import Table

        for name, rows in payload["categories"].items():
            table = Table(title=f"{name} 评审得分（每类入围 {payload['per_category']} 篇）")
            for head in ("名次", "编号", "作品标题", "评审得分", "评分表数", "入围"):
                table.add_column(head)
            for r in rows:
                table.add_row(str(r["rank"] or ""), r["id"], r["title"],
                              "" if r["panel_score"] is None else f"{r['panel_score']:.2f}", str(r["sheets"]),
                              "入围" if r["shortlisted"] else "")
            out.print(table)
        _print_ties(payload["ties"])
    _write(ctx, moment, out_dir, "shortlist", as_json)


@app.command()
def results(as_of: AsOf = None, out_dir: Out = None, as_json: Json = False) -> None:
    """Final ranking of the shortlisted essays (panel score and votes), prizes, and ties for the committee."""
    from insday.essays.service import essay_results

    ctx = context()
    moment = parse_moment(as_of, ctx.campaign)
    ctx.ensure_db()
    payload = essay_results(ctx, moment)
    if as_json:
        print_json(payload)
    else:
        from rich.table import Table

        for name, rows in payload["categories"].items():
            table = Table(title=f"{name} 最终排名")
            for head in ("名次", "编号", "评审得分", "评分表数", "票数", "最终得分", "奖项"):
                table.add_column(head)
            for r in rows:
                table.add_row(*("" if v is None else f"{v:.2f}" if isinstance(v, float) else str(v)
                                for v in (r["rank"], r["id"], r["panel_score"], r["sheets"], r["votes"],
                                          r["final_score"], r["prize"])))
            out.print(table)
        if all(r["votes"] is None for rows in payload["categories"].values() for r in rows):
            out.print("[yellow]尚未收到网络投票结果，奖项尚未评定。[/yellow]")
        _print_ties(payload["ties"])
    _write(ctx, moment, out_dir, "results", as_json)


def register(parent: typer.Typer) -> None:
    parent.add_typer(app, name="essays")
