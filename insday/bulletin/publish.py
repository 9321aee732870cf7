"""Publish a bulletin: check it, have it approved, then the files for the website and WeChat,
the list of all bulletins, and the email to every member unit's contact and the association's.

Folder ``<root>/<YYYY-MM-DD>/``: ``index.html`` (self-contained, charts as data: URIs),
``bulletin.xlsx``, ``bulletin.md`` (charts linked), ``bulletin.json`` (the document) and
``charts/*.png``; ``<root>/index.html`` lists every bulletin in ``<root>``. A bulletin proper is
built in ``INSDAY_HOME/preview/<day>/<digest>/``, checked (``insday.bulletin.checks``) and, once
approved (``insday.publishing.approval``), copied byte for byte to ``INSDAY_HOME/public``; a
what-if goes to ``INSDAY_HOME/what-if``, a dry run to ``INSDAY_HOME/dry-run``, ``out`` anywhere.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
from dataclasses import dataclass
from datetime import date, datetime, timezone
from pathlib import Path
from typing import Literal, NotRequired, TypedDict

from insday.bulletin.charts import bulletin_charts
from insday.bulletin.checks import check_bulletin
from insday.bulletin.data import BulletinDocument, Changes, FirstEdition, Headline, build_bulletin
from insday.bulletin.editions import BulletinError, Edition, edition
from insday.bulletin.render import _jinja, markdown, overview_rows, render, render_index, write_xlsx
from insday.campaigns import listing
from insday.db import session_scope
from insday.db.models.core import utcnow
from insday.env import Env
from insday.mail.compose import association_context, render as render_mail
from insday.mail.delivery import DeliveryReport
from insday.mail.outbox import enqueue, enqueue_many, existing_keys, html_to_text, usable_address
from insday.publishing.approval import STATE_ZH, ApprovalReport, approval_json, decide, latest, request
from insday.publishing.checks import CheckReport
from insday.reports.common import data_uri, day_text, local_text
from insday.reports.media import write_media_gallery
from insday.roster import current


@dataclass(frozen=True)
class RunInfo:
    """The flow run that waits for a decision: its id, link in the Prefect UI and start."""

    id: str
    url: str | None = None
    started: datetime | None = None


OUTPUT = {False: "daily_bulletin", True: "final_bulletin"}  # campaign.yaml publishing: keys


class BulletinFiles(TypedDict):
    """The bulletin's files (paths)."""

    html: str
    xlsx: str
    md: str
    json: str  # the document, bulletin.json
    charts: list[str]
    list: NotRequired[str]  # the campaign's list of bulletins (public/<campaign>/index.html once published)
    campaigns: NotRequired[str]  # once published: the list of campaigns, public/index.html


class MailRecipient(TypedDict):
    unit: str
    name: str
    email: str


class BulletinMail(TypedDict):
    """The bulletin's email: each recipient at most once, ever."""

    queued: int
    exists: int  # queued before
    planned: int  # dry run
    unreachable: list[MailRecipient]  # no usable address
    awaiting: NotRequired[str]  # not approved yet: its state (Chinese), nothing queued


class BulletinReport(TypedDict):
    """``insday bulletin --json`` and the ``publish_bulletin`` task: one bulletin built, checked and
    (once approved) published."""

    kind: Literal["daily", "final"]
    day: str
    edition: str  # the day, or "final"
    title: str
    as_of: str  # the knowledge time: what was received by then counts
    cutoff: str  # the bulletin's own knowledge time (as_of differs: a what-if)
    what_if: bool
    dry_run: bool
    folder: str  # where its files are: preview/, public/ once published, what-if/, dry-run/ or --out
    files: BulletinFiles
    headline: Headline
    changes: Changes | FirstEdition
    checks: list[CheckReport]
    approval: ApprovalReport | None  # None for a what-if, a dry run or --out
    published: bool
    mail: BulletinMail | None
    bulletin: NotRequired[BulletinDocument]  # bulletin.json; the CLI and the task take it out
    delivery: NotRequired[DeliveryReport | None]  # insday bulletin: the delivery after --send


class DecisionReport(TypedDict):
    """``insday bulletin approve|reject --json``: the decision on the newest version."""

    edition: str
    title: str
    approval: ApprovalReport
    flow_run_id: str | None  # the run that waits for it
    published: bool
    mail: BulletinMail | None
    folder: NotRequired[str]  # approved: public/<campaign>/<day>/
    files: NotRequired[BulletinFiles]
    resumed: NotRequired[bool]  # the CLI: the waiting run was resumed


