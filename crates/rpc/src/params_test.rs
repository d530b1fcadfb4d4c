use super::*;

fn params(pairs: &[(&str, &str)]) -> Params {
    Params::from_pairs(pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())))
}

#[test]
fn last_value_wins_and_names_are_case_sensitive() {
    let p = params(&[("B", "1"), ("a", "x"), ("B", "2"), ("A", "y")]);
    assert_eq!(p.get("B"), Some("2"));
    assert_eq!(p.get("a"), Some("x"));
    assert_eq!(p.get("A"), Some("y"));
    assert_eq!(p.get("b"), None);
    let names: Vec<&str> = p.iter().map(|(k, _)| k).collect();
    assert_eq!(names, ["A", "B", "a"], "sorted by bytes");
}

#[test]
fn require_treats_empty_as_missing() {
    let p = params(&[("FpDBId", ""), ("Name", "x")]);
    let err = p.require("FpDBId").unwrap_err();
    assert_eq!(err.code.as_string(), "MissingFpDBId");
    assert_eq!(err.message, "FpDBId is mandatory for this action.");
    assert_eq!(
        p.require("Pipeline").unwrap_err().code.as_string(),
        "MissingPipeline"
    );
    assert_eq!(p.require("Name"), Ok("x"));
    assert_eq!(p.get("FpDBId"), Some(""), "get still shows the empty value");
}

#[test]
fn typed_getters() {
    let p = params(&[
        ("PageSize", " 20 "),
        ("Bad", "2x"),
        ("Empty", ""),
        ("On", "TRUE"),
        ("Off", "false"),
    ]);
    assert_eq!(p.get_i64("PageSize"), Ok(Some(20)));
    assert_eq!(p.get_i64("Empty"), Ok(None));
    assert_eq!(p.get_i64("Absent"), Ok(None));
    assert_eq!(p.get_i64("Bad").unwrap_err().code, Code::InvalidParameter);
    assert_eq!(
        p.require_i64("Absent").unwrap_err().code.as_string(),
        "MissingAbsent"
    );
    assert_eq!(p.get_i64_in("PageSize", 1, 100), Ok(Some(20)));
    let err = p.get_i64_in("PageSize", 1, 10).unwrap_err();
    assert_eq!(err.code.as_string(), "InvalidParameter.OutOfRange");
    assert_eq!(p.get_bool("On"), Ok(Some(true)));
    assert_eq!(p.get_bool("Off"), Ok(Some(false)));
    assert_eq!(p.get_bool("Bad").unwrap_err().code, Code::InvalidParameter);
}

#[test]
fn remove_takes_the_parameter_out() {
    let mut p = params(&[("Signature", "abc"), ("X", "1")]);
    assert_eq!(p.remove("Signature").as_deref(), Some("abc"));
    assert_eq!(p.get("Signature"), None);
    assert_eq!(p.len(), 1);
    assert!(!p.is_empty());
}
