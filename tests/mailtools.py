"""Helpers for the mail tests: point an Env at a real SMTP server, read what it received,
and SMTP servers that misbehave on purpose (refuse a recipient, crash mid-batch, ask for a login)."""

from __future__ import annotations

import asyncio
import socket
import threading
from datetime import datetime
from email import message_from_bytes, policy
from zoneinfo import ZoneInfo

from insday.env import Env
from insday.settings import Settings, get_settings

TZ = ZoneInfo("Asia/Shanghai")


def at(text: str) -> datetime:
    """A local campaign time: at("2019-06-27 09:00")."""
    return datetime.fromisoformat(text).replace(tzinfo=TZ)


def mail_env(env: Env, monkeypatch, server=None, **settings) -> Env:
    """``env`` with SMTP settings pointing at ``server`` (None: no SMTP host, .eml files)."""
    values = {**(server.settings_env() if server else {}), "INSDAY_SMTP_RETRY_DELAY": "0.02",
              **{f"INSDAY_{k.upper()}": str(v) for k, v in settings.items()}}
    for name, value in values.items():
        monkeypatch.setenv(name, value)
    get_settings.cache_clear()
    return Env(Settings(), env.campaign)


def parse(data: bytes):
    return message_from_bytes(data, policy=policy.default)


def by_header(messages, name: str, value: str) -> list:
    return [m for m in messages if m[name] == value]


class Server:
    """A real aiosmtpd server on 127.0.0.1 with a handler the test chooses."""

    def __init__(self, handler, port: int, **controller):
        self.handler, self.port, self.controller_args = handler, port, controller
        self._controller = None

    def start(self) -> None:
        from aiosmtpd.controller import Controller

        self._controller = Controller(self.handler, hostname="127.0.0.1", port=self.port, **self.controller_args)
        self._controller.start()

    def stop(self) -> None:
        if self._controller:
            self._controller.stop()
            self._controller = None

    def settings_env(self) -> dict[str, str]:
        return smtp_settings(self.port)


def smtp_settings(port: int) -> dict[str, str]:
    return {"INSDAY_SMTP_HOST": "127.0.0.1", "INSDAY_SMTP_PORT": str(port), "INSDAY_SMTP_FROM": "insday@jiaia.example.org"}


class Keep:
    """Keeps every message it accepts; refuses recipients listed in ``refuse`` with 550."""

    def __init__(self, refuse=()):
        self.messages: list = []
        self.envelopes: list = []
        self.refuse = set(refuse)

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address in self.refuse:
            return "550 5.1.1 mailbox unavailable"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        self.envelopes.append(envelope)
        self.messages.append(parse(envelope.original_content or envelope.content))
        return "250 OK"


class CrashAfter(Keep):
    """Accepts ``n`` messages, then dies while the next one is being sent (no reply, server gone)."""

    def __init__(self, n: int, server_ref: list):
        super().__init__()
        self.n, self.server_ref, self.crashed = n, server_ref, threading.Event()

    async def handle_DATA(self, server, session, envelope):
        if len(self.messages) >= self.n and not self.crashed.is_set():
            self.crashed.set()
            threading.Thread(target=self.server_ref[0].stop).start()
            await asyncio.sleep(30)  # cancelled by the stop: the client never gets a reply
        return await super().handle_DATA(server, session, envelope)


class Silent:
    """A TCP listener on 127.0.0.1 that lets clients connect and never says a word (no greeting)."""

    def __init__(self):
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)  # connections complete in the backlog; none is ever accepted
        self.port = self.sock.getsockname()[1]

    def settings_env(self) -> dict[str, str]:
        return smtp_settings(self.port)

    def stop(self) -> None:
        self.sock.close()


class NoReplyAfterData(Keep):
    """Receives each message whole, then never replies to it (hangs: ``drop=False``) or drops the
    connection before the 250 (``drop=True``), for the messages whose index is in ``which``
    (default: all). What it received that way is in ``unanswered``; ``messages`` holds only
    those it acknowledged with 250."""

    def __init__(self, drop: bool, which=None):
        super().__init__()
        self.drop, self.which, self.unanswered, self.seen = drop, which, [], 0

    async def handle_DATA(self, server, session, envelope):
        n, self.seen = self.seen, self.seen + 1
        if self.which is not None and n not in self.which:
            return await super().handle_DATA(server, session, envelope)
        self.unanswered.append(parse(envelope.original_content or envelope.content))
        if self.drop:
            server.transport.abort()
        await asyncio.sleep(3600)  # cancelled when the connection goes
