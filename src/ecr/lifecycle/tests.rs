//! The lifecycle evaluator's tests, one per documented behaviour of a lifecycle rule (longer
//! than the ~800-line guide for source files: tests, each standing alone).

use super::*;
use crate::base::known::Tri;
use crate::base::timestamp::{MICROS_PER_DAY, Timestamp};
use crate::state::ecr::ImageDetail;
use serde_json::json;

const DAY: i64 = MICROS_PER_DAY;

fn now() -> Timestamp {
    Timestamp::from_seconds(1_750_000_000)
}

fn ago(days: f64) -> Timestamp {
    Timestamp::from_micros(now().micros() - (days * DAY as f64) as i64)
}

/// A `describe-images` item named by its digest.
fn detail(name: &str, tags: &[&str], pushed_days_ago: f64) -> ImageDetail {
    ImageDetail {
        image_digest: Some(name.to_string()),
        image_tags: Some(tags.iter().map(|t| t.to_string()).collect()),
        image_pushed_at: Some(ago(pushed_days_ago)),
        ..ImageDetail::default()
    }
}

fn policy(v: serde_json::Value) -> Policy {
    match parse_policy(&v.to_string()) {
        Ok(p) => p,
        Err(e) => panic!("{e:?}"),
    }
}

fn fates(p: &Policy, details: &[ImageDetail]) -> Vec<ImageFate> {
    let images: Vec<LifecycleImage> = details.iter().map(LifecycleImage::from_detail).collect();
    evaluate(p, &images, now())
}

/// The images the policy certainly expires; fails on any unknown outcome.
fn expired(p: &Policy, details: &[ImageDetail]) -> Vec<String> {
    let mut out = Vec::new();
    for (d, fate) in details.iter().zip(fates(p, details)) {
        match fate.outcome {
            Outcome::Kept => {}
            Outcome::Actioned {
                action: Action::Expire,
                ..
            } => out.push(d.image_digest.clone().unwrap()),
            other => panic!("{:?}: {other:?}", d.image_digest),
        }
    }
    out
}

fn rule(priority: i64, selection: serde_json::Value) -> serde_json::Value {
    json!({"rulePriority": priority, "description": format!("Rule {priority}"),
           "selection": selection, "action": {"type": "expire"}})
}

fn errors_of(v: serde_json::Value) -> Vec<PolicyError> {
    match parse_policy(&v.to_string()) {
        Err(PolicyProblem::Invalid(errors)) => errors,
        other => panic!("expected invalid, got {other:?}"),
    }
}

fn error_paths(v: serde_json::Value) -> Vec<String> {
    errors_of(v).into_iter().map(|e| e.path).collect()
}

// --- Tag patterns -------------------------------------------------------------------------

#[test]
fn tag_patterns_glob_the_whole_tag() {
    let m = |p: &str, t: &str| TagPattern::new(p).matches(t);
    // lifecycle_policy evaluation rules: `prod*` and `*prod*`.
    assert!(m("prod*", "prod") && m("prod*", "prod1") && m("prod*", "production-team1"));
    assert!(!m("prod*", "preprod"));
    assert!(m("*prod*", "repo-production") && m("*prod*", "prod-team"));
    assert!(m("prod", "prod") && !m("prod", "prod1"));
    assert!(m("*", "") && m("*", "x"));
    assert!(m("a*b*c", "abc") && m("a*b*c", "a-b-b-c") && !m("a*b*c", "acb"));
    assert!(m("*test*1*2*3", "my-test-1-2-3") && !m("*test*1*2*3", "my-test-1-2-3-4"));
    assert!(m("ab*ba", "abba") && m("ab*ba", "ababa"));
    assert!(!m("ab*ba", "aba"), "the pieces must not overlap");
    assert!(m("v*-rc*", "v1.2-rc3"));
}

#[test]
fn prefix_and_pattern_lists_need_every_entry_matched_by_some_tag() {
    let tags = |t: &[&str]| t.iter().map(|s| s.to_string()).collect::<Vec<_>>();
    let prefixes = TagSelection::Tagged(TagFilter::Prefixes(vec!["alpha".into(), "beta".into()]));
    assert!(prefixes.selects(&tags(&["alpha-2", "beta-2"])));
    assert!(!prefixes.selects(&tags(&["alpha-1"])));
    assert!(!prefixes.selects(&tags(&[])));
    let patterns = TagSelection::Tagged(TagFilter::Patterns(vec![TagPattern::new("*-1")]));
    assert!(patterns.selects(&tags(&["x", "beta-1"])));
    assert!(
        TagSelection::Untagged.selects(&tags(&[]))
            && !TagSelection::Untagged.selects(&tags(&["a"]))
    );
    assert!(TagSelection::Any.selects(&tags(&[])) && TagSelection::Any.selects(&tags(&["a"])));
}

// --- Validation ---------------------------------------------------------------------------

