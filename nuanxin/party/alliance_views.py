"""The alliance's pages (大党委): member units, their pacts with what was committed and
delivered, the year-end evaluation, and the three lists. The party office sees its alliance;
a unit's representative sees their own unit, pact and projects, and the needs and offers of
their alliance to claim and add to (docs/party.md)."""

from datetime import date
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Q
from django.http import HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from nuanxin.core import audit
from nuanxin.core.access import deny
from nuanxin.core.documents import document_response
from nuanxin.core.errors import DomainError, show_on_form
from nuanxin.core.http import ScopedRequest
from nuanxin.party import access, alliance, exports, queries
from nuanxin.party.actions import TWO_NEW_PLACES
from nuanxin.party.forms import (
    CommitmentFormSet,
    DeliveryForm,
    EvaluationForm,
    FinishForm,
    JoinForm,
    NeedForm,
    OfferForm,
    PactForm,
    ProjectForm,
    UnitChoiceForm,
)
from nuanxin.party.models import AllianceUnit, Evaluation, Need, Pact, Project
from nuanxin.territory.models import Place


def _refuse_unless(request: ScopedRequest, allowed: bool, what: str) -> None:
    if not allowed:
        raise deny(request.scope, what)


def _render(request: ScopedRequest, template: str, context: dict[str, Any], refused: bool) -> HttpResponse:
    return render(request, template, context, status=400 if refused else 200)


def _try(form: Any, run: Any) -> Any:
    """Run an action; a refusal shows at the form's field, and None is returned."""
    try:
        return run()
    except DomainError as error:
        show_on_form(form, error)
        return None


# --- the alliance and its units -------------------------------------------------------------


def _join_form(request: ScopedRequest, data: Any = None) -> JoinForm:
    committees = queries.managed_committees(request.scope)
    places = Place.objects.filter(request.scope.q("party.manage", "grid__path"), kind__in=TWO_NEW_PLACES).order_by(
        "name"
    )
    return JoinForm(data, committees=committees, places=places)


@login_required
def index(request: ScopedRequest, join_form: JoinForm | None = None) -> HttpResponse:
    """The member units the viewer reaches, each with its pact in force and how much of it
    is delivered today."""
    _refuse_unless(request, queries.sees_alliance(request.scope), "party alliance")
    today = timezone.localdate()
    units = list(queries.alliance_units_for(request.scope).order_by("left_on", "place__name"))
    pacts: dict[int, Pact] = {}
    for started in queries.pacts_for(request.scope).filter(starts_on__lte=today).prefetch_related("commitments"):
        pacts.setdefault(started.unit_id, started)  # the latest that has started
    rows = []
    for unit in units:
        pact = pacts.get(unit.pk)
        rows.append(
            {"unit": unit, "pact": pact, "share": alliance.pact_share(alliance.standing(pact, today)) if pact else None}
        )
    may_join = queries.managed_committees(request.scope).exists()
    context = {"rows": rows, "join_form": join_form or (_join_form(request) if may_join else None)}
    return _render(request, "party/alliance.html", context, join_form is not None)


@login_required
@require_POST
def join(request: ScopedRequest) -> HttpResponse:
    form = _join_form(request, request.POST)
    _refuse_unless(request, queries.managed_committees(request.scope).exists(), "party.manage alliance")
    if form.is_valid():  # the choices are the viewer's committees and places
        committee = queries.managed_committees(request.scope).get(pk=form.cleaned_data["committee"])
        place = Place.objects.get(pk=form.cleaned_data["place"])
        unit = _try(
            form,
            lambda: alliance.join_alliance(
                actor=request.user,
                scope=request.scope,
                committee=committee,
                place=place,
                joined_on=form.cleaned_data["joined_on"],
            ),
        )
        if unit is not None:
            messages.success(request, _("%(name)s has joined the alliance.") % {"name": unit.place.name})
            return redirect("party:alliance_unit", unit.pk)
    return index(request, join_form=form)


