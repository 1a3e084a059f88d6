//! Image references: parsing never panics, and what parses can be asked everything the rules
//! ask (and pinned to a digest, which parses again to the same repository).
#![no_main]

use ecs_preflight::model::image_ref;
use libfuzzer_sys::fuzz_target;

const DIGEST: &str = "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let Ok(r) = image_ref::parse(text) else {
        return;
    };
    let _ = (
        r.is_explicit_latest(),
        r.has_no_tag_or_digest(),
        r.is_digest_pinned(),
        r.ecr_repository_name(),
        r.repository_arn(),
        r.registry_host(),
        r.ecr_repository_name_error(),
        r.name_as_written(),
    );
    let pinned = r.with_digest(DIGEST);
    if pinned.len() > 255 {
        // Pinning a reference near ECS's 255-character limit makes it too long; the check
        // after `--fix` reports that (IMG001).
        return;
    }
    let again = image_ref::parse(&pinned).unwrap_or_else(|e| panic!("{pinned:?}: {e:?}"));
    assert!(again.is_digest_pinned(), "{pinned:?}");
    assert_eq!(again.ecr_repository_name(), r.ecr_repository_name(), "{pinned:?}");
});
