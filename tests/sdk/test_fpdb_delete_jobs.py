"""Library purge/delete jobs (spec §4.8 SubmitFpDBDeleteJob, §4.9 QueryFpDBDeleteJobList) and the
job runtime they run on (issue 3), through every SDK family."""

import secrets
import time
import xml.etree.ElementTree as ET

import pytest

from expect import REQUEST_ID_RE, client_error, expect_error, wait_for
from fpdb_helpers import (
    create_active_db,
    create_db,
    default_pipeline_id,
    job,
    list_dbs,
    paused_pipeline,
    query_jobs,
    resume,
    status_of,
    submit_delete,
    wait_finished,
)
from harness_clients import ApiError, make_client
from harness_sign import v1_request


def invalid(code):
    return code.startswith("InvalidParameter")


def dedupe(seq):
    out = []
    for x in seq:
        if x not in out:
            out.append(x)
    return out


# ---- SubmitFpDBDeleteJob parameters ----------------------------------------------------------


def test_submit_requires_fpdb_id(client):
    expect_error(lambda: client.call("SubmitFpDBDeleteJob", {"DelType": "Purge"}), "MissingFpDBId", 400)


def test_submit_unknown_and_foreign_library_refused_alike(server, family):
    mine = make_client(family, server.endpoint, server.new_account())
    theirs = make_client(family, server.endpoint, server.new_account())
    foreign = create_db(theirs)["FpDBId"]
    e1 = expect_error(lambda: submit_delete(mine, secrets.token_hex(16)), client_error)
    e2 = expect_error(lambda: submit_delete(mine, foreign), client_error)
    assert e1.code == e2.code and e1.status == e2.status, "a foreign library must look exactly like an unknown one"
    assert status_of(theirs, foreign) in ("offline", "active"), "the other account's library is untouched"


def test_deltype_default_is_purge_and_both_values_accepted(client):
    db = create_active_db(client)
    default_job = submit_delete(client, db["FpDBId"])
    assert job(client, default_job)["DelType"] == "Purge"
    explicit = submit_delete(client, db["FpDBId"], DelType="Purge")
    assert job(client, explicit)["DelType"] == "Purge"
    other = create_active_db(client)
    assert job(client, submit_delete(client, other["FpDBId"], DelType="Delete"))["DelType"] == "Delete"


@pytest.mark.parametrize("del_type", ["Drop", "PurgeAll", "delete!", "Delete "])
def test_deltype_other_values_refused(client, del_type):
    db = create_db(client)
    expect_error(lambda: submit_delete(client, db["FpDBId"], DelType=del_type), invalid, 400)


def test_user_data_limit_is_128_bytes(client):
    db = create_db(client)
    ok_ascii = "a" * 128
    ok_utf8 = "数" * 42  # 126 bytes
    assert job(client, submit_delete(client, db["FpDBId"], UserData=ok_ascii))["UserData"] == ok_ascii
    assert job(client, submit_delete(client, db["FpDBId"], UserData=ok_utf8))["UserData"] == ok_utf8
    expect_error(lambda: submit_delete(client, db["FpDBId"], UserData="a" * 129), invalid, 400)
    expect_error(lambda: submit_delete(client, db["FpDBId"], UserData="数" * 43), invalid, 400)  # 129 bytes


def test_unicode_user_data_round_trip(client):
    db = create_db(client)
    data = "数据 ü✓ a+b*~/%20&=?"
    jid = submit_delete(client, db["FpDBId"], UserData=data)
    assert job(client, jid)["UserData"] == data
    assert wait_finished(client, jid)["UserData"] == data


def test_pipeline_defaults_and_choices(server, family):
    c = make_client(family, server.endpoint, server.new_account())
    default_pid = default_pipeline_id(c)
    db = create_db(c)
    assert job(c, submit_delete(c, db["FpDBId"]))["PipelineId"] == default_pid
    own = c.call("AddPipeline", {"Name": "mine"}).body["Pipeline"]["Id"]
    assert job(c, submit_delete(c, db["FpDBId"], PipelineId=own))["PipelineId"] == own
    expect_error(lambda: submit_delete(c, db["FpDBId"], PipelineId=secrets.token_hex(16)), client_error)
    other = make_client(family, server.endpoint, server.new_account())
    foreign = other.call("AddPipeline", {"Name": "theirs"}).body["Pipeline"]["Id"]
    expect_error(lambda: submit_delete(c, db["FpDBId"], PipelineId=foreign), client_error)


