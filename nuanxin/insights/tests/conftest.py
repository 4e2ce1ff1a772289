from nuanxin.inspections.tests.conftest import people, watch  # noqa: F401  (fixtures)
