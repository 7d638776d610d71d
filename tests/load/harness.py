"""Fire many concurrent mutations at a server as signed-in people, and keep every outcome.

A *mutation kind* (see kinds.py) says what to send and how to check the database afterwards;
the runner sends them from many threads, each a real CSRF-protected POST, retrying what was
not acknowledged: after a 503 (which must carry Retry-After) and after a broken connection,
with the same form (the same idempotency key), as a person would press Send again.
"""

from __future__ import annotations

import queue
import re
import threading
import time
from collections.abc import Callable, Hashable
from dataclasses import dataclass, field
from typing import Protocol

import httpx
from sqlalchemy.engine import Engine

CSRF_TOKEN = re.compile(r'"X-CSRFToken": "([^"]+)"')
ACKNOWLEDGED = frozenset({200, 201, 204, 303})
MAX_ATTEMPTS = 20
RETRY_AFTER_CAP_S = 5.0


@dataclass(frozen=True)
class Person:
    """A signed-in account: its cookies and CSRF token, shared by every thread."""

    user_id: int
    email: str
    cookies: httpx.Cookies
    csrf_token: str


@dataclass(frozen=True)
class Mutation:
    """One POST, and ``ref``: what the kind's check looks for in the database."""

    path: str
    data: dict[str, str]
    ref: Hashable
    htmx: bool = True


@dataclass(frozen=True)
class Script:
    """Mutations one person sends in order, each after the previous was acknowledged."""

    person: int
    mutations: list[Mutation]


@dataclass
class Outcome:
    """What became of one mutation: its last status and everything seen on the way."""

    kind: str
    mutation: Mutation
    status: int | None = None
    attempts: int = 0
    busy_answers: int = 0  # 503s with Retry-After, then retried
    broken_connections: int = 0
    problems: list[str] = field(default_factory=list)

    @property
    def acknowledged(self) -> bool:
        return self.status in ACKNOWLEDGED


class MutationKind(Protocol):
    """A kind of change the load test makes (see kinds.py)."""

    name: str

    def plan(self, base_url: str, people: list[Person], count: int, engine: Engine) -> list[Script]:
        """Make what must exist first (through the app) and return ``count`` mutations,
        in scripts of one person's mutations that must run in order."""
        ...

    def check(self, engine: Engine, outcomes: list[Outcome]) -> list[str]:
        """Problems: an acknowledged mutation not stored, a stored one never requested."""
        ...


def sign_in(base_url: str, user_id: int, email: str, password: str) -> Person:
    """Sign in through the real login form; returns the session to share."""
    with httpx.Client(base_url=base_url, timeout=30) as client:
        token = CSRF_TOKEN.search(client.get("/login").text)
        assert token, "no CSRF token on the login page"
        response = client.post(
            "/login", data={"email": email, "password": password, "csrf_token": token[1]}
        )
        assert response.status_code == 303, f"sign-in failed: {response.status_code}"
        page = client.get("/entries/new")
        csrf = CSRF_TOKEN.search(page.text)
        assert csrf, "no CSRF token on the new-entry page"
        return Person(user_id, email, httpx.Cookies(client.cookies), csrf[1])


@dataclass
class LoadResult:
    """Every outcome of a run, and how long it took."""

    outcomes: list[Outcome]
    seconds: float

    def figures(self) -> dict[str, float]:
        return {
            "requests": sum(o.attempts for o in self.outcomes),
            "mutations": len(self.outcomes),
            "acknowledged": sum(o.acknowledged for o in self.outcomes),
            "503 then retried": sum(o.busy_answers for o in self.outcomes),
            "broken connections then retried": sum(o.broken_connections for o in self.outcomes),
            "seconds": round(self.seconds, 1),
        }


def fire(
    base_url: str,
    people: list[Person],
    scripts: list[tuple[str, Script]],
    threads: int,
    on_progress: Callable[[int], None] = lambda done: None,
) -> LoadResult:
    """Send every script's mutations from ``threads`` threads; return every outcome."""
    work: queue.SimpleQueue[tuple[str, Script]] = queue.SimpleQueue()
    for item in scripts:
        work.put(item)
    outcomes: list[Outcome] = []
    lock = threading.Lock()

    def worker() -> None:
        clients: dict[int, httpx.Client] = {}
        try:
            while True:
                try:
                    kind, script = work.get_nowait()
                except queue.Empty:
                    return
                person = people[script.person]
                if script.person not in clients:
                    clients[script.person] = httpx.Client(base_url=base_url, timeout=60)
                for mutation in script.mutations:
                    outcome = _send(clients[script.person], person, kind, mutation)
                    with lock:
                        outcomes.append(outcome)
                        done = len(outcomes)
                    on_progress(done)
                    if not outcome.acknowledged:
                        break  # later steps of this script depend on this one
        finally:
            for client in clients.values():
                client.close()

    started = time.monotonic()
    pool = [threading.Thread(target=worker, name=f"load-{n}") for n in range(threads)]
    for thread in pool:
        thread.start()
    for thread in pool:
        thread.join()
    return LoadResult(outcomes, time.monotonic() - started)


def _send(client: httpx.Client, person: Person, kind: str, mutation: Mutation) -> Outcome:
    outcome = Outcome(kind, mutation)
    headers = {"HX-Request": "true"} if mutation.htmx else {}
    data = {"csrf_token": person.csrf_token, **mutation.data}
    while outcome.attempts < MAX_ATTEMPTS:
        outcome.attempts += 1
        # The person's own cookies each time: a plain POST's flash message would otherwise
        # pile up in this client's session cookie.
        client.cookies = httpx.Cookies(person.cookies)
        try:
            response = client.post(mutation.path, data=data, headers=headers)
        except httpx.TransportError:
            outcome.broken_connections += 1  # no answer: it may or may not be stored
            time.sleep(0.2)
            continue
        outcome.status = response.status_code
        if response.status_code != 503:
            if response.status_code >= 500:
                outcome.problems.append(f"{response.status_code}: {response.text[:300]}")
            return outcome
        retry_after = response.headers.get("Retry-After")
        if retry_after is None or not retry_after.isdigit():
            outcome.problems.append(f"503 without a usable Retry-After ({retry_after!r})")
            return outcome
        outcome.busy_answers += 1
        time.sleep(min(int(retry_after), RETRY_AFTER_CAP_S))
    outcome.problems.append(f"not acknowledged after {outcome.attempts} attempts")
    return outcome
