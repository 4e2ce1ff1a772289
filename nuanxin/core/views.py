"""The audit log for auditors: browse and filter; nobody can change it."""

from datetime import datetime, time

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.dateparse import parse_date

from nuanxin.core.http import ScopedRequest
from nuanxin.core.models import AuditEntry
from nuanxin.core.scoping import require


@login_required
def audit_list(request: ScopedRequest) -> HttpResponse:
    require(request.scope, "audit.view")
    qs = AuditEntry.objects.visible_to(request.scope)
    filters = {k: request.GET.get(k, "").strip() for k in ("actor", "action", "result", "since", "until", "request_id")}
    errors = {}
    if filters["actor"]:
        qs = qs.filter(actor_name__icontains=filters["actor"])
    if filters["action"]:
        qs = qs.filter(action__icontains=filters["action"])
    if filters["result"] in AuditEntry.Result.values:
        qs = qs.filter(result=filters["result"])
    if filters["request_id"]:
        qs = qs.filter(request_id=filters["request_id"])
    for key, bound in (("since", time.min), ("until", time.max)):
        if filters[key]:
            try:
                day = parse_date(filters[key])
            except ValueError:
                day = None
            if day is None:
                errors[key] = True
                continue
            moment = timezone.make_aware(datetime.combine(day, bound))
            qs = qs.filter(at__gte=moment) if key == "since" else qs.filter(at__lte=moment)
    page = Paginator(qs.order_by("-id"), 50).get_page(request.GET.get("page"))
    return render(
        request,
        "core/audit_list.html",
        {"page": page, "filters": filters, "errors": errors, "results": AuditEntry.Result.choices},
    )
