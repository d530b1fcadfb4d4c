"""Assertions on the wire shapes of spec §2.7, §3 and the per-action sections."""

import re
import time

import pytest

from harness_clients import ApiError

ID_RE = re.compile(r"^[0-9a-f]{32}$")
REQUEST_ID_RE = re.compile(r"^[0-9A-F]{8}-[0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{12}$")
TIME_RE = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$")


def is_id(v):
    return isinstance(v, str) and ID_RE.match(v) is not None


def check_request_id(body):
    rid = body.get("RequestId")
    assert isinstance(rid, str) and REQUEST_ID_RE.match(rid), f"RequestId {rid!r} is not an upper-case UUID"
    return rid


def check_types(obj, types, where=""):
    """Every key of `types` is present in `obj` with exactly that JSON type (bool is not int)."""
    for key, typ in types.items():
        assert key in obj, f"{where}{key} missing in {obj!r}"
        val = obj[key]
        if typ is int:
            assert isinstance(val, int) and not isinstance(val, bool), f"{where}{key}={val!r} is not a JSON integer"
        else:
            assert isinstance(val, typ), f"{where}{key}={val!r} is not {typ.__name__}"


def wrapped(body, outer, inner):
    """The items of a wrapped list `outer.inner[]` (spec §2.7); a missing or empty wrapper is []."""
    if outer not in body:
        return []
    box = body[outer]
    assert isinstance(box, dict), f"{outer} must be an object wrapping {inner}[], got {box!r}"
    items = box.get(inner, [])
    assert isinstance(items, list), f"{outer}.{inner} must be a list, got {items!r}"
    return items


def expect_error(fn, code, status=None):
    """Call fn, which must fail with this Code (str, or a predicate) and HTTP status."""
    with pytest.raises(ApiError) as info:
        fn()
    e = info.value
    if callable(code):
        assert code(e.code), f"unexpected error code {e.code!r}: {e}"
    else:
        assert e.code == code, f"expected {code}, got {e}"
    if status is not None:
        assert e.status == status, f"expected HTTP {status}, got {e}"
    if e.request_id is not None:
        assert REQUEST_ID_RE.match(e.request_id), f"error RequestId {e.request_id!r}"
    return e


def client_error(code):
    """A 4xx error code that is not a catch-all (predicate for expect_error)."""
    return bool(code) and code not in ("InternalError", "ServiceUnavailable", "SDK.UnknownServerError")


def recent_utc(stamp, slack_seconds=900):
    """A `YYYY-MM-DDThh:mm:ssZ` time made during this test run: UTC, not local time or the epoch."""
    from datetime import datetime, timezone

    assert TIME_RE.match(stamp or ""), f"time {stamp!r} is not YYYY-MM-DDThh:mm:ssZ"
    t = datetime.strptime(stamp, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=timezone.utc).timestamp()
    assert abs(t - time.time()) < slack_seconds, f"time {stamp} is not now (UTC)"
    return True


def wait_for(fn, timeout=30.0, interval=0.05, what="condition"):
    """Poll fn() until it returns a truthy value; return that value."""
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        last = fn()
        if last:
            return last
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout}s waiting for {what}; last value {last!r}")
