"""The dispute actions: registering, mediators, sessions, closing, and their refusals."""

from datetime import date, timedelta

import pytest
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile

from nuanxin.accounts.scope import scope_of
from nuanxin.core.documents import STORED_PDF
from nuanxin.core.errors import DomainError
from nuanxin.core.models import AuditEntry
from nuanxin.ledgers.disputes import actions
from nuanxin.ledgers.models import Dispute, DisputeParty, MediationSession, Mediator
from nuanxin.ledgers.tests.disputes_support import PARTIES, RECEIVED, TODAY, _media, pdf_upload, register
from nuanxin.testing import SYSTEM_SCOPE, gps_exif, image_bytes

__all__ = ["_media"]


def test_register_numbers_per_year_and_keeps_the_parties(world):
    first = register(world)
    second = register(world)
    older = register(world, received_on=date(2023, 12, 30))
    assert (first.number, second.number, older.number) == ("JF202400001", "JF202400002", "JF202300001")
    assert first.state == "open" and first.recorded_by == world.grid1_worker
    parties = list(first.parties.order_by("id"))
    assert [(p.kind, p.name, p.phone) for p in parties] == [
        ("person", "张三丰", "13812345678"),
        ("unit", "安居物业公司", ""),
    ]


def test_one_named_party_is_enough(world):
    dispute = register(world, parties=[{"kind": "person", "name": "李四"}])
    assert dispute.parties.count() == 1


def test_the_audit_entry_never_names_a_party(world):
    dispute = register(world)
    entry = AuditEntry.objects.get(action="disputes.registered")
    text = f"{entry.detail} {entry.object_repr}"
    assert entry.object_id == str(dispute.pk) and entry.detail["parties"] == 2
    assert "张三丰" not in text and "13812345678" not in text and "5678" not in text


def test_phone_is_normalised_and_encrypted(world):
    dispute = register(world, parties=[{"kind": "person", "name": "李四", "phone": "+86 139-8765-4321"}])
    party = dispute.parties.get()
    assert party.phone == "13987654321"
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("select phone from ledgers_disputeparty where id = %s", [party.pk])
        assert "13987654321" not in cursor.fetchone()[0]


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"kind": "feud"}, "kind"),
        ({"source": "rumour"}, "source"),
        ({"summary": ""}, "summary"),
        ({"summary": "<script>alert(1)</script>"}, "summary"),
        ({"summary": "x" * 2001}, "summary"),
        ({"received_on": TODAY + timedelta(days=1)}, "received_on"),
        ({"parties": []}, "parties"),
        ({"parties": [{"kind": "person", "name": "甲"}] * 11}, "parties"),
        ({"parties": [{"kind": "dog", "name": "甲"}]}, "parties.0.kind"),
        ({"parties": [PARTIES[0], {"kind": "person", "name": ""}]}, "parties.1.name"),
        ({"parties": [PARTIES[0], {"kind": "person", "name": "<b>x</b>"}]}, "parties.1.name"),
        ({"parties": [{"kind": "person", "name": "甲", "phone": "12345"}]}, "parties.0.phone"),
    ],
)
def test_bad_input_names_the_field_and_writes_nothing(world, change, field):
    with pytest.raises(DomainError) as refused:
        register(world, **change)
    assert refused.value.field == field
    assert Dispute.objects.count() == 0 and DisputeParty.objects.count() == 0
    assert not AuditEntry.objects.filter(action="disputes.registered").exists()


def test_a_grid_outside_the_record_scope_is_refused_at_the_grid(world):
    with pytest.raises(DomainError) as refused:
        register(world, by=world.grid2_worker, scope=scope_of(world.grid2_worker))
    assert refused.value.field == "grid"
    with pytest.raises(DomainError) as refused:
        register(world, grid=world.community)
    assert refused.value.field == "grid"
    assert Dispute.objects.count() == 0


def test_street_staff_see_disputes_but_do_not_record_them(world):
    with pytest.raises(DomainError) as refused:
        register(world, by=world.street_staff, scope=scope_of(world.street_staff))
    assert refused.value.field == "grid"


