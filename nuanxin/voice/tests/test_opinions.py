"""Opinions (民情): given on the phone, named or anonymous, or entered by staff for someone;
grouped with the alike; an outcome for the whole topic told to each giver, who rates it; the
echo wall; the figures and the work queue. Each with who may and who may not."""

from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from nuanxin.accounts.scope import scope_of
from nuanxin.cases.catalogue import install_catalogue
from nuanxin.cases.models import Case, CaseClass
from nuanxin.core import workqueue
from nuanxin.core.errors import DomainError
from nuanxin.core.models import AuditEntry, Notification
from nuanxin.insights import queries as insight_queries
from nuanxin.insights import rollups
from nuanxin.party.models import Need
from nuanxin.testing import SYSTEM_SCOPE, photo_upload
from nuanxin.voice import actions
from nuanxin.voice.models import Opinion


def give(client: Client, world, **form):
    data = {"community": world.community.pk, "category": "parking", "text": "晚上电动车没地方充电"} | form
    return client.post(reverse("voice:give"), data)


def test_a_resident_gives_a_named_opinion_and_follows_it(world, client_for):
    resident = client_for("resident")
    page = resident.get(reverse("voice:give"))
    assert page.status_code == 200 and "data-opinion-form" in page.content.decode()
    sent = give(resident, world, place=world.compound1.pk, photo=photo_upload())
    assert sent.status_code == 302 and sent["Location"] == reverse("voice:mine")
    opinion = Opinion.objects.get()
    assert (opinion.author, opinion.area, opinion.place, opinion.channel) == (
        world.resident,
        world.compound1.grid,
        world.compound1,
        "phone",
    )
    assert opinion.photo_name
    entry = AuditEntry.objects.get(action="voice.opinion_given")
    assert entry.actor_id == world.resident.pk
    mine = resident.get(reverse("voice:mine")).content.decode()
    assert f'data-opinion="{opinion.pk}"' in mine and "晚上电动车没地方充电" in mine


def test_an_anonymous_opinion_names_nobody_anywhere(world, client_for):
    resident = client_for("resident")
    assert give(resident, world, anonymous="on").status_code == 302
    opinion = Opinion.objects.get()
    assert opinion.author is None and opinion.resident is None and opinion.anonymous
    assert AuditEntry.objects.get(action="voice.opinion_given").actor_id is None
    assert f'data-opinion="{opinion.pk}"' not in resident.get(reverse("voice:mine")).content.decode()
    # The office sees it, marked anonymous, with no name
    page = client_for("community_admin").get(reverse("voice:opinion", args=[opinion.pk])).content.decode()
    assert "resident" not in page.split("data-from>")[1].split("</dd>")[0]


def test_bad_input_is_refused_at_its_field_and_writes_nothing(world, client_for):
    resident = client_for("resident")
    empty = give(resident, world, text="   ")
    assert empty.status_code == 400 and empty.context["form"].errors["text"]
    html = give(resident, world, text="<script>alert(1)</script>")
    assert html.status_code == 400 and html.context["form"].errors["text"]
    elsewhere = give(resident, world, community=world.other_community.pk)
    assert elsewhere.status_code == 400 and elsewhere.context["form"].errors["community"]
    assert not Opinion.objects.exists()
    with pytest.raises(DomainError) as outside:
        actions.give_opinion(
            actor=world.resident,
            scope=scope_of(world.resident),
            community=world.community,
            place=world.other_compound,
            category="noise",
            text="太吵",
        )
    assert outside.value.field == "place"
    with pytest.raises(DomainError) as foreign:
        actions.give_opinion(
            actor=world.resident,
            scope=scope_of(world.resident),
            community=world.other_community,
            category="noise",
            text="太吵",
        )
    assert foreign.value.field == "community"
    assert not Opinion.objects.exists()


def test_who_may_give_an_opinion(world, client_for):
    for persona in ("resident", "rider", "community_admin"):
        assert client_for(persona).get(reverse("voice:give")).status_code == 200, persona
    for persona in ("grid1_worker", "partner", "auditor", "stranger"):
        assert client_for(persona).get(reverse("voice:give")).status_code == 404, persona
    assert Client().get(reverse("voice:give")).status_code == 302  # sign in first