@login_required
def unit_detail(request: ScopedRequest, unit_id: int, **forms: Any) -> HttpResponse:
    unit = queries.alliance_unit_or_404(request.scope, unit_id)
    today = timezone.localdate()
    manages, acts = access.manages(request.scope, unit.committee), access.acts_for(request.scope, unit)
    current = unit.left_on is None
    pacts = [
        {"pact": p, "share": alliance.pact_share(alliance.standing(p, today))}
        for p in unit.pacts.prefetch_related("commitments")
    ]
    context = {
        "unit": unit,
        "pacts": pacts,
        "offers": unit.offers.all(),
        "projects": unit.projects.select_related("need"),
        "pact_form": forms.get("pact_form") or (PactForm() if manages and current else None),
        "commitment_forms": forms.get("commitment_forms") or (CommitmentFormSet(prefix="c") if manages else None),
        "offer_form": forms.get("offer_form") or (OfferForm() if acts and current else None),
        "may_leave": manages and current,
    }
    return _render(request, "party/alliance_unit.html", context, bool(forms))


_COMMITMENT = ("kind", "what", "quantity", "period")


@login_required
@require_POST
def sign_pact(request: ScopedRequest, unit_id: int) -> HttpResponse:
    unit = queries.alliance_unit_or_404(request.scope, unit_id)
    _refuse_unless(request, access.manages(request.scope, unit.committee), f"party.manage alliance unit {unit.pk}")
    form = PactForm(request.POST, request.FILES)
    rows = CommitmentFormSet(request.POST, prefix="c")
    if form.is_valid() and rows.is_valid():
        data = form.cleaned_data
        filled = [r for r in rows if r.filled]
        try:
            pact = alliance.sign_pact(
                actor=request.user,
                scope=request.scope,
                unit=unit,
                signed_on=data["signed_on"],
                starts_on=data["starts_on"],
                ends_on=data["ends_on"],
                commitments=[alliance.CommitmentIn(**{k: r.cleaned_data[k] for k in _COMMITMENT}) for r in filled],
                document=data["document"],
            )
        except DomainError as error:
            # "commitments.<n>.<field>": at that field of the n-th filled row.
            n, _dot, name = (error.field or "").partition(".")[2].partition(".")
            if n.isdigit() and int(n) < len(filled):
                show_on_form(filled[int(n)], error, field=name)
            else:
                show_on_form(form, error)
        else:
            messages.success(request, _("The pact is recorded."))
            return redirect("party:pact", pact.pk)
    return unit_detail(request, unit_id, pact_form=form, commitment_forms=rows)


@login_required
@require_POST
def leave(request: ScopedRequest, unit_id: int) -> HttpResponse:
    unit = queries.alliance_unit_or_404(request.scope, unit_id)
    _refuse_unless(request, access.manages(request.scope, unit.committee), f"party.manage alliance unit {unit.pk}")
    try:
        alliance.leave_alliance(actor=request.user, scope=request.scope, unit=unit, left_on=timezone.localdate())
    except DomainError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("%(name)s has left the alliance.") % {"name": unit.place.name})
    return redirect("party:alliance_unit", unit.pk)


@login_required
@require_POST
def offer(request: ScopedRequest, unit_id: int) -> HttpResponse:
    unit = queries.alliance_unit_or_404(request.scope, unit_id)
    _refuse_unless(request, access.acts_for(request.scope, unit), f"party offer for unit {unit.pk}")
    form = OfferForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        made = _try(
            form,
            lambda: alliance.offer_resource(actor=request.user, scope=request.scope, unit=unit, **data),
        )
        if made is not None:
            messages.success(request, _("The offer is on the resources list."))
            return redirect("party:alliance_unit", unit.pk)
    return unit_detail(request, unit_id, offer_form=form)


# --- a pact: committed and delivered, the evaluation ----------------------------------------


