"""The phone report form; the rules stay in report_case."""

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from nuanxin.cases.models import CaseClass, Category
from nuanxin.cases.questions import ClassQuestions
from nuanxin.core.forms import HoneypotForm
from nuanxin.territory.models import Place


def class_choices() -> list[tuple[str, list[tuple[str, str]]]]:
    """Classes grouped under their public category, for an <optgroup> select."""
    groups = []
    for category in Category.objects.prefetch_related("classes").order_by("order", "code"):
        options = [(c.code, c.name) for c in category.classes.all() if c.active]
        if options:
            groups.append((category.name, options))
    return groups


class AsksClassQuestions(forms.Form):
    """A report form that also asks the chosen class's extra questions (`questions`, drawn by
    templates/cases/_questions.html): one place for the phone, station and staff pages."""

    questions: ClassQuestions

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.questions = ClassQuestions(self.data if self.is_bound else None)

    def chosen_class(self) -> CaseClass:
        return CaseClass.objects.get(code=self.cleaned_data["case_class"], active=True)

    def answers(self) -> dict[str, Any]:
        """The chosen class's answers for report_case (other classes' are ignored)."""
        return self.questions.answers_for(self.chosen_class())


class ReportForm(AsksClassQuestions, HoneypotForm):
    """The phone report page's form, for everyone: signed in or not (hence the honeypot)."""

    case_class = forms.ChoiceField(label=_("What is it?"))
    description = forms.CharField(
        label=_("What did you see?"), max_length=2000, widget=forms.Textarea(attrs={"rows": 3})
    )
    lat = forms.FloatField(label=_("Latitude"), widget=forms.HiddenInput)
    lng = forms.FloatField(label=_("Longitude"), widget=forms.HiddenInput)
    address = forms.CharField(label=_("Where exactly (optional)"), max_length=200, required=False)
    reporter_name = forms.CharField(label=_("Your name (optional)"), max_length=30, required=False)
    reporter_phone = forms.CharField(label=_("Your phone (optional)"), max_length=20, required=False)
    anonymous = forms.BooleanField(label=_("Report anonymously"), required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["case_class"]
        assert isinstance(field, forms.ChoiceField)
        field.choices = [("", _("Choose…")), *class_choices()]

    def emergency_codes(self) -> list[str]:
        return list(CaseClass.objects.filter(emergency=True, active=True).values_list("code", flat=True))


class StepNoteForm(forms.Form):
    note = forms.CharField(label=_("What is still wrong?"), max_length=2000)


class EvaluateForm(forms.Form):
    satisfaction = forms.TypedChoiceField(
        label=_("How satisfied are you?"), coerce=int, choices=[(n, str(n)) for n in range(5, 0, -1)]
    )


class StaffIntakeForm(AsksClassQuestions):
    """A case entered by staff for a caller (channel "staff"); the rules stay in report_case.
    The place is chosen among the places the staff member may see; without a place, a pin on
    the map gives the location."""

    case_class = forms.ChoiceField(label=_("What is it?"))
    description = forms.CharField(
        label=_("What the caller says"), max_length=2000, widget=forms.Textarea(attrs={"rows": 4})
    )
    place = forms.ModelChoiceField(
        label=_("Place"), queryset=Place.objects.none(), required=False, empty_label=_("No place: pin it on the map")
    )
    lat = forms.FloatField(label=_("Latitude"), widget=forms.HiddenInput, required=False)
    lng = forms.FloatField(label=_("Longitude"), widget=forms.HiddenInput, required=False)
    address = forms.CharField(label=_("Where exactly (optional)"), max_length=200, required=False)
    reporter_name = forms.CharField(label=_("Caller's name (optional)"), max_length=30, required=False)
    reporter_phone = forms.CharField(label=_("Caller's phone (optional)"), max_length=20, required=False)
    anonymous = forms.BooleanField(label=_("The caller stays anonymous"), required=False)

    def __init__(self, *args: Any, places: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        case_class = self.fields["case_class"]
        assert isinstance(case_class, forms.ChoiceField)
        case_class.choices = [("", _("Choose…")), *class_choices()]
        place = self.fields["place"]
        assert isinstance(place, forms.ModelChoiceField)
        place.queryset = places

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        has_pin = data.get("lat") is not None and data.get("lng") is not None
        if data.get("place") is None and not has_pin and not self.has_error("place"):
            self.add_error("place", _("Choose a place or pin the location on the map."))
        return data

    def location(self) -> tuple[float, float]:
        """(lng, lat): the pin if there is one, else the place's."""
        data = self.cleaned_data
        if data.get("lat") is not None and data.get("lng") is not None:
            return data["lng"], data["lat"]
        return data["place"].lng, data["place"].lat
