from django.urls import path

from nuanxin.voice import views

app_name = "voice"
urlpatterns = [
    path("", views.triage, name="triage"),
    path("new/", views.give, name="give"),
    path("mine/", views.mine, name="mine"),
    path("record/", views.record, name="record"),
    path("<int:opinion_id>/", views.opinion_detail, name="opinion"),
    path("<int:opinion_id>/photo/", views.opinion_photo, name="photo"),
    path("<int:opinion_id>/answer/", views.answer, name="answer"),
    path("<int:opinion_id>/decline/", views.decline, name="decline"),
    path("<int:opinion_id>/case/", views.to_case, name="to_case"),
    path("<int:opinion_id>/need/", views.to_need, name="to_need"),
    path("<int:opinion_id>/rate/", views.rate, name="rate"),
    path("wall/<int:community_id>/", views.wall, name="wall"),
]
