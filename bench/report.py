"""bench/RESULTS.md: the machine, the commands, the tables, and each target met or not."""

from __future__ import annotations

import argparse
import os
import platform
import runpy
import sqlite3
import statistics
import subprocess
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

LABELS = {
    "healthz": "`GET /healthz`",
    "feed": "`GET /` (feed)",
    "entry": "`GET /entries/<id>` (incident, long timeline)",
    "improvements": "`GET /improvements`",
    "celebrate": "`GET /celebrate`",
    "history": "`GET /people/<id>` (history)",
    "search": "`GET /search?q=<word>`",
    "narratives": "`GET /narratives.atom`",
    "quick_entry": "`POST /entries` (htmx quick entry)",
}
# Route -> least ratio of its req/s to the ceiling's (issue 8).
RATIO_TARGETS = {
    "feed": 0.25,
    "entry": 0.20,
    "improvements": 0.20,
    "celebrate": 0.20,
    "history": 0.20,
    "search": 0.10,
    "quick_entry": 0.15,
}
P99_MS = 50
GROWTH = 0.8
MAX_QUERIES = 6
DIGEST_SECONDS = 5
HOME_BYTES = 40_000


def _machine(uname: platform.uname_result) -> list[str]:
    cpu = ""
    try:
        with open("/proc/cpuinfo") as info:
            cpu = next((x.split(":", 1)[1].strip() for x in info if x.startswith("model name")), "")
    except OSError:
        pass
    memory = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    wrk = subprocess.run(["wrk", "--version"], capture_output=True, text=True, check=False)
    return [
        f"- {os.cpu_count()} cores ({cpu or uname.machine}), {memory:.0f} GiB, {uname.system} "
        f"{uname.release}",
        f"- Python {platform.python_version()}, SQLite {sqlite3.sqlite_version}, "
        f"{(wrk.stdout or wrk.stderr).splitlines()[0].split(' Copyright')[0]}",
    ]


def _ceiling(row: dict[str, Any]) -> float:
    """The ceiling a route is read against: the mean of /healthz just before and after."""
    return (row["before"].rps + row["after"].rps) / 2


def _balance(measured: dict[str, Any]) -> list[str]:
    """How evenly the workers shared the runs."""
    runs = list(measured["ceilings"])
    for rounds in measured["routes"].values():
        for row in rounds:
            runs += [row[k] for k in ("large", "small") if k in row]
    shares = sorted(r.busiest for r in runs)
    return [
        "The busiest worker's share of a run's requests, over all runs: "
        f"median {shares[len(shares) // 2]:.0%}, highest {shares[-1]:.0%}.",
    ]


def _median(values: list[float]) -> float:
    return statistics.median(values)


def summary(rounds: list[dict[str, Any]], name: str) -> dict[str, float] | None:
    """A route's figures on one dataset: the median of its rounds (ratios per round)."""
    if name not in rounds[0]:
        return None
    return {
        "ceiling": _median([_ceiling(r) for r in rounds]),
        "rps": _median([r[name].rps for r in rounds]),
        "ratio": _median([r[name].rps / _ceiling(r) for r in rounds]),
        "p50": _median([r[name].p50_ms for r in rounds]),
        "p99": _median([r[name].p99_ms for r in rounds]),
        "worst_p99": max(r[name].p99_ms for r in rounds),
        "errors": sum(r[name].errors for r in rounds),
        "growth": _median([r["large"].rps / r["small"].rps for r in rounds])
        if "small" in rounds[0]
        else float("nan"),
    }


def served_workers() -> str:
    """gunicorn's worker class and request threads, as gunicorn.conf.py sets them for this run."""
    config = Path(__file__).resolve().parent.parent / "gunicorn.conf.py"
    settings = runpy.run_path(str(config))
    return f"{settings['worker_class']}, {settings['threads']} request thread(s) each"


