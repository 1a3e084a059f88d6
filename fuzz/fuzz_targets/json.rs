//! The JSON reader: any bytes give a tree or a located error, never a panic, and every span
//! lies inside the text.
#![no_main]

use ecs_preflight::parse::{Node, json};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    match json::parse(text) {
        Ok(node) => check_spans(&node, text.len()),
        Err(e) => assert!(e.span.end as usize <= text.len(), "{e:?}"),
    }
});

fn check_spans(node: &Node, len: usize) {
    assert!(node.span.start <= node.span.end && node.span.end as usize <= len);
    for item in node.items() {
        check_spans(item, len);
    }
    for m in node.members() {
        assert!(m.key_span.end as usize <= len);
        check_spans(&m.value, len);
    }
}