def _years_to_evaluate(pact: Pact, today: date) -> list[int]:
    """The years of the pact's term that have ended."""
    return [y for y in range(pact.starts_on.year, pact.ends_on.year + 1) if y < today.year]


@login_required
def pact_detail(request: ScopedRequest, pact_id: int, **forms: Any) -> HttpResponse:
    pact = queries.pact_or_404(request.scope, pact_id)
    today = timezone.localdate()
    unit = pact.unit
    manages, speaks = access.manages(request.scope, unit.committee), access.speaks_for(request.scope, unit)
    in_term = pact.starts_on <= today and unit.left_on is None
    years = _years_to_evaluate(pact, today)
    evaluations = {(e.year, e.direction): e for e in pact.evaluations.all()}
    year_rows = []
    for year in years:
        record = alliance.year_record(pact, year)
        year_rows.append(
            {
                "year": year,
                "record": record,
                "of_unit": evaluations.get((year, Evaluation.Direction.OF_UNIT)),
                "of_community": evaluations.get((year, Evaluation.Direction.OF_COMMUNITY)),
            }
        )
    direction = alliance.side_of(request.scope, unit)
    rows = alliance.standing(pact, today)
    context = {
        "pact": pact,
        "rows": rows,
        "share": alliance.pact_share(rows),
        "deliveries": queries.deliveries_of(pact),
        "delivery_form": forms.get("delivery_form")
        or (DeliveryForm(commitments=pact.commitments.all()) if in_term and (manages or speaks) else None),
        "year_rows": year_rows,
        "direction": direction,
        "evaluation_form": forms.get("evaluation_form")
        or (EvaluationForm(years=years) if direction and years else None),
    }
    return _render(request, "party/pact.html", context, bool(forms))


@login_required
def pact_document(request: ScopedRequest, pact_id: int) -> HttpResponseBase:
    """The signed pact, for those who see the pact; each download is audited."""
    pact = queries.pact_or_404(request.scope, pact_id)
    if not pact.document_name:
        raise deny(request.scope, f"party.pact {pact.pk} document")
    response = document_response(pact.document_name, filename=f"pact-{pact.pk}.pdf")
    audit.record("party.pact_document_viewed", actor=request.user, obj=pact)
    return response


@login_required
@require_POST
def deliver(request: ScopedRequest, pact_id: int) -> HttpResponse:
    pact = queries.pact_or_404(request.scope, pact_id)
    _refuse_unless(request, access.acts_for(request.scope, pact.unit), f"party delivery for pact {pact.pk}")
    commitments = pact.commitments.all()
    form = DeliveryForm(request.POST, request.FILES, commitments=commitments)
    if form.is_valid():
        data = form.cleaned_data
        done = _try(
            form,
            lambda: alliance.record_delivery(
                actor=request.user,
                scope=request.scope,
                commitment=commitments.get(pk=data["commitment"]),
                delivered_on=data["delivered_on"],
                quantity=data["quantity"],
                what=data["what"],
                beyond_reason=data["beyond_reason"],
                photo=data["photo"],
            ),
        )
        if done is not None:
            messages.success(request, _("The delivery is logged."))
            return redirect("party:pact", pact.pk)
    return pact_detail(request, pact_id, delivery_form=form)


@login_required
@require_POST
def evaluate(request: ScopedRequest, pact_id: int) -> HttpResponse:
    pact = queries.pact_or_404(request.scope, pact_id)
    direction = alliance.side_of(request.scope, pact.unit)
    if direction is None:
        raise deny(request.scope, f"party evaluation of pact {pact.pk}")
    form = EvaluationForm(request.POST, years=_years_to_evaluate(pact, timezone.localdate()))
    if form.is_valid():
        data = form.cleaned_data
        done = _try(
            form,
            lambda: alliance.evaluate(actor=request.user, scope=request.scope, pact=pact, direction=direction, **data),
        )
        if done is not None:
            messages.success(request, _("The evaluation is recorded."))
            return redirect("party:pact", pact.pk)
    return pact_detail(request, pact_id, evaluation_form=form)


