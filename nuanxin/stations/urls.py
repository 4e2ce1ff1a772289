from django.urls import path

from nuanxin.stations import views

app_name = "stations"
urlpatterns = [
    path("", views.station_map, name="map"),
    path("near/", views.near, name="near"),
    path("meals/", views.meals, name="meals"),
    path("meals/new/", views.new_offer, name="offer_new"),
    path("meals/<int:offer_id>/edit/", views.edit_offer, name="offer_edit"),
    path("parking/", views.parking, name="parking"),
    path("parking/new/", views.new_parking, name="parking_new"),
    path("parking/<int:point_id>/edit/", views.edit_parking, name="parking_edit"),
    path("channels/", views.channels, name="channels"),
    path("channels/new/", views.new_channel, name="channel_new"),
    path("channels/<int:channel_id>/edit/", views.edit_channel, name="channel_edit"),
    path("manage/", views.manage, name="manage"),
    path("manage/new/", views.new_station, name="new"),
    path("<str:code>/", views.detail, name="detail"),
    path("<str:code>/checkin/", views.checkin, name="checkin"),
    path("<str:code>/feedback/", views.feedback, name="feedback"),
    path("<str:code>/report/", views.report, name="report"),
    path("<str:code>/photos/<int:photo_id>/", views.photo, name="photo"),
    path("<str:code>/use/", views.use, name="use"),
    path("<str:code>/qr.svg", views.qr, name="qr"),
    path("<str:code>/edit/", views.edit_station, name="edit"),
]
