"""The contest's arithmetic on plain values: panel score, shortlist, final score, ranks,
prizes and the ties that decide any of them.

Scores are exact fractions, so scores that are equal compare equal (no float noise decides
a prize); they are rounded (half up) only for display. Ties are never resolved silently:
a tie on the final score is broken by the panel score (the spec's rule) and reported as
such; a tie that remains gives every essay in it the same rank (1, 2, 2, 4) and is
reported for the committee. When such a tie straddles a prize boundary (e.g. two essays
tied for the last second prize, or for the last third prize), none of them gets a prize
(``prize`` is None) until the committee decides; the places below keep their prizes.
A tie at the shortlist cut-off puts every tied essay on the shortlist (it may hold more
than N essays) and is reported.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from fractions import Fraction
from itertools import groupby
from typing import Literal, TypedDict

NO_PRIZE = "未获奖"


def exact(value) -> Fraction:
    """A score as an exact fraction: 25.5 -> 51/2 (floats read as the decimal they print as)."""
    if isinstance(value, (int, Fraction, Decimal)):
        return Fraction(value)
    return Fraction(repr(float(value)))


def rounded(value: Fraction | None, places: int = 2) -> float | None:
    """Round half up (四舍五入) for display; scores are never negative."""
    if value is None:
        return None
    scale = 10 ** places
    return float(Fraction(int(value * scale + Fraction(1, 2)), scale))


def shown(value: Fraction | None) -> str:
    return "—" if value is None else f"{rounded(value):.2f}"


def panel_score(totals: Sequence[Fraction], method: str = "mean", trim_each_end: int = 0) -> Fraction | None:
    """Combine the sheet totals of one essay: their mean, or with ``trimmed_mean`` the mean
    after dropping ``trim_each_end`` lowest and highest totals (the plain mean when there
    are too few sheets to drop any). None when no sheet scored the essay."""
    if not totals:
        return None
    kept = sorted(totals)
    if method == "trimmed_mean" and len(kept) > 2 * trim_each_end:
        kept = kept[trim_each_end:len(kept) - trim_each_end]
    return sum(kept, Fraction(0)) / len(kept)


@dataclass
class Standing:
    """One essay's place in the contest."""

    id: str
    category: str
    title: str = ""
    author: str = ""
    unit: str = ""
    unit_name: str = ""
    panel: Fraction | None = None
    sheets: int = 0
    shortlist_rank: int | None = None
    shortlisted: bool = False
    votes: int | None = None
    vote_score: Fraction | None = None
    final: Fraction | None = None
    rank: int | None = None
    prize: str | None = None
    prize_pending: bool = False  # tied across a prize boundary: for the committee to decide


class TieReport(TypedDict):
    """Essays with equal scores where the order matters, as ``--json`` shows it."""

    stage: Literal["shortlist", "final"]
    kind: Literal["cutoff", "broken_by_panel_score", "unresolved"]  # shortlist: cutoff
    category: str
    essays: list[str]
    places: list[int]  # the first and last position the tied essays occupy
    score: float  # the shared panel (shortlist) or final score
    decides: Literal["shortlist", "prize", "order"]
    prizes: list[str | None]  # prize: the prizes at stake (None = no prize)
    resolved: bool
    message: str  # in Chinese, for the committee


@dataclass
class Tie:
    """Essays with equal scores where the order matters."""

    stage: str  # "shortlist" | "final"
    kind: str  # "cutoff" | "broken_by_panel_score" | "unresolved"
    category: str
    essays: list[str]
    places: tuple[int, int]  # the positions the tied essays occupy
    score: Fraction
    decides: str  # "shortlist" | "prize" | "order"
    prizes: list[str | None] = field(default_factory=list)  # at stake, None = no prize
    resolved: bool = False
    message: str = ""

    def as_dict(self) -> TieReport:
        return {"stage": self.stage, "kind": self.kind, "category": self.category, "essays": self.essays,
                "places": list(self.places), "score": rounded(self.score), "decides": self.decides,
                "prizes": self.prizes, "resolved": self.resolved, "message": self.message}


def _groups(items: Iterable[Standing], key: Callable[[Standing], Fraction]) -> list[list[Standing]]:
    ordered = sorted(items, key=lambda s: (-key(s), s.id))
    return [list(g) for _, g in groupby(ordered, key=key)]


