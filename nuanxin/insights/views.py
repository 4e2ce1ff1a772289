"""The console page of period figures: pick a node and a period, read the figures and the
statistics paragraph a work report would carry (insights/queries.py counts them)."""

from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _

from nuanxin.core.http import ScopedRequest
from nuanxin.insights.queries import figure_nodes, node_or_404, parse_period, period_figures
from nuanxin.territory.queries import figures_choice

# The node menu (the API takes any node in reach).
MAX_NODE_CHOICES = 500


@login_required
def period(request: ScopedRequest) -> HttpResponse:
    """Figures for a node of the viewer's territory (default: their topmost) and a period
    (default: this quarter so far). A bad field is shown at the field, with the defaults' figures."""
    scope = request.scope
    choice = figures_choice(request.GET, node_or_404=lambda node: node_or_404(scope, node), parse_period=parse_period)
    figures = period_figures(scope, choice.node, choice.since, choice.until)
    return render(
        request,
        "insights/period.html",
        {
            "figures": figures,
            "nodes": figure_nodes(scope)[:MAX_NODE_CHOICES],
            "chosen": choice.chosen,
            "errors": choice.errors,
            "title": _("Period figures"),
        },
        status=400 if choice.errors else 200,
    )
