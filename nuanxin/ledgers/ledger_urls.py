from django.urls import path

from nuanxin.ledgers import ledger_views

app_name = "ledgers"
urlpatterns = [
    path("", ledger_views.index, name="index"),
    path("<slug:code>/", ledger_views.ledger_page, name="ledger"),
    path("<slug:code>/export/", ledger_views.export, name="export"),
    path("<slug:code>/import/", ledger_views.import_view, name="import"),
    path("<slug:code>/import/template/", ledger_views.import_template, name="import_template"),
]
