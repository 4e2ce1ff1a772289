from django.contrib.auth.forms import AuthenticationForm
from django.utils.translation import gettext_lazy as _

from nuanxin.accounts.signin import signin_identifier


class LoginForm(AuthenticationForm):
    # One message for an unknown user and a wrong password (reference AUTH-3).
    error_messages = {
        "invalid_login": _("Wrong username or password."),
        "inactive": _("Wrong username or password."),
    }

    def clean_username(self) -> str:
        # One form of the identifier for the lookup and the lockout: "+86 199-5550-1234" is
        # the account of 19955501234, not five fresh tries.
        return signin_identifier(self.cleaned_data.get("username"))
