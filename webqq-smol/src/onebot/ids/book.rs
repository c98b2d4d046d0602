//! The records of one kind, indexed by id and by attribute value, so that a login costs about
//! contacts × log(records) instead of contacts × records (every contact is matched against
//! the records, [`match_record`](super::match_record)).
use std::collections::{BTreeSet, HashMap};

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use super::{MIN_AGREEING, Record, Traits, compare};

/// Records in the order they were made (the rule takes the first of equals), with indexes.
#[derive(Debug, Default)]
pub(super) struct Book {
    records: Vec<Record>,
    /// Id → position of the first record with it.
    by_id: HashMap<u64, usize>,
    /// Attribute → value → positions of the records with that value.
    by_value: HashMap<String, HashMap<String, BTreeSet<usize>>>,
    /// Attribute → positions of the records without it (for every attribute asked about or
    /// held by some record).
    lacking: HashMap<String, BTreeSet<usize>>,
}

impl From<Vec<Record>> for Book {
    fn from(records: Vec<Record>) -> Book {
        let mut book = Book::default();
        for r in records {
            book.push(r);
        }
        book
    }
}

impl Serialize for Book {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        self.records.serialize(s)
    }
}

impl<'de> Deserialize<'de> for Book {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Book, D::Error> {
        Vec::<Record>::deserialize(d).map(Book::from)
    }
}

impl Book {
    /// The records, oldest first.
    pub(super) fn records(&self) -> &[Record] {
        &self.records
    }

    /// How many.
    pub(super) fn len(&self) -> usize {
        self.records.len()
    }

    /// The record of `id`.
    pub(super) fn get(&self, id: u64) -> Option<&Record> {
        self.by_id.get(&id).map(|&i| &self.records[i])
    }

    /// The first record whose attribute `key` is `value`.
    pub(super) fn find(&self, key: &str, value: &str) -> Option<&Record> {
        let i = self.with(key, value)?.first()?;
        Some(&self.records[*i])
    }

    /// Appends `r`.
    pub(super) fn push(&mut self, r: Record) {
        let i = self.records.len();
        self.by_id.entry(r.id).or_insert(i);
        self.records.push(Record {
            id: r.id,
            traits: Traits::new(),
        });
        for set in self.lacking.values_mut() {
            set.insert(i);
        }
        self.set_traits(r.id, r.traits);
    }

    /// Replaces the attributes of the record of `id` (none: nothing).
    pub(super) fn set_traits(&mut self, id: u64, traits: Traits) {
        let Some(&i) = self.by_id.get(&id) else {
            return;
        };
        let old = std::mem::take(&mut self.records[i].traits);
        for (k, v) in &old {
            if let Some(set) = self.by_value.get_mut(k).and_then(|m| m.get_mut(v)) {
                set.remove(&i);
            }
            if let Some(set) = self.lacking.get_mut(k) {
                set.insert(i);
            }
        }
        for (k, v) in &traits {
            self.know(k);
            self.lacking.get_mut(k).map(|set| set.remove(&i));
            self.by_value
                .entry(k.clone())
                .or_default()
                .entry(v.clone())
                .or_default()
                .insert(i);
        }
        self.records[i].traits = traits;
    }

    /// Starts the list of records without `key` (all records so far that do not have it).
    fn know(&mut self, key: &str) {
        if self.lacking.contains_key(key) {
            return;
        }
        let without = (0..self.records.len())
            .filter(|&i| !self.records[i].traits.contains_key(key))
            .collect();
        self.lacking.insert(key.to_string(), without);
    }

    fn with(&self, key: &str, value: &str) -> Option<&BTreeSet<usize>> {
        self.by_value.get(key)?.get(value)
    }

    /// The records whose attribute `key` is `value` or who have no `key`.
    fn agreeing(&self, key: &str, value: &str) -> impl Iterator<Item = usize> + '_ {
        let with = self.with(key, value).into_iter().flatten();
        with.chain(self.lacking.get(key).into_iter().flatten())
            .copied()
    }

    /// The records that can decide the rule for `seen`, oldest first; `taken` says whether an
    /// id is bound to another contact already. Only a record with the same values in every
    /// shared attribute (rule 2), or one changed and more than [`MIN_AGREEING`] shared (rule
    /// 3, and untaken), can. With `k` the attribute of `seen` the fewest records agree on
    /// (same value or none): every such same-valued record agrees on `k`, and when one of
    /// them does, the rule decides among those alone. Otherwise a rename may have changed
    /// `k`, and then it agrees on the next fewest, `k2`, and on all others.
    pub(super) fn candidates(&mut self, seen: &Traits, taken: impl Fn(u64) -> bool) -> Vec<usize> {
        for k in seen.keys() {
            self.know(k);
        }
        let mut keys: Vec<(&String, &String)> = seen.iter().collect();
        keys.sort_by_key(|(k, v)| {
            self.with(k, v).map_or(0, BTreeSet::len) + self.lacking.get(*k).map_or(0, BTreeSet::len)
        });
        let Some(((k, v), rest)) = keys.split_first() else {
            return Vec::new();
        };
        let mut out: BTreeSet<usize> = self.agreeing(k, v).collect();
        let same = |i: &usize| {
            let (shared, changed) = compare(&self.records[*i].traits, seen);
            shared > 0 && changed.is_empty()
        };
        if out.iter().any(same) || seen.len() <= MIN_AGREEING {
            return out.into_iter().collect();
        }
        if let Some(((k2, v2), others)) = rest.split_first() {
            let agrees = |i: usize, (k, v): &(&String, &String)| {
                let r = &self.records[i];
                r.traits.get(*k).is_none_or(|before| before == *v)
            };
            out.extend(
                self.agreeing(k2, v2).filter(|&i| {
                    !taken(self.records[i].id) && others.iter().all(|kv| agrees(i, kv))
                }),
            );
        }
        out.into_iter().collect()
    }
}

#[cfg(test)]
mod tests {
    use super::super::match_record;
    use super::*;
    use proptest::prelude::*;

    const KEYS: [&str; 4] = ["nick", "markname", "face", "groups"];

    /// Attributes from a small alphabet (so that records collide): a value per key, or none.
    fn traits() -> impl Strategy<Value = Traits> {
        proptest::collection::vec(proptest::option::weighted(0.85, 0..3u8), KEYS.len()).prop_map(
            |vals| {
                KEYS.iter()
                    .zip(vals)
                    .filter_map(|(k, v)| Some((k.to_string(), v?.to_string())))
                    .collect()
            },
        )
    }

    proptest! {
        /// The index only skips records that cannot change the decision: the rule decides
        /// the same on the candidates as on every record.
        #[test]
        fn candidates_decide_as_all_records(
            records in proptest::collection::vec((traits(), any::<bool>()), 0..12),
            edits in proptest::collection::vec((0..12usize, traits()), 0..4),
            seen in traits(),
        ) {
            let mut book = Book::default();
            let mut taken = std::collections::HashSet::new();
            for (i, (t, is_taken)) in records.iter().enumerate() {
                book.push(Record { id: i as u64, traits: t.clone() });
                if *is_taken {
                    taken.insert(i as u64);
                }
            }
            for (i, t) in edits {
                book.set_traits(i as u64, t);
            }
            let all = match_record(
                book.records().iter().map(|r| (r, taken.contains(&r.id))),
                &seen,
            );
            let picked = book.candidates(&seen, |id| taken.contains(&id));
            let records = book.records();
            let indexed = match_record(
                picked.iter().map(|&i| (&records[i], taken.contains(&records[i].id))),
                &seen,
            );
            prop_assert_eq!(indexed, all);
        }
    }
}
