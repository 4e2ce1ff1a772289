"""Cross-app surfaces: the front door, the console home and the field home, and what makes the
field pages an installable web app that works offline (docs/offline.md)."""

import hashlib
import json
import re

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.templatetags.static import static
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _

from nuanxin.accounts.context_processors import console_capabilities
from nuanxin.accounts.roles import Role
from nuanxin.core import workqueue
from nuanxin.core.http import ScopedRequest
from nuanxin.core.offline import OFFLINE_HEADER, kept_offline
from nuanxin.navigation import BY_SLUG
from nuanxin.party.models import AllianceUnit
from nuanxin.party.queries import membership_of
from nuanxin.people.models import Resident
from nuanxin.territory.models import Area, Place
from nuanxin.territory.queries import count_per_grid, working_areas
from nuanxin.voice.queries import communities_to_give
from nuanxin.volunteers.models import Partner, Volunteer
from nuanxin.volunteers.points.queries import may_confirm_any

# A phone's or tablet's browser (what their user agents say of themselves).
PHONE_AGENT = re.compile(r"Mobi|Android|iPhone|iPad|HarmonyOS|MicroMessenger")


def on_phone(request: ScopedRequest) -> bool:
    return bool(PHONE_AGENT.search(request.headers.get("User-Agent", "")))


def home(request: ScopedRequest) -> HttpResponse:
    """The console for office work at a desk; the phone home for everyone else, for staff on
    a phone (both homes link to each other) and for visitors (they may report). A partner's
    representative has their tools on the phone home."""
    if not request.user.is_authenticated:
        return redirect("field")
    roles = request.user.roles
    at_desk = request.user.works_in_console and not on_phone(request) and not roles <= {Role.PARTNER_REP}
    return redirect("console" if at_desk else "field")


@login_required
def console(request: ScopedRequest) -> HttpResponse:
    if not request.user.works_in_console:
        return redirect("field")
    return render(
        request,
        "console/home.html",
        {"work": workqueue.waiting_for(request.scope, request.user), "grid_chart": _grid_chart(request)},
    )


@login_required
def work_count(request: ScopedRequest) -> HttpResponse:
    """The navigation's badges (loaded after the page): how many things wait for the viewer in
    all, beside "my work", and under each capability with any, beside it (htmx out-of-band)."""
    counts = workqueue.counts_for(request.scope, request.user)
    shown = [(c.slug, counts.get(c.slug, 0)) for c in console_capabilities(request) if c.url_name]
    return render(request, "_work_count.html", {"count": sum(counts.values()), "per_capability": shown})


def _grid_chart(request: ScopedRequest) -> dict | None:
    """Places and residents per grid in the viewer's territory, counted through the same
    scope as the lists, so the chart never tells more than they do."""
    scope = request.scope
    if not scope.has("territory.view"):
        return None
    grids = list(working_areas(scope).filter(level=Area.Level.GRID))
    if not grids:
        return None
    series = [{"name": _("Places"), "data": count_per_grid(Place.objects.visible_to(scope), grids)}]
    if scope.has("people.view"):
        series.append({"name": _("Residents"), "data": count_per_grid(Resident.objects.visible_to(scope), grids)})
    return {"categories": [grid.name for grid in grids], "series": series}


@login_required
def capability(request: ScopedRequest, capability: str) -> HttpResponse:
    """A capability not built yet: an honest empty page, not a fake screen."""
    cap = BY_SLUG.get(capability)
    if cap is None or cap.url_name is not None or not request.user.works_in_console:
        raise Http404
    return render(request, "console/not_built.html", {"capability": cap})


