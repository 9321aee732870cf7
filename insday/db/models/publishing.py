"""Approvals: what the association's contact person decided about an output before it went out."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from insday.db.models.base import Base, JSONDoc
from insday.db.models.core import utcnow
from insday.db.types import UTCDateTime

APPROVAL_STATES = ("pending", "approved", "rejected")


class Approval(Base):
    """One version of one output (a bulletin, the essay results, ...) and its decision.

    ``digest`` is the sha256 of the output's document: an approval covers exactly the
    figures that were checked and shown in the preview; a rebuild with other figures is a
    new version that needs its own decision. ``checks`` holds the output expectations'
    results; a version whose checks failed is never approved.
    """

    __tablename__ = "approvals"
    __table_args__ = (
        UniqueConstraint("campaign", "output", "edition", "digest"),
        Index("ix_approvals_lookup", "campaign", "output", "edition", "requested_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign: Mapped[str] = mapped_column(String(64))
    output: Mapped[str] = mapped_column(String(32))  # daily_bulletin | final_bulletin | essay_results | ...
    edition: Mapped[str] = mapped_column(String(32))  # 2019-06-26 | final | shortlist | results | ...
    digest: Mapped[str] = mapped_column(String(64))
    title: Mapped[str] = mapped_column(Text)
    state: Mapped[str] = mapped_column(String(16), default="pending")
    checks_passed: Mapped[bool] = mapped_column(Boolean)
    checks: Mapped[list] = mapped_column(JSONDoc, default=list)
    preview: Mapped[str | None] = mapped_column(Text)  # the preview folder
    flow_run_id: Mapped[str | None] = mapped_column(String(64))  # the run waiting for the decision
    requested_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    decided_by: Mapped[str | None] = mapped_column(String(200))
    note: Mapped[str | None] = mapped_column(Text)
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
