"""The registry of the demo's history steps: order, replacement, and the demo app's own."""

from datetime import date

from nuanxin.core import demo_history


def test_steps_run_by_order_then_name_and_a_name_registers_once(monkeypatch):
    monkeypatch.setattr(demo_history, "_steps", {})

    def first(context, start, end):
        return {"first": 1}

    def second(context, start, end):
        return {"second": 2}

    demo_history.register("voice", second, order=60)
    demo_history.register("party", second, order=60)
    demo_history.register("cases", first, order=10)
    demo_history.register("voice", first, order=5)  # registered again: replaced
    assert [(s.name, s.order) for s in demo_history.steps()] == [("voice", 5), ("cases", 10), ("party", 60)]
    assert demo_history.steps()[0].run(None, date(2023, 7, 1), date(2026, 12, 7)) == {"first": 1}


def test_the_demo_app_registers_its_own_history():
    names = [step.name for step in demo_history.steps()]
    for name in ("cases", "inspections", "stations", "volunteers", "rewards"):
        assert name in names
    assert names.index("cases") < names.index("inspections") < names.index("volunteers") < names.index("rewards")
