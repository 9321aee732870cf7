"""Accepted rows, one table per tabular report type.

Column names equal the column keys of the report type in campaign.yaml; a unit
column holds the member code. ``row_no`` is the row number as Excel shows it.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import BigInteger, Date, Float, ForeignKey, Index, Integer, Numeric, String, Text
from sqlalchemy.orm import Mapped, declared_attr, mapped_column

from insday.db.models.base import Base
from insday.db.models.core import campaign_column, unit_fk
from insday.db.types import UTCDateTime

Money = Numeric(18, 2)


class _Rows:
    id: Mapped[int] = mapped_column(primary_key=True)
    campaign: Mapped[str] = campaign_column()
    row_no: Mapped[int] = mapped_column(Integer)

    @declared_attr
    def submission_id(cls) -> Mapped[int]:
        return mapped_column(ForeignKey("submissions.id", ondelete="CASCADE"), index=True)


def _unit() -> Mapped[str]:
    return mapped_column(String(16))


def _unit_keys(table: str, column: str = "unit") -> tuple:
    """The unit column refers to the campaign's unit, and is indexed with the campaign."""
    return unit_fk(column), Index(f"ix_{table}_{column}", "campaign", column)


class DailyReport(_Rows, Base):
    __tablename__ = "daily_reports"
    __table_args__ = _unit_keys("daily_reports")
    report_date: Mapped[date] = mapped_column(Date)
    unit: Mapped[str] = _unit()
    participants: Mapped[int] = mapped_column(Integer)
    steps: Mapped[int] = mapped_column(BigInteger)
    photos: Mapped[int | None] = mapped_column(Integer)
    videos: Mapped[int | None] = mapped_column(Integer)
    media_links: Mapped[str | None] = mapped_column(Text)
    contact: Mapped[str | None] = mapped_column(String(100))
    phone: Mapped[str | None] = mapped_column(String(50))


class ScoringSheetRow(_Rows, Base):
    __tablename__ = "scoring_sheet_rows"
    __table_args__ = _unit_keys("scoring_sheet_rows")
    essay_id: Mapped[str] = mapped_column(String(16))
    title: Mapped[str | None] = mapped_column(Text)
    category: Mapped[str | None] = mapped_column(String(32))
    unit: Mapped[str] = _unit()
    s_case: Mapped[float | None] = mapped_column(Float)
    s_person: Mapped[float | None] = mapped_column(Float)
    s_theme: Mapped[float | None] = mapped_column(Float)
    s_emotion: Mapped[float | None] = mapped_column(Float)
    s_structure: Mapped[float | None] = mapped_column(Float)
    s_language: Mapped[float | None] = mapped_column(Float)
    total: Mapped[float | None] = mapped_column(Float)


class VoteRow(_Rows, Base):
    __tablename__ = "vote_rows"
    essay_id: Mapped[str] = mapped_column(String(16))
    title: Mapped[str | None] = mapped_column(Text)
    votes: Mapped[int] = mapped_column(Integer)


class IndicatorRow(_Rows, Base):
    __tablename__ = "indicator_rows"
    __table_args__ = _unit_keys("indicator_rows")
    unit: Mapped[str] = _unit()
    claims_paid: Mapped[Decimal] = mapped_column(Money)
    tax_paid: Mapped[Decimal] = mapped_column(Money)
    employees: Mapped[int] = mapped_column(Integer)
    agents: Mapped[int] = mapped_column(Integer)
    poverty_coverage: Mapped[Decimal] = mapped_column(Money)
    poverty_people: Mapped[int] = mapped_column(Integer)
    contact: Mapped[str | None] = mapped_column(String(100))
    phone: Mapped[str | None] = mapped_column(String(50))


