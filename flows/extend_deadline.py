"""extend_deadline: one unit gets more time for one deadline (run on demand from the Prefect UI)."""

from __future__ import annotations

from datetime import datetime

from prefect import flow

from insday.actions.deadline import OverrideDone, extend
from insday.env import load_env
from insday.flows.common import ADMIN_HOOKS, report
from insday.flows.forms import DeadlineChoice, UnitChoice, actor, code


@flow(name="extend_deadline", flow_run_name="extend_deadline {unit}", **ADMIN_HOOKS)
def extend_deadline(unit: UnitChoice, deadline: DeadlineChoice, until: datetime, reason: str,
                    operator: str = "") -> OverrideDone:
    """给单位延期：该单位按自己的截止时间计算报送情况、提醒和逾期通知。Give one unit more time.

    Args:
        unit: 要延期的单位。The unit.
        deadline: 截止事项。The deadline.
        until: 延期后的截止时间（北京时间）。The unit's own due time.
        reason: 延期原因（显示在报送情况和通报中）。Why.
        operator: 操作人姓名（记入操作日志）。Who decides.
    """
    env = load_env()
    env.ensure_db()
    done = extend(env, code(unit), code(deadline), until, reason, actor(operator))
    report("extend", f"{done['name']}「{done['title']}」延期至 {done['until'][:16].replace('T', ' ')}（{done['reason']}）",
           done)
    return done
