"""Roster changes with an effective moment: a unit joins (``add_unit``) or leaves
(``retire_unit``) the campaign from ``--from`` T on; deadlines due before T are unchanged.

Recorded in ``roster_changes`` with the moment it was decided, in the same transaction as its
audit log entry (``unit_add`` / ``unit_retire``); :mod:`insday.roster` applies them. An added
unit is also upserted into ``units`` (submissions refer to it). Asking for the same change
again records nothing and returns the first one (``repeated``).
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Literal, NotRequired, TypedDict

from sqlalchemy import select

from insday.actions import ActionError
from insday.actions.common import find_unit
from insday.audit import record
from insday.campaign import KIND_TITLES, Campaign, Unit, UnitKind, UnitRecord, _check_roster, text_key
from insday.db import session_scope
from insday.db.models import RosterChange, Unit as UnitRow
from insday.env import Env
from insday.mail.outbox import usable_address
from insday.roster import current, display_name

MEMBER_KINDS = ("property", "life", "city")


def _moment(campaign: Campaign, effective: datetime) -> datetime:
    """``effective`` as aware UTC (naive: the campaign's local time), inside the campaign."""
    if effective.tzinfo is None:
        effective = effective.replace(tzinfo=campaign.tz)
    first, last = campaign.at(campaign.start), campaign.at(campaign.end + timedelta(days=1))
    if not first <= effective <= last:
        raise ActionError(f"生效时间 {campaign.local(effective):%Y-%m-%d %H:%M} 不在活动期间"
                          f"（{campaign.start:%Y-%m-%d} 至 {campaign.end:%Y-%m-%d}），请核对 --from")
    return effective.astimezone(timezone.utc)


def _reason(reason: str | None) -> str:
    reason = (reason or "").strip()
    if not reason:
        raise ActionError("请写明原因（--reason），它会显示在报送情况和通报中")
    return reason


def _same(session, campaign: Campaign, kind: str, code: str) -> RosterChange | None:
    return session.scalars(select(RosterChange).where(
        RosterChange.campaign == campaign.name, RosterChange.kind == kind, RosterChange.unit_code == code)
        .order_by(RosterChange.id).limit(1)).first()


# ``insday units add|retire --json``: the roster change recorded ("from" is a keyword).
RosterChangeDone = TypedDict("RosterChangeDone", {
    "action": Literal["unit_add", "unit_retire"],
    "unit": str,
    "name": str,
    "full_name": str,
    "kind": UnitKind,
    "contact": str,
    "email": str,
    "from": str,  # when the change takes effect
    "reason": str,
    "actor": str,
    "at": str,  # when it was recorded
    "repeated": bool,  # the same change was recorded before: nothing new
    "log": int | None,  # its entry in the audit log (None when repeated)
})

# A roster change as ``insday units --json`` lists it under its unit.
UnitChange = TypedDict("UnitChange", {"kind": Literal["add", "retire"], "from": str, "reason": str})


class RosterUnit(UnitRecord):
    """``insday units --json``: one unit of the roster in effect."""

    changes: NotRequired[list[UnitChange]]  # only for a unit added or retired


def _result(campaign: Campaign, row: RosterChange, unit: Unit, repeated: bool, log: int | None) -> RosterChangeDone:
    return {"action": f"unit_{row.kind}", "unit": unit.code, "name": unit.display_name, "full_name": unit.name,
            "kind": unit.kind, "contact": unit.contact, "email": unit.email,
            "from": campaign.local(row.effective_at).isoformat(), "reason": row.reason, "actor": row.actor,
            "at": campaign.local(row.created_at).isoformat(), "repeated": repeated, "log": log}


def add_unit(env: Env, code: str, name: str, *, kind: str, contact: str, email: str, effective: datetime,
             reason: str, actor: str, display: str | None = None, short_names: tuple[str, ...] | list[str] = (),
             phone: str = "", at: datetime | None = None) -> RosterChangeDone:
    """Add unit ``code`` to the roster from ``effective`` on: expected for the deadlines due after
    it, reminded, chased and shown in the bulletins like any member."""
    at = at or datetime.now(timezone.utc)
    campaign = current(env, at)
    code, name, contact = (code or "").strip(), (name or "").strip(), (contact or "").strip()
    short = tuple(dict.fromkeys(s.strip() for s in short_names if s and s.strip()))
    if not code or not code.isascii() or " " in code or len(code) > 16:
        raise ActionError(f"单位代码「{code}」无效：请用不超过16位的字母和数字，如 P40")
    if not name:
        raise ActionError("请填写单位全称（--name）")
    if kind not in MEMBER_KINDS:
        raise ActionError(f"单位类型须为 {'、'.join(f'{k}（{KIND_TITLES[k]}）' for k in MEMBER_KINDS)} 之一，"
                          f"而不是「{kind}」")
    if not contact:
        raise ActionError("请填写联系人（--contact）：提醒和通报发给联系人")
    if usable_address(email) is None:
        raise ActionError(f"「{email}」不是可用的邮箱地址（--email）：提醒、回执和通报都发到这个邮箱")
    moment = _moment(campaign, effective)
    reason = _reason(reason)
    unit = Unit(code=code, name=name, display_name=display_name(name, short, (display or "").strip() or None),
                short_names=short, kind=kind, contact=contact, email=usable_address(email), phone=(phone or "").strip(),
                since=moment)
    with session_scope(env.engine) as session:
        earlier = _same(session, campaign, "add", code)
        if earlier is not None:
            if earlier.effective_at == moment and earlier.unit.get("name") == name:
                return _result(campaign, earlier, unit, True, None)  # the same change again: nothing new
            raise ActionError(f"单位代码 {code} 已于 {campaign.local(earlier.effective_at):%Y-%m-%d %H:%M} "
                              f"新增为「{earlier.unit.get('name')}」，不能再次新增")
        taken = campaign.unit_by_code.get(code)
        if taken is not None or code == campaign.association.code:
            owner = taken.name if taken else campaign.association.name
            raise ActionError(f"单位代码 {code} 已被「{owner}」使用，请换一个代码")
        try:
            _check_roster([*campaign.units, unit], campaign.association)
        except ValueError as exc:
            raise ActionError(f"{exc}：请换一个名称或简称") from None
        if text_key(name) in {text_key(n) for n in (campaign.association.name, campaign.association.short_name)}:
            raise ActionError(f"「{name}」是省协会自己的名称")
        detail = {"name": name, "display_name": unit.display_name, "short_names": list(short), "kind": kind,
                  "contact": contact, "email": unit.email, "phone": unit.phone}
        row = RosterChange(campaign=campaign.name, kind="add", unit_code=code, effective_at=moment, unit=detail,
                           reason=reason, actor=actor, created_at=at)
        session.add(row)
        stored = session.get(UnitRow, (campaign.name, code)) or UnitRow(campaign=campaign.name, code=code)
        stored.name, stored.short_names, stored.kind = name, list(short), kind
        stored.contact, stored.email, stored.phone, stored.active = contact, unit.email, unit.phone, True
        session.add(stored)
        entry = record(session, campaign.name, action="unit_add", actor=actor, unit=code, reason=reason,
                       detail={"from": campaign.local(moment).isoformat(), **detail}, at=at)
        return _result(campaign, row, unit, False, entry.id)


def retire_unit(env: Env, written_unit: str, effective: datetime, reason: str, actor: str,
                at: datetime | None = None) -> RosterChangeDone:
    """Retire a unit (its code or any name the roster knows) from ``effective`` on: not expected,
    reminded, chased or counted missing for the deadlines due after it; what it did before stays."""
    at = at or datetime.now(timezone.utc)
    campaign = current(env, at)
    unit = find_unit(campaign, written_unit)
    moment = _moment(campaign, effective)
    reason = _reason(reason)
    with session_scope(env.engine) as session:
        earlier = _same(session, campaign, "retire", unit.code)
        if earlier is not None:
            if earlier.effective_at == moment:
                return _result(campaign, earlier, unit, True, None)
            raise ActionError(f"{unit.display_name}已于 {campaign.local(earlier.effective_at):%Y-%m-%d %H:%M} 起退出，"
                              "不能再次退出")
        if unit.since is not None and moment <= unit.since:
            raise ActionError(f"{unit.display_name}自 {campaign.local(unit.since):%Y-%m-%d %H:%M} 起才加入，"
                              "退出时间须晚于加入时间")
        row = RosterChange(campaign=campaign.name, kind="retire", unit_code=unit.code, effective_at=moment,
                           unit={}, reason=reason, actor=actor, created_at=at)
        session.add(row)
        entry = record(session, campaign.name, action="unit_retire", actor=actor, unit=unit.code, reason=reason,
                       detail={"from": campaign.local(moment).isoformat()}, at=at)
        return _result(campaign, row, unit, False, entry.id)


def roster(env: Env, as_of: datetime | None = None) -> list[RosterUnit]:
    """The effective roster as ``insday units list --json`` prints it: every unit of units.csv
    and every added one, each as units.csv describes a unit, those changed with ``changes``."""
    campaign = current(env, as_of)
    changes: dict[str, list[UnitChange]] = {}
    for c in campaign.roster_changes:
        changes.setdefault(c.unit, []).append({"kind": c.kind, "from": campaign.local(c.effective).isoformat(),
                                               "reason": c.reason})
    return [{**u.as_dict(), **({"changes": changes[u.code]} if u.code in changes else {})} for u in campaign.units]

