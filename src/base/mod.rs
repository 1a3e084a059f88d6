//! The bottom layer: small types every other layer uses (three-valued answers, timestamps,
//! wildcard matching, output sanitising). Nothing here knows about ECS, the account or rules.

pub mod known;
pub mod sanitize;
pub mod spelling;
pub mod timestamp;
pub mod wildcard;
