//! Resource identifiers: 32 lower-case hex characters (a UUID v7 without dashes, so ids sort by
//! creation time), the format the MPS API documents for FpDBId, JobId, FileId and PipelineId.

/// A new time-ordered id.
pub fn new_id() -> String {
    uuid::Uuid::now_v7().simple().to_string()
}

/// True when `s` has the documented id shape (32 characters of `[0-9a-f]`).
pub fn is_valid_id(s: &str) -> bool {
    s.len() == 32
        && s.bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

/// Splits a comma-separated id list as the SDKs send it (`a,b`), tolerating spaces, empty items
/// and repeats: the result keeps the first occurrence of each id in the order given.
pub fn parse_id_list(raw: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for item in raw.split(',').map(str::trim).filter(|s| !s.is_empty()) {
        if !out.iter().any(|seen| seen == item) {
            out.push(item.to_string());
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_have_the_documented_shape_and_sort_by_time() {
        let a = new_id();
        let b = new_id();
        assert!(is_valid_id(&a), "{a}");
        assert!(a < b, "v7 ids are time ordered: {a} {b}");
        assert!(!is_valid_id("88c6ca184c0e47098a5b665e2a12****"));
        assert!(!is_valid_id(&a.to_uppercase()));
    }

    #[test]
    fn id_lists_tolerate_spaces_and_repeats() {
        assert_eq!(parse_id_list(" a, b,,a ,c "), vec!["a", "b", "c"]);
        assert!(parse_id_list(" , ").is_empty());
    }
}
