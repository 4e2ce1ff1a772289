from typing import Any

import pytest

from nuanxin.cases.models import CaseClass


@pytest.fixture
def report(world: Any, catalogue: dict[str, CaseClass]) -> Any:
    """report("sanitation", by=world.rider) -> a case in grid 1 unless lng/lat say otherwise."""
    from nuanxin.cases.actions import report_case

    def make(code: str, *, by: Any = None, lng: float = 102.7011, lat: float = 24.9811, **extra: Any) -> Any:
        extra.setdefault("description", "楼道里堆满了纸箱")
        extra.setdefault("channel", "phone_page")
        if code == "blocked-fire-exit":
            extra.setdefault("answers", {"what": "goods"})
        if code == "noise":
            extra.setdefault("answers", {"when": "night"})
        return report_case(actor=by, case_class=catalogue[code], lng=lng, lat=lat, **extra)

    return make
