"""Dispute pages of the console: the list with its filters, registering a dispute, and a
dispute's page with its parties (masked), mediators and sessions and the forms to add a
mediator, record a session and close it; the signed agreement is served only through the
dispute's scope, and every download is audited. The rules stay in `actions`."""

from collections.abc import Callable
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from nuanxin.accounts.models import User
from nuanxin.cases.models import Case
from nuanxin.core import audit
from nuanxin.core.access import deny, require
from nuanxin.core.documents import document_response
from nuanxin.core.errors import DomainError, show_on_form
from nuanxin.core.http import ScopedRequest
from nuanxin.core.scoping import Scope
from nuanxin.core.validators import is_ascii_digits
from nuanxin.ledgers.disputes import actions
from nuanxin.ledgers.disputes.actions import PartyIn
from nuanxin.ledgers.disputes.filters import DisputeFilters
from nuanxin.ledgers.disputes.queries import (
    dispute_or_404,
    linked_case,
    linked_visit_id,
    masked_party,
    mediator_candidates,
    record_grids,
)
from nuanxin.ledgers.models import (
    Dispute,
    DisputeKind,
    DisputeParty,
    DisputeSource,
    Mediator,
    Outcome,
    SettledLevel,
)
from nuanxin.territory.models import Area
from nuanxin.territory.queries import working_areas

PARTY_ROWS = 3
PAGE_SIZE = 50


def _blank(choices: Any) -> list[tuple[str, Any]]:
    return [("", gettext_lazy("Choose…")), *choices]


