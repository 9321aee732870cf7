"""What every message is made of: Jinja2 templates (``insday/templates/mail/``, HTML
autoescaped), times written the way people read them, and the blank report templates
that go with reminders and receipts."""

from __future__ import annotations

import os
import tempfile
from datetime import datetime
from functools import lru_cache
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from insday.campaign import Campaign, Unit
from insday.paths import TEMPLATES_DIR
from insday.settings import Settings
from insday.templates import build_template, template_filename

MAIL_TEMPLATES = TEMPLATES_DIR / "mail"
_WEEKDAYS = "一二三四五六日"


def when(campaign: Campaign, moment: datetime) -> str:
    """2019年6月27日（星期四）10:00, in the campaign's time zone."""
    t = campaign.local(moment)
    return f"{t.year}年{t.month}月{t.day}日（星期{_WEEKDAYS[t.weekday()]}）{t:%H:%M}"


def when_short(campaign: Campaign, moment: datetime) -> str:
    """6月27日10:00, for subjects."""
    t = campaign.local(moment)
    return f"{t.month}月{t.day}日{t:%H:%M}"


@lru_cache(maxsize=1)
def _jinja():
    return Environment(loader=FileSystemLoader(MAIL_TEMPLATES), undefined=StrictUndefined,
                       autoescape=select_autoescape(enabled_extensions=("html",), default_for_string=True),
                       trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=True)


def render(name: str, **context) -> tuple[str, str]:
    """(html, text) of ``<name>.html`` and ``<name>.txt``."""
    env = _jinja()
    return env.get_template(f"{name}.html").render(**context), env.get_template(f"{name}.txt").render(**context)


def association_context(campaign: Campaign) -> dict:
    a = campaign.association
    return {"campaign_title": campaign.title, "association": a.name, "assoc_contact": a.contact,
            "assoc_phone": a.phone, "assoc_email": a.email}


def unit_recipient(unit: Unit) -> tuple[str, str]:
    """(display name, address) for a unit's contact person: 程红梅（人保财险）."""
    return f"{unit.contact}（{unit.display_name}）", unit.email


def blank_template(settings: Settings, campaign: Campaign, report_type: str) -> Path:
    """The blank xlsx template of a report type under INSDAY_HOME/templates/<campaign>/.

    Generated once and reused; generated again when the campaign definition is newer
    than the file. Written atomically, so concurrent runs never attach half a file.
    """
    rt = campaign.report_type(report_type)
    path = settings.path("templates", campaign.name) / template_filename(rt)
    sources = [campaign.folder / name for name in ("campaign.yaml", campaign.roster, campaign.essays.roster)] \
        if campaign.folder else []
    newest = max((p.stat().st_mtime for p in sources if p.exists()), default=0)
    if path.exists() and path.stat().st_mtime >= newest:
        return path
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".template-", suffix=".xlsx")
    os.close(fd)
    try:
        build_template(campaign, rt).save(tmp)
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
    return path
