"""Notifications: the in-app row, e-mail and webhook deliveries after commit, failures kept and
retried, the inbox page, the badge and the API."""

import hashlib
import hmac
import json
import socket
import threading
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from io import StringIO
from typing import Any

import pytest
from django.core import mail
from django.core.management import call_command
from django.db import transaction
from django.test import Client
from django.utils import timezone

from nuanxin.core import notifications
from nuanxin.core.context_processors import notifications as badge_processor
from nuanxin.core.models import Delivery, Notification
from nuanxin.core.notifications import notify, retry_deliveries, webhook_signature

SECRET = "test-webhook-secret"


class Receiver:
    """A webhook receiver on 127.0.0.1 in a thread: records each POST and answers `status`."""

    def __init__(self) -> None:
        self.status = 200
        self.requests: list[dict[str, Any]] = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 (http.server's name)
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                receiver.requests.append({"path": self.path, "headers": dict(self.headers), "body": body})
                self.send_response(receiver.status)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"ok")

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=5)


@pytest.fixture
def receiver(settings: Any) -> Any:
    server = Receiver()
    settings.NUANXIN_NOTIFY_CHANNELS = "webhook"
    settings.NUANXIN_WEBHOOK_URL = server.url
    settings.NUANXIN_WEBHOOK_SECRET = SECRET
    settings.NUANXIN_WEBHOOK_TIMEOUT = 5
    yield server
    server.close()


def closed_port_url() -> str:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}/hook"


def _notify(*users: Any, **extra: Any) -> list[Notification]:
    extra.setdefault("kind", "test.hello")
    extra.setdefault("title", "Case 20240101-0001 needs you")
    extra.setdefault("body", "Sanitation in grid 1.")
    extra.setdefault("url", "/cases/1/")
    return notify(recipients=users, **extra)


# --- the interface -----------------------------------------------------------------------------


def test_notify_writes_one_row_per_active_recipient(world):
    world.grid2_worker.is_active = False
    world.grid2_worker.save()
    notes = _notify(world.grid1_worker, world.grid1_worker, None, world.community_staff, world.grid2_worker)
    assert {n.recipient for n in notes} == {world.grid1_worker, world.community_staff}
    assert Notification.objects.count() == 2


def test_a_rolled_back_caller_leaves_no_notification(world):
    with pytest.raises(RuntimeError), transaction.atomic():
        _notify(world.grid1_worker)
        raise RuntimeError("the action failed")
    assert Notification.objects.count() == 0 and Delivery.objects.count() == 0


def test_channels_not_set_up_make_no_delivery(world, settings):
    settings.NUANXIN_NOTIFY_CHANNELS = "email,webhook,pigeon"
    settings.EMAIL_HOST = ""
    settings.NUANXIN_WEBHOOK_URL = ""
    _notify(world.grid1_worker)
    assert Notification.objects.count() == 1 and Delivery.objects.count() == 0