#[test]
fn every_documented_policy_is_valid() {
    // All policies of lifecycle_policy_examples (current page), including the archive ones,
    // and the template-era tagPrefixList forms of the 2023 page.
    let docs = [
        json!({"rules": [rule(1, json!({"tagStatus": "tagged", "tagPatternList": ["prod*"], "countType": "sinceImagePushed", "countUnit": "days", "countNumber": 14}))]}),
        json!({"rules": [rule(1, json!({"tagStatus": "untagged", "countType": "sinceImagePushed", "countUnit": "days", "countNumber": 14}))]}),
        json!({"rules": [{"rulePriority": 1, "description": "Archive images not pulled in 90 days",
            "selection": {"tagStatus": "any", "countType": "sinceImagePulled", "countUnit": "days", "countNumber": 90},
            "action": {"type": "transition", "targetStorageClass": "archive"}}]}),
        json!({"rules": [rule(1, json!({"tagStatus": "any", "storageClass": "archive", "countType": "sinceImageTransitioned", "countUnit": "days", "countNumber": 365}))]}),
        json!({"rules": [rule(1, json!({"tagStatus": "untagged", "countType": "imageCountMoreThan", "countNumber": 1}))]}),
        json!({"rules": [{"rulePriority": 1, "description": "Archive images older than 30 days",
            "selection": {"tagStatus": "any", "countType": "sinceImagePushed", "countUnit": "days", "countNumber": 30},
            "action": {"type": "transition", "targetStorageClass": "archive"}},
            rule(2, json!({"tagStatus": "any", "storageClass": "archive", "countType": "sinceImageTransitioned", "countUnit": "days", "countNumber": 365}))]}),
    ];
    for doc in docs {
        policy(doc);
    }
}

#[test]
fn invalid_policies_are_reported_with_paths() {
    let sel = |extra: serde_json::Value| {
        let mut s = json!({"tagStatus": "tagged", "tagPatternList": ["prod*"], "countType": "imageCountMoreThan", "countNumber": 3});
        for (k, v) in extra.as_object().unwrap() {
            if v.is_null() {
                s.as_object_mut().unwrap().remove(k);
            } else {
                s[k] = v.clone();
            }
        }
        json!({"rules": [rule(1, s)]})
    };
    let at = |v: serde_json::Value| error_paths(v);
    assert_eq!(
        at(sel(json!({"countUnit": "days"}))),
        ["rules[0].selection.countUnit"]
    );
    assert_eq!(
        at(sel(json!({"countNumber": 0}))),
        ["rules[0].selection.countNumber"]
    );
    assert_eq!(
        at(sel(json!({"countNumber": 2.5}))),
        ["rules[0].selection.countNumber"]
    );
    assert_eq!(
        at(sel(json!({"countNumber": "3"}))),
        ["rules[0].selection.countNumber"]
    );
    assert_eq!(
        at(sel(json!({"countNumber": null}))),
        ["rules[0].selection"]
    );
    assert_eq!(
        at(sel(json!({"countType": "sinceImagePushed"}))),
        ["rules[0].selection"]
    );
    assert_eq!(
        at(sel(
            json!({"countType": "sinceImagePushed", "countUnit": "weeks"})
        )),
        ["rules[0].selection.countUnit"]
    );
    assert_eq!(
        at(sel(json!({"countType": "newest"}))),
        ["rules[0].selection.countType"]
    );
    assert_eq!(
        at(sel(json!({"tagStatus": "TAGGED"}))),
        ["rules[0].selection.tagStatus"]
    );
    assert_eq!(
        at(sel(json!({"tagPatternList": null}))),
        ["rules[0].selection"]
    );
    assert_eq!(
        at(sel(json!({"tagPatternList": []}))),
        ["rules[0].selection.tagPatternList"]
    );
    assert_eq!(
        at(sel(json!({"tagPatternList": ["ok", 3]}))),
        ["rules[0].selection.tagPatternList[1]"]
    );
    assert_eq!(
        at(sel(json!({"tagPrefixList": ["prod"]}))),
        ["rules[0].selection.tagPatternList"]
    );
    assert_eq!(
        at(sel(
            json!({"tagStatus": "untagged", "tagPatternList": null, "tagPrefixList": ["x"]})
        )),
        ["rules[0].selection.tagPrefixList"]
    );
    assert_eq!(
        at(sel(json!({"tagPatternList": ["a", "test*1*2*3*4*5*6"]}))),
        ["rules[0].selection.tagPatternList[1]"]
    );
    assert_eq!(
        at(sel(json!({"storageClass": "archive"}))),
        ["rules[0].selection.storageClass"]
    );
    assert_eq!(
        at(sel(json!({"storageClass": "glacier"}))),
        ["rules[0].selection.storageClass"]
    );
    assert_eq!(
        at(sel(json!({"tagStaus": "tagged"}))),
        ["rules[0].selection.tagStaus"]
    );

    // The four-wildcard limit is inclusive (documented valid examples).
    policy(sel(
        json!({"tagPatternList": ["*test*1*2*3", "test*1*2*3*"]}),
    ));

    // Rule level.
    assert_eq!(
        error_paths(json!({"rules": [{"selection": {}, "action": {}}]})).len(),
        5
    );
    assert_eq!(
        error_paths(
            json!({"rules": [{"rulePriority": 1, "selection": {"tagStatus": "any", "countType": "imageCountMoreThan", "countNumber": 1}, "action": {"type": "expire"}, "comment": "x"}]})
        ),
        ["rules[0].comment"]
    );
    assert_eq!(error_paths(json!({"rule": []})), ["rule", ""]);
    assert_eq!(error_paths(json!({"rules": {}})), ["rules"]);
    match parse_policy("{\"rules\": [") {
        Err(PolicyProblem::Invalid(e)) => assert!(e[0].message.contains("not valid JSON")),
        other => panic!("{other:?}"),
    }
}

