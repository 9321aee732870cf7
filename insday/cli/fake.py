"""`insday fake`: synthetic submissions, as member units would send them."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Annotated

import typer

from insday.cli.common import context, out, print_json

app = typer.Typer(help="Generate realistic synthetic submissions (for the demo, tests and training).",
                  no_args_is_help=True)


@app.command()
def generate(
    out_dir: Annotated[Path, typer.Option("--out", help="Folder to write the files and manifest.json to.")],
    seed: Annotated[int, typer.Option(help="Random seed: the same seed gives the same files.")] = 78,
    until: Annotated[str | None, typer.Option(help="Only files arriving up to this day (YYYY-MM-DD).")] = None,
    participants: Annotated[int, typer.Option(help="Step-run participants to simulate.")] = 6_000,
    as_json: Annotated[bool, typer.Option("--json", help="Print the manifest as JSON.")] = False,
) -> None:
    """Write every file the campaign's member units would send, with when each arrives."""
    from collections import Counter

    from insday.fake.generate import Generator

    ctx = context()
    try:
        last = date.fromisoformat(until) if until else None
    except ValueError:
        raise typer.BadParameter(f"not a date: {until!r}", param_hint="--until") from None
    arrivals = Generator(ctx.campaign, out_dir, seed=seed, participants=participants, until=last).run()
    if as_json:
        print_json([a.as_dict() for a in arrivals])
        return
    counts = Counter(a.report_type for a in arrivals)
    out.print(f"{len(arrivals)} files in {out_dir} (manifest.json lists when each arrives)")
    for kind, n in sorted(counts.items()):
        out.print(f"  {kind}: {n}")


def register(root: typer.Typer) -> None:
    root.add_typer(app, name="fake")
