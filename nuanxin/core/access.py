"""Refusing a viewer: a lookup of one scoped object that answers 404 outside the scope, and
the checks that refuse a viewer without a permission. Every refusal of something that exists
is recorded in the audit log (`access.denied`) and answers the same 404 as a missing object,
never a 403 that would say it is there. `check_at` is the actions' check: a refusal with a
message, at the field that chose where, or forbidden. The scope itself is core.scoping's."""

from typing import Any

from django.db import models
from django.http import Http404

from nuanxin.core import audit
from nuanxin.core.errors import DomainError
from nuanxin.core.scoping import Scope


def get_in_scope_or_404(queryset: Any, scope: Scope, **lookup: Any) -> Any:
    """The object matching `lookup` if the scope reaches it; Http404 otherwise (never 403)."""
    qs: Any = queryset.objects.all() if hasattr(queryset, "DoesNotExist") else queryset  # a model class, or a queryset
    try:
        return qs.visible_to(scope).get(**lookup)
    except (qs.model.DoesNotExist, ValueError, TypeError):
        pass
    try:
        exists = qs.filter(**lookup).exists()
    except (ValueError, TypeError):
        exists = False
    if exists:  # it is there, but not for this viewer
        raise deny(scope, f"{qs.model._meta.label_lower} " + " ".join(f"{k}={v}" for k, v in lookup.items()))
    raise Http404


def deny(scope: Scope, what: str) -> Http404:
    """Record a denial in the audit log and return the 404 to raise."""
    audit.record("access.denied", result="denied", object_repr=what[:200])
    return Http404()


def require(scope: Scope, permission: str) -> None:
    """Refuse (404, audited) a viewer who holds `permission` nowhere."""
    if not scope.has(permission):
        raise deny(scope, permission)


def require_at(scope: Scope, permission: str, obj: models.Model, path: str) -> None:
    """Refuse (404, audited) a viewer without `permission` on the area at `path`, where `obj` lies."""
    if not scope.has_at(permission, path):
        raise deny(scope, f"{permission} {obj._meta.label_lower} {obj.pk}")


def check_at(
    scope: Scope, path: str, *permissions: str, message: str, field: str | None = None, any_of: bool = False
) -> None:
    """Refuse, with `message`, a scope without `permissions` at the area with `path` (every one
    of them, or with `any_of` one of them). Choosing where something goes (`field` given) it is
    bad input at that field; acting on something that is there, it is forbidden. Fails closed:
    a caller that left the scope out (None) is a programming error, never a pass; the
    installation acting on its own says so with `system_scope(...)`."""
    if not isinstance(scope, Scope):
        raise TypeError(f"an action's check needs a Scope, not {scope!r}: a viewer's, or system_scope(...)")
    held = any if any_of else all  # no permission named: a scope is all it takes (the own visit)
    if not held(scope.has_at(p, path) for p in permissions):
        raise DomainError(message, field=field, code="invalid" if field else "forbidden")
