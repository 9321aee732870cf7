"""Daily reports sent as a zip of the sheet and the day's photos and videos (as units send
them by WeChat): the media are archived one by one by their hash, counted against 图片数 and
视频数 (a mismatch is a warning in the receipt), and shown on a static gallery page per day
that the day's bulletin links."""

from __future__ import annotations

import hashlib
import re
from datetime import date

from filemaker import daily_row, write_xlsx
from reportmaker import EVENT_HEADER, JPEG, at, event_row, make_zip, summary_members, write
from sqlalchemy import select

from insday.bulletin import build_bulletin
from insday.bulletin.render import markdown, render
from insday.db import session_scope
from insday.db.models import OutboxMessage, ReportMedia, Submission
from insday.db.models.reports import DailyReport, SummaryPart
from insday.intake.service import ingest_paths
from insday.reports.media import media_gallery, write_media_gallery

DAY = date(2019, 6, 26)
CUTOFF = at("2019-06-27 10:30")
PNG = b"\x89PNG\r\n\x1a\n" + b"png" * 40
MP4 = b"\x00\x00\x00\x18ftypmp42" + b"video" * 80


def daily_zip(tmp_path, name="人保财险0626.zip", unit="人保财险", photos=2, videos=1, files=None, day="2019-06-26"):
    sheet = write_xlsx(tmp_path / f"{name}.xlsx", [daily_row(day=day, unit=unit, photos=photos, videos=videos)])
    members = {"日报/每日参与情况.xlsx": sheet.read_bytes()}
    members.update(files if files is not None else
                   {"日报/照片/IMG_001.JPG": JPEG, "日报/照片/微信图片.png": PNG, "日报/视频/VID_01.mp4": MP4})
    return make_zip(tmp_path / name, members)


def one(env, path, when=at("2019-06-26 21:00")):
    [result] = ingest_paths(env, [path], received_at=when)
    return result


def media(env):
    with session_scope(env.engine) as s:
        return [(m.kind, m.path, m.size, m.sha256, m.archive_path, m.campaign)
                for m in s.scalars(select(ReportMedia).order_by(ReportMedia.id))]


def test_zip_of_the_sheet_and_its_media_is_the_daily_report(env, tmp_path):
    path = daily_zip(tmp_path)
    r = one(env, path)
    assert (r.status, r.report_type, r.unit, r.period, r.timeliness) == ("accepted", "daily_report", "P01", DAY, "on_time")
    assert r.warnings == [], r.warnings
    with session_scope(env.engine) as s:
        [row] = s.scalars(select(DailyReport)).all()
        assert (row.participants, row.photos, row.videos) == (120, 2, 1)
        sub = s.scalars(select(Submission)).one()
        assert (env.settings.archive_dir / sub.archive_path).read_bytes() == path.read_bytes()  # the zip is the record
        assert s.scalars(select(SummaryPart)).all() == []
    stored = media(env)
    assert [(k, p, n, c) for k, p, n, _, _, c in stored] == [
        ("photos", "日报/照片/IMG_001.JPG", len(JPEG), "jilin-2019"), ("photos", "日报/照片/微信图片.png", len(PNG), "jilin-2019"),
        ("videos", "日报/视频/VID_01.mp4", len(MP4), "jilin-2019")]
    for (_, _, _, sha, archived, _), data in zip(stored, (JPEG, PNG, MP4)):
        assert sha == hashlib.sha256(data).hexdigest() and archived == f"{sha[:2]}/{sha}{archived[-4:]}"
        assert (env.settings.archive_dir / archived).read_bytes() == data  # archived beside the report, by sha256


def test_counts_that_differ_are_a_warning_in_the_receipt(env, tmp_path):
    r = one(env, daily_zip(tmp_path, photos=5, videos=1, files={"a.jpg": JPEG, "b.jpg": JPEG + b"b", "c.mp4": MP4,
                                                                 "说明.docx": b"PK"}))
    assert r.status == "accepted", r.errors
    messages = [w["message"] for w in r.warnings]
    assert messages == [
        "文件「人保财险0626.zip」：以下文件不是图片、视频，未计入（仍随压缩包保存）：说明.docx",
        "文件「人保财险0626.zip」：压缩包中有图片 2 个，表中「图片数」填写的是 5，请核对（通报按表中填写的数字统计；如有遗漏请补充后重新打包报送）"]
    with session_scope(env.engine) as s:
        assert s.scalars(select(DailyReport.photos)).one() == 5  # the sheet's figure counts
        receipt = s.scalars(select(OutboxMessage).where(OutboxMessage.kind == "receipt")).one()
    assert "压缩包中有图片 2 个，表中「图片数」填写的是 5" in receipt.text and receipt.unit_code == "P01"


def test_blank_counts_take_the_number_of_files(env, tmp_path):
    r = one(env, daily_zip(tmp_path, photos=None, videos=None))
    assert r.status == "accepted", r.errors
    with session_scope(env.engine) as s:
        assert s.execute(select(DailyReport.photos, DailyReport.videos)).one() == (2, 1)
    assert any("「图片数」未填写，已按压缩包中的图片数计为 2" in w["message"] for w in r.warnings)


