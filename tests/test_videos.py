"""Short videos: the daily leaderboard and champion as known at a moment, every champion
so far, submissions per unit, and the certificate list of everyone who made a board."""

from __future__ import annotations

import json
from datetime import date, time

import pytest
from contracts import check
from openpyxl import load_workbook
from reportmaker import BOARD_HEADER, VIDEO_HEADER, at, board_rows, video_row, write
from sqlalchemy import select

from insday.db import session_scope
from insday.db.models.reports import VideoRow
from insday.intake.service import ingest_paths
from insday.reports.videos import VideoBoard, video_certificates, video_leaderboard, write_certificates
from insday.reports.withdrawals import WithdrawalDone

BOARDS = {
    "2019-06-20": [("理赔小故事", "人保财险", "张三、李四", 900), ("车险那些事", "国寿财险", "王五", 800),
                   ("健康守护", "中国人寿", "赵六", 500)],
    "2019-06-21": [("车险那些事", "国寿财险", "王五", 1200), ("理赔小故事", "人保财险", "张三、李四", 1100),
                   ("扶贫路上", "长春市协会", "孙七", 300)],
    "2019-06-22": [("扶贫路上", "长春市协会", "孙七", 2000), ("健康守护", "中国人寿", "赵六", 1500),
                   ("新作品", "人保财险", "张三", 100)],
}
CORRECTED_22 = [("健康守护", "中国人寿", "赵六", 2100), ("扶贫路上", "长春市协会", "孙七", 2000),
                ("新作品", "人保财险", "张三", 100)]


@pytest.fixture
def boards(env, tmp_path):
    for day, entries in BOARDS.items():
        [r] = ingest_paths(env, [write(tmp_path / f"{day}.xlsx", BOARD_HEADER, board_rows(day, entries))],
                           received_at=at(f"{day} 22:00"))
        assert r.status == "accepted", r.errors
    [r] = ingest_paths(env, [write(tmp_path / "fix.xlsx", BOARD_HEADER, board_rows("2019-06-22", CORRECTED_22))],
                       received_at=at("2019-06-23 09:00"))
    assert r.version == 2
    return env


def test_leaderboard_and_champions(boards):
    latest = video_leaderboard(boards, at("2019-06-22 23:00"))
    assert latest["day"] == "2019-06-22" and latest["size"] == 10
    assert [(e["rank"], e["title"], e["author"], e["unit"], e["votes"]) for e in latest["entries"]] == [
        (1, "扶贫路上", "孙七", "C01", 2000), (2, "健康守护", "赵六", "L01", 1500), (3, "新作品", "张三", "P01", 100)]
    assert latest["champion"]["title"] == "扶贫路上" and latest["champion"]["short_name"] == "长春市协会"
    assert [(c["day"], c["title"]) for c in latest["champions"]] == [
        ("2019-06-20", "理赔小故事"), ("2019-06-21", "车险那些事"), ("2019-06-22", "扶贫路上")]

    corrected = video_leaderboard(boards, at("2019-06-23 10:00"))
    assert corrected["champion"]["title"] == "健康守护" and corrected["champions"][-1]["author"] == "赵六"

    earlier = video_leaderboard(boards, at("2019-06-23 10:00"), day=date(2019, 6, 21))
    assert earlier["champion"]["author"] == "王五" and len(earlier["champions"]) == 2
    assert video_leaderboard(boards, at("2019-06-21 12:00"))["day"] == "2019-06-20"  # 06-21's board not in yet
    none = video_leaderboard(boards, at("2019-06-23 10:00"), day=date(2019, 7, 1))
    assert (none["entries"], none["champion"]) == ([], None)


def test_submissions_per_unit(env, tmp_path):
    first = [video_row(title="理赔小故事", link="https://v.douyin.com/a/"),
             video_row(title="车险那些事", link="https://v.douyin.com/b/")]
    city = [video_row(unit="长春市协会", title="扶贫路上", author="孙七", link="https://v.douyin.com/c/")]
    again = [video_row(title="理赔小故事（修订版）", link="https://v.douyin.com/a/")]  # same link: an update
    ingest_paths(env, [write(tmp_path / "a.xlsx", VIDEO_HEADER, first), write(tmp_path / "c.xlsx", VIDEO_HEADER, city)],
                 received_at=at("2019-06-22 10:00"))
    ingest_paths(env, [write(tmp_path / "b.xlsx", VIDEO_HEADER, again)], received_at=at("2019-06-23 10:00"))
    s = video_leaderboard(env, at("2019-06-24 00:00"))["submissions"]
    assert (s["videos"], s["units"]) == (3, 2)
    assert [(u["unit"], u["videos"]) for u in s["by_unit"]] == [("P01", 2), ("C01", 1)]
    assert video_leaderboard(env, at("2019-06-24 00:00"))["champion"] is None


