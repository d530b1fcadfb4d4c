"""The official SDK client families, behind one small interface so that every test can run
against each of them:

- `sdk6_v3`   alibabacloud-mts20140618 6.0.3, default ACS3-HMAC-SHA256 (V3) signature
- `sdk6_v1`   the same SDK with `signature_algorithm='v2'` (V1 HMAC-SHA1)
- `old_post`  aliyun-python-sdk-mts request classes + aliyun-python-sdk-core AcsClient (V1, POST)
- `old_get`   the same with `set_method('GET')`
- `core_form` aliyun-python-sdk-core CommonRequest, business parameters in a form body (V1)

`call(action, params)` returns a `Reply` (parsed body, HTTP status, headers when the SDK gives
them) or raises `ApiError` carrying the code, status, message and RequestId as the SDK reported
them (the SDK's own exception is kept in `.original`).
"""

import importlib
import json

from alibabacloud_mts20140618 import models as sdk6_models
from alibabacloud_mts20140618.client import Client as Sdk6Client
from alibabacloud_tea_openapi import exceptions as tea_exceptions
from alibabacloud_tea_openapi.models import Config
from aliyunsdkcore.acs_exception.exceptions import ServerException as CoreServerException
from aliyunsdkcore.client import AcsClient
from aliyunsdkcore.request import CommonRequest

FAMILIES = ["sdk6_v3", "sdk6_v1", "old_post", "old_get", "core_form"]
V1_FAMILIES = ["sdk6_v1", "old_post", "old_get", "core_form"]

# Action -> SDK6 client method. The request model class is `<Action>Request`.
SDK6_METHODS = {
    "AddPipeline": "add_pipeline",
    "QueryPipelineList": "query_pipeline_list",
    "SearchPipeline": "search_pipeline",
    "UpdatePipeline": "update_pipeline",
    "DeletePipeline": "delete_pipeline",
    "CreateFpShotDB": "create_fp_shot_db",
    "ListFpShotDB": "list_fp_shot_db",
    "SubmitFpDBDeleteJob": "submit_fp_dbdelete_job",
    "QueryFpDBDeleteJobList": "query_fp_dbdelete_job_list",
}


class Reply:
    def __init__(self, body, status=200, headers=None):
        self.body = body
        self.status = status
        self.headers = {k.lower(): v for k, v in (headers or {}).items()} if headers is not None else None

    def __repr__(self):
        return f"Reply({self.status}, {self.body!r})"


class ApiError(Exception):
    def __init__(self, family, code, status, message, request_id, original):
        super().__init__(f"[{family}] HTTP {status} {code}: {message} (RequestId {request_id})")
        self.family = family
        self.code = code
        self.status = status
        self.message = message
        self.request_id = request_id
        self.original = original


class Sdk6:
    def __init__(self, endpoint, key, v1):
        cfg = Config(access_key_id=key.id, access_key_secret=key.secret, endpoint=endpoint, protocol="http")
        if v1:
            cfg.signature_algorithm = "v2"
        self.family = "sdk6_v1" if v1 else "sdk6_v3"
        self.client = Sdk6Client(cfg)

    def call(self, action, params=None):
        req = getattr(sdk6_models, action + "Request")().from_map(dict(params or {}))
        try:
            resp = getattr(self.client, SDK6_METHODS[action])(req)
        except tea_exceptions.AlibabaCloudException as e:
            data = e.data or {}
            raise ApiError(self.family, e.code, e.status_code, data.get("Message"), data.get("RequestId"), e) from e
        return Reply(resp.body.to_map(), resp.status_code, resp.headers)


class Old:
    """aliyun-python-sdk-mts request classes; parameters through their own `set_<Name>` setters."""

    def __init__(self, endpoint, key, method):
        self.endpoint = endpoint
        self.method = method
        self.family = "old_get" if method == "GET" else "old_post"
        self.client = AcsClient(key.id, key.secret, "cn-shanghai")

    def call(self, action, params=None):
        mod = importlib.import_module(f"aliyunsdkmts.request.v20140618.{action}Request")
        req = getattr(mod, f"{action}Request")()
        req.set_endpoint(self.endpoint)
        if self.method == "GET":
            req.set_method("GET")
        for k, v in (params or {}).items():
            getattr(req, f"set_{k}")(v)
        return core_do(self.client, req, self.family)


class CoreForm:
    """aliyun-python-sdk-core CommonRequest with the business parameters in a form body."""

    family = "core_form"

    def __init__(self, endpoint, key):
        self.endpoint = endpoint
        self.client = AcsClient(key.id, key.secret, "cn-shanghai")

    def call(self, action, params=None):
        req = CommonRequest(domain=self.endpoint, version="2014-06-18", action_name=action, product="Mts")
        req.set_method("POST")
        for k, v in (params or {}).items():
            req.add_body_params(k, v)
        return core_do(self.client, req, self.family)


def core_do(client, req, family):
    try:
        raw = client.do_action_with_exception(req)
    except CoreServerException as e:
        raise ApiError(family, e.get_error_code(), e.get_http_status(), e.get_error_msg(), e.get_request_id(), e) from e
    return Reply(json.loads(raw.decode("utf-8")))


def make_client(family, endpoint, key):
    if family == "sdk6_v3":
        return Sdk6(endpoint, key, v1=False)
    if family == "sdk6_v1":
        return Sdk6(endpoint, key, v1=True)
    if family == "old_post":
        return Old(endpoint, key, "POST")
    if family == "old_get":
        return Old(endpoint, key, "GET")
    if family == "core_form":
        return CoreForm(endpoint, key)
    raise ValueError(family)


def call_patiently(client, action, params=None, attempts=200):
    """`client.call`, but waiting out `Throttling*` refusals (x-acs-retry-after, or 50 ms) the way
    a well-behaved bulk client does; for tests that send far more than the per-account QPS."""
    import time

    for _ in range(attempts - 1):
        try:
            return client.call(action, params)
        except ApiError as e:
            if not (e.code or "").startswith("Throttling"):
                raise
            retry_ms = getattr(e.original, "retry_after", None) or 50
            time.sleep(min(int(retry_ms), 1000) / 1000)
    return client.call(action, params)
