"""The RPC protocol (spec §2): transports, signatures, timestamp and nonce windows, error envelope,
JSON and XML, RequestId. Requests the SDKs will not make (old Timestamp, a replayed nonce,
Format=XML) are signed by harness_sign.py, which is first checked against the spec's vectors."""

import socket
import uuid
from urllib.parse import parse_qsl

import pytest
from alibabacloud_tea_openapi.exceptions import ClientException as TeaClientException
from alibabacloud_tea_openapi.utils_models import OpenApiRequest, Params
from darabonba.runtime import RuntimeOptions

from expect import check_request_id, expect_error, wrapped
from wire import err_json, ok_json, resign
from harness_clients import ApiError, CoreForm, Sdk6, make_client
from harness_sign import (
    http_send,
    signed_v1_url,
    utc_timestamp,
    v1_request,
    v1_signature,
    v1_string_to_sign,
    v3_authorization,
    v3_request,
)

# ---- the test's own signer matches the spec's known answers ----------------------------------


def test_harness_signer_matches_spec_vectors():
    p = {
        "Action": "SubmitFpDBDeleteJob", "Format": "json", "Version": "2014-06-18",
        "Timestamp": "2024-01-01T00:00:00Z", "SignatureNonce": "0123456789abcdef0123456789abcdef",
        "FpDBId": "88c6ca184c0e47098a5b665e2a12****", "DelType": "Purge", "UserData": "a b*~+/测试",
        "SignatureMethod": "HMAC-SHA1", "SignatureVersion": "1.0", "AccessKeyId": "testid",
    }  # fmt: skip
    assert v1_signature("POST", p, "testsecret") == "dNBuN1azfrMIdYCKLzY1nhxrM6k="
    p2 = {
        "Action": "ListFpShotDB", "Format": "JSON", "Version": "2014-06-18", "RegionId": "cn-shanghai",
        "Timestamp": "2024-01-01T00:00:00Z", "SignatureMethod": "HMAC-SHA1", "SignatureType": "",
        "SignatureVersion": "1.0", "SignatureNonce": "0123456789abcdef0123456789abcdef",
        "AccessKeyId": "testid", "FpDBIds": "a,b",
    }  # fmt: skip
    assert v1_signature("POST", p2, "testsecret") == "rL2KYPMDtX+9ZpgRGFo9U9IGsiU="
    headers = {
        "accept": "application/json", "host": "127.0.0.1:8080", "x-acs-action": "SubmitFpDBDeleteJob",
        "x-acs-content-sha256": "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
        "x-acs-date": "2024-01-01T00:00:00Z", "x-acs-signature-nonce": "0123456789abcdef0123456789abcdef",
        "x-acs-version": "2014-06-18",
    }  # fmt: skip
    query = {"FpDBId": "88c6ca184c0e47098a5b665e2a12****", "DelType": "Purge", "UserData": "a b*~+/测试"}
    auth = v3_authorization("POST", query, headers, b"", "testid", "testsecret")
    assert auth.endswith("Signature=c735cfb16f72d18280ea4bcbe04b31c358613f6171f4fa09c77483dbf688d025")


# ---- transports ------------------------------------------------------------------------------


@pytest.mark.parametrize("method", ["GET", "POST"])
def test_raw_v1_query_params(server, key, method):
    resp, _ = v1_request(server.port, "AddPipeline", key.id, key.secret, {"Name": "q a+b*~/é"}, method=method)
    assert ok_json(resp)["Pipeline"]["Name"] == "q a+b*~/é"


def test_raw_v1_form_body_and_query_merged(server, key):
    """Business params in a form body (`+` means space), common params in the query."""
    resp, _ = v1_request(
        server.port, "AddPipeline", key.id, key.secret, {"Speed": "AIVideoFPShot"}, body_params={"Name": "form a b+c"}
    )
    p = ok_json(resp)["Pipeline"]
    assert p["Name"] == "form a b+c" and p["Speed"] == "AIVideoFPShot"


def test_v1_action_must_be_signed(server, key):
    """V1 does not sign headers, so fpshot takes a V1 request's action only from the signed
    `Action` parameter (docs/compatibility.md: 400 MissingAction), and the unsigned x-acs-action
    header can never redirect a signed request to another action. V3 signs x-acs-action."""
    url = resign(signed_v1_url("SearchPipeline", key.id, key.secret), key.secret, drop=("Action",))
    assert "Action=" not in url
    resp = http_send(server.port, "POST", url, headers={"x-acs-action": "SearchPipeline", "x-acs-version": "2014-06-18"})
    err_json(resp, "MissingAction", 400)

    url = signed_v1_url("SearchPipeline", key.id, key.secret)
    resp = http_send(server.port, "POST", url, headers={"x-acs-action": "AddPipeline"})
    assert "TotalCount" in ok_json(resp), "the signed Action wins over the header"


