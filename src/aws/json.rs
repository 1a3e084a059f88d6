//! Building the state snapshot's JSON from SDK values, with the field names the AWS CLI prints.
//!
//! The SDK's types have no `Serialize`, so each section is written out by hand (ecr.rs, iam.rs,
//! ec2.rs, ecs.rs) with [`Obj`]. Optional scalars the API did not return are left out, as the
//! CLI does; lists a verdict depends on are written even when empty, because the SDK cannot tell
//! an empty list from a missing one and the API always returns them.

use aws_sdk_ecr::primitives::{DateTime, DateTimeFormat};
use serde_json::{Map, Value};

/// A JSON object under construction.
#[derive(Default)]
pub struct Obj(Map<String, Value>);

impl Obj {
    pub fn new() -> Obj {
        Obj(Map::new())
    }

    pub fn str(mut self, key: &str, value: Option<&str>) -> Obj {
        if let Some(v) = value {
            self.0.insert(key.to_string(), Value::String(v.to_string()));
        }
        self
    }

    pub fn bool(mut self, key: &str, value: Option<bool>) -> Obj {
        if let Some(v) = value {
            self.0.insert(key.to_string(), Value::Bool(v));
        }
        self
    }

    pub fn int(mut self, key: &str, value: Option<i64>) -> Obj {
        if let Some(v) = value {
            self.0.insert(key.to_string(), Value::from(v));
        }
        self
    }

    /// A timestamp, as RFC 3339 in UTC (what the AWS CLI v2 prints, with `Z`).
    pub fn time(mut self, key: &str, value: Option<&DateTime>) -> Obj {
        if let Some(v) = value.and_then(timestamp) {
            self.0.insert(key.to_string(), Value::String(v));
        }
        self
    }

    pub fn value(mut self, key: &str, value: Option<Value>) -> Obj {
        if let Some(v) = value {
            self.0.insert(key.to_string(), v);
        }
        self
    }

    /// A list, always written (see the module comment).
    pub fn list<T>(mut self, key: &str, items: &[T], each: impl Fn(&T) -> Value) -> Obj {
        self.0.insert(
            key.to_string(),
            Value::Array(items.iter().map(each).collect()),
        );
        self
    }

    /// A list of strings, always written.
    pub fn strings(self, key: &str, items: &[String]) -> Obj {
        self.list(key, items, |s| Value::String(s.clone()))
    }

    /// A list written only when it has items (the CLI omits e.g. `imageTags` of an untagged
    /// image).
    pub fn strings_if_any(self, key: &str, items: &[String]) -> Obj {
        if items.is_empty() {
            self
        } else {
            self.strings(key, items)
        }
    }

    pub fn build(self) -> Value {
        Value::Object(self.0)
    }
}

pub fn timestamp(value: &DateTime) -> Option<String> {
    value.fmt(DateTimeFormat::DateTime).ok()
}

/// An IAM policy document as the API returns it: URL-encoded JSON (RFC 3986; the Rust SDK does
/// not decode it, unlike boto3 and the AWS CLI). Returned as a JSON object, as the CLI prints
/// it; a document that is not JSON after decoding is kept as the string it was, which the state
/// loader accepts too.
pub fn iam_document(text: &str) -> Value {
    if let Ok(v) = serde_json::from_str::<Value>(text)
        && v.is_object()
    {
        return v;
    }
    if let Ok(decoded) = percent_encoding::percent_decode_str(text).decode_utf8()
        && let Ok(v) = serde_json::from_str::<Value>(&decoded)
        && v.is_object()
    {
        return v;
    }
    Value::String(text.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_url_encoded_policy_documents() {
        let encoded = "%7B%22Version%22%3A%222012-10-17%22%2C%22Statement%22%3A%5B%7B%22Effect%22%3A%22Allow%22%2C%22Action%22%3A%22ecr%3A%2A%22%2C%22Resource%22%3A%22%2A%22%7D%5D%7D";
        let v = iam_document(encoded);
        assert_eq!(v["Statement"][0]["Action"], "ecr:*");
        // Already decoded (moto, or a proxy that decodes): kept as is.
        let v = iam_document(r#"{"Version":"2012-10-17","Statement":[]}"#);
        assert_eq!(v["Version"], "2012-10-17");
        // A `%` inside a decoded document is not decoded again.
        let v = iam_document(r#"{"Statement":[{"Resource":"arn:aws:s3:::a%20b"}]}"#);
        assert_eq!(v["Statement"][0]["Resource"], "arn:aws:s3:::a%20b");
        // Not JSON at all: kept as text.
        assert_eq!(iam_document("%zz"), Value::String("%zz".into()));
    }

    #[test]
    fn objects_leave_out_what_is_missing() {
        let v = Obj::new()
            .str("a", Some("x"))
            .str("b", None)
            .bool("c", Some(false))
            .int("d", None)
            .strings_if_any("e", &[])
            .strings("f", &[])
            .time("g", Some(&DateTime::from_secs(1_700_000_000)))
            .build();
        assert_eq!(
            v,
            serde_json::json!({"a": "x", "c": false, "f": [], "g": "2023-11-14T22:13:20Z"})
        );
    }
}
