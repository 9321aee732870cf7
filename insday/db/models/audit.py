"""The audit log: every human decision and admin action, who, when, what and why."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from insday.db.models.base import Base, JSONDoc
from insday.db.models.core import utcnow
from insday.db.types import UTCDateTime


class AuditEntry(Base):
    """One action, written in the same transaction as its effect (see :mod:`insday.audit`)."""

    __tablename__ = "audit_log"
    __table_args__ = (Index("ix_audit_log_campaign_at", "campaign", "at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign: Mapped[str] = mapped_column(String(64))
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    actor: Mapped[str] = mapped_column(String(200))
    action: Mapped[str] = mapped_column(String(32))
    unit_code: Mapped[str | None] = mapped_column(String(16))
    deadline_id: Mapped[str | None] = mapped_column(String(64))
    submission_id: Mapped[int | None] = mapped_column(Integer)
    reason: Mapped[str | None] = mapped_column(Text)
    detail: Mapped[dict] = mapped_column(JSONDoc, default=dict)
