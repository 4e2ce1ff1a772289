from django.http import HttpRequest, HttpResponse
from django.urls import path

from lean import intake, views


def ok(request: HttpRequest) -> HttpResponse:
    """The probe benchmarks/city.py's start_server waits for."""
    return HttpResponse(b'{"ok": true}', content_type="application/json")


_case_page = views.answering(views.case_page)


def cases(request: HttpRequest) -> HttpResponse:
    """GET: the page of cases; POST: a report."""
    return intake.report(request) if request.method == "POST" else _case_page(request)


# nuanxin's paths, each answered by its endpoint's formatter (a report by its replay).
urlpatterns = [
    path("ok", ok),
    path("api/v1/cases", cases),
    path("api/v1/cases/<int:case_id>", views.answering(views.case_detail)),
    path("api/v1/inspections/visits", views.answering(views.visit_page)),
    path("api/v1/insights/period", views.answering(views.period)),
    path("api/v1/stations/nearest", views.answering(views.nearest_stations)),
]
