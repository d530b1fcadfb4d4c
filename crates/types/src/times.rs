//! Times on the wire: UTC `YYYY-MM-DDThh:mm:ssZ`, for request filters and response fields alike.

use time::format_description::FormatItem;
use time::macros::format_description;
use time::{OffsetDateTime, PrimitiveDateTime, UtcOffset};

const WIRE: &[FormatItem<'static>] =
    format_description!("[year]-[month]-[day]T[hour]:[minute]:[second]Z");

pub fn now_utc() -> OffsetDateTime {
    OffsetDateTime::now_utc()
}

/// Formats a time the way every MPS response does (seconds precision, `Z`).
pub fn format_utc(t: OffsetDateTime) -> String {
    t.to_offset(UtcOffset::UTC)
        .format(WIRE)
        .unwrap_or_else(|_| String::from("1970-01-01T00:00:00Z"))
}

/// Parses `YYYY-MM-DDThh:mm:ssZ`; also accepts RFC 3339 with fractions or offsets, which some
/// hand-written clients send.
pub fn parse_utc(s: &str) -> Option<OffsetDateTime> {
    if let Ok(t) = PrimitiveDateTime::parse(s, WIRE) {
        return Some(t.assume_utc());
    }
    OffsetDateTime::parse(s, &time::format_description::well_known::Rfc3339).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip() {
        let t = parse_utc("2021-12-22T03:48:05Z").expect("parses");
        assert_eq!(format_utc(t), "2021-12-22T03:48:05Z");
        assert_eq!(
            format_utc(parse_utc("2021-12-22T11:48:05.5+08:00").expect("rfc3339")),
            "2021-12-22T03:48:05Z"
        );
        assert!(parse_utc("yesterday").is_none());
    }
}
