"""The command line reads alike everywhere: every command's help without type tags, one name per
concept (--out DIR, --as-of T, --json), and a mistake in what was typed is one Chinese line with
exit code 2, never a traceback."""

from __future__ import annotations

import re

import pytest
import typer
from typer.core import TyperArgument, TyperOption
from typer.testing import CliRunner

from insday.cli import app

runner = CliRunner()
WIDE = {"COLUMNS": "200", "TERMINAL_WIDTH": "200"}
# click's metavars (old typer) and typer's type tags (typer 0.2x: <str>, <bool>, <path>, <list[Path]>...)
TYPE_TAGS = re.compile(r"\b(TEXT|PATH|INTEGER|BOOLEAN|FLOAT|DIRECTORY|FILENAME|DATETIME)\b"
                       r"|<(?:str|bool|int|float|path|file|dir|directory|datetime|Path|list\[[^\]]*\])>")
CHINESE_ERROR = re.compile(r"^错误：[^\n]*[\u4e00-\u9fff][^\n]*（运行 [^\n]+ --help 查看用法）\n$")


def commands(command=None, path=()):
    command = command or typer.main.get_command(app)
    yield path, command
    for name, sub in getattr(command, "commands", {}).items():
        yield from commands(sub, (*path, name))


PATHS = [path for path, _ in commands()]


def options(command) -> list[TyperOption]:
    return [p for p in command.params if isinstance(p, TyperOption) and not p.hidden]


def test_every_command_is_covered():
    assert len(PATHS) > 35
    assert {("ingest",), ("docs",), ("collect",), ("steps", "import"), ("videos", "board"), ("bulletin",),
            ("summary", "extract"), ("fake", "generate")} <= set(PATHS)


@pytest.mark.parametrize("path", PATHS, ids=lambda p: " ".join(p) or "insday")
def test_help_shows_what_to_write_never_a_type(path):
    result = runner.invoke(app, [*path, "--help"], env=WIDE)
    assert result.exit_code == 0 and "Usage" in result.output
    tags = {m.group(0) for m in TYPE_TAGS.finditer(result.output)}
    assert not tags, f"insday {' '.join(path)} --help shows {tags}"
    # help texts say "(default: ...)": square brackets are markup to rich, and what is inside vanishes
    command = dict(commands())[path]
    for param in command.params:
        assert "[default:" not in (getattr(param, "help", None) or ""), (path, param.name)


def test_one_name_per_concept():
    seen = {}
    for path, command in commands():
        for opt in options(command):
            names = set(opt.opts)
            help_text = (opt.help or "").lower()
            seen.setdefault(opt.metavar, set()).update(names)
            if opt.metavar == "DIR" and "--bundle" not in names:  # a folder written into (--bundle is read)
                assert names == {"--out"}, (path, names)
            if "folder" in help_text and ("write" in help_text or "publish" in help_text):
                assert names == {"--out"} and opt.metavar == "DIR", (path, names)
            if "json" in help_text and opt.is_flag:
                assert names == {"--json"}, (path, names)
            if opt.metavar == "T":
                assert names <= {"--as-of", "--received-at", "--until", "--from"}, (path, names)
            assert not names & {"--output", "--out-dir", "--outdir", "--dir", "--folder", "--at", "--when",
                                "--moment", "--time", "--day", "--as-json"}, (path, names)
            if not opt.is_flag:
                assert opt.metavar and opt.metavar.upper() == opt.metavar, (path, names, opt.metavar)
        for arg in (p for p in command.params if isinstance(p, TyperArgument)):
            assert arg.metavar and arg.metavar.upper() == arg.metavar, (path, arg.name)
    assert seen["T"] == {"--as-of", "--received-at", "--until", "--from"}
    assert seen["DIR"] == {"--out", "--bundle"}


def moment_commands():
    for path, command in commands():
        if any("--as-of" in o.opts for o in options(command)):
            yield path, command


def filled(command, tmp_path) -> list[str]:
    """Values for a command's required parameters, so that only --as-of is wrong."""
    args = []
    for param in command.params:
        if param.required and isinstance(param, TyperArgument):
            args.append("P01")
        elif param.required and isinstance(param, TyperOption):
            args += [param.opts[0], str(tmp_path / "x")]
    return args


