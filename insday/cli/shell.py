"""What every ``insday`` command shares in how it meets people: help that reads alike, and
errors in Chinese.

- **Help.** Options show what to write, never a type: ``--out DIR``, ``--as-of T``, ``--limit N``
  (each option names its ``metavar``); flags (``--json``, ``--dry-run``, ``--help``) and
  arguments show no type tag (typer would print ``<bool>``, ``<path>``, ``TEXT``...).
- **Errors.** A mistake in what was typed (a bad date, an unknown unit, a missing file, an
  unknown option) is one Chinese line on stderr and exit code 2, never a traceback nor an
  English box: ``错误：--as-of：「昨天」不是有效的时间……（运行 insday status --help 查看用法）``.

:class:`Group` is the root command's class (``typer.Typer(cls=Group)``): it tidies the help of
the whole command tree once it is built, so commands registered by any module, with typer's
defaults, are covered.
"""

from __future__ import annotations

import re
import sys
from typing import Any

import typer
from typer.core import TyperArgument, TyperGroup, TyperOption

try:  # typer 0.2x vendors click (its Abort is typer's own); earlier versions use click itself
    from typer._click import exceptions as cx
    from typer.exceptions import Abort
except ImportError:  # pragma: no cover
    from click import exceptions as cx
    from click.exceptions import Abort

_CJK = re.compile(r"[\u3400-\u9fff]")


def _no_type(ctx=None) -> None:
    return None


def tidy(command) -> None:
    """Help without type tags on every command under ``command`` (in place)."""
    for param in getattr(command, "params", ()):
        if isinstance(param, TyperOption) and param.is_flag and param.metavar is None:
            param.metavar = ""  # a flag takes no value: nothing to show
        elif isinstance(param, TyperArgument):
            param.display_type_rich = _no_type  # the argument's name is its metavar; no type after it
    original = command.get_help_option

    def help_option(ctx):
        option = original(ctx)
        if option is not None:
            option.metavar = ""
        return option

    command.get_help_option = help_option
    for sub in getattr(command, "commands", {}).values():
        tidy(sub)


def chinese(exc: cx.ClickException) -> str:
    """The one line a usage error is told in."""
    if isinstance(exc, cx.NoSuchOption):
        text = f"没有 {exc.option_name} 这个选项"
        if exc.possibilities:
            text += f"，是不是 {'、'.join(sorted(exc.possibilities))}？"
    elif isinstance(exc, cx.MissingParameter):
        text = f"缺少 {_hint(exc) or '参数'}"
    elif isinstance(exc, cx.BadParameter):
        hint = _hint(exc)
        message = exc.message if _CJK.search(exc.message) else _known(exc.message)
        text = f"{hint}：{message}" if hint else message
    elif isinstance(exc, cx.UsageError):
        m = re.match(r"No such command '(.+?)'", exc.message)
        text = f"没有「{m.group(1)}」这个命令" if m else (exc.message if _CJK.search(exc.message)
                                                          else f"用法有误（{exc.message}）")
    else:
        text = exc.format_message()
    ctx = getattr(exc, "ctx", None)
    where = f"（运行 {ctx.command_path} --help 查看用法）" if ctx is not None else ""
    return f"错误：{text.rstrip('。')}{where}"


# typer's and click's own messages for values they check themselves
_KNOWN = [(re.compile(r"Input should be greater than or equal to (\S+)"), "须不小于 {0}"),
          (re.compile(r"Input should be less than or equal to (\S+)"), "须不大于 {0}"),
          (re.compile(r"Input should be a valid (integer|number)"), "须为数字"),
          (re.compile(r"(?:path|Path|File|Directory) '(.+?)' does not exist"), "找不到「{0}」，请检查路径"),
          (re.compile(r"'(.+?)' is not a valid integer"), "「{0}」不是整数")]


def _known(message: str) -> str:
    for pattern, text in _KNOWN:
        if m := pattern.search(message):
            return text.format(*m.groups())
    return f"值无效（{message}）"


def _hint(exc: cx.BadParameter) -> str | None:
    hint = exc.param_hint
    if hint is None and exc.param is not None:
        opts = [o for o in exc.param.opts if o.startswith("--")]
        hint = opts[0] if opts else exc.param.get_error_hint()
    if hint is not None and not isinstance(hint, str):
        hint = " / ".join(hint)
    return hint.strip("'\"") if hint else None


class Group(TyperGroup):
    """The root command: tidies the help of every command, tells usage errors in Chinese."""

    def __init__(self, **attrs: Any) -> None:
        super().__init__(**attrs)
        tidy(self)

    def main(self, args=None, prog_name=None, complete_var=None, standalone_mode: bool = True, **extra: Any) -> Any:
        try:
            rv = super().main(args, prog_name, complete_var, standalone_mode=False, **extra)
        except cx.NoArgsIsHelpError as exc:  # `insday` alone: the help, as typer shows it
            if not standalone_mode:
                raise
            sys.exit(exc.exit_code)
        except cx.ClickException as exc:
            if not standalone_mode:
                raise
            typer.echo(chinese(exc), err=True)
            sys.exit(exc.exit_code)
        except Abort:
            if not standalone_mode:
                raise
            typer.echo("已中止", err=True)
            sys.exit(1)
        if not standalone_mode:
            return rv
        sys.exit(rv if isinstance(rv, int) else 0)
