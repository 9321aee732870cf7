"""The essay roster (征文作品), loaded from the campaign's essays.csv by `insday init`."""

from __future__ import annotations

from sqlalchemy import Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from insday.db.models.base import Base
from insday.db.models.core import unit_fk


class Essay(Base):
    """One contest essay; essays no longer listed in the roster become inactive."""

    __tablename__ = "essays"
    __table_args__ = (unit_fk("unit"), Index("ix_essays_unit", "campaign", "unit"))

    campaign: Mapped[str] = mapped_column(String(64), primary_key=True)
    id: Mapped[str] = mapped_column(String(16), primary_key=True)
    title: Mapped[str] = mapped_column(Text)
    author: Mapped[str] = mapped_column(String(100))
    unit: Mapped[str] = mapped_column(String(16))
    category: Mapped[str] = mapped_column(String(32))
    active: Mapped[bool] = mapped_column(default=True)
