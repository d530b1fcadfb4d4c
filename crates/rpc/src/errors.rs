//! The gateway errors the server raises around `parse`/`verify`, with POP's wording (spec §2.8),
//! so that every caller answers them the same way.

use fpshot_types::{ApiError, Code};

/// 404 `InvalidAction.NotFound`: the action is not one fpshot serves.
pub fn action_not_found() -> ApiError {
    ApiError::new(
        Code::InvalidActionNotFound,
        "Specified api is not found, please check your url and method.",
    )
}

/// 404 `InvalidAccessKeyId.NotFound`: no key with this id.
pub fn access_key_not_found() -> ApiError {
    ApiError::new(
        Code::InvalidAccessKeyIdNotFound,
        "Specified access key is not found.",
    )
}

/// 403 `InvalidAccessKeyId.Inactive`: the key exists but the operator disabled it.
pub fn access_key_inactive() -> ApiError {
    ApiError::new(
        Code::InvalidAccessKeyIdInactive,
        "Specified access key is disabled.",
    )
}

/// 400 `SignatureNonceUsed`: the nonce was seen within the timestamp window.
pub fn signature_nonce_used() -> ApiError {
    ApiError::new(
        Code::SignatureNonceUsed,
        "Specified signature nonce was used already.",
    )
}

/// 400 `Throttling.User`: the key's request rate is over its limit.
pub fn throttled_user() -> ApiError {
    ApiError::new(
        Code::ThrottlingUser,
        "Request was denied due to user flow control.",
    )
}

/// 400 `Throttling`: the service as a whole is over its request rate.
pub fn throttled() -> ApiError {
    ApiError::new(
        Code::Throttling,
        "Request was denied due to request throttling.",
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_statuses_and_messages() {
        let cases = [
            (action_not_found(), "InvalidAction.NotFound", 404),
            (access_key_not_found(), "InvalidAccessKeyId.NotFound", 404),
            (access_key_inactive(), "InvalidAccessKeyId.Inactive", 403),
            (signature_nonce_used(), "SignatureNonceUsed", 400),
            (throttled_user(), "Throttling.User", 400),
            (throttled(), "Throttling", 400),
        ];
        for (err, code, status) in cases {
            assert_eq!(
                (err.code.as_string().as_str(), err.code.http_status()),
                (code, status)
            );
            assert!(err.message.ends_with('.'), "{}", err.message);
        }
        assert_eq!(
            action_not_found().message,
            "Specified api is not found, please check your url and method."
        );
    }
}
