"""Search by name, pinyin, initials and exact phone or ID number; pinyin order; tag filters."""

import pytest

from nuanxin.accounts.scope import scope_of
from nuanxin.people import actions
from nuanxin.people.queries import residents_for, search_residents, visible_tags, with_tag
from nuanxin.people.tests.sample import LI_ID, LI_PHONE, WANG_PHONE, ZHANG_ID
from nuanxin.testing import SYSTEM_SCOPE


@pytest.fixture
def admin_scope(world):
    return scope_of(world.community_admin)


def names(residents):
    return [r.name for r in residents]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("张", ["张三"]),
        ("张三", ["张三"]),
        ("zhangsan", ["张三"]),
        ("Zhang San", ["张三"]),
        ("zhang", ["张三"]),
        ("san", ["张三"]),
        ("zs", ["张三"]),
        ("ZS", ["张三"]),
        ("138 9876 5432", []),
        (LI_PHONE, ["李四"]),
        ("+86 " + LI_PHONE, ["李四"]),
        (LI_ID.lower(), ["李四"]),
        (ZHANG_ID[:-1], []),  # no partial ID lookup
        (LI_PHONE[:7], []),  # no partial phone lookup
    ],
)
def test_search_finds_by_name_pinyin_initials_phone_and_id(people, admin_scope, text, expected):
    assert names(search_residents(admin_scope, text)) == expected


def test_search_stays_inside_the_scope(people, world):
    assert names(search_residents(scope_of(world.grid1_worker), WANG_PHONE)) == []
    assert names(search_residents(scope_of(world.grid2_worker), WANG_PHONE)) == ["王五"]


def test_lists_are_sorted_by_pinyin(people, world, admin_scope):
    actions.register_resident(actor=None, scope=SYSTEM_SCOPE, name="艾米", place=world.compound1)
    actions.register_resident(actor=None, scope=SYSTEM_SCOPE, name="曾一", place=world.compound1)
    assert names(residents_for(admin_scope)) == ["艾米", "居民小钱", "李四", "骑手小赵", "王五", "曾一", "张三"]


def test_the_list_query_count_does_not_grow_with_residents(people, world, admin_scope, django_assert_max_num_queries):
    for n in range(30):
        resident = actions.register_resident(
            actor=None, scope=SYSTEM_SCOPE, name=f"测试{'甲乙丙丁戊己庚辛壬癸'[n % 10]}", place=world.compound1
        )
        actions.tag_resident(
            actor=None, scope=SYSTEM_SCOPE, resident=resident, kind="special_group", category="disabled"
        )
    with django_assert_max_num_queries(2):
        rows = [
            (r.name, r.place.name, r.grid.path, r.household, visible_tags(admin_scope, r))
            for r in residents_for(admin_scope)
        ]
    assert len(rows) == 35


def test_tags_show_by_permission_at_the_residents_grid(people, world):
    def kinds(persona):
        zhang = residents_for(scope_of(world.users[persona])).get(pk=people.zhang.pk)
        return sorted(t.kind for t in visible_tags(scope_of(world.users[persona]), zhang))

    assert kinds("grid1_leader") == ["key_person", "special_group"]
    assert kinds("community_admin") == ["key_person", "special_group"]
    assert kinds("grid1_worker") == ["special_group"]
    assert kinds("community_staff") == ["special_group"]
    assert kinds("grid1_helper") == []
    assert kinds("street_staff") == []


def test_filtering_by_tag_kind_only_works_where_the_viewer_may_see_it(people, world):
    def tagged(persona, kind):
        scope = scope_of(world.users[persona])
        return names(with_tag(scope, residents_for(scope), kind))

    assert tagged("grid1_leader", "key_person") == ["张三"]
    assert tagged("grid1_worker", "special_group") == ["张三"]
    assert tagged("grid1_worker", "key_person") == []
    assert tagged("grid1_helper", "special_group") == []
    assert tagged("grid1_leader", "unknown") == []
