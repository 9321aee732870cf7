"""The charity step run (公益跑): raw donation records, participant state, region figures,
pulled platform aggregates and unlocks.

Knowledge time: imports have ``received_at``, pulls ``pulled_at``, unlocks ``recorded_at``;
every "as of" question reads only what was recorded by then. Step data is recorded in time
order (an import or pull may not be dated before the latest one already recorded).
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import BigInteger, Column, Date, ForeignKey, Index, Integer, String, Table, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from insday.db.models.base import Base, JSONDoc
from insday.db.models.core import campaign_column, unit_fk, utcnow
from insday.db.types import UTCDateTime

# Participant ids are compared byte-wise on both databases ("C" collation on PostgreSQL:
# faster to sort and index than a locale collation, and the same order as SQLite).
ParticipantId = Text().with_variant(Text(collation="C"), "postgresql")


class StepImport(Base):
    """One imported donation file (by content hash); its records are record ids first..last."""

    __tablename__ = "step_imports"
    __table_args__ = (UniqueConstraint("campaign", "sha256"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign: Mapped[str] = campaign_column()
    sha256: Mapped[str] = mapped_column(String(64))
    filename: Mapped[str] = mapped_column(Text)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    first_record_id: Mapped[int | None] = mapped_column(BigInteger)
    last_record_id: Mapped[int | None] = mapped_column(BigInteger)
    records: Mapped[int] = mapped_column(Integer, default=0)
    accepted: Mapped[int] = mapped_column(Integer, default=0)
    rejected: Mapped[dict] = mapped_column(JSONDoc, default=dict)  # reason -> count (this file's records)
    superseded: Mapped[int] = mapped_column(Integer, default=0)  # earlier imports' donations replaced
    first_day: Mapped[date | None] = mapped_column(Date)  # days of the valid records in the file
    last_day: Mapped[date | None] = mapped_column(Date)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


# Every data line of every imported file, as received (the audit source). A line that cannot
# be read keeps its text in raw_line and NULL fields. Whether a record counts is decided once,
# when its file is imported: it counts unless it has a row in step_rejects.
#
# A plain table, not a mapped class: it is only ever bulk-loaded and read set-wise. No key and
# no index (each would cost the COPY of millions of records more than the import gains from
# it): the importer numbers the records itself, contiguous per import and following every
# import before (step_imports has each import's range), and reads them back only to settle a
# file that repeats days counted before. Record ids are numbered per campaign; ``campaign`` is
# one constant per import (a literal column of the COPY).
step_records = Table(
    "step_records", Base.metadata,
    Column("campaign", String(64), nullable=False),
    Column("record_id", BigInteger, nullable=False),
    Column("donated_at", UTCDateTime),
    Column("participant_id", ParticipantId),
    Column("region", Text),  # as written; see step_region_aliases
    Column("steps", Integer),
    Column("raw_line", Text),
)


class StepReject(Base):
    """A record that does not count, and why. ``import_id`` is the import that decided it:
    for a donation superseded by an earlier same-day donation in a later file, that later import.
    (No foreign key: a check per rejected record costs more than the insert itself.)"""

    __tablename__ = "step_rejects"

    campaign: Mapped[str] = mapped_column(String(64), primary_key=True)
    record_id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    import_id: Mapped[int] = mapped_column(Integer)
    reason: Mapped[str] = mapped_column(String(20))


class StepRegionAlias(Base):
    """How a region is written in records (short name, full name, code, odd spellings) -> its code."""

    __tablename__ = "step_region_aliases"

    campaign: Mapped[str] = mapped_column(String(64), primary_key=True)
    spelling: Mapped[str] = mapped_column(Text, primary_key=True)
    region_code: Mapped[str] = mapped_column(String(8))


class StepParticipant(Base):
    """Carried state of one participant, updated from each import's new records only.

    ``days_mask`` has bit i set when the participant has a counted donation on day i of the
    step-run window (at most 63 days). Donation count, first and last day, current and best
    streak and the badge days are the mask's (:func:`insday.steps.rules.mask_stats`), so they
    are not stored: each stored column makes the rows an import rewrites wider (migration 0009).

    On PostgreSQL the table has no primary key index (migration 0008): every statement reads it
    whole (hash joins), and keeping an index of hundreds of thousands of random ids up to date
    cost more than half of each import's participant upsert. A participant still has one row:
    an import adds a row only for participants without one, from its sums (one row per
    participant), under the step-data lock. SQLite, which looks participants up one by one,
    keeps the key.
    """

    __tablename__ = "step_participants"
    # Pages 70 % full: an import updates about half of the participants, and most new versions
    # then fit beside the old ones (no new pages; the dead versions are pruned when the page is
    # next read). Fuller pages would send more versions elsewhere; emptier ones make the table
    # bigger, and after a checkpoint every page an import changes is written whole to the WAL.
    __table_args__ = {"postgresql_with": {"fillfactor": 70}}

    campaign: Mapped[str] = mapped_column(String(64), primary_key=True)
    participant_id: Mapped[str] = mapped_column(ParticipantId, primary_key=True)
    days_mask: Mapped[int] = mapped_column(BigInteger)
    total_steps: Mapped[int] = mapped_column(BigInteger)  # counted: double days multiplied
    # Badges (thresholds from campaign.yaml steps.badges): the import from which on it was
    # known (the day earned is the mask's); NULL while not earned.
    first_donation_import_id: Mapped[int | None] = mapped_column(Integer)
    five_donations_import_id: Mapped[int | None] = mapped_column(Integer)
    ten_consecutive_days_import_id: Mapped[int | None] = mapped_column(Integer)
    updated_import_id: Mapped[int] = mapped_column(Integer)


class StepRegionDay(Base):
    """What one import changed in a region's counted records of one day (steps not doubled)."""

    __tablename__ = "step_region_days"

    campaign: Mapped[str] = campaign_column()
    import_id: Mapped[int] = mapped_column(ForeignKey("step_imports.id"), primary_key=True)
    region_code: Mapped[str] = mapped_column(String(8), primary_key=True)
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    donations: Mapped[int] = mapped_column(Integer)
    steps: Mapped[int] = mapped_column(BigInteger)


