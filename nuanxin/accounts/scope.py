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
    roles: set[str] = set()
    # Only the three values a scope needs: an area row carries its boundary, kilobytes of
    # GeoJSON that every request would otherwise read and decode.
    for role, unit_id, area_path in user.role_grants.values_list("role", "unit_id", "area__path"):
        roles.add(role)
        if role == Role.SYSTEM_ADMIN:
            everything = True
            continue
        if role in UNIT_ROLES:
            if unit_id:
                units.add(unit_id)
            continue
        if area_path is not None:
            path = area_path
        elif role in GLOBAL_ROLES:
            path = ""  # held on no node: the whole installation
        else:
            continue
        for permission in PERMISSIONS.get(role, frozenset()):
            reach.setdefault(permission, set()).add(path)
    scope = Scope(
        user_id=user.pk,
        everything=everything,
        reach={perm: _minimal(paths) for perm, paths in reach.items()},
        unit_ids=tuple(sorted(units)),
    )
    user._nuanxin_scope = scope
    # User.roles (a cached_property) from the same rows. setattr, not __dict__: the user may
    # be request.user's lazy wrapper, which passes attributes on to the user it wraps.
    setattr(user, "roles", frozenset(roles))  # noqa: B010
    return scope


def _minimal(paths: set[str]) -> tuple[str, ...]:
    """Drop paths already covered by a shorter one."""
    return tuple(sorted(p for p in paths if not any(p != q and p.startswith(q) for q in paths)))