def test_alike_opinions_are_one_topic_answered_once_and_each_giver_told(world, client_for):
    first = actions.give_opinion(
        actor=world.resident,
        scope=scope_of(world.resident),
        community=world.community,
        category="parking",
        text="小区电动车充电桩太少，晚上没地方充电",
    )
    second = actions.give_opinion(
        actor=world.rider,
        scope=scope_of(world.rider),
        community=world.community,
        category="parking",
        text="电动车充电桩太少",
    )
    other = actions.give_opinion(
        actor=world.rider,
        scope=scope_of(world.rider),
        community=world.community,
        category="pets",
        text="小区遛狗不拴绳",
    )
    assert (second.topic, other.topic) == (first, None)
    office = client_for("community_admin")
    triage = office.get(reverse("voice:triage")).content.decode()
    assert f'data-opinion="{first.pk}"' in triage and f'data-opinion="{second.pk}"' not in triage  # a topic once
    assert office.post(reverse("voice:answer", args=[second.pk]), {"reply": "月底前增设20个充电桩"}).status_code == 302
    states = dict(Opinion.objects.values_list("pk", "state"))
    assert states == {first.pk: "answered", second.pk: "answered", other.pk: "open"}
    told = set(Notification.objects.filter(kind="voice.outcome").values_list("recipient_id", flat=True))
    assert told == {world.resident.pk, world.rider.pk}
    # a topic with its outcome is not answered twice
    again = office.post(reverse("voice:answer", args=[first.pk]), {"reply": "再答一次"})
    assert again.status_code == 404 or again.status_code == 400
    assert Opinion.objects.get(pk=first.pk).reply == "月底前增设20个充电桩"


def test_the_field_enters_an_opinion_for_someone_in_their_grid(world, client_for):
    worker = client_for("grid1_worker")
    form = {
        "community": world.community.pk,
        "channel": "visit",
        "category": "facilities",
        "place": world.compound1.pk,
        "text": "老楼没有电梯，老人上下楼困难",
    }
    assert worker.post(reverse("voice:record"), form).status_code == 302
    opinion = Opinion.objects.get()
    assert (opinion.entered_by, opinion.channel, opinion.author) == (world.grid1_worker, "visit", None)
    # the community as a whole is not theirs to speak for, nor the phone channel
    whole = worker.post(reverse("voice:record"), form | {"place": ""})
    assert whole.status_code == 400 and whole.context["form"].errors["community"]
    phone = worker.post(reverse("voice:record"), form | {"channel": "phone"})
    assert phone.status_code == 400 and phone.context["form"].errors["channel"]
    assert Opinion.objects.count() == 1
    assert client_for("resident").get(reverse("voice:record")).status_code == 404


def test_triage_is_the_offices_and_reaches_only_its_own(world, client_for):
    opinion = actions.give_opinion(
        actor=world.resident,
        scope=scope_of(world.resident),
        community=world.community,
        place=world.compound1,
        category="noise",
        text="商圈夜里太吵",
    )
    url = reverse("voice:opinion", args=[opinion.pk])
    assert client_for("grid1_worker").get(url).status_code == 200  # their grid's
    assert client_for("grid2_worker").get(url).status_code == 404
    assert client_for("other_admin").get(url).status_code == 404
    assert client_for("resident").get(url).status_code == 200  # they gave it
    assert client_for("rider").get(url).status_code == 404
    for persona in ("grid1_worker", "other_admin", "resident"):
        refused = client_for(persona).post(reverse("voice:decline", args=[opinion.pk]), {"reply": "不处理"})
        assert refused.status_code == 404, persona
    assert Opinion.objects.get().state == "open"
    empty = client_for("community_admin").post(reverse("voice:decline", args=[opinion.pk]), {"reply": ""})
    assert empty.status_code == 400 and empty.context["decline_form"].errors["reply"]
    listed = client_for("grid2_worker").get(reverse("voice:triage"))
    assert listed.status_code == 200 and f'data-opinion="{opinion.pk}"' not in listed.content.decode()
    assert client_for("resident").get(reverse("voice:triage")).status_code == 404