def markdown(
    measured: dict[str, Any],
    args: argparse.Namespace,
    command: str,
    uname: platform.uname_result,
) -> str:
    """The whole RESULTS.md."""
    datasets = measured["datasets"]
    ceilings = sorted(r.rps for r in measured["ceilings"])
    rounds = len(next(iter(measured["routes"].values())))
    load = measured["load"]
    lines = [
        "# Benchmark results",
        "",
        f"Written by `{command}` on {datetime.now(UTC):%Y-%m-%d %H:%M} UTC "
        f"({'PostgreSQL' if args.postgres else 'SQLite'}).",
        "",
        "## Machine",
        "",
        *_machine(uname),
        f"- load average (1 min) before and after the load: {load[0][0]:.2f} and {load[1][0]:.2f}",
        "",
        "## Commands",
        "",
        "```sh",
        "apt-get update && apt-get install -y wrk",
        command,
        "```",
        "",
        f"One gunicorn per dataset, each with `--config gunicorn.conf.py` and {args.workers} "
        f"workers ({served_workers()}); wrk with 1 thread and "
        f"{args.connections} "
        f"connections, sending `Accept-Encoding: gzip, deflate, br, zstd` and the session "
        f"cookie of one signed-in member. After {args.warmup} s of warm-up per route and "
        f"dataset, each route runs {args.duration} s on the large set, then {args.duration} s "
        f"on the small one (each run after {args.rewarm} s of the same load, unmeasured: "
        "a round outlasts the minute a page is kept), "
        f"between two {args.ceiling}-second runs of `GET /healthz` (the "
        "ceiling: the same server answering without work); a route's ratio divides its "
        "requests per second by the mean of those two ceilings, so the figures are read "
        f"within seconds of each other. All routes are gone over {rounds} times; each "
        "figure below is the median of its rounds.",
        "",
        _page_cache_line(),
        "",
        f"The ceiling over the run: {len(ceilings)} runs from {ceilings[0]:.0f} to "
        f"{ceilings[-1]:.0f} req/s (median {ceilings[len(ceilings) // 2]:.0f}).",
        "",
        *_balance(measured),
        "",
        "## Datasets",
        "",
        *(_dataset_line(name, data["manifest"]) for name, data in datasets.items()),
        "",
        "## Requests",
        "",
        *_requests_table(measured["routes"]),
        "",
        "## Per page",
        "",
        *_pages_table(datasets),
        "",
        *_extras(datasets["large"]),
        "",
        "## Targets",
        "",
        *_targets(measured["routes"], datasets["large"]),
        "",
        "Pages whose lists are paged show more rows on the large set than on the small "
        "one when the small one has fewer than a page (the celebration board's week, a "
        "person's history, the narratives): their large-to-small ratio compares a fuller "
        "page with an emptier one, not the same page over more history.",
        "",
    ]
    return "\n".join(lines)


def _dataset_line(name: str, manifest: dict) -> str:
    rows = manifest["rows"]
    return (
        f"- {name}: {rows['users']} people in {rows['teams']} teams, {rows['entries']:,} entries "
        f"({rows['incidents']:,} incidents, {rows['timeline_events']:,} timeline events, "
        f"{rows['analyses']:,} analyses), {rows['improvements']:,} improvements "
        f"({rows['status_changes']:,} status changes), {rows['cheers']:,} cheers, "
        f"{rows['entry_tags']:,} tags on entries, {rows['contributing_factors']:,} factors; "
        f"search word `{manifest['search_word']}` (in {manifest['search_word_entries']:,} "
        f"entries), incident entry {manifest['incident_entry_id']} "
        f"({manifest['incident_timeline_events']} events), person {manifest['person_id']}"
    )


def _requests_table(rows: dict[str, list[dict[str, Any]]]) -> list[str]:
    lines = [
        'Each figure is the median of the rounds; "worst p99" is the highest of them.',
        "",
        "| Route | ceiling req/s | req/s | ratio | p50 ms | p99 ms | worst p99 | errors "
        "| small set: req/s | ratio | p99 ms | large / small |",
        "|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|",
    ]
    for label, rounds in rows.items():
        large, small = summary(rounds, "large"), summary(rounds, "small")
        assert large is not None
        small_cells = (
            f"{small['rps']:.0f} | {small['ratio']:.3f} | {small['p99']:.1f} "
            f"| {large['growth']:.2f}"
            if small
            else "- | - | - | -"
        )
        lines.append(
            f"| {LABELS[label]} | {large['ceiling']:.0f} | {large['rps']:.0f} "
            f"| {large['ratio']:.3f} | {large['p50']:.1f} | {large['p99']:.1f} "
            f"| {large['worst_p99']:.1f} | {large['errors']} | {small_cells} |"
        )
    return lines


def _page_cache_line() -> str:
    seconds = int(os.environ.get("LEARNAPP_PAGE_CACHE_SECONDS", "60") or 0)
    if seconds <= 0:
        return (
            "The page cache was off (`LEARNAPP_PAGE_CACHE_SECONDS=0`): every request "
            "rendered its page."
        )
    return (
        f"The page cache was on, as by default (`LEARNAPP_PAGE_CACHE_SECONDS={seconds}`): "
        "nothing is written during a GET route's run, so after its first request each "
        "worker answers it from the page cache (`learnapp/pagecache.py`), checking the data "
        "generation every time. `POST /entries` writes, and renders every answer."
    )


