"""The points pages: the volunteer's page (balance, ledger, rewards, vouchers with QR codes),
redeeming and cancelling, the confirming page, the rules and the catalogue; allowed and
denied for each, errors at their fields with nothing written, and the page's query count."""

# ruff: noqa: F811 (the fixture `pw` is imported, then asked for by name)
from typing import Any

import pytest

from nuanxin.core.models import AuditEntry
from nuanxin.testing import SYSTEM_SCOPE, World
from nuanxin.volunteers.models import PointsEntry, PointsRule, Redemption, Reward
from nuanxin.volunteers.points import actions as points
from nuanxin.volunteers.points.queries import balance
from nuanxin.volunteers.tests.test_points import PointsWorld, grant, pw  # noqa: F401 (fixture)

HOME = "/volunteers/points/"
CONFIRM = "/volunteers/points/confirm/"
RULES = "/volunteers/points/rules/"
CATALOGUE = "/volunteers/points/catalogue/"


def redeem_url(reward: Reward) -> str:
    return f"/volunteers/points/rewards/{reward.pk}/redeem/"


# The volunteer's page


def test_the_volunteer_sees_balance_ledger_rewards_and_vouchers(
    client_for: Any, world: World, pw: PointsWorld, django_assert_max_num_queries: Any
) -> None:
    grant(world, pw, pw.rider, 25)
    redemption = points.redeem(actor=world.rider, reward=pw.soap)
    grant(world, pw, pw.rider, 1)
    client = client_for("rider")
    client.get(HOME)  # the session's first request
    with django_assert_max_num_queries(10):
        response = client.get(HOME)
    assert response.status_code == 200
    data = response.context["data"]
    assert data.balance == 16
    assert [r.name for r in data.affordable] == ["洗衣皂"] and [r.name for r in data.beyond] == ["骑手爱心餐"]
    html = response.content.decode()
    assert redemption.code in html and "<svg" in html and "毛巾" not in html
    assert "中秋游园" in html  # the ledger line says what it was for
    assert redeem_url(pw.soap) in html and redeem_url(pw.meal) not in html


def test_the_page_stays_within_its_queries_with_many_lines(
    client_for: Any, world: World, pw: PointsWorld, django_assert_max_num_queries: Any
) -> None:
    for _ in range(6):
        grant(world, pw, pw.rider, 12)
    for _ in range(3):
        points.redeem(actor=world.rider, reward=pw.soap)
    client = client_for("rider")
    client.get(HOME)  # the session's first request
    with django_assert_max_num_queries(10):
        assert client.get(HOME).status_code == 200


def test_someone_not_registered_is_asked_to_register(client_for: Any, pw: PointsWorld) -> None:
    response = client_for("grid1_worker").get(HOME)
    assert response.status_code == 200
    assert "data" not in response.context
    assert "/volunteers/register/" in response.content.decode()


def test_signed_out_goes_to_the_login(client: Any, pw: PointsWorld) -> None:
    assert client.get(HOME).status_code == 302


def test_redeeming_from_the_page(client_for: Any, world: World, pw: PointsWorld) -> None:
    grant(world, pw, pw.rider, 20)
    response = client_for("rider").post(redeem_url(pw.meal))
    assert response.status_code == 302
    assert Redemption.objects.filter(volunteer=pw.rider, reward=pw.meal).count() == 1
    assert balance(pw.rider) == 0


def test_redeeming_beyond_the_balance_says_so_and_writes_nothing(
    client_for: Any, world: World, pw: PointsWorld
) -> None:
    grant(world, pw, pw.rider, 5)
    client = client_for("rider")
    response = client.post(redeem_url(pw.soap), follow=True)
    assert Redemption.objects.count() == 0 and balance(pw.rider) == 5
    assert [str(m) for m in response.context["messages"]] and "10" in response.content.decode()


def test_a_reward_of_another_community_is_not_found(client_for: Any, world: World, pw: PointsWorld) -> None:
    grant(world, pw, pw.rider, 50)
    assert client_for("rider").post(redeem_url(pw.elsewhere)).status_code == 404
    assert client_for("grid1_worker").post(redeem_url(pw.soap)).status_code == 404
    assert client_for("rider").get(redeem_url(pw.soap)).status_code == 405
    assert Redemption.objects.count() == 0


