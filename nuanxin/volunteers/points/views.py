"""Points pages: the volunteer's phone page (balance, ledger, rewards, vouchers with their QR
codes), the confirming page for merchants and stations (enter or scan a code, see the reward
and the holder's masked name, confirm), and the staff pages for the rules and the rewards
catalogue. The rules stay in `nuanxin.volunteers.points.actions`; a refusal is shown at the field
it names."""

from typing import Any

import segno
from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from nuanxin.core.access import deny, require
from nuanxin.core.errors import DomainError, show_on_form
from nuanxin.core.http import ScopedRequest
from nuanxin.core.masking import mask_name
from nuanxin.core.scoping import Scope
from nuanxin.territory.models import Area
from nuanxin.volunteers.models import Partner, PointsRule, Redemption, Reward
from nuanxin.volunteers.points import actions as points
from nuanxin.volunteers.points.actions import POINTS_MAX, REWARD_NAME_MAX, RULE_MAX, STOCK_MAX
from nuanxin.volunteers.points.queries import (
    catalogue_for,
    entry_label,
    find_voucher,
    managed_reward_areas,
    may_confirm_any,
    may_manage_rules,
    own_voucher_or_404,
    rewards_for,
    rule_kinds,
    summary,
)
from nuanxin.volunteers.signups.queries import volunteer_of


def voucher_qr(request: ScopedRequest, code: str) -> SafeString:
    """An SVG QR code of the confirming page's address with the code: a merchant scanning it
    with a phone lands on the page ready to confirm."""
    url = request.build_absolute_uri(f"{reverse('points:confirm')}?code={code}")
    svg = segno.make(url, error="m").svg_inline(scale=4, border=2, light="#fff")
    return mark_safe(svg)  # noqa: S308 - segno's own markup of a URL we built


# --- the volunteer's page -----------------------------------------------------------------


@login_required
def home(request: ScopedRequest) -> HttpResponse:
    """The volunteer's points: balance, ledger lines, rewards they can afford with a redeem
    button, and their vouchers (a QR code for each one still to be handed over)."""
    volunteer = volunteer_of(request.user)
    if volunteer is None:
        return render(request, "volunteers/points/not_registered.html")
    data = summary(volunteer)
    lines = [{"entry": e, "label": entry_label(e)} for e in data.entries]
    cards = [
        {"voucher": v, "qr": voucher_qr(request, v.code) if v.state == Redemption.State.ISSUED else None}
        for v in data.vouchers
    ]
    return render(request, "volunteers/points/home.html", {"data": data, "lines": lines, "cards": cards})


def _own_reward(request: ScopedRequest, reward_id: int) -> Reward:
    volunteer = volunteer_of(request.user)
    if volunteer is None:
        raise Http404
    reward = rewards_for(volunteer).filter(pk=reward_id).first()
    if reward is None:
        raise deny(request.scope, f"volunteers.reward {reward_id}")
    return reward


@login_required
@require_POST
def redeem(request: ScopedRequest, reward_id: int) -> HttpResponse:
    reward = _own_reward(request, reward_id)
    try:
        redemption = points.redeem(actor=request.user, reward=reward)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(
            request,
            _("%(reward)s: your voucher code is %(code)s.") % {"reward": reward.name, "code": redemption.code},
        )
    return redirect("points:home")


@login_required
@require_POST
def cancel(request: ScopedRequest, redemption_id: int) -> HttpResponse:
    redemption = own_voucher_or_404(request.scope, request.user, redemption_id)
    try:
        points.cancel_redemption(actor=request.user, redemption=redemption)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("The voucher is cancelled and your points are back."))
    return redirect("points:home")


# --- confirming ---------------------------------------------------------------------------


class CodeForm(forms.Form):
    code = forms.CharField(label=gettext_lazy("Voucher code"), max_length=32)


@login_required
def confirm(request: ScopedRequest) -> HttpResponse:
    """For a partner's representatives and staff managing volunteers: a code entered (or
    arriving from a scanned QR code) shows the reward and the holder's masked name; the
    button confirms it. Anyone else: 404."""
    if not may_confirm_any(request.user, request.scope):
        raise deny(request.scope, "volunteers.confirm_redemption")
    data = request.POST if request.method == "POST" else (request.GET if "code" in request.GET else None)
    form = CodeForm(data)
    voucher = None
    status = 200
    if form.is_bound and form.is_valid():
        try:
            if request.method == "POST":
                done = points.confirm_redemption(
                    actor=request.user, scope=request.scope, code=form.cleaned_data["code"]
                )
                messages.success(
                    request,
                    _("Voucher %(code)s redeemed: hand over %(reward)s.")
                    % {"code": done.code, "reward": done.reward.name},
                )
                return redirect("points:confirm")
            voucher = find_voucher(actor=request.user, scope=request.scope, code=form.cleaned_data["code"])
        except DomainError as exc:
            show_on_form(form, exc)
    if form.is_bound and form.errors:
        status = 400
    context = {
        "form": form,
        "voucher": voucher,
        "holder": mask_name(voucher.volunteer.name) if voucher else "",
    }
    return render(request, "volunteers/points/confirm.html", context, status=status)


