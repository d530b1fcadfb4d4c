"""Accounts and AccessKeys through the SDKs: wrong secret, unknown key, disabled / re-enabled /
deleted key (operator CLI while the server runs), and isolation between accounts."""

import secrets

import pytest
from alibabacloud_tea_openapi.exceptions import ClientException as TeaClientException
from aliyunsdkcore.acs_exception.exceptions import ServerException as CoreServerException

from expect import REQUEST_ID_RE, check_request_id, client_error, expect_error, wrapped
from harness_clients import ApiError, make_client
from harness_server import Key


def search(c):
    return c.call("SearchPipeline", {"PageSize": 100}).body


# ---- wrong secret --------------------------------------------------------------------------


@pytest.mark.parametrize("family", ["sdk6_v3", "sdk6_v1"])
def test_wrong_secret_sdk6_raises_client_exception(server, account, family):
    bad = Key(account.id, account.secret + "x")
    c = make_client(family, server.endpoint, bad)
    with pytest.raises(ApiError) as info:
        search(c)
    e = info.value
    assert isinstance(e.original, TeaClientException), f"SDK6 must raise ClientException, got {e.original!r}"
    assert e.code == "SignatureDoesNotMatch" and e.status == 400, e
    assert REQUEST_ID_RE.match(e.request_id or ""), e
    if family == "sdk6_v1":
        assert "server string to sign is:" in e.message, e.message


@pytest.mark.parametrize("family", ["old_post", "old_get"])
def test_wrong_secret_old_sdk_raises_server_exception(server, account, family):
    """CORE splits the message on ':' (IndexError without one) and, when the text after it equals
    its own string to sign, rewrites the error to InvalidAccessKeySecret. Getting the rewrite
    proves the server's V1 string to sign is byte-identical to the client's."""
    bad = Key(account.id, "wrong-" + account.secret)
    c = make_client(family, server.endpoint, bad)
    with pytest.raises(ApiError) as info:
        search(c)
    e = info.value
    assert isinstance(e.original, CoreServerException), f"expected ServerException, got {e.original!r}"
    assert e.status == 400, e
    assert e.code == "InvalidAccessKeySecret", f"server string to sign differs from CORE's: {e}"
    assert REQUEST_ID_RE.match(e.request_id or ""), e


def test_wrong_secret_core_common_request(server, account):
    """CommonRequest keeps no string to sign of its own, so CORE never rewrites the code there:
    the server's SignatureDoesNotMatch comes through, and the body-signed params are in it."""
    c = make_client("core_form", server.endpoint, Key(account.id, account.secret[::-1]))
    with pytest.raises(ApiError) as info:
        search(c)
    e = info.value
    assert isinstance(e.original, CoreServerException), f"expected ServerException, got {e.original!r}"
    assert e.status == 400 and e.code == "SignatureDoesNotMatch", e
    prefix = "Specified signature is not matched with our calculation. server string to sign is:"
    assert e.message.startswith(prefix), e.message
    assert "PageSize%3D100" in e.message, "form-body params are part of the V1 string to sign"


# ---- unknown, disabled, deleted keys -----------------------------------------------------------


def test_unknown_key(server, family):
    c = make_client(family, server.endpoint, Key("LTAI" + secrets.token_hex(10), "whatever"))
    expect_error(lambda: search(c), "InvalidAccessKeyId.NotFound", 404)


def test_disabled_key_refused_then_enabled_again(server, family):
    key = server.new_account()
    c = make_client(family, server.endpoint, key)
    check_request_id(search(c))

    server.disable_key(key.id)
    listed = {k["AccessKeyId"]: k for k in server.list_keys()}
    assert listed[key.id]["Enabled"] is False
    e = expect_error(lambda: search(c), "InvalidAccessKeyId.Inactive", 403)
    assert key.secret not in (e.message or "")

    server.enable_key(key.id)
    assert {k["AccessKeyId"]: k for k in server.list_keys()}[key.id]["Enabled"] is True
    check_request_id(search(c))


def test_deleted_key_is_unknown(server, family):
    key = server.new_account()
    c = make_client(family, server.endpoint, key)
    check_request_id(search(c))
    server.delete_key(key.id)
    assert key.id not in {k["AccessKeyId"] for k in server.list_keys()}
    expect_error(lambda: search(c), "InvalidAccessKeyId.NotFound", 404)


def test_key_create_without_new_account_adds_a_root_key(server):
    """`fpshot key create` without --new-account gives the root account another key."""
    root_account = {k["AccessKeyId"]: k for k in server.list_keys()}[server.root.id]["AccountId"]
    second = server.create_key()
    assert second.account_id == root_account and second.id != server.root.id
    a = make_client("sdk6_v3", server.endpoint, server.root)
    b = make_client("old_post", server.endpoint, second)
    pid = a.call("AddPipeline", {"Name": "shared"}).body["Pipeline"]["Id"]
    found = wrapped(b.call("QueryPipelineList", {"PipelineIds": pid}).body, "PipelineList", "Pipeline")
    assert [p["Id"] for p in found] == [pid]


