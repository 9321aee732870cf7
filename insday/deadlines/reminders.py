"""Reminders before each deadline, overdue notices after it, and the association's digest.

For every tracked deadline, as of a moment (see ``insday.deadlines.status`` for who is
open, late or missing):

- **reminder** (``reminder:<deadline>:<unit>:<offset>``): while ``due - offset <= as_of <
  due`` for one of the deadline's reminder offsets, to each unit with no valid file yet.
  Only the latest offset whose moment has come is sent: a run after a missed schedule
  sends that one, never a backlog of older ones.
- **overdue** (``overdue:<deadline>:<unit>``): once the deadline has closed (due + grace)
  and for ``catch_up`` after that (campaign.yaml, default 1 day), to each missing unit.
- **digest** (``digest:<deadline>``): in the same window, one message to the association's
  contact listing every missing unit of the deadline with phone and email (units with no
  usable address are marked, never skipped), the late ones, and what is still missing
  from every other closed deadline.

Every key is unique in the outbox, so each message is queued at most once, ever, across
reruns and overlapping runs. Messages carry the blank template of the report.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Literal, TypedDict

from insday.db import session_scope
from insday.deadlines import duration_label, duration_text
from insday.deadlines.status import DeadlineState, evaluate
from insday.env import Env
from insday.mail import deliver
from insday.mail.compose import association_context, blank_template, render, unit_recipient, when, when_short
from insday.mail.delivery import DeliveryReport
from insday.mail.outbox import enqueue_many, existing_keys, usable_address
from insday.roster import effective
from insday.templates import template_filename

MessageState = Literal["planned", "queued", "exists"]


class PlannedMessage(TypedDict):
    """A reminder, overdue notice or digest due at the moment."""

    key: str  # unique in the outbox: reminder:<deadline>:<unit>:<offset>, overdue:<deadline>:<unit>, digest:<deadline>
    kind: Literal["reminder", "overdue", "digest"]
    deadline_id: str
    unit: str | None  # None for the digest (to the association's contact)
    to_name: str
    to: str
    subject: str
    state: MessageState  # queued: by this run; exists: queued before (never twice); planned: dry run


class Unreachable(TypedDict):
    """A message that could not be queued: the unit (or the association) has no usable address."""

    deadline_id: str
    kind: Literal["reminder", "overdue", "digest"]
    unit: str
    name: str
    contact: str
    phone: str
    email: str


class RemindReport(TypedDict):
    """``insday remind --json`` and the ``send_reminders`` task."""

    as_of: str
    dry_run: bool
    messages: list[PlannedMessage]
    counts: dict[MessageState, int]  # every state, 0 included
    unreachable: list[Unreachable]
    delivery: DeliveryReport | None  # None when nothing was sent (dry run, or ``send=False``)


@dataclass
class Planned:
    key: str
    kind: str
    deadline_id: str
    unit_code: str | None
    to_name: str
    to_addr: str
    subject: str
    html: str
    text: str
    attachments: list[Path] = field(default_factory=list)
    state: str = "planned"  # planned (dry run) | queued (by this run) | exists (already in the outbox)

    def as_dict(self) -> PlannedMessage:
        return {"key": self.key, "kind": self.kind, "deadline_id": self.deadline_id, "unit": self.unit_code,
                "to_name": self.to_name, "to": self.to_addr, "subject": self.subject, "state": self.state}


class _Planner:
    def __init__(self, env: Env, as_of: datetime, states: list[DeadlineState], write_templates: bool = True,
                 campaign=None):
        # campaign: with the roster as known at as_of (insday.roster), so added units are reached
        self.env, self.campaign, self.as_of, self.states = env, campaign or env.campaign, as_of, states
        self.write_templates = write_templates
        self.messages: list[Planned] = []
        self.unreachable: list[Unreachable] = []
        self._templates: dict[str, Path] = {}
        self._common = association_context(self.campaign)

    def template(self, report_type: str) -> Path:
        if report_type not in self._templates:
            if self.write_templates:
                path = blank_template(self.env.settings, self.campaign, report_type)
            else:  # a dry run names the template without writing it
                path = self.env.settings.path("templates", self.campaign.name) / template_filename(self.campaign.report_type(report_type))
            self._templates[report_type] = path
        return self._templates[report_type]

    def run(self) -> None:
        for s in self.states:
            d = s.deadline
            for u in s.units:
                # a unit given more time is reminded and chased against its own due time; its
                # keys carry that time, so a second extension is reminded again
                own = f"@{self.campaign.local(u.due):%Y%m%dT%H%M}" if u.due else ""
                offset = d.current_reminder(self.as_of, u.due) if u.state == "open" else None
                if offset is not None:
                    self.unit_message(s, u.code, "reminder", f"reminder:{d.id}:{u.code}:{duration_label(offset)}{own}")
                if u.state == "missing" and d.notices_due(self.as_of, u.due):
                    self.unit_message(s, u.code, "overdue", f"overdue:{d.id}:{u.code}{own}")
            if d.notices_due(self.as_of) and d.units:
                self.digest(s)

    def contact(self, code: str) -> dict:
        unit = self.campaign.unit_by_code.get(code)
        if unit is None:  # e.g. a claimant no longer on the roster
            return {"unit": code, "name": code, "contact": "", "phone": "", "email": ""}
        return {"unit": code, "name": unit.display_name, "contact": unit.contact, "phone": unit.phone, "email": unit.email}

    def unit_message(self, s: DeadlineState, code: str, kind: str, key: str) -> None:
        c, d = self.campaign, s.deadline
        unit = c.unit_by_code.get(code)
        if unit is None or not usable_address(unit.email):
            self.unreachable.append({"deadline_id": d.id, "kind": kind, **self.contact(code)})
            return
        to_name, to_addr = unit_recipient(unit)
        rt = c.report_type(d.report_type)
        template = self.template(d.report_type)
        progress = s.progress(code)
        due = progress.due or d.due  # the unit's own due time where it was given more time
        if kind == "reminder":
            subject = f"【报送提醒】请于{when_short(c, due)}前报送「{d.title}」"
        else:
            subject = f"【逾期未报送】「{d.title}」已于{when_short(c, due)}截止，请尽快补报"
        html, text = render("reminder", subject=subject, kind=kind, greeting=to_name, unit_name=unit.display_name,
                            title=d.title, due=when(c, due), remaining=duration_text(due - self.as_of),
                            overdue_by=duration_text(self.as_of - due), tried=progress.rejected_files,
                            extended=progress.reason if progress.due else None,
                            template_name=template.name, instructions=list(rt.instructions), **self._common)
        self.messages.append(Planned(key, kind, d.id, code, to_name, to_addr, subject, html, text, [template]))

    def digest(self, s: DeadlineState) -> None:
        c, d = self.campaign, s.deadline
        a = c.association
        rows = []
        for code in s.codes("missing"):
            row = self.contact(code)
            row["reachable"] = code in c.unit_by_code and usable_address(row["email"]) is not None
            tried = s.progress(code).rejected_files
            row["note"] = "已发逾期通知" if row["reachable"] else "无可用邮箱，未能通知，请电话联系"
            if tried:
                row["note"] = f"曾报送{tried}份文件但未通过校验；{row['note']}"
            rows.append(row)
        late_rows = [{"name": c.display_name(u.code), "received": when_short(c, u.first_at)}
                     for u in s.units if u.state == "late"]
        others = [{"title": o.deadline.title, "due": when_short(c, o.deadline.due),
                   "names": [c.display_name(code) for code in o.codes("missing")]}
                  for o in self.states if o is not s and o.closed and o.codes("missing")]
        if rows:
            subject = f"【未报送汇总】{d.title}：{len(rows)}家单位未报送"
        else:
            subject = f"【报送汇总】{d.title}：全部{len(d.units)}家单位已报送"
        if not usable_address(a.email):
            self.unreachable.append({"deadline_id": d.id, "kind": "digest", "unit": a.code, "name": a.name,
                                     "contact": a.contact, "phone": a.phone, "email": a.email})
            return
        html, text = render("digest", subject=subject, title=d.title, closes=when(c, d.closes),
                            as_of=when(c, self.as_of), expected=len(d.units), on_time=len(s.codes("on_time")),
                            late=len(late_rows), rows=rows, unreachable=sum(not r["reachable"] for r in rows),
                            late_rows=late_rows, others=others, **self._common)
        self.messages.append(Planned(f"digest:{d.id}", "digest", d.id, None, f"{a.contact}（{a.short_name}）",
                                     a.email, subject, html, text))


def plan_reminders(env: Env, as_of: datetime, write_templates: bool = True) -> tuple[list[Planned], list[dict]]:
    """What is due at ``as_of``: the messages (rendered) and the units no message can reach.

    ``write_templates=False`` (dry runs) names the blank templates without generating them.
    """
    with env.engine.connect() as conn:
        campaign = effective(conn, env.campaign, as_of)
        states = evaluate(conn, campaign, as_of)
    planner = _Planner(env, as_of, states, write_templates, campaign)
    planner.run()
    return planner.messages, planner.unreachable


def run_reminders(env: Env, as_of: datetime, dry_run: bool = False, *, send: bool = True) -> RemindReport:
    """Plan what is due at ``as_of``, queue it (each key at most once, ever) and deliver.

    ``dry_run`` queues and sends nothing and reports what would be queued; ``send=False``
    queues without delivering (a later ``insday.mail.deliver`` sends it).
    """
    messages, unreachable = plan_reminders(env, as_of, write_templates=not dry_run)
    with session_scope(env.engine) as session:
        if dry_run:
            known = existing_keys(session, env.campaign.name, [m.key for m in messages])
            for m in messages:
                m.state = "exists" if m.key in known else "planned"
        else:
            queued = enqueue_many(session, env.campaign.name, [dict(
                key=m.key, kind=m.kind, to_name=m.to_name, to_addr=m.to_addr, subject=m.subject, html=m.html,
                text=m.text, attachments=m.attachments, deadline_id=m.deadline_id, unit_code=m.unit_code)
                for m in messages])
            for m in messages:
                m.state = "queued" if m.key in queued else "exists"
    delivery = None
    if send and not dry_run:
        delivery = deliver(env)
    counts = {state: sum(m.state == state for m in messages) for state in ("planned", "queued", "exists")}
    return {"as_of": env.campaign.local(as_of).isoformat(), "dry_run": dry_run,
            "messages": [m.as_dict() for m in messages], "counts": counts, "unreachable": unreachable,
            "delivery": delivery}