def test_a_case_only_with_a_report_and_a_visit_only_with_a_visit(world):
    from nuanxin.cases.catalogue import install_catalogue
    from nuanxin.cases.models import CaseClass

    install_catalogue(actor=None)
    from nuanxin.cases.actions import report_case

    case = report_case(
        actor=world.rider,
        case_class=CaseClass.objects.get(code="neighbour-dispute"),
        description="邻居吵架",
        lng=102.7011,
        lat=24.9811,
        channel="phone_page",
    )
    with pytest.raises(DomainError) as refused:
        register(world, case=case)
    assert refused.value.field == "case"
    dispute = register(world, case=case, source="report", scope=scope_of(world.grid1_worker))
    assert dispute.case == case


def test_mediators_staff_by_account_once_and_volunteers_by_name(world):
    dispute = register(world)
    staff = actions.add_mediator(
        actor=world.grid1_worker, scope=SYSTEM_SCOPE, dispute=dispute, group="staff", user=world.grid1_leader
    )
    assert staff.name == "grid1_leader"
    volunteer = actions.add_mediator(
        actor=world.grid1_worker, scope=SYSTEM_SCOPE, dispute=dispute, group="volunteer", name="老周"
    )
    assert (volunteer.user, volunteer.name) == (None, "老周")
    with pytest.raises(DomainError) as refused:
        actions.add_mediator(
            actor=world.grid1_worker, scope=SYSTEM_SCOPE, dispute=dispute, group="staff", user=world.grid1_leader
        )
    assert refused.value.field == "user"
    assert Mediator.objects.count() == 2


@pytest.mark.parametrize(
    ("who", "extra", "field"),
    [
        ("grid2_worker", {"group": "staff"}, "user"),  # does not record disputes in grid 1
        ("street_staff", {"group": "staff"}, "user"),  # sees them, does not record them
        ("grid1_leader", {"group": "volunteer"}, "user"),  # an account is for staff
        (None, {"group": "volunteer", "name": ""}, "name"),
        (None, {"group": "volunteer", "name": "<i>x</i>"}, "name"),
        (None, {"group": "elder", "name": "老周"}, "group"),
    ],
)
def test_bad_mediators_are_refused(world, who, extra, field):
    dispute = register(world)
    with pytest.raises(DomainError) as refused:
        actions.add_mediator(
            actor=world.grid1_worker,
            scope=SYSTEM_SCOPE,
            dispute=dispute,
            user=world.users[who] if who else None,
            **extra,
        )
    assert refused.value.field == field
    assert not Mediator.objects.exists()


def test_sessions_between_receipt_and_today(world):
    dispute = register(world)
    session = actions.record_session(
        actor=world.grid1_worker,
        scope=SYSTEM_SCOPE,
        dispute=dispute,
        held_on=RECEIVED,
        summary="双方同意先查漏点",
        today=TODAY,
    )
    assert session.held_on == RECEIVED
    for day, field in ((RECEIVED - timedelta(days=1), "held_on"), (TODAY + timedelta(days=1), "held_on")):
        with pytest.raises(DomainError) as refused:
            actions.record_session(
                actor=world.grid1_worker, scope=SYSTEM_SCOPE, dispute=dispute, held_on=day, summary="x", today=TODAY
            )
        assert refused.value.field == field
    with pytest.raises(DomainError) as refused:
        actions.record_session(
            actor=world.grid1_worker, scope=SYSTEM_SCOPE, dispute=dispute, held_on=TODAY, summary=" ", today=TODAY
        )
    assert refused.value.field == "summary"
    with pytest.raises(DomainError) as refused:
        actions.record_session(
            actor=world.grid1_worker,
            scope=SYSTEM_SCOPE,
            dispute=dispute,
            held_on=TODAY,
            summary="x",
            location="<a>",
            today=TODAY,
        )
    assert refused.value.field == "location"
    assert MediationSession.objects.count() == 1


