from django.urls import path

from nuanxin.insights import views

app_name = "insights"
urlpatterns = [
    path("period/", views.period, name="period"),
]