def test_an_opinion_becomes_a_need_or_a_case(world, client_for, committee):
    install_catalogue(actor=None)
    office = client_for("community_admin")
    lift = actions.give_opinion(
        actor=world.resident,
        scope=scope_of(world.resident),
        community=world.community,
        place=world.compound1,
        category="facilities",
        text="老楼加装电梯",
    )
    sent = office.post(reverse("voice:to_need", args=[lift.pk]), {"title": "老楼加装电梯", "reply": "已列入需求清单"})
    assert sent.status_code == 302
    lift.refresh_from_db()
    assert (lift.state, lift.need.title, lift.need.source) == ("need", "老楼加装电梯", Need.Source.RESIDENTS)
    light = actions.give_opinion(
        actor=world.resident,
        scope=scope_of(world.resident),
        community=world.community,
        place=world.compound1,
        category="safety",
        text="楼道灯坏了很黑",
    )
    case_class = CaseClass.objects.filter(active=True).first()
    sent = office.post(reverse("voice:to_case", args=[light.pk]), {"case_class": case_class.pk, "reply": "已派单维修"})
    assert sent.status_code == 302
    light.refresh_from_db()
    assert light.state == "case" and light.case.description == "楼道灯坏了很黑"
    assert Case.objects.filter(pk=light.case_id, grid=world.compound1.grid).exists()


def test_a_need_needs_a_party_committee(world):
    opinion = actions.give_opinion(
        actor=world.resident,
        scope=scope_of(world.resident),
        community=world.community,
        category="other",
        text="建议办夜校",
    )
    with pytest.raises(DomainError) as refused:
        actions.to_need(
            actor=world.community_admin,
            scope=scope_of(world.community_admin),
            opinion=opinion,
            title="夜校",
            reply="好",
        )
    assert refused.value.field == "need"
    assert Opinion.objects.get().state == "open" and not Need.objects.exists()


def test_the_giver_rates_the_outcome_and_the_wall_shows_it_naming_nobody(world, client_for):
    opinion = actions.give_opinion(
        actor=world.resident,
        scope=scope_of(world.resident),
        community=world.community,
        category="pets",
        text="遛狗不拴绳",
    )
    resident = client_for("resident")
    early = resident.post(reverse("voice:rate", args=[opinion.pk]), {"rating": "4"})
    assert early.status_code == 400
    actions.answer(
        actor=world.community_admin, scope=scope_of(world.community_admin), opinion=opinion, reply="已张贴文明养犬公约"
    )
    assert resident.post(reverse("voice:rate", args=[opinion.pk]), {"rating": "4"}).status_code == 302
    assert Opinion.objects.get().rating == 4
    assert (
        client_for("community_admin").post(reverse("voice:rate", args=[opinion.pk]), {"rating": "1"}).status_code == 404
    )
    assert Opinion.objects.get().rating == 4
    wall = Client().get(reverse("voice:wall", args=[world.community.pk]))
    text = wall.content.decode()
    assert wall.status_code == 200 and "遛狗不拴绳" in text and "已张贴文明养犬公约" in text
    shown = text.split('data-wall="')[1].split("</div>")[0]
    assert world.resident.display_name not in shown and world.resident.username not in shown
    assert "遛狗" not in Client().get(reverse("voice:wall", args=[world.community.pk]), {"q": "充电"}).content.decode()
    assert "遛狗" not in Client().get(reverse("voice:wall", args=[world.other_community.pk])).content.decode()


