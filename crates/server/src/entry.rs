//! The one RPC route: read → parse → authenticate → verify → replay check → throttle →
//! dispatch → render. Every answer, success or error, carries the RequestId in the body and in
//! `x-acs-request-id`.

use crate::AppState;
use crate::actions::Action;
use axum::body::{Body, Bytes};
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use fpshot_rpc::{Rendered, ResponseFormat, UnverifiedRequest, VerifiedRequest};
use fpshot_types::{ApiError, Code, now_utc};
use std::time::{Duration, Instant};
use tracing::Instrument;

/// Nonces are remembered for the whole timestamp window on either side of the request time.
const NONCE_WINDOW: Duration = Duration::from_secs(15 * 60);

pub(crate) async fn healthz(State(app): State<AppState>) -> Response {
    match app.engine.store().ping().await {
        Ok(()) => (StatusCode::OK, "ok\n").into_response(),
        Err(e) => {
            tracing::error!(error = %e, "health check: store unreachable");
            (StatusCode::SERVICE_UNAVAILABLE, "store unreachable\n").into_response()
        }
    }
}

pub(crate) async fn rpc(
    State(app): State<AppState>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Body,
) -> Response {
    let request_id = fpshot_rpc::new_request_id();
    let span =
        tracing::info_span!("request", request_id = %request_id, action = tracing::field::Empty);
    let started = Instant::now();
    let timeout = app.config.request_timeout;
    let work = handle(&app, &request_id, method, uri, headers, body);
    let (format, result) = match tokio::time::timeout(timeout, work.instrument(span.clone())).await
    {
        Ok(r) => r,
        Err(_) => (
            ResponseFormat::Json,
            Err(ApiError::new(
                Code::RequestTimeout,
                format!(
                    "The request did not finish within {} s; retry it later.",
                    timeout.as_secs()
                ),
            )),
        ),
    };
    let (rendered, retry_after) = match result {
        Ok(r) => (r, None),
        Err(err) => {
            let retry = matches!(err.code, Code::Throttling | Code::ThrottlingUser)
                .then(|| app.throttle.retry_after_ms());
            let _e = span.enter();
            if err.code == Code::InternalError {
                tracing::error!(code = %err.code, "request failed");
            } else {
                tracing::info!(code = %err.code, message = %err.message, "request refused");
            }
            (
                fpshot_rpc::render_error(&err, &request_id, &app.config.host_id, format),
                retry,
            )
        }
    };
    span.in_scope(|| {
        tracing::info!(
            status = rendered.status,
            elapsed_us = started.elapsed().as_micros() as u64,
            "done"
        );
    });
    respond(rendered, &request_id, retry_after)
}

fn respond(rendered: Rendered, request_id: &str, retry_after_ms: Option<u64>) -> Response {
    let status = StatusCode::from_u16(rendered.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let mut resp = (status, rendered.body).into_response();
    let h = resp.headers_mut();
    h.insert(
        "content-type",
        HeaderValue::from_static(rendered.content_type),
    );
    if let Ok(v) = HeaderValue::from_str(request_id) {
        h.insert("x-acs-request-id", v);
    }
    if let Some(ms) = retry_after_ms {
        h.insert("x-acs-retry-after", HeaderValue::from(ms));
    }
    resp
}

async fn handle(
    app: &AppState,
    request_id: &str,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Body,
) -> (ResponseFormat, Result<Rendered, ApiError>) {
    let body = match read_body(body, app.config.body_limit).await {
        Ok(b) => b,
        Err(e) => return (ResponseFormat::Json, Err(e)),
    };
    if method != Method::GET && method != Method::POST {
        return (
            ResponseFormat::detect(uri.query(), &headers, &body),
            Err(fpshot_rpc::errors::action_not_found()),
        );
    }
    let unverified = match UnverifiedRequest::parse(&method, uri.query(), &headers, &body) {
        Ok(u) => u,
        Err(e) => return (ResponseFormat::detect(uri.query(), &headers, &body), Err(e)),
    };
    let format = unverified.format();
    (
        format,
        authenticate_and_run(app, request_id, unverified).await,
    )
}

async fn read_body(body: Body, limit: usize) -> Result<Bytes, ApiError> {
    axum::body::to_bytes(body, limit).await.map_err(|_| {
        ApiError::new(
            Code::RequestEntityTooLarge,
            format!("The request body is larger than {limit} bytes; send smaller requests."),
        )
    })
}

async fn authenticate_and_run(
    app: &AppState,
    request_id: &str,
    req: UnverifiedRequest,
) -> Result<Rendered, ApiError> {
    // The API must exist before anything else is looked at, as on Alibaba Cloud.
    let name = req.action().unwrap_or_default().to_string();
    if name.is_empty() {
        return Err(ApiError::missing("Action"));
    }
    tracing::Span::current().record("action", name.as_str());
    let action = Action::from_name(&name).ok_or_else(fpshot_rpc::errors::action_not_found)?;
    let (verified, key_account) = verify(app, req).await?;
    if !app.throttle.check(&key_account, action.name()) {
        return Err(fpshot_rpc::errors::throttled_user());
    }
    let body = action
        .run(&app.engine, &key_account, verified.params())
        .await?;
    Ok(fpshot_rpc::render_success(
        action.name(),
        body,
        request_id,
        verified.format(),
    ))
}

/// Signature, timestamp window, then the nonce (only once the signature holds, so nobody can
/// burn another client's nonces).
/// Returns the verified request and the account that owns the key.
async fn verify(
    app: &AppState,
    req: UnverifiedRequest,
) -> Result<(VerifiedRequest, String), ApiError> {
    let store = app.engine.store();
    let key = store
        .get_key(req.access_key_id())
        .await
        .map_err(store_error)?
        .ok_or_else(fpshot_rpc::errors::access_key_not_found)?;
    if !key.enabled {
        return Err(ApiError::new(
            Code::InvalidAccessKeyIdInactive,
            "Specified access key is disabled; ask the operator to enable it (fpshot key enable).",
        ));
    }
    let verified = req.verify(&key.secret, now_utc())?;
    let expires = verified.timestamp().max(now_utc()) + NONCE_WINDOW;
    let fresh = store
        .record_nonce(&key.id, verified.nonce(), expires)
        .await
        .map_err(store_error)?;
    if !fresh {
        return Err(fpshot_rpc::errors::signature_nonce_used());
    }
    Ok((verified, key.account_id))
}

pub(crate) fn store_error(e: fpshot_store::StoreError) -> ApiError {
    tracing::error!(error = %e, "store call failed");
    fpshot_engine::EngineError::from(e).to_api()
}
