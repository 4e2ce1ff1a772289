from django.urls import path

from nuanxin.party import views

app_name = "party"
urlpatterns = [
    path("", views.index, name="index"),
    path("new/", views.new_committee, name="new_committee"),
    path("<int:org_id>/", views.org_detail, name="org"),
    path("<int:org_id>/new/", views.new_child, name="new_child"),
    path("<int:org_id>/members/new/", views.new_member, name="new_member"),
    path("<int:org_id>/meetings/new/", views.plan_meeting, name="plan_meeting"),
    path("meetings/<int:meeting_id>/", views.meeting_detail, name="meeting"),
    path("meetings/<int:meeting_id>/record/", views.record_meeting, name="record_meeting"),
    path("life/", views.life_quarter, name="life"),
    path("two-new/", views.two_new_list, name="two_new_list"),
    path("two-new/new/", views.two_new_survey, name="two_new_survey"),
    path("two-new/<int:record_id>/", views.two_new_detail, name="two_new"),
    path("two-new/<int:record_id>/cover/", views.two_new_cover, name="two_new_cover"),
    path("two-new/<int:record_id>/founding/", views.two_new_advance, name="two_new_advance"),
]
