"""The homes: where each person lands, the work queue on them, the navigation's count, and the
error pages in the site's layout."""

import re

from django.test import Client

from nuanxin.accounts.scope import scope_of
from nuanxin.cases.actions import report_case
from nuanxin.volunteers.signups.actions import add_representative, create_partner

PHONE = (
    "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 Mobile Safari/537.36"
)
DESK = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 Safari/537.36"


def test_staff_at_a_desk_land_on_the_console_and_on_a_phone_on_the_phone_home(client_for, world):
    client = client_for("grid1_worker")
    assert client.get("/", HTTP_USER_AGENT=DESK).url == "/console/"
    assert client.get("/", HTTP_USER_AGENT=PHONE).url == "/field/"
    # Both homes lead to each other.
    assert 'href="/field/"' in client.get("/console/").content.decode()
    assert 'href="/console/"' in client.get("/field/").content.decode()


def test_a_partner_representative_lands_on_their_tools(client_for, world):
    admin = world.users["community_admin"]
    partner = create_partner(actor=admin, scope=scope_of(admin), name="温新驿站", kind="merchant", place=world.station)
    add_representative(actor=admin, scope=scope_of(admin), partner=partner, user=world.users["partner"])
    client = client_for("partner")
    assert client.get("/", HTTP_USER_AGENT=DESK).url == "/field/"
    page = client.get("/field/").content.decode()
    assert "/volunteers/points/confirm/" in page


def test_residents_and_riders_land_on_the_phone_home(client_for, world):
    for persona in ("resident", "rider"):
        assert client_for(persona).get("/", HTTP_USER_AGENT=DESK).url == "/field/"


def _report_in_grid1(world, catalogue):
    return report_case(
        actor=world.users["rider"],
        case_class=catalogue["sanitation"],
        description="楼道里堆满了纸箱",
        lng=102.7011,
        lat=24.9811,
        channel="phone_page",
    )


def test_the_console_home_opens_on_my_work(client_for, world, catalogue):
    case = _report_in_grid1(world, catalogue)
    page = client_for("grid1_leader").get("/console/").content.decode()
    assert case.number in page and f'href="/cases/{case.pk}/"' in page
    other = client_for("grid2_worker").get("/console/").content.decode()
    assert case.number not in other
    phone = client_for("grid1_worker").get("/field/").content.decode()
    assert case.number in phone


def test_the_navigation_counts_what_waits(client_for, world, catalogue):
    leader = client_for("grid1_leader")
    assert "badge" not in leader.get("/work/count/").content.decode()
    _report_in_grid1(world, catalogue)
    badges = leader.get("/work/count/").content.decode()
    assert ">1</span>" in badges
    # Beside the capability it waits in too, and only there.
    assert re.search(r'<span id="work-count-cases" hx-swap-oob="true"><span class="badge"[^>]*>1</span>', badges)
    assert re.search(r'<span id="work-count-inspections" hx-swap-oob="true"></span>', badges)
    console = leader.get("/console/").content.decode()
    assert "/work/count/" in console and 'id="work-count-cases"' in console
    assert Client().get("/work/count/").status_code == 302  # to sign in


def test_a_missing_or_out_of_scope_page_is_a_friendly_404_in_the_layout(client_for, world):
    client = client_for("grid1_worker")
    for url in ("/no-such-page/", f"/territory/areas/{world.other_grid.pk}/"):
        response = client.get(url)
        page = response.content.decode()
        assert response.status_code == 404
        assert "页面不存在" in page and 'name="viewport"' in page and 'href="/"' in page
    anonymous = Client().get("/no-such-page/").content.decode()
    assert "页面不存在" in anonymous and "/accounts/login/" in anonymous
    # The same page for every address: nothing of the request is in it.
    assert client.get("/no-such-page/").content == client.get("/another/missing/page/").content


def test_the_report_map_opens_over_the_viewers_area_or_the_first_community(client_for, world):
    def centre(client):
        page = client.get("/cases/report/").content.decode()
        return page.split('data-centre="', 1)[1].split('"', 1)[0]

    other = f"{world.other_grid.center_lat:f},{world.other_grid.center_lng:f}"
    assert (
        centre(client_for("other_admin"))
        == f"{world.other_community.center_lat:f},{world.other_community.center_lng:f}"
    )
    assert centre(client_for("grid1_worker")) == f"{world.grid1.center_lat:f},{world.grid1.center_lng:f}" != other
    first = f"{world.community.center_lat:f},{world.community.center_lng:f}"
    assert centre(Client()) == first  # a visitor: the first community
