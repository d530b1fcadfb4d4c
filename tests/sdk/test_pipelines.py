"""Pipelines (spec §5) through every SDK family: AddPipeline, QueryPipelineList, SearchPipeline,
UpdatePipeline, DeletePipeline, and the account's default pipeline. Every field and JSON type is
checked on the dict the SDK hands to the user (SDK6 `resp.body.to_map()`, the raw JSON body for
the older SDK)."""

import json
import secrets

from expect import (
    check_request_id,
    check_types,
    client_error,
    expect_error,
    is_id,
    recent_utc,
    wrapped,
)

PIPELINE_TYPES = {
    "Id": str,
    "Name": str,
    "State": str,
    "Speed": str,
    "SpeedLevel": int,
    "QuotaAllocate": int,
    "Role": str,
}
NOTIFY_KEYS = ("Topic", "QueueName", "MqTopic", "MqTag")


def check_pipeline(p, where="Pipeline."):
    check_types(p, PIPELINE_TYPES, where)
    assert is_id(p["Id"]), f"{where}Id {p['Id']!r} is not 32 lower-case hex chars"
    assert p["State"] in ("Active", "Paused"), p
    if "NotifyConfig" in p:
        nc = p["NotifyConfig"]
        assert isinstance(nc, dict), f"{where}NotifyConfig must be an object: {nc!r}"
        for k, v in nc.items():
            assert k in NOTIFY_KEYS, f"unexpected NotifyConfig key {k}"
            assert isinstance(v, str), f"{where}NotifyConfig.{k}={v!r} must be a string"
    if "ExtendConfig" in p:
        ec = p["ExtendConfig"]
        assert isinstance(ec, dict), ec
        types = {"IsBoostNew": bool, "MaxMultiSpeed": int, "MultiSpeedDowngradePolicy": str}
        check_types(ec, {k: t for k, t in types.items() if k in ec}, where + "ExtendConfig.")


def unique_name(prefix="pl"):
    return f"{prefix}-{secrets.token_hex(4)}"


def add_pipeline(client, name=None, **params):
    body = client.call("AddPipeline", {"Name": name or unique_name(), **params}).body
    check_request_id(body)
    check_pipeline(body["Pipeline"])
    return body["Pipeline"]


def query(client, ids):
    body = client.call("QueryPipelineList", {"PipelineIds": ",".join(ids)}).body
    check_request_id(body)
    found = wrapped(body, "PipelineList", "Pipeline")
    for p in found:
        check_pipeline(p, "PipelineList.Pipeline[].")
    missing = wrapped(body, "NonExistPids", "String")
    if "NonExistPids" in body:
        assert missing, "NonExistPids must be omitted when every id exists"
        assert all(isinstance(x, str) for x in missing)
    return body, found, missing


def search(client, **params):
    body = client.call("SearchPipeline", params).body
    check_request_id(body)
    check_types(body, {"TotalCount": int, "PageNumber": int, "PageSize": int})
    items = wrapped(body, "PipelineList", "Pipeline")
    for p in items:
        check_pipeline(p, "SearchPipeline.Pipeline[].")
        assert isinstance(p.get("CreationTime"), str) and recent_utc(p["CreationTime"]), p
    return body, items


# ---- AddPipeline -----------------------------------------------------------------------------


def test_add_pipeline_all_fields(client):
    name = unique_name("full")
    p = add_pipeline(
        client,
        name,
        Speed="AIVideoFPShot",
        SpeedLevel=2,
        NotifyConfig=json.dumps({"Topic": "mts-topic-1"}),
        Role="AliyunMTSDefaultRole",
    )
    assert p["Name"] == name
    assert p["State"] == "Active", "new pipelines are Active"
    assert p["Speed"] == "AIVideoFPShot"
    assert p["SpeedLevel"] == 2
    assert p["Role"] == "AliyunMTSDefaultRole"
    assert p["NotifyConfig"]["Topic"] == "mts-topic-1"
    assert p["NotifyConfig"].get("QueueName", "") == ""


def test_add_pipeline_defaults(client):
    p = add_pipeline(client)
    assert p["Speed"] == "Standard", "Speed defaults to Standard"
    assert p["State"] == "Active"


def test_add_pipeline_unicode_name_round_trips(client):
    name = "队列 a+b*~/" + secrets.token_hex(2)
    p = add_pipeline(client, name)
    assert p["Name"] == name
    _, found, _ = query(client, [p["Id"]])
    assert [x["Name"] for x in found] == [name]


