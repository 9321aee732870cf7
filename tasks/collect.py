"""Collect received files: the inbox folder and the IMAP mailbox."""

from __future__ import annotations

from datetime import datetime

from prefect import get_run_logger, task

from insday.tasks.common import RETRIES, current_env, run_label


@task(name="collect_inbox", timeout_seconds=1800, **RETRIES)
def collect_inbox(as_of: datetime | None = None, dry_run: bool = False) -> dict:
    """Archive and ingest the complete files in INSDAY_HOME/inbox/ modified by ``as_of``
    (all, if None), then move them to INSDAY_HOME/processed/<date>/."""
    from insday.collect.inbox import collect_inbox as collect

    summary = collect(current_env(), as_of, dry_run=dry_run, label=run_label())
    get_run_logger().info(
        "inbox: %d files (%d accepted, %d rejected, %d duplicate); %d still being written, "
        "%d modified after as_of, %d unreadable%s", len(summary["files"]), summary["accepted"],
        summary["rejected"], summary["duplicate"], len(summary["waiting"]), len(summary["later"]),
        len(summary["unreadable"]), " (dry run: nothing ingested or moved)" if dry_run else "")
    for rel in summary["unreadable"]:
        get_run_logger().warning("inbox: cannot read %s; left in place", rel)
    _log_donations("inbox", summary["donations"])
    return summary


def _log_donations(where: str, block: dict) -> None:
    """The donation exports a collection imported (the national platform's raw records)."""
    if not block["files"]:
        return
    logger = get_run_logger()
    logger.info("%s: donation exports: %d imported, %d duplicate, %d rejected, %d deferred", where,
                block["imported"], block["duplicate"], block["rejected"], block["deferred"])
    for f in block["files"]:
        if f["status"] == "imported":
            logger.info("%s: %s imported: %d records, %d counted", where, f["filename"], f["import"]["records"],
                        f["import"]["accepted"])
        elif f["status"] in ("rejected", "deferred"):
            logger.warning("%s: %s %s: %s", where, f["filename"], f["status"], f["error"])


@task(name="collect_imap", timeout_seconds=900, **RETRIES)
def collect_imap(as_of: datetime | None = None, dry_run: bool = False) -> dict:
    """Archive and ingest the attachments of unseen messages in the IMAP mailbox, then flag them seen."""
    from insday.collect.imap import collect_imap as collect

    summary = collect(current_env(), as_of, dry_run=dry_run, label=run_label())
    if not summary["enabled"]:
        get_run_logger().info("imap: no mailbox configured (INSDAY_IMAP_HOST)")
    else:
        get_run_logger().info("imap: %d messages (%d accepted, %d rejected, %d duplicate files), "
                              "%d arrived after as_of, %d without attachments", len(summary["messages"]),
                              summary["accepted"], summary["rejected"], summary["duplicate"], summary["later"],
                              summary["without_attachments"])
        _log_donations("imap", summary["donations"])
    return summary