def test_cancelling_own_voucher_only(client_for: Any, world: World, pw: PointsWorld) -> None:
    grant(world, pw, pw.rider, 20)
    redemption = points.redeem(actor=world.rider, reward=pw.meal)
    url = f"/volunteers/points/vouchers/{redemption.pk}/cancel/"
    assert client_for("resident").post(url).status_code == 404
    assert client_for("grid1_worker").post(url).status_code == 404
    assert Redemption.objects.get(pk=redemption.pk).state == "issued"
    assert client_for("rider").post(url).status_code == 302
    assert Redemption.objects.get(pk=redemption.pk).state == "cancelled"
    assert balance(pw.rider) == 20


# Confirming


def test_the_merchant_looks_up_and_confirms_a_voucher(client_for: Any, world: World, pw: PointsWorld) -> None:
    grant(world, pw, pw.rider, 20)
    redemption = points.redeem(actor=world.rider, reward=pw.meal)
    client = client_for("partner")
    shown = client.get(CONFIRM, {"code": redemption.code})
    assert shown.status_code == 200
    html = shown.content.decode()
    assert "骑手爱心餐" in html and "李**" in html and "李小明" not in html
    assert client.post(CONFIRM, {"code": redemption.code}).status_code == 302
    assert Redemption.objects.get(pk=redemption.pk).state == "confirmed"
    again = client.post(CONFIRM, {"code": redemption.code})
    assert again.status_code == 400 and again.context["form"].errors["code"]


def test_an_unknown_or_foreign_code_is_one_error_at_the_code(client_for: Any, world: World, pw: PointsWorld) -> None:
    grant(world, pw, pw.rider, 20)
    soap = points.redeem(actor=world.rider, reward=pw.soap)
    client = client_for("partner")
    foreign = client.get(CONFIRM, {"code": soap.code})
    unknown = client.get(CONFIRM, {"code": "ZZZZZZZZZZ"})
    assert foreign.status_code == unknown.status_code == 400
    assert foreign.context["form"].errors["code"] == unknown.context["form"].errors["code"]
    assert "洗衣皂" not in foreign.content.decode()
    assert client.post(CONFIRM, {"code": soap.code}).status_code == 400
    assert Redemption.objects.get(pk=soap.pk).state == "issued"


def test_staff_confirm_the_communitys_goods(client_for: Any, world: World, pw: PointsWorld) -> None:
    grant(world, pw, pw.rider, 20)
    soap = points.redeem(actor=world.rider, reward=pw.soap)
    assert client_for("community_staff").post(CONFIRM, {"code": soap.code}).status_code == 302
    assert Redemption.objects.get(pk=soap.pk).confirmed_by == world.community_staff


def test_the_confirming_page_is_not_for_volunteers_or_residents(client_for: Any, pw: PointsWorld) -> None:
    assert client_for("partner").get(CONFIRM).status_code == 200
    assert client_for("community_staff").get(CONFIRM).status_code == 200
    assert client_for("rider").get(CONFIRM).status_code == 404
    assert client_for("resident").get(CONFIRM).status_code == 404
    assert client_for("auditor").get(CONFIRM).status_code == 404


# Rules


def test_community_staff_set_rules(client_for: Any, pw: PointsWorld) -> None:
    client = client_for("community_staff")
    page = client.get(RULES)
    assert page.status_code == 200 and len(page.context["rows"]) == PointsRule.objects.count()
    assert client.post(RULES, {"kind": "cleanup", "per_hour": 2, "bonus": 3}).status_code == 302
    assert (PointsRule.objects.get(kind="cleanup").per_hour, PointsRule.objects.get(kind="cleanup").bonus) == (2, 3)


def test_a_bad_rule_shows_at_its_field_and_writes_nothing(client_for: Any, pw: PointsWorld) -> None:
    response = client_for("community_admin").post(RULES, {"kind": "cleanup", "per_hour": -2, "bonus": 0})
    assert response.status_code == 400 and "per_hour" in response.context["form"].errors
    response = client_for("community_admin").post(RULES, {"kind": "bogus", "per_hour": 2, "bonus": 0})
    assert response.status_code == 400 and "kind" in response.context["form"].errors
    assert PointsRule.objects.get(kind="cleanup").per_hour == 1


