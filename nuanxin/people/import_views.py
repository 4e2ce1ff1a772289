"""The residents import page and its empty template (URLs in people/urls.py)."""

from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache

from nuanxin.core.access import require
from nuanxin.core.http import ScopedRequest
from nuanxin.core.spreadsheets import import_page, template_response
from nuanxin.people import imports


@never_cache
@login_required
def resident_import(request: ScopedRequest) -> HttpResponse:
    require(request.scope, "people.import")
    return import_page(
        request,
        title=_("Import residents"),
        columns=imports.COLUMNS,
        run=lambda upload: imports.import_residents(actor=request.user, scope=request.scope, upload=upload),
        template_url=reverse("people:import_template"),
    )


@login_required
def resident_import_template(request: ScopedRequest) -> HttpResponse:
    require(request.scope, "people.import")
    return template_response(imports.COLUMNS, filename="residents.xlsx", sheet_title="居民")
