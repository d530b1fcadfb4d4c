"""Shared steps for the library (FpDB) and library delete job tests (spec §4.1, §4.2, §4.8, §4.9)."""

import secrets

from harness_clients import call_patiently
from expect import check_request_id, check_types, is_id, recent_utc, wait_for, wrapped

FPDB_LIST_TYPES = {"FpDBId": str, "Name": str, "Description": str, "ModelId": int, "Status": str}
JOB_TYPES = {"Id": str, "FpDBId": str, "DelType": str, "PipelineId": str, "Status": str, "CreationTime": str}
JOB_STATES = ("Queuing", "Analyzing", "Success", "Fail")


def create_db(client, name=None, **params):
    body = client.call("CreateFpShotDB", {"Name": name or f"lib-{secrets.token_hex(4)}", **params}).body
    check_request_id(body)
    db = body["FpShotDB"]
    check_types(db, {"FpDBId": str, "Name": str, "ModelId": int, "State": str}, "FpShotDB.")
    assert is_id(db["FpDBId"]), db
    assert db["State"] in ("offline", "active"), db
    for k in ("Description", "Config"):
        if k in db:
            assert isinstance(db[k], str), f"FpShotDB.{k} must be a string: {db!r}"
    return db


def list_dbs(client, ids=None):
    params = {} if ids is None else {"FpDBIds": ",".join(ids)}
    body = client.call("ListFpShotDB", params).body
    check_request_id(body)
    found = wrapped(body, "FpShotDBList", "FpShotDB")
    for db in found:
        check_types(db, FPDB_LIST_TYPES, "FpShotDBList.FpShotDB[].")
        assert db["Status"] in ("offline", "active", "paused", "deleted"), db
    missing = wrapped(body, "NonExistIds", "String")
    if "NonExistIds" in body:
        assert missing, "NonExistIds must be omitted when every id exists"
    return body, found, missing


def status_of(client, db_id):
    _, found, _ = list_dbs(client, [db_id])
    return found[0]["Status"] if found else None


def create_active_db(client, **params):
    db = create_db(client, **params)
    wait_for(lambda: status_of(client, db["FpDBId"]) == "active", what=f"library {db['FpDBId']} active")
    return db


def submit_delete(client, db_id, **params):
    body = client.call("SubmitFpDBDeleteJob", {"FpDBId": db_id, **params}).body
    check_request_id(body)
    assert is_id(body.get("JobId")), body
    return body["JobId"]


def check_job(job):
    check_types(job, JOB_TYPES, "FpDBDeleteJob.")
    assert job["Status"] in JOB_STATES, job
    assert recent_utc(job["CreationTime"]), job
    if job["Status"] in ("Success", "Fail"):
        assert isinstance(job.get("FinishTime"), str) and recent_utc(job["FinishTime"]), job
        assert job["FinishTime"] >= job["CreationTime"], job
    if job["Status"] == "Fail":
        assert isinstance(job.get("Code"), str) and job["Code"], f"a failed job carries Code: {job}"
        assert isinstance(job.get("Message"), str) and job["Message"], f"a failed job carries Message: {job}"
    else:
        assert "Code" not in job and "Message" not in job, f"Code/Message only on Fail: {job}"
    if "UserData" in job:
        assert isinstance(job["UserData"], str)


def query_jobs(client, ids=None, raw_ids=None, patient=False):
    if raw_ids is not None:
        params = {"JobIds": raw_ids}
    elif ids is not None:
        params = {"JobIds": ",".join(ids)}
    else:
        params = {}
    call = (lambda a, p: call_patiently(client, a, p)) if patient else client.call
    body = call("QueryFpDBDeleteJobList", params).body
    check_request_id(body)
    jobs = wrapped(body, "FpDBDeleteJobList", "FpDBDeleteJob")
    for j in jobs:
        check_job(j)
    missing = wrapped(body, "NonExistIds", "String")
    if "NonExistIds" in body:
        assert missing, "NonExistIds must be omitted when every job exists"
    return body, jobs, missing


def job(client, job_id):
    _, jobs, _ = query_jobs(client, [job_id])
    assert len(jobs) == 1, jobs
    return jobs[0]


def wait_finished(client, job_id, timeout=60):
    def done():
        j = job(client, job_id)
        return j if j["Status"] in ("Success", "Fail") else None

    return wait_for(done, timeout=timeout, what=f"job {job_id} finished")


def default_pipeline_id(client):
    body = client.call("SearchPipeline", {"PageSize": 100}).body
    pipelines = wrapped(body, "PipelineList", "Pipeline")
    assert len(pipelines) >= 1
    return pipelines[0]["Id"] if len(pipelines) == 1 else None


def paused_pipeline(client):
    p = client.call("AddPipeline", {"Name": f"paused-{secrets.token_hex(3)}"}).body["Pipeline"]
    client.call("UpdatePipeline", {"PipelineId": p["Id"], "Name": p["Name"], "State": "Paused"})
    return p


def resume(client, pipeline):
    client.call("UpdatePipeline", {"PipelineId": pipeline["Id"], "Name": pipeline["Name"], "State": "Active"})