def test_close_with_an_agreement_and_a_pdf(world):
    dispute = register(world)
    actions.close_dispute(
        actor=world.grid1_worker,
        scope=SYSTEM_SCOPE,
        dispute=dispute,
        outcome="agreement",
        settled_level="grid",
        closed_on=TODAY,
        agreement=pdf_upload(),
        today=TODAY,
    )
    dispute.refresh_from_db()
    assert (dispute.state, dispute.outcome, dispute.settled_level, dispute.closed_on) == (
        "closed",
        "agreement",
        "grid",
        TODAY,
    )
    assert dispute.resolved
    assert dispute.agreement_content_type == "application/pdf"
    assert STORED_PDF.match(dispute.agreement_name) and "协议" not in dispute.agreement_name
    assert default_storage.exists(dispute.agreement_name)
    entry = AuditEntry.objects.get(action="disputes.closed")
    assert entry.detail["agreement"] is True


def test_a_photo_of_the_agreement_is_re_encoded_without_its_location(world):
    dispute = register(world)
    photo = SimpleUploadedFile("agreement.jpg", image_bytes(exif=gps_exif()), content_type="image/jpeg")
    actions.close_dispute(
        actor=world.grid1_worker,
        scope=SYSTEM_SCOPE,
        dispute=dispute,
        outcome="agreement",
        settled_level="community",
        closed_on=TODAY,
        agreement=photo,
        today=TODAY,
    )
    dispute.refresh_from_db()
    assert dispute.agreement_content_type == "image/jpeg"
    with default_storage.open(dispute.agreement_name, "rb") as handle:
        assert b"GPS" not in handle.read()


def test_referred_needs_the_level_it_was_referred_from_and_failed_does_not(world):
    dispute = register(world)
    with pytest.raises(DomainError) as refused:
        actions.close_dispute(
            actor=world.grid1_worker,
            scope=SYSTEM_SCOPE,
            dispute=dispute,
            outcome="referred",
            closed_on=TODAY,
            today=TODAY,
        )
    assert refused.value.field == "settled_level"
    other = register(world)
    actions.close_dispute(
        actor=world.grid1_worker, scope=SYSTEM_SCOPE, dispute=other, outcome="failed", closed_on=TODAY, today=TODAY
    )
    other.refresh_from_db()
    assert (other.outcome, other.settled_level, other.resolved) == ("failed", "", False)


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"outcome": "shrug"}, "outcome"),
        ({"settled_level": ""}, "settled_level"),
        ({"settled_level": "planet"}, "settled_level"),
        ({"closed_on": RECEIVED - timedelta(days=1)}, "closed_on"),
        ({"closed_on": TODAY + timedelta(days=1)}, "closed_on"),
        ({"closed_on": date(2024, 6, 9)}, "closed_on"),  # before the last session (10 June)
        ({"outcome": "failed", "agreement": "pdf"}, "agreement"),
        ({"agreement": "html"}, "agreement"),
        ({"agreement": "script"}, "agreement"),
        ({"agreement": "truncated"}, "agreement"),
        ({"agreement": "huge"}, "agreement"),
    ],
)
def test_bad_closing_names_the_field_and_writes_nothing(world, settings, change, field):
    settings.NUANXIN_AGREEMENT_MAX_BYTES = 4096
    dispute = register(world)
    actions.record_session(
        actor=world.grid1_worker,
        scope=SYSTEM_SCOPE,
        dispute=dispute,
        held_on=date(2024, 6, 10),
        summary="调解一次",
        today=TODAY,
    )
    files = {
        "pdf": pdf_upload(),
        "html": SimpleUploadedFile("a.pdf", b"<html><script>x</script></html>"),
        "script": pdf_upload(b"3 0 obj << /S /JavaScript /JS (app.alert(1)) >> endobj\n"),
        "truncated": SimpleUploadedFile("a.pdf", b"%PDF-1.4\n1 0 obj << >> endobj\n"),
        "huge": pdf_upload(b"%" + b"x" * 5000 + b"\n"),
    }
    values = {"outcome": "agreement", "settled_level": "grid", "closed_on": TODAY} | change
    if "agreement" in values:
        values["agreement"] = files[values["agreement"]]
    with pytest.raises(DomainError) as refused:
        actions.close_dispute(actor=world.grid1_worker, scope=SYSTEM_SCOPE, dispute=dispute, today=TODAY, **values)
    assert refused.value.field == field
    dispute.refresh_from_db()
    assert dispute.state == "open" and not dispute.agreement_name
    assert not AuditEntry.objects.filter(action="disputes.closed").exists()


