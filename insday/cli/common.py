"""What every command needs: settings, campaign, database, time parsing, output."""

from __future__ import annotations

import json
import sys
from datetime import datetime, timezone
from typing import NoReturn

import typer
from rich.console import Console

from insday.campaign import Campaign, CampaignError
from insday.env import Env, load_env

out = Console(soft_wrap=True)
err = Console(stderr=True)


def context() -> Env:
    """The configured environment, or exit 2 with the campaign definition's errors."""
    try:
        return load_env()
    except CampaignError as exc:
        err.print(f"[red]活动定义有误 (campaign definition error):[/red]\n{exc}", markup=True, highlight=False)
        raise typer.Exit(2) from None


def parse_moment(text: str | None, campaign: Campaign, option: str = "--as-of") -> datetime:
    """ISO 8601; a time without offset is local to the campaign. None -> now."""
    if text is None:
        return datetime.now(timezone.utc)
    try:
        moment = datetime.fromisoformat(text.strip())
    except ValueError:
        raise typer.BadParameter(f"not an ISO 8601 time: {text!r} (e.g. 2019-06-26T10:00)", param_hint=option)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=campaign.tz)
    return moment.astimezone(timezone.utc)


def ready(as_of: str | None = None, option: str = "--as-of") -> tuple[Env, datetime]:
    """The environment with its database at the current schema, and the moment asked for (default now)."""
    ctx = context()
    moment = parse_moment(as_of, ctx.campaign, option)
    ctx.ensure_db()
    return ctx, moment


def print_table(title: str, heads: list[str], rows, **options) -> None:
    """A rich table of ``rows`` (None shows as blank); ``options`` go to rich's Table."""
    from rich.table import Table

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
