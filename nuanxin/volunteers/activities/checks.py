"""A campaign check on the console: a form built from a checklist version's items, and the
call to `inspections.actions.record_check` that records it as a visit of the campaign.

The answers are checked by the inspections action (`inspections/answers.py`); this form only
turns the posted strings into the types it expects (yes/no → bool, number → int or float),
and shows each refusal at its item (`answers.<code>` → the item's field)."""

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy

from nuanxin.core.errors import DomainError, show_on_form
from nuanxin.core.scoping import Scope
from nuanxin.inspections.models import ChecklistVersion, Visit
from nuanxin.territory.models import Place
from nuanxin.volunteers.activities.actions import record_campaign_check
from nuanxin.volunteers.models import Activity

NOTE_MAX = 500
YES_NO = [("yes", gettext_lazy("Yes")), ("no", gettext_lazy("No"))]


def item_field(code: str) -> str:
    return f"item_{code}"


class ChecklistForm(forms.Form):
    """One field per item of the version, plus a note. Photo items take image files."""

    note = forms.CharField(
        label=gettext_lazy("Note"), max_length=NOTE_MAX, required=False, widget=forms.Textarea(attrs={"rows": 2})
    )

    def __init__(self, *args: Any, version: ChecklistVersion, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.items: list[dict[str, Any]] = list(version.items)
        fields: dict[str, forms.Field] = {}
        for item in self.items:
            fields[item_field(item["code"])] = _field_for(item)
        self.fields = {**fields, "note": self.fields["note"]}  # type: ignore[assignment]

    def answers(self) -> dict[str, Any]:
        """The answers in the types the checklist expects; blanks left out."""
        answers: dict[str, Any] = {}
        for item in self.items:
            value: Any = self.cleaned_data.get(item_field(item["code"]))
            if item["kind"] == "photo" or value is None or value == "":
                continue
            if item["kind"] == "yes_no":
                value = value == "yes"
            elif item["kind"] == "number":
                value = int(value) if float(value).is_integer() else float(value)
            answers[item["code"]] = value
        return answers

    def photos(self) -> list[tuple[str, Any]]:
        """(item code, uploaded file) for each photo item answered."""
        return [
            (item["code"], self.files[item_field(item["code"])])
            for item in self.items
            if item["kind"] == "photo" and self.files and item_field(item["code"]) in self.files
        ]

    def show(self, exc: DomainError) -> None:
        """A refusal of record_check at the item it names ("answers.<code>"), else above."""
        field = exc.field or ""
        if field.startswith("answers."):
            field = item_field(field.removeprefix("answers."))
        elif field == "photos":
            field = next((item_field(i["code"]) for i in self.items if i["kind"] == "photo"), "")
        show_on_form(self, exc, field=field)


def _field_for(item: dict[str, Any]) -> forms.Field:
    label, required = item["label"], bool(item.get("required"))
    kind = item["kind"]
    if kind == "yes_no":
        return forms.ChoiceField(label=label, required=required, choices=YES_NO, widget=forms.RadioSelect)
    if kind == "number":
        return forms.FloatField(label=label, required=required)
    if kind == "choice":
        choices = [(c["key"], c["label"]) for c in item.get("choices", [])]
        return forms.ChoiceField(label=label, required=required, choices=choices, widget=forms.RadioSelect)
    if kind == "photo":
        return forms.ImageField(label=label, required=required)
    return forms.CharField(label=label, required=required, max_length=1000, widget=forms.Textarea(attrs={"rows": 2}))


def record_check_from_form(
    *, actor: Any, scope: Scope, activity: Activity, place: Place, version: ChecklistVersion, form: ChecklistForm
) -> Visit:
    """Record the check through the actions (the place must lie in the activity's area; the
    inspections action checks the answers and the recorder's permission, and opens a
    rectification order for hazards)."""
    return record_campaign_check(
        actor=actor,
        scope=scope,
        activity=activity,
        place=place,
        template=version.template,
        answers=form.answers(),
        note=form.cleaned_data.get("note", ""),
        photos=form.photos(),
    )
