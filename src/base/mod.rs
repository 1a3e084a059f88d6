//! The bottom layer: small types every other layer uses (three-valued answers, ARNs, wildcard
//! matching). Nothing here knows about ECS, the account or rules.

pub mod known;
pub mod sanitize;
pub mod spelling;
pub mod timestamp;
