"""The .xlsx export of a ledger, opened as an office would open it."""

from datetime import date, datetime
from io import BytesIO

from django.utils import timezone
from openpyxl import load_workbook

from nuanxin.accounts.scope import scope_of
from nuanxin.core.models import AuditEntry
from nuanxin.inspections.models import Visit
from nuanxin.inspections.tests.conftest import shared_watch, watch
from nuanxin.ledgers.disputes.actions import register_dispute
from nuanxin.ledgers.models import DisputeSource
from nuanxin.ledgers.registry.exports import export_ledger
from nuanxin.ledgers.registry.queries import BY_CODE, Filters
from nuanxin.ledgers.tests.ledger_support import records
from nuanxin.territory.models import Place

__all__ = ["records", "shared_watch", "watch"]


def _sheet(response):
    content = b"".join(response.streaming_content) if response.streaming else response.content
    return [list(row) for row in load_workbook(BytesIO(content)).worksheets[0].iter_rows(values_only=True)]


def test_export_has_title_period_unit_header_rows_and_totals(client_for, records, world):
    response = client_for("community_admin").get("/ledgers/food-safety/export/?from=2024-03-01&to=2024-03-31")
    assert response.status_code == 200
    rows = _sheet(response)
    title, period, unit, header, *data, totals = rows
    assert "测试社区" in title[0]
    assert "2024-03-01" in period[0] and "2024-03-31" in period[0]
    assert "测试社区" in unit[0]
    assert header == [str(c.title) for c in BY_CODE["food-safety"].columns()]
    assert len(data) == 2
    assert [r[2] for r in data] == ["小面馆", "小面馆"]
    assert data[0][0] == datetime(2024, 3, 5)  # a real date cell
    assert totals[0].endswith(str(len(data)))
    assert totals[7] == sum(r[7] for r in data) == 2
    assert totals[8] == 1  # one rectification order
    # On time: done on or before the day it was due, counted from the records themselves.
    visits = Visit.objects.filter(state="done", version__template__code="food-safety")
    on_time = sum(1 for v in visits if timezone.localtime(v.done_at).date() <= v.due_on)
    assert totals[10] == on_time >= 1


def test_export_is_audited_with_the_filters_and_the_row_count(client_for, records):
    client_for("community_admin").get("/ledgers/disputes/export/?result=agreement")
    entry = AuditEntry.objects.filter(action="ledgers.exported").get()
    assert entry.detail["ledger"] == "disputes"
    assert entry.detail["filters"] == {"result": "agreement"}
    assert entry.detail["rows"] == 1


def test_export_masks_people_in_disputes(client_for, records):
    rows = _sheet(client_for("community_admin").get("/ledgers/disputes/export/"))
    text = repr(rows)
    assert "张三丰" not in text and "王志愿" not in text
    assert "张**" in text and "安居物业公司" in text


def test_worker_export_holds_only_their_grid_and_no_key_person(client_for, records, world):
    for code in ("fire-safety", "food-safety", "elderly-care", "generic"):
        text = repr(_sheet(client_for("grid1_worker").get(f"/ledgers/{code}/export/")))
        assert "快捷旅馆" not in text  # grid 2
        assert "key" not in text.lower()
    care = _sheet(client_for("grid1_worker").get("/ledgers/elderly-care/export/"))
    assert len(care) == 6  # title, period, unit, header, the one special-group visit, totals
    assert care[4][2] == "张*"
    assert client_for("grid1_worker").get("/ledgers/key-person/export/").status_code == 404


def test_key_person_ledger_export_for_the_leader_is_masked(client_for, records):
    rows = _sheet(client_for("grid1_leader").get("/ledgers/key-person/export/"))
    assert rows[4][2] == "张*"
    assert "张三" not in repr(rows)


def _cells(result):
    return [cell for row in load_workbook(result.file).worksheets[0].iter_rows() for cell in row]


def test_text_that_looks_like_a_formula_stays_text(records, world):
    Place.objects.filter(pk=records.watch.restaurant.pk).update(name='=HYPERLINK("http://evil","x")')
    scope = scope_of(world.community_admin)
    result = export_ledger(actor=world.community_admin, scope=scope, ledger=BY_CODE["food-safety"], filters=Filters())
    cells = _cells(result)
    assert not [c.coordinate for c in cells if c.data_type == "f"]
    (cell,) = [c for c in cells if c.coordinate == "C5"]
    assert (cell.data_type, cell.value) == ("s", '\'=HYPERLINK("http://evil","x")')


