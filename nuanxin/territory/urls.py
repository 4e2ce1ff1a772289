from django.urls import path

from nuanxin.territory import views

app_name = "territory"
urlpatterns = [
    path("", views.tree, name="tree"),
    path("areas/<int:area_id>/", views.area_detail, name="area"),
    path("areas/<int:area_id>/staff/", views.assign_staff, name="assign_staff"),
    path("areas/<int:area_id>/places/", views.add_place, name="add_place"),
    path("areas/<int:area_id>/basemap/", views.import_basemap, name="import_basemap"),
    path("basemap.geojson", views.basemap, name="basemap"),
    path("basemap/places.json", views.places_named, name="places_named"),
    path("assignments/<int:assignment_id>/end/", views.end_assignment, name="end_assignment"),
    path("places/", views.place_list, name="places"),
    path("places/<int:place_id>/", views.place_detail, name="place"),
    path("imports/places/", views.place_import, name="import_places"),
    path("imports/places/template.xlsx", views.place_import_template, name="import_places_template"),
]
