def test_catalogue_is_kept_in_the_admin_and_cases_are_read_only(client_for, world, report):
    case = report("sanitation", by=world.rider, reporter_name="何伟", reporter_phone="13812345678")
    client = client_for("system_admin")
    assert client.get("/admin/cases/caseclass/").status_code == 200
    page = client.get(f"/admin/cases/case/{case.pk}/change/").content.decode()
    assert case.number in page and "何伟" not in page and "13812345678" not in page
    assert client.get("/admin/cases/case/add/").status_code == 403
    assert client_for("community_admin").get("/admin/cases/case/").status_code == 302