class StepTopEntry(Base):
    """The top participants (by counted steps) right after an import."""

    __tablename__ = "step_top_entries"

    campaign: Mapped[str] = campaign_column()
    import_id: Mapped[int] = mapped_column(ForeignKey("step_imports.id"), primary_key=True)
    rank: Mapped[int] = mapped_column(Integer, primary_key=True)
    participant_id: Mapped[str] = mapped_column(ParticipantId)
    steps: Mapped[int] = mapped_column(BigInteger)


class StepPull(Base):
    """One set of aggregates received from the national platform (HTTP or a dropped file)."""

    __tablename__ = "step_pulls"

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign: Mapped[str] = campaign_column()
    source: Mapped[str] = mapped_column(String(8))  # api | file
    location: Mapped[str] = mapped_column(Text)  # URL without query, or file name
    sha256: Mapped[str] = mapped_column(String(64))
    pulled_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    platform_as_of: Mapped[datetime | None] = mapped_column(UTCDateTime)
    region_rows: Mapped[int] = mapped_column(Integer, default=0)
    unit_rows: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class StepPulledRegion(Base):
    """A region's figures for one day in one pull (steps as donated, not doubled)."""

    __tablename__ = "step_pulled_regions"
    __table_args__ = (Index("ix_step_pulled_regions_region_day", "campaign", "region_code", "day"),)

    campaign: Mapped[str] = campaign_column()
    pull_id: Mapped[int] = mapped_column(ForeignKey("step_pulls.id"), primary_key=True)
    region_code: Mapped[str] = mapped_column(String(8), primary_key=True)
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    steps: Mapped[int] = mapped_column(BigInteger)
    donations: Mapped[int | None] = mapped_column(Integer)


class StepPulledUnit(Base):
    """A member unit's figures for one day in one pull, where the platform gives them."""

    __tablename__ = "step_pulled_units"
    __table_args__ = (unit_fk("unit_code"),)

    campaign: Mapped[str] = campaign_column()
    pull_id: Mapped[int] = mapped_column(ForeignKey("step_pulls.id"), primary_key=True)
    unit_code: Mapped[str] = mapped_column(String(16), primary_key=True)
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    steps: Mapped[int] = mapped_column(BigInteger)
    donations: Mapped[int | None] = mapped_column(Integer)
    participants: Mapped[int | None] = mapped_column(Integer)


class StepUnlock(Base):
    """A helped region's unlock: the local day its group total first reached the threshold.

    Append-only: a later row for the same region is a correction to an earlier day (late
    data for earlier days); an unlock never moves to a later day and is never withdrawn.
    """

    __tablename__ = "step_unlocks"
    __table_args__ = (Index("ix_step_unlocks_region_recorded", "campaign", "region_code", "recorded_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign: Mapped[str] = campaign_column()
    region_code: Mapped[str] = mapped_column(String(8))
    unlocked_on: Mapped[date] = mapped_column(Date)
    group_steps: Mapped[int] = mapped_column(BigInteger)  # cumulative group total on that day
    previous_on: Mapped[date | None] = mapped_column(Date)  # the day this row corrects
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime)
    trigger: Mapped[str] = mapped_column(String(32))  # "import 3" / "pull 5"
