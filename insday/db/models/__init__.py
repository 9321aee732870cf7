"""All models; importing this package registers every table on ``Base.metadata``."""

from insday.db.models.admin import DeadlineOverride, RosterChange
from insday.db.models.audit import AuditEntry
from insday.db.models.base import Base
from insday.db.models.core import Submission, Unit, utcnow
from insday.db.models.essays import Essay
from insday.db.models.mail import OutboxMessage
from insday.db.models.media import ReportMedia
from insday.db.models.orchestration import Lease
from insday.db.models.publishing import Approval
from insday.db.models.reports import ROW_MODELS, DailyReport
from insday.db.models.steps import (StepImport, StepParticipant, StepPull, StepPulledRegion, StepPulledUnit,
                                    StepRegionAlias, StepRegionDay, StepReject, StepTopEntry,
                                    StepUnlock, step_records)
from insday.db.models.videos import VideoWithdrawal

__all__ = ["Approval", "AuditEntry", "Base", "DeadlineOverride", "DailyReport", "Essay", "Lease", "OutboxMessage", "ROW_MODELS", "ReportMedia", "RosterChange", "StepImport", "StepParticipant",
           "StepPull", "StepPulledRegion", "StepPulledUnit", "StepRegionAlias", "StepRegionDay", "StepReject",
           "StepTopEntry", "StepUnlock", "Submission", "Unit", "VideoWithdrawal", "step_records",
           "utcnow"]