def test_closed_is_final(world):
    dispute = register(world)
    actions.close_dispute(
        actor=world.grid1_worker, scope=SYSTEM_SCOPE, dispute=dispute, outcome="failed", closed_on=TODAY, today=TODAY
    )
    for attempt in (
        lambda: actions.close_dispute(
            actor=world.grid1_worker,
            scope=SYSTEM_SCOPE,
            dispute=dispute,
            outcome="failed",
            closed_on=TODAY,
            today=TODAY,
        ),
        lambda: actions.record_session(
            actor=world.grid1_worker, scope=SYSTEM_SCOPE, dispute=dispute, held_on=TODAY, summary="x", today=TODAY
        ),
        lambda: actions.add_mediator(
            actor=world.grid1_worker, scope=SYSTEM_SCOPE, dispute=dispute, group="volunteer", name="老周"
        ),
    ):
        with pytest.raises(DomainError) as refused:
            attempt()
        assert refused.value.code == "closed"


def test_a_dispute_closed_by_someone_else_a_moment_ago_is_stale(world):
    dispute = register(world)
    stale = Dispute.objects.get(pk=dispute.pk)
    actions.close_dispute(
        actor=world.grid1_worker, scope=SYSTEM_SCOPE, dispute=dispute, outcome="failed", closed_on=TODAY, today=TODAY
    )
    with pytest.raises(DomainError) as refused:
        actions.close_dispute(
            actor=world.grid1_leader,
            scope=SYSTEM_SCOPE,
            dispute=stale,
            outcome="agreement",
            settled_level="grid",
            closed_on=TODAY,
            today=TODAY,
        )
    assert refused.value.code == "stale"
    assert Dispute.objects.get(pk=dispute.pk).outcome == "failed"


def test_acting_on_a_dispute_outside_the_record_scope_is_forbidden(world):
    dispute = register(world)
    scope = scope_of(world.street_staff)
    with pytest.raises(DomainError) as refused:
        actions.record_session(
            actor=world.street_staff, scope=scope, dispute=dispute, held_on=TODAY, summary="x", today=TODAY
        )
    assert refused.value.code == "forbidden"
    with pytest.raises(DomainError) as refused:
        actions.close_dispute(
            actor=world.street_staff, scope=scope, dispute=dispute, outcome="failed", closed_on=TODAY, today=TODAY
        )
    assert refused.value.code == "forbidden"


def test_period_figures_count_received_resolved_and_levels(world):
    from nuanxin.ledgers.disputes.queries import dispute_figures

    def close(dispute, outcome, level="", on=TODAY):
        actions.close_dispute(
            actor=world.grid1_worker,
            scope=SYSTEM_SCOPE,
            dispute=dispute,
            outcome=outcome,
            settled_level=level,
            closed_on=on,
            today=TODAY,
        )

    close(register(world), "agreement", "grid")
    close(register(world), "agreement", "community")
    close(register(world), "referred", "community")
    close(register(world), "failed")
    register(world)  # still open
    close(register(world, received_on=date(2024, 4, 1)), "agreement", "grid", on=date(2024, 4, 30))  # before
    register(world, grid=world.grid2, by=world.grid2_worker)
    june = {"since": date(2024, 6, 1), "until": date(2024, 6, 30)}
    figures = dispute_figures(scope_of(world.community_admin), node=world.community, **june)
    assert figures["received"] == 6 and figures["closed"] == 4 and figures["resolved"] == 2
    assert figures["by_outcome"] == {"agreement": 2, "referred": 1, "failed": 1}
    assert figures["resolved_by_level"] == {"grid": 1, "community": 1, "street": 0}
    worker = dispute_figures(scope_of(world.grid2_worker), node=world.community, **june)
    assert worker["received"] == 1 and worker["resolved"] == 0  # only grid 2 is in their scope
