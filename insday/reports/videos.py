"""Short videos (短视频): the units' submissions, the daily "video talent" leaderboard
(rank 1 is the day's champion) and the certificate list of everyone who made a board.
A video the association withdrew (``insday.reports.withdrawals``) is on none of them from
the moment of its withdrawal."""

from __future__ import annotations

import re
from datetime import date, datetime
from pathlib import Path
from typing import Literal, TypedDict

from insday.campaign import text_key
from insday.env import Env
from insday.reports.common import day_text, fetch_as_of, heading, jsonable, unit_info
from insday.reports.withdrawals import withdrawn_test, withdrawn_videos
from insday.reports.xlsx import INTEGER, Table, write_workbook

_AUTHORS = re.compile(r"[、,，;；/／]+|\s{2,}")


def authors(text: str) -> list[str]:
    """Co-authors as written ("张三、李四"): each person gets a certificate."""
    return [a.strip() for a in _AUTHORS.split(text or "") if a.strip()]


class BoardEntry(TypedDict):
    """A video on a day's leaderboard (达人榜)."""

    rank: int
    title: str
    author: str
    unit: str
    name: str
    short_name: str
    votes: int
    link: str


class Champion(BoardEntry):
    day: str


class UnitVideos(TypedDict):
    unit: str
    name: str
    short_name: str
    videos: int


class Submissions(TypedDict):
    videos: int  # not withdrawn
    units: int
    by_unit: list[UnitVideos]


class Withdrawn(TypedDict):
    link: str
    title: str
    author: str
    unit: str
    name: str
    short_name: str
    reason: str
    withdrawn_at: str


class VideoBoard(TypedDict):
    """``insday videos board --json``."""

    as_of: str
    day: str | None  # None: no board yet
    size: int  # places on a board
    entries: list[BoardEntry]
    champion: BoardEntry | None  # None without a board, or when the day's champion was withdrawn
    champions: list[Champion]  # every day's up to ``day``
    days: list[str]  # the days with a board
    submissions: Submissions
    withdrawn: list[Withdrawn]


class Creator(TypedDict):
    """A person (and unit) who made at least one daily leaderboard: one certificate."""

    author: str
    unit: str
    name: str
    short_name: str
    titles: list[str]
    days: list[str]
    best_rank: int
    champion_days: list[str]
    award: Literal["短视频日冠军", "短视频达人榜上榜"]


class CertificateList(TypedDict):
    """``insday videos certificates --json``."""

    as_of: str
    certificates: list[Creator]
    file: str  # the xlsx written


def _entry(env: Env, row: dict) -> BoardEntry:
    return {"rank": row["rank"], "title": row["title"], "author": row["author"], **unit_info(env.campaign, row["unit"]),
            "votes": row["votes"], "link": row["link"]}


def _boards(env: Env, as_of: datetime) -> tuple[list[dict], list[dict]]:
    """Every day's board as known at ``as_of`` without the withdrawn videos, and those."""
    rows = fetch_as_of(env, "staging/video_boards", as_of)
    withdrawn = withdrawn_videos(env, as_of)
    if not withdrawn:
        return rows, withdrawn
    gone = withdrawn_test(withdrawn)
    kept = [r for r in rows if not gone(r)]
    if not env.campaign.videos.keep_ranks_after_withdrawal:
        place: dict[date, int] = {}
        for r in kept:  # rows come by day, then rank
            place[r["board_date"]] = place.get(r["board_date"], 0) + 1
            r["rank"] = place[r["board_date"]]
    return kept, withdrawn


