"""Collect received files: the inbox folder and the IMAP mailbox."""

from __future__ import annotations

from datetime import datetime

from prefect import get_run_logger, task

from insday.collect import imap, inbox
from insday.collect.imap import ImapOff, ImapReport
from insday.collect.inbox import InboxReport
from insday.runreport import collect_line, imap_line
from insday.tasks.common import RETRIES, current_env, run_label


@task(name="collect_inbox", timeout_seconds=1800, **RETRIES)
def collect_inbox(as_of: datetime | None = None, dry_run: bool = False) -> InboxReport:
    """Archive and ingest the complete files in INSDAY_HOME/inbox/ modified by ``as_of``
    (all, if None), then move them to INSDAY_HOME/processed/<date>/."""
    summary = inbox.collect_inbox(current_env(), as_of, dry_run=dry_run, label=run_label())
    get_run_logger().info(collect_line(summary))
    for rel in summary["unreadable"]:
        get_run_logger().warning("收件箱：无法读取「%s」，留在收件箱中", rel)
    _log_files(summary["files"], "path")
    _log_donations(summary["donations"])
    return summary


def _log_files(files: list[dict], name: str) -> None:
    """A warning per file sent back, with why (the unit was emailed the same)."""
    for f in files:
        if f.get("status") == "rejected":
            get_run_logger().warning("退回「%s」：%s", f[name], "；".join(f.get("errors") or ()) or "见回执")


def _log_donations(block: dict) -> None:
    """The donation exports that could not be imported (the national platform's raw records)."""
    for f in block["files"]:
        if f["status"] in ("rejected", "deferred"):
            get_run_logger().warning("捐步记录「%s」%s：%s", f["filename"],
                                     "未能导入" if f["status"] == "rejected" else "暂缓导入", f["error"])


@task(name="collect_imap", timeout_seconds=900, **RETRIES)
def collect_imap(as_of: datetime | None = None, dry_run: bool = False) -> ImapReport | ImapOff:
    """Archive and ingest the attachments of unseen messages in the IMAP mailbox, then flag them seen."""
    summary = imap.collect_imap(current_env(), as_of, dry_run=dry_run, label=run_label())
    get_run_logger().info(imap_line(summary))
    if summary["enabled"]:
        for m in summary["messages"]:
            _log_files(m["files"], "filename")
        _log_donations(summary["donations"])
    return summary
