"""Residents' voice in a real browser (issue 19 §1): a resident gives an opinion on the phone
with a photo; a neighbour's alike opinion joins its topic; the community office answers the
topic once on the console; the resident finds the answer among their opinions, rates it, and
reads it on the public echo wall, where nobody is named."""

from typing import Any

from playwright.sync_api import expect

from nuanxin.accounts.scope import scope_of
from nuanxin.testing import World, image_bytes
from nuanxin.tests_browser.conftest import DESKTOP, PHONE, screenshot, sign_in
from nuanxin.voice import actions
from nuanxin.voice.models import Opinion


def test_an_opinion_from_the_phone_to_the_echo_wall(open_page: Any, world: World, live_server: Any) -> None:
    phone = open_page(PHONE)
    sign_in(phone, "resident")
    phone.goto("/field/")
    phone.get_by_role("link", name="反映意见").click()
    form = phone.locator("form[data-opinion-form]")
    form.get_by_label("意见类别").select_option("parking")
    form.get_by_label("楼栋或地点（可选）").select_option(str(world.compound1.pk))
    form.get_by_label("您的意见").fill("小区电动车充电桩太少，晚上没地方充电")
    form.locator("input[name=photo]").set_input_files(
        {"name": "chongdian.png", "mimeType": "image/png", "buffer": image_bytes("PNG")}
    )
    with phone.expect_navigation():
        form.get_by_role("button", name="提交").click()
    expect(phone.locator(".messages")).to_contain_text("办理结果会通知您")
    opinion = Opinion.objects.get()
    screenshot(phone, "voice-given")

    # A rider says much the same: one topic.
    alike = actions.give_opinion(
        actor=world.rider,
        scope=scope_of(world.rider),
        community=world.community,
        category="parking",
        text="电动车充电桩太少",
    )
    assert alike.topic_id == opinion.pk

    console = open_page(DESKTOP)
    sign_in(console, "community-admin")
    console.goto("/voice/")
    console.locator(f"[data-opinion='{opinion.pk}'] a").click()
    expect(console.locator("[data-grouped]")).to_contain_text("充电桩太少")
    answer = console.locator("[data-triage] form").first
    answer.get_by_label("给居民的答复").fill("月底前在3栋旁增设20个充电桩")
    with console.expect_navigation():
        answer.get_by_role("button", name="答复").click()
    expect(console.locator("[data-state]")).to_have_text("已答复")
    screenshot(console, "voice-answered")
    assert set(Opinion.objects.values_list("state", flat=True)) == {"answered"}

    phone.goto("/voice/mine/")
    card = phone.locator(f"[data-opinion='{opinion.pk}']")
    expect(card).to_contain_text("月底前在3栋旁增设20个充电桩")
    card.locator("select[name=rating]").select_option("5")
    with phone.expect_navigation():
        card.get_by_role("button", name="评价").click()
    expect(phone.locator(".messages")).to_contain_text("谢谢您的评价")
    assert Opinion.objects.get(pk=opinion.pk).rating == 5

    phone.goto(f"/voice/wall/{world.community.pk}/")
    wall = phone.locator(f"[data-wall='{opinion.pk}']")
    expect(wall).to_contain_text("月底前在3栋旁增设20个充电桩")
    expect(wall).not_to_contain_text("resident")
    screenshot(phone, "voice-wall")
