"""A real SMTP server on loopback (aiosmtpd) that records what it receives and can be told
to refuse, plus the people and improvements of the improvements tests."""

from __future__ import annotations

import email
import socket
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from email.message import EmailMessage
from email.policy import default
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from flask import Flask

from tests.improvements.conftest import entry, make_improvement, people  # noqa: F401

BASE_URL = "https://learn.example.org/app"


@dataclass
class Received:
    """One message the server accepted: envelope and the parsed MIME."""

    sender: str
    recipients: list[str]
    raw: bytes
    message: EmailMessage


@dataclass
class RecordingHandler:
    """aiosmtpd handler: accepts and records mail, or answers with queued refusals.

    ``refuse_rcpt[address]`` and ``refuse_data`` are lists of SMTP replies given, one per
    attempt, before the server accepts again (e.g. ``["451 4.3.0 try later"]``).
    """

    received: list[Received] = field(default_factory=list)
    refuse_rcpt: dict[str, list[str]] = field(default_factory=dict)
    refuse_data: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    async def handle_RCPT(self, server: Any, session: Any, envelope: Any, address: str, options):
        with self.lock:
            queued = self.refuse_rcpt.get(address)
            if queued:
                return queued.pop(0)
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        with self.lock:
            if self.refuse_data:
                return self.refuse_data.pop(0)
            raw = envelope.original_content or envelope.content
            parsed = email.message_from_bytes(raw, policy=default)
            self.received.append(
                Received(envelope.mail_from, list(envelope.rcpt_tos), raw, parsed)  # type: ignore[arg-type]
            )
        return "250 Message accepted for delivery"

    def to(self, address: str) -> list[Received]:
        return [r for r in self.received if address in r.recipients]


class LoopbackController(Controller):
    """aiosmtpd's Controller on a port the system picks (port 0), read back once bound."""

    def _trigger_server(self) -> None:
        self.port = self.server.sockets[0].getsockname()[1]
        super()._trigger_server()


@pytest.fixture
def smtp_server() -> Iterator[tuple[RecordingHandler, int]]:
    handler = RecordingHandler()
    controller = LoopbackController(handler, hostname="127.0.0.1", port=0)
    controller.start()
    try:
        yield handler, controller.port
    finally:
        controller.stop()


@pytest.fixture
def mail_app(app: Flask, smtp_server: tuple[RecordingHandler, int]) -> Flask:
    """The test app sending to the loopback server, links on ``BASE_URL``."""
    app.config.update(
        MAIL_HOST="127.0.0.1",
        MAIL_PORT=smtp_server[1],
        MAIL_BASE_URL=BASE_URL,
        MAIL_SENDER="Learn <learnapp@learn.example.org>",
        MAIL_TIMEOUT_SECONDS=5,
        MAIL_RETRY_DELAY_SECONDS=1,
        ORG_NAME="Acme",
    )
    return app


@pytest.fixture
def mailbox(mail_app: Flask, smtp_server: tuple[RecordingHandler, int]) -> RecordingHandler:
    return smtp_server[0]


def closed_port() -> int:
    """A loopback port nothing listens on (connections to it are refused)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]
