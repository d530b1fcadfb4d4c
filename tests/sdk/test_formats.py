"""Answer formats (spec §2.7, §2.8): JSON by default for V3 and JSON-accepting clients, XML when
asked or by the V1 default; XML carries exactly the fields JSON carries; the README's snippet."""

import uuid

import pytest

from expect import REQUEST_ID_RE, is_id, wait_for
from fpdb_helpers import status_of, wait_finished
from harness_clients import make_client
from harness_sign import http_send, signed_v1_url, v1_request
from wire import ERROR_FIELDS, ok_json, parse_xml


# ---- XML -------------------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", ["XML", "xml"])
def test_xml_error_body(server, key, fmt):
    resp, _ = v1_request(server.port, "DeletePipeline", key.id, key.secret, fmt=fmt)
    assert resp.status == 400
    root = parse_xml(resp)
    assert root.tag == "Error"
    fields = {child.tag: child.text for child in root}
    assert set(ERROR_FIELDS) <= set(fields), fields
    assert fields["Code"] == "MissingPipelineId"
    assert REQUEST_ID_RE.match(fields["RequestId"])
    assert resp.headers.get("x-acs-request-id") == fields["RequestId"]


def test_xml_signature_error_body(server, key):
    resp, _ = v1_request(server.port, "SearchPipeline", key.id, key.secret + "x", fmt="XML")
    assert resp.status == 400
    root = parse_xml(resp)
    assert root.tag == "Error" and root.findtext("Code") == "SignatureDoesNotMatch"


def test_xml_success_body(server, key):
    v1_request(server.port, "AddPipeline", key.id, key.secret, {"Name": "x<&>y"})
    resp, _ = v1_request(server.port, "SearchPipeline", key.id, key.secret, {"PageSize": "100"}, fmt="XML")
    assert resp.status == 200
    root = parse_xml(resp)
    assert root.tag == "SearchPipelineResponse"
    rid = root.findtext("RequestId")
    assert REQUEST_ID_RE.match(rid) and resp.headers.get("x-acs-request-id") == rid
    assert root.findtext("TotalCount") == "2" and root.findtext("PageNumber") == "1"
    pipelines = root.findall("./PipelineList/Pipeline")
    assert len(pipelines) == 2
    assert "x<&>y" in {p.findtext("Name") for p in pipelines}, "XML text must be escaped and round-trip"
    assert all(is_id(p.findtext("Id")) for p in pipelines)


def test_default_format_without_accept_is_xml(server, key):
    """Spec §2.7 server rule: no Format and no JSON Accept header on V1 -> XML (the doc default)."""
    resp, _ = v1_request(server.port, "SearchPipeline", key.id, key.secret, fmt=None)
    assert resp.status == 200
    assert parse_xml(resp).tag == "SearchPipelineResponse"


def test_default_format_with_json_accept_is_json(server, key):
    url = signed_v1_url("SearchPipeline", key.id, key.secret, fmt=None)
    ok_json(http_send(server.port, "POST", url, headers={"Accept": "application/json"}))


# ---- the README's snippet ----------------------------------------------------------------------


def test_readme_python_snippet_works(server, key):
    """The first ```python block of README.md, pointed at this server, runs as a new user would."""
    import os
    import re
    import subprocess
    import sys

    readme = os.path.join(os.path.dirname(__file__), "..", "..", "README.md")
    with open(readme, encoding="utf-8") as f:
        text = f.read()
    m = re.search(r"```python\n(.*?)```", text, re.S)
    assert m, "README.md has no ```python snippet"
    code = m.group(1)
    for field, value in (("access_key_id", key.id), ("access_key_secret", key.secret), ("endpoint", server.endpoint)):
        code, n = re.subn(rf"{field}\s*=\s*(['\"])[^'\"]*\1", f"{field}={value!r}", code)
        assert n == 1, f"README snippet must set {field}= exactly once"
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, stdin=subprocess.DEVNULL)
    assert r.returncode == 0, f"README snippet failed:\n{code}\nstdout: {r.stdout}\nstderr: {r.stderr}"
    assert r.stdout.strip(), "the snippet prints the answer"


# ---- XML carries exactly what JSON carries ---------------------------------------------------


def xml_matches(value, elem, path):
    """`elem`'s children are exactly the JSON object's keys; arrays are repeated elements."""
    if isinstance(value, dict):
        assert {c.tag for c in elem} == set(value), f"{path}: XML {[c.tag for c in elem]} vs JSON {sorted(value)}"
        for k, v in value.items():
            if isinstance(v, list):
                items = elem.findall(k)
                assert len(items) == len(v), f"{path}.{k}: {len(items)} XML items vs {len(v)} JSON"
                for i, (item, e) in enumerate(zip(v, items)):
                    xml_matches(item, e, f"{path}.{k}[{i}]")
            else:
                xml_matches(v, elem.find(k), f"{path}.{k}")
    else:
        text = elem.text or ""
        want = ("true" if value else "false") if isinstance(value, bool) else str(value)
        assert text == want, f"{path}: XML {text!r} vs JSON {want!r}"


def test_xml_and_json_answers_carry_the_same_fields(server, key):
    c = make_client("sdk6_v3", server.endpoint, key)
    p = c.call("AddPipeline", {"Name": "xml", "NotifyConfig": '{"Topic":"t"}'}).body["Pipeline"]
    db = c.call("CreateFpShotDB", {"Name": "xml lib", "ModelId": 13}).body["FpShotDB"]["FpDBId"]
    job = c.call("SubmitFpDBDeleteJob", {"FpDBId": db, "UserData": "u"}).body["JobId"]
    ghost = uuid.uuid4().hex
    read_only = [
        ("SearchPipeline", {"PageSize": "100"}),
        ("QueryPipelineList", {"PipelineIds": f"{p['Id']},{ghost}"}),
        ("ListFpShotDB", {"FpDBIds": f"{db},{ghost}"}),
        ("ListFpShotDB", {}),
        ("QueryFpDBDeleteJobList", {"JobIds": f"{job},{ghost}"}),
    ]
    # Both answers must see the same state: let the job and the library settle first.
    wait_finished(c, job)
    wait_for(lambda: status_of(c, db) == "active", what="library active")
    for action, params in read_only:
        as_json = ok_json(v1_request(server.port, action, key.id, key.secret, params)[0])
        resp, _ = v1_request(server.port, action, key.id, key.secret, params, fmt="XML")
        assert resp.status == 200, resp
        root = parse_xml(resp)
        assert root.tag == f"{action}Response"
        assert [c.tag for c in root][0] == "RequestId", "RequestId comes first"
        as_json["RequestId"] = root.findtext("RequestId")
        xml_matches(as_json, root, action)
    for action, params in [
        ("AddPipeline", {"Name": "xml2"}),
        ("UpdatePipeline", {"PipelineId": p["Id"], "Name": "xml3", "State": "Paused"}),
        ("CreateFpShotDB", {"Name": "xml lib 2"}),
        ("SubmitFpDBDeleteJob", {"FpDBId": db}),
        ("DeletePipeline", {"PipelineId": p["Id"]}),
    ]:
        resp, _ = v1_request(server.port, action, key.id, key.secret, params, fmt="XML")
        assert resp.status == 200, resp
        root = parse_xml(resp)
        assert root.tag == f"{action}Response" and REQUEST_ID_RE.match(root.findtext("RequestId") or "")
        assert len(list(root)) >= 2, f"{action} XML answer carries its fields: {resp.body[:300]!r}"
