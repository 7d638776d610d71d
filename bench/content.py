"""Words and sentences for the benchmark dataset: varied enough for search to mean something.

Everything here is a pure function of a ``random.Random``: the same seed gives the same text.
"""

from __future__ import annotations

import random

TEAM_NAMES = (
    "Aurora", "Billing", "Checkout", "Data", "Edge", "Fulfilment",
    "Growth", "Identity", "Mobile", "Platform", "Search", "Support",
)  # fmt: skip
FIRST_NAMES = (
    "Ada", "Alan", "Barbara", "Claude", "Dennis", "Edsger", "Frances", "Grace", "Hedy",
    "Ivan", "Joan", "Ken", "Leslie", "Margaret", "Niklaus", "Ole", "Radia", "Shafi",
    "Tim", "Whitfield",
)  # fmt: skip
LAST_NAMES = (
    "Allen", "Bartik", "Cerf", "Dijkstra", "Engelbart", "Floyd", "Goldwasser", "Hamilton",
    "Iverson", "Jones", "Kahn", "Lamport", "Liskov", "Milner", "Naur",
    "Perlman", "Ritchie", "Sammet", "Thompson", "Wirth",
)  # fmt: skip
TIMEZONES = ("UTC", "Europe/London", "Europe/Berlin", "America/New_York", "Asia/Tokyo")

# Topics: each entry is about two of them, so a topic word is in about 1 entry in 20.
TOPICS = (
    "cache", "database", "deploy", "migration", "timeout", "queue", "certificate", "backup",
    "dns", "config", "feature-flag", "logging", "alerting", "runbook", "rollback", "secrets",
    "index", "replica", "cron", "webhook", "payment", "invoice", "search", "session",
    "permissions", "quota", "retry", "flaky-test", "load-balancer", "memory", "disk",
    "latency", "timezone", "encoding", "dependency", "container", "kubernetes", "terraform",
    "monitoring", "on-call",
)  # fmt: skip
SERVICES = tuple(
    f"{a}-{b}"
    for a in ("orders", "billing", "users", "catalog", "ledger", "notify", "auth", "media")
    for b in ("api", "worker", "gateway", "store", "sync")
)
MISTAKES = (
    "Stale {t} on {s}", "{T} broke during the release of {s}", "Forgot the {t} step for {s}",
    "{T} filled up on {s}", "Wrong {t} pushed to {s}", "{T} misread while debugging {s}",
    "Slow {t} took down {s}", "Missed the {t} alert on {s}", "{T} drift between staging and {s}",
    "Lost an afternoon to {t} on {s}",
)  # fmt: skip
HAPPENED = (
    "We noticed the {t} problem only after customers wrote in about {s}.",
    "A change to the {t} went out on a Friday and {s} started failing health checks.",
    "The {t} dashboard was green while {s} returned errors for a quarter of requests.",
    "Two of us worked on the same {t} change for {s} without knowing it.",
    "The runbook for {s} still described the old {t} setup from last year.",
    "An automated job touched the {t} of {s} at the worst possible moment.",
    "Retries hid the {t} failure in {s} for almost a week.",
    "Nobody owned the {t} of {s}, so the warning sat in a channel for days.",
)  # fmt: skip
LEARNED = (
    "A {t} change needs the same review as code, including for {s}.",
    "Check the {t} in staging with production-like data before touching {s}.",
    "Alerts on {s} must page a person, and say which {t} to look at first.",
    "Write down how the {t} works while it is fresh; the next person will need it.",
    "Small, reversible {t} changes are cheaper than one big change to {s}.",
    "Measure the {t} before and after; guessing wasted hours on {s}.",
)  # fmt: skip
CHANGES = (
    "Add a CI check for the {t} of {s}.",
    "Add the {t} step to the deploy checklist of {s}.",
    "Alert on {t} errors of {s} with a runbook link.",
    "Document the {t} of {s} in the team handbook.",
    "Automate the {t} rotation for {s}.",
    "Pair on the next {t} change to {s}.",
)  # fmt: skip
FACTORS = {
    "human": ("time pressure", "handover", "unclear ownership", "fatigue", "missing training"),
    "technical": ("missing alert", "no test", "config drift", "hidden dependency", "bad default"),
}
TIMELINE = (
    "Alert fired for {s}", "On-call acknowledged", "Looked at the {t} dashboard",
    "Suspected the {t} change", "Rolled back {s}", "Error rate dropping",
    "Customer support informed", "Status page updated", "Found the {t} misconfiguration",
    "Fix deployed to {s}", "Monitoring for recurrence", "Declared resolved",
)  # fmt: skip


def fill(rng: random.Random, pattern: str, topic: str, service: str) -> str:
    """``pattern`` with its topic (``{t}``, capitalised ``{T}``) and service (``{s}``)."""
    word = topic.replace("-", " ")
    return pattern.format(t=word, T=word.capitalize(), s=service)


def story(rng: random.Random) -> tuple[str, str, str, str, tuple[str, str]]:
    """(title, what happened, what we learned, what we will change, the two topics)."""
    first, second = rng.sample(TOPICS, 2)
    service = rng.choice(SERVICES)
    title = fill(rng, rng.choice(MISTAKES), first, service)
    happened = " ".join(
        fill(rng, rng.choice(HAPPENED), topic, service) for topic in (first, second, first)
    )
    learned = fill(rng, rng.choice(LEARNED), first, service)
    change = fill(rng, rng.choice(CHANGES), second, service) if rng.random() < 0.85 else ""
    return title, happened, learned, change, (first, second)


def paragraph(rng: random.Random, topic: str, service: str, sentences: int = 3) -> str:
    """A few sentences of free text about ``topic`` on ``service``."""
    pool = HAPPENED + LEARNED
    return " ".join(fill(rng, rng.choice(pool), topic, service) for _ in range(sentences))
