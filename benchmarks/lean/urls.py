from django.http import HttpRequest, HttpResponse
from django.urls import path

from lean import views


def ok(request: HttpRequest) -> HttpResponse:
    """The probe benchmarks/city.py's start_server waits for."""
    return HttpResponse(b'{"ok": true}', content_type="application/json")


# nuanxin's paths, each answered by its endpoint's formatter.
urlpatterns = [
    path("ok", ok),
    path("api/v1/cases", views.answering(views.case_page)),
    path("api/v1/cases/<int:case_id>", views.answering(views.case_detail)),
    path("api/v1/inspections/visits", views.answering(views.visit_page)),
    path("api/v1/insights/period", views.answering(views.period)),
    path("api/v1/stations/nearest", views.answering(views.nearest_stations)),
]
