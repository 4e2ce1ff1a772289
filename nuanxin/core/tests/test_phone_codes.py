"""Text messages to a phone (core.notifications.send_text) and the one-time codes sent by them
(core.phone_codes): the SMS gateway webhook, the demo mode's development sink, and a failing
gateway, which keeps no code."""

import json
import logging
from typing import Any

import pytest

from nuanxin.core import notifications, phone_codes
from nuanxin.core.errors import DomainError
from nuanxin.core.notifications import webhook_signature
from nuanxin.core.tests.test_notifications import SECRET, Receiver

PHONE = "13700001111"
TEXT = "code %(code)s, %(minutes)d minutes"


@pytest.fixture(autouse=True)
def _clean(settings: Any) -> Any:
    settings.NUANXIN_SMS_WEBHOOK_URL = ""
    settings.NUANXIN_DEMO = False
    notifications.dev_texts.clear()
    yield
    notifications.dev_texts.clear()


@pytest.fixture
def gateway(settings: Any) -> Any:
    server = Receiver()
    settings.NUANXIN_SMS_WEBHOOK_URL = server.url
    settings.NUANXIN_WEBHOOK_SECRET = SECRET
    yield server
    server.close()


def test_a_code_goes_to_the_sms_gateway_signed_and_works_once(world: Any, gateway: Any, settings: Any) -> None:
    settings.NUANXIN_DEMO = True  # a gateway wins over the development sink
    sent = phone_codes.send_code(phone=PHONE, purpose="join", text=TEXT)
    assert sent.channel == "sms" and sent.shown == "" and not notifications.dev_texts
    (request,) = gateway.requests
    body = json.loads(request["body"])
    assert body["phone"] == PHONE and body["kind"] == "join.code"
    assert request["headers"]["X-Nuanxin-Signature"] == webhook_signature(request["body"], SECRET)
    code = body["text"].split()[1].rstrip(",")
    assert len(code) == 6 and code.isdigit() and "10 minutes" in body["text"]
    phone_codes.check_code(phone=PHONE, purpose="join", code=code)
    phone_codes.forget_code(phone=PHONE, purpose="join")
    with pytest.raises(DomainError) as gone:
        phone_codes.check_code(phone=PHONE, purpose="join", code=code)
    assert gone.value.field == "code" and gone.value.code == "expired"


def test_a_failing_gateway_is_a_message_at_the_phone_and_keeps_no_code(world: Any, gateway: Any) -> None:
    gateway.status = 500
    with pytest.raises(DomainError) as refused:
        phone_codes.send_code(phone=PHONE, purpose="join", text=TEXT)
    assert refused.value.field == "phone" and refused.value.code == "not_sent"
    with pytest.raises(DomainError) as none:
        phone_codes.check_code(phone=PHONE, purpose="join", code="000000")
    assert none.value.code == "expired"


def test_the_development_sink_logs_the_phone_masked(world: Any, settings: Any, caplog: Any) -> None:
    settings.NUANXIN_DEMO = True
    with caplog.at_level(logging.WARNING, logger="nuanxin.core.notifications"):
        sent = phone_codes.send_code(phone=PHONE, purpose="join", text=TEXT)
    assert sent.channel == "dev" and notifications.dev_texts[-1] == (PHONE, sent.shown)
    assert "137****1111" in caplog.text and PHONE not in caplog.text


def test_without_a_channel_nothing_is_sent(world: Any) -> None:
    with pytest.raises(DomainError) as refused:
        notifications.send_text(phone=PHONE, kind="join.code", text="x")
    assert refused.value.field == "phone" and refused.value.code == "no_channel"
