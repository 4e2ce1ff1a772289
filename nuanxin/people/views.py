"""People pages: the resident list (search by POST: phones and ID numbers never go in a
URL) and a resident's page with masked values and an audited reveal. None of these pages
may be cached (Cache-Control: no-store)."""

from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext_lazy as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from nuanxin.core.errors import DomainError
from nuanxin.core.http import ScopedRequest
from nuanxin.core.scoping import deny
from nuanxin.people import actions
from nuanxin.people.models import Resident
from nuanxin.people.queries import (
    may_look_up_people,
    may_see_tags,
    resident_or_404,
    residents_for,
    search_residents,
    visible_tags,
)

PAGE_SIZE = 50


@never_cache
@login_required
def resident_list(request: ScopedRequest) -> HttpResponse:
    if not may_look_up_people(request.scope):
        raise deny(request.scope, "people.list")
    params = request.POST if request.method == "POST" else request.GET
    text = request.POST.get("q", "").strip()[:60] if request.method == "POST" else ""
    page = Paginator(search_residents(request.scope, text), PAGE_SIZE).get_page(params.get("page"))
    rows = [(resident, visible_tags(request.scope, resident)) for resident in page]
    return render(
        request,
        "people/list.html",
        {"page": page, "rows": rows, "q": text, "can_import": request.scope.has("people.import")},
    )


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
        value = actions.reveal_resident_field(
            actor=request.user, scope=request.scope, resident=resident, field=field, reason=reason
        )
    except DomainError as error:
        return _detail(request, resident, {"errors": {error.field: error.message}, "reason": reason}, status=400)
    return _detail(request, resident, {"revealed": {"field": field, "value": value}})


def _detail(
    request: ScopedRequest, resident: Resident, extra: dict[str, Any] | None = None, status: int = 200
) -> HttpResponse:
    scope = request.scope
    context: dict[str, Any] = {
        "resident": resident,
        "can_reveal": scope.has_at("people.reveal", resident.grid.path),
        "revealable": [("id_number", _("ID number")), ("phone", _("Phone"))],
        **(extra or {}),
    }
    if request.htmx:  # type: ignore[attr-defined]
        # The reveal form swaps itself; nothing else on the page changes. Always 200: htmx
        # does not swap in 4xx answers, and the fragment carries the field error itself.
        return render(request, "people/_reveal.html", context)
    context["may_see_tags"] = may_see_tags(scope, resident)
    context["tags"] = visible_tags(scope, resident)
    context["members"] = (
        residents_for(scope).filter(household_id=resident.household_id).exclude(pk=resident.pk)
        if resident.household_id
        else []
    )
    return render(request, "people/detail.html", context, status=status)
