from typing import Any

import pytest
from django.test import Client

from nuanxin.cases.models import CaseClass
from nuanxin.open311.actions import issue_api_key
from nuanxin.testing import SYSTEM_SCOPE, Shared

# Points inside grid 1, grid 2 and the other community's grid of nuanxin.testing.build_world.
IN_GRID1 = {"lng": 102.7011, "lat": 24.9811}
IN_GRID2 = {"lng": 102.7031, "lat": 24.9811}
IN_OTHER = {"lng": 102.7111, "lat": 24.9911}


def _keys(world: Any) -> dict[str, str]:
    from nuanxin.open311.actions import revoke_api_key

    _key, community = issue_api_key(actor=world.system_admin, scope=SYSTEM_SCOPE, name="12345", area=world.community)
    _key, grid1 = issue_api_key(actor=world.system_admin, scope=SYSTEM_SCOPE, name="grid 1 app", area=world.grid1)
    revoked_key, revoked = issue_api_key(actor=world.system_admin, scope=SYSTEM_SCOPE, name="old", area=world.community)
    revoke_api_key(actor=world.system_admin, scope=SYSTEM_SCOPE, key=revoked_key)
    return {"community": community, "grid1": grid1, "revoked": revoked}


@pytest.fixture(scope="module")
def shared_keys(shared: Shared, shared_world: Any, shared_catalogue: Any) -> dict[str, str] | None:
    return shared.build("keys", lambda: _keys(shared_world))


@pytest.fixture
def keys(world: Any, catalogue: Any, shared_keys: dict[str, str] | None) -> dict[str, str]:
    """Raw API keys: one reaching the community, one reaching grid 1 only, one revoked (shared
    like the world)."""
    return dict(shared_keys) if shared_keys is not None else _keys(world)


@pytest.fixture
def post_request(keys: dict[str, str]) -> Any:
    """post_request(fmt="json", **form) -> the response of POST requests.<fmt>."""

    def make(fmt: str = "json", *, client: Client | None = None, **form: Any) -> Any:
        form.setdefault("api_key", keys["community"])
        form.setdefault("service_code", "sanitation")
        form.setdefault("lat", str(IN_GRID1["lat"]))
        form.setdefault("long", str(IN_GRID1["lng"]))
        form.setdefault("description", "楼道里堆满了纸箱")
        return (client or Client()).post(f"/open311/v2/requests.{fmt}", form)

    return make


@pytest.fixture
def report(world: Any, catalogue: dict[str, CaseClass]) -> Any:
    """report("sanitation", **extra) -> a case made through report_case (grid 1 by default)."""
    from nuanxin.cases.actions import report_case

    def make(code: str, *, where: dict[str, float] = IN_GRID1, **extra: Any) -> Any:
        extra.setdefault("description", "楼道里堆满了纸箱")
        extra.setdefault("channel", "phone_page")
        return report_case(actor=extra.pop("by", None), case_class=catalogue[code], **where, **extra)

    return make
