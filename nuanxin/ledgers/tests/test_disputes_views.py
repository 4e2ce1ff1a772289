"""The dispute pages: list, register, detail with its forms, the agreement download."""

from datetime import date

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from nuanxin.core.models import AuditEntry
from nuanxin.inspections.models import Visit
from nuanxin.inspections.tests.conftest import shared_watch, watch
from nuanxin.ledgers.disputes import actions
from nuanxin.ledgers.models import Dispute, MediationSession, Mediator
from nuanxin.ledgers.tests.disputes_support import TODAY, _media, pdf_upload, register
from nuanxin.testing import SYSTEM_SCOPE

__all__ = ["_media", "shared_watch", "watch"]

NEW = {
    "kind": "neighbour",
    "source": "walk_in",
    "received_on": "2024-06-03",
    "summary": "楼上漏水",
    "party_0_kind": "person",
    "party_0_name": "张三丰",
    "party_0_phone": "13812345678",
    "party_1_kind": "unit",
    "party_1_name": "安居物业公司",
}


def _new(world, **change):
    return NEW | {"grid": str(world.grid1.pk)} | change


# The list


def test_list_shows_the_territorys_disputes_with_masked_names(world, client_for):
    own = register(world)
    other = register(world, grid=world.grid2, by=world.grid2_worker)
    page = client_for("grid1_worker").get("/disputes/").content.decode()
    assert own.number in page and other.number not in page
    assert "张**" in page and "张三丰" not in page and "13812345678" not in page
    assert "安居物业公司" in page  # a unit's name is not personal data
    community = client_for("community_staff").get("/disputes/").content.decode()
    assert own.number in community and other.number in community


@pytest.mark.parametrize("persona", ["rider", "resident", "stranger", "auditor", "grid1_helper"])
def test_list_is_404_without_disputes_view(client_for, world, persona):
    assert client_for(persona).get("/disputes/").status_code == 404


def test_list_needs_sign_in(client, world):
    assert client.get("/disputes/").status_code == 302


def test_list_filters(world, client_for):
    neighbour = register(world)
    family = register(world, kind="family", received_on=date(2024, 5, 2))
    actions.close_dispute(
        actor=world.grid1_worker,
        scope=SYSTEM_SCOPE,
        dispute=family,
        outcome="agreement",
        settled_level="grid",
        closed_on=TODAY,
        today=TODAY,
    )
    client = client_for("community_admin")

    def numbers(query):
        response = client.get(f"/disputes/?{query}")
        return {row["number"] for row in response.context["rows"]}

    assert numbers("kind=family") == {family.number}
    assert numbers("state=open") == {neighbour.number}
    assert numbers("outcome=agreement&level=grid") == {family.number}
    assert numbers("since=2024-06-01&until=2024-06-30") == {neighbour.number}
    assert numbers(f"grid={world.grid2.pk}") == set()
    assert numbers("kind=unicorn") == {neighbour.number, family.number}  # unknown choices are ignored
    response = client.get("/disputes/?since=2024-13-01")
    assert response.status_code == 400 and "since" in response.context["filter_errors"]
    backwards = client.get("/disputes/?since=2024-06-01&until=2024-05-01")
    assert backwards.status_code == 400 and set(backwards.context["filter_errors"]) == {"until"}
    assert f'class="field-error">{backwards.context["filter_errors"]["until"]}<' in backwards.content.decode()
    assert backwards.context["chosen"]["since"] == "2024-06-01" and backwards.context["chosen"]["until"] == ""


def test_list_query_count_does_not_grow(world, client_for, django_assert_max_num_queries):
    """Session, user, roles, count, one page of disputes, their parties, the grids of the
    filter form, the notification badge, the session save: 12 whatever the number of rows."""
    client = client_for("community_admin")
    for _n in range(3):
        register(world)
    client.get("/disputes/")
    with django_assert_max_num_queries(12):
        client.get("/disputes/")
    for _n in range(30):
        register(world)
    with django_assert_max_num_queries(12):
        assert client.get("/disputes/").status_code == 200


# Registering


def test_grid_worker_registers_a_dispute(world, client_for):
    response = client_for("grid1_worker").post("/disputes/new/", _new(world))
    dispute = Dispute.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/disputes/{dispute.pk}/"
    assert dispute.parties.count() == 2 and dispute.recorded_by == world.grid1_worker


def test_the_new_page_offers_only_grids_where_the_viewer_records(world, client_for):
    response = client_for("grid1_worker").get("/disputes/new/")
    assert list(response.context["form"].fields["grid"].queryset) == [world.grid1]
    assert client_for("grid2_worker").post("/disputes/new/", _new(world)).status_code == 400
    assert not Dispute.objects.exists()


