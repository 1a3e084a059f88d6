//! The config loader: any text is a config or an error located in it.
#![no_main]

use ecs_preflight::config;
use ecs_preflight::source::SourceFile;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let path = std::path::Path::new("/nonexistent-ecs-preflight-fuzz/ecs-preflight.toml");
    let file = SourceFile::new(path.into(), "ecs-preflight.toml".into(), text.to_string());
    if let Err(e) = config::from_source(path, file) {
        assert!(e.span.end as usize <= text.len(), "{:?}", e.message);
    }
});
