"""Party building at city scale: each community's committee with a branch per grid, their
members and organisational life, the survey of two-new organisations with the branches
founded in some, and each committee's alliance of nine units with their pacts, deliveries,
quarterly joint meetings and the resolutions they track."""

from collections.abc import Iterator
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from nuanxin.demo.city.moments import dt, moment
from nuanxin.demo.city.names import mobile, person
from nuanxin.demo.city.plan import random_stream
from nuanxin.demo.city.sink import Secret
from nuanxin.demo.city.state import GeneratorState
from nuanxin.party.models import (
    AllianceUnit,
    BranchMeeting,
    Commitment,
    Delivery,
    JointMeeting,
    Pact,
    PartyMember,
    PartyOrg,
    Task,
    TwoNewOrg,
)

# Of a branch's members: (status, share); a twentieth of each kind probationary.
STATUSES = (("registered", 70), ("retired", 15), ("reporting", 10), ("mobile_in", 5))
UNITS_PER_ALLIANCE = 9
# Two-new organisations surveyed per grid, among its first business places; the alliance's
# units come after them.
SURVEYED_PER_GRID = 2
TASKS_PER_MEETING = 2

ORG_COLUMNS = ("id", "name", "kind", "parent_id", "area_id", "place_id", "founded_on", "ended_on", "secretary_id")
MEMBER_COLUMNS = (
    "id",
    "name",
    "phone",
    "org_id",
    "standing",
    "status",
    "joined_party_on",
    "origin",
    "card_number",
    "workplace",
    "resident_id",
    "user_id",
    "since",
    "left_on",
)


