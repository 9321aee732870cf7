"""The essay contest as of a moment: roster, panel scores and shortlist, final ranking and
prizes. Reads what was received by ``as_of`` (each company's latest accepted scoring sheet,
the latest accepted vote export); the arithmetic is in :mod:`insday.essays.scoring`.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from typing import TypedDict

from sqlalchemy import Engine

from insday.campaign import Campaign
from insday.env import Env
from insday.essays.scoring import Standing, Tie, TieReport, exact, panel_score, rank_final, rank_shortlist, rounded
from insday.schedule import shortlist_run
from insday.sql import fetch


@dataclass
class Contest:
    """Every essay's standing per category (campaign order), and the ties that matter."""

    campaign: Campaign
    as_of: datetime
    categories: dict[str, list[Standing]]
    ties: list[Tie]
    sheet_units: list[str]  # companies whose scoring sheet is counted
    votes_received_at: datetime | None = None  # None: no vote export received by as_of
    final: bool = False  # whether the final ranking was computed
    own_scores: list[tuple[str, str]] = field(default_factory=list)  # (company, essay) scored by its own company
    late: dict | None = None  # sheets received after the shortlist froze, and what they would have changed

    def finalists(self, category: str) -> list[Standing]:
        return sorted((s for s in self.categories[category] if s.shortlisted),
                      key=lambda s: (s.rank or s.shortlist_rank, s.id))

    def ranked(self, category: str) -> list[Standing]:
        """All essays of a category by panel rank; essays no sheet scored last."""
        return sorted(self.categories[category], key=lambda s: (s.shortlist_rank is None, s.shortlist_rank or 0, s.id))

    def winners(self) -> list[Standing]:
        """Essays with a decided prize, by category, then prize order, then rank."""
        order = {p.name: i for i, p in enumerate(self.campaign.essays.prizes)}
        return [s for c in self.categories for s in sorted(
            (s for s in self.categories[c] if s.prize), key=lambda s: (order[s.prize], s.rank, s.id))]

    def award(self, standing: Standing) -> str:
        """The award name on the certificate, e.g. 优秀案例一等奖."""
        category = next(c for c in self.campaign.essays.categories if c.name == standing.category)
        return f"{category.award}{standing.prize}"


def roster(engine: Engine, campaign: Campaign) -> list[dict]:
    """The campaign's essays on the roster (as loaded by `insday init`)."""
    with engine.connect() as conn:
        return fetch(conn, "marts/essays/roster", campaign=campaign.name)


def contest(campaign: Campaign, engine: Engine, as_of: datetime, *, final: bool = True) -> Contest:
    """Panel scores and shortlist as of ``as_of``; with ``final``, the final ranking and prizes
    too (once a vote export has been received).

    From the shortlist run on (:func:`insday.schedule.shortlist_run`: ``schedule.shortlist_after_due``
    after the scoring sheets are due), the panel scores and the shortlist are those of the sheets
    received by then; sheets received later count for nothing, and ``late`` says which they are
    and which finalists they would have added or dropped."""
    rules = campaign.essays
    shortlist_at = shortlist_run(campaign)
    frozen = shortlist_at is not None and as_of > shortlist_at
    with engine.connect() as conn:
        key = campaign.name
        essays = fetch(conn, "marts/essays/roster", campaign=key)
        rows = fetch(conn, "staging/sheet_scores", as_of=shortlist_at if frozen else as_of, campaign=key)
        later = fetch(conn, "staging/sheet_scores", as_of=as_of, campaign=key) if frozen else []
        votes = fetch(conn, "staging/current_votes", as_of=as_of, campaign=key) if final else []

    standings, own = _standings(campaign, essays, rows)
    categories = {c.name: [s for s in standings.values() if s.category == c.name] for c in rules.categories}
    ties = [t for group in categories.values() for t in rank_shortlist(group, rules.shortlist_per_category)]
    result = Contest(campaign, as_of, categories, ties, sorted({r["unit"] for r in rows}), own_scores=own)
    if frozen:
        result.late = _late_sheets(campaign, essays, rows, later)
    if final and votes:
        counts = {v["essay_id"]: v["votes"] for v in votes}
        result.votes_received_at, result.final = votes[0]["received_at"], True
        prizes = [(p.name, p.count) for p in rules.prizes]
        for group in categories.values():
            finalists = [s for s in group if s.shortlisted]
            for s in finalists:
                s.votes = counts.get(s.id, 0)
            ties += rank_final(finalists, exact(rules.weights.panel), exact(rules.weights.votes), prizes)
    return result