# --- the three lists ------------------------------------------------------------------------


def _need_form(request: ScopedRequest, data: Any = None) -> NeedForm:
    return NeedForm(
        data, committees=queries.managed_committees(request.scope), areas=queries.party_areas(request.scope)
    )


@login_required
def lists(request: ScopedRequest, need_form: NeedForm | None = None) -> HttpResponse:
    """The three lists: needs (open first), resources (commitments in force with what is left
    of them, and offers), projects."""
    _refuse_unless(request, queries.sees_alliance(request.scope), "party alliance lists")
    today = timezone.localdate()
    state = request.GET.get("state", "")
    needs = queries.needs_for(request.scope)
    if state in Need.State.values:
        needs = needs.filter(state=state)
    commitments = list(queries.commitments_in_force(request.scope, today))
    pacts = {c.pact for c in commitments}
    standing = {row.commitment.pk: row for pact in pacts for row in alliance.standing(pact, today)}
    may_raise = queries.managed_committees(request.scope).exists()
    context = {
        "needs": needs.order_by("state", "-raised_on")[:200],
        "state": state,
        "states": Need.State.choices,
        "resources": [{"commitment": c, "standing": standing[c.pk]} for c in commitments],
        "offers": queries.offers_for(request.scope).filter(
            Q(available_until__isnull=True) | Q(available_until__gte=today)
        ),
        "projects": queries.projects_for(request.scope).order_by("done_on", "deadline")[:200],
        "today": today,
        "need_form": need_form or (_need_form(request) if may_raise else None),
    }
    return _render(request, "party/lists.html", context, need_form is not None)


@login_required
@require_POST
def raise_need(request: ScopedRequest) -> HttpResponse:
    form = _need_form(request, request.POST)
    _refuse_unless(request, queries.managed_committees(request.scope).exists(), "party.manage needs")
    if form.is_valid():
        data = form.cleaned_data
        committee = queries.managed_committees(request.scope).filter(pk=data.pop("committee")).first()
        area = queries.party_areas(request.scope).filter(pk=data.pop("area")).first()
        if committee is None or area is None:
            form.add_error("area", _("Choose where you keep party work."))
        else:
            need = _try(
                form,
                lambda: alliance.raise_need(
                    actor=request.user, scope=request.scope, committee=committee, area=area, **data
                ),
            )
            if need is not None:
                messages.success(request, _("The need is on the list."))
                return redirect("party:need", need.pk)
    return lists(request, need_form=form)


def _claiming_units(request: ScopedRequest, need: Need) -> list[AllianceUnit]:
    """The units the viewer may claim the need for: their own in that alliance, or every
    current unit of it for the party office."""
    units = AllianceUnit.objects.filter(committee=need.committee, left_on__isnull=True).select_related(
        "place", "committee__area"
    )
    return [u for u in units if access.acts_for(request.scope, u)]


@login_required
def need_detail(request: ScopedRequest, need_id: int, **forms: Any) -> HttpResponse:
    need = queries.need_or_404(request.scope, need_id)
    manages = access.manages(request.scope, need.committee)
    claimers = _claiming_units(request, need) if need.state == Need.State.OPEN else []
    project = Project.objects.filter(need=need).select_related("owner__place").first()
    project_form = forms.get("project_form")
    if project_form is None and manages and project is None:
        project_form = _project_form(request, need)
    context = {
        "need": need,
        "project": project,
        "claim_form": forms.get("claim_form")
        or (UnitChoiceForm(units=claimers, initial={"on": timezone.localdate()}) if claimers else None),
        "project_form": project_form,
        "finish_form": forms.get("finish_form")
        or (FinishForm() if manages and project is not None and project.done_on is None else None),
    }
    return _render(request, "party/need.html", context, bool(forms))


