"""The Django admin keeps reference data for system admins; its writes are audited."""

from nuanxin.core.models import AuditEntry


def test_system_admin_edits_a_place_name_and_it_is_audited(client_for, world):
    client = client_for("system_admin")
    url = f"/admin/territory/place/{world.compound1.pk}/change/"
    assert client.get(url).status_code == 200
    response = client.post(url, {"name": "一号院(新)", "address": "新路1号", "kind": "public_unit"})
    assert response.status_code == 302
    world.compound1.refresh_from_db()
    assert (world.compound1.name, world.compound1.kind) == ("一号院(新)", "compound")  # kind is read-only
    assert AuditEntry.objects.filter(action="territory.place_changed", object_id=str(world.compound1.pk)).exists()


def test_system_admin_renames_an_area_through_the_action(client_for, world):
    response = client_for("system_admin").post(
        f"/admin/territory/area/{world.grid1.pk}/change/", {"name": "一网格(东)"}
    )
    assert response.status_code == 302
    world.grid1.refresh_from_db()
    assert world.grid1.name == "一网格(东)"
    assert AuditEntry.objects.filter(action="territory.area_changed", object_id=str(world.grid1.pk)).exists()


def test_staffing_and_audit_log_are_read_only_in_the_admin(client_for, world):
    client = client_for("system_admin")
    assert client.get("/admin/territory/staffassignment/").status_code == 200
    assert client.get("/admin/territory/staffassignment/add/").status_code == 403
    assert client.get("/admin/core/auditentry/add/").status_code == 403


def test_console_staff_cannot_open_the_admin(client_for, world):
    for persona in ("community_admin", "grid1_worker", "auditor"):
        response = client_for(persona).get("/admin/territory/place/")
        assert response.status_code == 302 and "/admin/login/" in response["Location"], persona
