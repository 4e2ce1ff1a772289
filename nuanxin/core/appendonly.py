"""Rows that are only ever added (the audit log, watch changes, points entries) and rows that
change but are never deleted (service records).

`AppendOnlyMixin` refuses updates and deletes on a query set; `AppendOnlyModel` refuses
saving a row again and deleting it; `NeverDeletedQuerySet` and `NeverDeletedModel` refuse
deleting only. All raise PermissionError (a programming error, never a user's): the domain
corrects such records by adding a new row.
"""

from typing import Any, NoReturn

from django.db import models


def _refuse(model: type[models.Model]) -> NoReturn:
    raise PermissionError(f"{model._meta.label} rows are append-only")


class AppendOnlyMixin:
    model: type[models.Model]

    def update(self, **kwargs: Any) -> NoReturn:
        _refuse(self.model)

    def delete(self) -> NoReturn:
        _refuse(self.model)


class AppendOnlyQuerySet(AppendOnlyMixin, models.QuerySet[Any]):  # type: ignore[misc]
    pass


class AppendOnlyModel(models.Model):
    class Meta:
        abstract = True

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.pk is not None:
            _refuse(type(self))
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> NoReturn:
        _refuse(type(self))


class NeverDeletedQuerySet(models.QuerySet[Any]):
    def delete(self) -> NoReturn:  # type: ignore[override]
        _refuse(self.model)


class NeverDeletedModel(models.Model):
    class Meta:
        abstract = True

    def delete(self, *args: Any, **kwargs: Any) -> NoReturn:
        _refuse(type(self))
