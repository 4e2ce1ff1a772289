"""The points API: balance and ledger, rewards, redeeming, vouchers, cancelling, looking up
and confirming; allowed and denied for each, refusals naming the field and writing nothing."""

# ruff: noqa: F811 (the fixture `pw` is imported, then asked for by name)
import json
from typing import Any

from nuanxin.testing import SYSTEM_SCOPE, World
from nuanxin.volunteers.models import PointsEntry, Redemption
from nuanxin.volunteers.points import actions as points
from nuanxin.volunteers.points.queries import balance
from nuanxin.volunteers.tests.test_points import PointsWorld, grant, pw  # noqa: F401 (fixture)

API = "/api/v1/points"


def post(client: Any, path: str, payload: dict[str, Any] | None = None) -> Any:
    return client.post(f"{API}{path}", json.dumps(payload or {}), content_type="application/json")


def test_balance_and_ledger(client_for: Any, world: World, pw: PointsWorld) -> None:
    grant(world, pw, pw.rider, 12)
    points.redeem(actor=world.rider, reward=pw.soap)
    body = client_for("rider").get(API).json()
    assert body["balance"] == 2
    assert [(e["delta"], e["reason"], e["about"]) for e in body["entries"]] == [
        (-10, "redemption", "洗衣皂"),
        (12, "service", "中秋游园"),
    ]


def test_rewards_say_what_the_balance_affords(client_for: Any, world: World, pw: PointsWorld) -> None:
    grant(world, pw, pw.rider, 12)
    body = client_for("rider").get(f"{API}/rewards").json()
    assert {(r["name"], r["affordable"], r["provider"]) for r in body} == {
        ("洗衣皂", True, None),
        ("骑手爱心餐", False, "好味餐厅"),
    }


def test_who_is_no_volunteer_gets_404(client_for: Any, client: Any, pw: PointsWorld) -> None:
    staff = client_for("community_admin")
    for path in ("", "/rewards", "/vouchers"):
        assert staff.get(f"{API}{path}").status_code == 404
        assert client.get(f"{API}{path}").status_code == 401
    assert post(staff, "/vouchers", {"reward_id": pw.soap.pk}).status_code == 404
    assert Redemption.objects.count() == 0


def test_redeem_then_list_and_cancel(client_for: Any, world: World, pw: PointsWorld) -> None:
    grant(world, pw, pw.rider, 20)
    client = client_for("rider")
    created = post(client, "/vouchers", {"reward_id": pw.meal.pk})
    assert created.status_code == 201
    voucher = created.json()
    assert voucher["state"] == "issued" and voucher["reward"] == "骑手爱心餐" and len(voucher["code"]) == 10
    assert [v["code"] for v in client.get(f"{API}/vouchers").json()] == [voucher["code"]]
    assert post(client_for("resident"), f"/vouchers/{voucher['id']}/cancel").status_code == 404
    cancelled = post(client, f"/vouchers/{voucher['id']}/cancel")
    assert cancelled.status_code == 200 and cancelled.json()["state"] == "cancelled"
    again = post(client, f"/vouchers/{voucher['id']}/cancel")
    assert again.status_code == 400 and again.json()["field"] == "redemption"
    assert balance(pw.rider) == 20


def test_redeem_refusals_name_the_field_and_write_nothing(client_for: Any, world: World, pw: PointsWorld) -> None:
    grant(world, pw, pw.rider, 15)
    client = client_for("rider")
    before = (PointsEntry.objects.count(), Redemption.objects.count())
    beyond = post(client, "/vouchers", {"reward_id": pw.meal.pk})
    assert beyond.status_code == 400 and beyond.json()["field"] == "points"
    foreign = post(client, "/vouchers", {"reward_id": pw.elsewhere.pk})
    assert foreign.status_code == 400 and foreign.json()["field"] == "reward_id"
    missing = post(client, "/vouchers", {"reward_id": 999999})
    assert missing.status_code == 400 and missing.json()["field"] == "reward_id"
    assert post(client, "/vouchers", {"reward_id": "soap"}).status_code == 422
    points.update_reward(actor=None, scope=SYSTEM_SCOPE, reward=pw.soap, stock=0, active=True)
    hidden = post(client, "/vouchers", {"reward_id": pw.soap.pk})
    assert hidden.status_code == 400 and hidden.json()["field"] == "stock"
    assert (PointsEntry.objects.count(), Redemption.objects.count()) == before


def test_the_merchant_looks_up_and_confirms_once(client_for: Any, world: World, pw: PointsWorld) -> None:
    grant(world, pw, pw.rider, 20)
    code = points.redeem(actor=world.rider, reward=pw.meal).code
    client = client_for("partner")
    found = post(client, "/confirm/lookup", {"code": code})
    assert found.status_code == 200
    assert found.json()["holder"] == "李**" and found.json()["reward"] == "骑手爱心餐"
    confirmed = post(client, "/confirm", {"code": code})
    assert confirmed.status_code == 200 and confirmed.json()["state"] == "confirmed"
    again = post(client, "/confirm", {"code": code})
    assert again.status_code == 400 and again.json()["field"] == "code" and again.json()["code"] == "used"


def test_unknown_and_foreign_codes_answer_alike(client_for: Any, world: World, pw: PointsWorld) -> None:
    grant(world, pw, pw.rider, 20)
    soap = points.redeem(actor=world.rider, reward=pw.soap).code
    client = client_for("partner")
    foreign = post(client, "/confirm", {"code": soap})
    unknown = post(client, "/confirm", {"code": "ZZZZZZZZZZ"})
    assert foreign.status_code == unknown.status_code == 400
    assert foreign.json() == unknown.json()
    assert post(client, "/confirm/lookup", {"code": soap}).json() == unknown.json()
    assert Redemption.objects.get(code=soap).state == "issued"
    assert post(client_for("community_staff"), "/confirm", {"code": soap}).status_code == 200


def test_confirming_is_not_for_volunteers(client_for: Any, world: World, pw: PointsWorld) -> None:
    grant(world, pw, pw.rider, 20)
    code = points.redeem(actor=world.rider, reward=pw.soap).code
    for persona in ("rider", "resident", "stranger"):
        assert post(client_for(persona), "/confirm", {"code": code}).status_code == 404
        assert post(client_for(persona), "/confirm/lookup", {"code": code}).status_code == 404
    assert Redemption.objects.get(code=code).state == "issued"
    too_long = post(client_for("partner"), "/confirm", {"code": "A" * 40})
    assert too_long.status_code == 422 and too_long.json()["field"] == "code"