def publish_bulletin(env: Env, day: date | None, *, final: bool = False, as_of: datetime | None = None,
                     send: bool = False, dry_run: bool = False, out: Path | None = None,
                     run: RunInfo | None = None) -> BulletinReport:
    """Build the bulletin of ``day`` (``final``: the final one) from what was received by its
    cut-off and check its figures (``expectations/outputs/bulletin.json``).

    The bulletin proper is written to a preview folder (INSDAY_HOME/preview/<day>/<digest>/) and
    waits for its approval (campaign.yaml ``publishing:``): approved, it is published (public/)
    and with ``send`` its email queued (each recipient at most once, ever); pending, the
    association's contact is asked once per version (an email with the preview and the checks);
    a bulletin whose checks failed is never published, and the contact is told why.

    ``as_of`` other than the cut-off (a what-if, under INSDAY_HOME/what-if/<campaign>/), ``dry_run``
    (INSDAY_HOME/dry-run/<campaign>/, nothing queued) and ``out`` write the files there only: never
    published, never mailed, no approval. ``run`` names the flow run that will wait for the
    decision (its link goes into the request). Returns what was done (see docs/bulletins.md)."""
    campaign = env.campaign
    this = edition(campaign, day, final)
    what_if = as_of is not None and as_of != this.cutoff
    if send and what_if and not dry_run:
        raise BulletinError("模拟通报（数据时间不是通报截止时间）不发送邮件")
    doc = build_bulletin(env, this.day, final=final, as_of=as_of)
    body = _json(doc)
    digest = hashlib.sha256(body).hexdigest()
    official = not (what_if or dry_run or out)
    if official:
        folder = env.settings.path("preview", env.campaign.name, this.folder, digest[:12])
    else:
        folder = (Path(out) if out else env.settings.path("dry-run" if dry_run else "what-if", env.campaign.name)) / this.folder
    charts = bulletin_charts(doc)
    files = _write_files(env, doc, body, folder, charts)
    roster = current(env, as_of or this.cutoff)  # the units the bulletin lists: the roster known then
    checks = check_bulletin(roster, doc, Path(files["html"]).read_text(encoding="utf-8"), Path(files["xlsx"]))
    result: BulletinReport = {
        "kind": doc["kind"], "day": doc["day"], "edition": this.key, "title": doc["title"], "as_of": doc["as_of"],
        "cutoff": doc["cutoff"], "what_if": doc["what_if"], "dry_run": dry_run, "folder": str(folder),
        "files": files, "headline": doc["headline"], "changes": doc["changes"],
        "checks": [c.as_dict() for c in checks], "approval": None, "published": False, "mail": None,
        "bulletin": doc}
    if not official:
        if out is None:
            files["list"] = str(write_index(env, folder.parent))
        if dry_run:
            result["mail"] = _queue_mail(env, this, folder, dry_run=True)
        return result
    with session_scope(env.engine) as session:
        approval, new = request(session, env, output=OUTPUT[final], edition=this.key, digest=digest,
                                title=doc["title"], checks=checks, preview=str(folder),
                                flow_run_id=run.id if run else None)
        if (new and approval.state == "pending") or not approval.checks_passed:
            _ask(session, env, this, doc, folder, approval, checks, run)
        result["approval"] = approval_json(env, approval)
        approved = approval.state == "approved"
    if approved:
        result.update(release(env, this, send=send))
    elif send:
        result["mail"] = {"queued": 0, "exists": 0, "planned": 0, "unreachable": [],
                          "awaiting": STATE_ZH[approval.state]}
    return result


def decide_bulletin(env: Env, this: Edition, *, approve: bool, actor: str, note: str | None = None) -> DecisionReport:
    """Approve (then publish it and queue its email) or send back the newest version of a
    bulletin; raises ApprovalError (Chinese) when that decision cannot be taken."""
    with session_scope(env.engine) as session:
        approval = decide(session, env, OUTPUT[this.final], this.key, approve=approve, actor=actor, note=note)
        result: DecisionReport = {"edition": this.key, "title": approval.title, "approval": approval_json(env, approval),
                  "flow_run_id": approval.flow_run_id, "published": False, "mail": None}
    if approve:
        result.update(release(env, this, send=True))
    return result


