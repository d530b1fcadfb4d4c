# Signs random requests with the real SDK signers (TEA 0.4.6, CORE 2.16.1) and prints what goes
# on the wire, one JSON object per line: the source of src/sdk_vectors.jsonl and a bulk
# cross-check. Needs `pip install alibabacloud-tea-openapi aliyun-python-sdk-core`.
# Usage: python gen_sdk_vectors.py SEED COUNT > lines.jsonl
import json, random, hashlib, time, types, sys
from urllib.parse import urlencode
from alibabacloud_tea_openapi.utils import Utils
from aliyunsdkcore.auth.composer import rpc_signature_composer as comp

random.seed(int(sys.argv[1]) if len(sys.argv) > 1 else 1)
POOL = list("abcXYZ019 -_.~*+/%&=?#:;,'\"!@$^()[]{}|\\<>") + ["测", "试", "é", "😀", "\u00a0"]
def val():
    if random.random() < 0.15: return ""
    return "".join(random.choice(POOL) for _ in range(random.randint(1, 12)))
def key(weird):
    if weird: return "P" + "".join(random.choice(POOL) for _ in range(random.randint(1, 4)))
    return "P" + "".join(random.choice("abcdefXYZ0123") for _ in range(random.randint(1, 8)))
def params(weird):
    return {key(weird): val() for _ in range(random.randint(0, 5))}

SECRET, AK = "sk-" + val(), "ak1"
now = int(time.time())
ts = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(now))
out = []
for i in range(int(sys.argv[2]) if len(sys.argv) > 2 else 300):
    weird = random.random() < 0.3
    kind = random.choice(["tea_v1", "core_v1", "tea_v3"])
    method = random.choice(["POST", "GET"]) if kind == "core_v1" else "POST"
    q, b = params(weird), (params(weird) if method == "POST" and random.random() < 0.5 else {})
    for k in list(b):   # keep query and body names apart (SDKs never send both)
        q.pop(k, None)
    nonce = hashlib.md5(str(random.random()).encode()).hexdigest()
    headers = {"host": "127.0.0.1:8080"}
    body = urlencode(b) if b else ""
    if b: headers["content-type"] = "application/x-www-form-urlencoded"
    if kind == "tea_v1":
        query = {"Action": "ListFpShotDB", "Format": "json", "Version": "2014-06-18", "Timestamp": ts,
                 "SignatureNonce": nonce, **q, "SignatureMethod": "HMAC-SHA1", "SignatureVersion": "1.0",
                 "AccessKeyId": AK}
        query["Signature"] = Utils.get_rpcsignature({**query, **b}, method, SECRET)
        raw = urlencode(query)
    elif kind == "core_v1":
        url, _ = comp.get_signed_url(dict(q, Action="ListFpShotDB", Version="2014-06-18", RegionId="cn-shanghai"),
                                     AK, SECRET, "JSON", method, b)
        raw = url[2:]
    else:
        payload = hashlib.sha256(body.encode()).hexdigest()
        headers.update({"x-acs-version": "2014-06-18", "x-acs-action": "ListFpShotDB",
                        "user-agent": "AlibabaCloud (Linux; x86_64) Python/3.11.7 Core/0.4.3 TeaDSL/2",
                        "x-acs-date": ts, "x-acs-signature-nonce": nonce, "accept": "application/json",
                        "x-acs-content-sha256": payload, "x-acs-credentials-provider": "static_ak"})
        req = types.SimpleNamespace(pathname="/", method=method, query=q, headers=headers)
        headers["Authorization"] = Utils.get_authorization(req, "ACS3-HMAC-SHA256", payload, AK, SECRET)
        raw = urlencode(q)
    print(json.dumps({"kind": kind, "weird": weird, "method": method, "query": raw, "headers": headers,
                      "body": body, "secret": SECRET, "now": now, "params": {**q, **b}}, ensure_ascii=False))
