from django.urls import path

from nuanxin.people import views

app_name = "people"
urlpatterns = [
    path("", views.resident_list, name="list"),
    path("<int:resident_id>/", views.resident_detail, name="detail"),
    path("<int:resident_id>/reveal/", views.reveal, name="reveal"),
]