# --- staff: rules ---------------------------------------------------------------------------


class RuleForm(forms.Form):
    kind = forms.ChoiceField(label=gettext_lazy("For"))
    per_hour = forms.IntegerField(label=gettext_lazy("Points per hour"), min_value=0, max_value=RULE_MAX)
    bonus = forms.IntegerField(label=gettext_lazy("Fixed bonus"), min_value=0, max_value=RULE_MAX)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["kind"].choices = rule_kinds()  # type: ignore[attr-defined]


def _require_rules(scope: Scope) -> None:
    if not may_manage_rules(scope):
        raise deny(scope, "volunteers.points_rules")


@login_required
def rules(request: ScopedRequest) -> HttpResponse:
    """The points rules, one per activity kind and one for verified hazard reports; set one,
    or install the defaults where none is set. Community staff (volunteers.manage on a
    community or above) only."""
    _require_rules(request.scope)
    form = RuleForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            points.set_points_rule(actor=request.user, scope=request.scope, **form.cleaned_data)
        except DomainError as exc:
            show_on_form(form, exc)
        else:
            messages.success(request, _("Rule saved."))
            return redirect("points:rules")
    labels = dict(rule_kinds())
    rows = [{"rule": r, "label": labels.get(r.kind, r.kind)} for r in PointsRule.objects.all()]
    return render(
        request,
        "volunteers/points/rules.html",
        {"form": form, "rows": rows},
        status=400 if request.method == "POST" else 200,
    )


@login_required
@require_POST
def install_rules(request: ScopedRequest) -> HttpResponse:
    _require_rules(request.scope)
    created = points.install_default_rules(actor=request.user, scope=request.scope)
    messages.success(request, _("%(n)d default rules installed.") % {"n": len(created)})
    return redirect("points:rules")


# --- staff: the catalogue -----------------------------------------------------------------


class RewardForm(forms.Form):
    name = forms.CharField(label=gettext_lazy("Name"), max_length=REWARD_NAME_MAX)
    kind = forms.ChoiceField(label=gettext_lazy("Kind"), choices=Reward.Kind.choices)
    points = forms.IntegerField(label=gettext_lazy("Points"), min_value=1, max_value=POINTS_MAX)
    stock = forms.IntegerField(label=gettext_lazy("Stock"), min_value=0, max_value=STOCK_MAX)
    area = forms.ModelChoiceField(label=gettext_lazy("Offered in"), queryset=Area.objects.none())
    provider = forms.ModelChoiceField(
        label=gettext_lazy("Provided by (empty: the community)"), queryset=Partner.objects.all(), required=False
    )

    def __init__(self, *args: Any, scope: Scope, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["area"].queryset = managed_reward_areas(scope)  # type: ignore[attr-defined]


class StockForm(forms.Form):
    stock = forms.IntegerField(label=gettext_lazy("Stock"), min_value=0, max_value=STOCK_MAX)
    active = forms.BooleanField(label=gettext_lazy("Offered"), required=False)


def _catalogue_page(
    request: ScopedRequest, form: RewardForm, *, failed: Reward | None = None, error: str = "", status: int = 200
) -> HttpResponse:
    rewards = list(catalogue_for(request.scope))
    context = {"form": form, "rewards": rewards, "failed": failed.pk if failed else None, "stock_error": error}
    return render(request, "volunteers/points/catalogue.html", context, status=status)


@login_required
def catalogue(request: ScopedRequest) -> HttpResponse:
    """The rewards of the areas where the viewer manages volunteers, with their stock; add a
    reward (an error shows at its field)."""
    require(request.scope, "volunteers.manage")
    form = RewardForm(request.POST or None, scope=request.scope)
    if request.method == "POST" and form.is_valid():
        try:
            reward = points.create_reward(actor=request.user, scope=request.scope, **form.cleaned_data)
        except DomainError as exc:
            show_on_form(form, exc)
        else:
            messages.success(request, _("%(reward)s added.") % {"reward": reward.name})
            return redirect("points:catalogue")
    return _catalogue_page(request, form, status=400 if request.method == "POST" else 200)


@login_required
@require_POST
def update_reward(request: ScopedRequest, reward_id: int) -> HttpResponse:
    """Set a reward's stock and whether it is offered; a bad stock shows at its row (400)."""
    require(request.scope, "volunteers.manage")
    reward = catalogue_for(request.scope).filter(pk=reward_id).first()
    if reward is None:
        raise deny(request.scope, f"volunteers.reward {reward_id}")
    form = StockForm(request.POST)
    error = ""
    if form.is_valid():
        try:
            points.update_reward(actor=request.user, scope=request.scope, reward=reward, **form.cleaned_data)
        except DomainError as exc:
            error = exc.message
        else:
            messages.success(request, _("%(reward)s updated.") % {"reward": reward.name})
            return redirect("points:catalogue")
    else:
        error = " ".join(str(e) for errs in form.errors.values() for e in errs)
    return _catalogue_page(request, RewardForm(scope=request.scope), failed=reward, error=error, status=400)
