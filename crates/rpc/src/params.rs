//! The request parameters after decoding: URL query merged with a form body.

use fpshot_types::{ApiError, Code};

/// Decoded request parameters, names case-sensitive as on the wire.
///
/// Built from the URL query, then the form body; a name given twice keeps its last value and a
/// body value replaces a query value (the reference verifier of spec §2.9 does the same, and the
/// V1 signature covers exactly this merged set, so what is signed is what handlers read).
/// `Signature` itself is not kept. Common parameters (`Action`, `Version`, `Format`,
/// `RegionId`, ...) are visible like business ones.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Params {
    /// Sorted by name (byte order) with unique names: lookups are binary searches and the V1
    /// canonical string is this list in order.
    sorted: Vec<(String, String)>,
}

impl Params {
    /// Merges pairs in order, the last value of a name winning.
    pub fn from_pairs(pairs: impl IntoIterator<Item = (String, String)>) -> Self {
        let mut all: Vec<(String, String)> = pairs.into_iter().collect();
        // A stable sort keeps arrival order within a name, so the last arrival ends its run.
        all.sort_by(|a, b| a.0.cmp(&b.0));
        let mut sorted: Vec<(String, String)> = Vec::with_capacity(all.len());
        for (k, v) in all {
            match sorted.last_mut() {
                Some(last) if last.0 == k => last.1 = v,
                _ => sorted.push((k, v)),
            }
        }
        Params { sorted }
    }

    fn position(&self, name: &str) -> Option<usize> {
        self.sorted
            .binary_search_by(|(k, _)| k.as_str().cmp(name))
            .ok()
    }

    /// The value as sent (possibly empty), or `None` when absent.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.position(name).map(|i| self.sorted[i].1.as_str())
    }

    /// The value when present and not empty.
    pub fn get_nonempty(&self, name: &str) -> Option<&str> {
        self.get(name).filter(|v| !v.is_empty())
    }

    /// A mandatory parameter: `Missing<Name>` (HTTP 400) when absent or empty.
    pub fn require(&self, name: &str) -> Result<&str, ApiError> {
        self.get_nonempty(name)
            .ok_or_else(|| ApiError::missing(name))
    }

    /// An optional integer: `None` when absent or empty, `InvalidParameter` when not a
    /// decimal integer (surrounding spaces tolerated).
    pub fn get_i64(&self, name: &str) -> Result<Option<i64>, ApiError> {
        match self.get_nonempty(name) {
            None => Ok(None),
            Some(v) => {
                v.trim().parse::<i64>().map(Some).map_err(|_| {
                    ApiError::invalid(name, format_args!("\"{v}\" is not an integer."))
                })
            }
        }
    }

    /// A mandatory integer.
    pub fn require_i64(&self, name: &str) -> Result<i64, ApiError> {
        self.get_i64(name)?.ok_or_else(|| ApiError::missing(name))
    }

    /// An optional integer within `min..=max`: `InvalidParameter.OutOfRange` outside it.
    pub fn get_i64_in(&self, name: &str, min: i64, max: i64) -> Result<Option<i64>, ApiError> {
        match self.get_i64(name)? {
            Some(v) if v < min || v > max => Err(ApiError::new(
                Code::InvalidParameterOutOfRange,
                format!(
                    "The specified parameter \"{name}\" is out of range: {v} is not in {min}..{max}."
                ),
            )),
            other => Ok(other),
        }
    }

    /// An optional boolean (`true`/`false`, any case); `InvalidParameter` otherwise.
    pub fn get_bool(&self, name: &str) -> Result<Option<bool>, ApiError> {
        match self.get_nonempty(name).map(str::trim) {
            None => Ok(None),
            Some(v) if v.eq_ignore_ascii_case("true") => Ok(Some(true)),
            Some(v) if v.eq_ignore_ascii_case("false") => Ok(Some(false)),
            Some(v) => Err(ApiError::invalid(
                name,
                format_args!("\"{v}\" is not true or false."),
            )),
        }
    }

    /// All parameters, sorted by name.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &str)> {
        self.sorted.iter().map(|(k, v)| (k.as_str(), v.as_str()))
    }

    pub fn len(&self) -> usize {
        self.sorted.len()
    }

    pub fn is_empty(&self) -> bool {
        self.sorted.is_empty()
    }

    /// Takes a parameter out (used for `Signature`, which is not part of what is signed).
    pub(crate) fn remove(&mut self, name: &str) -> Option<String> {
        self.position(name).map(|i| self.sorted.remove(i).1)
    }
}

#[cfg(test)]
#[path = "params_test.rs"]
mod tests;
