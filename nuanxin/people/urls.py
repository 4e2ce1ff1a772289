from django.urls import path

from nuanxin.people import import_views, views

app_name = "people"
urlpatterns = [
    path("", views.resident_list, name="list"),
    path("<int:resident_id>/", views.resident_detail, name="detail"),
    path("<int:resident_id>/reveal/", views.reveal, name="reveal"),
    path("imports/", import_views.resident_import, name="import"),
    path("imports/template.xlsx", import_views.resident_import_template, name="import_template"),
]
