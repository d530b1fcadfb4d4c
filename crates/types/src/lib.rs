//! Shared vocabulary of fpshot: identifiers, times, states and the Alibaba error-code table.
//!
//! Nothing here knows about HTTP frameworks or SQL; every other crate speaks these types.

mod code;
mod ids;
mod states;
mod times;

pub use code::{ApiError, Code};
pub use ids::{is_valid_id, new_id, parse_id_list};
pub use states::{DelType, FpDbStatus, JobStatus, ModelId, PipelineState, UnknownValue};
pub use times::{format_utc, now_utc, parse_utc};
