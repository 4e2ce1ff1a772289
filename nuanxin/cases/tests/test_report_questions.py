"""A case class's extra questions on the phone report page and the staff intake page: every
class's questions are drawn (grouped per class), only the chosen class's answers are read,
and a refusal is shown at the question's own field with nothing written."""

import pytest
from django.http import QueryDict

from nuanxin.cases.models import Case, CaseClass
from nuanxin.cases.questions import ClassQuestions

FORM = {"case_class": "blocked-fire-exit", "description": "消防通道被电动车堵住", "lat": "24.9811", "lng": "102.7011"}
INTAKE = {
    "case_class": "blocked-fire-exit",
    "description": "来电：楼道安全出口被杂物堵住",
    "lat": "24.9811",
    "lng": "102.7011",
}


@pytest.mark.parametrize(("persona", "url"), [("rider", "/cases/report/"), ("community_staff", "/cases/new/")])
def test_the_pages_draw_every_class_s_questions_grouped_per_class(client_for, catalogue, persona, url):
    response = client_for(persona).get(url)
    page = response.content.decode()
    assert response.status_code == 200
    assert 'data-class="blocked-fire-exit"' in page and 'data-class="noise"' in page
    assert 'name="attribute[what]"' in page and 'name="attribute[when]"' in page
    assert 'type="number" name="attribute[count]"' in page  # ebike-indoor-charging: a number
    assert 'type="text" name="attribute[door]"' in page  # stove-left-on: a string
    assert '<option value="goods">杂物</option>' in page
    assert "nuanxin/questions.js" in page
    assert 'data-class="sanitation"' not in page  # a class without questions has no group


def test_rider_reports_a_blocked_fire_exit_with_its_answer(client_for, world, catalogue):
    response = client_for("rider").post("/cases/report/", FORM | {"attribute[what]": "vehicle"})
    assert response.status_code == 302
    case = Case.objects.get()
    assert (case.case_class.code, case.answers, case.reporter) == (
        "blocked-fire-exit",
        {"what": "vehicle"},
        world.rider,
    )


def test_without_the_answer_the_error_is_at_the_question_and_nothing_is_written(client_for, catalogue):
    response = client_for("rider").post("/cases/report/", FORM | {"attribute[what]": ""})
    assert response.status_code == 400
    assert Case.objects.count() == 0
    form = response.context["form"]
    assert "description" not in form.errors and not form.non_field_errors()
    group = form.questions.group_for(catalogue["blocked-fire-exit"])
    assert group.fields[0].name == "attribute[what]" and "堵塞物" in group.fields[0].error
    page = response.content.decode()
    fieldset = page[page.index('data-class="blocked-fire-exit"') :]
    assert fieldset.index('class="field-error"') < fieldset.index("</fieldset>")
    assert "消防通道被电动车堵住" in page  # what was typed stays


def test_an_answer_not_offered_is_refused_at_its_field(client_for, catalogue):
    response = client_for("rider").post("/cases/report/", FORM | {"attribute[what]": "elephant"})
    assert response.status_code == 400 and Case.objects.count() == 0
    assert response.context["form"].questions.has_errors


def test_a_question_of_another_class_is_ignored(client_for, catalogue):
    data = FORM | {"attribute[what]": "goods", "attribute[when]": "night", "attribute[count]": "many"}
    response = client_for("rider").post("/cases/report/", data)
    assert response.status_code == 302
    assert Case.objects.get().answers == {"what": "goods"}


def test_a_number_question_takes_numbers_only(client_for, catalogue):
    data = FORM | {"case_class": "ebike-indoor-charging", "attribute[count]": "lots"}
    response = client_for("rider").post("/cases/report/", data)
    assert response.status_code == 400 and Case.objects.count() == 0
    group = response.context["form"].questions.group_for(catalogue["ebike-indoor-charging"])
    assert group.fields[0].error and group.fields[0].value == "lots"
    response = client_for("rider").post("/cases/report/", data | {"attribute[count]": "3"})
    assert response.status_code == 302 and Case.objects.get().answers == {"count": "3"}


def test_a_visitor_without_an_account_reports_a_blocked_fire_exit_with_its_answer(client, world, catalogue):
    response = client.post("/cases/report/", FORM | {"attribute[what]": "goods"})
    assert response.status_code == 302 and response["Location"].startswith("/cases/follow/")
    assert (Case.objects.get().reporter, Case.objects.get().answers) == (None, {"what": "goods"})


def test_staff_enter_a_blocked_fire_exit_for_a_caller_with_its_answer(client_for, world, catalogue):
    response = client_for("community_staff").post("/cases/new/", INTAKE | {"attribute[what]": "goods"})
    assert response.status_code == 302
    case = Case.objects.get()
    assert (case.channel, case.answers) == ("staff", {"what": "goods"})


def test_staff_intake_without_the_answer_shows_it_at_the_question(client_for, catalogue):
    response = client_for("community_staff").post("/cases/new/", INTAKE)
    assert response.status_code == 400 and Case.objects.count() == 0
    form = response.context["form"]
    assert "description" not in form.errors and not form.non_field_errors()
    assert form.questions.group_for(catalogue["blocked-fire-exit"]).fields[0].error


def test_staff_intake_stays_denied_to_a_rider(client_for, catalogue):
    response = client_for("rider").post("/cases/new/", INTAKE | {"attribute[what]": "goods"})
    assert response.status_code in (403, 404)
    assert Case.objects.count() == 0


def test_two_classes_asking_the_same_code_each_read_their_own_value_without_js(catalogue):
    """Without JS every group is sent, in page order: the n-th value belongs to the n-th group."""
    noise = catalogue["noise"]
    fire = catalogue["blocked-fire-exit"]
    fire.questions = [{**fire.questions[0], "code": "when"}]
    fire.save(update_fields=["questions"])
    data = QueryDict(mutable=True)
    data.setlist("attribute[when]", ["goods", "night"])  # blocked-fire-exit comes before noise
    questions = ClassQuestions(data)
    assert questions.answers_for(noise) == {"when": "night"}
    assert questions.answers_for(fire) == {"when": "goods"}
    with_js = QueryDict("attribute[when]=day")  # only the shown group is sent
    assert ClassQuestions(with_js).answers_for(noise) == {"when": "day"}
    assert ClassQuestions(with_js).answers_for(CaseClass.objects.get(code="sanitation")) == {}