def _months(day: date, n: int) -> date:
    """The first of the month n months after day's month."""
    months = day.year * 12 + day.month - 1 + n
    return date(months // 12, months % 12 + 1, 1)


class PartyPart(GeneratorState):
    """The party organisations, members, meetings, two-new survey and alliances."""

    def party(self) -> None:
        rng = random_stream(self.seed, "party")
        communities = [row for row in self.areas if row[1] == "community"]
        grids_of: dict[int, list[int]] = {}
        for gi, grid in enumerate(self.grids):
            grids_of.setdefault(grid.community_id, []).append(gi)
        per_branch = max(3, round(self.plan.residents / max(1, len(self.grids)) * 0.03))
        committee_first = self.ids.take(PartyOrg, len(communities) + len(self.grids))
        branch_of_grid = {grid.id: committee_first + len(communities) + gi for gi, grid in enumerate(self.grids)}
        committee_of = {row[0]: committee_first + n for n, row in enumerate(communities)}
        member_first = self.ids.take(PartyMember, len(self.grids) * per_branch)
        orgs: list[tuple[Any, ...]] = []
        for n, row in enumerate(communities):
            orgs.append(
                (committee_first + n, f"{row[3]}党委", "committee", None, row[0], None, date(2009, 7, 1), None, None)
            )
        members: list[tuple[Any, ...]] = []
        for gi, grid in enumerate(self.grids):
            first = member_first + gi * per_branch
            orgs.append(
                (
                    branch_of_grid[grid.id],
                    f"{grid.name}党支部",
                    "branch",
                    committee_of[grid.community_id],
                    grid.id,
                    None,
                    date(2012, 3, 1),
                    None,
                    first,  # its first member is its secretary
                )
            )
            for k in range(per_branch):
                members.append(self._member(rng, first + k, branch_of_grid[grid.id], secretary=k == 0))
        founded, surveyed = self._two_new(rng, committee_of, branch_of_grid, len(orgs))
        orgs.extend(founded)
        self.sink.write(PartyOrg, ORG_COLUMNS, orgs)
        self.counts["party organisations"] = len(orgs)
        self.counts["party members"] = self.sink.write(PartyMember, MEMBER_COLUMNS, members)
        self.sink.write(TwoNewOrg, TWO_NEW_COLUMNS, surveyed)
        self.counts["two-new organisations surveyed"] = len(surveyed)
        self._branch_meetings(rng, [row[0] for row in orgs if row[2] == "branch"])
        self._alliances(rng, communities, committee_of, grids_of)

    def _member(self, rng: Any, member_id: int, org_id: int, *, secretary: bool) -> tuple[Any, ...]:
        """Most members came before the history began; some during it, a few left."""
        pick = rng.random() * 100
        status = next(s for s, share in _cumulative(STATUSES) if pick < share)
        since = (
            self.start - timedelta(days=rng.randrange(365, 4000))
            if secretary or rng.random() < 0.8
            else self.start + timedelta(days=rng.randrange(self.span))
        )
        left = None
        if not secretary and rng.random() < 0.05:
            left = min(self.until, since + timedelta(days=rng.randrange(60, 900)))
            left = left if left > since else None
        name, _gender = person(rng)
        return (
            member_id,
            name,
            Secret(mobile(rng)),
            org_id,
            "probationary" if not secretary and rng.random() < 0.05 else "full",
            status,
            since - timedelta(days=rng.randrange(0, 3000)),
            "外省某县党委" if status == "mobile_in" else "",
            f"LD{member_id:08d}" if status == "mobile_in" else "",
            "本市某机关" if status == "reporting" else "",
            None,
            None,
            since,
            left,
        )

    def _two_new(
        self, rng: Any, committee_of: dict[int, int], branch_of_grid: dict[int, int], orgs_so_far: int
    ) -> tuple[list[tuple[Any, ...]], list[tuple[Any, ...]]]:
        """The first business places of each grid surveyed in the history's first year; a
        third found their own branch (the pipeline's five steps dated), the rest are covered
        by the grid's branch or an instructor."""
        places = [
            (gi, place)
            for gi in range(len(self.grids))
            for k in range(SURVEYED_PER_GRID)
            if (place := self.business_of_grid(gi, k)) is not None
        ]
        founders = [i for i in range(len(places)) if i % 3 == 0]
        org_first = self.ids.take(PartyOrg, len(founders))
        record_first = self.ids.take(TwoNewOrg, len(places))
        founded: list[tuple[Any, ...]] = []
        rows: list[tuple[Any, ...]] = []
        for i, (gi, place) in enumerate(places):
            grid = self.grids[gi]
            surveyed = self.start + timedelta(days=rng.randrange(min(365, self.span // 2)))
            employees = rng.randint(8, 260)
            full = rng.randint(3, 9) if i % 3 == 0 else rng.randint(0, 2)
            dates: list[date | None] = [None, None, None, None]
            stage, coverage, instructor = "surveyed", "joint_branch", ""
            covered_by: int | None = branch_of_grid[grid.id]
            covered: date | None = surveyed + timedelta(days=rng.randrange(10, 60))
            if i % 3 == 0:
                steps = [surveyed + timedelta(days=30 * (n + 1) + rng.randrange(20)) for n in range(4)]
                done = [day for day in steps if day <= self.until]
                dates = [*done, *[None] * (4 - len(done))]
                stage = ("surveyed", "guidance", "preparing", "approved", "founded")[len(done)]
                if stage == "founded":
                    branch = org_first + len(founded)
                    founded.append(
                        (
                            branch,
                            f"{grid.name}企业{i + 1}党支部",
                            "branch",
                            committee_of[grid.community_id],
                            grid.id,
                            place,
                            steps[3],
                            None,
                            None,
                        )
                    )
                    coverage, covered_by, covered = "own_branch", branch, steps[3]
            elif i % 3 == 2:
                coverage, covered_by, instructor = "instructor", None, "党建指导员"
            if covered is not None and covered > self.until:
                coverage, covered_by, instructor, covered = "none", None, "", None
            rows.append(
                (
                    record_first + i,
                    place,
                    "enterprise" if i % 2 else "social",
                    employees,
                    full,
                    rng.randint(0, 2),
                    rng.randint(0, 3),
                    surveyed,
                    coverage,
                    covered_by,
                    instructor,
                    covered,
                    stage,
                    *dates,
                )
            )
        return founded, rows

    def _branch_meetings(self, rng: Any, branches: list[int]) -> None:
        """Each branch's organisational life: a members' meeting and a lecture each quarter, a
        committee meeting each month, held on the planned day (a few a week late); the next
        month's planned, not yet held."""
        first = self.ids.take(BranchMeeting, 0)
        months = (self.until.year - self.start.year) * 12 + self.until.month - self.start.month + 2

        def meetings() -> Iterator[tuple[Any, ...]]:
            n = first
            for org in branches:
                for m in range(months):
                    month = _months(self.start, m)
                    kinds = ["committee", "members", "lecture"] if month.month % 3 == 1 else ["committee"]
                    for kind in kinds:
                        planned = month + timedelta(days=rng.randrange(5, 25))
                        held = planned + timedelta(days=7 if rng.random() < 0.05 else 0)
                        yield (
                            n,
                            org,
                            kind,
                            planned,
                            held if held <= self.until else None,
                            "学习贯彻党的创新理论",
                            None,
                            None,
                            "",
                            "",
                        )
                        n += 1

        with self.sink.loading([BranchMeeting], len(branches) * months * 5 // 3):
            written = self.sink.write(
                BranchMeeting,
                (
                    "id",
                    "org_id",
                    "kind",
                    "planned_on",
                    "held_on",
                    "topics",
                    "chair_id",
                    "recorder_id",
                    "minutes",
                    "decisions",
                ),
                meetings(),
            )
        self.ids.take(BranchMeeting, written)
        self.counts["branch meetings"] = written

    def _alliances(
        self, rng: Any, communities: list[tuple[Any, ...]], committee_of: dict[int, int], grids_of: dict[int, list[int]]
    ) -> None:
        """Nine units join each committee's alliance in the history's first quarter and sign
        three-year pacts (20 venue hours a quarter, 5,000 yuan a year), delivered each period;
        a joint meeting each quarter passes two resolutions owned by units, verified when
        done (a sixth late)."""
        units: list[tuple[Any, ...]] = []
        pacts: list[tuple[Any, ...]] = []
        commitments: list[tuple[Any, ...]] = []
        deliveries: list[tuple[Any, ...]] = []
        meetings: list[tuple[Any, ...]] = []
        tasks: list[tuple[Any, ...]] = []
        unit_id = self.ids.take(AllianceUnit, 0)
        pact_id = self.ids.take(Pact, 0)
        commitment_id = self.ids.take(Commitment, 0)
        delivery_id = self.ids.take(Delivery, 0)
        meeting_id = self.ids.take(JointMeeting, 0)
        task_id = self.ids.take(Task, 0)
        for row in communities:
            committee, admin = committee_of[row[0]], self.admin_of_community[row[0]]
            grids = grids_of.get(row[0], [])
            places = [
                place
                for k in range(SURVEYED_PER_GRID, SURVEYED_PER_GRID + 4)
                for gi in grids
                if (place := self.business_of_grid(gi, k)) is not None
            ][:UNITS_PER_ALLIANCE]
            own_units: list[int] = []
            for place in places:
                joined = self.start + timedelta(days=rng.randrange(0, 80))
                units.append((unit_id, committee, place, joined, None))
                own_units.append(unit_id)
                starts = joined + timedelta(days=10)
                ends = date(starts.year + 3, starts.month, 1) - timedelta(days=1)
                pacts.append((pact_id, unit_id, joined, starts, ends, "", ""))
                for kind, what, quantity, period, step in (
                    ("venue_hours", "会议室借用", Decimal("20.00"), "quarter", 3),
                    ("funds", "共建活动经费", Decimal("5000.00"), "year", 12),
                ):
                    commitments.append((commitment_id, pact_id, kind, what, quantity, period))
                    m = 0
                    while (day := starts + timedelta(days=m * 30 + rng.randrange(5, 40))) <= min(self.until, ends):
                        at = moment(dt(day, 15 * 3600), postgres=self.sink.postgres)
                        deliveries.append((delivery_id, commitment_id, day, quantity, what, "", "", admin, at))
                        delivery_id += 1
                        m += step
                    commitment_id += 1
                pact_id += 1
                unit_id += 1
            quarter = _months(self.start, 1)
            while quarter <= self.until and own_units:
                day = quarter + timedelta(days=rng.randrange(10, 20))
                starts_at = dt(day, 14 * 3600 + 1800)
                held = day <= self.until
                meetings.append(
                    (
                        meeting_id,
                        committee,
                        "joint",
                        f"{day.year}年第{(day.month - 1) // 3 + 1}季度大党委联席会议",
                        moment(starts_at, postgres=self.sink.postgres),
                        moment(starts_at + timedelta(hours=2), postgres=self.sink.postgres),
                        "社区党群服务中心",
                        "会议通报共建项目，研究居民需求" if held else "",
                        held,
                        f"{rng.getrandbits(128):032x}",
                    )
                )
                for t in range(TASKS_PER_MEETING if held else 0):
                    deadline = day + timedelta(days=45)
                    finished = deadline + timedelta(
                        days=rng.randrange(-30, 0) if rng.random() < 5 / 6 else rng.randrange(1, 20)
                    )
                    done = finished + timedelta(days=3) <= self.until
                    tasks.append(
                        (
                            task_id,
                            meeting_id,
                            None,
                            f"落实联席会议决议事项{t + 1}",
                            own_units[rng.randrange(len(own_units))],
                            None,
                            None,
                            deadline,
                            "verified" if done else "open",
                            100 if done else rng.randrange(0, 90),
                            finished if done else None,
                            finished + timedelta(days=3) if done else None,
                            None,
                            None,
                            None,
                        )
                    )
                    task_id += 1
                meeting_id += 1
                quarter = _months(quarter, 3)
        self.ids.take(AllianceUnit, len(units))
        self.ids.take(Pact, len(pacts))
        self.ids.take(Commitment, len(commitments))
        self.ids.take(Delivery, len(deliveries))
        self.ids.take(JointMeeting, len(meetings))
        self.ids.take(Task, len(tasks))
        self.sink.write(AllianceUnit, ("id", "committee_id", "place_id", "joined_on", "left_on"), units)
        self.sink.write(
            Pact,
            ("id", "unit_id", "signed_on", "starts_on", "ends_on", "document_name", "document_content_type"),
            pacts,
        )
        self.sink.write(Commitment, ("id", "pact_id", "kind", "what", "quantity", "period"), commitments)
        self.sink.write(
            Delivery,
            (
                "id",
                "commitment_id",
                "delivered_on",
                "quantity",
                "what",
                "beyond_reason",
                "photo_name",
                "recorded_by_id",
                "recorded_at",
            ),
            deliveries,
        )
        self.sink.write(
            JointMeeting,
            (
                "id",
                "committee_id",
                "kind",
                "title",
                "starts_at",
                "ends_at",
                "location",
                "minutes",
                "held",
                "checkin_secret",
            ),
            meetings,
        )
        self.sink.write(
            Task,
            (
                "id",
                "meeting_id",
                "agenda_item_id",
                "title",
                "owner_unit_id",
                "owner_branch_id",
                "owner_user_id",
                "deadline",
                "state",
                "progress",
                "finished_on",
                "verified_on",
                "published_at",
                "reminded_on",
                "escalated_on",
            ),
            tasks,
        )
        self.counts["alliance units"] = len(units)
        self.counts["joint meetings"] = len(meetings)


TWO_NEW_COLUMNS = (
    "id",
    "place_id",
    "kind",
    "employees",
    "full_members",
    "probationary_members",
    "mobile_members",
    "surveyed_on",
    "coverage",
    "covered_by_id",
    "instructor",
    "covered_on",
    "stage",
    "guidance_on",
    "preparing_on",
    "approved_on",
    "founded_on",
)


def _cumulative(shares: tuple[tuple[str, int], ...]) -> list[tuple[str, int]]:
    total, out = 0, []
    for name, share in shares:
        total += share
        out.append((name, total))
    return out
