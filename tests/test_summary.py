"""Campaign summaries: a zip or a folder per unit, accepted when the required parts are
there, refused with the missing parts listed; unsafe zips refused as a whole; ordinary
folders of tabular files keep working beside bundle folders."""

from __future__ import annotations

import hashlib
import io
import zipfile

import pytest
from filemaker import daily_row, write_xlsx
from reportmaker import JPEG, at, make_zip, summary_members
from sqlalchemy import select

from insday.db import session_scope
from insday.db.models.reports import SummaryPart
from insday.intake.service import ingest_paths
from insday.reports.summary import extract_summary, summary_status

ON_TIME, LATE = at("2019-07-12 15:00"), at("2019-07-12 16:01")


def one(env, path, when=ON_TIME, **kw):
    [result] = ingest_paths(env, [path] if path else [], received_at=when, **kw)
    return result


def parts(env):
    with session_scope(env.engine) as s:
        return [(p.part, p.path, p.link) for p in s.scalars(select(SummaryPart).order_by(SummaryPart.id))]


def test_complete_zip_is_accepted_with_every_part(env, tmp_path):
    r = one(env, make_zip(tmp_path / "人保财险7.8活动总结.zip", summary_members()))
    assert (r.status, r.report_type, r.unit, r.timeliness) == ("accepted", "summary", "P01", "on_time"), r.errors
    top = "人保财险活动总结/"
    assert parts(env) == [
        ("plan", f"{top}活动方案.docx", None), ("text", f"{top}人保财险7.8活动总结.docx", None),
        ("photos", f"{top}照片/IMG_001.JPG", None), ("photos", f"{top}照片/IMG_002.jpg", None),
        ("videos", f"{top}视频链接.txt", "https://v.qq.com/x/page/a1.html"),
        ("videos", f"{top}视频链接.txt", "https://v.douyin.com/xyz/")]
    with session_scope(env.engine) as s:
        photo = s.scalars(select(SummaryPart).where(SummaryPart.part == "photos")).first()
        assert (photo.sha256, photo.size) == (hashlib.sha256(JPEG).hexdigest(), len(JPEG))

    status = summary_status(env, at("2019-07-12 18:00"))
    assert (status["expected"], status["submitted"], status["missing"]) == (63, 1, 62)
    picc = next(u for u in status["units"] if u["unit"] == "P01")
    assert picc["status"] == "accepted" and picc["timeliness"] == "on_time"
    assert picc["parts"] == {"plan": {"files": 1, "links": 0}, "text": {"files": 1, "links": 0},
                             "photos": {"files": 2, "links": 0}, "videos": {"files": 0, "links": 2}}
    assert summary_status(env, at("2019-07-12 14:00"))["submitted"] == 0


def test_zip_without_photos_is_refused_listing_what_is_missing(env, tmp_path):
    r = one(env, make_zip(tmp_path / "国寿财险活动总结.zip", summary_members(photos=False, videos=False)))
    assert (r.status, r.unit) == ("rejected", "P04")
    [e] = r.errors
    assert "活动总结缺少：图片" in e["message"] and "活动方案" not in e["message"].split("缺少")[1].split("。")[0]
    assert parts(env) == []
    status = summary_status(env, at("2019-07-12 18:00"))
    gsc = next(u for u in status["units"] if u["unit"] == "P04")
    assert gsc["status"] == "missing" and "缺少：图片" in gsc["rejected"]["errors"][0]


def test_zip_missing_everything_lists_each_required_part(env, tmp_path):
    r = one(env, make_zip(tmp_path / "人保财险活动总结.zip", {"说明.docx": b"x"}))
    message = r.errors[0]["message"]
    assert "活动方案" in message and "文字总结" in message and "图片" in message and "视频（" not in message
    assert "未归入" in r.warnings[0]["message"] and "说明.docx" in r.warnings[0]["message"]


@pytest.mark.parametrize("bad", ["../../etc/cron.d/x.jpg", "/etc/passwd", "照片/../../逃逸.jpg", "C:/Windows/x.jpg",
                                 "..\\..\\evil.jpg"])
def test_zip_with_an_unsafe_member_path_is_refused(env, tmp_path, bad):
    members = {**summary_members(top=""), bad: JPEG}
    r = one(env, make_zip(tmp_path / "人保财险活动总结.zip", members))
    assert r.status == "rejected"
    assert "不安全" in r.errors[0]["message"] and "整个压缩包已拒收" in r.errors[0]["message"]
    assert parts(env) == []


def test_zip_bomb_is_refused(env, tmp_path):
    members = {**summary_members(top=""), "照片/huge.jpg": b"\0" * (30 * 1024**2)}
    r = one(env, make_zip(tmp_path / "人保财险活动总结.zip", members))
    assert r.status == "rejected" and "压缩比异常" in r.errors[0]["message"]


def test_windows_zip_with_gbk_names(env, tmp_path):
    r = one(env, make_zip(tmp_path / "平安财险活动总结.zip", summary_members(top="材料/"), gbk_names=True))
    assert (r.status, r.unit) == ("accepted", "P02"), r.errors
    assert ("plan", "材料/活动方案.docx", None) in parts(env)


def test_unit_from_the_folder_inside_or_refused(env, tmp_path):
    r = one(env, make_zip(tmp_path / "活动总结.zip", summary_members(top="太平人寿活动总结/")))
    assert (r.status, r.unit) == ("accepted", "L06"), r.errors
    nameless = one(env, make_zip(tmp_path / "总结材料.zip", summary_members(top="")))
    assert nameless.status == "rejected" and "没有可识别的单位名称" in nameless.errors[0]["message"]
    both = one(env, make_zip(tmp_path / "平安财险平安人寿活动总结.zip", summary_members(top="", videos=False)))
    assert both.status == "rejected" and "可能指多家单位" in both.errors[0]["message"]


