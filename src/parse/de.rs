//! serde reads typed values straight from a [`Node`] tree, as it would from the
//! `serde_json::Value` of [`Node::to_json`], without building that copy first (a state file of
//! 100,000 roles was held as text, tree, `Value` and typed sections at once).
//!
//! Numbers read as `to_json` reads them: an integer as `i64` or `u64`, any other number as
//! `f64`, and a number no `f64` holds as its text. With duplicate keys the last one wins.

use std::collections::HashSet;
use std::fmt;

use serde::de::{
    self, DeserializeSeed, Deserializer, IntoDeserializer, MapAccess, SeqAccess, Visitor,
};

use super::{Member, Node, NodeKind};

#[derive(Debug)]
pub struct Error(String);

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for Error {}

impl de::Error for Error {
    fn custom<T: fmt::Display>(msg: T) -> Error {
        Error(msg.to_string())
    }
}

impl<'de> IntoDeserializer<'de, Error> for &'de Node {
    type Deserializer = &'de Node;

    fn into_deserializer(self) -> &'de Node {
        self
    }
}

impl<'de> Deserializer<'de> for &'de Node {
    type Error = Error;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        match &self.kind {
            NodeKind::Null | NodeKind::Unresolved(_) | NodeKind::ResourceRef { .. } => {
                visitor.visit_unit()
            }
            NodeKind::Bool(b) => visitor.visit_bool(*b),
            NodeKind::Number(n) => {
                if let Ok(i) = n.parse::<i64>() {
                    visitor.visit_i64(i)
                } else if let Ok(u) = n.parse::<u64>() {
                    visitor.visit_u64(u)
                } else {
                    match n.parse::<f64>() {
                        Ok(f) if f.is_finite() => visitor.visit_f64(f),
                        _ => visitor.visit_borrowed_str(n),
                    }
                }
            }
            NodeKind::String(s) => visitor.visit_borrowed_str(s),
            NodeKind::Array(items) => visitor.visit_seq(Items {
                items: items.iter(),
            }),
            NodeKind::Object(members) => visitor.visit_map(Members {
                members: last_of_each_key(members).into_iter(),
                value: None,
            }),
        }
    }

    fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        match &self.kind {
            NodeKind::Null | NodeKind::Unresolved(_) | NodeKind::ResourceRef { .. } => {
                visitor.visit_none()
            }
            _ => visitor.visit_some(self),
        }
    }

    fn deserialize_enum<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _variants: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, Error> {
        match &self.kind {
            NodeKind::String(s) => visitor.visit_enum(s.as_str().into_deserializer()),
            _ => Err(de::Error::custom(format!(
                "expected a string, found {}",
                self.type_name()
            ))),
        }
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        visitor: V,
    ) -> Result<V::Value, Error> {
        visitor.visit_newtype_struct(self)
    }

    serde::forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string
        bytes byte_buf unit unit_struct seq tuple
        tuple_struct map struct identifier ignored_any
    }
}

/// The members of an object, the last of each key only, in order.
fn last_of_each_key(members: &[Member]) -> Vec<&Member> {
    let mut seen = HashSet::new();
    let mut out: Vec<&Member> = members
        .iter()
        .rev()
        .filter(|m| seen.insert(m.key.as_str()))
        .collect();
    out.reverse();
    out
}

struct Items<'de> {
    items: std::slice::Iter<'de, Node>,
}

impl<'de> SeqAccess<'de> for Items<'de> {
    type Error = Error;

    fn next_element_seed<T: DeserializeSeed<'de>>(
        &mut self,
        seed: T,
    ) -> Result<Option<T::Value>, Error> {
        self.items.next().map(|n| seed.deserialize(n)).transpose()
    }

    fn size_hint(&self) -> Option<usize> {
        Some(self.items.len())
    }
}

struct Members<'de> {
    members: std::vec::IntoIter<&'de Member>,
    value: Option<&'de Node>,
}

impl<'de> MapAccess<'de> for Members<'de> {
    type Error = Error;

    fn next_key_seed<K: DeserializeSeed<'de>>(
        &mut self,
        seed: K,
    ) -> Result<Option<K::Value>, Error> {
        let Some(m) = self.members.next() else {
            return Ok(None);
        };
        self.value = Some(&m.value);
        let key: de::value::BorrowedStrDeserializer<'de, Error> =
            de::value::BorrowedStrDeserializer::new(&m.key);
        seed.deserialize(key).map(Some)
    }

    fn next_value_seed<V: DeserializeSeed<'de>>(&mut self, seed: V) -> Result<V::Value, Error> {
        let value = self
            .value
            .take()
            .ok_or_else(|| de::Error::custom("a value without its key"))?;
        seed.deserialize(value)
    }

    fn size_hint(&self) -> Option<usize> {
        Some(self.members.len())
    }
}

#[cfg(test)]
mod tests {
    use crate::parse::json;

    /// The typed value read from the tree is the one read from its `to_json` copy.
    #[test]
    fn reads_what_to_json_reads() {
        let text = r#"{"a": 1, "b": -2, "c": 1.5, "d": 18446744073709551615, "e": 1e400,
            "f": "s", "g": [true, null, {"x": 1}], "a": 3, "h": {}}"#;
        let node = json::parse(text).unwrap();
        let from_tree: serde_json::Value = serde::Deserialize::deserialize(&node).unwrap();
        assert_eq!(from_tree, node.to_json());
        assert_eq!(from_tree["a"], 3);
    }

    #[test]
    fn typed_structs_and_errors_with_paths() {
        #[derive(serde::Deserialize, Debug, PartialEq)]
        #[serde(rename_all = "PascalCase")]
        struct Role {
            role_name: String,
            path: Option<String>,
            tags: Vec<Tag>,
        }
        #[derive(serde::Deserialize, Debug, PartialEq)]
        struct Tag {
            #[serde(rename = "Key")]
            key: String,
        }
        let node =
            json::parse(r#"{"RoleName": "r", "Tags": [{"Key": "k"}], "Path": null}"#).unwrap();
        let role: Role = serde::Deserialize::deserialize(&node).unwrap();
        assert_eq!(role.role_name, "r");
        assert_eq!(role.path, None);
        let node = json::parse(r#"{"RoleName": "r", "Tags": [{"Key": 5}]}"#).unwrap();
        let err = serde_path_to_error::deserialize::<_, Role>(&node).unwrap_err();
        assert_eq!(err.path().to_string(), "Tags[0].Key");
    }
}
