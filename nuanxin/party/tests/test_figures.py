"""Party building's period figures: counted by the rollups as the actions go (core.figures),
equal to a count from the records and to a rebuild, shown in the party section only to those
holding party.view."""

from datetime import date

import time_machine

from nuanxin.accounts.scope import scope_of
from nuanxin.insights import queries as insight_queries
from nuanxin.insights import rollups
from nuanxin.party import actions, alliance, meetings


def party_figures(user, node, start, end):
    figures = insight_queries.period_figures(scope_of(user), node, start, end)
    return {
        metric: n
        for section in figures.sections
        for metric, _label, n in section.figures
        if metric.startswith("party_")
    }


@time_machine.travel("2025-06-30 12:00 +08:00", tick=False)
def test_the_party_figures_follow_the_actions_and_agree_with_the_records(world, alliance_setting, joint_meeting):
    a = alliance_setting
    admin = world.community_admin
    office = {"actor": admin, "scope": scope_of(admin)}
    branch = actions.create_org(
        **office,
        name="第一网格党支部",
        kind="branch",
        area=world.grid1,
        founded_on=date(2016, 1, 1),
        parent=a.committee,
    )
    member = actions.register_member(
        **office, org=branch, name="赵红", standing="full", status="registered", since=date(2025, 2, 1)
    )
    actions.end_membership(**office, member=member, left_on=date(2025, 5, 1))
    actions.register_member(
        **office,
        org=branch,
        name="马骁骑",
        standing="probationary",
        status="mobile_in",
        origin="曲靖市麒麟区越州镇党委",
        since=date(2025, 6, 1),
    )
    alliance.record_delivery(**office, commitment=a.venue, delivered_on=date(2025, 4, 2), quantity="5", what="场地")
    with time_machine.travel("2025-03-20 15:00 +08:00", tick=False):
        meetings.hold_meeting(**office, meeting=joint_meeting, minutes="会议记录")
        task = meetings.add_resolution(
            **office, meeting=joint_meeting, title="照明改造", deadline=date(2025, 4, 30), owner_unit=a.unit
        )
    with time_machine.travel("2025-04-20 10:00 +08:00", tick=False):
        meetings.report_progress(actor=a.rep, scope=scope_of(a.rep), task=task, note="完成", progress=100)
        meetings.verify_task(**office, task=task, accepted=True)
    year = (date(2025, 1, 1), date(2025, 12, 31))
    expected = {
        "party_orgs_founded": 0,  # the committee in 2015, grid 1's branch in 2016
        "party_orgs_branches": 0,
        "party_orgs_dissolved": 0,
        "party_members_joined": 2,
        "party_members_left": 1,
        "party_twonew_surveyed": 0,
        "party_twonew_covered": 0,
        "party_branches_founded": 0,
        "party_meetings_held": 0,
        "party_jointmeetings_held": 1,
        "party_resolutions_done": 1,
        "party_resolutions_ontime": 1,
        "party_pacts_signed": 0,  # the bank's pact was signed in 2023
        "party_deliveries": 1,
        # of the two registered, the rider is a probationary mobile member
        "party_members_mobile": 1,
        "party_members_reporting": 0,
        "party_members_retired": 0,
        "party_members_probationary": 1,
        # the bank commits 20 venue hours a quarter and 5,000 yuan a year: four quarters and
        # one year begin in 2025; 5 venue hours were delivered
        "party_committed_venue_hours": 80,
        "party_committed_funds": 5000,
        "party_committed_goods": 0,
        "party_committed_service": 0,
        "party_committed_volunteer_hours": 0,
        "party_delivered_venue_hours": 5,
        "party_delivered_funds": 0,
        "party_delivered_goods": 0,
        "party_delivered_service": 0,
        "party_delivered_volunteer_hours": 0,
    }
    assert party_figures(admin, world.community, *year) == expected
    assert party_figures(admin, world.community, date(2023, 1, 1), date(2023, 12, 31))["party_pacts_signed"] == 1
    founding = party_figures(admin, world.community, date(2015, 1, 1), date(2016, 12, 31))
    assert (founding["party_orgs_founded"], founding["party_orgs_branches"]) == (2, 1)
    assert party_figures(admin, world.grid1, date(2015, 1, 1), date(2016, 12, 31))["party_orgs_founded"] == 1
    later = party_figures(admin, world.community, date(2026, 1, 1), date(2026, 12, 31))
    assert later["party_committed_funds"] == 0  # the pact ended with 2025
    whole_term = party_figures(admin, world.community, date(2024, 1, 1), date(2025, 12, 31))
    assert (whole_term["party_committed_venue_hours"], whole_term["party_committed_funds"]) == (160, 10000)
    counted = insight_queries.counted_figures(scope_of(admin), world.community, *year)
    assert {m: n for s in counted.sections for m, _l, n in s.figures if m.startswith("party_")} == expected
    rollups.rebuild()
    assert party_figures(admin, world.community, *year) == expected
    # Only grid 1's share at grid 1: the member's branch is there, the alliance's rows at the community.
    assert party_figures(admin, world.grid1, *year)["party_members_joined"] == 2
    assert party_figures(admin, world.grid1, *year)["party_deliveries"] == 0


def test_the_party_section_is_for_party_view_only(world, alliance_setting):
    year = (date(2025, 1, 1), date(2025, 12, 31))
    shown = insight_queries.period_figures(scope_of(world.community_admin), world.community, *year)
    assert "党建" in [s.label for s in shown.sections]
    worker = insight_queries.period_figures(scope_of(world.grid1_worker), world.grid1, *year)
    assert "党建" not in [s.label for s in worker.sections]
    assert "party_members_joined" not in worker.as_dict()["more"]


def test_the_period_page_and_api_show_the_party_section(world, alliance_setting, client_for):
    query = {"node": world.community.pk, "from": "2023-01-01", "to": "2023-12-31"}
    page = client_for("community_admin").get("/insights/period/", query).content.decode()
    assert 'data-figure="party_pacts_signed">1<' in page
    answer = client_for("community_admin").get("/api/v1/insights/period", query).json()
    assert answer["more"]["party_pacts_signed"] == 1
    worker = client_for("grid1_worker").get("/insights/period/", {"node": world.grid1.pk})
    assert worker.status_code == 200 and "party_pacts_signed" not in worker.content.decode()
