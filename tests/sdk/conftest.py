"""Fixtures: the real fpshot binary on a free port, accounts made with `fpshot key create`, and
the official SDK client families (harness_clients.py)."""

import pytest

from harness_clients import FAMILIES, V1_FAMILIES, make_client
from harness_server import LIVE_SERVERS, Server


# Server logs attached so far; after a few, later failures only name the log file, so a broken
# build does not bury the first failures under megabytes of repeated log.
_LOGS_SHOWN = [0]
MAX_LOGS_SHOWN = 5


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    """Attach the tail of every running server's log to a failing test's report."""
    outcome = yield
    report = outcome.get_result()
    if report.failed:
        for srv in list(LIVE_SERVERS):
            if _LOGS_SHOWN[0] < MAX_LOGS_SHOWN:
                _LOGS_SHOWN[0] += 1
                report.sections.append((f"fpshot log (port {srv.port})", srv.log_tail()))
            else:
                report.sections.append((f"fpshot log (port {srv.port})", f"see {srv.log_path}"))


def start_server(tmp_path_factory, name, env=None):
    base = tmp_path_factory.mktemp(name)
    return Server(base / "data", base / "fpshot.log", env=env).start()


def stop_cleanly(srv):
    if srv.proc is None:
        return
    log = srv.log_tail()
    code = srv.stop()
    assert code == 0, f"fpshot exited with {code} on SIGTERM (expected a clean exit 0)\n{log}"


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """One server per test module; tests make their own accounts, so they do not interfere."""
    srv = start_server(tmp_path_factory, "srv")
    yield srv
    stop_cleanly(srv)


@pytest.fixture
def own_server(tmp_path_factory):
    """A server of the test's own, for tests that restart or kill it."""
    srv = start_server(tmp_path_factory, "own")
    yield srv
    if srv.proc is not None:
        stop_cleanly(srv)


@pytest.fixture
def account(server):
    """A fresh account with one AccessKey (made by the operator CLI while the server runs)."""
    return server.new_account()


@pytest.fixture
def key(server):
    """A fresh account's AccessKey (for hand-signed requests)."""
    return server.new_account()


@pytest.fixture
def other_account(server):
    return server.new_account()


@pytest.fixture(params=FAMILIES)
def family(request):
    return request.param


@pytest.fixture(params=V1_FAMILIES)
def v1_family(request):
    return request.param


@pytest.fixture
def client(server, account, family):
    """An SDK client of each family, signed with a fresh account's key."""
    return make_client(family, server.endpoint, account)


@pytest.fixture
def clients(server):
    """Factory: clients(key, family) -> client."""

    def make(key, family):
        return make_client(family, server.endpoint, key)

    return make