def test_installing_the_defaults_from_the_page(client_for: Any, world: World) -> None:
    assert client_for("community_admin").post("/volunteers/points/rules/defaults/").status_code == 302
    assert PointsRule.objects.filter(kind="hazard_report", bonus=5).exists()


@pytest.mark.parametrize("persona", ["grid1_worker", "rider", "resident", "partner", "street_staff"])
def test_the_rules_are_not_for_others(client_for: Any, pw: PointsWorld, persona: str) -> None:
    client = client_for(persona)
    assert client.get(RULES).status_code == 404
    assert client.post(RULES, {"kind": "cleanup", "per_hour": 9, "bonus": 0}).status_code == 404
    assert client.post("/volunteers/points/rules/defaults/").status_code == 404
    assert PointsRule.objects.get(kind="cleanup").per_hour == 1


# The catalogue


def test_staff_see_and_add_rewards_of_their_area(
    client_for: Any, world: World, pw: PointsWorld, django_assert_max_num_queries: Any
) -> None:
    client = client_for("community_staff")
    client.get(CATALOGUE)  # the session's first request
    for i in range(5):
        points.create_reward(
            actor=None, scope=SYSTEM_SCOPE, name=f"奖品{i}", kind="goods", points=5, stock=1, area=world.grid1
        )
    with django_assert_max_num_queries(11):
        page = client.get(CATALOGUE)
    assert page.status_code == 200
    assert {r.name for r in page.context["rewards"]} >= {"洗衣皂", "骑手爱心餐", "奖品4"}
    assert "毛巾" not in page.content.decode()
    response = client.post(
        CATALOGUE,
        {"name": "食用油", "kind": "goods", "points": 30, "stock": 10, "area": world.community.pk, "provider": ""},
    )
    assert response.status_code == 302
    assert Reward.objects.get(name="食用油").area == world.community


def test_a_bad_reward_shows_at_its_field(client_for: Any, world: World, pw: PointsWorld) -> None:
    client = client_for("community_staff")
    before = Reward.objects.count()
    response = client.post(
        CATALOGUE, {"name": "油", "kind": "goods", "points": 0, "stock": 1, "area": world.community.pk}
    )
    assert response.status_code == 400 and "points" in response.context["form"].errors
    response = client.post(
        CATALOGUE, {"name": "油", "kind": "goods", "points": 3, "stock": 1, "area": world.other_community.pk}
    )
    assert response.status_code == 400 and "area" in response.context["form"].errors
    assert Reward.objects.count() == before


def test_staff_set_the_stock(client_for: Any, world: World, pw: PointsWorld) -> None:
    client = client_for("community_staff")
    url = f"/volunteers/points/catalogue/{pw.soap.pk}/"
    assert client.post(url, {"stock": 40, "active": "on"}).status_code == 302
    assert Reward.objects.get(pk=pw.soap.pk).stock == 40
    bad = client.post(url, {"stock": -1, "active": "on"})
    assert bad.status_code == 400 and bad.context["failed"] == pw.soap.pk and bad.context["stock_error"]
    assert Reward.objects.get(pk=pw.soap.pk).stock == 40
    assert client.post(f"/volunteers/points/catalogue/{pw.elsewhere.pk}/", {"stock": 1}).status_code == 404
    assert Reward.objects.get(pk=pw.elsewhere.pk).stock == 9


def test_the_catalogue_is_not_for_volunteers(client_for: Any, world: World, pw: PointsWorld) -> None:
    audits = AuditEntry.objects.filter(action="points.reward_updated").count()
    for persona in ("rider", "resident", "partner"):
        client = client_for(persona)
        assert client.get(CATALOGUE).status_code == 404
        assert client.post(f"/volunteers/points/catalogue/{pw.soap.pk}/", {"stock": 0}).status_code == 404
    assert client_for("other_admin").get(CATALOGUE).context["rewards"] == [pw.elsewhere]
    assert AuditEntry.objects.filter(action="points.reward_updated").count() == audits
    assert PointsEntry.objects.count() == 0
