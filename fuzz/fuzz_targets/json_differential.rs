//! The JSON reader against serde_json: the same documents accepted, with the same values
//! (numbers compared as numbers; with duplicate keys the last wins in both). Known, deliberate
//! differences are left out: a UTF-8 byte order mark (accepted here, as editors write one),
//! nesting deeper than either reader's limit, and numbers serde_json cannot hold in an f64.
#![no_main]

use ecs_preflight::parse::{MAX_DEPTH, Node, NodeKind, json};
use libfuzzer_sys::fuzz_target;
use serde_json::Value;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if text.starts_with('\u{feff}') {
        return;
    }
    let ours = json::parse(text);
    let theirs = serde_json::from_str::<Value>(text);
    match (ours, theirs) {
        (Ok(node), Ok(value)) => assert!(same(&node, &value), "{text:?}: {node:?} vs {value:?}"),
        (Err(_), Err(_)) => {}
        (Ok(node), Err(e)) => {
            // serde_json stops at 128 levels and at numbers out of f64 range.
            let too_deep = depth_node(&node) > 127;
            let out_of_range = e.to_string().contains("number out of range");
            assert!(too_deep || out_of_range, "accepted here only: {text:?}: {e}");
        }
        (Err(e), Ok(value)) => {
            assert!(
                depth_value(&value) >= MAX_DEPTH,
                "accepted by serde_json only: {text:?}: {e:?}"
            );
        }
    }
});

fn same(node: &Node, value: &Value) -> bool {
    match (&node.kind, value) {
        (NodeKind::Null, Value::Null) => true,
        (NodeKind::Bool(a), Value::Bool(b)) => a == b,
        (NodeKind::String(a), Value::String(b)) => a == b,
        (NodeKind::Number(a), Value::Number(b)) => {
            let ours: f64 = a.parse().expect("a number the reader accepted parses");
            match (b.as_i64(), b.as_u64(), b.as_f64()) {
                (Some(i), _, _) if !a.contains(['.', 'e', 'E']) => a.parse::<i64>() == Ok(i),
                (_, Some(u), _) if !a.contains(['.', 'e', 'E']) => a.parse::<u64>() == Ok(u),
                // serde_json's own float parsing (without `float_roundtrip`) may be off in the
                // last bits for long mantissas: compared to within 1e-12, relative.
                (_, _, Some(f)) => ours == f || (ours - f).abs() <= 1e-12 * f.abs(),
                _ => false,
            }
        }
        (NodeKind::Array(items), Value::Array(values)) => {
            items.len() == values.len() && items.iter().zip(values).all(|(n, v)| same(n, v))
        }
        (NodeKind::Object(_), Value::Object(map)) => {
            let mut keys: Vec<&str> = node.members().iter().map(|m| m.key.as_str()).collect();
            keys.sort_unstable();
            keys.dedup();
            keys.len() == map.len()
                && keys
                    .iter()
                    .all(|k| map.get(*k).is_some_and(|v| same(node.get(k).unwrap(), v)))
        }
        _ => false,
    }
}

fn depth_node(node: &Node) -> usize {
    1 + node
        .items()
        .iter()
        .map(depth_node)
        .chain(node.members().iter().map(|m| depth_node(&m.value)))
        .max()
        .unwrap_or(0)
}

fn depth_value(value: &Value) -> usize {
    1 + match value {
        Value::Array(items) => items.iter().map(depth_value).max().unwrap_or(0),
        Value::Object(map) => map.values().map(depth_value).max().unwrap_or(0),
        _ => 0,
    }
}