def approval_state(env: Env, this: Edition) -> dict | None:
    """The newest version's approval and checks: ``{"approval": {...}, "checks": [...], "title"}``."""
    with session_scope(env.engine) as session:
        row = latest(session, env.campaign.name, OUTPUT[this.final], this.key)
        return None if row is None else {"edition": this.key, "title": row.title,
                                         "approval": approval_json(env, row), "checks": row.checks,
                                         "flow_run_id": row.flow_run_id}


def release(env: Env, this: Edition, *, send: bool) -> dict:
    """Publish the approved version of a bulletin (its preview, byte for byte) to public/ and,
    with ``send``, queue its email. Safe to repeat: files are replaced by the same bytes and a
    message already queued is never queued again."""
    with session_scope(env.engine) as session:
        approval = latest(session, env.campaign.name, OUTPUT[this.final], this.key)
        if approval is None or approval.state != "approved":
            raise BulletinError(f"{this.key} 的通报尚未批准，不能发布")
        preview = Path(approval.preview)
        public = env.public_dir / this.folder
        for source in sorted(p for p in preview.rglob("*") if p.is_file()):
            _write(public / source.relative_to(preview), source.read_bytes())
        for stale in (p for p in public.rglob("*") if p.is_file() and not (preview / p.relative_to(public)).exists()):
            stale.unlink()  # a chart the approved version does not have
        approval.published_at = approval.published_at or utcnow()
    if not this.final:  # the day's photos and videos, linked from the page
        write_media_gallery(env, this.day, this.cutoff, env.public_dir)
    files = {"html": str(public / "index.html"), "xlsx": str(public / "bulletin.xlsx"),
             "md": str(public / "bulletin.md"), "json": str(public / "bulletin.json"),
             "charts": [str(p) for p in sorted((public / "charts").glob("*.png"))],
             "list": str(write_index(env, env.public_dir)),
             "campaigns": str(write_campaigns_index(env.settings.public_dir))}
    mail = _queue_mail(env, this, public, dry_run=False) if send else None
    return {"published": True, "folder": str(public), "files": files, "mail": mail}


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


def _write_files(env: Env, doc: dict, body: bytes, folder: Path, charts: dict[str, bytes]) -> BulletinFiles:
    """The bulletin's files in ``folder``; the document time (its knowledge time) is the only
    time inside them, so the same figures give the same bytes."""
    campaign = env.campaign
    chart_paths = [_write(folder / "charts" / name, png) for name, png in charts.items()]
    html = render("bulletin.html.j2", doc, campaign, {n: data_uri(png) for n, png in charts.items()})
    md = markdown(doc, campaign, {n: f"charts/{n}" for n in charts})
    xlsx = folder / "bulletin.xlsx"
    os.replace(write_xlsx(doc, folder / ".bulletin.xlsx.tmp", datetime.fromisoformat(doc["as_of"])), xlsx)
    return {
        "html": str(_write(folder / "index.html", html.encode("utf-8"))),
        "xlsx": str(xlsx),
        "md": str(_write(folder / "bulletin.md", md.encode("utf-8"))),
        "json": str(_write(folder / "bulletin.json", body)),
        "charts": [str(p) for p in chart_paths],
    }


def _json(doc: dict) -> bytes:
    return (json.dumps(doc, ensure_ascii=False, indent=1) + "\n").encode("utf-8")


def write_campaigns_index(root: Path) -> Path:
    """``root/index.html`` (INSDAY_HOME/public/): every campaign published under ``root``, the
    latest first, with its dates and state, each linking to its own list of bulletins."""
    entries = [c for c in listing() if c["state"] != "invalid" and (root / c["name"] / "index.html").exists()]
    entries.sort(key=lambda c: (c["start"], c["name"]), reverse=True)
    return _write(root / "index.html", _jinja().get_template("campaigns.html.j2").render(entries=entries)
                  .encode("utf-8"))


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


def recipients(env: Env, at: datetime | None = None) -> list[tuple[str, str, str]]:
    """(unit code, name to greet, address) of every member unit's contact and the association's:
    the units on the roster at ``at`` (the bulletin's cut-off; default now), so a unit added from
    T gets the bulletins from T on and a unit retired from T no longer does."""
    at = at or datetime.now(timezone.utc)
    campaign = current(env, max(at, datetime.now(timezone.utc)))  # every change recorded so far
    return [(u.code, f"{u.contact}（{u.name}）", u.email) for u in (*campaign.units, campaign.association_unit)
            if u.on_roster(at)]


