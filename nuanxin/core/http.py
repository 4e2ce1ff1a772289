"""Typed request for views and endpoints behind the scope middleware, and the API auth of
public reads."""

from typing import Any

from django.http import HttpRequest

from nuanxin.core.scoping import Scope


class ScopedRequest(HttpRequest):
    """A request after authentication: `scope` is set by accounts.middleware."""

    user: Any
    scope: Scope


class _Visitor:
    """API auth for the public reads (the warm stations, an echo wall): the API's own
    credentials when sent (a bearer token, a session), else an anonymous visitor, who gets the
    anonymous scope (the public rows). A bearer token that is not valid is still a 401, not a
    silent anonymous read."""

    def __call__(self, request: Any) -> Any:
        from nuanxin.api import api

        for callback in api.auth or ():  # type: ignore[union-attr]
            result = callback(request)
            if result:
                return result
        return None if request.headers.get("Authorization") else True


ANYONE = [_Visitor()]
