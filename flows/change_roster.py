"""change_roster: a unit joins (新增) or leaves (退出) the roster from a moment on; deadlines due
before it are unchanged (run on demand from the Prefect UI)."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from prefect import flow

from insday.actions import ActionError
from insday.actions.roster import RosterChangeDone, add_unit, retire_unit
from insday.env import load_env
from insday.flows.common import ADMIN_HOOKS, report
from insday.flows.forms import RosterUnitChoice, actor, code

KINDS = {"财产险公司": "property", "人身险公司": "life", "地市协会": "city"}


@flow(name="change_roster", flow_run_name="change_roster {action}", **ADMIN_HOOKS)
def change_roster(action: Literal["新增", "退出"], effective: datetime, reason: str,
                  unit: RosterUnitChoice | None = None, unit_code: str = "", name: str = "", display_name: str = "",
                  unit_kind: Literal["财产险公司", "人身险公司", "地市协会"] | None = None, contact: str = "",
                  email: str = "", phone: str = "", operator: str = "") -> RosterChangeDone:
    """名单变更：新增或退出会员单位，自生效时间起计算报送情况、提醒、逾期通知和通报；此前的截止事项不变。
    Add a unit to the roster or retire one, from a moment on.

    Args:
        action: 新增：新单位加入活动；退出：单位不再参加活动。Add or retire.
        effective: 生效时间（北京时间）：此后截止的事项才按新名单计算。From when.
        reason: 原因（显示在报送情况和通报中）。Why.
        unit: 退出的单位（仅“退出”时选择）。The unit to retire.
        unit_code: 新单位的代码，如 P40（仅“新增”时填写）。The new unit's code.
        name: 新单位的全称（仅“新增”）。Its full name.
        display_name: 新单位在报送情况和通报中显示的简称（可留空）。Its short name.
        unit_kind: 新单位的类型（仅“新增”）。Its kind.
        contact: 新单位的联系人（提醒和通报发给此人）。Its contact.
        email: 联系人邮箱。The contact's email.
        phone: 联系人电话（可留空）。The contact's phone.
        operator: 操作人姓名（记入操作日志）。Who decides.
    """
    env = load_env()
    env.ensure_db()
    if action == "新增":
        if unit_kind is None:
            raise ActionError("新增单位须选择单位类型（财产险公司、人身险公司或地市协会）")
        done = add_unit(env, unit_code, name, kind=KINDS[unit_kind], contact=contact, email=email,
                        effective=effective, reason=reason, actor=actor(operator), display=display_name or None,
                        phone=phone)
    else:
        if not unit:
            raise ActionError("退出须选择单位")
        done = retire_unit(env, code(unit), effective, reason, actor(operator))
    again = "（此前已记录，未重复记录）" if done["repeated"] else ""
    report("change_roster", f"{done['name']}（{done['unit']}）自 {done['from'][:16].replace('T', ' ')} 起{action}"
                            f"（{done['reason']}）{again}", done)
    return done
