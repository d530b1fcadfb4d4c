"""Durability of the job runtime (issue 3): `kill -9` of the server while delete jobs run, then a
restart on the same data dir, and every accepted job finishes exactly once."""

import time

from expect import wait_for
from fpdb_helpers import create_active_db, paused_pipeline, query_jobs, resume
from harness_clients import make_client
from harness_sign import v1_request

JOBS = 600
LIBRARIES = 4
CHUNK = 10  # QueryFpDBDeleteJobList ids per call, well under any sensible maximum


def submit_raw(srv, key, db_id, pipeline_id, i):
    """Submit by hand-signed V1 requests: fast, and independent of SDK connection handling."""
    resp, _ = v1_request(
        srv.port,
        "SubmitFpDBDeleteJob",
        key.id,
        key.secret,
        {"FpDBId": db_id, "DelType": "Purge", "PipelineId": pipeline_id, "UserData": f"job-{i}"},
    )
    assert resp.status == 200, resp
    return resp.json()["JobId"]


def statuses(client, ids):
    """Every job's (Id, Status, UserData) by chunks; asserts every id comes back once."""
    seen = []
    for i in range(0, len(ids), CHUNK):
        chunk = ids[i : i + CHUNK]
        _, jobs, missing = query_jobs(client, chunk)
        assert missing == [], f"accepted jobs lost: {missing}"
        assert [j["Id"] for j in jobs] == chunk, "each job exactly once, in the order asked"
        seen += jobs
    return seen


def test_kill9_while_jobs_run_then_every_job_finishes_once(own_server):
    srv = own_server
    key = srv.new_account()
    c = make_client("sdk6_v3", srv.endpoint, key)
    dbs = [create_active_db(c)["FpDBId"] for _ in range(LIBRARIES)]
    p = paused_pipeline(c)
    ids = [submit_raw(srv, key, dbs[i % LIBRARIES], p["Id"], i) for i in range(JOBS)]
    assert len(set(ids)) == JOBS

    before = statuses(c, ids)
    assert {j["Status"] for j in before} == {"Queuing"}, "the paused pipeline held every job"

    # Resume, then kill -9 twice mid-run, restarting on the same data dir each time.
    resume(c, p)
    for _round in range(2):
        time.sleep(0.05)
        srv.kill9()
        srv.start()
        c = make_client("sdk6_v3", srv.endpoint, key)

    def all_done():
        jobs = statuses(c, ids)
        return jobs if all(j["Status"] in ("Success", "Fail") for j in jobs) else None

    final = wait_for(all_done, timeout=180, interval=0.5, what=f"all {JOBS} jobs finished after kill -9")
    failed = [j for j in final if j["Status"] != "Success"]
    assert failed == [], f"{len(failed)} jobs did not succeed, e.g. {failed[:3]}"
    assert [j["UserData"] for j in final] == [f"job-{i}" for i in range(JOBS)]
    assert all(j["PipelineId"] == p["Id"] for j in final)

    _, newest, _ = query_jobs(c)
    assert [j["Id"] for j in newest] == list(reversed(ids))[:20], "no duplicate or ghost jobs in the listing"

    # The libraries survived their purges and the restarts.
    body = c.call("ListFpShotDB", {"FpDBIds": ",".join(dbs)}).body
    listed = body["FpShotDBList"]["FpShotDB"]
    assert sorted(d["FpDBId"] for d in listed) == sorted(dbs)
    wait_for(
        lambda: all(d["Status"] == "active" for d in c.call("ListFpShotDB", {"FpDBIds": ",".join(dbs)}).body["FpShotDBList"]["FpShotDB"]),
        what="purged libraries active again",
    )
