"""The disputes of the mediation ledger, with their parties, mediators and sessions."""

from datetime import timedelta
from typing import Any

from nuanxin.demo.city.moments import dt
from nuanxin.demo.city.names import mobile, person
from nuanxin.demo.city.plan import random_stream
from nuanxin.demo.city.sink import Secret
from nuanxin.demo.city.state import GeneratorState
from nuanxin.ledgers.models import (
    Dispute,
    DisputeKind,
    DisputeParty,
    DisputeSource,
    MediationSession,
    Mediator,
    Outcome,
    SettledLevel,
)


class DisputesPart(GeneratorState):
    """The disputes and their parties, mediators and mediation sessions."""

    def disputes(self) -> None:
        """About one dispute a year for every 200 residents, mostly settled in the grid."""
        p = self.plan
        count = p.residents // 100
        if not count:
            return
        rng = random_stream(self.seed, "disputes")
        first = self.ids.take(Dispute, count)
        party_first = self.ids.take(DisputeParty, count * 2)
        mediator_first = self.ids.take(Mediator, count)
        session_first = self.ids.take(MediationSession, count * 2)
        kinds = DisputeKind.values
        per_year: dict[int, int] = {}
        disputes: list[tuple[Any, ...]] = []
        parties: list[tuple[Any, ...]] = []
        mediators: list[tuple[Any, ...]] = []
        sessions: list[tuple[Any, ...]] = []
        for k in range(count):
            gi = rng.randrange(len(self.grids))
            grid = self.grids[gi]
            worker = self.worker_of[grid.id]
            received = self.start + timedelta(days=int(self.span * rng.random() ** 0.8))
            seq = per_year[received.year] = per_year.get(received.year, 0) + 1
            age = (self.until - received).days
            closed = age > 30 or (age > 3 and rng.random() < 0.6)
            outcome = level = ""
            closed_on = None
            if closed:
                chance = rng.random()
                outcome = Outcome.AGREEMENT if chance < 0.85 else Outcome.REFERRED if chance < 0.95 else Outcome.FAILED
                level = (
                    (
                        SettledLevel.GRID
                        if rng.random() < 0.7
                        else SettledLevel.COMMUNITY
                        if rng.random() < 0.8
                        else SettledLevel.STREET
                    )
                    if outcome == Outcome.AGREEMENT
                    else ""
                )
                closed_on = min(self.until, received + timedelta(days=rng.randint(1, 25)))
            kind = kinds[rng.randrange(len(kinds))]
            at = dt(received, 10 * 3600)
            disputes.append(
                (
                    first + k,
                    f"JF{received.year}{seq:05d}",
                    kind,
                    "双方就相关问题发生争执，申请调解",
                    rng.choice(DisputeSource.values),
                    None,
                    None,
                    grid.id,
                    received,
                    "closed" if closed else "open",
                    outcome,
                    level,
                    closed_on,
                    "",
                    "",
                    worker,
                    at,
                    at,
                )
            )
            for n in range(2):
                name, _g = person(rng)
                parties.append((party_first + 2 * k + n, first + k, "person", name, Secret(mobile(rng)), None, None))
            mediators.append((mediator_first + k, first + k, worker, "网格员", "staff"))
            for n in range(1 + (closed and rng.random() < 0.5)):
                sessions.append(
                    (
                        session_first + len(sessions),
                        first + k,
                        min(self.until, received + timedelta(days=n + 1)),
                        "社区调解室",
                        "双方陈述，调解员释法说理",
                        worker,
                        at,
                    )
                )
        columns = (
            "id",
            "number",
            "kind",
            "summary",
            "source",
            "case_id",
            "visit_id",
            "grid_id",
            "received_on",
            "state",
            "outcome",
            "settled_level",
            "closed_on",
            "agreement_name",
            "agreement_content_type",
            "recorded_by_id",
            "created_at",
            "updated_at",
        )
        self.counts["disputes"] = self.sink.write(Dispute, columns, disputes)
        self.sink.write(DisputeParty, ("id", "dispute_id", "kind", "name", "phone", "resident_id", "place_id"), parties)
        self.sink.write(Mediator, ("id", "dispute_id", "user_id", "name", "group"), mediators)
        self.sink.write(
            MediationSession,
            ("id", "dispute_id", "held_on", "location", "summary", "recorded_by_id", "created_at"),
            sessions,
        )
