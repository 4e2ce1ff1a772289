from django import template

from nuanxin.accounts.roles import Role

register = template.Library()


@register.filter
def role_labels(codes: str) -> str:
    """ "grid_worker,auditor" -> the roles' display names, in the current language."""
    labels = {value: label for value, label in Role.choices}
    return "、".join(str(labels.get(code, code)) for code in codes.split(",") if code)
