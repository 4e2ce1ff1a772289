from django.urls import path

from nuanxin.ledgers.registry import views

app_name = "ledgers"
urlpatterns = [
    path("", views.index, name="index"),
    path("<slug:code>/", views.ledger_page, name="ledger"),
    path("<slug:code>/export/", views.export, name="export"),
    path("<slug:code>/import/", views.import_view, name="import"),
    path("<slug:code>/import/template/", views.import_template, name="import_template"),
]
