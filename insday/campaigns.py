"""The installed campaigns (folders under ``campaigns/``), listed with their state.

Which one a command works on is :func:`insday.campaign.campaign_folder`.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Literal, TypedDict

from insday.campaign import CampaignError, get_campaign, installed
from insday.orchestration import campaign_state
from insday.paths import CAMPAIGNS_DIR


class CampaignListed(TypedDict):
    """An installed campaign (``insday campaigns --json``)."""

    name: str
    title: str
    year: int
    start: str  # its first day
    end: str  # its last day
    timezone: str
    state: Literal["upcoming", "running", "closed"]
    folder: str


class CampaignInvalid(TypedDict):
    """A campaign folder whose definition is broken."""

    name: str
    state: Literal["invalid"]
    error: str  # what is wrong, in Chinese
    folder: str


def listing(root: Path = CAMPAIGNS_DIR, now: datetime | None = None) -> list[CampaignListed | CampaignInvalid]:
    """Every installed campaign, by name."""
    out = []
    for folder in installed(root):
        try:
            c = get_campaign(folder)
        except CampaignError as exc:
            out.append({"name": folder.name, "state": "invalid", "error": str(exc), "folder": str(folder)})
            continue
        out.append({"name": c.name, "title": c.title, "year": c.year, "start": c.start.isoformat(),
                    "end": c.end.isoformat(), "timezone": c.timezone, "state": campaign_state(c, now),
                    "folder": str(folder)})
    return out
