from django.urls import path

from nuanxin.inspections import views

app_name = "inspections"
urlpatterns = [
    path("", views.console, name="console"),
    path("visits/", views.my_visits, name="visits"),
    path("visits/<int:visit_id>/", views.visit_page, name="visit"),
    path("visits/<int:visit_id>/photos/<int:photo_id>/", views.visit_photo, name="visit_photo"),
    path("rectifications/", views.rectification_list, name="rectifications"),
    path("rectifications/<int:order_id>/", views.rectification, name="rectification"),
    path("rectifications/<int:order_id>/notice/", views.notice, name="notice"),
]