def _pages_table(datasets: dict[str, dict[str, Any]]) -> list[str]:
    lines = [
        "SQL statements each page sends, counted with a `before_cursor_execute` listener "
        "through Flask's test client (on SQLite this includes the `BEGIN` of the request's "
        "transaction): rendering the page (the second request of each, with the page cache "
        "off), and answering it from the page cache (the signed-in check and the data "
        "generation; see `learnapp/pagecache.py`):",
        "",
        "| Route | rendered, large set | rendered, small set | from the cache |",
        "|---|--:|--:|--:|",
    ]
    small_counts = datasets["small"]["inprocess"]["queries"] if "small" in datasets else {}
    for label, value in datasets["large"]["inprocess"]["queries"].items():
        other = small_counts.get(label, {}).get("queries", "-")
        cached = value.get("cached")
        lines.append(
            f"| {LABELS[label]} | {value['queries']} | {other} "
            f"| {'-' if cached is None else cached} |"
        )
    return lines


def _extras(large: dict) -> list[str]:
    transfer = large["inprocess"]["transfer"]
    digest = large["inprocess"]["digest"]
    lines = [
        f"Home page transfer, compressed as a browser asks: **{transfer['bytes']:,} bytes**",
        "",
        "| Part | bytes | Content-Encoding | Cache-Control |",
        "|---|--:|---|---|",
    ]
    for path, part in transfer["parts"].items():
        lines.append(
            f"| `{path}` | {part['bytes']:,} | {part['encoding']} | {part['cache_control']} |"
        )
    lines += [
        "",
        f"Digest of {digest['week']} composed for all {digest['people']} people "
        f"({digest['with_content']} with something to read): **{digest['seconds']:.2f} s**",
    ]
    return lines


def _targets(rows: dict[str, list[dict[str, Any]]], large: dict[str, Any]) -> list[str]:
    figures = {label: summary(rounds, "large") for label, rounds in rows.items()}
    results = []
    for label, least in RATIO_TARGETS.items():
        if label not in figures:
            continue  # not driven in this run (bench/run --routes)
        ratio = figures[label]["ratio"]
        results.append((f"{LABELS[label]}: ratio >= {least}", f"{ratio:.3f}", ratio >= least))
    worst = max(figures, key=lambda label: figures[label]["p99"])
    p99 = figures[worst]["p99"]
    results.append((f"p99 <= {P99_MS} ms on every route", f"worst {p99:.1f} ms ({worst})",
                    p99 <= P99_MS))  # fmt: skip
    growth = {k: f["growth"] for k, f in figures.items() if f["growth"] == f["growth"]}
    if growth:
        low = min(growth, key=growth.get)
        results.append((f"large >= {GROWTH} times small req/s on every route",
                        f"lowest {growth[low]:.2f} ({low})", growth[low] >= GROWTH))  # fmt: skip
    queries = {k: v["queries"] for k, v in large["inprocess"]["queries"].items()}
    over = {k: v for k, v in queries.items() if v > MAX_QUERIES}
    results.append((f"<= {MAX_QUERIES} SQL statements per page",
                    ", ".join(f"{k} {v}" for k, v in over.items()) or "all", not over))  # fmt: skip
    digest = large["inprocess"]["digest"]["seconds"]
    results.append((f"digest for 200 people <= {DIGEST_SECONDS} s", f"{digest:.2f} s",
                    digest <= DIGEST_SECONDS))  # fmt: skip
    transfer = large["inprocess"]["transfer"]
    results.append((f"home page <= {HOME_BYTES:,} bytes transferred", f"{transfer['bytes']:,}",
                    transfer["bytes"] <= HOME_BYTES))  # fmt: skip
    parts = transfer["parts"].values()
    compressed = all(p["encoding"] != "identity" for p in parts)
    results.append(("HTML, CSS and JS compressed",
                    ", ".join(sorted({p["encoding"] for p in parts})), compressed))  # fmt: skip
    assets = [p for path, p in transfer["parts"].items() if path != "/"]
    immutable = bool(assets) and all("immutable" in p["cache_control"] for p in assets)
    results.append(("static files cached for a year under versioned names",
                    assets[0]["cache_control"] if assets else "-", immutable))  # fmt: skip
    lines = ["| Target | measured | met |", "|---|---|---|"]
    lines += [f"| {name} | {value} | {'yes' if ok else '**no**'} |" for name, value, ok in results]
    return lines