def test_raw_v3_get_and_post(server, key):
    for method in ("GET", "POST"):
        resp = v3_request(server.port, "SearchPipeline", key.id, key.secret, {"State": "All"}, method=method)
        assert ok_json(resp)["TotalCount"] == 1


def test_sdk6_v3_form_body_through_call_api(server, key):
    """TEA `call_api` with a form body: V3 covers the body by its SHA-256 only."""
    c = Sdk6(server.endpoint, key, v1=False).client
    params = Params(
        action="AddPipeline", version="2014-06-18", protocol="HTTP", pathname="/", method="POST",
        auth_type="AK", style="RPC", req_body_type="formData", body_type="json",
    )  # fmt: skip
    resp = c.call_api(params, OpenApiRequest(body={"Name": "v3 form+body"}), RuntimeOptions())
    assert resp["body"]["Pipeline"]["Name"] == "v3 form+body"
    assert resp["headers"]["x-acs-request-id"] == resp["body"]["RequestId"]


def test_signature_method_compared_case_insensitively(server, key):
    """The MPS doc example spells it Hmac-SHA1 (spec §2.2)."""
    url = resign(signed_v1_url("SearchPipeline", key.id, key.secret), key.secret, SignatureMethod="Hmac-SHA1")
    ok_json(http_send(server.port, "POST", url))


def test_sdk6_endpoint_with_scheme_signs_the_literal_host(server, key):
    """`endpoint='http://127.0.0.1:PORT'` makes TEA send and sign `host: http://127.0.0.1:PORT`."""
    from alibabacloud_mts20140618.client import Client
    from alibabacloud_mts20140618 import models
    from alibabacloud_tea_openapi.models import Config

    cfg = Config(access_key_id=key.id, access_key_secret=key.secret, endpoint=f"http://{server.endpoint}", protocol="http")
    body = Client(cfg).search_pipeline(models.SearchPipelineRequest()).body.to_map()
    assert body["TotalCount"] == 1


def test_sdk6_response_headers_carry_request_id(server, key):
    for v1 in (False, True):
        r = Sdk6(server.endpoint, key, v1=v1).call("SearchPipeline", {})
        assert r.status == 200
        assert r.headers["x-acs-request-id"] == check_request_id(r.body)


def test_v1_tampered_parameter_refused(server, key):
    url = signed_v1_url("AddPipeline", key.id, key.secret, {"Name": "genuine"})
    resp = http_send(server.port, "POST", url.replace("Name=genuine", "Name=forged"))
    err_json(resp, "SignatureDoesNotMatch", 400)


def test_v3_tampered_body_refused(server, key):
    """V3 covers a form body by x-acs-content-sha256: another body under the same headers fails."""
    import hashlib

    body = b"Name=genuine"
    headers = {
        "host": f"127.0.0.1:{server.port}", "x-acs-action": "AddPipeline", "x-acs-version": "2014-06-18",
        "x-acs-date": utc_timestamp(), "x-acs-signature-nonce": uuid.uuid4().hex,
        "x-acs-content-sha256": hashlib.sha256(body).hexdigest(), "accept": "application/json",
        "content-type": "application/x-www-form-urlencoded",
    }  # fmt: skip
    headers["authorization"] = v3_authorization("POST", {}, headers, body, key.id, key.secret)
    resp = http_send(server.port, "POST", "/", b"Name=forged", headers)
    assert resp.status == 400 and resp.json()["Code"] in ("SignatureDoesNotMatch", "IncompleteSignature"), resp
    headers["x-acs-signature-nonce"] = uuid.uuid4().hex
    headers["authorization"] = v3_authorization("POST", {}, headers, body, key.id, key.secret)
    assert ok_json(http_send(server.port, "POST", "/", body, headers))["Pipeline"]["Name"] == "genuine"


