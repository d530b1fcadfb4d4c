//! Crash safety: a torn log record at every possible cut, and a child process killed with
//! SIGKILL while it adds (with flushes and merges going on).

use std::process::Command;
use std::time::Duration;

use crate::LibraryIndex;
use crate::index_test::{find_files, postings_for, small_opts};

fn blob_for(i: u32) -> Vec<u8> {
    (0..(2_000 + i * 37)).map(|j| (j ^ i) as u8).collect()
}

/// Every entry present is whole: its blob and all its postings; keys form a prefix k0..kn.
fn verify_prefix(ix: &LibraryIndex, posting_count: u32) -> u32 {
    let entries = ix.entries();
    for (n, (key, id)) in entries.iter().enumerate() {
        let i = n as u32;
        assert_eq!(
            key,
            &format!("k{i}"),
            "entries must be a prefix of what was added"
        );
        assert_eq!(
            ix.blob(*id).unwrap().as_deref(),
            Some(blob_for(i).as_slice())
        );
        for (h, t) in postings_for(i, posting_count) {
            let mut v = Vec::new();
            ix.lookup(h, &mut v);
            assert!(v.contains(&(*id, t)), "posting ({h},{t}) of {key} missing");
        }
    }
    assert_eq!(
        ix.stats().postings,
        entries.len() as u64 * u64::from(posting_count)
    );
    entries.len() as u32
}

#[test]
fn torn_log_record_leaves_whole_entry_or_nothing() {
    let dir = tempfile::tempdir().unwrap();
    {
        let ix = LibraryIndex::open(dir.path()).unwrap();
        ix.add("k0", &postings_for(0, 6), &blob_for(0)).unwrap();
        ix.add("k1", &postings_for(1, 6), &blob_for(1)).unwrap();
    }
    let wal = find_files(dir.path(), ".log").pop().unwrap();
    let two = std::fs::read(&wal).unwrap();
    {
        let ix = LibraryIndex::open(dir.path()).unwrap();
        ix.add("k2", &postings_for(2, 6), &blob_for(2)).unwrap();
    }
    let three = std::fs::read(&wal).unwrap();
    assert_eq!(&three[..two.len()], &two[..]);
    // Every cut inside the third record, a few cuts a byte apart for speed in the blob.
    let cuts = (two.len()..three.len())
        .filter(|c| c - two.len() < 200 || c % 97 == 0 || three.len() - c < 8);
    for cut in cuts {
        std::fs::write(&wal, &three[..cut]).unwrap();
        let ix = LibraryIndex::open(dir.path()).unwrap();
        assert_eq!(verify_prefix(&ix, 6), 2, "cut at {cut}");
        drop(ix);
        // Recovery cut the torn tail, so the log is a clean prefix again.
        assert_eq!(std::fs::read(&wal).unwrap(), two);
    }
    // A flipped bit in the last record drops it whole too.
    let mut flipped = three.clone();
    let at = three.len() - 100;
    flipped[at] ^= 0x10;
    std::fs::write(&wal, &flipped).unwrap();
    let ix = LibraryIndex::open(dir.path()).unwrap();
    assert_eq!(verify_prefix(&ix, 6), 2);
    drop(ix);
    std::fs::write(&wal, &three).unwrap();
    let ix = LibraryIndex::open(dir.path()).unwrap();
    assert_eq!(verify_prefix(&ix, 6), 3);
}

const CHILD_ENV: &str = "FPSHOT_INDEX_CRASH_DIR";
const CHILD_POSTINGS: u32 = 60;

/// Not a test on its own: the body of the child process `killed_mid_add_recovers_a_prefix`
/// starts and kills.
#[test]
#[ignore = "helper process for killed_mid_add_recovers_a_prefix"]
fn crash_child_adder() {
    let Some(dir) = std::env::var_os(CHILD_ENV) else {
        return;
    };
    let ix = LibraryIndex::open_with(std::path::Path::new(&dir), small_opts()).unwrap();
    let start = ix.entries().len() as u32;
    for i in start..start + 100_000 {
        ix.add(
            &format!("k{i}"),
            &postings_for(i, CHILD_POSTINGS),
            &blob_for(i),
        )
        .unwrap();
    }
}

#[test]
fn killed_mid_add_recovers_a_prefix() {
    let dir = tempfile::tempdir().unwrap();
    let exe = std::env::current_exe().unwrap();
    let mut last = 0;
    let mut progressed = 0;
    for round in 0..5u64 {
        let mut child = Command::new(&exe)
            .args([
                "crash_test::crash_child_adder",
                "--exact",
                "--ignored",
                "--nocapture",
                "--test-threads=1",
            ])
            .env(CHILD_ENV, dir.path())
            .stdout(std::process::Stdio::null())
            .spawn()
            .unwrap();
        std::thread::sleep(Duration::from_millis(150 + round * 60));
        child.kill().unwrap(); // SIGKILL: no destructor, no flush, mid-write
        child.wait().unwrap();
        let ix = LibraryIndex::open_with(dir.path(), small_opts()).unwrap();
        let n = verify_prefix(&ix, CHILD_POSTINGS);
        assert!(n >= last, "a later crash never loses earlier entries");
        if n > last {
            progressed += 1;
        }
        last = n;
    }
    assert!(
        progressed >= 2,
        "the child must have been killed while adding, got {last} entries"
    );
    // The recovered library still works.
    let ix = LibraryIndex::open_with(dir.path(), small_opts()).unwrap();
    ix.remove("k0").unwrap();
    ix.compact().unwrap();
    assert_eq!(ix.stats().entries, u64::from(last) - 1);
}
