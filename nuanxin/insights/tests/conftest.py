from nuanxin.inspections.tests.conftest import shared_watch, watch  # noqa: F401 (fixtures)
