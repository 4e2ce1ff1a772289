"""China's official holidays and make-up workdays, 2023-2026 (国务院办公厅 notices).

The table is frozen here on purpose: later corrections are made as rows in the admin (or a new
migration), never by editing this one. Sources: 国办发明电〔2022〕16号 (2023), 〔2023〕7号 (2024),
〔2024〕12号 (2025), 〔2025〕7号 (2026).
"""

from datetime import date, timedelta

from django.db import migrations

# (name, first day off, last day off, make-up workdays)
SCHEDULE: list[tuple[str, str, str, list[str]]] = [
    # 2023
    ("元旦", "2023-01-02", "2023-01-02", []),
    ("春节", "2023-01-21", "2023-01-27", ["2023-01-28", "2023-01-29"]),
    ("清明节", "2023-04-05", "2023-04-05", []),
    ("劳动节", "2023-04-29", "2023-05-03", ["2023-04-23", "2023-05-06"]),
    ("端午节", "2023-06-22", "2023-06-24", ["2023-06-25"]),
    ("中秋节、国庆节", "2023-09-29", "2023-10-06", ["2023-10-07", "2023-10-08"]),
    # 2024
    ("元旦", "2024-01-01", "2024-01-01", []),
    ("春节", "2024-02-10", "2024-02-17", ["2024-02-04", "2024-02-18"]),
    ("清明节", "2024-04-04", "2024-04-06", ["2024-04-07"]),
    ("劳动节", "2024-05-01", "2024-05-05", ["2024-04-28", "2024-05-11"]),
    ("端午节", "2024-06-10", "2024-06-10", []),
    ("中秋节", "2024-09-15", "2024-09-17", ["2024-09-14"]),
    ("国庆节", "2024-10-01", "2024-10-07", ["2024-09-29", "2024-10-12"]),
    # 2025
    ("元旦", "2025-01-01", "2025-01-01", []),
    ("春节", "2025-01-28", "2025-02-04", ["2025-01-26", "2025-02-08"]),
    ("清明节", "2025-04-04", "2025-04-06", []),
    ("劳动节", "2025-05-01", "2025-05-05", ["2025-04-27"]),
    ("端午节", "2025-05-31", "2025-06-02", []),
    ("国庆节、中秋节", "2025-10-01", "2025-10-08", ["2025-09-28", "2025-10-11"]),
    # 2026
    ("元旦", "2026-01-01", "2026-01-03", ["2026-01-04"]),
    ("春节", "2026-02-15", "2026-02-23", ["2026-02-14", "2026-02-28"]),
    ("清明节", "2026-04-04", "2026-04-06", []),
    ("劳动节", "2026-05-01", "2026-05-05", ["2026-05-09"]),
    ("端午节", "2026-06-19", "2026-06-21", []),
    ("中秋节", "2026-09-25", "2026-09-27", []),
    ("国庆节", "2026-10-01", "2026-10-07", ["2026-09-20", "2026-10-10"]),
]


def rows() -> list[tuple[date, str, str]]:
    """(date, kind, name) for every listed day; tests load the same rows."""
    out = []
    for name, first, last, makeup in SCHEDULE:
        day, end = date.fromisoformat(first), date.fromisoformat(last)
        while day <= end:
            out.append((day, "holiday", name))
            day += timedelta(days=1)
        out.extend((date.fromisoformat(d), "workday", name) for d in makeup)
    return out


def load(apps, schema_editor):
    CalendarDay = apps.get_model("core", "CalendarDay")
    CalendarDay.objects.bulk_create(
        [CalendarDay(date=day, kind=kind, name=name) for day, kind, name in rows()], ignore_conflicts=True
    )


def unload(apps, schema_editor):
    CalendarDay = apps.get_model("core", "CalendarDay")
    CalendarDay.objects.filter(date__in=[day for day, _, _ in rows()]).delete()


class Migration(migrations.Migration):
    dependencies = [("core", "0002_calendarday")]

    operations = [migrations.RunPython(load, unload)]
