from django.contrib import admin
from django.urls import include, path
from django.views.i18n import set_language

from nuanxin import views
from nuanxin.api import api

urlpatterns = [
    # The API first: Django tries the patterns in order, and the API answers most requests
    # (matched last, resolving /api/v1/cases cost as much as all the middlewares together).
    path("api/v1/", api.urls),
    path("", views.home, name="home"),
    path("console/", views.console, name="console"),
    path("console/<slug:capability>/", views.capability, name="capability"),
    path("field/", views.field, name="field"),
    path("sw.js", views.service_worker, name="service_worker"),
    path("manifest.webmanifest", views.manifest, name="manifest"),
    path("offline/", views.offline, name="offline"),
    path("work/count/", views.work_count, name="work_count"),
    path("accounts/", include("nuanxin.accounts.urls")),
    path("territory/", include("nuanxin.territory.urls")),
    path("people/", include("nuanxin.people.urls")),
    path("cases/", include("nuanxin.cases.urls")),
    path("inspections/", include("nuanxin.inspections.urls")),
    path("disputes/", include("nuanxin.ledgers.disputes.urls")),
    path("ledgers/", include("nuanxin.ledgers.registry.urls")),
    path("activities/", include("nuanxin.volunteers.activities.urls")),
    path("volunteers/hours/", include("nuanxin.volunteers.hours.urls")),
    path("volunteers/points/", include("nuanxin.volunteers.points.urls")),
    path("volunteers/", include("nuanxin.volunteers.signups.urls")),
    path("stations/", include("nuanxin.stations.urls")),
    path("party/", include("nuanxin.party.urls")),
    path("voice/", include("nuanxin.voice.urls")),
    path("insights/", include("nuanxin.insights.urls")),
    path("open311/", include("nuanxin.open311.urls")),
    path("audit/", include("nuanxin.core.urls")),
    path("notifications/", include("nuanxin.core.notification_urls")),
    path("i18n/setlang/", set_language, name="set_language"),
    path("admin/", admin.site.urls),
]
