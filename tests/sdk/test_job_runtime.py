"""The job runtime seen from the API (issue 3): FIFO within a pipeline, and durability: `kill -9`
of the server while delete jobs run, then a restart on the same data dir, and every accepted job
finishes exactly once."""

import time

from expect import wait_for
from fpdb_helpers import create_active_db, paused_pipeline, query_jobs, resume
from harness_clients import make_client
from harness_sign import v1_request

JOBS = 600
LIBRARIES = 4
CHUNK = 50  # QueryFpDBDeleteJobList ids per call (fpshot accepts up to 100)


def submit_raw(srv, key, db_id, pipeline_id, i):
    """Submit by hand-signed V1 requests (fast, independent of SDK connection handling), waiting
    out the per-account QPS limit like a well-behaved bulk client."""
    params = {"FpDBId": db_id, "DelType": "Purge", "PipelineId": pipeline_id, "UserData": f"job-{i}"}
    for _ in range(200):
        resp, _ = v1_request(srv.port, "SubmitFpDBDeleteJob", key.id, key.secret, params)
        if resp.status == 200:
            return resp.json()["JobId"]
        assert resp.json()["Code"].startswith("Throttling"), resp
        time.sleep(int(resp.headers.get("x-acs-retry-after", "50")) / 1000)
    raise AssertionError(f"job {i} still throttled after 200 tries")


def statuses(client, ids):
    """Every job's (Id, Status, UserData) by chunks; asserts every id comes back once."""
    seen = []
    for i in range(0, len(ids), CHUNK):
        chunk = ids[i : i + CHUNK]
        _, jobs, missing = query_jobs(client, chunk, patient=True)
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
    for round_ in range(2):
        time.sleep(0.02)  # the runtime does thousands of jobs/s: kill early to land mid-run
        srv.kill9()
        srv.start()
        c = make_client("sdk6_v3", srv.endpoint, key)
        if round_ == 0:
            unfinished = [j for j in statuses(c, ids) if j["Status"] in ("Queuing", "Analyzing")]
            assert unfinished, f"all {JOBS} jobs finished before the kill: raise JOBS so the kill lands mid-run"

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


def test_jobs_of_one_pipeline_start_in_submission_order(server):
    """FIFO within a priority: at any moment the jobs that have left `Queuing` are a prefix of
    the submission order. Each snapshot asks for the ids newest first, so even a reader that
    fetched job by job could only see an older job *more* advanced, never less."""
    key = server.new_account()
    c = make_client("sdk6_v3", server.endpoint, key)
    db = create_active_db(c)["FpDBId"]
    p = paused_pipeline(c)
    ids = [submit_raw(server, key, db, p["Id"], i) for i in range(100)]
    resume(c, p)
    seen_states = set()
    while True:
        _, jobs, _ = query_jobs(c, list(reversed(ids)), patient=True)
        states = [j["Status"] for j in reversed(jobs)]  # submission order
        seen_states.update(states)
        started = [s != "Queuing" for s in states]
        first_queuing = started.index(False) if False in started else len(started)
        assert not any(started[first_queuing:]), f"a later job started before an earlier one: {states}"
        if all(s in ("Success", "Fail") for s in states):
            break
    assert seen_states <= {"Queuing", "Analyzing", "Success"}, seen_states
    assert all(s == "Success" for s in states)


def test_higher_priority_pipeline_runs_first(server):
    """fpshot's `Priority` extension (docs/compatibility.md): once a high-priority pipeline has
    queued jobs, no job of a lower-priority pipeline starts before all of them have started.
    Checked on live snapshots: a low job seen `Queuing` after the high pipeline was resumed and
    seen started later means every high job had started by then (the low part of each
    snapshot is read first, so the high part can only look more advanced)."""
    key = server.new_account()
    generic = make_client("core_form", server.endpoint, key)  # CommonRequest sends any parameter
    c = make_client("sdk6_v3", server.endpoint, key)
    db = create_active_db(c)["FpDBId"]
    lo = generic.call("AddPipeline", {"Name": "lo", "Priority": "1"}).body["Pipeline"]
    hi = generic.call("AddPipeline", {"Name": "hi", "Priority": "10"}).body["Pipeline"]
    assert (lo.get("Priority"), hi.get("Priority")) == (1, 10), (lo, hi)
    for p in (lo, hi):
        c.call("UpdatePipeline", {"PipelineId": p["Id"], "Name": p["Name"], "State": "Paused"})
    lo_ids = [submit_raw(server, key, db, lo["Id"], i) for i in range(50)]
    hi_ids = [submit_raw(server, key, db, hi["Id"], 100 + i) for i in range(50)]
    resume(c, lo)
    resume(c, hi)
    queuing_lo_seen = set()
    while True:
        _, jobs, _ = query_jobs(c, lo_ids + hi_ids, patient=True)
        status = {j["Id"]: j["Status"] for j in jobs}
        lo_started_since = [i for i in queuing_lo_seen if status[i] != "Queuing"]
        hi_queuing = [i for i in hi_ids if status[i] == "Queuing"]
        assert not (lo_started_since and hi_queuing), (
            f"{len(lo_started_since)} low-priority jobs started while {len(hi_queuing)} high-priority jobs queued"
        )
        queuing_lo_seen |= {i for i in lo_ids if status[i] == "Queuing"}
        if all(s in ("Success", "Fail") for s in status.values()):
            break
    assert set(status.values()) == {"Success"}