class DisputeForm(forms.Form):
    """The dispute and up to PARTY_ROWS parties (a row left empty is no party)."""

    kind = forms.ChoiceField(label=gettext_lazy("Kind"), choices=_blank(DisputeKind.choices))
    source = forms.ChoiceField(label=gettext_lazy("Source"), choices=_blank(DisputeSource.choices))
    grid = forms.ModelChoiceField(label=gettext_lazy("Grid"), queryset=Area.objects.none())
    received_on = forms.DateField(label=gettext_lazy("Received on"), widget=forms.DateInput(attrs={"type": "date"}))
    summary = forms.CharField(
        label=gettext_lazy("What it is about"), max_length=2000, widget=forms.Textarea(attrs={"rows": 4})
    )
    case_number = forms.CharField(label=gettext_lazy("Case number (optional)"), max_length=24, required=False)

    def __init__(self, *args: Any, grids: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        grid = self.fields["grid"]
        assert isinstance(grid, forms.ModelChoiceField)
        grid.queryset = grids
        for n in range(PARTY_ROWS):
            self.fields[f"party_{n}_kind"] = forms.ChoiceField(
                label=gettext_lazy("Person or unit"), choices=DisputeParty.Kind.choices, required=False
            )
            self.fields[f"party_{n}_name"] = forms.CharField(label=gettext_lazy("Name"), max_length=120, required=False)
            self.fields[f"party_{n}_phone"] = forms.CharField(
                label=gettext_lazy("Phone (optional)"), max_length=20, required=False
            )

    def party_rows(self) -> list[list[forms.BoundField]]:
        return [[self[f"party_{n}_{key}"] for key in ("kind", "name", "phone")] for n in range(PARTY_ROWS)]

    def parties(self) -> list[PartyIn]:
        """The rows with a name or a phone, in order (an empty row is skipped); errors from
        the action name `parties.<n>`, counted over these rows, so keep their form rows."""
        data = self.cleaned_data
        self.row_of: list[int] = []
        parties = []
        for n in range(PARTY_ROWS):
            name, phone = data.get(f"party_{n}_name", ""), data.get(f"party_{n}_phone", "")
            if name or phone:
                self.row_of.append(n)
                parties.append(PartyIn(kind=data.get(f"party_{n}_kind") or "person", name=name, phone=phone))
        return parties

    def show(self, error: DomainError) -> None:
        """Put a refusal of register_dispute at its form field."""
        field = error.field or ""
        if field.startswith("parties."):
            _prefix, n, key = (field.split(".") + ["name"])[:3]
            rows = getattr(self, "row_of", [])
            row = rows[int(n)] if is_ascii_digits(n) and int(n) < len(rows) else 0
            field = f"party_{row}_{key}" if key in ("kind", "name", "phone") else f"party_{row}_name"
        elif field == "parties":
            field = "party_0_name"
        elif field == "case":
            field = "case_number"
        show_on_form(self, error, field=field)


class MediatorForm(forms.Form):
    group = forms.ChoiceField(label=gettext_lazy("Group"), choices=Mediator.Group.choices)
    user = forms.ModelChoiceField(
        label=gettext_lazy("Staff member"),
        queryset=User.objects.none(),
        required=False,
        empty_label=gettext_lazy("Not a user: give the name"),
    )
    name = forms.CharField(label=gettext_lazy("Name"), max_length=30, required=False)

    def __init__(self, *args: Any, users: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        user = self.fields["user"]
        assert isinstance(user, forms.ModelChoiceField)
        user.queryset = users


class SessionForm(forms.Form):
    held_on = forms.DateField(label=gettext_lazy("Held on"), widget=forms.DateInput(attrs={"type": "date"}))
    location = forms.CharField(label=gettext_lazy("Where (optional)"), max_length=120, required=False)
    summary = forms.CharField(
        label=gettext_lazy("What was said and agreed"), max_length=2000, widget=forms.Textarea(attrs={"rows": 3})
    )


class CloseForm(forms.Form):
    outcome = forms.ChoiceField(label=gettext_lazy("Outcome"), choices=_blank(Outcome.choices))
    settled_level = forms.ChoiceField(
        label=gettext_lazy("Level (settled at, or referred from)"),
        choices=[("", "—"), *SettledLevel.choices],
        required=False,
    )
    closed_on = forms.DateField(label=gettext_lazy("Closed on"), widget=forms.DateInput(attrs={"type": "date"}))
    agreement = forms.FileField(label=gettext_lazy("Signed agreement (PDF or photo, optional)"), required=False)


@login_required
def dispute_list(request: ScopedRequest) -> HttpResponse:
    """The disputes of the viewer's territory, newest first, with the shared filters."""
    require(request.scope, "disputes.view")
    filters = DisputeFilters(request.GET, scope=request.scope)
    page = Paginator(filters.qs, PAGE_SIZE).get_page(request.GET.get("page"))
    kinds, states = dict(DisputeKind.choices), dict(Dispute.State.choices)
    outcomes, levels = dict(Outcome.choices), dict(SettledLevel.choices)
    rows = [
        {
            "pk": d.pk,
            "number": d.number,
            "received_on": d.received_on,
            "kind": kinds[d.kind],
            "grid": d.grid.name,
            "parties": "、".join(masked_party(p)["name"] for p in d.parties.all()),
            "state": states[d.state],
            "outcome": outcomes.get(d.outcome, ""),
            "level": levels.get(d.settled_level, ""),
            "closed_on": d.closed_on,
        }
        for d in page
    ]
    return render(
        request,
        "ledgers/disputes/list.html",
        {
            "page": page,
            "rows": rows,
            "chosen": filters.chosen(),
            "filter_errors": filters.field_errors,
            "kinds": DisputeKind.choices,
            "states": Dispute.State.choices,
            "outcomes": Outcome.choices,
            "levels": SettledLevel.choices,
            "grids": working_areas(request.scope).filter(level=Area.Level.GRID).only("id", "name", "path"),
            "may_record": request.scope.has("disputes.record"),
        },
        status=400 if filters.field_errors else 200,
    )


def _may_record(scope: Scope) -> None:
    if not scope.has("disputes.record"):
        raise deny(scope, "disputes.record")


@login_required
def dispute_new(request: ScopedRequest) -> HttpResponse:
    """Register a dispute in one of the grids where the viewer records disputes."""
    _may_record(request.scope)
    form = DisputeForm(request.POST or None, grids=record_grids(request.scope))
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        number, case = data["case_number"], None
        if number:
            case = Case.objects.visible_to(request.scope).filter(number=number).first()
            if case is None:
                form.add_error("case_number", _("Unknown case."))
        if case is not None or not number:
            try:
                dispute = actions.register_dispute(
                    actor=request.user,
                    scope=request.scope,
                    kind=data["kind"],
                    summary=data["summary"],
                    source=data["source"],
                    grid=data["grid"],
                    received_on=data["received_on"],
                    parties=form.parties(),
                    case=case,
                )
            except DomainError as error:
                form.show(error)
            else:
                messages.success(request, _("Dispute %(number)s registered.") % {"number": dispute.number})
                return redirect("disputes:detail", dispute.pk)
    return render(
        request,
        "ledgers/disputes/new.html",
        {"form": form},
        status=400 if request.method == "POST" else 200,
    )


def _detail(
    request: ScopedRequest,
    dispute: Dispute,
    *,
    mediator_form: MediatorForm | None = None,
    session_form: SessionForm | None = None,
    close_form: CloseForm | None = None,
    status: int = 200,
) -> HttpResponse:
    scope = request.scope
    may_record = dispute.state == Dispute.State.OPEN and scope.has_at("disputes.record", dispute.grid.path)
    today = timezone.localdate()
    context: dict[str, Any] = {
        "dispute": dispute,
        "parties": [masked_party(p) for p in dispute.parties.all()],
        "mediators": list(dispute.mediators.all()),
        "sessions": list(dispute.sessions.all()),
        "case": linked_case(scope, dispute),
        "visit_id": linked_visit_id(scope, dispute),
        "may_record": may_record,
    }
    if may_record:
        context |= {
            "mediator_form": mediator_form or MediatorForm(users=mediator_candidates(dispute.grid)),
            "session_form": session_form or SessionForm(initial={"held_on": today}),
            "close_form": close_form or CloseForm(initial={"closed_on": today}),
        }
    return render(request, "ledgers/disputes/detail.html", context, status=status)


@login_required
def dispute_detail(request: ScopedRequest, dispute_id: int) -> HttpResponse:
    return _detail(request, dispute_or_404(request.scope, dispute_id))


def _refused(error: DomainError) -> None:
    """A step the viewer may not take on this dispute is a 403; a closed one a message."""
    if error.code == "forbidden":
        raise PermissionDenied(error.message)


def _dispute_step(
    request: ScopedRequest,
    dispute_id: int,
    *,
    form_name: str,
    make_form: Callable[[Dispute], Any],
    act: Callable[[Dispute, dict[str, Any]], object],
    done: str,
) -> HttpResponse:
    """One step posted from a dispute's page (add a mediator, record a session, close): the
    form, then the action; a refusal shows the page again with the error at its field (a step
    the viewer may not take is a 403, before the form is read), success goes back to the page
    with `done`."""
    dispute = dispute_or_404(request.scope, dispute_id)
    if request.method != "POST":
        return redirect("disputes:detail", dispute.pk)
    try:
        actions.check_records(request.scope, dispute.grid, field=None)
    except DomainError as error:
        _refused(error)
    form = make_form(dispute)
    if form.is_valid():
        try:
            act(dispute, form.cleaned_data)
        except DomainError as error:
            _refused(error)
            show_on_form(form, error)
        else:
            messages.success(request, done)
            return redirect("disputes:detail", dispute.pk)
    return _detail(request, dispute_or_404(request.scope, dispute_id), status=400, **{form_name: form})


@login_required
def add_mediator(request: ScopedRequest, dispute_id: int) -> HttpResponse:
    return _dispute_step(
        request,
        dispute_id,
        form_name="mediator_form",
        make_form=lambda dispute: MediatorForm(request.POST, users=mediator_candidates(dispute.grid)),
        act=lambda dispute, data: actions.add_mediator(
            actor=request.user,
            scope=request.scope,
            dispute=dispute,
            group=data["group"],
            user=data["user"],
            name=data["name"],
        ),
        done=_("Mediator added."),
    )


@login_required
def record_session(request: ScopedRequest, dispute_id: int) -> HttpResponse:
    return _dispute_step(
        request,
        dispute_id,
        form_name="session_form",
        make_form=lambda dispute: SessionForm(request.POST),
        act=lambda dispute, data: actions.record_session(
            actor=request.user,
            scope=request.scope,
            dispute=dispute,
            held_on=data["held_on"],
            summary=data["summary"],
            location=data["location"],
        ),
        done=_("Session recorded."),
    )


@login_required
def close(request: ScopedRequest, dispute_id: int) -> HttpResponse:
    return _dispute_step(
        request,
        dispute_id,
        form_name="close_form",
        make_form=lambda dispute: CloseForm(request.POST, request.FILES),
        act=lambda dispute, data: actions.close_dispute(
            actor=request.user,
            scope=request.scope,
            dispute=dispute,
            outcome=data["outcome"],
            settled_level=data["settled_level"],
            closed_on=data["closed_on"],
            agreement=data["agreement"],
        ),
        done=_("Dispute closed."),
    )


@login_required
def agreement(request: ScopedRequest, dispute_id: int) -> HttpResponseBase:
    """The signed agreement, for those who may see the dispute; each download is audited."""
    dispute = dispute_or_404(request.scope, dispute_id)
    if not dispute.agreement_name:
        raise Http404
    response = document_response(dispute.agreement_name, filename=f"{dispute.number}.pdf")
    audit.record("disputes.agreement_viewed", actor=request.user, obj=dispute)
    return response