def test_certificate_list(boards, tmp_path):
    people = video_certificates(boards, at("2019-07-09 00:00"))
    assert [(p["unit"], p["author"], p["days"], p["best_rank"], p["champion_days"], p["award"]) for p in people] == [
        ("C01", "孙七", ["2019-06-21", "2019-06-22"], 2, [], "短视频达人榜上榜"),  # champion only before the fix
        ("L01", "赵六", ["2019-06-20", "2019-06-22"], 1, ["2019-06-22"], "短视频日冠军"),
        ("P01", "张三", ["2019-06-20", "2019-06-21", "2019-06-22"], 1, ["2019-06-20"], "短视频日冠军"),
        ("P01", "李四", ["2019-06-20", "2019-06-21"], 1, ["2019-06-20"], "短视频日冠军"),
        ("P04", "王五", ["2019-06-20", "2019-06-21"], 1, ["2019-06-21"], "短视频日冠军"),
    ]
    assert people[2]["titles"] == ["理赔小故事", "新作品"]
    path = write_certificates(people, tmp_path, boards.campaign)
    sheet = load_workbook(path)["证书名单"]
    assert sheet.cell(row=sheet.max_row, column=1).value.startswith(
        '2019年吉林保险业"7.8全国保险公众宣传日"活动 · 年度主题：爱国爱家，从一份保障开始。共 5 人。')
    assert [c.value for c in sheet[1]][:4] == ["序号", "姓名", "单位", "证书"]
    assert [sheet.cell(row=r, column=2).value for r in range(2, 7)] == ["孙七", "赵六", "张三", "李四", "王五"]
    assert sheet["F4"].value == "6月20日、6月21日、6月22日"



# ----- durations: the notice's one-minute limit; withdrawn videos -----------------------------------

DURATION_HEADER = [*VIDEO_HEADER, "时长（秒）"]


def stored_videos(env):
    with session_scope(env.engine) as s:
        return [(v.title, v.duration) for v in s.scalars(select(VideoRow).order_by(VideoRow.id))]


def test_duration_in_seconds_minutes_or_clock_form(env, tmp_path):
    rows = [video_row(title="秒数", link="https://v.douyin.com/a/") + [45],
            video_row(title="分秒", link="https://v.douyin.com/b/") + ["0:58"],
            video_row(title="中文", link="https://v.douyin.com/c/") + ["1分钟"],
            video_row(title="Excel时间", link="https://v.douyin.com/d/") + [time(0, 52)],  # 0:52 typed, read as h:mm
            video_row(title="未填", link="https://v.douyin.com/e/") + [None]]
    [r] = ingest_paths(env, [write(tmp_path / "v.xlsx", DURATION_HEADER, rows)], received_at=at("2019-06-23 10:00"))
    assert r.status == "accepted", r.errors
    assert stored_videos(env) == [("秒数", 45), ("分秒", 58), ("中文", 60), ("Excel时间", 52), ("未填", None)]
    assert video_leaderboard(env, at("2019-06-24 00:00"))["submissions"]["videos"] == 5


def test_duration_over_one_minute_is_refused_naming_row_and_column(env, tmp_path):
    rows = [video_row(title="短", link="https://v.douyin.com/a/") + ["0:59"],
            video_row(title="长", link="https://v.douyin.com/b/") + ["1:05"],
            video_row(title="更长", link="https://v.douyin.com/c/") + ["65秒"]]
    path = write(tmp_path / "人保财险短视频.xlsx", DURATION_HEADER, rows)
    [r] = ingest_paths(env, [path], received_at=at("2019-06-23 10:00"))
    assert r.status == "rejected"
    assert [(e["row"], e["column"]) for e in r.errors] == [(3, "时长(秒)"), (4, "时长(秒)")]
    assert r.errors[0]["message"] == ("文件「人保财险短视频.xlsx」第3行「时长(秒)」列：值「65」超过 60 秒。"
                                      "活动要求短视频在 1 分钟（60 秒）以内，请剪辑后重新发布，再报送新的链接和时长")
    assert stored_videos(env) == []  # nothing of a refused file is stored


def test_duration_header_in_minutes_is_converted_and_the_limit_is_the_campaigns(env, tmp_path, campaign):
    header = [*VIDEO_HEADER, "视频时长(分钟)"]
    [r] = ingest_paths(env, [write(tmp_path / "v.xlsx", header, [video_row() + [0.5]])], received_at=at("2019-06-23 10:00"))
    assert r.status == "accepted", r.errors
    assert stored_videos(env) == [("理赔小故事", 30)]
    assert any("已换算为「秒」（乘以 60）" in w["message"] for w in r.warnings)
    assert campaign.videos.max_duration_seconds == 60


@pytest.fixture
def reported_videos(boards, tmp_path):
    """The boards above, and the units' own video reports with their links."""
    files = [write(tmp_path / f"{n}.xlsx", VIDEO_HEADER, [row]) for n, row in enumerate([
        video_row(unit="中国人寿", title="健康守护", author="赵六", link="https://v.douyin.com/health/"),
        video_row(unit="长春市协会", title="扶贫路上", author="孙七", link="https://v.douyin.com/poverty/"),
        video_row(title="理赔小故事", author="张三、李四", link="https://v.douyin.com/claims/")])]
    results = ingest_paths(boards, files, received_at=at("2019-06-20 12:00"))
    assert [r.status for r in results] == ["accepted"] * 3, [r.errors for r in results]
    return boards


