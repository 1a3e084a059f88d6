//! Lifecycle evaluator benchmark: 100,000 images × 20 rules.
//!
//! Run: `cargo bench --bench lifecycle` (release profile). Prints the median of several runs
//! of `evaluate` (policy parsing and data generation are not timed).

use std::time::{Duration, Instant};

use ecs_preflight::ecr::lifecycle::LifecycleImage;
use ecs_preflight::ecr::lifecycle::{Outcome, evaluate, parse_policy};
use ecs_preflight::state::ecr::{ImageDetail, MICROS_PER_DAY, Timestamp};

const IMAGES: usize = 100_000;
const RUNS: usize = 9;

/// A small deterministic generator, so every run measures the same data.
struct XorShift(u64);

impl XorShift {
    fn below(&mut self, n: u64) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0 % n
    }
}

fn images(now: Timestamp) -> Vec<ImageDetail> {
    let mut rng = XorShift(0x9e37_79b9_7f4a_7c15);
    let families = [
        "prod", "release", "staging", "dev", "feature", "hotfix", "nightly", "v1", "v2", "sha",
    ];
    (0..IMAGES)
        .map(|i| {
            // About a third untagged (multi-arch children, old builds), the rest 1–3 tags.
            let tag_count = if rng.below(3) == 0 {
                0
            } else {
                1 + rng.below(3)
            };
            let tags = (0..tag_count)
                .map(|_| {
                    let family = families[rng.below(families.len() as u64) as usize];
                    format!("{family}-{}-{:x}", rng.below(500), rng.below(1 << 20))
                })
                .collect();
            let age_micros = (rng.below(400 * 24 * 3600) as i64) * 1_000_000;
            let pulled = rng.below(2) == 0;
            ImageDetail {
                image_digest: Some(format!("sha256:{i:064x}")),
                image_tags: Some(tags),
                image_pushed_at: Some(Timestamp::from_micros(now.micros() - age_micros)),
                last_recorded_pull_time: pulled.then(|| {
                    Timestamp::from_micros(now.micros() - age_micros / 2 - MICROS_PER_DAY)
                }),
                image_status: Some("ACTIVE".into()),
                ..ImageDetail::default()
            }
        })
        .collect()
}

/// 20 rules: tagged rules with patterns and prefixes, count and age, one untagged rule, one
/// `any` rule last.
fn policy_text() -> String {
    let mut rules = Vec::new();
    let selections = [
        r#""tagStatus": "tagged", "tagPatternList": ["prod-*-*"]"#,
        r#""tagStatus": "tagged", "tagPrefixList": ["release"]"#,
        r#""tagStatus": "tagged", "tagPatternList": ["staging*"]"#,
        r#""tagStatus": "tagged", "tagPatternList": ["*-1*-*"]"#,
        r#""tagStatus": "tagged", "tagPrefixList": ["dev", "feature"]"#,
        r#""tagStatus": "tagged", "tagPatternList": ["hotfix-*", "*a*"]"#,
        r#""tagStatus": "tagged", "tagPatternList": ["nightly-*-*f"]"#,
        r#""tagStatus": "tagged", "tagPrefixList": ["v1-"]"#,
        r#""tagStatus": "tagged", "tagPatternList": ["v2-*"]"#,
        r#""tagStatus": "tagged", "tagPatternList": ["sha-4*"]"#,
        r#""tagStatus": "tagged", "tagPatternList": ["*-2*-*"]"#,
        r#""tagStatus": "tagged", "tagPrefixList": ["sha-1"]"#,
        r#""tagStatus": "tagged", "tagPatternList": ["*e*e*"]"#,
        r#""tagStatus": "tagged", "tagPatternList": ["dev-*-*0"]"#,
        r#""tagStatus": "tagged", "tagPrefixList": ["feature-3"]"#,
        r#""tagStatus": "tagged", "tagPatternList": ["*-*-*-*"]"#,
        r#""tagStatus": "tagged", "tagPatternList": ["prod*", "release*"]"#,
        r#""tagStatus": "tagged", "tagPatternList": ["*9"]"#,
    ];
    for (i, selection) in selections.iter().enumerate() {
        let count = match i % 3 {
            0 => format!(
                r#""countType": "imageCountMoreThan", "countNumber": {}"#,
                50 + i * 40
            ),
            1 => format!(
                r#""countType": "sinceImagePushed", "countUnit": "days", "countNumber": {}"#,
                30 + i * 10
            ),
            _ => format!(
                r#""countType": "imageCountMoreThan", "countNumber": {}"#,
                500 + i
            ),
        };
        rules.push(format!(
            r#"{{"rulePriority": {}, "selection": {{{selection}, {count}}}, "action": {{"type": "expire"}}}}"#,
            i + 1
        ));
    }
    rules.push(r#"{"rulePriority": 19, "selection": {"tagStatus": "untagged", "countType": "sinceImagePushed", "countUnit": "days", "countNumber": 14}, "action": {"type": "expire"}}"#.into());
    rules.push(r#"{"rulePriority": 20, "selection": {"tagStatus": "any", "countType": "imageCountMoreThan", "countNumber": 20000}, "action": {"type": "expire"}}"#.into());
    format!(r#"{{"rules": [{}]}}"#, rules.join(",\n"))
}

fn main() {
    let now = Timestamp::from_seconds(1_750_000_000);
    let details = images(now);
    let policy = match parse_policy(&policy_text()) {
        Ok(p) => p,
        Err(e) => {
            eprintln!("benchmark policy is not valid: {e:?}");
            std::process::exit(1);
        }
    };
    let inputs: Vec<LifecycleImage> = details.iter().map(LifecycleImage::from_detail).collect();

    let mut times: Vec<Duration> = Vec::with_capacity(RUNS);
    let mut summary = (0usize, 0usize, 0usize);
    for _ in 0..RUNS {
        let start = Instant::now();
        let fates = evaluate(&policy, &inputs, now);
        times.push(start.elapsed());
        summary = fates
            .iter()
            .fold((0, 0, 0), |(kept, acted, other), f| match f.outcome {
                Outcome::Kept => (kept + 1, acted, other),
                Outcome::Actioned { .. } => (kept, acted + 1, other),
                _ => (kept, acted, other + 1),
            });
    }
    times.sort();
    let median = times[RUNS / 2];
    println!(
        "lifecycle evaluate: {IMAGES} images x {} rules: median {:.1} ms over {RUNS} runs (min {:.1} ms, max {:.1} ms)",
        policy.rules.len(),
        median.as_secs_f64() * 1e3,
        times[0].as_secs_f64() * 1e3,
        times[RUNS - 1].as_secs_f64() * 1e3,
    );
    println!(
        "outcomes: kept {}, actioned {}, other {}",
        summary.0, summary.1, summary.2
    );
}
