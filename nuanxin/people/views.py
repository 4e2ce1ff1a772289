"""People pages: the resident list (search by POST: phones and ID numbers never go in a
URL; searching by them is gated, rate-limited and audited) and a resident's page with
masked values, tags by kind only, and an audited reveal. None of these pages may be cached
(Cache-Control: no-store)."""

from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext_lazy as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from nuanxin.core.access import deny
from nuanxin.core.errors import DomainError
from nuanxin.core.http import ScopedRequest
from nuanxin.core.ratelimit import RateLimited, set_retry_after
from nuanxin.people import actions
from nuanxin.people.models import Resident
from nuanxin.people.queries import (
    may_look_up_people,
    may_see_tags,
    resident_or_404,
    residents_for,
    visible_tag_kinds,
)

PAGE_SIZE = 50


@never_cache
@login_required
def resident_list(request: ScopedRequest) -> HttpResponse:
    if not may_look_up_people(request.scope):
        raise deny(request.scope, "people.list")
    params = request.POST if request.method == "POST" else request.GET
    text = request.POST.get("q", "").strip()[:60] if request.method == "POST" else ""
    refusal: DomainError | None = None
    try:
        residents = actions.look_up_residents(actor=request.user, scope=request.scope, text=text)
    except DomainError as error:
        residents, refusal = Resident.objects.none(), error
    page = Paginator(residents, PAGE_SIZE).get_page(params.get("page"))
    rows = [(resident, visible_tag_kinds(request.scope, resident)) for resident in page]
    context = {
        "page": page,
        "rows": rows,
        "q": text,
        "error": refusal.message if refusal else None,
        "can_import": request.scope.has("people.import"),
    }
    if isinstance(refusal, actions.SearchRateLimited):
        response = render(request, "people/list.html", context, status=429)
        response["Retry-After"] = str(refusal.retry_after)
        return response
    return render(request, "people/list.html", context, status=400 if refusal else 200)


@never_cache
@login_required
def resident_detail(request: ScopedRequest, resident_id: int) -> HttpResponse:
    resident = resident_or_404(request.scope, resident_id)
    return _detail(request, resident)


@never_cache
@login_required
@require_POST
def reveal(request: ScopedRequest, resident_id: int) -> HttpResponse:
    """Show one full value once, for a stated reason; the reveal is audited."""
    resident = resident_or_404(request.scope, resident_id)
    field, reason = request.POST.get("field", ""), request.POST.get("reason", "")
    try:
        revealed = actions.reveal_resident_field(
            actor=request.user, scope=request.scope, resident=resident, field=field, reason=reason
        )
    except RateLimited as error:  # shown where the value would be; htmx fragments stay 200
        page = _detail(request, resident, {"errors": {"field": error.message}, "reason": reason}, status=429)
        return set_retry_after(page, error)
    except DomainError as error:
        return _detail(request, resident, {"errors": {error.field: error.message}, "reason": reason}, status=400)
    return _detail(request, resident, {"revealed": {"field": field, "value": revealed}})


def _detail(
    request: ScopedRequest, resident: Resident, extra: dict[str, Any] | None = None, status: int = 200
) -> HttpResponse:
    scope = request.scope
    may_see_any_tags = may_see_tags(scope, resident)
    context: dict[str, Any] = {
        "resident": resident,
        "can_reveal": scope.has_at("people.reveal", resident.grid.path),
        "revealable": [("id_number", _("ID number")), ("phone", _("Phone"))]
        + ([("tags", _("Tags"))] if may_see_any_tags else []),
        **(extra or {}),
    }
    if request.htmx:  # type: ignore[attr-defined]
        # The reveal form swaps itself; nothing else on the page changes. Always 200: htmx
        # does not swap in 4xx answers, and the fragment carries the field error itself.
        return render(request, "people/_reveal.html", context)
    context["may_see_tags"] = may_see_any_tags
    context["tag_kinds"] = visible_tag_kinds(scope, resident)
    context["members"] = (
        residents_for(scope).filter(household_id=resident.household_id).exclude(pk=resident.pk)
        if resident.household_id
        else []
    )
    return render(request, "people/detail.html", context, status=status)
