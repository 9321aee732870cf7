"""Short videos the association has withdrawn (negative content): they leave the daily
boards and the certificate list from the moment of withdrawal on."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from insday.db.models.base import Base
from insday.db.models.core import utcnow
from insday.db.types import UTCDateTime


class VideoWithdrawal(Base):
    """One withdrawn video, by its link; unit, title and author as reported, so a board
    entry without a link is recognised too."""

    __tablename__ = "video_withdrawals"
    __table_args__ = (UniqueConstraint("campaign", "link"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign: Mapped[str] = mapped_column(String(64))
    link: Mapped[str] = mapped_column(Text)
    unit_code: Mapped[str | None] = mapped_column(String(16))
    title: Mapped[str | None] = mapped_column(Text)
    author: Mapped[str | None] = mapped_column(String(100))
    reason: Mapped[str] = mapped_column(Text)
    actor: Mapped[str] = mapped_column(String(200))
    withdrawn_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