#[test]
fn invalid_actions_and_count_type_combinations() {
    let base = |selection: serde_json::Value, action: serde_json::Value| json!({"rules": [{"rulePriority": 1, "selection": selection, "action": action}]});
    let pulled = json!({"tagStatus": "any", "countType": "sinceImagePulled", "countUnit": "days", "countNumber": 30});
    let archived = json!({"tagStatus": "any", "storageClass": "archive", "countType": "sinceImageTransitioned", "countUnit": "days", "countNumber": 120});
    let count = json!({"tagStatus": "any", "countType": "imageCountMoreThan", "countNumber": 5});
    assert_eq!(
        error_paths(base(pulled.clone(), json!({"type": "expire"}))),
        ["rules[0].action.type"]
    );
    assert_eq!(
        error_paths(base(
            archived.clone(),
            json!({"type": "transition", "targetStorageClass": "archive"})
        )),
        ["rules[0].action.type"]
    );
    let mut short = archived.clone();
    short["countNumber"] = json!(30);
    assert_eq!(
        error_paths(base(short, json!({"type": "expire"}))),
        ["rules[0].selection.countNumber"]
    );
    let mut no_class = archived.clone();
    no_class.as_object_mut().unwrap().remove("storageClass");
    assert_eq!(
        error_paths(base(no_class, json!({"type": "expire"}))),
        ["rules[0].selection", "rules[0].selection.storageClass"]
    );
    assert_eq!(
        error_paths(base(count.clone(), json!({"type": "transition"}))),
        ["rules[0].action"]
    );
    assert_eq!(
        error_paths(base(
            count.clone(),
            json!({"type": "transition", "targetStorageClass": "glacier"})
        )),
        ["rules[0].action.targetStorageClass"]
    );
    assert_eq!(
        error_paths(base(
            count.clone(),
            json!({"type": "expire", "targetStorageClass": "archive"})
        )),
        ["rules[0].action.targetStorageClass"]
    );
    assert_eq!(
        error_paths(base(count.clone(), json!({"type": "delete"}))),
        ["rules[0].action.type"]
    );
    assert_eq!(
        error_paths(base(count, json!("expire"))),
        ["rules[0].action"]
    );
    // Transitioning by push age or count is allowed.
    policy(base(
        json!({"tagStatus": "tagged", "tagPatternList": ["prod*"], "countType": "sinceImagePushed", "countUnit": "days", "countNumber": 30}),
        json!({"type": "transition", "targetStorageClass": "archive"}),
    ));
}

#[test]
fn rule_set_checks() {
    let any = json!({"tagStatus": "any", "countType": "imageCountMoreThan", "countNumber": 5});
    let untagged =
        json!({"tagStatus": "untagged", "countType": "imageCountMoreThan", "countNumber": 5});
    let tagged = json!({"tagStatus": "tagged", "tagPrefixList": ["v"], "countType": "imageCountMoreThan", "countNumber": 5});
    // Duplicate priority.
    assert_eq!(
        error_paths(json!({"rules": [rule(1, tagged.clone()), rule(1, untagged.clone())]})),
        ["rules[1].rulePriority"]
    );
    // `any` not last.
    assert_eq!(
        error_paths(json!({"rules": [rule(3, any.clone()), rule(7, tagged.clone())]})),
        ["rules[0].rulePriority"]
    );
    // `any` last, priorities not contiguous and not in text order: fine.
    let p = policy(
        json!({"rules": [rule(30, any.clone()), rule(7, tagged.clone()), rule(12, untagged.clone())]}),
    );
    assert_eq!(
        p.rules.iter().map(|r| r.priority).collect::<Vec<_>>(),
        [7, 12, 30]
    );
    // Two untagged rules.
    assert_eq!(
        error_paths(json!({"rules": [rule(1, untagged.clone()), rule(2, untagged)]})),
        ["rules[1].selection.tagStatus"]
    );
}

#[test]
fn a_star_in_a_prefix_is_unsupported_not_invalid() {
    let v = json!({"rules": [rule(1, json!({"tagStatus": "tagged", "tagPrefixList": ["v*"], "countType": "imageCountMoreThan", "countNumber": 1}))]});
    match parse_policy(&v.to_string()) {
        Err(PolicyProblem::Unsupported(e)) => {
            assert_eq!(e[0].path, "rules[0].selection.tagPrefixList[0]")
        }
        other => panic!("{other:?}"),
    }
}