def test_key_cli_accepts_data_dir_after_the_subcommand(server):
    """The operator contract is `fpshot key create --data-dir DIR [--new-account NAME] --json`."""
    import json
    import subprocess

    from harness_server import clean_env, fpshot_bin

    cmd = [fpshot_bin(), "key", "create", "--data-dir", server.data_dir, "--new-account", "contract", "--json"]
    r = subprocess.run(cmd, capture_output=True, text=True, timeout=60, env=clean_env(), stdin=subprocess.DEVNULL)
    assert r.returncode == 0, f"{' '.join(cmd)} exited {r.returncode}: {r.stderr}"
    out = json.loads(r.stdout)
    assert set(out) >= {"AccessKeyId", "AccessKeySecret", "AccountId"}


def test_key_list_json_shape(server):
    key = server.new_account()
    keys = server.list_keys()
    assert isinstance(keys, list)
    mine = [k for k in keys if k["AccessKeyId"] == key.id]
    assert len(mine) == 1
    k = mine[0]
    assert k["AccountId"] == key.account_id and k["Enabled"] is True
    assert server.root.id in {k["AccessKeyId"] for k in keys}, "the root key from FPSHOT_ACCESS_KEY_ID is listed"


def test_root_key_from_environment_works(server, family):
    c = make_client(family, server.endpoint, server.root)
    check_request_id(search(c))


# ---- isolation -------------------------------------------------------------------------------


def test_accounts_are_isolated(server, family):
    a = make_client(family, server.endpoint, server.new_account())
    b = make_client(family, server.endpoint, server.new_account())
    mine = a.call("AddPipeline", {"Name": "private"}).body["Pipeline"]
    a_default = wrapped(search(a), "PipelineList", "Pipeline")
    b_default = wrapped(search(b), "PipelineList", "Pipeline")
    assert len(b_default) == 1, "b sees only its own default pipeline"
    assert b_default[0]["Id"] not in {p["Id"] for p in a_default}

    body = b.call("QueryPipelineList", {"PipelineIds": f"{mine['Id']},{b_default[0]['Id']}"}).body
    assert [p["Id"] for p in wrapped(body, "PipelineList", "Pipeline")] == [b_default[0]["Id"]]
    assert wrapped(body, "NonExistPids", "String") == [mine["Id"]]

    expect_error(
        lambda: b.call("UpdatePipeline", {"PipelineId": mine["Id"], "Name": "stolen", "State": "Paused"}),
        client_error,
    )
    expect_error(lambda: b.call("DeletePipeline", {"PipelineId": mine["Id"]}), client_error)

    still = wrapped(a.call("QueryPipelineList", {"PipelineIds": mine["Id"]}).body, "PipelineList", "Pipeline")
    assert [(p["Name"], p["State"]) for p in still] == [("private", "Active")]


# ---- secrets never logged ----------------------------------------------------------------------


def test_secrets_never_in_server_log(server):
    key = server.new_account()
    for family in ("sdk6_v3", "sdk6_v1", "old_post"):
        c = make_client(family, server.endpoint, key)
        search(c)
        with pytest.raises(ApiError):
            search(make_client(family, server.endpoint, Key(key.id, key.secret + "zz")))
    with open(server.log_path, encoding="utf-8", errors="replace") as f:
        log = f.read()
    assert log.strip(), "the server writes structured logs"
    assert key.secret not in log, "an AccessKeySecret appeared in the server log"
    assert server.root.secret not in log, "the root AccessKeySecret appeared in the server log"


# ---- concurrency: many clients and the operator CLI at once ------------------------------------


def test_concurrent_clients_and_key_commands(server):
    """SDK clients of every family write at once while the operator CLI writes keys into the same
    data dir: nothing is refused for being busy and nothing is lost."""
    import threading

    from harness_clients import FAMILIES, call_patiently

    per_client = 12
    keys = [server.new_account() for _ in FAMILIES]
    errors = []

    def work(key, family):
        try:
            c = make_client(family, server.endpoint, key)
            for i in range(per_client):
                call_patiently(c, "AddPipeline", {"Name": f"{family}-{i}"})
        except Exception as e:  # noqa: BLE001 - collected and reported below
            errors.append(f"{family}: {e!r}")

    threads = [threading.Thread(target=work, args=(k, f)) for k, f in zip(keys, FAMILIES)]
    for t in threads:
        t.start()
    made = [server.new_account() for _ in range(5)]
    for t in threads:
        t.join(timeout=120)
    assert errors == []
    listed = {k["AccessKeyId"] for k in server.list_keys()}
    assert {k.id for k in made} <= listed
    for key, family in zip(keys, FAMILIES):
        body = make_client("sdk6_v3", server.endpoint, key).call("SearchPipeline", {"PageSize": 100}).body
        assert body["TotalCount"] == per_client + 1, f"{family}: {body['TotalCount']} pipelines"
