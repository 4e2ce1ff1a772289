"""The organiser's pages of the volunteers app, one bar of links on each of them, shown to
whoever may open them (each link asks what its page's own check asks)."""

from typing import Any

from django import template
from django.urls import reverse
from django.utils.translation import gettext as _

from nuanxin.volunteers.hours.queries import star_communities
from nuanxin.volunteers.points.queries import may_confirm_any, may_manage_rules

register = template.Library()


@register.inclusion_tag("volunteers/_organiser_nav.html", takes_context=True)
def organiser_nav(context: dict[str, Any]) -> dict[str, Any]:
    request = context["request"]
    scope, user = request.scope, request.user
    manages = scope.has("volunteers.manage")
    links = [
        (scope.has("activities.view"), "activities:list", _("Campaigns")),
        (scope.has("activities.manage") or manages, "volunteers:organise", _("Activities for volunteers")),
        (manages, "volunteers:partners", _("Partners")),
        (may_manage_rules(scope), "points:rules", _("Points rules")),
        (manages, "points:catalogue", _("Rewards")),
        (may_confirm_any(user, scope), "points:confirm", _("Confirm a voucher")),
        (manages and star_communities(scope).exists(), "hours:stars", _("Star levels")),
    ]
    here = request.path
    return {
        "links": [
            {"url": url, "label": label, "current": here == url}
            for url, label in ((reverse(name), label) for shown, name, label in links if shown)
        ]
    }
