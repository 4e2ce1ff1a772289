"""The console page of period figures: pick a node and a period, read the figures and the
statistics paragraph a work report would carry (insights/queries.py counts them)."""

from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _

from nuanxin.core.errors import DomainError
from nuanxin.core.http import ScopedRequest
from nuanxin.insights.queries import figure_nodes, node_or_404, parse_period, period_figures

# The node menu (the API takes any node in reach).
MAX_NODE_CHOICES = 500


@login_required
def period(request: ScopedRequest) -> HttpResponse:
    """Figures for a node of the viewer's territory (default: their topmost) and a period
    (default: this year so far). A bad field is shown at the field, with the defaults' figures."""
    scope = request.scope
    errors: dict[str, str] = {}
    chosen = {key: request.GET.get(key, "").strip() for key in ("node", "from", "to")}
    try:
        node = node_or_404(scope, chosen["node"])
    except DomainError as exc:
        errors[exc.field or "node"] = exc.message
        node = node_or_404(scope, None)
    try:
        start, end = parse_period(chosen["from"], chosen["to"])
    except DomainError as exc:
        errors[exc.field or "from"] = exc.message
        start, end = parse_period(None, None)
    figures = period_figures(scope, node, start, end)
    return render(
        request,
        "insights/period.html",
        {
            "figures": figures,
            "nodes": figure_nodes(scope)[:MAX_NODE_CHOICES],
            "chosen": chosen,
            "errors": errors,
            "title": _("Period figures"),
        },
        status=400 if errors else 200,
    )
