"""Member units and submissions: who sent which file, when, and what became of it."""

from __future__ import annotations

from datetime import date, datetime, timezone

from sqlalchemy import Date, ForeignKeyConstraint, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from insday.db.models.base import Base, JSONDoc
from insday.db.types import UTCDateTime


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


def campaign_column() -> Mapped[str]:
    """The campaign's name (its folder under campaigns/, e.g. ``jilin-2019``): every stored row
    belongs to one campaign, and every read and write names it (migration 0013)."""
    return mapped_column(String(64))


def unit_fk(column: str) -> ForeignKeyConstraint:
    """A unit column refers to the unit of the same campaign."""
    return ForeignKeyConstraint(["campaign", column], ["units.campaign", "units.code"])


class Unit(Base):
    """A member unit (or the association itself, kind 'association'), loaded from the roster."""

    __tablename__ = "units"

    campaign: Mapped[str] = mapped_column(String(64), primary_key=True)
    code: Mapped[str] = mapped_column(String(16), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    short_names: Mapped[list] = mapped_column(JSONDoc, default=list)
    kind: Mapped[str] = mapped_column(String(16))
    contact: Mapped[str] = mapped_column(String(100))
    email: Mapped[str] = mapped_column(String(200))
    phone: Mapped[str] = mapped_column(String(50))
    active: Mapped[bool] = mapped_column(default=True)


class Submission(Base):
    """One received file (by content hash) and its outcome.

    Accepted submissions carry a version per (unit, report type, period); a newer
    version supersedes older ones as of its ``received_at``. Rejected files keep
    their errors and count for nothing.
    """

    __tablename__ = "submissions"
    __table_args__ = (
        UniqueConstraint("campaign", "sha256"),
        UniqueConstraint("campaign", "unit_code", "report_type", "period_key", "version",
                         name="uq_submissions_campaign_unit_version"),
        Index("ix_submissions_lookup", "campaign", "report_type", "unit_code", "period_key", "received_at"),
        unit_fk("unit_code"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign: Mapped[str] = campaign_column()
    sha256: Mapped[str] = mapped_column(String(64))
    filename: Mapped[str] = mapped_column(Text)
    archive_path: Mapped[str] = mapped_column(Text)
    size: Mapped[int] = mapped_column(Integer)
    source: Mapped[str] = mapped_column(String(16), default="cli")
    sender: Mapped[str | None] = mapped_column(String(320))
    report_type: Mapped[str | None] = mapped_column(String(32))
    unit_code: Mapped[str | None] = mapped_column(String(16))
    period: Mapped[date | None] = mapped_column(Date)
    period_key: Mapped[str] = mapped_column(String(32), default="-")
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    status: Mapped[str] = mapped_column(String(16))
    timeliness: Mapped[str | None] = mapped_column(String(8))
    deadline_id: Mapped[str | None] = mapped_column(String(64))
    version: Mapped[int | None] = mapped_column(Integer)
    row_count: Mapped[int] = mapped_column(Integer, default=0)
    errors: Mapped[list] = mapped_column(JSONDoc, default=list)
    warnings: Mapped[list] = mapped_column(JSONDoc, default=list)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    voided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)  # stops counting from then (insday void)
    void_reason: Mapped[str | None] = mapped_column(Text)
