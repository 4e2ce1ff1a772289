from collections.abc import Iterable
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from nuanxin.party.models import BranchMeeting, PartyMember, PartyOrg, TwoNewOrg
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