def _standings(campaign: Campaign, essays: list[dict], rows: list[dict]) -> tuple[dict[str, Standing], list]:
    """Every essay's panel score from the sheet rows, and the (company, essay) pairs scored by their own company."""
    rules = campaign.essays
    keys = [c.key for c in rules.rubric]
    standings = {e["id"]: Standing(e["id"], e["category"], e["title"], e["author"], e["unit"], e["unit_name"])
                 for e in essays}
    totals: dict[str, list] = defaultdict(list)
    own: list[tuple[str, str]] = []
    for r in rows:
        scores = [r[k] for k in keys]
        if r["essay_id"] in standings and all(v is not None for v in scores):  # blank rows do not count
            totals[r["essay_id"]].append(sum((exact(v) for v in scores), start=exact(0)))
            if standings[r["essay_id"]].unit == r["unit"]:
                own.append((r["unit"], r["essay_id"]))
    for essay_id, sheet_totals in totals.items():
        s = standings[essay_id]
        s.panel, s.sheets = panel_score(sheet_totals, rules.panel_score, rules.trim_each_end), len(sheet_totals)
    return standings, own


def _shortlisted(campaign: Campaign, standings: dict[str, Standing]) -> set[str]:
    for c in campaign.essays.categories:
        rank_shortlist([s for s in standings.values() if s.category == c.name], campaign.essays.shortlist_per_category)
    return {s.id for s in standings.values() if s.shortlisted}


def _late_sheets(campaign: Campaign, essays: list[dict], frozen: list[dict], now: list[dict]) -> dict | None:
    """The sheets received after the shortlist froze (new or revised), and the finalists they would have changed."""
    counted = {r["submission_id"] for r in frozen}
    late = sorted({(r["unit"], r["received_at"]) for r in now if r["submission_id"] not in counted},
                  key=lambda x: (x[1], x[0]))
    if not late:
        return None
    before = _shortlisted(campaign, _standings(campaign, essays, frozen)[0])
    after = _shortlisted(campaign, _standings(campaign, essays, now)[0])
    return {"sheets": [{"unit": unit, "received_at": at} for unit, at in late],
            "would_add": sorted(after - before), "would_drop": sorted(before - after)}


def shortlisted_ids(campaign: Campaign, engine: Engine, as_of: datetime) -> set[str]:
    """The essays on the shortlist as of a moment (including any tied at the cut-off)."""
    c = contest(campaign, engine, as_of, final=False)
    return {s.id for group in c.categories.values() for s in group if s.shortlisted}


class EssayListed(TypedDict):
    """An essay of the roster (``insday essays list --json``)."""

    id: str
    title: str
    category: str
    unit: str  # the submitting member unit's code


class PanelStanding(TypedDict):
    """An essay by panel score (``insday essays shortlist --json``)."""

    id: str
    title: str
    panel_score: float | None  # None: no sheet scored it (listed last)
    sheets: int  # scoring sheets that scored it
    rank: int | None
    shortlisted: bool


class ShortlistReport(TypedDict):
    """``insday essays shortlist --json``: every essay of each category, by panel rank."""

    as_of: str
    per_category: int
    categories: dict[str, list[PanelStanding]]
    ties: list[TieReport]


class FinalStanding(TypedDict):
    """A finalist (``insday essays results --json``); before any vote export the vote-based keys are None."""

    id: str
    panel_score: float | None
    sheets: int
    votes: int | None
    final_score: float | None
    rank: int | None
    prize: str | None  # None: no prize, or not decided yet


class LateSheet(TypedDict):
    unit: str
    received_at: str


class LateSheets(TypedDict):
    """Scoring sheets received after the shortlist froze (not counted), and what they would have changed."""

    sheets: list[LateSheet]
    would_add: list[str]  # essays they would have shortlisted
    would_drop: list[str]


class ResultsReport(TypedDict):
    """``insday essays results --json``."""

    categories: dict[str, list[FinalStanding]]
    ties: list[TieReport]
    late_sheets: LateSheets | None


def shortlist(env: Env, as_of: datetime) -> ShortlistReport:
    """`insday essays shortlist --json`: every essay's panel score and rank per category, whether
    it is shortlisted, and the ties at the cut-off."""
    c = contest(env.campaign, env.engine, as_of, final=False)
    return {
        "as_of": as_of.isoformat(),
        "per_category": env.campaign.essays.shortlist_per_category,
        "categories": {name: [{"id": s.id, "title": s.title, "panel_score": rounded(s.panel), "sheets": s.sheets,
                               "rank": s.shortlist_rank, "shortlisted": s.shortlisted} for s in c.ranked(name)]
                       for name in c.categories},
        "ties": [t.as_dict() for t in c.ties],
    }


def essay_results(env: Env, as_of: datetime) -> ResultsReport:
    """`insday essays results --json`: the finalists of each category with panel score, number
    of sheets, votes, final score, rank and prize (None until decided), and every tie that
    decides something. Before any vote export, votes, final score, rank and prize are None."""
    c = contest(env.campaign, env.engine, as_of)
    return {
        "categories": {name: [{"id": s.id, "panel_score": rounded(s.panel), "sheets": s.sheets, "votes": s.votes,
                               "final_score": rounded(s.final), "rank": s.rank, "prize": s.prize}
                              for s in c.finalists(name)]
                       for name in c.categories},
        "ties": [t.as_dict() for t in c.ties],
        "late_sheets": None if c.late is None else {
            **c.late, "sheets": [{"unit": x["unit"], "received_at": env.campaign.local(x["received_at"]).isoformat()}
                                 for x in c.late["sheets"]]},
    }
