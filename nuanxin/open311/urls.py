from django.urls import path, register_converter

from nuanxin.open311 import views
from nuanxin.open311.protocol import FormatConverter

register_converter(FormatConverter, "fmt")

app_name = "open311"
urlpatterns = [
    path("discovery.<fmt:fmt>", views.discovery, name="discovery"),
    path("v2/services.<fmt:fmt>", views.services, name="services"),
    path("v2/services/<str:service_code>.<fmt:fmt>", views.service_definition, name="service"),
    path("v2/requests.<fmt:fmt>", views.requests, name="requests"),
    path("v2/requests/<str:request_id>.<fmt:fmt>", views.request_detail, name="request"),
    path("v2/tokens/<str:token>.<fmt:fmt>", views.token, name="token"),
    path("v2/servicerequestupdates.<fmt:fmt>", views.updates, name="updates"),
]
