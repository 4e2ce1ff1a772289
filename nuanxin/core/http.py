"""Typed request for views and endpoints behind the scope middleware."""

from typing import Any

from django.http import HttpRequest

from nuanxin.core.scoping import Scope


class ScopedRequest(HttpRequest):
    """A request after authentication: `scope` is set by accounts.middleware."""

    user: Any
    scope: Scope
