"""Forms of the staff pages that keep stations and rider services. They only shape input:
every rule lives in stations.actions, whose refusals are shown at the field they name."""

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from nuanxin.core.errors import DomainError, show_on_form
from nuanxin.core.scoping import Scope
from nuanxin.stations.models import Amenity, Station
from nuanxin.territory.models import Place


def managed_places(scope: Scope, *kinds: str) -> Any:
    """Places of these kinds where the viewer keeps stations (stations.manage)."""
    return (
        Place.objects.filter(scope.q("stations.manage", "grid__path"), kind__in=kinds)
        .select_related("grid")
        .order_by("grid__path", "name")
    )


def show_error(form: forms.Form, error: DomainError, names: dict[str, str] | None = None) -> None:
    """A refusal at the field it names (renamed where the form calls it otherwise)."""
    renames = {"location": "lng", "opening_hours": "opening_hours_text", "hours": "hours_text"} | (names or {})
    show_on_form(form, error, renames)


class PlaceChoice(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return f"{obj.grid.name} · {obj.name}"


class StationForm(forms.Form):
    place = PlaceChoice(label=_("Station place"), queryset=Place.objects.none())
    code = forms.CharField(label=_("Code"), max_length=20, help_text=_("e.g. YXQ-01"))
    host = PlaceChoice(label=_("Host unit"), queryset=Place.objects.none(), required=False)
    opening_hours_text = forms.CharField(
        label=_("Opening hours"), max_length=100, help_text=_("09:00-22:00, several ranges with commas, or 24h")
    )
    amenities = forms.MultipleChoiceField(
        label=_("Amenities"), choices=Amenity.choices, required=False, widget=forms.CheckboxSelectMultiple
    )
    capacity = forms.IntegerField(label=_("Capacity"), required=False, min_value=0, max_value=100_000)
    contact_name = forms.CharField(label=_("Contact"), max_length=30, required=False)
    contact_phone = forms.CharField(label=_("Contact phone"), max_length=20, required=False)

    def __init__(self, *args: Any, scope: Scope, station: Station | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        place = self.fields["place"]
        host = self.fields["host"]
        assert isinstance(place, forms.ModelChoiceField) and isinstance(host, forms.ModelChoiceField)
        host.queryset = Place.objects.visible_to(scope).exclude(kind=Place.Kind.STATION).select_related("grid")
        host.queryset = host.queryset.exclude(kind__in=[Place.Kind.MERCHANT, Place.Kind.BUILDING]).order_by("name")
        if station is None:
            place.queryset = managed_places(scope, Place.Kind.STATION).filter(station__isnull=True)
        else:
            del self.fields["place"]
            del self.fields["code"]


class StatusForm(forms.Form):
    status = forms.ChoiceField(label=_("Status"), choices=Station.Status.choices)
    note = forms.CharField(label=_("Note for riders"), max_length=200, required=False)


class FeedbackForm(forms.Form):
    message = forms.CharField(
        label=_("What is wrong here?"),
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 3, "placeholder": _("e.g. the microwave is broken")}),
    )


class MealOfferForm(forms.Form):
    merchant = PlaceChoice(label=_("Merchant"), queryset=Place.objects.none())
    title = forms.CharField(label=_("Offer"), max_length=120)
    price = forms.DecimalField(label=_("Price (yuan)"), required=False, max_digits=7, decimal_places=2, min_value=0)
    discount = forms.CharField(label=_("Discount"), max_length=60, required=False, help_text=_("e.g. 8折"))
    hours_text = forms.CharField(label=_("Opening hours"), max_length=100)
    valid_from = forms.DateField(label=_("Valid from"), widget=forms.DateInput(attrs={"type": "date"}))
    valid_until = forms.DateField(
        label=_("Valid until"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    active = forms.BooleanField(label=_("Offered"), required=False, initial=True)

    def __init__(self, *args: Any, scope: Scope, editing: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if editing:
            del self.fields["merchant"]
        else:
            field = self.fields["merchant"]
            assert isinstance(field, forms.ModelChoiceField)
            field.queryset = managed_places(scope, Place.Kind.MERCHANT, Place.Kind.ENTERPRISE)
            del self.fields["active"]


class ParkingForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=120)
    lng = forms.FloatField(label=_("Longitude"), min_value=-180, max_value=180)
    lat = forms.FloatField(label=_("Latitude"), min_value=-90, max_value=90)
    capacity = forms.IntegerField(label=_("Capacity"), min_value=0, max_value=100_000)
    note = forms.CharField(label=_("Note"), max_length=200, required=False)


class ChannelForm(forms.Form):
    compound = PlaceChoice(label=_("Compound"), queryset=Place.objects.none())
    gate = forms.CharField(label=_("Gate"), max_length=60)
    route = forms.CharField(label=_("Route"), max_length=300, widget=forms.Textarea(attrs={"rows": 2}))
    hours_text = forms.CharField(label=_("Opening hours"), max_length=100)
    rules = forms.CharField(label=_("Rules"), max_length=500, required=False, widget=forms.Textarea(attrs={"rows": 2}))
    contact = forms.CharField(label=_("Contact"), max_length=60, required=False)

    def __init__(self, *args: Any, scope: Scope, editing: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if editing:
            del self.fields["compound"]
        else:
            field = self.fields["compound"]
            assert isinstance(field, forms.ModelChoiceField)
            field.queryset = managed_places(scope, Place.Kind.COMPOUND)
