//! Points in time as state files give them, and as lifecycle policies compare them.
//!
//! The AWS CLI prints timestamps as RFC 3339 strings with a UTC offset (CLI v2) or as epoch
//! seconds, possibly fractional (CLI v1). A string without an offset is rejected: its time zone
//! cannot be known, and guessing UTC could move a lifecycle verdict by a day. Calendar work is
//! `jiff`'s; this type only fixes the precision (microseconds) and the accepted forms.

use std::fmt;

use serde::Deserialize;
use serde::de::{self, Deserializer};

/// A point in time, microseconds since 1970-01-01T00:00:00Z.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Timestamp {
    micros: i64,
}

pub const MICROS_PER_SECOND: i64 = 1_000_000;
pub const MICROS_PER_DAY: i64 = 86_400 * MICROS_PER_SECOND;

/// ±10^11 s is about ±3000 years: far beyond any AWS timestamp, and well inside i64 µs.
const MAX_EPOCH_SECONDS: f64 = 1e11;

impl Timestamp {
    pub fn from_micros(micros: i64) -> Timestamp {
        Timestamp { micros }
    }

    pub fn from_seconds(seconds: i64) -> Timestamp {
        Timestamp {
            micros: seconds.saturating_mul(MICROS_PER_SECOND),
        }
    }

    pub fn micros(self) -> i64 {
        self.micros
    }

    /// The system clock's current time (the epoch if the clock is before it).
    pub fn now() -> Timestamp {
        let micros = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| i64::try_from(d.as_micros()).unwrap_or(i64::MAX))
            .unwrap_or(0);
        Timestamp { micros }
    }

    /// Epoch seconds as the AWS CLI v1 prints them (a JSON number, possibly fractional).
    pub fn from_epoch_seconds(seconds: f64) -> Result<Timestamp, String> {
        if !seconds.is_finite() || seconds.abs() > MAX_EPOCH_SECONDS {
            return Err(format!("epoch seconds {seconds} are out of range"));
        }
        Ok(Timestamp {
            micros: (seconds * 1e6).round() as i64,
        })
    }

    /// Parses an RFC 3339 / ISO-8601 date-time with a UTC offset (`Z`, `±HH:MM`, `±HHMM`);
    /// digits finer than a microsecond are truncated (AWS never sends them).
    pub fn parse_iso8601(text: &str) -> Result<Timestamp, String> {
        let fail = |why: String| format!("`{text}` is not an ISO-8601 timestamp: {why}");
        // A bare date-time has no offset: jiff would refuse it too, but with a message about
        // time zones that does not say what to write.
        let time = text
            .split_once(['T', 't', ' '])
            .map(|(_, time)| time)
            .ok_or_else(|| fail("expected `T` between date and time".into()))?;
        if !time.contains(['Z', 'z', '+', '-']) {
            return Err(fail(
                "no UTC offset (`Z` or `±HH:MM`), so the time zone is unknown".into(),
            ));
        }
        let parsed: jiff::Timestamp = text.parse().map_err(|e: jiff::Error| fail(e.to_string()))?;
        let micros = parsed.as_microsecond();
        Ok(Timestamp { micros })
    }
}

impl fmt::Display for Timestamp {
    /// RFC 3339 in UTC, with microseconds only when there are any.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match jiff::Timestamp::from_microsecond(self.micros) {
            Ok(t) => write!(f, "{t}"),
            // Outside jiff's range (±9999 years): only from hand-made micros, never from a file.
            Err(_) => write!(f, "{} µs since the epoch", self.micros),
        }
    }
}

impl<'de> Deserialize<'de> for Timestamp {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Timestamp, D::Error> {
        struct Visitor;
        impl de::Visitor<'_> for Visitor {
            type Value = Timestamp;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a timestamp (ISO-8601 string with a UTC offset, or epoch seconds)")
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Timestamp, E> {
                Timestamp::from_epoch_seconds(v as f64).map_err(E::custom)
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Timestamp, E> {
                Timestamp::from_epoch_seconds(v as f64).map_err(E::custom)
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<Timestamp, E> {
                Timestamp::from_epoch_seconds(v).map_err(E::custom)
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Timestamp, E> {
                Timestamp::parse_iso8601(v).map_err(E::custom)
            }
        }
        deserializer.deserialize_any(Visitor)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn ts(text: &str) -> Timestamp {
        Timestamp::parse_iso8601(text).unwrap()
    }

    #[test]
    fn iso_timestamps_with_offsets_and_fractions() {
        assert_eq!(ts("1970-01-01T00:00:00Z").micros(), 0);
        assert_eq!(
            ts("2024-05-01T12:00:00Z"),
            Timestamp::from_seconds(1_714_564_800)
        );
        // +02:00 is two hours ahead of UTC, so the same instant as 10:00Z.
        assert_eq!(ts("2024-05-01T12:00:00+02:00"), ts("2024-05-01T10:00:00Z"));
        assert_eq!(ts("2024-05-01T12:00:00-0530"), ts("2024-05-01T17:30:00Z"));
        assert_eq!(ts("2024-05-01T12:00:00.5Z").micros(), 1_714_564_800_500_000);
        assert_eq!(
            ts("2019-04-26T11:36:27.123456789-05:00").micros() % 1_000_000,
            123_456
        );
        assert_eq!(
            ts("2000-02-29 23:59:59z"),
            Timestamp::from_seconds(951_868_799)
        );
        // Before the epoch.
        assert_eq!(ts("1969-12-31T23:59:59Z").micros(), -1_000_000);
    }

    #[test]
    fn bad_iso_timestamps_are_errors() {
        for bad in [
            "2024-05-01T12:00:00",
            "2024-13-01T00:00:00Z",
            "2023-02-29T00:00:00Z",
            "2024-05-01",
            "2024-05-01T12:00:00+2",
            "2024-05-01T25:00:00Z",
            "2024-05-01T12:00:00Zjunk",
            "2024-05-01T12:00:00.Z",
            "",
        ] {
            assert!(
                Timestamp::parse_iso8601(bad).is_err(),
                "{bad} should be rejected"
            );
        }
    }

    #[test]
    fn display_is_rfc3339_utc() {
        assert_eq!(
            Timestamp::from_seconds(1_714_564_800).to_string(),
            "2024-05-01T12:00:00Z"
        );
        assert_eq!(
            Timestamp::from_micros(-1).to_string(),
            "1969-12-31T23:59:59.999999Z"
        );
    }

    #[test]
    fn timestamps_from_json_strings_and_numbers() {
        let a: Timestamp = serde_json::from_value(json!("2024-05-01T12:00:00+00:00")).unwrap();
        let b: Timestamp = serde_json::from_value(json!(1_714_564_800)).unwrap();
        let c: Timestamp = serde_json::from_value(json!(1_714_564_800.25)).unwrap();
        assert_eq!(a, b);
        assert_eq!(c.micros() - b.micros(), 250_000);
        assert!(serde_json::from_value::<Timestamp>(json!(true)).is_err());
        assert!(serde_json::from_value::<Timestamp>(json!(1e300)).is_err());
        assert!(serde_json::from_value::<Timestamp>(json!(200_000_000_000_i64)).is_err());
    }
}
