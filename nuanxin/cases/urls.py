from django.urls import path

from nuanxin.cases import views

app_name = "cases"
urlpatterns = [
    path("", views.case_list, name="list"),
    path("report/", views.report, name="report"),
    path("mine/", views.mine, name="mine"),
    path("<int:case_id>/", views.detail, name="detail"),
    path("<int:case_id>/step/", views.step, name="step"),
    path("<int:case_id>/reopen/", views.reopen, name="reopen"),
    path("<int:case_id>/evaluate/", views.evaluate, name="evaluate"),
    path("<int:case_id>/photos/<int:photo_id>/", views.photo, name="photo"),
]