def test_add_pipeline_requires_name(client):
    expect_error(lambda: client.call("AddPipeline", {"Speed": "Standard"}), "MissingName", 400)


def test_add_pipeline_rejects_bad_notify_config(client):
    expect_error(
        lambda: client.call("AddPipeline", {"Name": unique_name(), "NotifyConfig": "{not json"}),
        lambda c: c.startswith("InvalidParameter"),
        400,
    )


def test_add_pipeline_rejects_long_name(client):
    expect_error(
        lambda: client.call("AddPipeline", {"Name": "n" * 129}),
        lambda c: c.startswith("InvalidParameter"),
        400,
    )


# ---- QueryPipelineList -----------------------------------------------------------------------


def test_query_pipeline_list_found_and_missing(client):
    a = add_pipeline(client, unique_name("a"))
    b = add_pipeline(client, unique_name("b"))
    ghost = secrets.token_hex(16)
    body, found, missing = query(client, [a["Id"], ghost, b["Id"]])
    by_id = {p["Id"]: p for p in found}
    assert set(by_id) == {a["Id"], b["Id"]}
    assert by_id[a["Id"]]["Name"] == a["Name"]
    assert by_id[b["Id"]]["Speed"] == b["Speed"]
    assert missing == [ghost]


def test_query_pipeline_list_all_exist_omits_non_exist_pids(client):
    a = add_pipeline(client)
    body, found, missing = query(client, [a["Id"]])
    assert [p["Id"] for p in found] == [a["Id"]]
    assert "NonExistPids" not in body
    assert "NonExistIds" not in body, "pipelines use NonExistPids, never NonExistIds"


def test_query_pipeline_list_only_unknown(client):
    ghosts = [secrets.token_hex(16) for _ in range(3)]
    body, found, missing = query(client, ghosts)
    assert found == []
    assert sorted(missing) == sorted(ghosts)


def test_query_pipeline_list_ten_ids_ok_eleven_refused(client):
    ids = [add_pipeline(client)["Id"] for _ in range(3)] + [secrets.token_hex(16) for _ in range(7)]
    _, found, missing = query(client, ids)
    assert len(found) == 3 and len(missing) == 7
    eleven = ids + [secrets.token_hex(16)]
    expect_error(
        lambda: client.call("QueryPipelineList", {"PipelineIds": ",".join(eleven)}),
        lambda c: c.startswith("InvalidParameter"),
        400,
    )


def test_query_pipeline_list_requires_ids(client):
    expect_error(lambda: client.call("QueryPipelineList", {}), "MissingPipelineIds", 400)


# ---- SearchPipeline and the default pipeline ---------------------------------------------------


def test_default_pipeline_exists(client):
    body, items = search(client)
    assert body["TotalCount"] == 1, "a fresh account has exactly its default pipeline"
    assert body["PageNumber"] == 1 and body["PageSize"] == 10, "defaults PageNumber 1, PageSize 10"
    (default,) = items
    assert default["State"] == "Active"
    _, found, missing = query(client, [default["Id"]])
    assert [p["Id"] for p in found] == [default["Id"]] and missing == []


def test_search_pipeline_state_filter_and_paging(client):
    created = [add_pipeline(client, unique_name(f"s{i}")) for i in range(4)]
    paused = created[1]
    client.call(
        "UpdatePipeline",
        {"PipelineId": paused["Id"], "Name": paused["Name"], "State": "Paused"},
    )
    body, items = search(client, State="All", PageSize=100)
    assert body["TotalCount"] == 5, "4 created + the default pipeline"
    all_ids = {p["Id"] for p in items}
    assert {p["Id"] for p in created} <= all_ids and len(all_ids) == 5

    body, items = search(client, State="Paused")
    assert body["TotalCount"] == 1 and [p["Id"] for p in items] == [paused["Id"]]
    assert items[0]["State"] == "Paused"

    body, items = search(client, State="Active")
    assert body["TotalCount"] == 4 and all(p["State"] == "Active" for p in items)
    assert paused["Id"] not in {p["Id"] for p in items}

    seen = []
    for page in (1, 2, 3):
        body, items = search(client, State="All", PageNumber=page, PageSize=2)
        assert body["PageNumber"] == page and body["PageSize"] == 2 and body["TotalCount"] == 5
        assert len(items) == (2 if page < 3 else 1)
        seen += [p["Id"] for p in items]
    assert len(seen) == 5 and set(seen) == all_ids, "pages must not overlap or skip"

    body, items = search(client, PageNumber=4, PageSize=2)
    assert items == [] and body["TotalCount"] == 5


