from typing import Any

from django.http import HttpRequest
from django.utils.functional import SimpleLazyObject

from nuanxin.core.notifications import UNREAD_CAP, unread_count


def notifications(request: HttpRequest) -> dict[str, Any]:
    """The top bar's unread badge: one COUNT query, run only when a template shows it."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}

    def badge() -> str:
        count = unread_count(user)
        return "" if count == 0 else ("99+" if count >= UNREAD_CAP else str(count))

    return {"unread_notifications": SimpleLazyObject(badge)}
