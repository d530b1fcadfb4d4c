"""Raw-answer checks shared by the protocol and format tests (spec §2.7, §2.8)."""

import xml.etree.ElementTree as ET
from urllib.parse import parse_qsl, quote, urlencode

from expect import REQUEST_ID_RE, check_request_id
from harness_sign import v1_signature

ERROR_FIELDS = ("RequestId", "HostId", "Code", "Message", "Recommend")


def resign(url, secret, drop=(), method="POST", **changes):
    """Take a signed V1 URL, drop or change parameters, and sign it again."""
    params = dict(parse_qsl(url[2:], keep_blank_values=True))
    params.pop("Signature")
    for k in drop:
        params.pop(k)
    params.update(changes)
    params["Signature"] = v1_signature(method, params, secret)
    return "/?" + urlencode(params, quote_via=quote, safe="-_.~")


def ok_json(resp):
    assert resp.status == 200, resp
    assert resp.headers.get("content-type", "").startswith("application/json"), resp.headers
    body = resp.json()
    rid = check_request_id(body)
    assert resp.headers.get("x-acs-request-id") == rid, "x-acs-request-id header must equal body RequestId"
    return body


def err_json(resp, code, status):
    assert resp.status == status, resp
    assert resp.headers.get("content-type", "").startswith("application/json"), resp.headers
    body = resp.json()
    for f in ERROR_FIELDS:
        assert isinstance(body.get(f), str), f"error envelope field {f} missing or not a string: {body}"
    assert body["Code"] == code, body
    assert REQUEST_ID_RE.match(body["RequestId"]), body
    assert resp.headers.get("x-acs-request-id") == body["RequestId"]
    return body


def parse_xml(resp):
    assert resp.headers.get("content-type", "").replace(" ", "").lower() == "text/xml;charset=utf-8", resp.headers
    assert resp.body.startswith(b"<?xml"), resp.body[:100]
    return ET.fromstring(resp.body)
