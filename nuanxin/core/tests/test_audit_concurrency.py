"""Appends from many threads at once still form one unbroken chain (PostgreSQL)."""

import threading

import pytest
from django.db import connection, connections

from nuanxin.core import audit
from nuanxin.core.models import AuditEntry

pytestmark = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="SQLite test databases are in memory; real concurrency needs a server"
)


@pytest.mark.django_db(transaction=True)
def test_parallel_appends_keep_the_chain_intact():
    errors: list[BaseException] = []

    def writer(n: int) -> None:
        try:
            for i in range(10):
                audit.record("test.parallel", object_repr=f"writer {n} entry {i}")
        except BaseException as exc:  # noqa: BLE001 - reported by the assertion below
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert AuditEntry.objects.filter(action="test.parallel").count() == 80
    assert audit.verify_chain() == []