@pytest.mark.parametrize("path", [p for p, _ in moment_commands()], ids=" ".join)
def test_a_bad_moment_is_one_chinese_line_and_exit_2(env, tmp_path, path):
    command = dict(commands())[path]
    result = runner.invoke(app, [*path, *filled(command, tmp_path), "--as-of", "昨天上午"], env=WIDE)
    assert result.exit_code == 2, result.output
    assert CHINESE_ERROR.match(result.stderr), result.stderr
    assert result.stderr.startswith("错误：--as-of：「昨天上午」不是有效的时间。请写成 2019-06-27T10:30")
    assert "Traceback" not in result.output and result.stdout == ""


@pytest.mark.parametrize("args, shown", [
    (["ingest", "/no/such/file.xlsx"], "错误：FILES：找不到「/no/such/file.xlsx」，请检查路径"),
    (["ingest", "--received-at", "yesterday", "."], "错误：--received-at：「yesterday」不是有效的时间"),
    (["ingest"], "错误：FILES：请给出至少一个文件或文件夹"),
    (["steps", "import", "/no/such/donations.csv.gz"], "错误：FILE：找不到「/no/such/donations.csv.gz」"),
    (["steps", "pull", "--file", "/no/such.xlsx"], "错误：--file：找不到「/no/such.xlsx」"),
    (["summary", "extract", "火星保险"], "错误：UNIT：火星保险："),
    (["videos", "board", "--date", "6月31日"], "错误：--date：「6月31日」不是有效的日期"),
    (["videos", "board", "--day", "2019-13-01"], "错误：--date：「2019-13-01」不是有效的日期"),
    (["demo", "--until", "tomorrow"], "错误：--until：「tomorrow」不是有效的日期"),
    (["templates", "--type", "weekly"], "错误：--type：没有报表类型「weekly」"),
    (["status", "--deadline", "nope"], "错误：--deadline：没有截止事项「nope」"),
    (["outbox", "--kind", "spam"], "错误：--kind：没有类型「spam」"),
    (["outbox", "--limit", "0"], "错误：--limit：须不小于 1"),
    (["outbox", "--limit", "many"], "错误：--limit：须为数字"),
    (["status", "--asof", "2019-06-27"], "错误：没有 --asof 这个选项"),
    (["no-such-command"], "错误：没有「no-such-command」这个命令"),
    (["steps", "import"], "错误：缺少 FILE"),
])
def test_mistakes_in_what_was_typed_are_one_chinese_line_and_exit_2(env, args, shown):
    result = runner.invoke(app, args, env=WIDE)
    assert result.exit_code == 2, result.output
    assert result.stderr.startswith(shown), result.stderr
    assert CHINESE_ERROR.match(result.stderr), result.stderr
    assert "Traceback" not in result.output


def test_a_renamed_option_still_works_under_its_old_name_and_is_not_shown(env):
    new = runner.invoke(app, ["videos", "board", "--date", "2019-06-22", "--as-of", "2019-07-01", "--json"])
    old = runner.invoke(app, ["videos", "board", "--day", "2019-06-22", "--as-of", "2019-07-01", "--json"])
    assert new.exit_code == old.exit_code == 0 and new.stdout == old.stdout
    assert '"day": "2019-06-22"' in new.stdout
    assert "--day" not in runner.invoke(app, ["videos", "board", "--help"], env=WIDE).output


def test_an_abort_is_told_in_chinese_and_any_other_error_stays_itself():
    from insday.cli.shell import Group

    demo = typer.Typer(cls=Group)

    @demo.command()
    def stop() -> None:
        raise typer.Abort()

    @demo.command()
    def broken() -> None:
        raise ValueError("a bug, to be seen as it is")

    aborted = runner.invoke(demo, ["stop"], standalone_mode=True)
    assert (aborted.exit_code, aborted.stderr) == (1, "已中止\n")
    crashed = runner.invoke(demo, ["broken"])
    assert isinstance(crashed.exception, ValueError) and str(crashed.exception) == "a bug, to be seen as it is"
