"""The ``insday`` command line: a thin shell over the same functions the Prefect tasks call.

Each module registers its commands without importing what they run: SQLAlchemy, GX, Prefect,
pandas and the rest are imported inside the commands that need them (each with its ``# lazy:``
reason), so ``insday --help`` loads only the CLI skeleton and ``insday status`` only what it
asks the database with.

Conventions every command keeps (:mod:`insday.cli.common`, :mod:`insday.cli.shell`): help in
English, with the campaign's Chinese terms in parentheses after the English ones, e.g.
"Bulletin (通报)"; what a command tells its user (tables, messages, errors) in Chinese. One
name per concept: ``--out DIR`` for every output folder, ``--as-of T`` for the moment a
question is asked about, ``--received-at T`` for when data arrived, ``--json`` for output
for machines. Options show what to write (``DIR``, ``T``, ``N``), never a type. A mistake in
what was typed is one Chinese line and exit code 2.
"""

from __future__ import annotations

import gc

# Importing the commands (SQLAlchemy, pydantic, typer) makes a few hundred thousand objects that
# live until the process ends. The garbage collector would walk them again and again while they
# are made, and once more at exit (0.2-0.5 s of every command): it is paused while they are
# imported, and they are then kept out of every collection (gc.freeze).
gc.disable()

import os  # noqa: E402
from typing import Annotated  # noqa: E402

import typer  # noqa: E402
from rich.markup import escape  # noqa: E402

from insday.cli import admin, bulletin, core, demo, essays, fake, mail, orchestrate, reports, steps  # noqa: E402
from insday.cli.common import err  # noqa: E402
from insday.cli.shell import Group  # noqa: E402
from insday.errors import LeaseBusy  # noqa: E402
from insday.publishing import OutputBlocked  # noqa: E402
from insday.settings import get_settings  # noqa: E402

app = typer.Typer(
    name="insday",
    cls=Group,
    help="insday: the pipeline of the 7.8 National Insurance Public Awareness Day campaign (7.8 保险公众宣传日). "
         "Run `insday COMMAND --help` for details.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


@app.callback()
def _select(campaign: Annotated[str | None, typer.Option(
        "--campaign", metavar="NAME",
        help="The campaign (活动) to work on: a folder name under campaigns/ or a campaign folder's path "
             "(default: INSDAY_CAMPAIGN, or the one installed campaign).")] = None) -> None:
    if campaign:  # as INSDAY_CAMPAIGN, so flows run from here and child processes see it too
        os.environ["INSDAY_CAMPAIGN"] = campaign
        get_settings.cache_clear()


admin.register(app)
bulletin.register(app)
core.register(app)
demo.register(app)
essays.register(app)
fake.register(app)
mail.register(app)
orchestrate.register(app)
reports.register(app)
steps.register(app)
gc.freeze()
gc.enable()


def main() -> None:
    try:
        app()
    except OutputBlocked as exc:  # an output that failed its checks: say why, write nothing
        err.print(f"[red]{exc}[/red]", highlight=False)
        raise SystemExit(3) from None
    except LeaseBusy as exc:  # another run holds what this command needs (e.g. the mail): nothing was done
        err.print(f"[red]另一个运行正在进行（{exc.holder}），本次未执行；请稍后再试。[/red]", highlight=False)
        raise SystemExit(4) from None
    except Exception as exc:
        # lazy: SQLAlchemy only once something failed (the CLI starts without it)
        from sqlalchemy.exc import InterfaceError, OperationalError

        if not isinstance(exc, (OperationalError, InterfaceError)):
            raise
        # the database cannot be reached, or went away mid-run
        reason = str(getattr(exc, "orig", None) or exc).strip().splitlines()[0]
        err.print(f"[red]数据库不可用（{escape(reason)}）：本次未完成，已完成的部分已保存；请检查数据库后重新运行，"
                  "重复运行不会重复入库或发信。[/red]", highlight=False)
        raise SystemExit(5) from None