def _ids(group: Sequence[Standing]) -> str:
    return "、".join(s.id for s in group)


def rank_shortlist(standings: Sequence[Standing], size: int) -> list[Tie]:
    """Rank one category by panel score; the top ``size`` (and all tied at the cut-off) are
    shortlisted. Essays no sheet scored are not ranked."""
    ties: list[Tie] = []
    position = 1
    for group in _groups((s for s in standings if s.panel is not None), key=lambda s: s.panel):
        last = position + len(group) - 1
        for s in group:
            s.shortlist_rank, s.shortlisted = position, position <= size
        if position <= size < last:
            category = group[0].category
            ties.append(Tie(
                "shortlist", "cutoff", category, [s.id for s in group], (position, last), group[0].panel,
                "shortlist", message=(
                    f"{category}：{_ids(group)} 评审得分同为 {shown(group[0].panel)} 分，并列第{position}名，"
                    f"跨越入围线（每类入围 {size} 篇）。已全部列入入围名单，是否全部入围请评审委员会决定。")))
        position = last + 1
    return ties


def prize_slots(prizes: Sequence[tuple[str, int]]) -> list[str]:
    """[(一等奖, 1), (二等奖, 2), (三等奖, 3)] -> the prize of each place, in order."""
    return [name for name, count in prizes for _ in range(count)]


def rank_final(finalists: Sequence[Standing], weight_panel: Fraction, weight_votes: Fraction,
               prizes: Sequence[tuple[str, int]]) -> list[Tie]:
    """Final score = weight_panel * panel + weight_votes * (votes / category top * 100);
    rank by it, break equal final scores by panel score, award prizes by place."""
    ties: list[Tie] = []
    if not finalists:
        return ties
    top = max(s.votes or 0 for s in finalists)
    for s in finalists:
        s.vote_score = Fraction(100 * (s.votes or 0), top) if top else Fraction(0)
        s.final = weight_panel * s.panel + weight_votes * s.vote_score
    slots = prize_slots(prizes)

    def at(place: int) -> str | None:
        return slots[place - 1] if place <= len(slots) else None

    def stake(first: int, last: int) -> list[str | None]:
        return list(dict.fromkeys(at(p) for p in range(first, last + 1)))

    def prize_text(names: list[str | None]) -> str:
        return "、".join(n or NO_PRIZE for n in names)

    category = finalists[0].category
    position = 1
    for same_final in _groups(finalists, key=lambda s: s.final):
        end = position + len(same_final) - 1
        if len({s.panel for s in same_final}) > 1:
            ordered = sorted(same_final, key=lambda s: (-s.panel, s.id))
            at_stake = stake(position, end)
            ties.append(Tie(
                "final", "broken_by_panel_score", category, [s.id for s in ordered], (position, end),
                same_final[0].final, "prize" if len(at_stake) > 1 else "order", at_stake, resolved=True,
                message=(f"{category}：{_ids(ordered)} 最终得分同为 {shown(same_final[0].final)} 分，"
                         f"按评审得分排序（{'、'.join(f'{s.id} {shown(s.panel)} 分' for s in ordered)}）"
                         + (f"，据此确定{prize_text(at_stake)}。" if len(at_stake) > 1 else "。"))))
        for group in _groups(same_final, key=lambda s: s.panel):
            last = position + len(group) - 1
            at_stake = stake(position, last)
            pending = len(at_stake) > 1
            for s in group:
                s.rank, s.prize, s.prize_pending = position, None if pending else at_stake[0], pending
            if len(group) > 1:
                ties.append(Tie(
                    "final", "unresolved", category, [s.id for s in group], (position, last), group[0].final,
                    "prize" if pending else "order", at_stake, message=(
                        f"{category}：{_ids(group)} 最终得分同为 {shown(group[0].final)} 分且评审得分同为 "
                        f"{shown(group[0].panel)} 分，并列第{position}名"
                        + (f"（第{position}至{last}位涉及{prize_text(at_stake)}），奖项暂不确定，请评审委员会决定。"
                           if pending else "，不影响奖项，名次并列，请评审委员会确认。"))))
            position = last + 1
    return ties
