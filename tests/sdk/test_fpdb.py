"""Fingerprint libraries (spec §4.1 CreateFpShotDB, §4.2 ListFpShotDB) through every SDK family."""

import json
import secrets

import pytest

from expect import check_request_id, expect_error, wait_for
from fpdb_helpers import create_active_db, create_db, list_dbs, status_of
from harness_clients import ApiError, make_client


def invalid(code):
    return code.startswith("InvalidParameter")


def test_create_fpshot_db_all_fields(client):
    name = f"视频库 {secrets.token_hex(3)}"
    config = json.dumps({"threshold": 0.8, "tags": ["a", "b"]})
    db = create_db(client, name, ModelId=12, Config=config, Description="video lib: a+b*~/")
    assert db["Name"] == name
    assert db["ModelId"] == 12
    assert db["Description"] == "video lib: a+b*~/"
    assert json.loads(db["Config"]) == json.loads(config)
    assert "Status" not in db, "CreateFpShotDB names the field State, ListFpShotDB names it Status"

    wait_for(lambda: status_of(client, db["FpDBId"]) == "active", what="offline -> active")
    _, found, missing = list_dbs(client, [db["FpDBId"]])
    assert missing == []
    (listed,) = found
    assert listed["FpDBId"] == db["FpDBId"] and listed["Name"] == name
    assert listed["ModelId"] == 12 and listed["Description"] == "video lib: a+b*~/"
    assert "State" not in listed


@pytest.mark.parametrize("model_id", [11, 12, 13, 14])
def test_create_each_model(server, family, model_id):
    c = make_client(family, server.endpoint, server.new_account())
    db = create_db(c, ModelId=model_id)
    assert db["ModelId"] == model_id
    _, found, _ = list_dbs(c, [db["FpDBId"]])
    assert found[0]["ModelId"] == model_id


def test_create_default_model_is_a_valid_model(client):
    db = create_db(client)
    assert db["ModelId"] in (11, 12, 13, 14), "the documented default ModelId must be one of 11-14"


@pytest.mark.parametrize("model_id", ["10", "15", "0", "-12", "video", "12.5"])
def test_create_rejects_bad_model(client, model_id):
    expect_error(lambda: client.call("CreateFpShotDB", {"Name": "x", "ModelId": model_id}), invalid, 400)


def test_create_requires_name(client):
    expect_error(lambda: client.call("CreateFpShotDB", {"ModelId": 12}), "MissingName", 400)


@pytest.mark.parametrize("config", ["{not json", "{'a': 1}", "[1,", "plain text"])
def test_create_rejects_config_that_is_not_json(client, config):
    expect_error(lambda: client.call("CreateFpShotDB", {"Name": "x", "Config": config}), invalid, 400)


def test_create_quota_per_account(server):
    """A per-account library quota refused with a clear code; another account is unaffected."""
    c = make_client("sdk6_v3", server.endpoint, server.new_account())
    created = 0
    with pytest.raises(ApiError) as info:
        for _ in range(200):
            create_db(c)
            created += 1
    e = info.value
    assert e.code.startswith("QuotaExceeded"), e
    assert 400 <= e.status < 500, e
    assert created >= 1
    other = make_client("sdk6_v3", server.endpoint, server.new_account())
    create_db(other)
    _, found, _ = list_dbs(c)
    assert len(found) == created, "the refused create left nothing behind"


# ---- ListFpShotDB ----------------------------------------------------------------------------


def test_list_found_unknown_and_foreign(server, family):
    mine = make_client(family, server.endpoint, server.new_account())
    theirs = make_client(family, server.endpoint, server.new_account())
    a = create_active_db(mine, ModelId=11)
    b = create_active_db(mine, ModelId=13)
    foreign = create_db(theirs)
    ghost = secrets.token_hex(16)
    body, found, missing = list_dbs(mine, [a["FpDBId"], ghost, foreign["FpDBId"], b["FpDBId"]])
    assert {d["FpDBId"] for d in found} == {a["FpDBId"], b["FpDBId"]}
    assert sorted(missing) == sorted([ghost, foreign["FpDBId"]])
    assert all(d["Status"] == "active" for d in found)


def test_list_all_exist_omits_non_exist_ids(client):
    a = create_db(client)
    body, found, missing = list_dbs(client, [a["FpDBId"]])
    assert "NonExistIds" not in body and [d["FpDBId"] for d in found] == [a["FpDBId"]]


def test_list_ten_ids_ok_eleven_refused(client):
    a = create_db(client)
    ids = [a["FpDBId"]] + [secrets.token_hex(16) for _ in range(9)]
    _, found, missing = list_dbs(client, ids)
    assert len(found) == 1 and len(missing) == 9
    expect_error(
        lambda: client.call("ListFpShotDB", {"FpDBIds": ",".join(ids + [secrets.token_hex(16)])}),
        invalid,
        400,
    )


def test_list_without_ids_returns_own_libraries(server, family):
    mine = make_client(family, server.endpoint, server.new_account())
    theirs = make_client(family, server.endpoint, server.new_account())
    _, found, _ = list_dbs(mine)
    assert found == [], "a fresh account has no libraries"
    ids = {create_db(mine)["FpDBId"] for _ in range(3)}
    create_db(theirs)
    body, found, missing = list_dbs(mine)
    assert {d["FpDBId"] for d in found} == ids
    assert "NonExistIds" not in body


def test_list_unicode_and_empty_description(client):
    db = create_db(client, "库-ü-✓")
    _, found, _ = list_dbs(client, [db["FpDBId"]])
    assert found[0]["Name"] == "库-ü-✓"
    assert found[0]["Description"] == ""


def test_create_and_list_have_request_ids(client):
    check_request_id(client.call("ListFpShotDB", {}).body)


def test_list_ids_tolerates_spaces_and_repeats_in_asked_order(client):
    a = create_db(client)["FpDBId"]
    b = create_db(client)["FpDBId"]
    body = client.call("ListFpShotDB", {"FpDBIds": f" {b} , {a},{b}"}).body
    ids = [d["FpDBId"] for d in body["FpShotDBList"]["FpShotDB"]]
    assert list(dict.fromkeys(ids)) == [b, a]
    assert "NonExistIds" not in body
