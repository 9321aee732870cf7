"""What the association's contact person decided about one unit and one deadline."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from insday.db.models.base import Base, JSONDoc
from insday.db.models.core import utcnow
from insday.db.types import UTCDateTime


class DeadlineOverride(Base):
    """An extension (``until``: the unit's own due time) or an exemption (``excuse``: the unit is
    not expected) of one unit for one deadline, known from ``created_at`` on; the newest one
    known at a moment is the one that holds."""

    __tablename__ = "deadline_overrides"
    __table_args__ = (Index("ix_deadline_overrides_lookup", "campaign", "deadline_id", "unit_code", "created_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign: Mapped[str] = mapped_column(String(64))
    unit_code: Mapped[str] = mapped_column(String(16))
    deadline_id: Mapped[str] = mapped_column(String(64))
    kind: Mapped[str] = mapped_column(String(16))  # extend | excuse
    until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    reason: Mapped[str] = mapped_column(Text)
    actor: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class RosterChange(Base):
    """A unit joining (``add``, with everything the roster knows of a unit) or leaving (``retire``)
    the campaign's roster from ``effective_at`` on; known from ``created_at`` on. units.csv plus
    these is the effective roster (:mod:`insday.roster`)."""

    __tablename__ = "roster_changes"
    __table_args__ = (Index("ix_roster_changes_lookup", "campaign", "unit_code", "created_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign: Mapped[str] = mapped_column(String(64))
    kind: Mapped[str] = mapped_column(String(16))  # add | retire
    unit_code: Mapped[str] = mapped_column(String(16))
    effective_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # add: the unit as units.csv describes one (name, display_name, short_names, kind, contact, email, phone)
    unit: Mapped[dict] = mapped_column(JSONDoc, default=dict)
    reason: Mapped[str] = mapped_column(Text)
    actor: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
