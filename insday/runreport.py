"""What a scheduled flow run says it did, in Chinese, for the association's contact person: one
line per stage (logged by the stage's task), the deadline status table with titles, unit names
and local times, and the run's Markdown report (a Prefect artifact). Plain functions of the
stages' results; the flows and tasks only call them.
"""

from __future__ import annotations

import re
from datetime import datetime

from insday.campaign import Campaign

FLOWS = {"daily_run": "每日运行", "deadline_watch": "截止时间监控", "essay_awards": "征文评奖",
         "final_bulletin": "最终通报"}
STAGES = {"collect_inbox": "收取收件箱", "collect_imap": "收取邮箱", "pull_steps": "拉取步数",
          "step_summary": "步数汇总", "deadline_status": "截止情况", "send_reminders": "提醒和逾期通知",
          "publish_bulletin": "通报", "publish_essays": "征文评奖", "deliver_mail": "发送邮件"}
FILE_STATUS = {"accepted": "受理", "rejected": "退回", "duplicate": "重复", None: "（试运行）"}
KINDS = (("reminder", "提醒"), ("overdue", "逾期通知"), ("digest", "汇总"))


def artifact_key(campaign: Campaign, what: str) -> str:
    """A Prefect artifact key of the campaign's own (keys are shared by every campaign on a server):
    ``jilin-2019-daily-run-report``; lowercase letters, digits and dashes, as Prefect requires."""
    return re.sub(r"[^a-z0-9-]+", "-", f"{campaign.name}-{what}".lower())


def short_time(campaign: Campaign, moment: datetime | str | None) -> str:
    """``2019-06-25T16:00:00+08:00`` (or an aware datetime) -> ``06-25 16:00``, campaign time."""
    if moment is None or moment == "":
        return ""
    if not isinstance(moment, datetime):
        moment = datetime.fromisoformat(str(moment))
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=campaign.tz)
    return f"{campaign.local(moment):%m-%d %H:%M}"


def names(campaign: Campaign, codes) -> str:
    """``["C05", "P11"]`` -> ``长春、太平洋财险`` (the names the bulletin shows)."""
    return "、".join(campaign.display_name(c) for c in codes)


# ----- one line per stage ------------------------------------------------------


def _donations(block: dict) -> str:
    if not block or not block.get("files"):
        return ""
    return (f"；全国平台捐步记录 {len(block['files'])} 份：导入 {block['imported']}，重复 {block['duplicate']}，"
            f"未能导入 {block['rejected']}，暂缓 {block['deferred']}")


def collect_line(summary: dict) -> str:
    """``收件箱：收取文件 12 份：受理 10，退回 2，重复 0`` and what was left for later."""
    files = summary["files"]
    if summary.get("dry_run"):
        head = f"收件箱（试运行）：将收取文件 {len(files)} 份，未入库、未移动"
    else:
        head = (f"收件箱：收取文件 {len(files)} 份：受理 {summary['accepted']}，退回 {summary['rejected']}，"
                f"重复 {summary['duplicate']}")
    left = [f"{what} {len(summary[key])} 份" for key, what in
            (("waiting", "仍在写入"), ("later", "晚于运行时刻（留待以后收取）"), ("unreadable", "无法读取"))
            if summary.get(key)]
    return head + ("；" + "，".join(left) if left else "") + _donations(summary.get("donations"))


def imap_line(summary: dict) -> str:
    """The mailbox's line: messages, attachments and what became of them."""
    if not summary.get("enabled"):
        return "邮箱：未配置收件邮箱，跳过"
    files = sum(len(m["files"]) for m in summary["messages"])
    head = f"邮箱：邮件 {len(summary['messages'])} 封，附件 {files} 份"
    if summary.get("dry_run"):
        head += "（试运行：未入库）"
    else:
        head += f"：受理 {summary['accepted']}，退回 {summary['rejected']}，重复 {summary['duplicate']}"
    left = [f"{what} {summary[key]} 封" for key, what in (("later", "晚于运行时刻"), ("without_attachments", "无附件"))
            if summary.get(key)]
    return head + ("；" + "，".join(left) if left else "") + _donations(summary.get("donations"))


