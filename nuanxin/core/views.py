"""The audit log for auditors (browse and filter; nobody can change it) and each user's notifications."""

from datetime import datetime, time

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import Q
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.dateparse import parse_date
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from nuanxin.core import notifications
from nuanxin.core.access import require
from nuanxin.core.audit_labels import codes_named, label_of
from nuanxin.core.http import ScopedRequest
from nuanxin.core.models import AuditEntry


@login_required
def audit_list(request: ScopedRequest) -> HttpResponse:
    require(request.scope, "audit.view")
    qs = AuditEntry.objects.visible_to(request.scope)
    filters = {k: request.GET.get(k, "").strip() for k in ("actor", "action", "result", "since", "until", "request_id")}
    errors = {}
    if filters["actor"]:
        qs = qs.filter(actor_name__icontains=filters["actor"])
    if filters["action"]:
        # By code ("cases.accepted") or by name ("受理").
        qs = qs.filter(Q(action__icontains=filters["action"]) | Q(action__in=codes_named(filters["action"])))
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
        {
            "page": page,
            "rows": [(e, label_of(e.action)) for e in page],
            "filters": filters,
            "errors": errors,
            "results": AuditEntry.Result.choices,
        },
    )


@login_required
def notification_list(request: ScopedRequest) -> HttpResponse:
    """The viewer's own notifications, newest first, 30 a page (phone-friendly)."""
    qs = notifications.notifications_for(request.user)
    page = Paginator(qs, 30).get_page(request.GET.get("page"))
    has_unread = qs.filter(read_at__isnull=True).exists()
    return render(request, "core/notifications.html", {"page": page, "has_unread": has_unread})


@login_required
@require_POST
def notification_read(request: ScopedRequest, notification_id: int) -> HttpResponse:
    """Mark one read; with `open`, go on to what it is about (a path inside this site only)."""
    note = notifications.notification_or_404(request.user, notification_id)
    notifications.mark_read(actor=request.user, notification=note)
    if request.POST.get("open") and note.url.startswith("/") and not note.url.startswith("//"):
        return redirect(note.url)
    return redirect("notifications:list")


@login_required
@require_POST
def notification_read_all(request: ScopedRequest) -> HttpResponse:
    count = notifications.mark_all_read(actor=request.user)
    done = ngettext("%(n)d notification marked read.", "%(n)d notifications marked read.", count)
    messages.success(request, done % {"n": count})
    return redirect("notifications:list")