def test_throttling_answer_makes_sdk6_raise_throttling_exception(server):
    """Past the per-account QPS: 400 Throttling.User with x-acs-retry-after, which TEA turns
    into ThrottlingException (spec §2.8)."""
    from alibabacloud_tea_openapi.exceptions import ThrottlingException

    key = server.new_account()
    throttled = None
    for _ in range(1000):
        resp, _ = v1_request(server.port, "SearchPipeline", key.id, key.secret)
        if resp.status != 200:
            throttled = resp
            break
    assert throttled is not None, "1000 back-to-back requests were never throttled"
    body = err_json(throttled, "Throttling.User", 400)
    assert int(throttled.headers["x-acs-retry-after"]) > 0, throttled.headers
    with pytest.raises(ApiError) as info:
        for _ in range(1000):
            Sdk6(server.endpoint, key, v1=False).call("SearchPipeline", {})
    assert isinstance(info.value.original, ThrottlingException), info.value
    assert body["Message"]


# ---- timestamps ------------------------------------------------------------------------------


@pytest.mark.parametrize("offset", [-16 * 60, 16 * 60, -24 * 3600])
def test_v1_timestamp_outside_window(server, key, offset):
    resp, _ = v1_request(server.port, "SearchPipeline", key.id, key.secret, timestamp=utc_timestamp(offset))
    body = err_json(resp, "InvalidTimeStamp.Expired", 400)
    assert body["Message"] == "Specified time stamp or date value is expired."


def test_v1_timestamp_inside_window(server, key):
    resp, _ = v1_request(server.port, "SearchPipeline", key.id, key.secret, timestamp=utc_timestamp(-10 * 60))
    ok_json(resp)


def test_v1_malformed_timestamp(server, key):
    resp, _ = v1_request(server.port, "SearchPipeline", key.id, key.secret, timestamp="yesterday")
    err_json(resp, "IllegalTimestamp", 400)


def test_v3_date_outside_window(server, key):
    resp = v3_request(server.port, "SearchPipeline", key.id, key.secret, date=utc_timestamp(-20 * 60))
    err_json(resp, "InvalidTimeStamp.Expired", 400)


# ---- nonces ----------------------------------------------------------------------------------


def test_v1_replayed_nonce_refused(server, key):
    resp, url = v1_request(server.port, "AddPipeline", key.id, key.secret, {"Name": "once"})
    ok_json(resp)
    again = http_send(server.port, "POST", url)
    body = err_json(again, "SignatureNonceUsed", 400)
    assert body["Message"] == "Specified signature nonce was used already."
    names = [p["Name"] for p in wrapped(make_client("sdk6_v3", server.endpoint, key).call("SearchPipeline", {}).body, "PipelineList", "Pipeline")]
    assert names.count("once") == 1, "the replayed AddPipeline must not have run"


def test_v3_replayed_nonce_refused(server, key):
    nonce, date = uuid.uuid4().hex, utc_timestamp()
    ok_json(v3_request(server.port, "SearchPipeline", key.id, key.secret, nonce=nonce, date=date))
    err_json(v3_request(server.port, "SearchPipeline", key.id, key.secret, nonce=nonce, date=date), "SignatureNonceUsed", 400)


def test_nonce_is_checked_only_after_the_signature(server, key):
    """A forged request must not burn the nonce of the real one."""
    nonce = uuid.uuid4().hex
    bad, _ = v1_request(server.port, "SearchPipeline", key.id, key.secret + "x", nonce=nonce)
    assert bad.json()["Code"] == "SignatureDoesNotMatch"
    good, _ = v1_request(server.port, "SearchPipeline", key.id, key.secret, nonce=nonce)
    ok_json(good)


def test_replayed_nonce_refused_after_restart(own_server):
    key = own_server.new_account()
    resp, url = v1_request(own_server.port, "SearchPipeline", key.id, key.secret)
    ok_json(resp)
    own_server.restart()
    err_json(http_send(own_server.port, "POST", url), "SignatureNonceUsed", 400)


# ---- signature mismatch envelope ---------------------------------------------------------------


def test_v1_mismatch_message_carries_server_string_to_sign(server, key):
    resp, url = v1_request(server.port, "SearchPipeline", key.id, "not-the-secret", {"PageSize": "5"})
    body = err_json(resp, "SignatureDoesNotMatch", 400)
    params = dict(parse_qsl(url[2:], keep_blank_values=True))
    params.pop("Signature")
    expected = "Specified signature is not matched with our calculation. server string to sign is:" + v1_string_to_sign(
        "POST", params
    )
    assert body["Message"] == expected
    assert body["Message"].count(":") == 1, "CORE splits on the first ':'"


