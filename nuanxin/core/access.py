"""Refusing a viewer: a lookup of one scoped object that answers 404 outside the scope, and
the checks that refuse a viewer without a permission. Every refusal of something that exists
is recorded in the audit log (`access.denied`) and answers the same 404 as a missing object,
never a 403 that would say it is there. The scope itself is core.scoping's."""

from typing import Any

from django.db import models
from django.http import Http404

from nuanxin.core import audit
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
