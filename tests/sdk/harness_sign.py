"""An independent re-implementation of the Alibaba Cloud RPC signatures (spec §2.3, §2.4, §2.9)
and a raw HTTP client built on it.

The official SDKs always sign with "now" and a fresh nonce; the tests also need requests the SDKs
will not make (an old Timestamp, the same nonce twice, Format=XML, hand-made bodies), so they are
signed here. The spec's known-answer vectors are checked against this code in
test_protocol.py, so a mistake here cannot hide a server bug.
"""

import base64
import hashlib
import hmac
import http.client
import time
import uuid
from datetime import datetime, timezone
from urllib.parse import quote, urlencode

VERSION = "2014-06-18"


def pe(s):
    """RFC 3986 percent-encoding of UTF-8, upper-case hex (spec §2.3 step 2)."""
    return quote(str(s), safe="-_.~")


def v1_string_to_sign(method, params):
    canon = "&".join(f"{pe(k)}={pe(v)}" for k, v in sorted((str(k), str(v)) for k, v in params.items()))
    return f"{method}&%2F&{pe(canon)}"


def v1_signature(method, params, secret):
    sts = v1_string_to_sign(method, params)
    digest = hmac.new((secret + "&").encode(), sts.encode(), hashlib.sha1).digest()
    return base64.b64encode(digest).decode()


def utc_timestamp(offset_seconds=0):
    t = datetime.fromtimestamp(time.time() + offset_seconds, tz=timezone.utc)
    return t.strftime("%Y-%m-%dT%H:%M:%SZ")


def v1_common(action, key_id, timestamp=None, nonce=None, fmt="JSON"):
    """The common parameters of a V1 request, as CORE sends them (§2.2)."""
    p = {
        "Action": action,
        "Version": VERSION,
        "AccessKeyId": key_id,
        "SignatureMethod": "HMAC-SHA1",
        "SignatureVersion": "1.0",
        "SignatureNonce": nonce or uuid.uuid4().hex,
        "Timestamp": timestamp or utc_timestamp(),
    }
    if fmt is not None:
        p["Format"] = fmt
    return p


class RawResponse:
    def __init__(self, status, headers, body):
        self.status = status
        self.headers = {k.lower(): v for k, v in headers}
        self.body = body

    def json(self):
        import json

        return json.loads(self.body.decode("utf-8"))

    def __repr__(self):
        return f"RawResponse({self.status}, {self.body[:400]!r})"


def http_send(port, method, path_and_query, body=b"", headers=None, timeout=30):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        hdrs = dict(headers or {})
        if body and not any(k.lower() == "content-type" for k in hdrs):
            hdrs["Content-Type"] = "application/x-www-form-urlencoded"
        conn.request(method, path_and_query, body=body or None, headers=hdrs)
        resp = conn.getresponse()
        return RawResponse(resp.status, resp.getheaders(), resp.read())
    finally:
        conn.close()


def signed_v1_url(action, key_id, secret, params=None, method="POST", body_params=None, **common):
    """Query string of a signed V1 request; `body_params` are signed but not put in the URL."""
    p = v1_common(action, key_id, **common)
    p.update({k: str(v) for k, v in (params or {}).items()})
    signed = dict(p)
    signed.update({k: str(v) for k, v in (body_params or {}).items()})
    p["Signature"] = v1_signature(method, signed, secret)
    return "/?" + urlencode(p, quote_via=quote, safe="-_.~")


def v1_request(port, action, key_id, secret, params=None, method="POST", body_params=None, **common):
    """Sign and send one V1 request; returns (RawResponse, url) so a test can replay the url."""
    url = signed_v1_url(action, key_id, secret, params, method, body_params, **common)
    body = urlencode(body_params or {}).encode() if body_params else b""
    return http_send(port, method, url, body), url


def v3_authorization(method, query, headers_lc, body, key_id, secret):
    """`Authorization` header value of an ACS3-HMAC-SHA256 request (§2.4)."""
    signed = sorted(h for h in headers_lc if h == "host" or h.startswith("x-acs-") or h in ("accept", "content-type"))
    cq = "&".join(f"{pe(k)}={pe(v)}" for k, v in sorted(query.items()))
    ch = "".join(f"{h}:{headers_lc[h].strip()}\n" for h in signed)
    payload = hashlib.sha256(body).hexdigest()
    creq = f"{method}\n/\n{cq}\n{ch}\n{';'.join(signed)}\n{payload}"
    sts = f"ACS3-HMAC-SHA256\n{hashlib.sha256(creq.encode()).hexdigest()}"
    sig = hmac.new(secret.encode(), sts.encode(), hashlib.sha256).hexdigest()
    return f"ACS3-HMAC-SHA256 Credential={key_id},SignedHeaders={';'.join(signed)},Signature={sig}"


def v3_request(port, action, key_id, secret, params=None, method="POST", date=None, nonce=None, extra_headers=None):
    query = {k: str(v) for k, v in (params or {}).items()}
    body = b""
    headers = {
        "host": f"127.0.0.1:{port}",
        "x-acs-action": action,
        "x-acs-version": VERSION,
        "x-acs-date": date or utc_timestamp(),
        "x-acs-signature-nonce": nonce or uuid.uuid4().hex,
        "x-acs-content-sha256": hashlib.sha256(body).hexdigest(),
        "accept": "application/json",
    }
    headers.update(extra_headers or {})
    headers["authorization"] = v3_authorization(method, query, headers, body, key_id, secret)
    url = "/?" + urlencode(query, quote_via=quote, safe="-_.~") if query else "/"
    return http_send(port, method, url, body, headers)
