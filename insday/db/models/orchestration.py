"""Leases: named, expiring locks in the database, so overlapping runs on any machine take turns."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from insday.db.models.base import Base
from insday.db.types import UTCDateTime


class Lease(Base):
    """Who holds the campaign's lease ``name`` (e.g. ``inbox``) and until when; see :mod:`insday.lease`."""

    __tablename__ = "leases"

    campaign: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    holder: Mapped[str] = mapped_column(String(200))
    acquired_at: Mapped[datetime] = mapped_column(UTCDateTime)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
