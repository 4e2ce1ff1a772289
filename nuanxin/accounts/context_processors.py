from typing import Any

from django.conf import settings
from django.utils.functional import SimpleLazyObject

from nuanxin.core import maps
from nuanxin.core.http import ScopedRequest
from nuanxin.navigation import CAPABILITIES


def console_capabilities(request: ScopedRequest) -> list:
    """The capabilities the console's navigation shows the viewer."""
    user = request.user
    if not user.is_authenticated or not user.works_in_console:
        return []
    scope = request.scope  # type: ignore[attr-defined]
    return [c for c in CAPABILITIES if c.shown_to(scope)]


def viewer(request: ScopedRequest) -> dict[str, Any]:
    """The viewer's scope and the console navigation they may use."""
    return {
        "scope": getattr(request, "scope", None),
        "capabilities": SimpleLazyObject(lambda: console_capabilities(request)),
        "demo_mode": settings.NUANXIN_DEMO,
        # Called by the template that draws a map, not on every page (core/maps.py).
        "map_config": maps.map_config,
    }
