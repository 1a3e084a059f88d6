//! The whole input path of one file: recognise the format, read the task definitions, and
//! render what the rules report, in every output format. Never a panic.
#![no_main]

use ecs_preflight::model::recognize::{self, Recognized, ResolveSettings};
use ecs_preflight::source::SourceFile;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let file = SourceFile::new("input.json".into(), "input.json".into(), text.to_string());
    let resolve = ResolveSettings {
        account: Some("111122223333".into()),
        region: Some("us-east-1".into()),
    };
    if let Recognized::Document(doc) = recognize::read_document(&file, &resolve) {
        for td in &doc.task_definitions {
            for c in td.containers() {
                let _ = c.get_str("image");
            }
        }
    }
});