def _queue_mail(env: Env, this: Edition, folder: Path, *, dry_run: bool) -> BulletinMail:
    """Queue the bulletin in ``folder`` to every recipient in one transaction; a key already in
    the outbox (an earlier run) is left alone, so nobody gets it twice. The attachment and the
    inline charts are copies kept for the messages (INSDAY_HOME/mail/bulletin-<key>/), so a
    later rebuild cannot change a message still waiting to be sent."""
    campaign = env.campaign
    people = recipients(env, this.cutoff)
    keys = {code: f"bulletin:{this.key}:{code}" for code, _, _ in people}
    unreachable = [{"unit": code, "name": name, "email": addr} for code, name, addr in people
                   if usable_address(addr) is None]
    reachable = [p for p in people if usable_address(p[2]) is not None]
    with session_scope(env.engine) as session:
        known = existing_keys(session, campaign.name, keys.values())
        todo = [p for p in reachable if keys[p[0]] not in known]
        if dry_run or not todo:
            return {"queued": 0, "exists": len(reachable) - len(todo), "planned": len(todo) if dry_run else 0,
                    "unreachable": unreachable}
        doc = json.loads((folder / "bulletin.json").read_text(encoding="utf-8"))
        kept = env.settings.path("mail", campaign.name, f"bulletin-{this.key}")
        charts = sorted((folder / "charts").glob("*.png"))
        images = [_write(kept / p.name, p.read_bytes()) for p in charts]
        attachment = shutil.copyfile(folder / "bulletin.xlsx", kept / _attachment_name(this))
        # the gallery link is relative to the published page: not in the email
        html = render("bulletin.html.j2", {**doc, "media": None}, campaign, {p.name: f"cid:{p.name}" for p in charts})
        message = dict(kind="bulletin", subject=f"【通报】{doc['title']}", html=html, text=html_to_text(html),
                       attachments=[attachment], inline_images=images)
        queued = len(enqueue_many(session, campaign.name, [dict(message, key=keys[code], to_name=name, to_addr=addr,
                                                                unit_code=code) for code, name, addr in todo]))
    return {"queued": queued, "exists": len(reachable) - queued, "planned": 0, "unreachable": unreachable}


def _ask(session, env: Env, this: Edition, doc: dict, folder: Path, approval, checks, run: RunInfo | None) -> None:
    """Tell the association's contact: a version to decide on (with the preview, the checks and
    the link to the waiting run), or one its checks kept from going out. Once per version."""
    campaign = env.campaign
    a = campaign.association
    blocked = not approval.checks_passed
    key = f"{'blocked' if blocked else 'approval'}:{OUTPUT[this.final]}:{this.key}:{approval.digest[:16]}"
    rule = campaign.approval(OUTPUT[this.final])
    h = doc["headline"]
    figures = [(label, _num(h[k])) for label, k in overview_rows(doc)]
    figures.append((f"{doc['home_share']['region']}地区全国平台统计捐步", _num(doc["home_share"]["region_steps"])))
    deadline = campaign.local(run.started + rule.timeout_delta) if run and run.started else None
    subject = (f"【通报未发布】{doc['title']}：数据校验未通过" if blocked else f"【待审批】{doc['title']}")
    html, text = render_mail("approval", subject=subject, title=doc["title"], blocked=blocked,
                             as_of=local_text(campaign, datetime.fromisoformat(doc["as_of"])),
                             failed=[c for c in checks if not c.success], checks=checks, figures=figures,
                             recipients=len(recipients(env, this.cutoff)) - 1, run_url=run.url if run else None,
                             deadline=f"{deadline:%m月%d日 %H:%M}" if deadline else None,
                             on_timeout="逾时未审批则本期通报暂不发布，批准后再发布。" if rule.on_timeout == "hold"
                             else "逾时未审批将自动发布。", **association_context(campaign))
    enqueue(session, campaign=campaign.name, key=key, kind="approval", to_name=f"{a.contact}（{a.short_name}）", to_addr=a.email,
            subject=subject, html=html, text=text, attachments=[folder / "index.html", folder / "bulletin.xlsx"])


def _num(value) -> str:
    return "—" if value is None else f"{value:,}"


def _attachment_name(this: Edition) -> str:
    return f"活动通报（{'总结' if this.final else day_text(this.day)}）.xlsx"
