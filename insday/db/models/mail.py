"""The outbox: every email the pipeline sends, queued in the transaction that caused it.

``key`` is the message's idempotency key (``reminder:<deadline>:<unit>:<offset>``,
``overdue:<deadline>:<unit>``, ``digest:<deadline>``, ``receipt:<sha256>:<status>``,
``bulletin:<date>:<recipient>``): a second message with the same key is never queued,
so nothing is sent twice (keys are unique per campaign), whatever reruns or overlapping runs do.

Status: ``queued`` (waiting), ``sending`` (claimed by one delivery run), ``sent``,
``failed`` (the last attempt failed; retried while ``attempts`` is below the limit).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from insday.db.models.base import Base, JSONDoc
from insday.db.models.core import campaign_column, utcnow
from insday.db.types import UTCDateTime

KINDS = ("receipt", "reminder", "overdue", "digest", "bulletin", "alert", "approval", "notice")
STATUSES = ("queued", "sending", "sent", "failed")


class OutboxMessage(Base):
    __tablename__ = "outbox"
    __table_args__ = (UniqueConstraint("campaign", "key"),
                      Index("ix_outbox_status_next", "campaign", "status", "next_attempt_at"))

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign: Mapped[str] = campaign_column()
    key: Mapped[str] = mapped_column(String(255))
    kind: Mapped[str] = mapped_column(String(16), index=True)
    deadline_id: Mapped[str | None] = mapped_column(String(64))
    unit_code: Mapped[str | None] = mapped_column(String(16))
    to_name: Mapped[str] = mapped_column(String(200), default="")
    to_addr: Mapped[str] = mapped_column(String(320))
    subject: Mapped[str] = mapped_column(Text)
    html: Mapped[str] = mapped_column(Text)
    text: Mapped[str] = mapped_column(Text)
    attachments: Mapped[list] = mapped_column(JSONDoc, default=list)  # file paths
    inline_images: Mapped[list] = mapped_column(JSONDoc, default=list)  # file paths, cid = file name
    status: Mapped[str] = mapped_column(String(16), default="queued")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(Text)
    next_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    claimed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    message_id: Mapped[str | None] = mapped_column(String(255))
