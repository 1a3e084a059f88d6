//! ECR lifecycle policies: any text is a policy or an error; a policy is evaluated over a fixed
//! repository without panicking, and decides something for every image.
#![no_main]

use ecs_preflight::ecr::lifecycle::{LifecycleImage, evaluate, parse_policy};
use ecs_preflight::state::ecr::{ImageDetail, Timestamp};
use libfuzzer_sys::fuzz_target;

const IMAGES: &str = r#"[
  {"imageDigest": "sha256:01", "imageTags": ["prod-1", "latest"], "imagePushedAt": 1700000000},
  {"imageDigest": "sha256:02", "imageTags": ["dev-2"], "imagePushedAt": 1600000000,
   "lastRecordedPullTime": 1650000000},
  {"imageDigest": "sha256:03", "imagePushedAt": 1500000000, "imageStatus": "ARCHIVED",
   "lastArchivedAt": 1550000000},
  {"imageDigest": "sha256:04", "imageTags": ["release-1.2.3"], "imageStatus": "ACTIVATING"}
]"#;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let Ok(policy) = parse_policy(text) else {
        return;
    };
    let details: Vec<ImageDetail> = serde_json::from_str(IMAGES).unwrap();
    let images: Vec<LifecycleImage> = details.iter().map(LifecycleImage::from_detail).collect();
    let fates = evaluate(&policy, &images, Timestamp::from_seconds(1_750_000_000));
    assert_eq!(fates.len(), images.len());
});