def steps_line(pull: dict | None) -> str:
    """What the pull of the national platform's step figures did."""
    if pull is None:
        return "拉取步数：试运行，未拉取"
    if pull.get("skipped"):
        why = "未配置全国平台接口" if "INSDAY_STEPS_API_URL" in pull["skipped"] else pull["skipped"]
        return f"拉取步数：未拉取（{why}）"
    days = pull.get("days") or []
    span = f"，{days[0][5:]} 至 {days[-1][5:]}" if len(days) > 1 else f"，{days[0][5:]}" if days else ""
    unlocks = pull.get("unlocks") or []
    return (f"拉取步数：全国平台 {pull['regions']} 条地区数据、{pull['units']} 条单位数据{span}"
            + (f"；新解锁 {len(unlocks)} 个地区" if unlocks else ""))


def summary_line(summary: dict) -> str:
    """The step figures as of the run."""
    if not summary.get("has_data"):
        return "步数汇总：尚无步数数据"
    unlocked = [r["name"] for r in summary["regions"] if r.get("unlocked_on")]
    reported = sum(u["steps"] for u in summary["units"])
    leader = summary["regions"][0] if summary["regions"] else None
    return (f"步数汇总：{len(summary['regions'])} 个地区，"
            + (f"{leader['name']}最多（{leader['own_steps']:,} 步），" if leader else "")
            + (f"已解锁 {len(unlocked)} 个（{'、'.join(unlocked)}）" if unlocked else "尚无地区解锁")
            + f"；各单位累计报送步数 {reported:,}")


def due_by(status: dict, as_of: datetime) -> list[dict]:
    """The deadlines of a status document that are due by ``as_of``."""
    return [d for d in status["deadlines"] if datetime.fromisoformat(str(d["due"])) <= as_of]


def status_line(campaign: Campaign, status: dict, as_of: datetime) -> str:
    """``截止情况：已截止 5 项，未报合计 12 家次；最近截止的「…」应报 63，按时 50，逾期 3，未报 10``."""
    due = due_by(status, as_of)
    closed = [d for d in due if d["closed"]]
    if not due:
        return "截止情况：截至运行时刻尚无到期的截止事项"
    head = f"截止情况：已到截止时间 {len(due)} 项（已截止 {len(closed)} 项），未报合计 {sum(d['missing'] for d in closed)} 家次"
    last = max(due, key=lambda d: d["due"])
    return (head + f"；最近的「{last['title']}」（{short_time(campaign, last['due'])} 截止）应报 {last['expected']}，"
            f"按时 {last['on_time']}，逾期 {last['late']}，未报 {last['missing']}"
            + (f"，尚可报送 {last['open']}" if last["open"] else "") + (f"，免报 {last['excused']}" if last["excused"] else ""))


def status_rows(campaign: Campaign, status: dict, as_of: datetime) -> list[dict]:
    """The deadline status table as the contact person reads it: titles, unit names, local times,
    the extensions, exemptions and voided files with their reasons."""
    rows = []
    for d in due_by(status, as_of):
        notes = [f"{campaign.display_name(e['unit'])}" + (f"延期至 {short_time(campaign, e['until'])}"
                                                          if e["kind"] == "extend" else "免报") + f"（{e['reason']}）"
                 for e in d.get("exceptions", ())]
        notes += [f"{campaign.display_name(v['unit'])}「{v['filename']}」已作废（{v['reason']}）"
                  for v in d.get("voided", ())]
        rows.append({"截止事项": d["title"], "截止时间": short_time(campaign, d["due"]), "应报": d["expected"],
                     "按时": d["on_time"], "逾期": d["late"], "未报": d["missing"], "免报": d.get("excused", 0),
                     "未报单位": names(campaign, d["missing_units"]) or ("—" if d["closed"] else "（未截止）"),
                     "说明": "；".join(notes)})
    return rows


