"""All models; importing this package registers every table on ``Base.metadata``."""

from insday.db.models.base import Base
from insday.db.models.core import Submission, Unit, utcnow
from insday.db.models.reports import ROW_MODELS, DailyReport
from insday.db.models.steps import (StepImport, StepParticipant, StepPull, StepPulledRegion, StepPulledUnit,
                                    StepRegionAlias, StepRegionDay, StepReject, StepTopEntry,
                                    StepUnlock, step_records)

__all__ = ["Base", "DailyReport", "ROW_MODELS", "StepImport", "StepParticipant", "StepPull", "StepPulledRegion",
           "StepPulledUnit", "StepRegionAlias", "StepRegionDay", "StepReject", "StepTopEntry",
           "StepUnlock", "Submission", "Unit", "step_records", "utcnow"]