@kept_offline
def field(request: ScopedRequest) -> HttpResponse:
    """The phone home: one column, big targets, what this person does in the field. A visitor
    without an account gets what needs none: reporting, the warm stations and rider offers,
    and signing in or joining."""
    if not request.user.is_authenticated:
        return render(request, "field/visitor.html")
    grids = working_areas(request.scope).filter(level=Area.Level.GRID)
    represents = Partner.objects.filter(representatives=request.user.pk).exists()
    return render(
        request,
        "field/home.html",
        {
            "work": workqueue.waiting_for(request.scope, request.user),
            "grids": grids,
            "in_console": request.user.works_in_console,
            "can_see_people": request.scope.has("people.view"),
            "can_see_visits": request.scope.has("inspections.view"),
            # A resident's own record(s): the people pages show them their own, masked.
            "own_records": Resident.objects.visible_to(request.scope).filter(user_id=request.user.pk),
            "is_volunteer": Volunteer.objects.filter(user_id=request.user.pk).exists(),
            "confirms_vouchers": may_confirm_any(request.user, request.scope),
            # A partner's representative: confirming vouchers is their tool, at the top.
            "represents_partner": represents,
            # A party member (their points) and a member unit's representative (their pact).
            "party_member": membership_of(request.user.pk).exists(),
            "in_alliance": bool(request.scope.unit_ids)
            and AllianceUnit.objects.filter(place_id__in=request.scope.unit_ids, left_on__isnull=True).exists(),
            # The communities the viewer speaks to: give an opinion, read their echo wall.
            "voice_communities": list(communities_to_give(request.scope)[:3]),
        },
    )


# What the field pages need to open offline; the service worker keeps these files.
OFFLINE_SHELL = (
    "nuanxin/app.css",
    "nuanxin/app.js",
    "nuanxin/outbox.js",
    "nuanxin/favicon.svg",
    "nuanxin/icon-192.png",
    "nuanxin/questions.js",
    "nuanxin/report.js",
    "nuanxin/basemap.js",
    "nuanxin/map.js",
    "inspections/inspections.css",
    "inspections/visit.js",
    "vendor/htmx/htmx.min.js",
    "vendor/leaflet/leaflet.css",
    "vendor/leaflet/leaflet.js",
)
THEME_COLOR = "#c2410c"  # the icon's colour


def service_worker(request: HttpRequest) -> HttpResponse:
    """The service worker, at the site's root so that it may control every page. Its list of
    files comes from `{% static %}`, so a changed file name changes the worker, and the phone
    installs the new one."""
    config = {
        "shell": [static(path) for path in OFFLINE_SHELL],
        # Kept without cookies (it must not show who installed the worker), so the page that
        # registers the worker names its language.
        "offline": f"{reverse('offline')}?language={_asked_language(request)}",
        # Every form that signs a person in or out (joining signs the new volunteer in).
        "signInOut": [reverse("accounts:login"), reverse("accounts:logout"), reverse("volunteers:join")],
        "header": OFFLINE_HEADER,
    }
    text = json.dumps(config, sort_keys=True)
    config["version"] = hashlib.sha256(text.encode()).hexdigest()[:12]
    response = render(
        request, "offline/sw.js", {"config": json.dumps(config)}, content_type="text/javascript; charset=utf-8"
    )
    response["Cache-Control"] = "no-cache"
    return response


def manifest(request: HttpRequest) -> JsonResponse:
    """The web app manifest: installed, the app opens the phone home."""
    return JsonResponse(
        {
            "name": "暖新 nuanxin",
            "short_name": "暖新",
            "lang": "zh-CN",
            "start_url": reverse("field"),
            "scope": "/",
            "display": "standalone",
            "theme_color": THEME_COLOR,
            "background_color": "#fffaf5",
            "icons": [
                {"src": static(f"nuanxin/icon-{size}.png"), "sizes": f"{size}x{size}", "type": "image/png"}
                for size in (192, 512)
            ],
        },
        content_type="application/manifest+json",
        json_dumps_params={"ensure_ascii": False},
    )


def offline(request: HttpRequest) -> HttpResponse:
    """Shown by the service worker for a page the phone did not keep, when the network is gone;
    in the language asked for (the worker fetches it without cookies)."""
    with translation.override(_asked_language(request)):
        return render(request, "offline/offline.html")


def _asked_language(request: HttpRequest) -> str:
    """The language named by `?language=`, else the request's own."""
    language = request.GET.get("language", "")
    return language if language in dict(settings.LANGUAGES) else translation.get_language()