def video_leaderboard(env: Env, as_of: datetime, day: date | None = None) -> VideoBoard:
    """One day's leaderboard as known at ``as_of`` (default day: the latest day with a
    board), every champion up to that day, and the units' video submissions.

    ``day`` without a board gives empty ``entries`` and ``champion`` None. Withdrawn videos
    are on no board and not counted in ``submissions``; the others keep their published
    ranks (``videos.keep_ranks_after_withdrawal``), so a day whose champion was withdrawn
    has ``champion`` None.
    """
    rows, withdrawn = _boards(env, as_of)
    days = sorted({r["board_date"] for r in rows})
    if day is None:
        day = days[-1] if days else None
    entries = [_entry(env, r) for r in rows if r["board_date"] == day]
    champions = [{"day": r["board_date"], **_entry(env, r)} for r in rows
                 if r["rank"] == 1 and day is not None and r["board_date"] <= day]
    gone = withdrawn_test(withdrawn)
    videos = [v for v in fetch_as_of(env, "staging/videos_current", as_of) if not gone(v)]
    per_unit: dict[str, int] = {}
    for v in videos:
        per_unit[v["unit"]] = per_unit.get(v["unit"], 0) + 1
    by_unit = sorted(({**unit_info(env.campaign, u), "videos": n} for u, n in per_unit.items()),
                     key=lambda u: (-u["videos"], u["unit"]))
    return jsonable({
        "as_of": as_of, "day": day, "size": env.campaign.videos.leaderboard_size,
        "entries": entries, "champion": next((e for e in entries if e["rank"] == 1), None),
        "champions": champions, "days": days,
        "submissions": {"videos": len(videos), "units": len(per_unit), "by_unit": by_unit},
        "withdrawn": [{"link": w["link"], "title": w["title"], "author": w["author"],
                       **unit_info(env.campaign, w["unit"] or ""), "reason": w["reason"],
                       "withdrawn_at": w["withdrawn_at"]} for w in withdrawn],
    })


def video_certificates(env: Env, as_of: datetime) -> list[Creator]:
    """One line per creator (person and unit) who made at least one daily leaderboard.

    Co-authors of a video each get a line. Sorted by unit code, then author. A withdrawn
    video earns nobody a line.
    """
    people: dict[tuple[str, str], dict] = {}
    for r in _boards(env, as_of)[0]:
        for name in authors(r["author"]):
            person = people.setdefault((r["unit"], text_key(name)), {
                "author": name, **unit_info(env.campaign, r["unit"]), "titles": [], "days": [],
                "best_rank": r["rank"], "champion_days": []})
            if r["title"] not in person["titles"]:
                person["titles"].append(r["title"])
            if r["board_date"] not in person["days"]:
                person["days"].append(r["board_date"])
            person["best_rank"] = min(person["best_rank"], r["rank"])
            if r["rank"] == 1:
                person["champion_days"].append(r["board_date"])
    out = []
    for (unit, _), p in sorted(people.items()):
        p["award"] = "短视频日冠军" if p["champion_days"] else "短视频达人榜上榜"
        out.append(p)
    return jsonable(out)


def write_certificates(people: list[dict], out: Path, campaign=None) -> Path:
    """The certificate list (``video_certificates``) as xlsx (证书名单), one row per creator;
    with ``campaign`` its note names the campaign and the year's theme."""
    rows = [[n, p["author"], p["name"], p["award"], "；".join(p["titles"]),
             "、".join(day_text(date.fromisoformat(d)) for d in p["days"]), len(p["days"]), p["best_rank"],
             "、".join(day_text(date.fromisoformat(d)) for d in p["champion_days"])]
            for n, p in enumerate(people, start=1)]
    table = Table("证书名单", ["序号", "姓名", "单位", "证书", "上榜作品", "上榜日期", "上榜天数", "最好名次", "日冠军日期"],
                  rows, {0: INTEGER, 6: INTEGER, 7: INTEGER},
                  note=(f"{heading(campaign)}。" if campaign else "")
                  + f"共 {len(people)} 人。名单按单位排列，合作作品的每位作者各发一份证书；已撤下的作品不发证书。")
    return write_workbook(out / "短视频达人证书名单.xlsx", [table])