// --- The worked examples of lifecycle_policy_examples -------------------------------------

/// "Filtering on multiple rules", Example A, in both documented forms (tagPatternList on
/// the current page, tagPrefixList on the 2023 page). Result: Image A is expired.
#[test]
fn doc_multiple_rules_example_a() {
    let repo = [
        detail("A", &["beta-1", "prod-1"], 10.0),
        detail("B", &["beta-2", "prod-2"], 9.0),
        detail("C", &["beta-3"], 8.0),
    ];
    for (prod, beta) in [
        (
            json!({"tagPatternList": ["prod*"]}),
            json!({"tagPatternList": ["beta*"]}),
        ),
        (
            json!({"tagPrefixList": ["prod"]}),
            json!({"tagPrefixList": ["beta"]}),
        ),
    ] {
        let mut r1 =
            json!({"tagStatus": "tagged", "countType": "imageCountMoreThan", "countNumber": 1});
        let mut r2 = r1.clone();
        r1.as_object_mut()
            .unwrap()
            .extend(prod.as_object().unwrap().clone());
        r2.as_object_mut()
            .unwrap()
            .extend(beta.as_object().unwrap().clone());
        let p = policy(json!({"rules": [rule(1, r1), rule(2, r2)]}));
        assert_eq!(expired(&p, &repo), ["A"]);
    }
}

/// "Filtering on multiple rules", Example B (priorities swapped). Result: A and B expired.
#[test]
fn doc_multiple_rules_example_b() {
    let repo = [
        detail("A", &["beta-1", "prod-1"], 10.0),
        detail("B", &["beta-2", "prod-2"], 9.0),
        detail("C", &["beta-3"], 8.0),
    ];
    let p = policy(json!({"rules": [
        rule(1, json!({"tagStatus": "tagged", "tagPatternList": ["beta*"], "countType": "imageCountMoreThan", "countNumber": 1})),
        rule(2, json!({"tagStatus": "tagged", "tagPatternList": ["prod*"], "countType": "imageCountMoreThan", "countNumber": 1})),
    ]}));
    assert_eq!(expired(&p, &repo), ["A", "B"]);
    // Each image is expired by the rule that saw it first.
    let f = fates(&p, &repo);
    assert_eq!(
        f[1].outcome,
        Outcome::Actioned {
            priority: 1,
            action: Action::Expire
        }
    );
}

/// "Filtering on multiple tags in a single rule", Example A. Result: Image C is expired.
#[test]
fn doc_multiple_tags_example_a() {
    let repo = [
        detail("A", &["alpha-1"], 12.0),
        detail("B", &["beta-1"], 11.0),
        detail("C", &["alpha-2", "beta-2"], 10.0),
        detail("D", &["alpha-3"], 4.0),
        detail("E", &["beta-3"], 3.0),
        detail("F", &["alpha-4", "beta-4"], 2.0),
    ];
    for list in [
        json!({"tagPatternList": ["alpha*", "beta*"]}),
        json!({"tagPrefixList": ["alpha", "beta"]}),
    ] {
        let mut s = json!({"tagStatus": "tagged", "countType": "sinceImagePushed", "countNumber": 5, "countUnit": "days"});
        s.as_object_mut()
            .unwrap()
            .extend(list.as_object().unwrap().clone());
        assert_eq!(
            expired(&policy(json!({"rules": [rule(1, s)]})), &repo),
            ["C"]
        );
    }
}

/// "Filtering on multiple tags in a single rule", Example B. Result: A and B expired.
#[test]
fn doc_multiple_tags_example_b() {
    let repo = [
        detail("A", &["alpha-1", "beta-1", "gamma-1"], 10.0),
        detail("B", &["alpha-2", "beta-2"], 9.0),
        detail("C", &["alpha-3", "beta-3", "gamma-2"], 8.0),
    ];
    let p = policy(
        json!({"rules": [rule(1, json!({"tagStatus": "tagged", "tagPatternList": ["alpha*", "beta*"], "countType": "imageCountMoreThan", "countNumber": 1}))]}),
    );
    assert_eq!(expired(&p, &repo), ["A", "B"]);
}

/// "Filtering on all images", Example A. Result: A, B and C expired.
#[test]
fn doc_all_images_example_a() {
    let repo = [
        detail("A", &["alpha-1"], 4.0),
        detail("B", &["beta-1"], 3.0),
        detail("C", &[], 2.0),
        detail("D", &["alpha-2"], 1.0),
    ];
    let p = policy(
        json!({"rules": [rule(1, json!({"tagStatus": "any", "countType": "imageCountMoreThan", "countNumber": 1}))]}),
    );
    assert_eq!(expired(&p, &repo), ["A", "B", "C"]);
}

