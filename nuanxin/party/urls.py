from django.urls import path

from nuanxin.party import views

app_name = "party"
urlpatterns = [
    path("", views.index, name="index"),
    path("new/", views.new_committee, name="new_committee"),
    path("<int:org_id>/", views.org_detail, name="org"),
    path("<int:org_id>/new/", views.new_child, name="new_child"),
    path("<int:org_id>/members/new/", views.new_member, name="new_member"),
]
