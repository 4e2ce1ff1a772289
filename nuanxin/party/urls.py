from django.urls import path

from nuanxin.party import alliance_views, views

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
    path("alliance/", alliance_views.index, name="alliance"),
    path("alliance/join/", alliance_views.join, name="alliance_join"),
    path("alliance/units/<int:unit_id>/", alliance_views.unit_detail, name="alliance_unit"),
    path("alliance/units/<int:unit_id>/pacts/new/", alliance_views.sign_pact, name="sign_pact"),
    path("alliance/units/<int:unit_id>/leave/", alliance_views.leave, name="alliance_leave"),
    path("alliance/units/<int:unit_id>/offers/new/", alliance_views.offer, name="offer"),
    path("alliance/pacts/<int:pact_id>/", alliance_views.pact_detail, name="pact"),
    path("alliance/pacts/<int:pact_id>/document/", alliance_views.pact_document, name="pact_document"),
    path("alliance/pacts/<int:pact_id>/deliveries/new/", alliance_views.deliver, name="deliver"),
    path("alliance/pacts/<int:pact_id>/evaluation/", alliance_views.evaluate, name="evaluate"),
    path("alliance/lists/", alliance_views.lists, name="lists"),
    path("alliance/needs/new/", alliance_views.raise_need, name="raise_need"),
    path("alliance/needs/<int:need_id>/", alliance_views.need_detail, name="need"),
    path("alliance/needs/<int:need_id>/claim/", alliance_views.claim, name="claim"),
    path("alliance/needs/<int:need_id>/project/", alliance_views.start_project, name="start_project"),
    path("alliance/projects/<int:project_id>/done/", alliance_views.finish_project, name="finish_project"),
]
