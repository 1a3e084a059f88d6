//! The state snapshot loader: any text is a snapshot or a located error.
#![no_main]

use ecs_preflight::source::SourceFile;
use ecs_preflight::state::snapshot;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let file = SourceFile::new("state.json".into(), "state.json".into(), text.to_string());
    if let Err(e) = snapshot::load(&file, 0) {
        assert!(e.span.end as usize <= text.len(), "{e:?}");
    }
});
