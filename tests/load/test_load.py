"""Load: gunicorn with 4 workers takes thousands of concurrent mutations from signed-in
people, on this run's database backend, and stores exactly what it acknowledged, also when
a worker is killed in the middle.

Figures (requests, acknowledged, 503s, seconds) are printed; see them with ``pytest -s``.
"""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import create_engine
from sqlalchemy.engine import Engine

from learnapp.extensions import db
from learnapp.models import Membership, Team, User
from tests.conftest import BACKEND, PASSWORD, make_app, password_hash
from tests.load.harness import LoadResult, MutationKind, Person, fire, sign_in
from tests.load.kinds import KINDS
from tests.load.server import Gunicorn, run_gunicorn

pytestmark = pytest.mark.slow

WORKERS = 4
THREADS = 16  # four times what 4 workers answer at once (gunicorn.conf.py)
PEOPLE = 8
MUTATIONS = 2_000  # of the first kind; the others get their share of it
MUTATIONS_WHILE_KILLING = 300
KILL_AFTER = 80


@pytest.fixture(scope="module")
def people(
    module_database_url: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[Gunicorn, list[Person]]]:
    """gunicorn on a database of this module's own, and PEOPLE accounts (one team) signed
    in to it through the login form; both load tests share them."""
    folder = tmp_path_factory.mktemp("load")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("LEARNAPP_INSTANCE_PATH", str(folder / "setup-instance"))
        accounts = _make_accounts(module_database_url)
    with run_gunicorn(module_database_url, folder, workers=WORKERS) as server:
        with ThreadPoolExecutor(PEOPLE) as pool:  # each sign-in hashes: in parallel
            signed_in = list(
                pool.map(lambda a: sign_in(server.base_url, a[0], a[1], PASSWORD), accounts)
            )
        yield server, signed_in


def _make_accounts(database_url: str) -> list[tuple[int, str]]:
    app = make_app(database_url)
    with app.app_context():
        team = Team(name="Load", slug="load")
        users = [
            User(
                email=f"load{number}@example.com",
                display_name=f"Load person {number}",
                password_hash=password_hash(),
                memberships=[Membership(team=team)],
            )
            for number in range(PEOPLE)
        ]
        db.session.add_all(users)
        db.session.commit()
        made = [(user.id, user.email) for user in users]
        db.session.remove()
        db.engine.dispose()
    return made


@pytest.fixture(scope="module")
def engine(module_database_url: str) -> Iterator[Engine]:
    """The database as seen from outside the app, for checking what it holds."""
    engine = create_engine(module_database_url)
    yield engine
    engine.dispose()


def run_load(
    server: Gunicorn,
    people: list[Person],
    engine: Engine,
    mutations: int,
    kill_after: int | None = None,
) -> tuple[LoadResult, list[MutationKind], list[int]]:
    """Plan each kind's share of ``mutations`` and fire them all mixed; kill a worker after
    ``kill_after`` of them. Returns the result, the kinds and the killed workers."""
    kinds = [(factory(), share) for factory, share in KINDS]
    scripts = [
        (kind.name, script)
        for kind, share in kinds
        for script in kind.plan(server.base_url, people, round(mutations * share), engine)
    ]
    random.Random(2026).shuffle(scripts)  # every kind at once, not one after the other
    killed: list[int] = []

    def kill_midway(done: int) -> None:
        if done == kill_after:
            killed.append(server.kill_a_worker())

    result = fire(server.base_url, people, scripts, THREADS, kill_midway)
    return result, [kind for kind, _ in kinds], killed


def assert_stored_is_acknowledged(
    result: LoadResult, kinds: list[MutationKind], engine: Engine, server: Gunicorn
) -> None:
    problems = [problem for outcome in result.outcomes for problem in outcome.problems]
    assert problems == [], f"{len(problems)} problems, first: {problems[:5]}\n{server.log_tail()}"
    statuses = Counter(outcome.status for outcome in result.outcomes)
    assert all(o.acknowledged for o in result.outcomes), f"final statuses: {statuses}"
    for kind in kinds:
        mine = [outcome for outcome in result.outcomes if outcome.kind == kind.name]
        assert mine, f"no {kind.name} mutations were sent"
        assert kind.check(engine, mine) == []
    if engine.dialect.name == "sqlite":
        with engine.connect() as connection:
            assert connection.exec_driver_sql("PRAGMA integrity_check").scalar() == "ok"
            assert connection.exec_driver_sql("PRAGMA foreign_key_check").all() == []


def report(label: str, result: LoadResult, kinds: list[MutationKind]) -> None:
    by_kind = Counter(outcome.kind for outcome in result.outcomes)
    print(f"\nload ({BACKEND}, {label}): {result.figures()} by kind: {dict(by_kind)}")


def test_concurrent_mutations_store_exactly_what_was_acknowledged(people, engine):
    server, signed_in = people
    result, kinds, _ = run_load(server, signed_in, engine, MUTATIONS)
    report("4 workers", result, kinds)
    assert result.figures()["mutations"] >= MUTATIONS
    assert_stored_is_acknowledged(result, kinds, engine, server)


def test_every_acknowledged_write_survives_a_worker_killed_mid_run(people, engine):
    server, signed_in = people
    before = server.workers()
    result, kinds, killed = run_load(
        server, signed_in, engine, MUTATIONS_WHILE_KILLING, kill_after=KILL_AFTER
    )
    report(f"worker {killed} killed after {KILL_AFTER}", result, kinds)
    assert killed and killed[0] in before
    assert killed[0] not in server.workers() and len(server.workers()) == WORKERS
    assert_stored_is_acknowledged(result, kinds, engine, server)