/// "Filtering on all images", Example B. Result: A, B and D expired.
///
/// The page lists D and E both as "Pushed: 1 day ago"; its result (rule 3 keeps E, expires
/// D; rule 2 does not expire E as "older than one day") needs E newer than D and E not
/// older than one day, so D is placed 1 day + 1 hour ago and E 23 hours ago. With exactly
/// equal push times the order is ambiguous and the evaluator says so (next test).
#[test]
fn doc_all_images_example_b() {
    let repo = [
        detail("A", &["alpha-1", "beta-1"], 4.0),
        detail("B", &[], 3.0),
        detail("C", &["alpha-2"], 2.0),
        detail("D", &["git hash"], 1.0 + 1.0 / 24.0),
        detail("E", &[], 23.0 / 24.0),
    ];
    let p = policy(json!({"rules": [
        rule(1, json!({"tagStatus": "tagged", "tagPatternList": ["alpha*"], "countType": "imageCountMoreThan", "countNumber": 1})),
        rule(2, json!({"tagStatus": "untagged", "countType": "sinceImagePushed", "countUnit": "days", "countNumber": 1})),
        rule(3, json!({"tagStatus": "any", "countType": "imageCountMoreThan", "countNumber": 1})),
    ]}));
    assert_eq!(expired(&p, &repo), ["A", "B", "D"]);
    let f = fates(&p, &repo);
    let by = |i: usize| match f[i].outcome {
        Outcome::Actioned { priority, .. } => priority,
        _ => 0,
    };
    assert_eq!((by(0), by(1), by(3)), (1, 2, 3));
}

#[test]
fn equal_push_times_at_a_count_cut_off_are_unknown() {
    let repo = [
        detail("D", &["git hash"], 1.0),
        detail("E", &[], 1.0),
        detail("F", &["x"], 5.0),
    ];
    let p = policy(
        json!({"rules": [rule(1, json!({"tagStatus": "any", "countType": "imageCountMoreThan", "countNumber": 1}))]}),
    );
    let f = fates(&p, &repo);
    for fate in &f[..2] {
        match &fate.outcome {
            Outcome::Unknown {
                priorities,
                reasons,
            } => {
                assert_eq!(priorities, &[1]);
                assert!(reasons[0].contains("push order"), "{reasons:?}");
            }
            other => panic!("{other:?}"),
        }
    }
    // F has two newer candidates whatever their order: certainly expired.
    assert_eq!(
        f[2].outcome,
        Outcome::Actioned {
            priority: 1,
            action: Action::Expire
        }
    );
}

