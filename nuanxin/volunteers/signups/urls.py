from django.urls import path

from nuanxin.volunteers.signups import views

app_name = "volunteers"
urlpatterns = [
    path("join/", views.join, name="join"),
    path("register/", views.register, name="register"),
    path("me/", views.me, name="me"),
    path("activities/", views.activity_list, name="activities"),
    path("activities/<int:activity_id>/", views.activity, name="activity"),
    path("activities/<int:activity_id>/signup/", views.sign_up, name="sign_up"),
    path("signups/<int:signup_id>/cancel/", views.cancel, name="cancel"),
    path("checkin/<str:token>/", views.checkin, name="checkin"),
    path("organise/", views.organise, name="organise"),
    path("activities/<int:activity_id>/manage/", views.manage, name="manage"),
    path("activities/<int:activity_id>/qr/", views.qr, name="qr"),
    path("activities/<int:activity_id>/attendance/", views.attendance, name="attendance"),
    path("activities/<int:activity_id>/cancel/", views.cancel_activity, name="cancel_activity"),
    path("partners/", views.partners, name="partners"),
    path("partners/<int:partner_id>/", views.partner, name="partner"),
]
