"""The installed campaigns (folders under ``campaigns/``) and which one a command works on.

A campaign is selected by ``INSDAY_CAMPAIGN`` or ``insday --campaign NAME``: its name (a
folder under ``campaigns/``) or the path of any campaign folder. With one campaign installed
it is the default; with several, one must be named.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Literal, TypedDict

from insday.campaign import CampaignError
from insday.paths import CAMPAIGNS_DIR


def installed(root: Path = CAMPAIGNS_DIR) -> list[Path]:
    """The campaign folders under ``root``, by name."""
    return sorted(p.parent for p in root.glob("*/campaign.yaml"))


def campaign_folder(selected: str | Path | None, root: Path = CAMPAIGNS_DIR) -> Path:
    """The folder of the selected campaign; raise CampaignError (in Chinese) naming the
    installed ones when there is no such campaign or several and none is selected."""
    folders = installed(root)
    names = "、".join(p.name for p in folders) or "（无）"
    if selected is None or str(selected) == "":
        if len(folders) == 1:
            return folders[0]
        raise CampaignError(f"已安装 {len(folders)} 个活动（{names}），请用 --campaign 名称 或 INSDAY_CAMPAIGN 选择一个")
    path = Path(selected).expanduser()
    if (path / "campaign.yaml").is_file():
        return path
    if (root / str(selected) / "campaign.yaml").is_file():
        return root / str(selected)
    raise CampaignError(f"没有名为「{selected}」的活动（已安装：{names}；也可写活动文件夹的路径）")


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
    from insday.campaign import get_campaign
    from insday.orchestration import campaign_state

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