/// "Filtering on image age" (current page: tagged prod*, 14 days). The page gives the
/// policy only; this repository is ours.
#[test]
fn doc_image_age_policy() {
    let p = policy(
        json!({"rules": [rule(1, json!({"tagStatus": "tagged", "tagPatternList": ["prod*"], "countType": "sinceImagePushed", "countUnit": "days", "countNumber": 14}))]}),
    );
    let repo = [
        detail("old-prod", &["prod-1"], 15.0),
        detail("new-prod", &["production"], 13.0),
        detail("old-dev", &["dev-1"], 30.0),
        detail("old-untagged", &[], 30.0),
        detail("exactly-14", &["prod-2"], 14.0),
    ];
    assert_eq!(expired(&p, &repo), ["old-prod"]);
    let f = fates(&p, &repo);
    match &f[1].threat {
        Some(
            t @ Threat::Days {
                priority: 1,
                action: Action::Expire,
                days_left,
            },
        ) => {
            assert!((days_left - 1.0).abs() < 1e-9, "{days_left}");
            assert!(t.is_soon());
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(f[2].threat, None, "no rule selects dev-1");
}

/// "Filtering on image count" (untagged, keep one). The page gives the policy only.
#[test]
fn doc_image_count_policy() {
    let p = policy(
        json!({"rules": [rule(1, json!({"tagStatus": "untagged", "countType": "imageCountMoreThan", "countNumber": 1}))]}),
    );
    let repo = [
        detail("u1", &[], 3.0),
        detail("u2", &[], 2.0),
        detail("u3", &[], 1.0),
        detail("t", &["v1"], 9.0),
    ];
    assert_eq!(expired(&p, &repo), ["u1", "u2"]);
    let f = fates(&p, &repo);
    assert_eq!(
        f[2].threat,
        Some(Threat::Pushes {
            priority: 1,
            action: Action::Expire,
            pushes: 1
        })
    );
    assert_eq!(f[3].threat, None);
}

// --- Archive ------------------------------------------------------------------------------

fn archived(name: &str, pushed_days_ago: f64, archived_days_ago: Option<f64>) -> ImageDetail {
    ImageDetail {
        image_status: Some("ARCHIVED".into()),
        last_archived_at: archived_days_ago.map(ago),
        ..detail(name, &["v1"], pushed_days_ago)
    }
}

/// "Combining archive and expire rules" (current page): archive after 30 days, expire
/// after 365 days in archive. The page gives the policy only.
#[test]
fn doc_archive_then_expire_policy() {
    let p = policy(json!({"rules": [
        {"rulePriority": 1, "selection": {"tagStatus": "any", "countType": "sinceImagePushed", "countUnit": "days", "countNumber": 30},
         "action": {"type": "transition", "targetStorageClass": "archive"}},
        rule(2, json!({"tagStatus": "any", "storageClass": "archive", "countType": "sinceImageTransitioned", "countUnit": "days", "countNumber": 365})),
    ]}));
    let repo = [
        detail("fresh", &["a"], 10.0),
        detail("stale", &["b"], 40.0),
        archived("long-archived", 800.0, Some(400.0)),
        archived("recently-archived", 800.0, Some(100.0)),
        archived("archived-when", 800.0, None),
    ];
    let f = fates(&p, &repo);
    assert_eq!(f[0].outcome, Outcome::Kept);
    assert_eq!(
        f[1].outcome,
        Outcome::Actioned {
            priority: 1,
            action: Action::TransitionToArchive
        }
    );
    assert_eq!(
        f[2].outcome,
        Outcome::Actioned {
            priority: 2,
            action: Action::Expire
        }
    );
    assert_eq!(f[3].outcome, Outcome::Kept);
    assert!(matches!(&f[4].outcome, Outcome::Unknown { priorities, .. } if priorities == &[2]));
    // A standard-class rule never selects an archived image, and vice versa.
    assert_eq!(
        f[2].outcome.is_actioned_with(Action::TransitionToArchive),
        Tri::False
    );
}

/// "Filtering on last pulled time": transition images not pulled for 90 days.
#[test]
fn since_image_pulled_uses_pull_then_restore_then_push_time() {
    let p = policy(json!({"rules": [{"rulePriority": 1,
        "selection": {"tagStatus": "any", "countType": "sinceImagePulled", "countUnit": "days", "countNumber": 90},
        "action": {"type": "transition", "targetStorageClass": "archive"}}]}));
    let pulled = |name: &str, pushed: f64, pull: Option<f64>, restored: Option<f64>| ImageDetail {
        last_recorded_pull_time: pull.map(ago),
        last_activated_at: restored.map(ago),
        ..detail(name, &["t"], pushed)
    };
    let repo = [
        pulled("pulled-recently", 400.0, Some(10.0), None),
        pulled("pulled-long-ago", 400.0, Some(100.0), None),
        pulled("never-pulled-old", 100.0, None, None),
        pulled("never-pulled-new", 20.0, None, None),
        pulled("restored-not-pulled-since", 400.0, Some(300.0), Some(5.0)),
    ];
    let f = fates(&p, &repo);
    let transitioned: Vec<bool> = f
        .iter()
        .map(|x| x.outcome.is_actioned_with(Action::TransitionToArchive) == Tri::True)
        .collect();
    assert_eq!(transitioned, [false, true, true, false, false]);
    assert!(
        matches!(f[0].threat, Some(Threat::Days { days_left, .. }) if (days_left - 80.0).abs() < 1e-9)
    );
    assert!(!f[0].threat.as_ref().unwrap().is_soon());
}

#[test]
fn an_activating_image_is_unknown_only_where_it_matters() {
    let p = policy(json!({"rules": [
        rule(1, json!({"tagStatus": "tagged", "tagPatternList": ["prod*"], "countType": "imageCountMoreThan", "countNumber": 2})),
        rule(2, json!({"tagStatus": "untagged", "countType": "sinceImagePushed", "countUnit": "days", "countNumber": 5})),
    ]}));
    let restoring = ImageDetail {
        image_status: Some("ACTIVATING".into()),
        ..detail("restoring", &["prod-9"], 1.0)
    };
    let repo = [
        restoring,
        detail("p-new", &["prod-3"], 2.0),
        detail("p-mid", &["prod-2"], 3.0),
        detail("p-old", &["prod-1"], 4.0),
        detail("p-oldest", &["prod-0"], 5.0),
        detail("untagged-old", &[], 10.0),
    ];
    let f = fates(&p, &repo);
    // The restoring image may or may not be a candidate: it is unknown itself only if it
    // would be a victim, which it is not (it is the newest).
    assert_eq!(f[0].outcome, Outcome::Kept);
    assert_eq!(f[1].outcome, Outcome::Kept);
    // p-mid has one certain newer candidate and maybe a second: unknown.
    assert!(
        matches!(&f[2].outcome, Outcome::Unknown { .. }),
        "{:?}",
        f[2]
    );
    // p-old has two certain newer candidates: expired either way.
    assert_eq!(
        f[3].outcome,
        Outcome::Actioned {
            priority: 1,
            action: Action::Expire
        }
    );
    assert_eq!(
        f[4].outcome,
        Outcome::Actioned {
            priority: 1,
            action: Action::Expire
        }
    );
    // Not selected by rule 1; decided by rule 2 regardless.
    assert_eq!(
        f[5].outcome,
        Outcome::Actioned {
            priority: 2,
            action: Action::Expire
        }
    );
}

#[test]
fn an_unknown_earlier_selection_makes_a_later_action_one_of_two() {
    // The restoring image is tagged prod-x and old. If it is in standard storage, rule 1
    // selects and expires it; if it is still archived, no standard rule selects it.
    let p = policy(json!({"rules": [
        rule(1, json!({"tagStatus": "tagged", "tagPatternList": ["prod*"], "countType": "sinceImagePushed", "countUnit": "days", "countNumber": 1})),
        rule(2, json!({"tagStatus": "any", "countType": "sinceImagePushed", "countUnit": "days", "countNumber": 2})),
    ]}));
    let repo = [ImageDetail {
        image_status: Some("ACTIVATING".into()),
        ..detail("r", &["prod-x"], 10.0)
    }];
    let f = fates(&p, &repo);
    match &f[0].outcome {
        Outcome::Unknown {
            priorities,
            reasons,
        } => {
            assert_eq!(priorities, &[1, 2]);
            assert!(reasons[0].contains("storage class"));
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn missing_push_time() {
    let p = policy(
        json!({"rules": [rule(1, json!({"tagStatus": "any", "countType": "imageCountMoreThan", "countNumber": 3}))]}),
    );
    let mut no_time = detail("x", &["a"], 0.0);
    no_time.image_pushed_at = None;
    // Three images in all: nothing can have three newer ones.
    let repo = [
        no_time.clone(),
        detail("y", &["b"], 1.0),
        detail("z", &["c"], 2.0),
    ];
    assert!(fates(&p, &repo).iter().all(|f| f.outcome == Outcome::Kept));
    // Five: the one without a time could be anywhere.
    let repo = [
        no_time,
        detail("a", &[], 1.0),
        detail("b", &[], 2.0),
        detail("c", &[], 3.0),
        detail("d", &[], 4.0),
    ];
    let f = fates(&p, &repo);
    assert!(matches!(&f[0].outcome, Outcome::Unknown { .. }));
    assert_eq!(f[1].outcome, Outcome::Kept);
    assert!(matches!(&f[3].outcome, Outcome::Unknown { .. }));
    // d has three certainly newer images (a, b, c), whatever x is.
    assert_eq!(
        f[4].outcome,
        Outcome::Actioned {
            priority: 1,
            action: Action::Expire
        }
    );
    let p = policy(
        json!({"rules": [rule(1, json!({"tagStatus": "any", "countType": "sinceImagePushed", "countUnit": "days", "countNumber": 3}))]}),
    );
    let f = fates(&p, &repo);
    assert!(
        matches!(&f[0].outcome, Outcome::Unknown { reasons, .. } if reasons[0].contains("missing"))
    );
    assert_eq!(
        f[4].outcome,
        Outcome::Actioned {
            priority: 1,
            action: Action::Expire
        }
    );
}

#[test]
fn a_restored_image_orders_by_its_restore_time() {
    let p = policy(
        json!({"rules": [rule(1, json!({"tagStatus": "any", "countType": "imageCountMoreThan", "countNumber": 1}))]}),
    );
    let restored = ImageDetail {
        last_activated_at: Some(ago(0.5)),
        ..detail("restored", &["old"], 100.0)
    };
    let repo = [restored, detail("newer-push", &["new"], 1.0)];
    let f = fates(&p, &repo);
    assert_eq!(f[0].outcome, Outcome::Kept);
    assert_eq!(
        f[1].outcome,
        Outcome::Actioned {
            priority: 1,
            action: Action::Expire
        }
    );

    // For sinceImagePushed the two readings disagree here: unknown.
    let p = policy(
        json!({"rules": [rule(1, json!({"tagStatus": "any", "countType": "sinceImagePushed", "countUnit": "days", "countNumber": 30}))]}),
    );
    let restored = ImageDetail {
        last_activated_at: Some(ago(0.5)),
        ..detail("restored", &["old"], 100.0)
    };
    assert!(
        matches!(&fates(&p, &[restored])[0].outcome, Outcome::Unknown { reasons, .. } if reasons[0].contains("restored"))
    );
}

#[test]
fn threats_for_kept_images() {
    let p = policy(json!({"rules": [
        rule(1, json!({"tagStatus": "tagged", "tagPatternList": ["release-*"], "countType": "imageCountMoreThan", "countNumber": 3})),
        rule(2, json!({"tagStatus": "any", "countType": "sinceImagePushed", "countUnit": "days", "countNumber": 30})),
    ]}));
    let repo = [
        detail("r4", &["release-4"], 1.0),
        detail("r3", &["release-3"], 2.0),
        detail("r2", &["release-2"], 3.0),
        detail("r1", &["release-1"], 4.0),
        detail("dev", &["dev"], 25.5),
        detail("dev-new", &["dev"], 1.0),
    ];
    let f = fates(&p, &repo);
    let pushes: Vec<Option<u64>> = f
        .iter()
        .map(|x| match x.threat {
            Some(Threat::Pushes { pushes, .. }) => Some(pushes),
            _ => None,
        })
        .collect();
    // r4 survives two more release pushes and goes with the third.
    assert_eq!(pushes[..4], [Some(3), Some(2), Some(1), None]);
    assert_eq!(
        f[3].outcome,
        Outcome::Actioned {
            priority: 1,
            action: Action::Expire
        }
    );
    assert!(!f[0].threat.as_ref().unwrap().is_soon());
    assert!(f[1].threat.as_ref().unwrap().is_soon());
    // Release images are never aged out by rule 2: rule 1 saw them first.
    match f[4].threat {
        Some(Threat::Days {
            priority: 2,
            days_left,
            ..
        }) => assert!((days_left - 4.5).abs() < 1e-9),
        ref other => panic!("{other:?}"),
    }
    match f[5].threat {
        Some(ref t @ Threat::Days { days_left, .. }) => {
            assert!((days_left - 29.0).abs() < 1e-9);
            assert!(!t.is_soon());
        }
        ref other => panic!("{other:?}"),
    }
}

#[test]
fn storage_class_from_image_status() {
    let mut d = detail("x", &[], 1.0);
    assert_eq!(
        LifecycleImage::from_detail(&d).storage,
        ImageStorage::Standard
    );
    d.image_status = Some("ARCHIVED".into());
    assert_eq!(
        LifecycleImage::from_detail(&d).storage,
        ImageStorage::Archive
    );
    d.image_status = Some("ACTIVATING".into());
    assert_eq!(
        LifecycleImage::from_detail(&d).storage,
        ImageStorage::Unknown
    );
    d.image_status = Some("ACTIVE".into());
    assert_eq!(
        LifecycleImage::from_detail(&d).storage,
        ImageStorage::Standard
    );
}

/// A brute-force reference (docs/ecr.md#evaluation as written, two-valued) agrees with the
/// evaluator on random repositories without unknowns.
#[test]
fn agrees_with_the_reference_algorithm_on_random_repositories() {
    let mut seed = 0x2545_f491_4f6c_dd1du64;
    let mut next = move |n: u64| {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed % n
    };
    let tag_pool = [
        "prod-1",
        "prod-2",
        "beta-1",
        "beta-2",
        "dev",
        "release-7",
        "x",
    ];
    for _ in 0..200 {
        let n = 1 + next(25) as usize;
        let repo: Vec<ImageDetail> = (0..n)
            .map(|i| {
                let tags: Vec<&str> = (0..next(3))
                    .map(|_| tag_pool[next(tag_pool.len() as u64) as usize])
                    .collect();
                // Distinct push times so that the order is total.
                detail(
                    &format!("i{i}"),
                    &tags,
                    i as f64 * 1.37 + next(5) as f64 * 0.001,
                )
            })
            .collect();
        let selection = |k: u64| match k {
            0 => json!({"tagStatus": "tagged", "tagPatternList": ["prod*"]}),
            1 => json!({"tagStatus": "tagged", "tagPrefixList": ["beta"]}),
            2 => json!({"tagStatus": "tagged", "tagPatternList": ["*-*", "prod*"]}),
            _ => json!({"tagStatus": "untagged"}),
        };
        let mut rules = Vec::new();
        for (priority, k) in [(1, next(4)), (2, next(3))] {
            let mut s = selection(k);
            if next(2) == 0 {
                s["countType"] = json!("imageCountMoreThan");
                s["countNumber"] = json!(1 + next(4));
            } else {
                s["countType"] = json!("sinceImagePushed");
                s["countUnit"] = json!("days");
                s["countNumber"] = json!(1 + next(20));
            }
            rules.push(rule(priority, s));
        }
        rules.push(rule(3, json!({"tagStatus": "any", "countType": "imageCountMoreThan", "countNumber": 1 + next(6)})));
        let p = policy(json!({"rules": rules}));

        // Reference: seen/expired sets, exactly as docs/ecr.md#evaluation describes.
        let mut seen = vec![false; n];
        let mut expected: Vec<Option<i64>> = vec![None; n];
        for r in &p.rules {
            let cand: Vec<usize> = (0..n).filter(|&i| r.tags.selects(repo[i].tags())).collect();
            let victims: Vec<usize> = match r.count {
                Count::ImageCountMoreThan(keep) => {
                    let mut sorted = cand.clone();
                    sorted.sort_by_key(|&i| std::cmp::Reverse(repo[i].image_pushed_at));
                    sorted.into_iter().skip(keep as usize).collect()
                }
                Count::SinceImagePushed { days } => cand
                    .iter()
                    .copied()
                    .filter(|&i| {
                        now().micros() - repo[i].image_pushed_at.unwrap().micros()
                            > days as i64 * DAY
                    })
                    .collect(),
                _ => unreachable!(),
            };
            for v in victims {
                if !seen[v] {
                    expected[v] = Some(r.priority);
                }
            }
            for c in cand {
                seen[c] = true;
            }
        }
        let got: Vec<Option<i64>> = fates(&p, &repo)
            .into_iter()
            .map(|f| match f.outcome {
                Outcome::Kept => None,
                Outcome::Actioned { priority, .. } => Some(priority),
                other => panic!("{other:?}"),
            })
            .collect();
        assert_eq!(got, expected);
    }
}
