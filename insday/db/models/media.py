"""Photos and videos that came with a report (a daily report sent as a zip with its media)."""

from __future__ import annotations

from sqlalchemy import BigInteger, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from insday.db.models.base import Base


class ReportMedia(Base):
    """One photo or video file of a submission. The bytes are archived by their own hash
    (``archive_path`` under INSDAY_HOME/archive, as every received file); ``path`` is where
    the file sat inside the submitted zip."""

    __tablename__ = "report_media"

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign: Mapped[str] = mapped_column(String(64))
    submission_id: Mapped[int] = mapped_column(ForeignKey("submissions.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(16))  # a key of the report type's media: photos | videos
    path: Mapped[str] = mapped_column(Text)
    size: Mapped[int] = mapped_column(BigInteger)
    sha256: Mapped[str] = mapped_column(String(64))
    archive_path: Mapped[str] = mapped_column(Text)
