"""Dispute pages, mounted at /disputes/."""

from django.urls import path

from nuanxin.ledgers.disputes import views

app_name = "disputes"
urlpatterns = [
    path("", views.dispute_list, name="list"),
    path("new/", views.dispute_new, name="new"),
    path("<int:dispute_id>/", views.dispute_detail, name="detail"),
    path("<int:dispute_id>/mediators/", views.add_mediator, name="add_mediator"),
    path("<int:dispute_id>/sessions/", views.record_session, name="record_session"),
    path("<int:dispute_id>/close/", views.close, name="close"),
    path("<int:dispute_id>/agreement/", views.agreement, name="agreement"),
]
