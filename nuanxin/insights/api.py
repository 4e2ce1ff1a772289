"""Period figures over the API: the same numbers as the console page (insights/queries.py)."""

from typing import Any

from ninja import Query, Router

from nuanxin.core.http import ScopedRequest
from nuanxin.core.schemas import built_answer
from nuanxin.insights import queries

router = Router(tags=["insights"])


@router.get("/period", response=dict[str, Any])
@built_answer
def period(
    request: ScopedRequest,
    node: str = "",
    start: str = Query("", alias="from"),
    to: str = "",
) -> dict[str, Any]:
    """Figures for a node of the caller's territory (default: their topmost node where they
    hold insights.view) over `from`..`to` (YYYY-MM-DD, both included; default this quarter
    so far; at most five years): see docs/insights.md. A bad date or node is a 400 naming it;
    a node outside the caller's reach, or a caller without insights.view, is a 404."""
    area = queries.node_or_404(request.scope, node)
    first, last = queries.parse_period(start, to)
    return queries.period_figures(request.scope, area, first, last).as_dict()
