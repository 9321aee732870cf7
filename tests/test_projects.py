"""Poverty-relief projects: the claims feed the deadline registry (the claimant is the
company that reported the project), and each project's deadlines are met, late or overdue
by what its latest report says."""

from __future__ import annotations

from datetime import date

import pytest
from reportmaker import PROJECT_HEADER, at, project_row, write

from insday.deadlines import ProjectClaim, registry
from insday.intake.service import ingest_paths
from insday.deadlines.projects import claimant_states
from insday.reports.projects import project_claims, projects


def send(env, tmp_path, name, rows, when):
    [r] = ingest_paths(env, [write(tmp_path / name, PROJECT_HEADER, rows)], received_at=when)
    assert r.status == "accepted", r.errors
    return r


@pytest.fixture
def claimed(env, tmp_path):
    send(env, tmp_path, "picc.xlsx", [project_row("JL-01", "人保财险")], at("2019-07-10 10:00"))
    send(env, tmp_path, "gsc.xlsx", [project_row("GS-07", "国寿财险", region="甘肃省定西市", donated="2019-08-01",
                                                 published="2019-08-05", completed="2019-12-31")],
         at("2019-08-06 10:00"))
    return env


def test_claims_feed_the_deadline_registry(claimed):
    with claimed.engine.connect() as conn:
        assert project_claims(conn, claimed.campaign, at("2019-07-11 00:00")) == [ProjectClaim("JL-01", "P01", None)]
        claims = project_claims(conn, claimed.campaign, at("2019-09-01 00:00"))
    assert claims == [ProjectClaim("GS-07", "P04", date(2019, 12, 31)), ProjectClaim("JL-01", "P01", None)]
    deadlines = {d.id: d for d in registry(claimed.campaign, claims)}
    donation = deadlines["project_donation"]
    assert donation.units == ("P01", "P04") and donation.due == at("2019-11-08 18:00")
    results = deadlines["project_results:GS-07"]
    assert results.units == ("P04",)  # reminders go to the claiming company only
    assert results.due == at("2020-01-31 00:00")  # one month after completion
    assert "project_results:JL-01" not in deadlines  # not completed: no results deadline yet


def test_deadline_states(claimed, tmp_path):
    def states(when):
        return {p["project_id"]: {d["id"]: d["state"] for d in p["deadlines"]} for p in projects(claimed, when)}

    assert states(at("2019-11-08 18:00")) == {
        "GS-07": {"project_donation": "met", "project_results:GS-07": "open"},
        "JL-01": {"project_donation": "open"}}
    assert states(at("2019-11-08 18:01"))["JL-01"] == {"project_donation": "overdue"}
    # 人保财险 reports the donation late, then completion and results.
    send(claimed, tmp_path, "picc2.xlsx", [project_row("JL-01", "人保财险", donated="2019-11-15", published="2019-11-16",
                                                       claims=120000)], at("2019-11-20 10:00"))
    assert states(at("2019-11-21 00:00"))["JL-01"] == {"project_donation": "met_late"}
    assert states(at("2020-02-01 00:00"))["GS-07"]["project_results:GS-07"] == "overdue"
    send(claimed, tmp_path, "gsc2.xlsx", [project_row("GS-07", "国寿财险", region="甘肃省定西市", donated="2019-08-01",
                                                      published="2019-08-05", completed="2019-12-31",
                                                      results="2020-01-20")], at("2020-01-21 10:00"))
    assert states(at("2020-02-01 00:00"))["GS-07"]["project_results:GS-07"] == "met"
    [picc] = [p for p in projects(claimed, at("2019-11-21 00:00")) if p["project_id"] == "JL-01"]
    assert (picc["unit"], picc["coverage"], picc["claims_paid"], picc["donated_on"]) == (
        "P01", 20_000_000, 120000, date(2019, 11, 15))


def test_deadline_states_per_claimant(claimed, tmp_path):
    # 人保财险 claims a second project and donates and publishes only the first.
    send(claimed, tmp_path, "picc2.xlsx", [project_row("JL-01", "人保财险", donated="2019-09-01", published="2019-09-02"),
                                           project_row("JL-02", "人保财险", region="吉林省和龙市")], at("2019-09-03 10:00"))
    states = claimant_states(projects(claimed, at("2019-11-09 00:00")))
    assert states["project_donation"] == {"P01": "overdue", "P04": "met"}  # JL-02 not donated
    assert states["project_results:GS-07"] == {"P04": "open"}