def reminders_line(result: dict) -> str:
    """``提醒 5 封，逾期通知 2 封，汇总 1 封`` (new this run), what was sent before, who cannot be reached."""
    new = "planned" if result.get("dry_run") else "queued"
    counts = "，".join(f"{label} {sum(m['kind'] == kind and m['state'] == new for m in result['messages'])} 封"
                       for kind, label in KINDS)
    line = ("提醒（试运行，未发送）：将发" if result.get("dry_run") else "提醒和催报：") + counts
    before = sum(m["state"] == "exists" for m in result["messages"])
    if before:
        line += f"；此前已发 {before} 封，不重复发送"
    unreachable = result.get("unreachable") or []
    if unreachable:
        line += f"；无可用邮箱 {len(unreachable)} 家（请电话联系：{'、'.join(dict.fromkeys(u['name'] for u in unreachable))}）"
    return line


def mail_line(delivery: dict) -> str:
    """What the delivery of the outbox did."""
    sent = delivery["sent"]
    line = (f"发送邮件：已发送 {sent} 封" if delivery["transport"] == "smtp"
            else f"发送邮件：未配置发信服务器，{sent} 封写入发件箱文件夹")
    if delivery.get("failed"):
        line += f"，失败 {delivery['failed']} 封（稍后重试）"
    if delivery.get("pending"):
        line += f"，仍待发送 {delivery['pending']} 封"
    if delivery.get("error"):
        line += f"；发送中断：{delivery['error']}"
    return line


def bulletin_said(result: dict) -> str:
    """What became of a bulletin: published, waiting for approval, sent back, or a what-if."""
    approval, mail = result["approval"], result["mail"]
    if approval is None:
        return f"{'试运行' if result['dry_run'] else '模拟通报'}，写入 {result['folder']}，未发布、未发送"
    if approval["state"] == "approved":
        queued = f"，邮件新加入队列 {mail['queued']} 封" if mail else ""
        return f"已批准（{approval['by']}），已发布到 {result['folder']}{queued}"
    if approval["state"] == "rejected":
        return f"已退回（{approval['by']}：{approval['note']}），未发布"
    return "等待审批：已发邮件给省协会联系人，请在本次运行页面点击 Resume 审批"


def bulletin_line(result: dict) -> str:
    checks = result["checks"]
    passed = all(c["success"] for c in checks)
    return f"通报《{result['title']}》：数据校验 {len(checks)} 项{'全部通过' if passed else '有未通过'}；{bulletin_said(result)}"


def essays_line(result: dict) -> str:
    what = "入围名单" if result["stage"] == "shortlist" else "评选结果"
    counts = "，".join(f"{name} {n} 篇" for name, n in result.get("finalists", {}).items())
    return (f"征文{what}：计入评分表 {result['sheets']} 份" + (f"；入围 {counts}" if counts else "")
            + f"；{'试运行，' if result.get('dry_run') else ''}写入 {len(result['files'])} 个文件到 {result['folder']}"
            + ("；有截止后收到的评分表未计入" if result.get("late_sheets") else ""))


LINES = {"collect_inbox": collect_line, "collect_imap": imap_line, "pull_steps": steps_line,
         "step_summary": summary_line, "send_reminders": reminders_line, "deliver_mail": mail_line,
         "publish_bulletin": bulletin_line, "publish_essays": essays_line}


def stage_line(campaign: Campaign, name: str, result, as_of: datetime) -> str:
    if name == "deadline_status":
        return status_line(campaign, result, as_of)
    return LINES[name](result)


# ----- the run's report ------------------------------------------------------------


def _cell(value) -> str:
    return str(value).replace("|", "｜").replace("\n", " ")


def table(rows: list[dict]) -> list[str]:
    """A Markdown table of rows that share their keys."""
    if not rows:
        return []
    head = list(rows[0])
    return ["| " + " | ".join(head) + " |", "|" + " --- |" * len(head),
            *("| " + " | ".join(_cell(r[k]) for k in head) + " |" for r in rows)]