def test_v3_mismatch(server, key):
    resp = v3_request(server.port, "SearchPipeline", key.id, key.secret + "x")
    err_json(resp, "SignatureDoesNotMatch", 400)


# ---- routing errors --------------------------------------------------------------------------


@pytest.mark.parametrize("action", ["NoSuchAction", "UpdateFpShotDB", "SubmitImportFpShotJob"])
def test_unknown_action_raw(server, key, action):
    resp, _ = v1_request(server.port, action, key.id, key.secret)
    body = err_json(resp, "InvalidAction.NotFound", 404)
    assert body["Message"] == "Specified api is not found, please check your url and method."


def test_unknown_action_core_common_request(server, key):
    c = CoreForm(server.endpoint, key)
    expect_error(lambda: c.call("NoSuchAction", {"X": "1"}), "InvalidAction.NotFound", 404)


def test_unknown_action_sdk6_v3(server, key):
    c = Sdk6(server.endpoint, key, v1=False).client
    params = Params(
        action="NoSuchAction", version="2014-06-18", protocol="HTTP", pathname="/", method="POST",
        auth_type="AK", style="RPC", req_body_type="formData", body_type="json",
    )  # fmt: skip
    with pytest.raises(TeaClientException) as info:
        c.call_api(params, OpenApiRequest(query={}), RuntimeOptions())
    assert info.value.code == "InvalidAction.NotFound" and info.value.status_code == 404


def test_unknown_version(server, key):
    url = resign(signed_v1_url("SearchPipeline", key.id, key.secret), key.secret, Version="2099-01-01")
    resp = http_send(server.port, "POST", url)
    assert resp.status == 400 and resp.json()["Code"] == "NoSuchVersion", resp


def test_missing_parameter_envelope(server, key, family):
    c = make_client(family, server.endpoint, key)
    e = expect_error(lambda: c.call("DeletePipeline", {}), "MissingPipelineId", 400)
    assert "PipelineId" in (e.message or "")


def test_missing_parameter_raw_envelope(server, key):
    resp, _ = v1_request(server.port, "DeletePipeline", key.id, key.secret)
    body = err_json(resp, "MissingPipelineId", 400)
    assert body["Message"] == "PipelineId is mandatory for this action."


def test_unknown_key_raw(server):
    resp, _ = v1_request(server.port, "SearchPipeline", "LTAI" + uuid.uuid4().hex, "x")
    body = err_json(resp, "InvalidAccessKeyId.NotFound", 404)
    assert body["Message"] == "Specified access key is not found."


# ---- limits and health -------------------------------------------------------------------------


def test_oversized_body_gets_an_error_answer(server, key):
    """A body over the request-size limit is answered with an error, not a dropped connection."""
    size = 16 * 1024 * 1024
    with socket.create_connection(("127.0.0.1", server.port), timeout=30) as s:
        head = (
            f"POST /?Action=SearchPipeline&Version=2014-06-18 HTTP/1.1\r\nHost: 127.0.0.1:{server.port}\r\n"
            f"Content-Type: application/x-www-form-urlencoded\r\nContent-Length: {size}\r\nConnection: close\r\n\r\n"
        )
        s.sendall(head.encode())
        chunk = b"a" * 65536
        try:
            for _ in range(size // len(chunk)):
                s.sendall(chunk)
        except OSError:
            pass  # the server may answer and stop reading early; the answer must still be there
        data = b""
        try:
            while True:
                part = s.recv(65536)
                if not part:
                    break
                data += part
        except OSError:
            pass
    status_line = data.split(b"\r\n", 1)[0]
    assert status_line.split(b" ")[1:2] == [b"413"], f"expected 413, got {data[:300]!r}"
    _, _, body = data.partition(b"\r\n\r\n")
    assert b"RequestEntityTooLarge" in body and b"RequestId" in body, f"the error envelope: {data[:400]!r}"


def test_healthz(server):
    assert server.healthz() == 200


def test_sdk_error_is_client_exception_with_status(server, key):
    """SDK6's generic error contract: ClientException with code, statusCode in data, RequestId."""
    c = Sdk6(server.endpoint, key, v1=False)
    with pytest.raises(ApiError) as info:
        c.call("DeletePipeline", {})
    e = info.value.original
    assert isinstance(e, TeaClientException)
    assert e.data["statusCode"] == 400 and e.data["Code"] == "MissingPipelineId"
    assert e.message.startswith("code: 400, ")