@pytest.mark.parametrize("persona", ["street_staff", "rider", "resident", "auditor"])
def test_new_page_is_404_without_disputes_record(client_for, world, persona):
    assert client_for(persona).get("/disputes/new/").status_code == 404
    assert client_for(persona).post("/disputes/new/", _new(world)).status_code == 404
    assert not Dispute.objects.exists()


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"kind": ""}, "kind"),
        ({"summary": "<script>x</script>"}, "summary"),
        ({"received_on": "2999-01-01"}, "received_on"),
        ({"received_on": "yesterday"}, "received_on"),
        ({"party_0_name": "", "party_0_phone": "", "party_1_name": ""}, "party_0_name"),
        ({"party_1_phone": "123"}, "party_1_phone"),
        ({"party_0_name": "", "party_0_phone": "", "party_2_name": "<b>"}, "party_2_name"),
        ({"case_number": "20240101-0001"}, "case_number"),
    ],
)
def test_bad_registration_shows_the_error_at_its_field_and_writes_nothing(world, client_for, change, field):
    response = client_for("grid1_worker").post("/disputes/new/", _new(world, **change))
    assert response.status_code == 400
    assert field in response.context["form"].errors
    assert not Dispute.objects.exists()


# The dispute's page


def test_detail_shows_parties_masked_mediators_and_sessions(world, client_for):
    dispute = register(world)
    actions.add_mediator(actor=world.grid1_worker, scope=SYSTEM_SCOPE, dispute=dispute, group="volunteer", name="老周")
    actions.record_session(
        actor=world.grid1_worker,
        scope=SYSTEM_SCOPE,
        dispute=dispute,
        held_on=TODAY,
        summary="双方同意先查漏点",
        today=TODAY,
    )
    response = client_for("grid1_worker").get(f"/disputes/{dispute.pk}/")
    page = response.content.decode()
    assert response.status_code == 200
    assert "张**" in page and "138****5678" in page and "张三丰" not in page and "13812345678" not in page
    assert "老周" in page and "双方同意先查漏点" in page
    assert response.context["may_record"] and "close_form" in response.context


def test_detail_is_read_only_for_street_staff(world, client_for):
    dispute = register(world)
    response = client_for("street_staff").get(f"/disputes/{dispute.pk}/")
    assert response.status_code == 200 and not response.context["may_record"]


@pytest.mark.parametrize("persona", ["grid2_worker", "other_admin", "rider", "resident", "stranger"])
def test_detail_and_its_forms_are_404_out_of_scope(world, client_for, persona):
    dispute = register(world)
    client = client_for(persona)
    assert client.get(f"/disputes/{dispute.pk}/").status_code == 404
    assert (
        client.post(f"/disputes/{dispute.pk}/sessions/", {"held_on": "2024-06-10", "summary": "x"}).status_code == 404
    )
    assert client.post(f"/disputes/{dispute.pk}/mediators/", {"group": "volunteer", "name": "x"}).status_code == 404
    assert (
        client.post(f"/disputes/{dispute.pk}/close/", {"outcome": "failed", "closed_on": "2024-06-10"}).status_code
        == 404
    )
    assert client.get(f"/disputes/{dispute.pk}/agreement/").status_code == 404
    assert not MediationSession.objects.exists() and not Mediator.objects.exists()
    assert Dispute.objects.get().state == "open"


def test_street_staff_may_not_act_on_a_dispute(world, client_for):
    dispute = register(world)
    client = client_for("street_staff")
    assert (
        client.post(f"/disputes/{dispute.pk}/sessions/", {"held_on": "2024-06-10", "summary": "x"}).status_code == 403
    )
    assert client.post(f"/disputes/{dispute.pk}/mediators/", {"group": "volunteer", "name": "x"}).status_code == 403
    assert (
        client.post(f"/disputes/{dispute.pk}/close/", {"outcome": "failed", "closed_on": "2024-06-10"}).status_code
        == 403
    )
    assert not MediationSession.objects.exists() and not Mediator.objects.exists()


@pytest.mark.parametrize("step", ["mediators", "sessions", "close"])
def test_a_step_street_staff_may_not_take_is_403_before_the_form_is_read(world, client_for, step):
    dispute = register(world)
    assert client_for("street_staff").post(f"/disputes/{dispute.pk}/{step}/", {}).status_code == 403
    mine = client_for("grid1_worker").post(f"/disputes/{dispute.pk}/{step}/", {})
    assert mine.status_code == 400  # allowed: the same empty form is refused at its fields
    assert not MediationSession.objects.exists() and not Mediator.objects.exists()
    assert Dispute.objects.get().state == "open"


def test_forms_on_the_page_record_and_close(world, client_for):
    dispute = register(world)
    client = client_for("grid1_worker")
    url = f"/disputes/{dispute.pk}"
    assert client.post(f"{url}/mediators/", {"group": "staff", "user": world.grid1_leader.pk}).status_code == 302
    assert client.post(f"{url}/mediators/", {"group": "volunteer", "name": "老周"}).status_code == 302
    response = client.post(f"{url}/sessions/", {"held_on": "2024-06-10", "location": "社区调解室", "summary": "谈妥"})
    assert response.status_code == 302
    response = client.post(
        f"{url}/close/",
        {"outcome": "agreement", "settled_level": "grid", "closed_on": "2024-06-11", "agreement": pdf_upload()},
    )
    assert response.status_code == 302
    dispute.refresh_from_db()
    assert (dispute.state, dispute.outcome, dispute.settled_level) == ("closed", "agreement", "grid")
    assert Mediator.objects.filter(dispute=dispute).count() == 2
    page = client.get(f"{url}/").content.decode()
    assert "data-agreement" in page and "谈妥" in page


