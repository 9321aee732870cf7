"""The one settings object. Every knob is an ``INSDAY_*`` environment variable.

A plain pydantic model filled from the environment (pydantic-settings would add about 0.1 s to
every command's start, for nothing insday uses): a field ``smtp_port`` is ``INSDAY_SMTP_PORT``
(any case); values given to ``Settings(...)`` win over the environment.
"""

from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path

from pydantic import BaseModel, ConfigDict, SecretStr, computed_field, field_validator

PREFIX = "INSDAY_"


class Settings(BaseModel):
    model_config = ConfigDict(extra="ignore")

    def __init__(self, **values) -> None:
        fields = type(self).model_fields
        environ = {key[len(PREFIX):].lower(): value for key, value in os.environ.items()
                   if key.upper().startswith(PREFIX) and key[len(PREFIX):].lower() in fields}
        super().__init__(**{**environ, **values})

    home: Path = Path("./var")
    database_url: str | None = None
    # The campaign: its name (a folder under campaigns/) or a campaign folder's path; None: the
    # one installed campaign (several installed: one must be named). See insday.campaign.campaign_folder.
    campaign: Path | None = None

    @field_validator("campaign", mode="before")
    @classmethod
    def _no_campaign(cls, value):
        return None if value is None or str(value).strip() == "" else value

    # Outgoing mail. No host: every message is written as a .eml file under home/outbox/.
    smtp_host: str | None = None
    smtp_port: int = 25
    smtp_user: str | None = None
    smtp_password: SecretStr | None = None
    smtp_password_block: str | None = None  # name of a Prefect Secret block holding the password
    smtp_ssl: bool = False
    smtp_starttls: bool = False
    smtp_from: str = "insday@example.org"
    smtp_timeout: float = 30.0
    smtp_retries: int = 3  # connection attempts per delivery run before it reports the server down
    smtp_retry_delay: float = 1.0  # seconds before the 2nd connection attempt, doubled for each next one
    mail_max_attempts: int = 5  # a message that failed this often is left failed (see `insday outbox`)
    mail_retry_after: float = 300.0  # seconds before a failed message is tried again, doubled per attempt

    # Incoming mail (optional): attachments of unseen messages are ingested.
    imap_host: str | None = None
    imap_port: int = 993
    imap_user: str | None = None
    imap_password: SecretStr | None = None
    imap_ssl: bool = True
    imap_folder: str = "INBOX"
    imap_timeout: float = 30.0

    # Inbox folder (home/inbox/): a file is taken once it is complete, i.e. last modified
    # more than `inbox_settle_seconds` ago, or unchanged in size and mtime over
    # `inbox_stable_seconds`.
    inbox_settle_seconds: float = 60.0
    inbox_stable_seconds: float = 2.0
    # Seconds a run or command waits for the inbox, mailbox or mail lease another run holds,
    # before it gives up and says so (a command: exit 4; a flow's task: retried).
    lease_wait: float = 300.0

    # National step platform.
    steps_api_url: str | None = None
    steps_api_token: SecretStr | None = None
    steps_api_timeout: float = 20.0
    steps_api_retries: int = 3  # retries after the first attempt (timeouts, connection errors, 429, 5xx)
    steps_api_backoff: float = 1.0  # seconds before the first retry, doubled for each next one

    # Approval of outputs (campaign.yaml `publishing:`). auto_approve: every output whose checks
    # pass is approved at once, said so on the run (replays, the demo); never in production.
    auto_approve: bool = False
    approval_poll_seconds: float = 10.0  # how often a paused run looks for the decision

    # The association's technical contact: receives flow failure alerts.
    tech_contact_email: str | None = None

    @computed_field  # type: ignore[prop-decorator]
    @property
    def db_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.home / 'insday.db').resolve()}"

    def path(self, *parts: str) -> Path:
        """A folder or file under ``home``; folders are created on demand by callers."""
        return self.home.joinpath(*parts)

    @property
    def archive_dir(self) -> Path:
        return self.path("archive")

    @property
    def inbox_dir(self) -> Path:
        return self.path("inbox")

    @property
    def processed_dir(self) -> Path:
        return self.path("processed")

    @property
    def outbox_dir(self) -> Path:
        return self.path("outbox")

    @property
    def public_dir(self) -> Path:
        return self.path("public")


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()