def received_rows(campaign: Campaign, results: dict) -> list[dict]:
    """Every file the run took (inbox and mailbox): which unit, which report, what became of it and why."""
    rows = []
    inbox = results.get("collect_inbox") or {}
    for f in inbox.get("files", ()):
        rows.append((f["path"], f))
    for m in (results.get("collect_imap") or {}).get("messages", ()):
        rows += [(f"{f['filename']}（{m['from']} 的邮件）", f) for f in m["files"]]
    out = []
    for name, f in rows:
        rtype = f.get("report_type")
        unknown = "—" if f.get("status") is None else "（未识别）"  # a dry run does not read the files
        out.append({"文件": name, "单位": campaign.display_name(f["unit"]) if f.get("unit") else unknown,
                    "报表": campaign.report_type(rtype).title if rtype in campaign.report_types else unknown,
                    "结果": FILE_STATUS.get(f.get("status"), f.get("status")),
                    "文件编号": f.get("submission") or "", "原因": "；".join(f.get("errors") or ())})
    return out


def run_report(campaign: Campaign, flow: str, as_of: datetime, *, dry_run: bool, results: dict,
               failed: dict[str, str], skipped: list[str], outbox: str, refused: str | None = None) -> str:
    """The Markdown a contact person reads as the report of one flow run: what each stage did,
    the files received (and why any was sent back), the deadline status, the bulletin or the
    essay results and where they are, the mail and where the outbox is, what failed or was refused."""
    title = FLOWS.get(flow, flow)
    lines = [f"## 运行报告：{title}", "", f"- 运行时刻：{campaign.local(as_of):%Y-%m-%d %H:%M}（北京时间）"]
    if dry_run:
        lines.append("- 试运行：只报告将做什么，未入库、未移动文件、未发送、未发布")
    if refused:
        return "\n".join([*lines, "", f"**未执行**：{refused}", "", "本次运行没有做任何操作，也没有通知技术联系人。"])
    if failed:
        lines.append("- 结果：**有步骤未完成**，已邮件通知技术联系人；修复后重新运行本流程即可（不会重复入库或重复发送）")
    else:
        lines.append("- 结果：全部完成")
    lines += ["", "### 各步骤", ""]
    for name, result in results.items():
        lines.append(f"- {stage_line(campaign, name, result, as_of)}")
    lines += [f"- {STAGES.get(n, n)}：**未完成**（{_cell(msg or '原因见运行日志')}）" for n, msg in failed.items()]
    lines += [f"- {STAGES.get(n, n)}：未运行（所需的前一步未完成）" for n in skipped]

    received = received_rows(campaign, results)
    if received:
        lines += ["", "### 收到的文件", "", *table(received)]
        if any(r["结果"] == "退回" for r in received):
            lines += ["", "退回的文件已邮件告知报送单位原因；单位改正后重新报送即可。"]
    status = results.get("deadline_status")
    if status is not None:
        rows = status_rows(campaign, status, as_of)
        lines += ["", "### 截止情况", ""] + (table(rows) or ["截至运行时刻尚无到期的截止事项。"])
    bulletin = results.get("publish_bulletin")
    if bulletin is not None:
        lines += ["", "### 通报", "", f"《{bulletin['title']}》{bulletin_said(bulletin)}。"]
        page = (bulletin.get("files") or {}).get("html")
        if page:
            lines.append(f"网页：`{page}`")
        failed_checks = [c for c in bulletin["checks"] if not c["success"]]
        lines += [f"- 未通过：{c['expectation']}" for c in failed_checks]
    essays = results.get("publish_essays")
    if essays is not None:
        lines += ["", "### 征文", "", essays_line(essays) + "。"]
    reminders = results.get("send_reminders")
    delivery = results.get("deliver_mail")
    if reminders is not None or delivery is not None:
        lines += ["", "### 邮件", ""]
        if reminders is not None:
            lines.append(f"- {reminders_line(reminders)}")
        if delivery is not None:
            lines.append(f"- {mail_line(delivery)}")
        lines.append(f"- 发件箱：`{outbox}`（每封邮件的副本；运行日志中有每一步的记录）")
    return "\n".join(lines)