def test_webhook_is_posted_after_commit_with_a_valid_signature(world, receiver, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        (note,) = _notify(world.grid1_worker)
        assert receiver.requests == []  # nothing leaves before the commit
    assert Delivery.objects.get().status == "pending"
    for callback in callbacks:
        callback()
    (request,) = receiver.requests
    expected = "sha256=" + hmac.new(SECRET.encode(), request["body"], hashlib.sha256).hexdigest()
    assert request["headers"]["X-Nuanxin-Signature"] == expected == webhook_signature(request["body"], SECRET)
    payload = json.loads(request["body"])
    assert payload["id"] == note.pk and payload["kind"] == "test.hello" and payload["url"] == "/cases/1/"
    delivery = Delivery.objects.get()
    assert (delivery.status, delivery.attempts, delivery.last_error) == ("sent", 1, "")
    assert delivery.sent_at is not None


def test_webhook_links_are_absolute_when_the_site_url_is_set(
    world, receiver, settings, django_capture_on_commit_callbacks
):
    settings.NUANXIN_SITE_URL = "https://nuanxin.example.org/"
    with django_capture_on_commit_callbacks(execute=True):
        _notify(world.grid1_worker)
    assert json.loads(receiver.requests[0]["body"])["url"] == "https://nuanxin.example.org/cases/1/"


@pytest.mark.parametrize("answer", [500, 302])
def test_a_webhook_answering_an_error_fails_the_delivery_and_a_retry_sends_it_later(
    world, receiver, answer, django_capture_on_commit_callbacks
):
    receiver.status = answer
    with django_capture_on_commit_callbacks(execute=True):
        (note,) = _notify(world.grid1_worker)
    delivery = Delivery.objects.get()
    assert delivery.status == "failed" and str(answer) in delivery.last_error and delivery.attempts == 1
    assert Notification.objects.filter(pk=note.pk).exists()  # still in the app

    receiver.status = 200
    assert retry_deliveries() == 0  # its pause has not passed yet
    assert retry_deliveries(now=timezone.now() + timedelta(minutes=2)) == 1
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == ("sent", 2)
    assert len(receiver.requests) == 2


def test_a_closed_port_fails_the_delivery_without_raising(world, settings, django_capture_on_commit_callbacks):
    settings.NUANXIN_NOTIFY_CHANNELS = "webhook"
    settings.NUANXIN_WEBHOOK_URL = closed_port_url()
    with django_capture_on_commit_callbacks(execute=True):
        _notify(world.grid1_worker)
    delivery = Delivery.objects.get()
    assert delivery.status == "failed" and "URLError" in delivery.last_error


def test_retries_stop_after_the_maximum(world, settings, django_capture_on_commit_callbacks):
    settings.NUANXIN_NOTIFY_CHANNELS = "webhook"
    settings.NUANXIN_WEBHOOK_URL = closed_port_url()
    settings.NUANXIN_NOTIFY_MAX_ATTEMPTS = 3
    with django_capture_on_commit_callbacks(execute=True):
        _notify(world.grid1_worker)
    later = timezone.now()
    for _ in range(5):
        later += timedelta(hours=1)
        retry_deliveries(now=later)
    delivery = Delivery.objects.get()
    assert (delivery.status, delivery.attempts) == ("failed", 3)


def test_a_lost_queue_leaves_the_delivery_pending_for_the_retry_job(
    world, receiver, monkeypatch, django_capture_on_commit_callbacks
):
    class BrokenQueue:
        def enqueue(self, **kwargs: Any) -> None:
            raise ConnectionError("queue down")

    monkeypatch.setattr(notifications, "deliver_notifications", BrokenQueue())
    with django_capture_on_commit_callbacks(execute=True):
        _notify(world.grid1_worker)  # does not raise
    assert Delivery.objects.get().status == "pending"
    assert retry_deliveries(now=timezone.now() + timedelta(minutes=2)) == 1
    assert Delivery.objects.get().status == "sent" and len(receiver.requests) == 1


def test_the_retry_command_retries(world, settings, receiver, django_capture_on_commit_callbacks):
    receiver.status = 500
    with django_capture_on_commit_callbacks(execute=True):
        _notify(world.grid1_worker)
    Delivery.objects.update(last_attempt_at=timezone.now() - timedelta(hours=1))
    receiver.status = 200
    out = StringIO()
    call_command("retry_notifications", stdout=out)
    assert "sent 1" in out.getvalue() and Delivery.objects.get().status == "sent"


def test_email_goes_to_recipients_with_an_address_and_skips_the_others(
    world, settings, django_capture_on_commit_callbacks
):
    settings.NUANXIN_NOTIFY_CHANNELS = "email"
    settings.EMAIL_HOST = "smtp.example.org"
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    settings.NUANXIN_SITE_URL = "https://nuanxin.example.org"
    world.grid1_worker.email = "worker@example.org"
    world.grid1_worker.save()
    with django_capture_on_commit_callbacks(execute=True):
        _notify(world.grid1_worker, world.community_staff)
    (message,) = mail.outbox
    assert message.to == ["worker@example.org"] and message.subject == "Case 20240101-0001 needs you"
    assert "https://nuanxin.example.org/cases/1/" in message.body
    statuses = dict(Delivery.objects.values_list("notification__recipient__username", "status"))
    assert statuses == {"grid1-worker": "sent", "community-staff": "skipped"}


def test_a_failing_mail_server_fails_only_the_email(world, settings, receiver, django_capture_on_commit_callbacks):
    settings.NUANXIN_NOTIFY_CHANNELS = "email,webhook"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = int(closed_port_url().rsplit(":", 1)[1].split("/")[0])
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    world.grid1_worker.email = "worker@example.org"
    world.grid1_worker.save()
    with django_capture_on_commit_callbacks(execute=True):
        _notify(world.grid1_worker)
    assert dict(Delivery.objects.values_list("channel", "status")) == {"email": "failed", "webhook": "sent"}


# --- the inbox page and the badge ------------------------------------------------------------


def test_the_page_lists_only_my_notifications_newest_first(world, client_for):
    now = timezone.now()
    _notify(world.grid1_worker, title="older", now=now - timedelta(hours=1))
    _notify(world.grid1_worker, title="newer", now=now)
    _notify(world.grid2_worker, title="someone else's")
    page = client_for("grid1_worker").get("/notifications/").content.decode()
    assert page.index("newer") < page.index("older") and "someone else" not in page
    assert 'class="badge"' in page


def test_the_page_needs_a_sign_in(world):
    response = Client().get("/notifications/")
    assert response.status_code == 302 and "/accounts/" in response["Location"]


def test_open_marks_read_and_goes_to_the_link(world, client_for):
    (note,) = _notify(world.grid1_worker, url="/cases/7/")
    response = client_for("grid1_worker").post(f"/notifications/{note.pk}/read/", {"open": "1"})
    assert response.status_code == 302 and response["Location"] == "/cases/7/"
    note.refresh_from_db()
    assert note.read_at is not None


def test_marking_another_users_notification_is_404(world, client_for):
    (note,) = _notify(world.grid2_worker)
    assert client_for("grid1_worker").post(f"/notifications/{note.pk}/read/").status_code == 404
    assert client_for("system_admin").post(f"/notifications/{note.pk}/read/").status_code == 404
    note.refresh_from_db()
    assert note.read_at is None


def test_mark_all_read_touches_only_mine(world, client_for):
    _notify(world.grid1_worker)
    _notify(world.grid1_worker)
    (theirs,) = _notify(world.grid2_worker)
    response = client_for("grid1_worker").post("/notifications/read-all/")
    assert response.status_code == 302
    assert not Notification.objects.filter(recipient=world.grid1_worker, read_at__isnull=True).exists()
    theirs.refresh_from_db()
    assert theirs.read_at is None
    page = client_for("grid1_worker").get("/notifications/").content.decode()
    assert 'class="badge"' not in page


def test_the_badge_costs_one_query_and_caps_at_99(world, rf, django_assert_num_queries):
    for _ in range(120):
        _notify(world.grid1_worker)
    request = rf.get("/")
    request.user = world.grid1_worker
    context = badge_processor(request)
    with django_assert_num_queries(1):
        assert str(context["unread_notifications"]) == "99+"


# --- the API -----------------------------------------------------------------------------------


def test_api_lists_my_notifications_paged(world, client_for):
    for n in range(3):
        _notify(world.grid1_worker, title=f"note {n}", now=timezone.now() + timedelta(seconds=n))
    _notify(world.grid2_worker, title="not mine")
    body = client_for("grid1_worker").get("/api/v1/notifications?limit=2").json()
    assert body["count"] == 3 and [item["title"] for item in body["items"]] == ["note 2", "note 1"]


def test_api_needs_credentials(world):
    assert Client().get("/api/v1/notifications").status_code == 401


def test_api_marks_my_notification_read(world, client_for):
    (note,) = _notify(world.grid1_worker)
    response = client_for("grid1_worker").post(f"/api/v1/notifications/{note.pk}/read")
    assert response.status_code == 200 and response.json()["read_at"] is not None
    unread = client_for("grid1_worker").get("/api/v1/notifications?unread=true").json()
    assert unread["count"] == 0


def test_api_read_of_another_users_notification_is_404(world, client_for):
    (note,) = _notify(world.grid2_worker)
    response = client_for("grid1_worker").post(f"/api/v1/notifications/{note.pk}/read")
    assert response.status_code == 404 and response.json()["code"] == "not_found"
    note.refresh_from_db()
    assert note.read_at is None


def test_api_bad_id_is_422(world, client_for):
    assert client_for("grid1_worker").post("/api/v1/notifications/0/read").status_code == 422


def test_deliveries_use_the_module_settings_at_call_time(world, settings):
    settings.NUANXIN_NOTIFY_CHANNELS = ["webhook"]
    settings.NUANXIN_WEBHOOK_URL = "http://127.0.0.1:9/hook"
    assert notifications.active_channels() == ["webhook"]
    settings.NUANXIN_WEBHOOK_URL = ""
    assert notifications.active_channels() == []
