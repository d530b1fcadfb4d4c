//! Model-based property test: random operations against `LibraryIndex` and a trivial
//! in-memory model (key → postings, blob), compared after every step.

use std::collections::BTreeMap;

use proptest::prelude::*;

use crate::{LibraryIndex, Options};

#[derive(Debug, Clone)]
enum Op {
    Add {
        key: u8,
        postings: Vec<(u32, u32)>,
        blob: Vec<u8>,
    },
    Remove {
        key: u8,
    },
    Lookup {
        hash: u32,
    },
    Compact,
    Purge,
    Reopen,
}

/// Hashes from a small set (so they collide across entries), plus bucket edges.
fn hash() -> impl Strategy<Value = u32> {
    prop_oneof![4 => 0u32..24, 1 => Just(u32::MAX), 1 => Just(0x8000_0000u32), 1 => any::<u32>()]
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        8 => (0u8..10, prop::collection::vec((hash(), 0u32..50), 0..25), prop::collection::vec(any::<u8>(), 0..40))
            .prop_map(|(key, postings, blob)| Op::Add { key, postings, blob }),
        3 => (0u8..12).prop_map(|key| Op::Remove { key }),
        4 => hash().prop_map(|hash| Op::Lookup { hash }),
        1 => Just(Op::Compact),
        1 => Just(Op::Purge),
        1 => Just(Op::Reopen),
    ]
}

type Model = BTreeMap<String, (Vec<(u32, u32)>, Vec<u8>)>;

fn check_lookup(ix: &LibraryIndex, model: &Model, hash: u32) -> Result<(), TestCaseError> {
    let mut got = Vec::new();
    ix.lookup(hash, &mut got);
    let mut got: Vec<(String, u32)> = got
        .into_iter()
        .map(|(id, t)| (ix.key(id).unwrap_or_else(|| format!("<dead {id}>")), t))
        .collect();
    got.sort();
    let mut want: Vec<(String, u32)> = model
        .iter()
        .flat_map(|(k, (p, _))| {
            p.iter()
                .filter(|p| p.0 == hash)
                .map(move |p| (k.clone(), p.1))
        })
        .collect();
    want.sort();
    prop_assert_eq!(got, want, "lookup of {}", hash);
    Ok(())
}

fn check_all(ix: &LibraryIndex, model: &Model) -> Result<(), TestCaseError> {
    let entries = ix.entries();
    let keys: Vec<&str> = {
        let mut k: Vec<&str> = entries.iter().map(|e| e.0.as_str()).collect();
        k.sort_unstable();
        k
    };
    prop_assert_eq!(keys, model.keys().map(String::as_str).collect::<Vec<_>>());
    for (key, id) in &entries {
        let blob = ix.blob(*id).unwrap();
        prop_assert_eq!(blob.as_deref(), Some(model[key].1.as_slice()));
    }
    let st = ix.stats();
    prop_assert_eq!(st.entries, model.len() as u64);
    prop_assert_eq!(
        st.postings,
        model.values().map(|v| v.0.len() as u64).sum::<u64>()
    );
    for h in [0, 1, 5, 23, u32::MAX, 0x8000_0000] {
        check_lookup(ix, model, h)?;
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

    #[test]
    fn index_behaves_like_a_map(ops in prop::collection::vec(op(), 1..60), auto_merge in any::<bool>()) {
        let dir = tempfile::tempdir().unwrap();
        let opts = Options { mem_postings_limit: 30, mem_entries_limit: 3, auto_merge };
        let mut ix = LibraryIndex::open_with(dir.path(), opts.clone()).unwrap();
        let mut model = Model::new();
        for op in ops {
            match op {
                Op::Add { key, postings, blob } => {
                    let key = format!("key{key}");
                    let old = ix.entries().into_iter().find(|e| e.0 == key).map(|e| e.1);
                    let id = ix.add(&key, &postings, &blob).unwrap();
                    if let Some(old) = old {
                        prop_assert!(id > old);
                        prop_assert_eq!(ix.key(old), None);
                    }
                    model.insert(key, (postings, blob));
                }
                Op::Remove { key } => {
                    let key = format!("key{key}");
                    prop_assert_eq!(ix.remove(&key).unwrap(), model.remove(&key).is_some());
                }
                Op::Lookup { hash } => check_lookup(&ix, &model, hash)?,
                Op::Compact => {
                    ix.compact().unwrap();
                    let st = ix.stats();
                    prop_assert_eq!(st.tombstones, 0);
                    prop_assert!(st.segments <= 1);
                }
                Op::Purge => {
                    ix.purge().unwrap();
                    model.clear();
                }
                Op::Reopen => {
                    drop(ix);
                    ix = LibraryIndex::open_with(dir.path(), opts.clone()).unwrap();
                }
            }
            check_all(&ix, &model)?;
        }
    }
}
