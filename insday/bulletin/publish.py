"""Publish a bulletin: the files for the website and WeChat, the list of all bulletins, and
the email to every member unit's contact and the association's contact.

Folder ``<root>/<YYYY-MM-DD>/``: ``index.html`` (self-contained, charts as data: URIs),
``bulletin.xlsx``, ``bulletin.md`` (charts linked), ``bulletin.json`` (the document) and
``charts/*.png``; ``<root>/index.html`` lists every bulletin in ``<root>``. The root is
``INSDAY_HOME/public`` for the bulletins proper, ``INSDAY_HOME/what-if`` for one built at
another moment than its cut-off, ``INSDAY_HOME/dry-run`` for a dry run, or ``out``.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from datetime import date, datetime
from pathlib import Path

from insday.bulletin.charts import bulletin_charts
from insday.bulletin.data import build_bulletin
from insday.bulletin.editions import BulletinError, Edition, edition
from insday.bulletin.render import markdown, render, render_index, write_xlsx
from insday.env import Env
from insday.reports.common import data_uri, day_text


def publish_bulletin(env: Env, day: date | None, *, final: bool = False, as_of: datetime | None = None,
                     send: bool = False, dry_run: bool = False, out: Path | None = None) -> dict:
    """Build the bulletin of ``day`` (``final``: the final one) from what was received by its
    cut-off (``as_of``: by that moment instead, a what-if), write its files, regenerate the
    list of bulletins, and with ``send`` queue its email (each recipient at most once, ever).
    ``dry_run`` writes under INSDAY_HOME/dry-run/ and queues nothing. Returns what was done
    (see the README for the shape)."""
    campaign = env.campaign
    this = edition(campaign, day, final)
    what_if = as_of is not None and as_of != this.cutoff
    if send and what_if and not dry_run:
        raise BulletinError("模拟通报（数据时间不是通报截止时间）不发送邮件")
    doc = build_bulletin(env, this.day, final=final, as_of=as_of)
    root = Path(out) if out else env.settings.path("dry-run" if dry_run else "what-if" if what_if else "public")
    folder = root / this.folder
    charts = bulletin_charts(doc)
    files = _write_files(env, doc, folder, charts, datetime.fromisoformat(doc["as_of"]))
    files["list"] = str(write_index(env, root))
    mail = None
    if send or dry_run:
        mail = _queue_mail(env, this, doc, folder, charts, dry_run=dry_run)
    return {"kind": doc["kind"], "day": doc["day"], "title": doc["title"], "as_of": doc["as_of"],
            "cutoff": doc["cutoff"], "what_if": doc["what_if"], "dry_run": dry_run, "folder": str(folder),
            "files": files, "headline": doc["headline"], "changes": doc["changes"], "mail": mail, "bulletin": doc}


def _write(path: Path, data: bytes) -> Path:
    """Replace ``path`` atomically: a reader (the web server) never sees half a file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def _write_files(env: Env, doc: dict, folder: Path, charts: dict[str, bytes], when: datetime) -> dict:
    campaign = env.campaign
    chart_paths = [_write(folder / "charts" / name, png) for name, png in charts.items()]
    html = render("bulletin.html.j2", doc, campaign, {n: data_uri(png) for n, png in charts.items()})
    md = markdown(doc, campaign, {n: f"charts/{n}" for n in charts})
    xlsx = folder / "bulletin.xlsx"
    os.replace(write_xlsx(doc, folder / ".bulletin.xlsx.tmp", when), xlsx)
    return {
        "html": str(_write(folder / "index.html", html.encode("utf-8"))),
        "xlsx": str(xlsx),
        "md": str(_write(folder / "bulletin.md", md.encode("utf-8"))),
        "json": str(_write(folder / "bulletin.json", _json(doc))),
        "charts": [str(p) for p in chart_paths],
    }


def _json(doc: dict) -> bytes:
    return (json.dumps(doc, ensure_ascii=False, indent=1) + "\n").encode("utf-8")


def write_index(env: Env, root: Path) -> Path:
    """``root/index.html``: every bulletin under ``root``, the final one and the latest first."""
    entries = []
    for source in root.glob("*/bulletin.json"):
        doc = json.loads(source.read_text(encoding="utf-8"))
        entries.append({"folder": source.parent.name, "title": doc["title"], "kind": doc["kind"], "day": doc["day"],
                        "as_of": doc["as_of"], "steps": doc["headline"]["steps"],
                        "participants": doc["headline"]["participants"]})
    entries.sort(key=lambda e: (e["kind"] == "final", e["day"]), reverse=True)
    return _write(root / "index.html", render_index(entries, env.campaign).encode("utf-8"))


# ----- email ------------------------------------------------------------------------------


def recipients(env: Env) -> list[tuple[str, str, str]]:
    """(unit code, name to greet, address) of every member unit's contact and the association's."""
    campaign = env.campaign
    return [(u.code, f"{u.contact}（{u.name}）", u.email) for u in (*campaign.units, campaign.association_unit)]


def _queue_mail(env: Env, this: Edition, doc: dict, folder: Path, charts: dict[str, bytes], *,
                dry_run: bool) -> dict:
    """Queue the bulletin to every recipient in one transaction; a key already in the outbox
    (an earlier run) is left alone, so nobody gets it twice. The attachment and the inline
    charts are copies kept for the messages (INSDAY_HOME/mail/bulletin-<key>/), so a later
    rebuild of the public files cannot change a message still waiting to be sent."""
    from insday.db import session_scope
    from insday.mail import enqueue
    from insday.mail.outbox import existing_keys, usable_address

    campaign = env.campaign
    people = recipients(env)
    keys = {code: f"bulletin:{this.key}:{code}" for code, _, _ in people}
    unreachable = [{"unit": code, "name": name, "email": addr} for code, name, addr in people
                   if usable_address(addr) is None]
    reachable = [p for p in people if usable_address(p[2]) is not None]
    with session_scope(env.engine) as session:
        known = existing_keys(session, keys.values())
        todo = [p for p in reachable if keys[p[0]] not in known]
        if dry_run or not todo:
            return {"queued": 0, "exists": len(reachable) - len(todo), "planned": len(todo) if dry_run else 0,
                    "unreachable": unreachable}
        kept = env.settings.path("mail", f"bulletin-{this.key}")
        images = [_write(kept / name, png) for name, png in charts.items()]
        attachment = shutil.copyfile(folder / "bulletin.xlsx", kept / _attachment_name(this))
        html = render("bulletin.html.j2", doc, campaign, {n: f"cid:{n}" for n in charts})
        subject = f"【通报】{doc['title']}"
        queued = sum(enqueue(session, key=keys[code], kind="bulletin", to_name=name, to_addr=addr, subject=subject,
                             html=html, attachments=[attachment], inline_images=images, unit_code=code)
                     for code, name, addr in todo)
    return {"queued": queued, "exists": len(reachable) - queued, "planned": 0, "unreachable": unreachable}


def _attachment_name(this: Edition) -> str:
    return f"活动通报（{'总结' if this.final else day_text(this.day)}）.xlsx"