class EventRow(_Rows, Base):
    __tablename__ = "event_rows"
    __table_args__ = _unit_keys("event_rows")
    event_date: Mapped[date] = mapped_column(Date)
    unit: Mapped[str] = _unit()
    kind: Mapped[str] = mapped_column(String(16))
    title: Mapped[str | None] = mapped_column(Text)
    place: Mapped[str | None] = mapped_column(Text)
    people_reached: Mapped[int | None] = mapped_column(Integer)
    materials: Mapped[int | None] = mapped_column(Integer)
    media_links: Mapped[str | None] = mapped_column(Text)
    # Workplace publicity (kind 职场): what the office or outlet shows.
    posters: Mapped[int | None] = mapped_column(Integer)
    led_screens: Mapped[int | None] = mapped_column(Integer)
    service_desks: Mapped[int | None] = mapped_column(Integer)


class VideoRow(_Rows, Base):
    __tablename__ = "video_rows"
    __table_args__ = _unit_keys("video_rows")
    unit: Mapped[str] = _unit()
    title: Mapped[str] = mapped_column(Text)
    author: Mapped[str] = mapped_column(String(100))
    platform: Mapped[str | None] = mapped_column(String(50))
    link: Mapped[str] = mapped_column(Text)
    published_on: Mapped[date] = mapped_column(Date)
    duration: Mapped[int | None] = mapped_column(Integer)  # whole seconds, as the unit reports it


class VideoLeaderboardRow(_Rows, Base):
    __tablename__ = "video_leaderboard_rows"
    __table_args__ = _unit_keys("video_leaderboard_rows")
    board_date: Mapped[date] = mapped_column(Date)
    rank: Mapped[int] = mapped_column(Integer)
    title: Mapped[str] = mapped_column(Text)
    unit: Mapped[str] = _unit()
    author: Mapped[str] = mapped_column(String(100))
    votes: Mapped[int] = mapped_column(Integer)
    link: Mapped[str | None] = mapped_column(Text)


class ProjectRow(_Rows, Base):
    __tablename__ = "project_rows"
    __table_args__ = _unit_keys("project_rows")
    project_id: Mapped[str] = mapped_column(String(32), index=True)
    unit: Mapped[str] = _unit()
    region: Mapped[str] = mapped_column(String(32))
    head_office: Mapped[str] = mapped_column(Text)
    coverage: Mapped[Decimal] = mapped_column(Money)
    people: Mapped[int] = mapped_column(Integer)
    term_months: Mapped[int] = mapped_column(Integer)
    donated_on: Mapped[date | None] = mapped_column(Date)
    published_on: Mapped[date | None] = mapped_column(Date)
    claims_paid: Mapped[Decimal | None] = mapped_column(Money)
    completed_on: Mapped[date | None] = mapped_column(Date)
    results_published_on: Mapped[date | None] = mapped_column(Date)
    link: Mapped[str | None] = mapped_column(Text)


class SurveyRow(_Rows, Base):
    __tablename__ = "survey_rows"
    __table_args__ = _unit_keys("survey_rows", "company")
    response_id: Mapped[str] = mapped_column(String(64))
    submitted_at: Mapped[datetime] = mapped_column(UTCDateTime)
    company: Mapped[str] = _unit()
    q_claims: Mapped[int] = mapped_column(Integer)
    q_sales: Mapped[int] = mapped_column(Integer)
    q_counter: Mapped[int] = mapped_column(Integer)
    q_phone: Mapped[int] = mapped_column(Integer)
    q_overall: Mapped[int] = mapped_column(Integer)
    comment: Mapped[str | None] = mapped_column(Text)


class SummaryPart(_Rows, Base):
    """One member of a campaign-summary bundle matched to one part (a member matching two
    parts gives two rows; one row per link found in a link file). The member's bytes stay
    inside the archived zip of the submission, under ``path``."""

    __tablename__ = "summary_parts"
    part: Mapped[str] = mapped_column(String(32))
    path: Mapped[str] = mapped_column(Text)
    size: Mapped[int] = mapped_column(BigInteger)
    sha256: Mapped[str] = mapped_column(String(64))
    link: Mapped[str | None] = mapped_column(Text)


# Table name -> model, for the generic store.
ROW_MODELS = {m.__tablename__: m for m in (DailyReport, ScoringSheetRow, VoteRow, IndicatorRow, EventRow,
                                             VideoRow, VideoLeaderboardRow, ProjectRow, SurveyRow, SummaryPart)}