def test_search_pipeline_rejects_bad_state(client):
    expect_error(lambda: client.call("SearchPipeline", {"State": "Sleeping"}), client_error, 400)


# ---- UpdatePipeline --------------------------------------------------------------------------


def test_update_pipeline_every_field(client):
    p = add_pipeline(client)
    new_name = unique_name("renamed")
    body = client.call(
        "UpdatePipeline",
        {
            "PipelineId": p["Id"],
            "Name": new_name,
            "State": "Paused",
            "NotifyConfig": json.dumps({"QueueName": "mts-queue-1"}),
            "Role": "AliyunMTSDefaultRole",
        },
    ).body
    check_request_id(body)
    up = body["Pipeline"]
    check_types(up, {k: t for k, t in PIPELINE_TYPES.items() if k != "SpeedLevel"}, "UpdatePipeline.Pipeline.")
    assert up["Id"] == p["Id"] and up["Name"] == new_name and up["State"] == "Paused"
    assert up["NotifyConfig"]["QueueName"] == "mts-queue-1"
    assert up["Role"] == "AliyunMTSDefaultRole"
    assert up["Speed"] == p["Speed"], "UpdatePipeline keeps Speed"

    _, found, _ = query(client, [p["Id"]])
    assert found[0]["Name"] == new_name and found[0]["State"] == "Paused"
    assert found[0]["NotifyConfig"]["QueueName"] == "mts-queue-1"

    up = client.call("UpdatePipeline", {"PipelineId": p["Id"], "Name": new_name, "State": "Active"}).body["Pipeline"]
    assert up["State"] == "Active"


def test_update_pipeline_required_params(client):
    p = add_pipeline(client)
    expect_error(lambda: client.call("UpdatePipeline", {"Name": "x", "State": "Active"}), "MissingPipelineId", 400)
    expect_error(lambda: client.call("UpdatePipeline", {"PipelineId": p["Id"], "State": "Active"}), "MissingName", 400)
    expect_error(lambda: client.call("UpdatePipeline", {"PipelineId": p["Id"], "Name": "x"}), "MissingState", 400)


def test_update_pipeline_rejects_bad_state(client):
    p = add_pipeline(client)
    expect_error(
        lambda: client.call("UpdatePipeline", {"PipelineId": p["Id"], "Name": p["Name"], "State": "Running"}),
        lambda c: c.startswith("InvalidParameter"),
        400,
    )


def test_update_unknown_pipeline(client):
    expect_error(
        lambda: client.call("UpdatePipeline", {"PipelineId": secrets.token_hex(16), "Name": "x", "State": "Active"}),
        client_error,
    )


# ---- DeletePipeline --------------------------------------------------------------------------


def test_delete_pipeline(client):
    p = add_pipeline(client)
    body = client.call("DeletePipeline", {"PipelineId": p["Id"]}).body
    check_request_id(body)
    assert body["PipelineId"] == p["Id"]
    _, found, missing = query(client, [p["Id"]])
    assert found == [] and missing == [p["Id"]]
    body, items = search(client)
    assert p["Id"] not in {x["Id"] for x in items}
    expect_error(lambda: client.call("DeletePipeline", {"PipelineId": p["Id"]}), client_error)


def test_delete_pipeline_requires_id(client):
    expect_error(lambda: client.call("DeletePipeline", {}), "MissingPipelineId", 400)


def test_default_pipeline_cannot_be_deleted(client):
    _, items = search(client)
    (default,) = items
    expect_error(lambda: client.call("DeletePipeline", {"PipelineId": default["Id"]}), client_error, 400)
    _, found, _ = query(client, [default["Id"]])
    assert [p["Id"] for p in found] == [default["Id"]]


def test_pipeline_quota(client):
    """A per-account pipeline quota (docs/compatibility.md), refused with a clear code."""
    e = expect_error(
        lambda: [add_pipeline(client) for _ in range(500)],
        lambda c: c.startswith("QuotaExceeded"),
        400,
    )
    assert "quota" in (e.message or "").lower(), e
    body, _ = search(client)
    assert body["TotalCount"] >= 2, "room for at least one pipeline besides the default"
    client.call("DeletePipeline", {"PipelineId": search(client, PageSize=100)[1][-1]["Id"]})
    add_pipeline(client)  # a deleted pipeline frees its slot
