"""Settings, campaign and database together: what every command, task and flow works against."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

from insday.campaign import Campaign, campaign_folder, get_campaign
from insday.settings import Settings, get_settings


@dataclass
class Env:
    settings: Settings
    campaign: Campaign

    @property
    def public_dir(self):
        """The campaign's published pages: INSDAY_HOME/public/<campaign>/ (public/index.html
        lists the campaigns)."""
        return self.settings.public_dir / self.campaign.name

    @property
    def inbox_dir(self):
        """The campaign's inbox folder: INSDAY_HOME/inbox/<campaign>/ (files dropped there are its own)."""
        return self.settings.inbox_dir / self.campaign.name

    @property
    def processed_dir(self):
        """Where the campaign's taken inbox files go: INSDAY_HOME/processed/<campaign>/<day>/."""
        return self.settings.processed_dir / self.campaign.name

    @cached_property
    def engine(self):
        # lazy: SQLAlchemy and the schema code cost about 0.2 s; `insday --help` must not pay them
        from insday.db import get_engine

        return get_engine(self.settings.db_url)

    def ensure_db(self) -> None:
        """Create or upgrade the schema (and load the roster) if it is not at the latest revision."""
        # lazy: SQLAlchemy and the schema code cost about 0.2 s; `insday --help` must not pay them
        from insday.db.bootstrap import ensure_database

        ensure_database(self.engine, self.campaign)


def load_env(settings: Settings | None = None) -> Env:
    """The configured environment; raises CampaignError if the campaign definition is invalid."""
    settings = settings or get_settings()
    return Env(settings, get_campaign(campaign_folder(settings.campaign)))