@pytest.mark.parametrize(
    ("path", "data", "form", "field"),
    [
        ("sessions", {"held_on": "2024-06-01", "summary": "x"}, "session_form", "held_on"),
        ("sessions", {"held_on": "2024-06-10", "summary": "<script>"}, "session_form", "summary"),
        ("mediators", {"group": "volunteer", "name": ""}, "mediator_form", "name"),
        ("close", {"outcome": "agreement", "closed_on": "2024-06-10"}, "close_form", "settled_level"),
        ("close", {"outcome": "failed", "closed_on": "2099-06-10"}, "close_form", "closed_on"),
    ],
)
def test_bad_forms_show_the_error_at_their_field_and_write_nothing(world, client_for, path, data, form, field):
    dispute = register(world)
    response = client_for("grid1_worker").post(f"/disputes/{dispute.pk}/{path}/", data)
    assert response.status_code == 400
    assert field in response.context[form].errors
    assert not MediationSession.objects.exists() and not Mediator.objects.exists()
    assert Dispute.objects.get().state == "open"


def test_a_bad_agreement_file_is_shown_at_its_field(world, client_for):
    dispute = register(world)
    fake = SimpleUploadedFile("a.pdf", b"<html>no</html>", content_type="application/pdf")
    response = client_for("grid1_worker").post(
        f"/disputes/{dispute.pk}/close/",
        {"outcome": "agreement", "settled_level": "grid", "closed_on": "2024-06-10", "agreement": fake},
    )
    assert response.status_code == 400 and "agreement" in response.context["close_form"].errors
    assert Dispute.objects.get().state == "open"


# The agreement


def test_agreement_is_served_in_scope_as_a_sandboxed_download_and_audited(world, client_for):
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
    response = client_for("community_staff").get(f"/disputes/{dispute.pk}/agreement/")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"].startswith("attachment")
    assert response["Content-Security-Policy"] == "sandbox" and response["Cache-Control"] == "private, no-store"
    assert b"".join(response.streaming_content).startswith(b"%PDF-")
    assert AuditEntry.objects.filter(action="disputes.agreement_viewed", actor_id=world.community_staff.pk).exists()
    assert client_for("grid2_worker").get(f"/disputes/{dispute.pk}/agreement/").status_code == 404


def test_no_agreement_is_404(world, client_for):
    dispute = register(world)
    assert client_for("grid1_worker").get(f"/disputes/{dispute.pk}/agreement/").status_code == 404


# Key persons


def test_a_dispute_from_a_key_person_visit_does_not_reveal_the_visit(world, client_for, watch):
    visit = Visit.objects.filter(target=watch.key_target).first()
    from nuanxin.accounts.scope import scope_of

    dispute = register(world, by=world.grid1_leader, source="visit", visit=visit, scope=scope_of(world.grid1_leader))
    worker = client_for("grid1_worker").get(f"/disputes/{dispute.pk}/")
    assert worker.status_code == 200 and worker.context["visit_id"] is None
    assert "key_person" not in worker.content.decode()
    leader = client_for("grid1_leader").get(f"/disputes/{dispute.pk}/")
    assert leader.context["visit_id"] == visit.pk


def test_a_worker_cannot_register_from_a_key_person_visit(world, watch):
    from nuanxin.accounts.scope import scope_of
    from nuanxin.core.errors import DomainError

    visit = Visit.objects.filter(target=watch.key_target).first()
    with pytest.raises(DomainError) as refused:
        register(world, source="visit", visit=visit, scope=scope_of(world.grid1_worker))
    assert refused.value.field == "visit"
    assert not Dispute.objects.exists()


def test_a_dispute_from_a_report_links_the_case_by_its_number(world, client_for):
    from nuanxin.cases.actions import report_case
    from nuanxin.cases.catalogue import install_catalogue
    from nuanxin.cases.models import CaseClass

    install_catalogue(actor=None)
    case = report_case(
        actor=world.rider,
        case_class=CaseClass.objects.get(code="neighbour-dispute"),
        description="邻居吵架",
        lng=102.7011,
        lat=24.9811,
        channel="phone_page",
    )
    client = client_for("grid1_worker")
    wrong_source = client.post("/disputes/new/", _new(world, case_number=case.number))
    assert wrong_source.status_code == 400 and "case_number" in wrong_source.context["form"].errors
    response = client.post("/disputes/new/", _new(world, case_number=case.number, source="report"))
    assert response.status_code == 302
    dispute = Dispute.objects.get()
    assert dispute.case == case
    assert case.number in client.get(f"/disputes/{dispute.pk}/").content.decode()
