"""Follow links: how someone who reported from the phone page without an account follows
their report (docs/cases.md, "Reporting without an account").

A follow link is `/cases/follow/<token>/`, the token being the case's id signed with the
installation's key (`django.core.signing`, a salt of its own): never the bare id, and
unguessable without the key. It is handed out once, on the answer to a report made without
an account, and shown nowhere else; it lasts as long as the case (a new SECRET_KEY ends the
links, SECRET_KEY_FALLBACKS keeps them while keys rotate). It opens the case's public view,
the case it was merged into if it was merged. Whoever holds it may rate the case once it is
closed (actions.evaluate_case) and, signed in, follow it (`follow_by_link`): the public view
every follower has (the page opened by the link, plus the level, the grid and the place
rounded to about 100 m, which the follow button says), never the whole case.
"""

from datetime import datetime
from typing import Any

from django.core import signing
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from nuanxin.cases.models import Case, CaseFollower
from nuanxin.cases.queries import surviving_case
from nuanxin.core import audit
from nuanxin.core.errors import DomainError

FOLLOW_LINK_SALT = "nuanxin.cases.follow-link"
# A signed case id is about 40 characters; anything much longer is not one of ours.
TOKEN_MAX = 120


def follow_link_token(case: Case) -> str:
    """The token of the follow link of a case reported without an account."""
    return signing.dumps(case.pk, salt=FOLLOW_LINK_SALT)


def reported_case(token: str) -> Case | None:
    """The case a follow link was handed out for; None for anything else (an altered or made-up
    token, a bare id, a token of another kind, a case reported with an account)."""
    if not token or len(token) > TOKEN_MAX:
        return None
    try:
        case_id = signing.loads(token, salt=FOLLOW_LINK_SALT)
    except signing.BadSignature:
        return None
    if type(case_id) is not int:
        return None
    found = Case.objects.select_related("grid", "case_class").filter(
        pk=case_id, reporter__isnull=True, channel=Case.Channel.PHONE_PAGE
    )
    return found.first()


def opens(token: str, case: Case) -> bool:
    """Whether `token` is the follow link of `case` itself (not of a case merged into it)."""
    reported = reported_case(token)
    return reported is not None and reported.pk == case.pk


@transaction.atomic
def follow_by_link(*, actor: Any, token: str, now: datetime | None = None) -> Case:
    """A signed-in person follows the case a follow link opens (the case it was merged into,
    if it was merged, even once closed): it joins their "My reports", in its public view,
    and they hear when it is rejected, resolved or closed. The link is the proof: its holder
    sees that much already. Refuses someone without an account (forbidden) and a link that
    is not valid (field "token"). Following again changes nothing; a new follower is
    audited (`cases.followed`, why "chose", via the follow link)."""
    if not getattr(actor, "is_authenticated", False):
        raise DomainError(_("Sign in to follow a case."), field=None, code="forbidden")
    reported = reported_case(token)
    if reported is None:
        raise DomainError(_("This follow link is not valid."), field="token")
    case = surviving_case(reported)
    _follower, created = CaseFollower.objects.get_or_create(
        case=case, user=actor, defaults={"since": now or timezone.now(), "why": CaseFollower.Why.CHOSE}
    )
    if created:
        detail = {"why": CaseFollower.Why.CHOSE.value, "via": "follow_link"}
        audit.record("cases.followed", actor=actor, obj=case, detail=detail)
    return case
