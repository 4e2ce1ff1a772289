"""A campaign check on the console: the checklist form the visit page uses
(`inspections.checklist_form.ChecklistForm`, shown by `inspections/_checklist.html`), and the
call to `inspections.actions.record_check` that records it as a visit of the campaign."""

from typing import Any

from nuanxin.core.scoping import Scope
from nuanxin.inspections.checklist_form import ChecklistForm
from nuanxin.inspections.models import ChecklistVersion, Visit
from nuanxin.territory.models import Place
from nuanxin.volunteers.activities.actions import record_campaign_check
from nuanxin.volunteers.models import Activity


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
        note=form.note,
        photos=form.photos(),
    )
