from django.urls import path

from nuanxin.volunteers.activities import views

app_name = "activities"
urlpatterns = [
    path("", views.activity_list, name="list"),
    path("new/", views.activity_new, name="new"),
    path("<int:activity_id>/", views.activity_detail, name="detail"),
    path("<int:activity_id>/participants/", views.add_participant, name="add_participant"),
    path(
        "<int:activity_id>/participants/<int:participant_id>/remove/",
        views.remove_participant,
        name="remove_participant",
    ),
    path("<int:activity_id>/places/", views.cover_places, name="cover_places"),
    path("<int:activity_id>/findings/", views.record_findings, name="findings"),
    path("<int:activity_id>/check/", views.record_check, name="check"),
]