WITHDRAWN_AT = at("2019-06-24 09:00")


def test_a_withdrawn_video_leaves_the_boards_and_the_certificates(reported_videos):
    from insday.audit import entries
    from insday.reports.withdrawals import withdraw_video

    env = reported_videos
    share = "复制打开抖音，看看【中国人寿的作品】健康守护 https://v.douyin.com/health/ 复制此链接"
    done = withdraw_video(env, share, "含负面信息", "刘璐", at=WITHDRAWN_AT)
    check(json.loads(json.dumps(done, default=str)), WithdrawalDone)  # as `insday videos withdraw --json` prints it
    assert (done["link"], done["unit"], done["title"], done["author"], done["created"]) == (
        "https://v.douyin.com/health/", "L01", "健康守护", "赵六", True)

    after = video_leaderboard(env, at("2019-06-24 10:00"))
    check(after, VideoBoard)
    assert [(e["rank"], e["title"]) for e in after["entries"]] == [(2, "扶贫路上"), (3, "新作品")]  # ranks as published
    assert after["champion"] is None  # the day's champion was withdrawn: that day has none
    assert [(c["day"], c["title"]) for c in after["champions"]] == [("2019-06-20", "理赔小故事"), ("2019-06-21", "车险那些事")]
    assert after["submissions"]["videos"] == 2
    assert [(w["title"], w["short_name"], w["reason"]) for w in after["withdrawn"]] == [("健康守护", "中国人寿", "含负面信息")]
    day_20 = video_leaderboard(env, at("2019-06-24 10:00"), day=date(2019, 6, 20))
    assert [e["title"] for e in day_20["entries"]] == ["理赔小故事", "车险那些事"]  # by title and unit: no link on the board
    people = video_certificates(env, at("2019-07-09 00:00"))
    assert "赵六" not in [p["author"] for p in people] and len(people) == 4

    before = video_leaderboard(env, at("2019-06-24 08:59"))  # knowledge time: before the withdrawal nothing changed
    assert before["champion"]["title"] == "健康守护" and before["withdrawn"] == []
    assert "赵六" in [p["author"] for p in video_certificates(env, at("2019-06-24 08:59"))]

    again = withdraw_video(env, "https://v.douyin.com/health/", "重复操作", "someone")
    assert again["created"] is False and again["reason"] == "含负面信息"
    with session_scope(env.engine) as s:
        log = entries(s, env.campaign.name)
    assert [(e["action"], e["actor"], e["unit"], e["reason"], e["detail"]["link"]) for e in log] == [
        ("video_withdraw", "刘璐", "L01", "含负面信息", "https://v.douyin.com/health/")]


def test_withdrawal_with_moving_up_and_unknown_videos(reported_videos):
    from insday.env import Env
    from insday.reports.withdrawals import VideoNotFound, withdraw_video

    env = reported_videos
    rules = env.campaign.videos.model_copy(update={"keep_ranks_after_withdrawal": False})
    moving = Env(env.settings, env.campaign.model_copy(update={"videos": rules}))
    with session_scope(env.engine) as s:
        row_id = s.scalar(select(VideoRow.id).where(VideoRow.title == "健康守护"))
    withdraw_video(moving, str(row_id), "含负面信息", "刘璐", at=WITHDRAWN_AT)  # by its row id
    board = video_leaderboard(moving, at("2019-06-24 10:00"))
    assert [(e["rank"], e["title"]) for e in board["entries"]] == [(1, "扶贫路上"), (2, "新作品")]
    assert board["champion"]["title"] == "扶贫路上"
    with pytest.raises(VideoNotFound, match="未找到链接为「https://v.douyin.com/none/」的短视频"):
        withdraw_video(env, "https://v.douyin.com/none/", "原因", "刘璐")
    with pytest.raises(ValueError, match="原因"):
        withdraw_video(env, "https://v.douyin.com/poverty/", " ", "刘璐")


def test_cli_withdraw(reported_videos):
    import json

    from typer.testing import CliRunner

    from insday.cli import app

    runner = CliRunner()
    result = runner.invoke(app, ["videos", "withdraw", "https://v.douyin.com/poverty/", "--reason", "画面含负面内容",
                                 "--actor", "刘璐", "--json"])
    assert result.exit_code == 0, result.output
    payload = json.loads(result.stdout)
    assert (payload["unit"], payload["title"], payload["reason"], payload["created"]) == ("C01", "扶贫路上", "画面含负面内容", True)
    board = json.loads(runner.invoke(app, ["videos", "board", "--day", "2019-06-22", "--json"]).stdout)
    assert "扶贫路上" not in [e["title"] for e in board["entries"]]
    missing = runner.invoke(app, ["videos", "withdraw", "https://v.douyin.com/none/", "--reason", "x"])
    assert missing.exit_code == 1 and "未找到" in missing.output
