"""Behind a reverse proxy, for real: waitress with ``ristra serve``'s own options
(:func:`ristra.web.server.waitress_options`) on a free port, sent requests with and without the
forwarded headers. ``X-Forwarded-Proto`` and ``X-Forwarded-For`` are believed only from
``RISTRA_TRUSTED_PROXY``; sign-in throttling then counts the real client, not the proxy."""

from __future__ import annotations

import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
import requests
from django.test import override_settings

from ristra.web.config import UnsafeConfiguration, WebConfig
from ristra.web.people import create_person
from ristra.web.roles import Role

GOOD_KEY = "k" * 20 + "abcdefghijklmnopqrstuvwxyz0123456789"
PASSWORD = "correct horse battery staple 7"
HOST = {"Host": "localhost"}


@contextmanager
def serving(**settings: Any) -> Iterator[str]:
    """waitress in a thread over the test settings (changed by ``settings``); yields its address."""
    import waitress
    from django.core.wsgi import get_wsgi_application

    from ristra.web.server import waitress_options

    with override_settings(**settings):
        server = waitress.create_server(get_wsgi_application(), host="127.0.0.1", port=0, threads=2,
                                        **waitress_options())
        stop = threading.Event()

        def run() -> None:  # waitress's own loop, a step at a time so that it can be stopped
            while not stop.is_set():
                server.asyncore.loop(timeout=0.05, map=server._map, count=1)

        thread = threading.Thread(target=run, name="test-waitress", daemon=True)
        thread.start()
        try:
            yield f"http://127.0.0.1:{server.effective_port}"
        finally:
            stop.set()
            thread.join(timeout=10)
            server.task_dispatcher.shutdown()
            server.asyncore.close_all(server._map, ignore_all=True)


BEHIND_TLS = {"SECURE_SSL_REDIRECT": True, "SECURE_PROXY_SSL_HEADER": ("HTTP_X_FORWARDED_PROTO", "https")}


def test_the_trusted_proxy_comes_from_the_configuration(tmp_path: Path) -> None:
    env = {"RISTRA_DATA_DIR": str(tmp_path), "RISTRA_SECRET_KEY": GOOD_KEY}
    assert WebConfig.from_environ(env).trusted_proxy is None
    assert WebConfig.from_environ({**env, "RISTRA_BEHIND_PROXY": "true"}).trusted_proxy == "127.0.0.1"
    config = WebConfig.from_environ({**env, "RISTRA_BEHIND_PROXY": "true", "RISTRA_TRUSTED_PROXY": "10.0.0.7"})
    assert config.trusted_proxy == "10.0.0.7"
    with pytest.raises(UnsafeConfiguration, match="RISTRA_TRUSTED_PROXY must be"):
        WebConfig.from_environ({**env, "RISTRA_BEHIND_PROXY": "true", "RISTRA_TRUSTED_PROXY": "proxy.example"})
    with pytest.raises(UnsafeConfiguration, match="RISTRA_BEHIND_PROXY"):
        WebConfig.from_environ({**env, "RISTRA_TRUSTED_PROXY": "127.0.0.1"})


def test_https_from_the_trusted_proxy_is_believed_and_not_redirected(database: str, data_dir: Path) -> None:
    with serving(**BEHIND_TLS, RISTRA_TRUSTED_PROXY="127.0.0.1") as url:
        proxied = requests.get(f"{url}/about/", headers={**HOST, "X-Forwarded-Proto": "https"},
                               allow_redirects=False, timeout=30)
        assert proxied.status_code == 200, proxied.headers.get("Location")
        plain = requests.get(f"{url}/about/", headers=HOST, allow_redirects=False, timeout=30)
        assert plain.status_code == 301
        assert plain.headers["Location"] == "https://localhost/about/"


def test_forwarded_headers_from_anyone_else_are_dropped(database: str, data_dir: Path) -> None:
    with serving(**BEHIND_TLS, RISTRA_TRUSTED_PROXY="192.0.2.10") as url:
        spoofed = requests.get(f"{url}/about/", headers={**HOST, "X-Forwarded-Proto": "https"},
                               allow_redirects=False, timeout=30)
        assert spoofed.status_code == 301


def _sign_in(url: str, client: str, name: str, password: str) -> int:
    """One sign-in attempt from ``client`` (as the proxy names it); the HTTP status."""
    session = requests.Session()
    headers = {**HOST, "X-Forwarded-For": client}
    form = session.get(f"{url}/login/", headers=headers, timeout=30)
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', form.text)
    assert form.status_code == 200
    assert token is not None
    answer = session.post(f"{url}/login/", headers=headers, allow_redirects=False, timeout=30,
                          data={"username": name, "password": password, "csrfmiddlewaretoken": token.group(1)})
    return answer.status_code


@pytest.mark.transactional
def test_throttling_counts_the_client_behind_the_proxy_and_the_account(database: str, data_dir: Path) -> None:
    from axes.models import AccessAttempt

    create_person("erin", Role.ANALYST, PASSWORD)
    create_person("fran", Role.VIEWER, PASSWORD)
    with serving(RISTRA_TRUSTED_PROXY="127.0.0.1") as url:
        for attempt in range(5):  # one client guesses at five accounts
            assert _sign_in(url, "198.51.100.7", f"nobody-{attempt}", "wrong") in (200, 429)
        assert _sign_in(url, "198.51.100.7", "erin", PASSWORD) == 429  # that client is locked out
        assert _sign_in(url, "198.51.100.8", "erin", PASSWORD) == 302  # the others behind the proxy are not
        for _ in range(5):  # five wrong passwords for one account, from five clients
            assert _sign_in(url, f"203.0.113.{_ + 1}", "fran", "wrong") in (200, 429)
        assert _sign_in(url, "203.0.113.99", "fran", PASSWORD) == 429  # the account is locked
        assert _sign_in(url, "203.0.113.99", "erin", PASSWORD) == 302
    addresses = set(AccessAttempt.objects.values_list("ip_address", flat=True))
    assert "198.51.100.7" in addresses
    assert "127.0.0.1" not in addresses
