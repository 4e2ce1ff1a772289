"""Writes of the Open311 adapter: issuing and revoking API keys, and taking in a service
request, which becomes a case through `nuanxin.cases.actions.report_case` and nothing else."""

import hashlib
import secrets
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from nuanxin.cases.actions import report_case
from nuanxin.cases.models import Case, CaseClass
from nuanxin.core import audit
from nuanxin.core.access import check_at
from nuanxin.core.errors import DomainError
from nuanxin.core.geo import check_point
from nuanxin.core.scoping import Scope
from nuanxin.core.validators import plain_name
from nuanxin.open311.models import ApiKey
from nuanxin.territory.models import Area
from nuanxin.territory.queries import locate_grid

KEY_PREFIX = "o311_"


def digest_of(raw_key: str) -> str:
    return hashlib.sha256(raw_key.encode()).hexdigest()


# Keeping keys outside the viewer's accounts.manage.
OUTSIDE = gettext_noop("This area is outside the area where you manage accounts.")


@transaction.atomic
def issue_api_key(*, actor: Any, scope: Scope, name: str, area: Area, raw_key: str | None = None) -> tuple[ApiKey, str]:
    """Issue a key reaching `area`'s subtree; returns the key row and the key itself, which
    is shown once and never stored (only its digest is). `raw_key` is for the demo's
    published key only. A key gives access, so issuing one needs accounts.manage at the area
    ("area"). Refuses an empty name and a key already issued."""
    check_at(scope, area.path, "accounts.manage", message=_(OUTSIDE), field="area")
    name = (name or "").strip()
    if not name:
        raise DomainError(_("Name the key after who will use it."), field="name")
    name = plain_name(name, field="name", limit=80)
    raw = raw_key or KEY_PREFIX + secrets.token_urlsafe(32)
    if ApiKey.objects.filter(digest=digest_of(raw)).exists():
        raise DomainError(_("This key has already been issued."), field="key")
    key = ApiKey.objects.create(
        name=name,
        area=area,
        prefix=raw[:10],
        digest=digest_of(raw),
        created_by=actor if getattr(actor, "is_authenticated", False) else None,
        created_at=timezone.now(),
    )
    audit.record("open311.key_issued", actor=actor, obj=key, detail={"area": area.path})
    return key, raw


@transaction.atomic
def revoke_api_key(*, actor: Any, scope: Scope, key: ApiKey) -> ApiKey:
    """Revoke a key: from now on it is refused. Revoking twice changes nothing more. Needs
    accounts.manage at the key's area, as issuing it did."""
    check_at(scope, key.area.path, "accounts.manage", message=_(OUTSIDE))
    updated = ApiKey.objects.filter(pk=key.pk, revoked_at__isnull=True).update(revoked_at=timezone.now())
    key.refresh_from_db()
    if updated:
        audit.record("open311.key_revoked", actor=actor, obj=key)
    return key


@transaction.atomic
def submit_request(
    *,
    key: ApiKey,
    case_class: CaseClass,
    lng: float,
    lat: float,
    description: str,
    address: str = "",
    answers: dict[str, Any] | None = None,
    reporter_name: str = "",
    reporter_phone: str = "",
    photos: list[Any] | None = None,
) -> Case:
    """A service request posted with `key` becomes a case (channel Open311). The location must
    lie in a grid the key reaches; a request naming nobody is anonymous. Everything else is
    checked by report_case, which refuses with DomainError before anything is written."""
    check_point(lng, lat, field="lat")
    grid = locate_grid(lng, lat)
    if grid is None or not grid.path.startswith(key.area.path):
        raise DomainError(_("This location is outside the area this service serves."), field="lat")
    anonymous = not (reporter_name or reporter_phone)
    case = report_case(
        actor=None,
        case_class=case_class,
        description=description,
        lng=lng,
        lat=lat,
        channel=Case.Channel.OPEN311,
        address=address,
        answers=answers or {},
        reporter_name=reporter_name,
        reporter_phone=reporter_phone,
        anonymous=anonymous,
        photos=photos or [],
    )
    # Which client sent it; never who reported it.
    audit.record("open311.request_received", obj=case, detail={"key": key.pk, "key_name": key.name})
    return case