# ---- the job lifecycle -------------------------------------------------------------------------


def test_paused_pipeline_keeps_job_queuing_until_resumed(client):
    db = create_active_db(client)
    p = paused_pipeline(client)
    jid = submit_delete(client, db["FpDBId"], PipelineId=p["Id"], UserData="held")
    for _ in range(6):
        j = job(client, jid)
        assert j["Status"] == "Queuing", f"a Paused pipeline keeps its jobs Queuing: {j}"
        assert j["PipelineId"] == p["Id"] and j["UserData"] == "held"
        assert "FinishTime" not in j or j["FinishTime"] == ""
        time.sleep(0.25)
    resume(client, p)
    done = wait_finished(client, jid)
    assert done["Status"] == "Success", done
    assert "Code" not in done and "Message" not in done


def test_list_without_ids_returns_newest_20_newest_first(server, family):
    c = make_client(family, server.endpoint, server.new_account())
    db = create_db(c)
    p = paused_pipeline(c)
    submitted = [submit_delete(c, db["FpDBId"], PipelineId=p["Id"], UserData=f"n{i}") for i in range(25)]
    other = make_client(family, server.endpoint, server.new_account())
    submit_delete(other, create_db(other)["FpDBId"])  # another account's newer job must not show
    body, jobs, missing = query_jobs(c)
    assert "NonExistIds" not in body
    assert [j["Id"] for j in jobs] == list(reversed(submitted))[:20]
    assert [j["UserData"] for j in jobs] == [f"n{i}" for i in range(24, 4, -1)]
    resume(c, p)


def test_query_mixed_known_unknown_foreign_in_asked_order(server, family):
    c = make_client(family, server.endpoint, server.new_account())
    other = make_client(family, server.endpoint, server.new_account())
    db = create_db(c)
    a, b, d = (submit_delete(c, db["FpDBId"], UserData=f"j{i}") for i in range(3))
    foreign = submit_delete(other, create_db(other)["FpDBId"])
    ghost = secrets.token_hex(16)
    body, jobs, missing = query_jobs(c, [d, ghost, a, foreign, b])
    assert [j["Id"] for j in jobs] == [d, a, b], "results keep the order asked for"
    assert sorted(missing) == sorted([ghost, foreign])
    assert {j["FpDBId"] for j in jobs} == {db["FpDBId"]}
    _, jobs, missing = query_jobs(c, [b, a])
    assert [j["Id"] for j in jobs] == [b, a] and missing == []


def test_query_tolerates_spaces_and_repeats(client):
    db = create_db(client)
    a = submit_delete(client, db["FpDBId"])
    b = submit_delete(client, db["FpDBId"])
    _, jobs, missing = query_jobs(client, raw_ids=f" {a} , {b},{a} ,  {b}")
    assert dedupe([j["Id"] for j in jobs]) == [a, b]
    assert missing == []


def test_query_only_unknown(client):
    ghosts = [secrets.token_hex(16) for _ in range(3)]
    _, jobs, missing = query_jobs(client, ghosts)
    assert jobs == [] and sorted(missing) == sorted(ghosts)


def test_query_refuses_too_many_ids(server):
    c = make_client("core_form", server.endpoint, server.new_account())  # a form body: no URL limit
    ids = ",".join(secrets.token_hex(16) for _ in range(2000))
    expect_error(lambda: c.call("QueryFpDBDeleteJobList", {"JobIds": ids}), invalid, 400)


# ---- Purge keeps, Delete removes -------------------------------------------------------------


def test_purge_keeps_the_library(client):
    db = create_active_db(client, ModelId=13)
    jid = submit_delete(client, db["FpDBId"], DelType="Purge")
    assert wait_finished(client, jid)["Status"] == "Success"
    wait_for(lambda: status_of(client, db["FpDBId"]) == "active", what="purged library active again")
    _, found, missing = list_dbs(client, [db["FpDBId"]])
    assert missing == [] and found[0]["Name"] == db["Name"] and found[0]["ModelId"] == 13
    again = submit_delete(client, db["FpDBId"])
    assert wait_finished(client, again)["Status"] == "Success", "a purged library can be purged again"