def test_a_bad_sheet_refuses_the_zip_and_stores_no_media(env, tmp_path):
    sheet = write_xlsx(tmp_path / "s.xlsx", [daily_row(steps="很多")])
    r = one(env, make_zip(tmp_path / "人保财险0626.zip", {"s.xlsx": sheet.read_bytes(), "a.jpg": JPEG}))
    assert (r.status, r.report_type) == ("rejected", "daily_report")
    assert r.errors[0]["message"].startswith("文件「人保财险0626.zip」第2行「步数」列：值「很多」不是数字")
    assert media(env) == []
    assert not any(p.name.startswith(hashlib.sha256(JPEG).hexdigest()) for p in env.settings.archive_dir.rglob("*"))


def test_only_a_report_with_media_comes_as_a_zip_and_summaries_stay_summaries(env, tmp_path):
    events = write(tmp_path / "ev.xlsx", EVENT_HEADER, [event_row()])
    r = one(env, make_zip(tmp_path / "人保财险活动.zip", {"ev.xlsx": events.read_bytes(), "a.jpg": JPEG}))
    assert r.status == "rejected" and "「宣传活动（保险五进入、职场宣传、媒体宣传）」不能与图片、视频打包报送" in r.errors[0]["message"]
    # a summary with a daily sheet among its files is still a summary
    members = summary_members() | {"人保财险活动总结/每日参与情况.xlsx": write_xlsx(tmp_path / "d.xlsx", [daily_row()]).read_bytes()}
    s = one(env, make_zip(tmp_path / "人保财险7.8活动总结.zip", members), when=at("2019-07-12 15:00"))
    assert (s.status, s.report_type) == ("accepted", "summary"), s.errors
    assert media(env) == []


def test_gallery_page_per_day_and_the_bulletin_link(env, tmp_path):
    assert one(env, daily_zip(tmp_path)).status == "accepted"
    video_only = {"v.mov": MP4 + b"2", "IMG.HEIC": b"heic"}
    assert one(env, daily_zip(tmp_path, name="国寿财险0626.zip", unit="国寿财险", photos=1, videos=1,
                              files=video_only)).status == "accepted"
    assert one(env, daily_zip(tmp_path, name="人保财险0625.zip", day="2019-06-25"),
               when=at("2019-06-25 21:00")).status == "accepted"

    root = tmp_path / "public"
    link = write_media_gallery(env, DAY, CUTOFF, root)
    page = root / "media" / "2019-06-26" / "index.html"
    assert link == {"day": "2019-06-26", "href": "../media/2019-06-26/index.html", "photos": 3, "videos": 2, "units": 2,
                    "path": str(page)}
    html = page.read_text(encoding="utf-8")
    assert "6月26日各单位活动图片视频" in html and "年度主题：爱国爱家，从一份保障开始" in html
    assert html.index("<h2>人保财险</h2>") < html.index("<h2>国寿财险</h2>")
    jpeg = f"files/{hashlib.sha256(JPEG).hexdigest()}.jpg"
    assert f'<img src="{jpeg}"' in html and html.count("<video ") == 2 and ">IMG.HEIC</a>" in html
    assert not re.search(r"<(script|link)\b", html) and "http" not in html  # self-contained
    assert (page.parent / jpeg).read_bytes() == JPEG
    assert sorted(p.name for p in (page.parent / "files").iterdir()) == sorted(
        hashlib.sha256(d).hexdigest() + s for d, s in ((JPEG, ".jpg"), (PNG, ".png"), (MP4, ".mp4"),
                                                      (MP4 + b"2", ".mov"), (b"heic", ".heic")))
    assert write_media_gallery(env, DAY, CUTOFF, root) == link and page.read_text(encoding="utf-8") == html  # same again

    # The bulletin links the gallery when its document carries the field (the publisher adds it).
    doc = build_bulletin(env, DAY)
    doc["media"] = media_gallery(env, DAY, CUTOFF)
    page_html = render("bulletin.html.j2", doc, env.campaign, {n: "" for n in ("trend.png", "units.png", "regions.png")})
    assert ('6月26日各单位报送图片 3 张、视频 2 个：<a href="../media/2019-06-26/index.html">查看当日图片视频</a>'
            in page_html)
    assert "（[查看6月26日图片视频](../media/2019-06-26/index.html)）" in markdown(doc, env.campaign)

    # A later report without media replaces the day's: the gallery goes (knowledge time: only from then on).
    plain = write_xlsx(tmp_path / "人保财险0626b.xlsx", [daily_row(photos=0, videos=0)])
    assert one(env, plain, when=at("2019-06-27 12:00")).status == "accepted"
    assert media_gallery(env, DAY, CUTOFF)["units"] == 2
    later = write_media_gallery(env, DAY, at("2019-06-27 12:30"), root)
    assert (later["units"], later["photos"], later["videos"]) == (1, 1, 1)
    assert not (page.parent / jpeg).exists()
    assert media_gallery(env, date(2019, 6, 27), CUTOFF) is None
    assert write_media_gallery(env, date(2019, 6, 27), CUTOFF, root) is None and not (root / "media" / "2019-06-27").exists()
