"""Which bulletins there are and what each one knows: the daily bulletins of the run days and
the final one, each with its cut-off (knowledge time): the moment of the run that builds it
(:mod:`insday.schedule`, from ``campaign.yaml``'s ``schedule:`` and deadlines)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from insday.campaign import Campaign
from insday.schedule import daily_runs, final_run


class BulletinError(ValueError):
    """A bulletin that does not exist (a day outside the run, a final bulletin on another day)."""


def rules(campaign: Campaign):
    if campaign.bulletin is None:
        raise BulletinError("campaign.yaml 缺少 bulletin: 设置（home_region：会员单位步数占比所用的本省地区代码）")
    return campaign.bulletin


def run_days(campaign: Campaign) -> list[date]:
    """The days with a daily bulletin: the days of the daily report deadlines."""
    return list(daily_runs(campaign))


@dataclass(frozen=True)
class Edition:
    """One bulletin: daily (``day`` is the day it reports on) or final (dated the last day)."""

    day: date
    final: bool
    cutoff: datetime  # what was received by then is what this bulletin knows

    @property
    def key(self) -> str:
        """Its name in message keys and artifacts: the day, or ``final``."""
        return "final" if self.final else self.day.isoformat()

    @property
    def folder(self) -> str:
        return self.day.isoformat()


def edition(campaign: Campaign, day: date | None, final: bool = False) -> Edition:
    """The bulletin of ``day`` (the final one: ``day`` None or the campaign's last day)."""
    if final:
        if day not in (None, campaign.end):
            raise BulletinError(f"总通报的日期是 {campaign.end.isoformat()}，不是 {day.isoformat()}")
        return Edition(campaign.end, True, final_run(campaign))
    runs = daily_runs(campaign)
    if day not in runs:
        days = list(runs)
        raise BulletinError(f"{day} 不是活动报送日（{days[0].isoformat()} 至 {days[-1].isoformat()}）")
    return Edition(day, False, runs[day])


def previous(campaign: Campaign, this: Edition) -> Edition | None:
    """The bulletin before this one: the day before, or for the final one the last daily one."""
    earlier = [d for d in run_days(campaign) if this.final or d < this.day]
    return edition(campaign, earlier[-1]) if earlier else None


def latest_day(campaign: Campaign, moment: datetime) -> date | None:
    """The latest run day whose daily bulletin's cut-off has come by ``moment``."""
    ready = [d for d, cutoff in daily_runs(campaign).items() if cutoff <= moment]
    return ready[-1] if ready else None
