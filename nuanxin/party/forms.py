from collections.abc import Iterable
from datetime import date
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from nuanxin.party.models import (
    AgendaItem,
    AllianceUnit,
    BranchMeeting,
    Commitment,
    JointMeeting,
    Need,
    Offer,
    OrgOffice,
    PartyMember,
    PartyOrg,
    ResourceKind,
    TwoNewOrg,
)
from nuanxin.territory.models import Area, Place


class OrgForm(forms.Form):
    name = forms.CharField(label=_("name"), max_length=80)
    kind = forms.ChoiceField(label=_("kind"), choices=PartyOrg.Kind.choices)
    area = forms.TypedChoiceField(label=_("area"), coerce=int)
    founded_on = forms.DateField(label=_("founded on"), widget=forms.DateInput(attrs={"type": "date"}))

    def __init__(self, *args: Any, areas: Iterable[Area] = (), **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        area = self.fields["area"]
        assert isinstance(area, forms.TypedChoiceField)
        area.choices = [(a.pk, f"{a.name} · {a.get_level_display()}") for a in areas]


class MemberForm(forms.Form):
    name = forms.CharField(label=pgettext_lazy("a person", "name"), max_length=30)
    phone = forms.CharField(label=_("phone"), max_length=20, required=False)
    standing = forms.ChoiceField(label=_("standing"), choices=PartyMember.Standing.choices)
    status = forms.ChoiceField(label=_("status in the community"), choices=PartyMember.Status.choices)
    since = forms.DateField(label=_("in the community since"), widget=forms.DateInput(attrs={"type": "date"}))
    joined_party_on = forms.DateField(
        label=_("joined the party on"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    origin = forms.CharField(label=_("origin organisation"), max_length=100, required=False)
    card_number = forms.CharField(label=_("mobile member's card number"), max_length=30, required=False)
    workplace = forms.CharField(label=_("works at"), max_length=100, required=False)


class SurveyForm(forms.Form):
    place = forms.TypedChoiceField(label=_("organisation"), coerce=int)
    kind = forms.ChoiceField(label=_("kind"), choices=TwoNewOrg.Kind.choices)
    employees = forms.IntegerField(label=_("employees"), min_value=0, max_value=100_000)
    full_members = forms.IntegerField(label=_("full members among them"), min_value=0, max_value=100_000, initial=0)
    probationary_members = forms.IntegerField(
        label=_("probationary members among them"), min_value=0, max_value=100_000, initial=0
    )
    mobile_members = forms.IntegerField(label=_("mobile members among them"), min_value=0, max_value=100_000, initial=0)
    surveyed_on = forms.DateField(label=_("surveyed on"), widget=forms.DateInput(attrs={"type": "date"}))

    def __init__(self, *args: Any, places: Iterable[Place] = (), **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        place = self.fields["place"]
        assert isinstance(place, forms.TypedChoiceField)
        place.choices = [(p.pk, p.name) for p in places]


class CoverForm(forms.Form):
    coverage = forms.ChoiceField(
        label=_("party work reaches it through"),
        choices=[(c.value, c.label) for c in (TwoNewOrg.Coverage.JOINT_BRANCH, TwoNewOrg.Coverage.INSTRUCTOR)],
    )
    branch = forms.TypedChoiceField(label=_("joint branch"), coerce=int, required=False, empty_value=None)
    instructor = forms.CharField(label=_("party-building instructor"), max_length=30, required=False)
    on = forms.DateField(label=_("covered since"), widget=forms.DateInput(attrs={"type": "date"}))

    def __init__(self, *args: Any, branches: Iterable[PartyOrg] = (), **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        branch = self.fields["branch"]
        assert isinstance(branch, forms.TypedChoiceField)
        branch.choices = [("", "—"), *((b.pk, b.name) for b in branches)]


class FoundingForm(forms.Form):
    stage = forms.ChoiceField(label=_("founding stage"), choices=TwoNewOrg.Stage.choices[1:])
    on = forms.DateField(label=_("on"), widget=forms.DateInput(attrs={"type": "date"}))


class MeetingForm(forms.Form):
    kind = forms.ChoiceField(label=_("kind"), choices=BranchMeeting.Kind.choices)
    planned_on = forms.DateField(label=_("planned for"), widget=forms.DateInput(attrs={"type": "date"}))
    topics = forms.CharField(label=_("topics"), max_length=500, widget=forms.Textarea(attrs={"rows": 2}))


class RecordMeetingForm(forms.Form):
    """A held meeting's record; each member's presence comes as `p-<id>` (present, leave,
    absent) with `r-<id>` the reason for leave (the page draws a row per member)."""

    held_on = forms.DateField(
        label=pgettext_lazy("a meeting", "held on"), widget=forms.DateInput(attrs={"type": "date"})
    )
    chair = forms.TypedChoiceField(label=_("chair"), coerce=int, required=False, empty_value=None)
    recorder = forms.TypedChoiceField(label=_("recorder"), coerce=int, required=False, empty_value=None)
    minutes = forms.CharField(
        label=_("minutes"), max_length=5000, required=False, widget=forms.Textarea(attrs={"rows": 4})
    )
    decisions = forms.CharField(
        label=_("decisions"), max_length=2000, required=False, widget=forms.Textarea(attrs={"rows": 2})
    )

    def __init__(self, *args: Any, members: Iterable[PartyMember] = (), **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        choices = [("", "—"), *((m.pk, m.name) for m in members)]
        for name in ("chair", "recorder"):
            field = self.fields[name]
            assert isinstance(field, forms.TypedChoiceField)
            field.choices = choices


# --- the alliance --------------------------------------------------------------------------


def _choices(form: forms.Form, name: str, choices: Iterable[tuple[Any, str]], *, blank: bool = False) -> None:
    field = form.fields[name]
    assert isinstance(field, forms.TypedChoiceField | forms.TypedMultipleChoiceField)
    field.choices = [("", "—"), *choices] if blank else list(choices)


def _day(label: Any, *, required: bool = True) -> forms.DateField:
    return forms.DateField(label=label, required=required, widget=forms.DateInput(attrs={"type": "date"}))


class JoinForm(forms.Form):
    committee = forms.TypedChoiceField(label=_("party committee"), coerce=int)
    place = forms.TypedChoiceField(label=_("unit"), coerce=int)
    joined_on = _day(_("joined on"))

    def __init__(self, *args: Any, committees: Iterable[PartyOrg] = (), places: Iterable[Place] = (), **kw: Any):
        super().__init__(*args, **kw)
        _choices(self, "committee", ((c.pk, c.name) for c in committees))
        _choices(self, "place", ((p.pk, p.name) for p in places))


class PactForm(forms.Form):
    signed_on = _day(_("signed on"))
    starts_on = _day(_("term starts on"))
    ends_on = _day(_("term ends on"))
    document = forms.FileField(label=_("signed document (PDF or photo, optional)"), required=False)


class CommitmentForm(forms.Form):
    kind = forms.ChoiceField(label=_("kind"), choices=[("", "—"), *ResourceKind.choices], required=False)
    what = forms.CharField(label=_("what"), max_length=100, required=False)
    quantity = forms.DecimalField(label=_("quantity"), min_value=0, max_digits=12, decimal_places=2, required=False)
    period = forms.ChoiceField(label=_("period"), choices=Commitment.Period.choices, required=False)

    @property
    def filled(self) -> bool:
        return bool(self.is_valid() and (self.cleaned_data.get("what") or self.cleaned_data.get("quantity")))


CommitmentFormSet = forms.formset_factory(CommitmentForm, extra=3, max_num=10)


class UnitChoiceForm(forms.Form):
    """A unit chosen among those the viewer may act for (a representative's own, or all for the
    party office), with the day."""

    unit = forms.TypedChoiceField(label=_("unit"), coerce=int)
    on = _day(_("on"))

    def __init__(self, *args: Any, units: Iterable[AllianceUnit] = (), **kw: Any):
        super().__init__(*args, **kw)
        _choices(self, "unit", ((u.pk, u.place.name) for u in units))


class DeliveryForm(forms.Form):
    commitment = forms.TypedChoiceField(label=_("commitment"), coerce=int)
    delivered_on = _day(_("delivered on"))
    quantity = forms.DecimalField(label=_("quantity"), max_digits=12, decimal_places=2)
    what = forms.CharField(label=_("what was delivered"), max_length=200)
    beyond_reason = forms.CharField(
        label=_("reason for delivering beyond the commitment"), max_length=200, required=False
    )
    photo = forms.FileField(label=_("evidence photo (optional)"), required=False)

    def __init__(self, *args: Any, commitments: Iterable[Commitment] = (), **kw: Any):
        super().__init__(*args, **kw)
        _choices(self, "commitment", ((c.pk, f"{c.what} ({c.get_kind_display()})") for c in commitments))


class OfferForm(forms.Form):
    kind = forms.ChoiceField(label=_("kind"), choices=ResourceKind.choices)
    what = forms.CharField(label=_("what"), max_length=100)
    quantity = forms.DecimalField(label=_("quantity"), max_digits=12, decimal_places=2)
    offered_on = _day(_("offered on"))
    available_until = _day(_("available until"), required=False)


class NeedForm(forms.Form):
    committee = forms.TypedChoiceField(label=_("party committee"), coerce=int)
    area = forms.TypedChoiceField(label=_("where"), coerce=int)
    title = forms.CharField(label=_("title"), max_length=100)
    description = forms.CharField(
        label=_("description"), max_length=2000, required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    source = forms.ChoiceField(label=_("raised by"), choices=Need.Source.choices)
    raised_on = _day(_("raised on"))

    def __init__(self, *args: Any, committees: Iterable[PartyOrg] = (), areas: Iterable[Area] = (), **kw: Any):
        super().__init__(*args, **kw)
        _choices(self, "committee", ((c.pk, c.name) for c in committees))
        _choices(self, "area", ((a.pk, f"{a.name} · {a.get_level_display()}") for a in areas))


class ProjectForm(forms.Form):
    title = forms.CharField(label=_("title"), max_length=100)
    owner = forms.TypedChoiceField(label=_("owner unit"), coerce=int)
    started_on = _day(_("started on"))
    deadline = _day(pgettext_lazy("a task", "deadline"))
    budget = forms.DecimalField(label=_("budget (yuan)"), max_digits=12, decimal_places=2, initial=0)
    commitments = forms.TypedMultipleChoiceField(label=_("commitments used"), coerce=int, required=False)
    offers = forms.TypedMultipleChoiceField(label=_("offers used"), coerce=int, required=False)

    def __init__(
        self,
        *args: Any,
        units: Iterable[AllianceUnit] = (),
        commitments: Iterable[Commitment] = (),
        offers: Iterable[Offer] = (),
        **kw: Any,
    ):
        super().__init__(*args, **kw)
        _choices(self, "owner", ((u.pk, u.place.name) for u in units))
        _choices(self, "commitments", ((c.pk, f"{c.pact.unit.place.name} · {c.what}") for c in commitments))
        _choices(self, "offers", ((o.pk, f"{o.unit.place.name} · {o.what}") for o in offers))


class FinishForm(forms.Form):
    done_on = _day(_("done on"))


class EvaluationForm(forms.Form):
    year = forms.TypedChoiceField(label=_("year"), coerce=int)
    score = forms.IntegerField(label=_("score"), min_value=0, max_value=100)
    comment = forms.CharField(
        label=_("comment"), max_length=2000, required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    reason = forms.CharField(label=_("reason for the score"), max_length=200, required=False)

    def __init__(self, *args: Any, years: Iterable[int] = (), **kw: Any):
        super().__init__(*args, **kw)
        _choices(self, "year", ((y, str(y)) for y in years))


# --- joint meetings and their resolutions --------------------------------------------------


def _moment(label: Any) -> forms.DateTimeField:
    return forms.DateTimeField(label=label, widget=forms.DateTimeInput(attrs={"type": "datetime-local"}))


class JointMeetingForm(forms.Form):
    committee = forms.TypedChoiceField(label=_("party committee"), coerce=int)
    kind = forms.ChoiceField(label=_("kind"), choices=JointMeeting.Kind.choices)
    title = forms.CharField(label=_("title"), max_length=100)
    starts_at = _moment(_("starts at"))
    ends_at = _moment(_("ends at"))
    location = forms.CharField(label=_("location"), max_length=100)
    agenda = forms.CharField(
        label=_("agenda (one item a line)"),
        max_length=3000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
    )
    needs = forms.TypedMultipleChoiceField(label=_("needs to put on the agenda"), coerce=int, required=False)

    def __init__(self, *args: Any, committees: Iterable[PartyOrg] = (), needs: Iterable[Need] = (), **kw: Any):
        super().__init__(*args, **kw)
        _choices(self, "committee", ((c.pk, c.name) for c in committees))
        _choices(self, "needs", ((n.pk, n.title) for n in needs))


class AttendanceByHandForm(forms.Form):
    user = forms.TypedChoiceField(label=_("who came"), coerce=int)

    def __init__(self, *args: Any, people: Iterable[tuple[int, str]] = (), **kw: Any):
        super().__init__(*args, **kw)
        _choices(self, "user", people)


class HoldForm(forms.Form):
    minutes = forms.CharField(
        label=pgettext_lazy("a meeting", "minutes"), max_length=20_000, widget=forms.Textarea(attrs={"rows": 6})
    )


class ResolutionForm(forms.Form):
    """A resolution: its owner as "unit:<id>", "branch:<id>" or "user:<id>"; its milestones one a
    line, "YYYY-MM-DD what"."""

    title = forms.CharField(label=_("resolution"), max_length=200)
    owner = forms.ChoiceField(label=pgettext_lazy("a task", "owner"))
    deadline = _day(pgettext_lazy("a task", "deadline"))
    agenda_item = forms.TypedChoiceField(label=_("agenda item"), coerce=int, required=False, empty_value=None)
    milestones = forms.CharField(
        label=_("milestones (one a line: YYYY-MM-DD what)"),
        max_length=2000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    def __init__(self, *args: Any, owners: Iterable[tuple[str, str]] = (), items: Iterable[AgendaItem] = (), **kw: Any):
        super().__init__(*args, **kw)
        owner = self.fields["owner"]
        assert isinstance(owner, forms.ChoiceField)
        owner.choices = list(owners)
        _choices(self, "agenda_item", ((i.pk, f"{i.position}. {i.title}") for i in items), blank=True)

    def clean_milestones(self) -> list[tuple[str, date]]:
        steps = []
        for n, line in enumerate(self.cleaned_data["milestones"].splitlines(), 1):
            if not line.strip():
                continue
            day, _sep, what = line.strip().partition(" ")
            try:
                due = date.fromisoformat(day)
            except ValueError:
                raise forms.ValidationError(
                    _("Line %(n)d: start with the date, as 2025-05-20 安装完成.") % {"n": n}
                ) from None
            steps.append((what.strip(), due))
        return steps


class ReportForm(forms.Form):
    note = forms.CharField(label=_("what was done"), max_length=2000, widget=forms.Textarea(attrs={"rows": 3}))
    progress = forms.IntegerField(label=_("progress (%)"), min_value=0, max_value=100)
    milestones = forms.TypedMultipleChoiceField(
        label=_("milestones reached"), coerce=int, required=False, widget=forms.CheckboxSelectMultiple
    )
    photo = forms.FileField(label=_("photo (optional)"), required=False)

    def __init__(self, *args: Any, milestones: Iterable[Any] = (), **kw: Any):
        super().__init__(*args, **kw)
        _choices(self, "milestones", ((m.pk, f"{m.due_on:%m-%d} {m.title}") for m in milestones))
        if not self.fields["milestones"].choices:  # type: ignore[attr-defined]
            del self.fields["milestones"]  # every milestone reached: nothing to tick


class VerifyForm(forms.Form):
    accepted = forms.TypedChoiceField(
        label=_("verification"),
        coerce=lambda v: v == "yes",
        choices=[("yes", _("done as resolved")), ("no", _("not done: send it back"))],
    )
    reason = forms.CharField(label=_("what is missing"), max_length=200, required=False)


# --- offices and transfers -----------------------------------------------------------------


class AppointForm(forms.Form):
    member = forms.TypedChoiceField(label=_("member"), coerce=int)
    office = forms.ChoiceField(label=_("office"), choices=OrgOffice.Office.choices)
    since = _day(pgettext_lazy("an office", "since"))

    def __init__(self, *args: Any, members: Iterable[PartyMember] = (), **kw: Any):
        super().__init__(*args, **kw)
        _choices(self, "member", ((m.pk, m.name) for m in members))


class RelieveForm(forms.Form):
    held = forms.TypedChoiceField(label=_("office"), coerce=int)
    until = _day(pgettext_lazy("an office", "until"))

    def __init__(self, *args: Any, offices: Iterable[OrgOffice] = (), **kw: Any):
        super().__init__(*args, **kw)
        _choices(self, "held", ((o.pk, f"{o.member.name} · {o.get_office_display()}") for o in offices))


class TransferForm(forms.Form):
    member = forms.TypedChoiceField(label=_("member"), coerce=int)
    to = forms.TypedChoiceField(label=_("to the organisation"), coerce=int)
    on = _day(_("on"))

    def __init__(self, *args: Any, members: Iterable[PartyMember] = (), orgs: Iterable[PartyOrg] = (), **kw: Any):
        super().__init__(*args, **kw)
        _choices(self, "member", ((m.pk, m.name) for m in members))
        _choices(self, "to", ((o.pk, o.name) for o in orgs))
