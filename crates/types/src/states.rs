//! The small state vocabularies of the API, spelled exactly as on the wire.

use std::fmt;

/// A value that is not one of a closed set; carries the text for the error message.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("\"{0}\" is not an accepted value")]
pub struct UnknownValue(pub String);

macro_rules! wire_enum {
    ($(#[$m:meta])* $name:ident { $($variant:ident => $wire:literal $(| $alias:literal)*),+ $(,)? }) => {
        $(#[$m])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum $name { $($variant),+ }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            pub fn as_str(self) -> &'static str {
                match self { $($name::$variant => $wire),+ }
            }

            /// Parses the wire spelling (case-insensitively, aliases included).
            pub fn parse(s: &str) -> Result<Self, UnknownValue> {
                $(
                    if s.eq_ignore_ascii_case($wire) $(|| s.eq_ignore_ascii_case($alias))* {
                        return Ok($name::$variant);
                    }
                )+
                Err(UnknownValue(s.to_string()))
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}

wire_enum! {
    /// Job states of every job kind. The running state is emitted as `Analyzing` (the
    /// QueryFpDBDeleteJobList reference spelling); `Analysing` is accepted as input.
    JobStatus {
        Queuing => "Queuing",
        Analyzing => "Analyzing" | "Analysing",
        Success => "Success",
        Fail => "Fail",
    }
}

impl JobStatus {
    pub fn is_finished(self) -> bool {
        matches!(self, JobStatus::Success | JobStatus::Fail)
    }
}

wire_enum! {
    /// Pipeline (MPS queue) state.
    PipelineState { Active => "Active", Paused => "Paused" }
}

wire_enum! {
    /// Library state: `State` in CreateFpShotDB, `Status` in ListFpShotDB.
    FpDbStatus { Offline => "offline", Active => "active", Paused => "paused", Deleted => "deleted" }
}

wire_enum! {
    /// What SubmitFpDBDeleteJob does to a library.
    DelType { Purge => "Purge", Delete => "Delete" }
}

wire_enum! {
    /// Library models: the media a library holds.
    ModelId { Text => "11", Video => "12", Audio => "13", Image => "14" }
}

impl ModelId {
    pub fn as_int(self) -> i64 {
        match self {
            ModelId::Text => 11,
            ModelId::Video => 12,
            ModelId::Audio => 13,
            ModelId::Image => 14,
        }
    }

    pub fn from_int(v: i64) -> Option<Self> {
        Self::ALL.iter().copied().find(|m| m.as_int() == v)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_spellings_of_the_running_state_parse() {
        assert_eq!(JobStatus::parse("Analysing"), Ok(JobStatus::Analyzing));
        assert_eq!(JobStatus::parse("analyzing"), Ok(JobStatus::Analyzing));
        assert_eq!(JobStatus::Analyzing.as_str(), "Analyzing");
        assert!(JobStatus::parse("Running").is_err());
    }

    #[test]
    fn model_ids_round_trip() {
        for m in ModelId::ALL {
            assert_eq!(ModelId::from_int(m.as_int()), Some(*m));
        }
        assert_eq!(ModelId::from_int(15), None);
    }
}
