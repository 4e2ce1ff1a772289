"""A user's Scope, computed from their role grants once per request."""

from typing import Any

from nuanxin.accounts.roles import GLOBAL_ROLES, PERMISSIONS, UNIT_ROLES, Role
from nuanxin.core.scoping import Scope

ANONYMOUS = Scope()


def scope_of(user: Any) -> Scope:
    if user is None or not user.is_authenticated or not user.is_active:
        return ANONYMOUS
    cached = getattr(user, "_nuanxin_scope", None)
    if cached is not None:
        return cached
    everything = False
    reach: dict[str, set[str]] = {}
    units: set[int] = set()
    for grant in user.role_grants.select_related("area"):
        if grant.role == Role.SYSTEM_ADMIN:
            everything = True
            continue
        if grant.role in UNIT_ROLES:
            if grant.unit_id:
                units.add(grant.unit_id)
            continue
        if grant.area is not None:
            path = grant.area.path
        elif grant.role in GLOBAL_ROLES:
            path = ""  # held on no node: the whole installation
        else:
            continue
        for permission in PERMISSIONS.get(grant.role, frozenset()):
            reach.setdefault(permission, set()).add(path)
    scope = Scope(
        user_id=user.pk,
        everything=everything,
        reach={perm: _minimal(paths) for perm, paths in reach.items()},
        unit_ids=tuple(sorted(units)),
    )
    user._nuanxin_scope = scope
    return scope


def _minimal(paths: set[str]) -> tuple[str, ...]:
    """Drop paths already covered by a shorter one."""
    return tuple(sorted(p for p in paths if not any(p != q and p.startswith(q) for q in paths)))
