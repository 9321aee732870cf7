"""The day's photos and videos (sent with the daily reports as zips): a static gallery page
per day for the public folder, ``<root>/media/<YYYY-MM-DD>/index.html`` with the files
beside it in ``files/`` (inline CSS, no script, nothing fetched from elsewhere: the folder
is complete by itself), and the link a bulletin of that day shows.

As everything published, the gallery is built from what was received by a moment (the
bulletin's cut-off): the media of each unit's current daily report for the day.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from datetime import date, datetime
from pathlib import Path, PurePosixPath
from typing import TypedDict

from insday.env import Env
from insday.reports.common import day_text, fetch_as_of, heading, local_text, render, unit_info

FOLDER = "media"
SHOWN = {"photos": {".jpg", ".jpeg", ".png", ".gif", ".webp"}, "videos": {".mp4", ".mov", ".m4v", ".webm"}}


def day_media(env: Env, day: date, as_of: datetime) -> list[dict]:
    """Every photo and video of the day's current daily reports as known at ``as_of``, by unit."""
    return fetch_as_of(env, "staging/daily_media_current", as_of, day=day)


class GalleryLink(TypedDict):
    """A bulletin's link to the day's photo and video gallery."""

    day: str
    href: str  # relative to the bulletin's own folder
    photos: int
    videos: int
    units: int


def _link(day: date, rows: list[dict]) -> GalleryLink:
    return {"day": day.isoformat(), "href": f"../{FOLDER}/{day.isoformat()}/index.html",
            "photos": sum(r["kind"] == "photos" for r in rows), "videos": sum(r["kind"] == "videos" for r in rows),
            "units": len({r["unit"] for r in rows})}


def media_gallery(env: Env, day: date, as_of: datetime) -> GalleryLink | None:
    """The field a bulletin of ``day`` links the gallery with, relative to the bulletin's own
    folder (``<root>/<YYYY-MM-DD>/``); None when no unit sent photos or videos for the day (no gallery to link)."""
    rows = day_media(env, day, as_of)
    return _link(day, rows) if rows else None


def _copy(source: Path, target: Path) -> None:
    """``target`` as a copy of ``source``, replaced atomically; left alone when already there
    (files are named by their hash, so the same name is the same bytes)."""
    if target.exists() and target.stat().st_size == source.stat().st_size:
        return
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.")
    os.close(fd)
    try:
        shutil.copyfile(source, tmp)
        os.chmod(tmp, 0o644)
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _write_text(path: Path, text: str) -> None:
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write(text)
    os.chmod(tmp, 0o644)
    os.replace(tmp, path)


def write_media_gallery(env: Env, day: date, as_of: datetime, root: Path) -> dict | None:
    """Write ``root/media/<day>/index.html`` and its files from what was received by
    ``as_of``; return ``media_gallery``'s link with ``"path"`` (the page), or None (no media:
    a gallery written earlier for the day is removed, as its reports have been replaced)."""
    campaign = env.campaign
    rows = day_media(env, day, as_of)
    folder = Path(root) / FOLDER / day.isoformat()
    if not rows:
        if folder.exists():
            shutil.rmtree(folder)
        return None
    files = folder / "files"
    files.mkdir(parents=True, exist_ok=True)
    units: dict[str, dict] = {}
    wanted = set()
    for r in rows:
        suffix = PurePosixPath(r["path"]).suffix.lower()
        name = f"{r['sha256']}{suffix}"
        wanted.add(name)
        _copy(env.settings.archive_dir / r["archive_path"], files / name)
        unit = units.setdefault(r["unit"], {**unit_info(campaign, r["unit"]), "photos": [], "videos": []})
        unit[r["kind"]].append({"href": f"files/{name}", "name": PurePosixPath(r["path"]).name,
                                "shown": suffix in SHOWN.get(r["kind"], set())})
    for stale in files.iterdir():
        if stale.name not in wanted:
            stale.unlink()
    link = _link(day, rows)
    html = render("media_gallery.html.j2", campaign=campaign, title=f"{day_text(day)}各单位活动图片视频",
                  heading=heading(campaign), as_of_text=local_text(campaign, as_of),
                  units=sorted(units.values(), key=lambda u: u["unit"]), photos=link["photos"], videos=link["videos"])
    index = folder / "index.html"
    _write_text(index, html)
    return {**link, "path": str(index)}
