"""excuse_unit: one unit is not expected for one deadline, 免报 (run on demand from the Prefect UI)."""

from __future__ import annotations

from prefect import flow

from insday.actions.deadline import OverrideDone, excuse
from insday.env import load_env
from insday.flows.common import ADMIN_HOOKS, report
from insday.flows.forms import DeadlineChoice, UnitChoice, actor, code


@flow(name="excuse_unit", flow_run_name="excuse_unit {unit}", **ADMIN_HOOKS)
def excuse_unit(unit: UnitChoice, deadline: DeadlineChoice, reason: str, operator: str = "") -> OverrideDone:
    """单位免报：不再列为未报送，显示“免报”及原因。Excuse one unit from one deadline.

    Args:
        unit: 免报的单位。The unit.
        deadline: 截止事项。The deadline.
        reason: 免报原因（显示在报送情况和通报中）。Why.
        operator: 操作人姓名（记入操作日志）。Who decides.
    """
    env = load_env()
    env.ensure_db()
    done = excuse(env, code(unit), code(deadline), reason, actor(operator))
    report("excuse", f"{done['name']}「{done['title']}」免报（{done['reason']}）", done)
    return done
