"""void_submission: a wrongly accepted file stops counting; the unit is told (run on demand)."""

from __future__ import annotations

from prefect import flow

from insday.actions.void import VoidDone, void
from insday.env import load_env
from insday.flows.common import ADMIN_HOOKS, report
from insday.flows.forms import actor
from insday.tasks.mail import deliver_mail


@flow(name="void_submission", flow_run_name="void_submission {submission}", **ADMIN_HOOKS)
def void_submission(submission: int, reason: str, operator: str = "") -> VoidDone:
    """作废文件：已受理的文件不再计入（此前的版本重新计入），并邮件通知报送单位。Void a file.

    Args:
        submission: 文件编号（回执和运行报告中的“文件编号”）。The submission id.
        reason: 作废原因（写入给报送单位的通知）。Why.
        operator: 操作人姓名（记入操作日志）。Who decides.
    """
    env = load_env()
    env.ensure_db()
    done = void(env, submission, reason, actor(operator))
    deliver_mail()
    again = f"，第 {done['counts_again']} 号文件重新计入" if done["counts_again"] else ""
    report("void", f"已作废 {done['name'] or ''}「{done['filename']}」（{done['report']}）{again}；"
                   f"{'已邮件通知报送单位' if done['told'] else '该单位没有可用邮箱，请电话通知'}", done)
    return done
