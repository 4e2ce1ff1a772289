from django.urls import path

from nuanxin.inspections import views

app_name = "inspections"
urlpatterns = [
    path("visits/", views.my_visits, name="visits"),
]
