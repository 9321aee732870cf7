"""The synthetic campaign: deterministic for a seed, and shaped like real submissions."""

import hashlib
from collections import Counter
from datetime import date

import pytest

from insday.fake.generate import Generator, load_manifest


@pytest.fixture(scope="module")
def generated(tmp_path_factory):
    from insday.campaign import get_campaign

    campaign = get_campaign()
    folders = []
    for name in ("a", "b"):
        folder = tmp_path_factory.mktemp(name)
        Generator(campaign, folder, seed=7, participants=300, until=date(2019, 6, 27)).run()
        folders.append(folder)
    return campaign, folders


def _digest(folder):
    return {p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file() and p.name != "manifest.json"}


def test_same_seed_same_files(generated):
    _, (a, b) = generated
    assert _digest(a) == _digest(b)
    assert [x.as_dict() for x in load_manifest(a)] == [x.as_dict() for x in load_manifest(b)]


def test_realistic_mix(generated):
    campaign, (folder, _) = generated
    arrivals = load_manifest(folder)
    assert arrivals == sorted(arrivals, key=lambda a: (a.at, a.path))
    assert max(campaign.local(a.at).date().isoformat() for a in arrivals) <= "2019-06-27"
    kinds = Counter(a.report_type for a in arrivals)
    assert {"survey", "scoring_sheet", "daily_report", "donations"} <= set(kinds)
    suffixes = Counter((folder / a.path).suffix for a in arrivals if a.report_type == "daily_report")
    assert suffixes[".xlsx"] and suffixes[".csv"]
    gbk = [a for a in arrivals if a.path.endswith(".csv") and a.report_type == "daily_report"
           and _is_gbk(folder / a.path)]
    assert gbk, "some daily reports come as GBK CSV"
    notes = Counter(a.note.split(":")[0] for a in arrivals)
    assert notes["mistake"] and notes["corrected resubmission"]
    daily = [a for a in arrivals if a.report_type == "daily_report"]
    per_day = Counter(campaign.local(a.at).date() for a in daily if not a.note)
    assert 0 < max(per_day.values()) < len(campaign.units) * 1.2


def _is_gbk(path):
    data = path.read_bytes()
    try:
        data.decode("utf-8")
        return False
    except UnicodeDecodeError:
        data.decode("gbk")
        return True
