"""All models; importing this package registers every table on ``Base.metadata``."""

from insday.db.models.base import Base
from insday.db.models.core import Submission, Unit, utcnow
from insday.db.models.essays import Essay
from insday.db.models.mail import OutboxMessage
from insday.db.models.orchestration import Lease
from insday.db.models.reports import ROW_MODELS, DailyReport

__all__ = ["Base", "DailyReport", "Essay", "Lease", "OutboxMessage", "ROW_MODELS", "Submission", "Unit", "utcnow"]
