//! The shared decoders over SQLite rows (the PostgreSQL rows run through the conformance suite).

use super::*;
use rusqlite::Connection;

fn decode<T>(sql: &str, map: fn(&rusqlite::Row<'_>) -> Result<T>) -> Result<T> {
    let c = Connection::open_in_memory().unwrap();
    let mut stmt = c.prepare(sql).unwrap();
    let mut rows = stmt.query([]).unwrap();
    let row = rows.next().unwrap().unwrap();
    map(row)
}

const JOB: &str = "SELECT 'j', 'a', 'FpShot', 'p', NULL, 'u', '{\"x\":1}', 'Success', '[2]', \
                   NULL, NULL, 5, 7, 3";

#[test]
fn a_job_row_decodes_field_by_field() {
    let job = decode(JOB, |r| job(r)).unwrap();
    assert_eq!((job.id.as_str(), job.kind), ("j", JobKind::FpShot));
    assert_eq!((job.fpdb_id, job.user_data.as_deref()), (None, Some("u")));
    assert_eq!(job.payload, serde_json::json!({"x": 1}));
    assert_eq!(job.result, Some(serde_json::json!([2])));
    assert_eq!((job.status, job.attempt), (JobStatus::Success, 3));
    assert_eq!(job.created, from_ns(5).unwrap());
    assert_eq!(job.finished, Some(from_ns(7).unwrap()));
}

#[test]
fn bad_stored_values_are_corrupt_not_panics() {
    for sql in [
        JOB.replace("'FpShot'", "'Nope'"),
        JOB.replace("'Success'", "'Nope'"),
        JOB.replace("'{\"x\":1}'", "'{'"),
        JOB.replace(", 3", ", 'three'"),
    ] {
        let e = decode(&sql, |r| job(r)).unwrap_err();
        assert!(matches!(e, StoreError::Corrupt(_)), "{sql}: {e:?}");
    }
    let e = decode("SELECT 'd', 'a', 'n', '', 999, '', 'active', 0, 0", |r| {
        fpdb(r)
    });
    assert!(matches!(e, Err(StoreError::Corrupt(_))), "{e:?}");
}

#[test]
fn key_and_pipeline_rows_decode() {
    let key = decode("SELECT 'k', 's', 'a', 1, 0", |r| access_key(r)).unwrap();
    assert!(key.enabled);
    assert_eq!(key.created, OffsetDateTime::UNIX_EPOCH);
    let p = decode(
        "SELECT 'p', 'a', 'n', 'Active', 'Standard', 1, 10, '', '', '', 5, 0, 0",
        |r| pipeline(r),
    )
    .unwrap();
    assert_eq!(
        (p.state, p.priority, p.is_default),
        (PipelineState::Active, 5, false)
    );
}