def test_delete_removes_the_library(client):
    db = create_active_db(client)
    keep = create_active_db(client)
    jid = submit_delete(client, db["FpDBId"], DelType="Delete")
    done = wait_finished(client, jid)
    assert done["Status"] == "Success" and done["DelType"] == "Delete", done
    _, found, missing = list_dbs(client, [db["FpDBId"], keep["FpDBId"]])
    gone = db["FpDBId"] in missing or any(d["FpDBId"] == db["FpDBId"] and d["Status"] == "deleted" for d in found)
    assert gone, f"a deleted library is listed as deleted or in NonExistIds: {found} {missing}"
    assert any(d["FpDBId"] == keep["FpDBId"] and d["Status"] == "active" for d in found)

    # Later jobs against it fail with a clear code: refused at submit, or the job fails.
    try:
        later = submit_delete(client, db["FpDBId"], DelType="Purge")
    except ApiError as e:
        assert client_error(e.code) and 400 <= e.status < 500, e
    else:
        failed = wait_finished(client, later)
        assert failed["Status"] == "Fail" and failed["Code"], failed


# ---- XML -------------------------------------------------------------------------------------


def test_query_xml(server):
    key = server.new_account()
    c = make_client("sdk6_v3", server.endpoint, key)
    db = create_db(c)
    jid = submit_delete(c, db["FpDBId"], UserData="x<y>&z")
    wait_finished(c, jid)
    ghost = secrets.token_hex(16)
    resp, _ = v1_request(server.port, "QueryFpDBDeleteJobList", key.id, key.secret, {"JobIds": f"{jid},{ghost}"}, fmt="XML")
    assert resp.status == 200, resp
    assert resp.headers["content-type"].replace(" ", "").lower() == "text/xml;charset=utf-8"
    root = ET.fromstring(resp.body)
    assert root.tag == "QueryFpDBDeleteJobListResponse"
    assert REQUEST_ID_RE.match(root.findtext("RequestId"))
    (j,) = root.findall("./FpDBDeleteJobList/FpDBDeleteJob")
    assert j.findtext("Id") == jid and j.findtext("FpDBId") == db["FpDBId"]
    assert j.findtext("Status") == "Success" and j.findtext("DelType") == "Purge"
    assert j.findtext("UserData") == "x<y>&z"
    assert [s.text for s in root.findall("./NonExistIds/String")] == [ghost]


# ---- how delete jobs meet other work (docs/compatibility.md) ---------------------------------


def test_second_job_on_a_deleted_library_fails_with_code_and_message(client):
    """Delete then Purge queued on one library: the Purge runs after the Delete and fails."""
    db = create_active_db(client)
    p = paused_pipeline(client)
    deleting = submit_delete(client, db["FpDBId"], DelType="Delete", PipelineId=p["Id"])
    purging = submit_delete(client, db["FpDBId"], DelType="Purge", PipelineId=p["Id"], UserData="late")
    resume(client, p)
    assert wait_finished(client, deleting)["Status"] == "Success"
    failed = wait_finished(client, purging)
    assert failed["Status"] == "Fail", failed
    assert failed["Code"] == "InvalidParameter.ResourceNotFound", failed
    assert failed["UserData"] == "late" and failed["DelType"] == "Purge"


def test_delete_frees_a_library_quota_slot(server):
    c = make_client("sdk6_v3", server.endpoint, server.new_account())
    dbs = []
    with pytest.raises(ApiError) as info:
        for _ in range(200):
            dbs.append(create_db(c)["FpDBId"])
    assert info.value.code.startswith("QuotaExceeded"), info.value
    done = wait_finished(c, submit_delete(c, dbs[0], DelType="Delete"))
    assert done["Status"] == "Success", done
    create_db(c)  # the deleted library no longer counts


def test_pipeline_with_unfinished_jobs_cannot_be_deleted(client):
    db = create_db(client)
    p = paused_pipeline(client)
    jid = submit_delete(client, db["FpDBId"], PipelineId=p["Id"])
    expect_error(lambda: client.call("DeletePipeline", {"PipelineId": p["Id"]}), client_error, 400)
    resume(client, p)
    assert wait_finished(client, jid)["Status"] == "Success"
    assert client.call("DeletePipeline", {"PipelineId": p["Id"]}).body["PipelineId"] == p["Id"]
    assert job(client, jid)["PipelineId"] == p["Id"], "finished jobs keep their PipelineId"
