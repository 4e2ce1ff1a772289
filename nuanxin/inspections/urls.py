from django.urls import path

from nuanxin.inspections import views, watchlist_views

app_name = "inspections"
urlpatterns = [
    path("", views.console, name="console"),
    path("visits/", views.my_visits, name="visits"),
    path("visits/<int:visit_id>/", views.visit_page, name="visit"),
    path("visits/<int:visit_id>/photos/<int:photo_id>/", views.visit_photo, name="visit_photo"),
    path("rectifications/", views.rectification_list, name="rectifications"),
    path("rectifications/<int:order_id>/", views.rectification, name="rectification"),
    path("rectifications/<int:order_id>/notice/", views.notice, name="notice"),
    path("watchlist/", watchlist_views.watchlist, name="watchlist"),
    path("watchlist/new/", watchlist_views.new_target, name="watchlist_new"),
    path("watchlist/<int:target_id>/", watchlist_views.target_page, name="watch_target"),
    path("watchlist/<int:target_id>/tier/", watchlist_views.change_tier, name="watch_tier"),
    path("watchlist/<int:target_id>/end/", watchlist_views.end_target, name="watch_end"),
]