def test_the_figures_and_the_queue(world):
    now = timezone.now()
    late = actions.give_opinion(
        actor=world.resident,
        scope=scope_of(world.resident),
        community=world.community,
        category="noise",
        text="广场舞音响太大",
        now=now - timedelta(days=10),
    )
    actions.enter_opinion(
        actor=world.community_staff,
        scope=scope_of(world.community_staff),
        community=world.community,
        channel="hotline",
        category="pets",
        text="流浪猫太多",
    )
    admin = world.community_admin
    waiting = {w.source.key: w for w in workqueue.waiting_for(scope_of(admin), admin)}["voice_opinions"]
    assert waiting.count == 2 and waiting.items[0].overdue  # the oldest first, past the week
    assert "voice_opinions" not in {
        w.source.key for w in workqueue.waiting_for(scope_of(world.grid1_worker), world.grid1_worker)
    }
    actions.answer(actor=admin, scope=scope_of(admin), opinion=late, reply="已协调音量和时段")
    today = timezone.localdate()
    period = (today - timedelta(days=30), today)
    shown = insight_queries.period_figures(scope_of(admin), world.community, *period)
    voice = {m: n for s in shown.sections for m, _l, n in s.figures if m.startswith("voice_")}
    assert (voice["voice_received"], voice["voice_via_phone"], voice["voice_via_hotline"]) == (2, 1, 1)
    assert (voice["voice_answered"], voice["voice_in_time"]) == (1, 0)  # answered after ten days
    counted = insight_queries.counted_figures(scope_of(admin), world.community, *period)
    assert voice == {m: n for s in counted.sections for m, _l, n in s.figures if m.startswith("voice_")}
    rollups.rebuild()
    again = insight_queries.period_figures(scope_of(admin), world.community, *period)
    assert voice == {m: n for s in again.sections for m, _l, n in s.figures if m.startswith("voice_")}


def test_the_actions_check_the_scope_they_are_given(world):
    opinion = actions.enter_opinion(
        actor=None, scope=SYSTEM_SCOPE, community=world.community, channel="paper", category="other", text="意见表"
    )
    with pytest.raises(TypeError):
        actions.answer(actor=world.community_admin, scope=None, opinion=opinion, reply="好")  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        actions.rate(actor=world.resident, scope=None, opinion=opinion, rating=5)  # type: ignore[arg-type]
    with pytest.raises(DomainError):
        actions.answer(actor=world.grid1_worker, scope=scope_of(world.grid1_worker), opinion=opinion, reply="好")
    assert Opinion.objects.get().state == "open"


def test_the_api_gives_answers_rates_and_shows_the_wall(world, client_for):
    resident = client_for("resident")
    body = {
        "community_id": world.community.pk,
        "category": "noise",
        "text": "商圈夜市太吵",
        "place_id": world.compound1.pk,
    }
    given = resident.post("/api/v1/voice/opinions", body, content_type="application/json")
    assert given.status_code == 201 and given.json()["area_id"] == world.compound1.grid_id
    opinion_id = given.json()["id"]
    empty = resident.post("/api/v1/voice/opinions", body | {"text": " "}, content_type="application/json")
    assert empty.status_code == 400 and empty.json()["field"] == "text"
    foreign = resident.post(
        "/api/v1/voice/opinions", body | {"community_id": world.other_community.pk}, content_type="application/json"
    )
    assert foreign.status_code == 400 and foreign.json()["field"] == "community_id"
    assert (
        client_for("auditor").post("/api/v1/voice/opinions", body, content_type="application/json").status_code == 404
    )
    assert Opinion.objects.count() == 1
    office = client_for("community_admin")
    listed = office.get("/api/v1/voice/opinions", {"state": "open"}).json()
    assert [row["id"] for row in listed["items"]] == [opinion_id]
    answered = office.post(
        f"/api/v1/voice/opinions/{opinion_id}/answer", {"reply": "已协调夜市22点收摊"}, content_type="application/json"
    )
    assert answered.status_code == 200 and answered.json()[0]["state"] == "answered"
    assert (
        client_for("grid1_worker")
        .post(f"/api/v1/voice/opinions/{opinion_id}/decline", {"reply": "x"}, content_type="application/json")
        .status_code
        == 404
    )
    rated = resident.post(f"/api/v1/voice/opinions/{opinion_id}/rate", {"rating": 5}, content_type="application/json")
    assert rated.status_code == 200 and rated.json()["rating"] == 5
    assert (
        client_for("rider")
        .post(f"/api/v1/voice/opinions/{opinion_id}/rate", {"rating": 1}, content_type="application/json")
        .status_code
        == 404
    )
    wall = Client().get(f"/api/v1/voice/wall/{world.community.pk}").json()
    assert [(row["text"], row["reply"]) for row in wall["items"]] == [("商圈夜市太吵", "已协调夜市22点收摊")]
    assert "author" not in str(wall) and "resident" not in str(wall)
