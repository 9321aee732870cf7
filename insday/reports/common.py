"""What the report modules share: reading SQL as of a moment, units' names, numbers as
people read them, output folders, and rendering HTML/Markdown with Jinja2."""

from __future__ import annotations

import base64
import re
from datetime import date, datetime
from decimal import Decimal
from functools import lru_cache
from pathlib import Path

from insday.campaign import Campaign, Unit
from insday.env import Env
from insday.sql import fetch

TEMPLATES = Path(__file__).resolve().parent / "templates"
CENT = Decimal("0.01")


def fetch_as_of(env: Env, name: str, as_of: datetime, **params) -> list[dict]:
    """Rows of sql/<name>.sql as known at ``as_of``, of the environment's campaign."""
    with env.engine.connect() as conn:
        return fetch(conn, name, as_of=as_of, **{"campaign": env.campaign.name, **params})


def money(value) -> Decimal | None:
    """A stored amount as Decimal with cents (SQLite hands back floats, PostgreSQL Decimals)."""
    if value is None:
        return None
    return Decimal(str(value)).quantize(CENT)


def short_name(unit: Unit) -> str:
    """The unit's display name (the roster's ``display_name``: 人保财险), the one name it is shown by."""
    return unit.display_name


def unit_info(campaign: Campaign, code: str) -> dict:
    """Code, name and short name of a member unit, or of the association itself."""
    unit = campaign.unit_by_code.get(code)
    if unit is None and code == campaign.association.code:
        unit = campaign.association_unit
    if unit is None:
        return {"unit": code, "name": code, "short_name": code}
    return {"unit": code, "name": unit.name, "short_name": short_name(unit)}


def heading(campaign: Campaign) -> str:
    """The campaign's title and the year's theme, as outputs are headed:
    2019年吉林保险业"7.8全国保险公众宣传日"活动 · 年度主题：爱国爱家，从一份保障开始."""
    return f"{campaign.title} · 年度主题：{campaign.theme}" if campaign.theme else campaign.title


def local_text(campaign: Campaign, moment: datetime) -> str:
    """2019年7月3日 16:00, in the campaign's time zone."""
    m = campaign.local(moment)
    return f"{m.year}年{m.month}月{m.day}日 {m:%H:%M}"


def day_text(day: date) -> str:
    return f"{day.month}月{day.day}日"


def yi(wan) -> str:
    """An amount in 万元 as 亿元 with two decimals: 123456.78 -> '12.35'."""
    return f"{Decimal(str(wan)) / 10000:,.2f}"


def count(value) -> str:
    return f"{int(value):,}"


def jsonable(value):
    """Decimals, dates and datetimes as JSON numbers and ISO strings, recursively."""
    if isinstance(value, dict):
        return {k: jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [jsonable(v) for v in value]
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    return value


def out_dir(env: Env, name: str, out: Path | None) -> Path:
    """``out`` or INSDAY_HOME/reports/<name>, created."""
    folder = out or env.settings.path("reports", env.campaign.name, name)
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def data_uri(png: bytes) -> str:
    return "data:image/png;base64," + base64.b64encode(png).decode("ascii")


@lru_cache(maxsize=1)
def _jinja():
    # lazy: jinja2 costs about 0.05 s; `insday status` (via reports.projects) renders nothing
    from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

    env = Environment(loader=FileSystemLoader(str(TEMPLATES)), undefined=StrictUndefined,
                      autoescape=select_autoescape(["html.j2"]), trim_blocks=True, lstrip_blocks=True)
    env.filters.update(yi=yi, count=count, md=md_cell)
    return env


def render(template: str, **context) -> str:
    """Render insday/reports/templates/<template>; HTML templates escape everything they are given."""
    return _jinja().get_template(template).render(**context)


def md_cell(value) -> str:
    """A value safe inside a Markdown table cell (submitters' text included): no markup, no
    HTML, and no web address a renderer would turn into a live link (``http\\://``, ``www\\.``)."""
    text = "" if value is None else str(value)
    text = re.sub(r"([|\\`*_\[\]<>])", r"\\\1", text).replace("\n", " ").replace("\r", " ")
    return re.sub(r"(?i)(?<=[a-z])(:)(?=//)|(?<=www)(\.)", r"\\\1\2", text)
