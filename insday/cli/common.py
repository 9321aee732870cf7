"""What every command needs: settings, campaign, database, time parsing, output, and the
options every command names alike (one name per concept, see :mod:`insday.cli`)."""

from __future__ import annotations

import json
import sys
from datetime import date, datetime, timezone
from pathlib import Path
from typing import Annotated, NoReturn

import typer
from rich.console import Console
from rich.table import Table

from insday.campaign import Campaign, CampaignError
from insday.env import Env, load_env

out = Console(soft_wrap=True)
err = Console(stderr=True)

MOMENT = "ISO 8601, e.g. 2019-06-27T10:30; Beijing time when no offset is given"


def as_of_option(meaning: str = "Use what was known at moment T", default: str = "now"):
    """``--as-of T``: the moment a question is asked about."""
    return Annotated[str | None, typer.Option("--as-of", metavar="T", help=f"{meaning} ({MOMENT}) (default: {default}).")]


def received_at_option(what: str = "data"):
    """``--received-at T``: when what is stored arrived."""
    return Annotated[str | None, typer.Option("--received-at", metavar="T",
                                              help=f"When the {what} arrived ({MOMENT}) (default: now).")]


def out_option(what: str = "Folder to write to", default: str | None = None):
    """``--out DIR``: the folder a command writes into."""
    text = f"{what} (default: {default})." if default else f"{what}."
    return Annotated[Path | None, typer.Option("--out", metavar="DIR", help=text)]


def json_option(what: str = "one JSON object instead of tables"):
    """``--json``: output for machines."""
    return Annotated[bool, typer.Option("--json", help=f"Print {what} (for scripts).")]


AsOf = as_of_option()
Json = json_option()


def context() -> Env:
    """The configured environment, or exit 2 with the campaign definition's errors."""
    try:
        return load_env()
    except CampaignError as exc:
        err.print(f"[red]活动定义有误：[/red]\n{exc}", markup=True, highlight=False)
        raise typer.Exit(2) from None


def parse_moment(text: str | None, campaign: Campaign, option: str = "--as-of") -> datetime:
    """ISO 8601; a time without offset is local to the campaign. None -> now. A bad one is a
    usage error (one Chinese line, exit 2)."""
    if text is None:
        return datetime.now(timezone.utc)
    try:
        moment = datetime.fromisoformat(text.strip())
    except ValueError:
        raise typer.BadParameter(f"「{text}」不是有效的时间。请写成 2019-06-27T10:30 或 2019-06-27 这样的格式"
                                 "（不带时区即为北京时间）", param_hint=option) from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=campaign.tz)
    return moment.astimezone(timezone.utc)


def parse_day(text: str | None, option: str) -> date | None:
    """A day, YYYY-MM-DD (None -> None); a bad one is a usage error."""
    if text is None:
        return None
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        raise typer.BadParameter(f"「{text}」不是有效的日期。请写成 2019-06-30 这样的格式", param_hint=option) from None


def existing(paths, option: str, *, folder: bool | None = None) -> None:
    """Every path exists (and is a folder / a file when ``folder`` says so), else a usage error."""
    for path in paths:
        path = Path(path)
        if not path.exists():
            raise typer.BadParameter(f"找不到「{path}」，请检查路径", param_hint=option)
        if folder is True and not path.is_dir():
            raise typer.BadParameter(f"「{path}」不是文件夹", param_hint=option)
        if folder is False and path.is_dir():
            raise typer.BadParameter(f"「{path}」是文件夹，请给出文件", param_hint=option)


def ready(as_of: str | None = None, option: str = "--as-of") -> tuple[Env, datetime]:
    """The environment with its database at the current schema, and the moment asked for (default now)."""
    ctx = context()
    moment = parse_moment(as_of, ctx.campaign, option)
    ctx.ensure_db()
    return ctx, moment


def print_table(title: str, heads: list[str], rows, **options) -> None:
    """A rich table of ``rows`` (None shows as blank); ``options`` go to rich's Table."""
    table = Table(title=title, **options)
    for head in heads:
        table.add_column(head)
    for row in rows:
        table.add_row(*["" if v is None else str(v) for v in row])
    out.print(table)


def print_json(payload) -> None:
    sys.stdout.write(json.dumps(payload, ensure_ascii=False, default=str) + "\n")
    sys.stdout.flush()


def exit_after(delivery: dict | None) -> NoReturn:
    """Exit 1 when mail was to be delivered and some of it was not (or the server refused), else 0."""
    raise typer.Exit(1 if delivery and (delivery["error"] or delivery["failed"]) else 0)
