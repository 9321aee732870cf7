"""`insday fake`: synthetic submissions, as member units would send them."""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Annotated

import typer

from insday.cli.common import context, json_option, out, parse_day, print_json

app = typer.Typer(help="Synthetic submissions (模拟数据): realistic files for the demo, tests and training.",
                  no_args_is_help=True)


@app.command()
def generate(
    out_dir: Annotated[Path, typer.Option("--out", metavar="DIR", help="Folder to write the files and "
                                                                       "manifest.json to.")],
    seed: Annotated[int, typer.Option("--seed", metavar="N", show_default=False,
                                      help="Random seed: the same seed gives the same files (default: 78).")] = 78,
    until: Annotated[str | None, typer.Option("--until", metavar="DAY", help="Only files arriving up to this day, "
                                                                             "YYYY-MM-DD.")] = None,
    participants: Annotated[int, typer.Option("--participants", metavar="N", show_default=False,
                                              help="Step-run participants to simulate (default: 6000).")] = 6_000,
    as_json: json_option("the manifest as JSON") = False,
) -> None:
    """Write every file the campaign's member units would send, with when each arrives."""
    # lazy: openpyxl about 0.2 s; `insday --help` and `status` must not pay it
    from insday.fake.generate import Generator

    ctx = context()
    last = parse_day(until, "--until")
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
