"""The campaign's run moments, from its ``schedule:`` block and its deadlines.

Each moment is both when a flow runs and the cut-off of what it knows, so the two can never
disagree (move a deadline and the run and the cut-off move with it):

- day D's daily run (and D's bulletin cut-off): D's daily report deadline closes
  + ``daily_after_due``;
- the essay shortlist run (and the moment the shortlist freezes): the scoring sheets' deadline
  closes + ``shortlist_after_due``;
- the essay results run: ``essays.results_on`` at ``results_at``;
- the final bulletin run (and its cut-off): the last deadline inside the campaign's dates
  closes + ``final_after_due``;
- the deadline watch: on the hour from ``watch_first`` to ``watch_last``.

Plain Python (no Prefect): the orchestration calendar, the bulletins, the essay contest and
the demo all read these.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

from insday.campaign import Campaign
from insday.deadlines import registry


def daily_runs(campaign: Campaign) -> dict[date, datetime]:
    """Run day -> its daily run (the day's bulletin cut-off), in day order."""
    after = campaign.schedule.daily_after_due
    return dict(sorted((d.period, d.closes + after) for d in registry(campaign) if d.period is not None))


def shortlist_run(campaign: Campaign) -> datetime | None:
    """When the essay shortlist is decided and frozen (None: the campaign has no scoring sheets)."""
    sheets = [d.closes for d in registry(campaign) if d.report_type == "scoring_sheet"]
    return max(sheets) + campaign.schedule.shortlist_after_due if sheets else None


def results_run(campaign: Campaign) -> datetime:
    """When the essay results are published."""
    return campaign.at(campaign.essays.results_on, campaign.schedule.results_at)


def final_run(campaign: Campaign) -> datetime:
    """The final bulletin's run and cut-off: after the last deadline inside the campaign's dates."""
    closes = [d.closes for d in registry(campaign)
              if d.period is None and campaign.local(d.closes).date() <= campaign.end]
    return max(closes) + campaign.schedule.final_after_due


def watch_hours(campaign: Campaign) -> tuple[int, int]:
    """The first and last hour (inclusive) of the hourly deadline watch."""
    s = campaign.schedule
    return s.watch_first.hour, s.watch_last.hour


def next_watch(campaign: Campaign, moment: datetime) -> datetime:
    """The first hourly deadline watch at or after ``moment`` (campaign time)."""
    first, last = watch_hours(campaign)
    local = campaign.local(moment)
    slot = local.replace(minute=0, second=0, microsecond=0)
    if slot < local:
        slot += timedelta(hours=1)
    if slot.hour > last:
        return (slot + timedelta(days=1)).replace(hour=first)
    return slot.replace(hour=first) if slot.hour < first else slot
