"""Withdrawn short videos: the notice forbids videos with negative content; the association
withdraws such a video (by its link, or the id of its row in the videos report) with a
reason, and from that moment it is on no daily board, in no submission count and on no
certificate list. Before it, what was published stays as it was (knowledge time)."""

from __future__ import annotations

from datetime import datetime
from typing import TypedDict

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from insday import audit
from insday.campaign import text_key
from insday.db import session_scope
from insday.db.models import Submission, VideoWithdrawal, utcnow
from insday.db.models.reports import VideoLeaderboardRow, VideoRow
from insday.env import Env
from insday.intake.bundle import URL
from insday.reports.common import fetch_as_of

ACTION = "video_withdraw"


class VideoNotFound(LookupError):
    """No video with that link or id was reported; the text is for the association."""


def _link(text: str) -> str:
    found = URL.search(text)
    return found.group(0) if found else text.strip()


def find_video(env: Env, link_or_id: str | int) -> dict:
    """The reported video a link (share text allowed) or a ``video_rows`` id names:
    ``{"link", "unit", "title", "author"}`` as last reported (else as on a daily board)."""
    text = str(link_or_id).strip()
    with session_scope(env.engine) as s:
        accepted = (Submission.campaign == env.campaign.name) & (Submission.status == "accepted")
        if text.isdigit():
            row = s.scalar(select(VideoRow).join(Submission, Submission.id == VideoRow.submission_id)
                           .where(accepted, VideoRow.id == int(text)))
            if row is None:
                raise VideoNotFound(f"未找到编号为 {text} 的短视频作品")
            link = row.link
        else:
            link = _link(text)
        row = s.scalar(select(VideoRow).join(Submission, Submission.id == VideoRow.submission_id)
                       .where(accepted, VideoRow.link == link)
                       .order_by(Submission.received_at.desc(), VideoRow.id.desc()).limit(1))
        if row is not None:
            return {"link": link, "unit": row.unit, "title": row.title, "author": row.author}
        boards = s.scalars(select(VideoLeaderboardRow).join(Submission, Submission.id == VideoLeaderboardRow.submission_id)
                           .where(accepted, VideoLeaderboardRow.link.is_not(None))
                           .order_by(Submission.received_at.desc(), VideoLeaderboardRow.id.desc()))
        board = next((b for b in boards if _link(b.link) == link), None)
        if board is not None:
            return {"link": link, "unit": board.unit, "title": board.title, "author": board.author}
    raise VideoNotFound(f"未找到链接为「{link}」的短视频：短视频作品报送和达人榜中都没有这个链接，请核对")


class WithdrawalDone(TypedDict):
    """``insday videos withdraw --json`` (``withdrawn_at`` prints as ``str()``)."""

    link: str
    unit: str | None
    title: str
    author: str
    reason: str
    actor: str
    withdrawn_at: datetime
    created: bool  # False: it had been withdrawn before (nothing changed)


def withdraw_video(env: Env, link_or_id: str | int, reason: str, actor: str, *,
                   at: datetime | None = None) -> WithdrawalDone:
    """Withdraw a video (one transaction, with its audit-log entry)."""
    if not (reason or "").strip():
        raise ValueError("请写明撤下的原因（--reason）")
    video = find_video(env, link_or_id)
    campaign = env.campaign.name
    try:
        with session_scope(env.engine) as s:
            done = s.scalar(select(VideoWithdrawal).where(VideoWithdrawal.campaign == campaign,
                                                          VideoWithdrawal.link == video["link"]))
            if done is None:
                done = VideoWithdrawal(campaign=campaign, link=video["link"], unit_code=video["unit"],
                                       title=video["title"], author=video["author"], reason=reason.strip(),
                                       actor=actor, withdrawn_at=at or utcnow())
                s.add(done)
                s.flush()
                audit.record(s, campaign, action=ACTION, actor=actor, unit=video["unit"], reason=done.reason,
                             detail={"link": video["link"], "title": video["title"], "author": video["author"]},
                             at=done.withdrawn_at)
                created = True
            else:
                created = False
            return {"link": done.link, "unit": done.unit_code, "title": done.title, "author": done.author,
                    "reason": done.reason, "actor": done.actor, "withdrawn_at": done.withdrawn_at,
                    "created": created}
    except IntegrityError:  # withdrawn at the same moment by another run
        return {**withdraw_video(env, video["link"], reason, actor, at=at), "created": False}


def withdrawn_videos(env: Env, as_of: datetime) -> list[dict]:
    """The videos withdrawn by ``as_of``, oldest first."""
    return fetch_as_of(env, "marts/reports/video_withdrawals", as_of)


def withdrawn_test(withdrawn: list[dict]):
    """A predicate on board and video rows: is this one of the withdrawn videos? By link,
    or, for a board entry without a link, by unit and title."""
    links = {w["link"] for w in withdrawn}
    named = {(w["unit"], text_key(w["title"])) for w in withdrawn if w["unit"] and w["title"]}

    def gone(row: dict) -> bool:
        link = row.get("link")
        return (bool(link) and _link(link) in links) or (row.get("unit"), text_key(row.get("title") or "")) in named

    return gone
