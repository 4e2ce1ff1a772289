from django.urls import path

from nuanxin.cases import intake_views, overview_views, views

app_name = "cases"
urlpatterns = [
    path("", views.case_list, name="list"),
    path("report/", views.report, name="report"),
    path("mine/", views.mine, name="mine"),
    path("map/", overview_views.case_map, name="map"),
    path("map.geojson", overview_views.map_geojson, name="map_geojson"),
    path("export.xlsx", overview_views.export, name="export"),
    path("figures/", overview_views.figures, name="figures"),
    path("new/", intake_views.staff_new, name="new"),
    path("follow/", intake_views.follow, name="follow"),
    path("follow/<str:token>/", views.follow_link, name="follow_link"),
    path("follow/<str:token>/follow/", views.follow_by_link, name="follow_by_link"),
    path("follow/<str:token>/evaluate/", views.evaluate_by_link, name="evaluate_by_link"),
    path("<int:case_id>/", views.detail, name="detail"),
    path("<int:case_id>/step/", views.step, name="step"),
    path("<int:case_id>/reopen/", views.reopen, name="reopen"),
    path("<int:case_id>/evaluate/", views.evaluate, name="evaluate"),
    path("<int:case_id>/merge/", intake_views.merge, name="merge"),
    path("<int:case_id>/photos/<int:photo_id>/", views.photo, name="photo"),
]
