"""Form pieces every app's public forms share."""

from django import forms
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy


class HoneypotForm(forms.Form):
    """A form open to people without an account, with a honeypot: `website`, hidden from people
    (the template puts it in a `hidden` block), filled in by form-filling bots. A form that
    comes back with it filled is refused at that field (a 400 saying so, nothing written)."""

    website = forms.CharField(
        label=gettext_lazy("Website"),
        required=False,
        widget=forms.TextInput(attrs={"tabindex": "-1", "autocomplete": "off"}),
    )

    def clean_website(self) -> str:
        if self.cleaned_data.get("website"):
            raise forms.ValidationError(_("This form was not sent by a person."))
        return ""
