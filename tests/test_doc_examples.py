"""The reference's examples are run: every ```json block in README.md and docs/*.md is tagged
with what it is (``<!-- example: insday status --json -->`` on the line before) and held to
that command's type (tests/contracts.py: exact keys, no coercion), and every ``insday ...``
command line the docs show (```bash blocks and inline code) names a command that exists with
options it has. A doc example that disagrees with the code fails here."""

from __future__ import annotations

import json
import re
import shlex
from pathlib import Path

import pytest
import typer
from contracts import check

from insday.bulletin.data import BulletinDocument
from insday.campaign import get_campaign
from insday.cli import app
from insday.deadlines.reminders import RemindReport
from insday.deadlines.status import StatusReport
from insday.essays.service import ResultsReport
from insday.intake.pipeline import IngestReport
from insday.paths import SHIPPED_CAMPAIGN
from insday.steps.importer import ImportReport
from insday.steps.pull import figures_from_json
from insday.steps.summary import Reconciliation, StepSummary

ROOT = Path(__file__).resolve().parent.parent
DOCS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]

# What each tag says its JSON is: a command's output type, or an input the code must accept.
OUTPUTS = {
    "bulletin.json": BulletinDocument,
    "insday status --json": StatusReport,
    "insday remind --json": RemindReport,
    "insday ingest --json": IngestReport,
    "insday essays results --json": ResultsReport,
    "insday steps import --json": ImportReport,
    "insday steps summary --json": StepSummary,
    "insday steps reconcile --json": Reconciliation,
}
INPUTS = {
    "INSDAY_STEPS_API_URL payload": lambda data: figures_from_json(get_campaign(SHIPPED_CAMPAIGN), data),
}

JSON_BLOCK = re.compile(r"(?:<!-- example: (?P<tag>[^>]*?) -->\n)?```json\n(?P<body>.*?)```", re.S)
BASH_BLOCK = re.compile(r"```bash\n(.*?)```", re.S)
INLINE = re.compile(r"`(insday [^`]+)`")


def where(path: Path, text: str, at: int) -> str:
    return f"{path.relative_to(ROOT)}:{text.count(chr(10), 0, at) + 1}"


def json_examples():
    for path in DOCS:
        text = path.read_text(encoding="utf-8")
        for m in JSON_BLOCK.finditer(text):
            yield pytest.param(m["tag"], m["body"], id=where(path, text, m.start("body")))


def command_lines():
    for path in DOCS:
        text = path.read_text(encoding="utf-8")
        for block in BASH_BLOCK.finditer(text):
            offset = block.start(1)
            for line in block[1].splitlines(keepends=True):
                command = line.split("#", 1)[0].strip()
                if command.startswith("insday "):
                    yield pytest.param(command, id=where(path, text, offset))
                offset += len(line)
        for m in INLINE.finditer(text):
            yield pytest.param(m[1], id=where(path, text, m.start()))


@pytest.mark.parametrize(("tag", "body"), list(json_examples()))
def test_json_example_is_what_its_command_prints(tag, body):
    assert tag in OUTPUTS or tag in INPUTS, f"tag the block: <!-- example: ... --> (one of {[*OUTPUTS, *INPUTS]})"
    data = json.loads(body)
    if tag in INPUTS:
        INPUTS[tag](data)  # raises when the code refuses it
    else:
        check(data, OUTPUTS[tag])


def test_every_output_type_has_its_example():
    tags = {p.values[0] for p in json_examples()}
    assert tags == {*OUTPUTS, *INPUTS}


ROOT_COMMAND = typer.main.get_command(app)


@pytest.mark.parametrize("line", list(command_lines()))
def test_command_line_names_a_command_and_its_options(line):
    words = [w for w in shlex.split(line.replace("[", " ").replace("]", " ")) if w != "..."][1:]
    command, path = ROOT_COMMAND, ["insday"]
    while words:
        word = words.pop(0)
        if word.startswith("--"):
            name, given = word.split("=", 1)[0], "=" in word
            [param] = [p for p in command.params if name in (*p.opts, *p.secondary_opts)] or [None]
            assert param is not None or name == "--help", f"`{' '.join(path)}` has no option {name}"
            if param is not None and not param.is_flag and not given and words:
                words.pop(0)  # its value
        elif hasattr(command, "commands"):  # a group: the next word is a command
            if word.isupper():  # a placeholder: `insday --campaign NAME COMMAND ...`
                break
            assert word in command.commands, f"`{' '.join(path)}` has no command {word!r}"
            command = command.commands[word]
            path.append(word)