def test_link_file_without_addresses_does_not_count(env, tmp_path):
    members = summary_members(photos=False, videos=False)
    members["人保财险活动总结/图片链接.txt"] = "图片见网盘，稍后发送"
    r = one(env, make_zip(tmp_path / "人保财险活动总结.zip", members))
    assert r.status == "rejected" and "缺少：图片" in r.errors[0]["message"]
    assert any("没有找到网址" in w["message"] for w in r.warnings)
    members["人保财险活动总结/图片链接.txt"] = "百度网盘 https://pan.example.org/s/1abc 提取码 x1y2"
    ok = one(env, make_zip(tmp_path / "人保财险活动总结2.zip", members))
    assert ok.status == "accepted", ok.errors
    assert ("photos", "人保财险活动总结/图片链接.txt", "https://pan.example.org/s/1abc") in parts(env)


def test_resubmission_replaces_and_late_is_flagged(env, tmp_path):
    one(env, make_zip(tmp_path / "a/人保财险活动总结.zip", summary_members(videos=False)))
    again = one(env, make_zip(tmp_path / "b/人保财险活动总结.zip", summary_members()), when=LATE)
    assert (again.version, again.timeliness) == (2, "late")
    picc = next(u for u in summary_status(env, at("2019-07-13 00:00"))["units"] if u["unit"] == "P01")
    assert (picc["version"], picc["timeliness"], picc["parts"]["videos"]["links"]) == (2, "late", 2)


def _folder(root, members):
    for name, data in members.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data.encode("utf-8") if isinstance(data, str) else data)


def test_folders_bundles_and_tabular_files_side_by_side(env, tmp_path):
    inbox = tmp_path / "收到的文件"
    write_xlsx(inbox / "每日报送" / "人保财险0626.xlsx", [daily_row()])
    _folder(inbox, summary_members(top="国寿财险活动总结/"))  # found as a bundle by its name
    _folder(tmp_path / "other", summary_members(top="材料/"))  # submitted with --bundle
    (tmp_path / "other" / "材料").rename(tmp_path / "other" / "中华财险")
    results = ingest_paths(env, [inbox], bundles=[tmp_path / "other" / "中华财险"], received_at=ON_TIME)
    got = sorted((r.report_type, r.unit, r.status, r.filename) for r in results)
    assert got == [("daily_report", "P01", "accepted", "人保财险0626.xlsx"),
                   ("summary", "P04", "accepted", "国寿财险活动总结.zip"),
                   ("summary", "P11", "accepted", "中华财险.zip")], [r.errors for r in results]
    again = ingest_paths(env, [inbox], received_at=at("2019-07-12 15:30"))
    assert sorted(r.status for r in again) == ["duplicate", "duplicate"]  # the same folder zips to the same bytes


def test_a_folder_named_only_after_the_report_is_searched_not_bundled(env, tmp_path):
    folder = tmp_path / "活动总结"
    make_zip(folder / "人保财险活动总结.zip", summary_members())
    make_zip(folder / "国寿财险活动总结.zip", summary_members(top="国寿/"))
    results = ingest_paths(env, [folder], received_at=ON_TIME)
    assert sorted((r.unit, r.status) for r in results) == [("P01", "accepted"), ("P04", "accepted")]


def test_rar_is_refused_with_advice(env, tmp_path):
    path = tmp_path / "人保财险活动总结.rar"
    path.write_bytes(b"Rar!\x1a\x07\x00junk")
    r = one(env, path)
    assert r.status == "rejected" and "请改用 zip 格式" in r.errors[0]["message"]


def test_extract_a_units_bundle(env, tmp_path):
    one(env, make_zip(tmp_path / "人保财险活动总结.zip", summary_members(), gbk_names=True))
    folder = extract_summary(env, "P01", tmp_path / "out", at("2019-07-13 00:00"))
    assert (folder / "人保财险活动总结" / "照片" / "IMG_001.JPG").read_bytes() == JPEG
    assert "https://v.douyin.com/xyz/" in (folder / "人保财险活动总结" / "视频链接.txt").read_text(encoding="utf-8")
    with pytest.raises(LookupError):
        extract_summary(env, "P02", tmp_path / "out", at("2019-07-13 00:00"))


def test_archived_zip_is_the_record(env, tmp_path):
    path = make_zip(tmp_path / "人保财险活动总结.zip", summary_members())
    one(env, path)
    archived = list((env.settings.archive_dir).rglob("*.zip"))
    assert [p.read_bytes() for p in archived] == [path.read_bytes()]
    with zipfile.ZipFile(io.BytesIO(archived[0].read_bytes())) as book:
        assert "人保财险活动总结/照片/IMG_001.JPG" in book.namelist()


def test_summary_template_tells_what_to_pack(campaign, tmp_path):
    from openpyxl import load_workbook

    from insday.templates import HELP_SHEET, write_templates

    [path] = write_templates(campaign, tmp_path, ["summary"])
    rows = [[c.value for c in r][:3] for r in load_workbook(path)[HELP_SHEET].iter_rows()]
    assert ["活动方案", "是", '文件名含"方案"的 Word/PDF/WPS 文件'] in rows
    assert ["视频", "否", 'mp4/mov 视频，或"视频链接.txt"'] in rows