@login_required
@require_POST
def claim(request: ScopedRequest, need_id: int) -> HttpResponse:
    need = queries.need_or_404(request.scope, need_id)
    units = _claiming_units(request, need)
    _refuse_unless(request, bool(units), f"party claim of need {need.pk}")
    form = UnitChoiceForm(request.POST, units=units)
    if form.is_valid():
        unit = next(u for u in units if u.pk == form.cleaned_data["unit"])
        claimed = _try(
            form,
            lambda: alliance.claim_need(
                actor=request.user, scope=request.scope, need=need, unit=unit, on=form.cleaned_data["on"]
            ),
        )
        if claimed is not None:
            messages.success(request, _("%(name)s has claimed the need.") % {"name": unit.place.name})
            return redirect("party:need", need.pk)
    return need_detail(request, need_id, claim_form=form)


def _project_form(request: ScopedRequest, need: Need, data: Any = None) -> ProjectForm:
    today = timezone.localdate()
    units = AllianceUnit.objects.filter(committee=need.committee, left_on__isnull=True).select_related("place")
    commitments = queries.commitments_in_force(request.scope, today).filter(pact__unit__committee=need.committee)
    offers = queries.offers_for(request.scope).filter(unit__committee=need.committee)
    initial = {"title": need.title, "owner": need.claimed_by_id, "started_on": today}
    return ProjectForm(data, initial=initial, units=units, commitments=commitments, offers=offers)


@login_required
@require_POST
def start_project(request: ScopedRequest, need_id: int) -> HttpResponse:
    need = queries.need_or_404(request.scope, need_id)
    _refuse_unless(request, access.manages(request.scope, need.committee), f"party.manage need {need.pk}")
    form = _project_form(request, need, request.POST)
    if form.is_valid():
        data = form.cleaned_data
        owner = AllianceUnit.objects.get(committee=need.committee, pk=data["owner"])  # among the choices
        project = _try(
            form,
            lambda: alliance.start_project(
                actor=request.user,
                scope=request.scope,
                need=need,
                title=data["title"],
                owner=owner,
                deadline=data["deadline"],
                started_on=data["started_on"],
                budget=data["budget"],
                commitments=queries.commitments_in_force(request.scope, timezone.localdate()).filter(
                    pk__in=data["commitments"]
                ),
                offers=queries.offers_for(request.scope).filter(pk__in=data["offers"]),
            ),
        )
        if project is not None:
            messages.success(request, _("The project is started."))
            return redirect("party:need", need.pk)
    return need_detail(request, need_id, project_form=form)


@login_required
@require_POST
def finish_project(request: ScopedRequest, project_id: int) -> HttpResponse:
    project = queries.project_or_404(request.scope, project_id)
    need = project.need
    _refuse_unless(request, access.manages(request.scope, need.committee), f"party.manage project {project.pk}")
    form = FinishForm(request.POST)
    if form.is_valid():
        done = _try(
            form,
            lambda: alliance.finish_project(
                actor=request.user, scope=request.scope, project=project, done_on=form.cleaned_data["done_on"]
            ),
        )
        if done is not None:
            messages.success(request, _("The project is done."))
            return redirect("party:need", need.pk)
    return need_detail(request, need.pk, finish_form=form)


@login_required
def pacts_export(request: ScopedRequest) -> HttpResponse:
    """The pacts the viewer reaches, each commitment committed so far and delivered, as a
    spreadsheet; audited."""
    _refuse_unless(request, queries.sees_alliance(request.scope), "party alliance export")
    pacts = list(
        queries.pacts_for(request.scope).prefetch_related("commitments").order_by("unit__place__name", "starts_on")
    )
    response = exports.pacts_sheet(pacts, timezone.localdate())
    audit.record("party.pacts_exported", actor=request.user, detail={"rows": len(pacts)})
    return response
