"""The communities' activities (fire-safety sweeps, clean-ups and the rest) and their
participants."""

from bisect import bisect
from datetime import timedelta
from itertools import accumulate
from typing import Any

from nuanxin.demo.city.moments import dt
from nuanxin.demo.city.names import person
from nuanxin.demo.city.plan import random_stream
from nuanxin.demo.city.state import GeneratorState
from nuanxin.volunteers.models import Activity, ActivityKind, Participant, ParticipantGroup


class ActivitiesPart(GeneratorState):
    """The activities and their participants."""

    def activities(self) -> None:
        """About one activity a month in every community (fire-safety sweeps and clean-ups
        first), each with some ten participants by group; riders take part in a share."""
        rng = random_stream(self.seed, "activities")
        communities = [row for row in self.areas if row[1] == "community"]
        months = max(1, self.span // 30)
        count = len(communities) * months
        first = self.ids.take(Activity, count)
        kinds = [
            (ActivityKind.FIRE_CHECK, 30),
            (ActivityKind.CLEANUP, 30),
            (ActivityKind.FOOD_SAFETY_CHECK, 8),
            (ActivityKind.ANTI_FRAUD, 7),
            (ActivityKind.ELDERLY_VISIT, 10),
            (ActivityKind.FESTIVAL, 5),
            (ActivityKind.HEALTH_CLINIC, 5),
            (ActivityKind.OTHER, 5),
        ]
        kind_cum = list(accumulate(w for _k, w in kinds))
        titles = {ActivityKind.FIRE_CHECK: "消防安全大排查", ActivityKind.CLEANUP: "环境卫生大扫除"}
        groups = [
            (ParticipantGroup.STAFF, 25),
            (ParticipantGroup.VOLUNTEER, 25),
            (ParticipantGroup.RESIDENT, 20),
            (ParticipantGroup.RIDER, 10),
            (ParticipantGroup.COURIER, 5),
            (ParticipantGroup.DRIVER, 3),
            (ParticipantGroup.MERCHANT, 5),
            (ParticipantGroup.PARTY_MEMBER, 7),
        ]
        group_cum = list(accumulate(w for _g, w in groups))
        per_year: dict[int, int] = {}
        activities: list[tuple[Any, ...]] = []
        participants: list[tuple[Any, ...]] = []
        participant_first = self.ids.take(Participant, 0)
        for n in range(count):
            community = communities[n % len(communities)]
            day = self.start + timedelta(days=rng.randrange(self.span))
            kind = kinds[bisect(kind_cum, rng.random() * kind_cum[-1])][0]
            seq = per_year[day.year] = per_year.get(day.year, 0) + 1
            at = dt(day, 8 * 3600)
            organiser = self.admin_of_community[community[0]]
            activities.append(
                (
                    first + n,
                    f"HD{day.year}{seq:05d}",
                    kind,
                    f"{community[3]}{titles.get(kind, ActivityKind(kind).label)}",
                    community[0],
                    day,
                    day,
                    community[3],
                    "community",
                    None,
                    organiser,
                    "",
                    None,
                    None,
                    False,
                    False,
                    "",
                    None,
                    None,
                    "[]",
                    "{}",
                    "",
                    at,
                    at,
                )
            )
            used_riders: set[int] = set()
            for _ in range(rng.randint(5, 15)):
                group = groups[bisect(group_cum, rng.random() * group_cum[-1])][0]
                user_id = None
                if group == ParticipantGroup.RIDER:
                    rider = self.riders[rng.randrange(len(self.riders))]
                    if rider not in used_riders:
                        used_riders.add(rider)
                        user_id = rider
                participants.append(
                    (participant_first + len(participants), first + n, user_id, person(rng)[0], group, at)
                )
        columns = (
            "id",
            "number",
            "kind",
            "title",
            "area_id",
            "starts_on",
            "ends_on",
            "location",
            "organiser_kind",
            "organiser_unit_id",
            "organiser_id",
            "findings",
            "start_time",
            "end_time",
            "published",
            "cancelled",
            "cancel_reason",
            "cancelled_at",
            "capacity",
            "roles_needed",
            "resources",
            "checkin_secret",
            "created_at",
            "updated_at",
        )
        self.counts["activities"] = self.sink.write(Activity, columns, activities)
        with self.sink.loading([Participant], len(participants)):
            self.counts["participants"] = self.sink.write(
                Participant, ("id", "activity_id", "user_id", "name", "group", "created_at"), participants
            )
        self.ids.take(Participant, len(participants))
