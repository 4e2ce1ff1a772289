"""Service-hour pages under /volunteers/hours/ (app "hours")."""

from django.urls import path

from nuanxin.volunteers.hours import views

app_name = "hours"
urlpatterns = [
    path("", views.mine, name="mine"),
    path("stars/", views.stars, name="stars"),
    path("records/<int:record_id>/correction/", views.correct, name="correct"),
    path("records/<int:record_id>/approve/", views.approve, name="approve"),
    path("activity/<int:activity_id>/", views.activity, name="activity"),
    path("activity/<int:activity_id>/approve-all/", views.approve_all, name="approve_all"),
    path("corrections/<int:correction_id>/decide/", views.decide, name="decide"),
    path("certificate.docx", views.my_certificate, {"fmt": "docx"}, name="certificate_docx"),
    path("certificate.pdf", views.my_certificate, {"fmt": "pdf"}, name="certificate_pdf"),
    path(
        "volunteer/<int:volunteer_id>/certificate.docx",
        views.volunteer_certificate,
        {"fmt": "docx"},
        name="volunteer_certificate_docx",
    ),
    path(
        "volunteer/<int:volunteer_id>/certificate.pdf",
        views.volunteer_certificate,
        {"fmt": "pdf"},
        name="volunteer_certificate_pdf",
    ),
]
