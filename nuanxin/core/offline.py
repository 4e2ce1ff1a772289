"""Field pages a phone keeps for offline use (docs/offline.md).

A view decorated with `@kept_offline` marks its successful GET answers with the header
`Nuanxin-Offline: keep` when a person is signed in; the service worker keeps the last copy of
such pages, shows it when the network is gone, and forgets them all at sign-out and sign-in.
No other page or API answer is kept.
"""

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

from django.http import HttpRequest
from django.http.response import HttpResponseBase

OFFLINE_HEADER = "Nuanxin-Offline"

View = TypeVar("View", bound=Callable[..., Any])


def kept_offline(view: View) -> View:
    """Let the phone keep this page's last GET answer (an outbox form on it can then be filled offline)."""

    @wraps(view)
    def marking(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        response = view(request, *args, **kwargs)
        signed_in = request.user.is_authenticated  # type: ignore[attr-defined]
        if request.method == "GET" and response.status_code == 200 and signed_in:
            response[OFFLINE_HEADER] = "keep"
        return response

    return marking  # type: ignore[return-value]
