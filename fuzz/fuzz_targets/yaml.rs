//! The YAML reader: any text gives a tree or a located error, never a panic, bounded in time
//! and memory (aliases, depth).
#![no_main]

use ecs_preflight::parse::yaml;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Err(e) = yaml::parse(text) {
        assert!(e.span.end as usize <= text.len(), "{e:?}");
    }
});
