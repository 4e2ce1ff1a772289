"""Console forms for staffing and places; the rules stay in the actions."""

from django import forms
from django.utils.translation import gettext_lazy as _

from nuanxin.territory.models import Place, StaffAssignment


class AssignStaffForm(forms.Form):
    username = forms.CharField(label=_("Username"), max_length=150)
    duty = forms.ChoiceField(label=_("Duty"), choices=StaffAssignment.Duty.choices)
    starts_on = forms.DateField(label=_("From"), widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"))
    ends_on = forms.DateField(
        label=_("Until"), required=False, widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )
    note = forms.CharField(label=_("Note"), max_length=200, required=False)


class EndAssignmentForm(forms.Form):
    ends_on = forms.DateField(label=_("Until"), widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"))


class PlaceForm(forms.Form):
    kind = forms.ChoiceField(label=_("Kind"), choices=Place.Kind.choices)
    name = forms.CharField(label=_("Name"), max_length=120)
    address = forms.CharField(label=_("Address"), max_length=200, required=False)
    lat = forms.FloatField(label=_("Latitude"), min_value=-90, max_value=90)
    lng = forms.FloatField(label=_("Longitude"), min_value=-180, max_value=180)


class BasemapForm(forms.Form):
    file = forms.FileField(label=_("GeoJSON file"))