def test_hostile_dispute_parties_registered_through_the_action_export_as_text(records, world):
    admin = world.community_admin
    hostile = '=HYPERLINK("http://evil.example","click me")'
    register_dispute(
        actor=admin,
        scope=scope_of(admin),
        kind=records.dispute.kind,
        summary="+1+cmd|' /C calc'!A0",
        source=DisputeSource.WALK_IN,
        grid=world.grid1,
        received_on=date(2024, 3, 9),
        parties=[{"kind": "unit", "name": hostile}, {"kind": "person", "name": "@张三"}],
    )
    result = export_ledger(actor=admin, scope=scope_of(admin), ledger=BY_CODE["disputes"], filters=Filters())
    cells = _cells(result)
    assert not [c.coordinate for c in cells if c.data_type == "f"]
    (parties,) = [c for c in cells if isinstance(c.value, str) and "evil.example" in c.value]
    assert parties.data_type == "s" and parties.value.startswith("'" + hostile)
    numbers = [c.value for c in cells if c.data_type == "n" and c.value is not None]
    assert numbers and all(isinstance(n, int) for n in numbers)  # counts stay numbers


def test_campaign_export_totals_match_the_rows(client_for, records, world):
    rows = _sheet(client_for("community_admin").get("/ledgers/campaign-fire-check/export/"))
    data, totals = rows[4:-1], rows[-1]
    keys = [c.key for c in BY_CODE["campaign-fire-check"].columns()]
    assert len(data) == 1
    for key, expected in (("participants", 5), ("group_rider", 2), ("new_employment", 3), ("hazards", 1)):
        index = keys.index(key)
        assert totals[index] == data[0][index] == expected
    assert data[0][1].date() == date(2024, 3, 9)


PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def test_every_ledger_exports_text_starting_like_a_formula_as_text(records, world):
    # Every text a ledger can show (place, resident, party and mediator names, summaries,
    # activity titles, participants) made to start with each character a spreadsheet reads as
    # the start of a formula, in turn: every ledger's export reads them back as quoted text.
    from nuanxin.ledgers.models import Dispute, DisputeParty, Mediator
    from nuanxin.ledgers.tests.ledger_support import done_visit
    from nuanxin.people.models import Resident
    from nuanxin.volunteers.models import Activity, Participant

    # The ledgers the records leave empty get a row too.
    target, worker = records.watch.restaurant_target, world.grid1_worker
    done_visit(target, due=date(2024, 3, 20), done=date(2024, 3, 20), worker=worker, template="generic")
    for n, kind in enumerate(("cleanup", "food_safety_check", "anti_fraud"), start=2):
        Activity.objects.create(
            number=f"HD202400{n}",
            kind=kind,
            title="专项行动",
            area=world.grid1,
            starts_on=date(2024, 3, 10),
            ends_on=date(2024, 3, 10),
            organiser=world.community_staff,
        )

    def hostile(model, field, n=0):
        for i, pk in enumerate(model.objects.order_by("pk").values_list("pk", flat=True)):
            text = PREFIXES[(i + n) % len(PREFIXES)] + "cmd|' /C calc'!A0"
            model.objects.filter(pk=pk).update(**{field: text[: model._meta.get_field(field).max_length or 200]})

    for n, (model, field) in enumerate(
        [
            (Place, "name"),
            (Resident, "name"),
            (Dispute, "summary"),
            (DisputeParty, "name"),
            (Mediator, "name"),
            (Activity, "title"),
            (Participant, "name"),
        ]
    ):
        hostile(model, field, n)
    admin = world.community_admin
    seen = set()
    for code, ledger in BY_CODE.items():
        result = export_ledger(actor=admin, scope=scope_of(admin), ledger=ledger, filters=Filters())
        cells = _cells(result)
        assert not [c.coordinate for c in cells if c.data_type == "f"], code
        texts = [c.value for c in cells if isinstance(c.value, str)]
        assert all(not t.startswith(PREFIXES) for t in texts), code
        quoted = [t for t in texts if t.startswith("'") and t[1:2] in PREFIXES]
        assert quoted, f"{code} showed none of the hostile texts"
        seen |= {t[1] for t in quoted}
    assert seen == set(PREFIXES)
