"""The demo's people act through the same checks as real ones: each actor's own scope."""

from typing import Any

from nuanxin.accounts.scope import scope_of
from nuanxin.core.scoping import Scope


class Scopes:
    """Each actor's scope, built once per demo run (an action checks it every time; building
    it reads the actor's role grants)."""

    def __init__(self) -> None:
        self.built: dict[int, Scope] = {}

    def __call__(self, user: Any) -> Scope:
        if user.pk not in self.built:
            self.built[user.pk] = scope_of(user)
        return self.built[user.pk]
