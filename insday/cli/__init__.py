"""The ``insday`` command line: a thin shell over the same functions the Prefect tasks call.

Each module registers its commands; heavy imports (GX, Prefect, pandas) happen inside
the commands that need them, so quick commands stay quick.
"""

from __future__ import annotations

import typer

from insday.cli import bulletin, core, demo, essays, fake, mail, orchestrate, reports, steps

app = typer.Typer(
    name="insday",
    help="insday: 7.8 保险公众宣传日活动流水线 (campaign pipeline). Run `insday COMMAND --help` for details.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
bulletin.register(app)
core.register(app)
demo.register(app)
essays.register(app)
fake.register(app)
mail.register(app)
orchestrate.register(app)
reports.register(app)
steps.register(app)


def main() -> None:
    app()
