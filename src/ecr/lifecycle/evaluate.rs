//! What a lifecycle policy does to each image, evaluated now: expired, threatened soon, kept,
//! or unknown with the reason.

use std::collections::HashMap;

use crate::base::known::Tri;
use crate::base::timestamp::{MICROS_PER_DAY, Timestamp};
use crate::state::ecr::ImageDetail;

use super::*;

// ---------------------------------------------------------------------------------------------
// Evaluation inputs
// ---------------------------------------------------------------------------------------------

/// The storage class an image is in now.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ImageStorage {
    Standard,
    Archive,
    /// Being restored (`ACTIVATING`) or an unknown status.
    Unknown,
}

/// One image of the repository, as the evaluator needs it.
#[derive(Clone, Debug, PartialEq)]
pub struct LifecycleImage<'a> {
    pub digest: &'a str,
    pub tags: &'a [String],
    pub pushed_at: Option<Timestamp>,
    pub last_recorded_pull_time: Option<Timestamp>,
    /// When the image was last restored from archive.
    pub last_activated_at: Option<Timestamp>,
    /// When the image was last moved to archive.
    pub last_archived_at: Option<Timestamp>,
    pub storage: ImageStorage,
}

impl<'a> LifecycleImage<'a> {
    /// From a `describe-images` item.
    ///
    /// `imageStatus`: ACTIVE → standard, ARCHIVED → archive, ACTIVATING or any other value →
    /// unknown. A *missing* `imageStatus` is read as ACTIVE: the field arrived with ECR archive,
    /// and producers that predate it (older CLIs, moto) omit it for every image. This is the
    /// one assumption of the evaluator; see the report.
    pub fn from_detail(detail: &'a ImageDetail) -> LifecycleImage<'a> {
        let storage = match detail.image_status.as_deref() {
            None | Some("ACTIVE") => ImageStorage::Standard,
            Some("ARCHIVED") => ImageStorage::Archive,
            Some(_) => ImageStorage::Unknown,
        };
        LifecycleImage {
            digest: detail.image_digest.as_deref().unwrap_or(""),
            tags: detail.tags(),
            pushed_at: detail.image_pushed_at,
            last_recorded_pull_time: detail.last_recorded_pull_time,
            last_activated_at: detail.last_activated_at,
            last_archived_at: detail.last_archived_at,
            storage,
        }
    }

    /// The time expiration is ordered by: "If an image was archived and then restored at any
    /// point in the past, the image's last_activated_at is used instead of pushed_at_time."
    fn order_key(&self) -> Option<Timestamp> {
        self.last_activated_at.or(self.pushed_at)
    }

    /// `sinceImagePulled`: last pull; if never pulled, push time; if restored and not pulled
    /// since, the restore time. That is the latest of pull and restore, else the push.
    fn pull_reference(&self) -> Option<Timestamp> {
        match (self.last_recorded_pull_time, self.last_activated_at) {
            (Some(p), Some(a)) => Some(p.max(a)),
            (Some(t), None) | (None, Some(t)) => Some(t),
            (None, None) => self.pushed_at,
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Evaluation outputs
// ---------------------------------------------------------------------------------------------

/// What the policy does to one image, evaluated now.
#[derive(Clone, Debug, PartialEq)]
pub struct ImageFate {
    pub outcome: Outcome,
    /// For a kept image: the one rule that can act on it and how far it is from acting.
    pub threat: Option<Threat>,
}

#[derive(Clone, Debug, PartialEq)]
pub enum Outcome {
    Kept,
    /// The rule with this priority acts on the image.
    Actioned {
        priority: i64,
        action: Action,
    },
    /// One of these rules acts on the image; which one depends on an unknown input.
    ActionedByOneOf {
        priorities: Vec<i64>,
        actions: Vec<Action>,
        reasons: Vec<&'static str>,
    },
    /// The image may be kept, or acted on by one of these rules.
    Unknown {
        priorities: Vec<i64>,
        reasons: Vec<&'static str>,
    },
}

impl Outcome {
    /// True / false / unknown: the image is acted on with this action.
    pub fn is_actioned_with(&self, action: Action) -> Tri {
        match self {
            Outcome::Kept => Tri::False,
            Outcome::Actioned { action: a, .. } => Tri::from_bool(*a == action),
            Outcome::ActionedByOneOf { actions, .. } => {
                if actions.iter().all(|a| *a == action) {
                    Tri::True
                } else if actions.iter().all(|a| *a != action) {
                    Tri::False
                } else {
                    Tri::Unknown
                }
            }
            Outcome::Unknown { .. } => Tri::Unknown,
        }
    }
}

/// How close the one rule that can act on a kept image is to acting on it.
#[derive(Clone, Debug, PartialEq)]
pub enum Threat {
    /// A time rule acts once `days_left` more days have passed (fractional; > 0).
    Days {
        priority: i64,
        action: Action,
        days_left: f64,
    },
    /// A count rule acts once `pushes` more images matching it are pushed (≥ 1): the image
    /// survives `pushes - 1` of them.
    Pushes {
        priority: i64,
        action: Action,
        pushes: u64,
    },
}

/// ECR010 (docs/ecr.md#soon): a time rule within 7 days, or a count rule within 2 pushes.
pub const SOON_DAYS: f64 = 7.0;
pub const SOON_PUSHES: u64 = 2;

impl Threat {
    pub fn is_soon(&self) -> bool {
        match self {
            Threat::Days { days_left, .. } => *days_left > 0.0 && *days_left <= SOON_DAYS,
            Threat::Pushes { pushes, .. } => *pushes <= SOON_PUSHES,
        }
    }
}

// Why an outcome is unknown. Kept as bits per image while evaluating.
const WHY_STORAGE: u8 = 1;
const WHY_TIME: u8 = 2;
const WHY_ORDER: u8 = 4;
const WHY_RESTORE: u8 = 8;

fn reasons(bits: u8) -> Vec<&'static str> {
    let mut out = Vec::new();
    if bits & WHY_STORAGE != 0 {
        out.push(
            "the image's storage class is unknown (imageStatus is ACTIVATING or not recognised)",
        );
    }
    if bits & WHY_TIME != 0 {
        out.push("a time the rule needs is missing (imagePushedAt, or lastArchivedAt of an archived image)");
    }
    if bits & WHY_ORDER != 0 {
        out.push("the image's place in push order is ambiguous (equal push times, or images whose push time or storage class is unknown)");
    }
    if bits & WHY_RESTORE != 0 {
        out.push("the image was restored from archive; whether sinceImagePushed counts from the push or the restore is not documented");
    }
    out
}

// ---------------------------------------------------------------------------------------------
// Evaluation
// ---------------------------------------------------------------------------------------------

#[derive(Clone, Copy, PartialEq)]
enum Status {
    /// No rule acts on it, so far.
    Open,
    /// This rule (index into policy.rules) acts on it.
    Done(usize),
    /// Some rules might act on it (listed in `possible`).
    Maybe,
    /// One of the listed rules acts on it.
    DoneOneOf,
}

/// Evaluates `policy` over all the images of one repository, as of `now`.
///
/// The evaluation of docs/ecr.md#evaluation: rules in priority order; each rule's
/// candidates are the images its tag selection and storage class select; an image is acted on
/// by at most one rule, and never by a rule after one whose candidates included it (those
/// still count it). Returns one `ImageFate` per input image, in input order.
pub fn evaluate(policy: &Policy, images: &[LifecycleImage<'_>], now: Timestamp) -> Vec<ImageFate> {
    let n = images.len();
    let mut seen = vec![Tri::False; n];
    let mut status = vec![Status::Open; n];
    let mut why = vec![0u8; n];
    let mut possible: HashMap<usize, Vec<usize>> = HashMap::new();
    // The first rule that certainly selects the image while no earlier rule can, and (for a
    // count rule) the exact number of its candidates pushed after the image.
    let mut first_rule: Vec<Option<usize>> = vec![None; n];
    let mut newer_exact: Vec<Option<u64>> = vec![None; n];

    // Push order, newest first. Images without an order key are placed nowhere.
    let mut order: Vec<usize> = (0..n)
        .filter(|&i| images[i].order_key().is_some())
        .collect();
    order.sort_by_key(|&i| std::cmp::Reverse(images[i].order_key()));
    let unordered: Vec<usize> = (0..n)
        .filter(|&i| images[i].order_key().is_none())
        .collect();

    let mut cand = vec![Tri::False; n];
    let mut victim = vec![Tri::False; n];
    for (r, rule) in policy.rules.iter().enumerate() {
        let is_count_rule = matches!(rule.count, Count::ImageCountMoreThan(_));
        for i in 0..n {
            // A time rule only needs candidates that no earlier rule has claimed; a count rule
            // counts every candidate.
            cand[i] = if !is_count_rule && seen[i] == Tri::True {
                Tri::False
            } else {
                candidate(rule, &images[i])
            };
        }
        match rule.count {
            Count::ImageCountMoreThan(keep) => count_victims(
                &cand,
                &order,
                &unordered,
                images,
                keep,
                &mut victim,
                &mut why,
                &seen,
                &mut newer_exact,
                &first_rule,
            ),
            _ => {
                for i in 0..n {
                    victim[i] = if cand[i] == Tri::False {
                        Tri::False
                    } else {
                        let (old, bits) = time_victim(rule.count, &images[i], now);
                        if old == Tri::Unknown {
                            why[i] |= bits;
                        }
                        cand[i].and(old)
                    };
                }
            }
        }
        for i in 0..n {
            if cand[i] == Tri::True && seen[i] == Tri::False && first_rule[i].is_none() {
                first_rule[i] = Some(r);
            }
            let acts = victim[i].and(!seen[i]);
            match (acts, status[i]) {
                (Tri::False, _) => {}
                (Tri::Unknown, Status::Open) => {
                    status[i] = Status::Maybe;
                    possible.entry(i).or_default().push(r);
                    why[i] |= storage_bits(cand[i], seen[i]);
                }
                (Tri::Unknown, Status::Maybe) => {
                    possible.entry(i).or_default().push(r);
                    why[i] |= storage_bits(cand[i], seen[i]);
                }
                (Tri::True, Status::Open) => status[i] = Status::Done(r),
                (Tri::True, Status::Maybe) => {
                    status[i] = Status::DoneOneOf;
                    possible.entry(i).or_default().push(r);
                }
                // Once an image is certainly acted on, it is certainly seen: later rules
                // cannot act on it, so these combinations do not occur.
                (_, Status::Done(_) | Status::DoneOneOf) => {}
            }
            seen[i] = seen[i].or(cand[i]);
        }
    }

    (0..n)
        .map(|i| {
            let listed = |i: usize| possible.get(&i).cloned().unwrap_or_default();
            let outcome = match status[i] {
                Status::Open => Outcome::Kept,
                Status::Done(r) => Outcome::Actioned {
                    priority: policy.rules[r].priority,
                    action: policy.rules[r].action,
                },
                Status::DoneOneOf => {
                    let rs = listed(i);
                    Outcome::ActionedByOneOf {
                        priorities: rs.iter().map(|&r| policy.rules[r].priority).collect(),
                        actions: rs.iter().map(|&r| policy.rules[r].action).collect(),
                        reasons: reasons(why[i]),
                    }
                }
                Status::Maybe => Outcome::Unknown {
                    priorities: listed(i)
                        .iter()
                        .map(|&r| policy.rules[r].priority)
                        .collect(),
                    reasons: reasons(why[i]),
                },
            };
            let threat = match (&outcome, first_rule[i]) {
                (Outcome::Kept, Some(r)) => {
                    threat(&policy.rules[r], &images[i], now, newer_exact[i])
                }
                _ => None,
            };
            ImageFate { outcome, threat }
        })
        .collect()
}

/// Whether the rule's selection takes the image: tags (always known) and storage class.
fn candidate(rule: &Rule, image: &LifecycleImage<'_>) -> Tri {
    let storage = match (image.storage, rule.storage_class) {
        (ImageStorage::Unknown, _) => Tri::Unknown,
        (ImageStorage::Standard, StorageClass::Standard)
        | (ImageStorage::Archive, StorageClass::Archive) => Tri::True,
        _ => Tri::False,
    };
    if storage == Tri::False || !rule.tags.selects(image.tags) {
        return Tri::False;
    }
    storage
}

/// When the image's own candidacy, or an earlier rule's, is what is unknown.
fn storage_bits(cand: Tri, seen: Tri) -> u8 {
    if cand == Tri::Unknown || seen == Tri::Unknown {
        WHY_STORAGE
    } else {
        0
    }
}

/// Strictly older than `days` days at `now` ("older than the specified number of days").
fn older_than(reference: Timestamp, days: u64, now: Timestamp) -> bool {
    let limit = (days as i128) * (MICROS_PER_DAY as i128);
    (now.micros() as i128 - reference.micros() as i128) > limit
}

/// Whether a time rule's age condition holds, and why not known if it is not.
fn time_victim(count: Count, image: &LifecycleImage<'_>, now: Timestamp) -> (Tri, u8) {
    match count {
        Count::SinceImagePushed { days } => match (image.pushed_at, image.last_activated_at) {
            (None, _) => (Tri::Unknown, WHY_TIME),
            (Some(pushed), None) => (Tri::from_bool(older_than(pushed, days, now)), 0),
            (Some(pushed), Some(restored)) => {
                // The restore time replaces the push time for *ordering* (documented); whether
                // it does for the age too is not. Decide only when both readings agree.
                let by_push = older_than(pushed, days, now);
                let by_restore = older_than(restored, days, now);
                if by_push == by_restore {
                    (Tri::from_bool(by_push), 0)
                } else {
                    (Tri::Unknown, WHY_RESTORE)
                }
            }
        },
        Count::SinceImagePulled { days } => match image.pull_reference() {
            Some(t) => (Tri::from_bool(older_than(t, days, now)), 0),
            None => (Tri::Unknown, WHY_TIME),
        },
        Count::SinceImageTransitioned { days } => match image.last_archived_at {
            Some(t) => (Tri::from_bool(older_than(t, days, now)), 0),
            None => (Tri::Unknown, WHY_TIME),
        },
        Count::ImageCountMoreThan(_) => (Tri::False, 0),
    }
}

/// `imageCountMoreThan keep`: a candidate is a victim when at least `keep` candidates are
/// newer. With unknowns the number of newer candidates is a range `definite ..= definite +
/// maybe`; the answer is unknown when `keep` falls inside it.
#[allow(clippy::too_many_arguments)]
fn count_victims(
    cand: &[Tri],
    order: &[usize],
    unordered: &[usize],
    images: &[LifecycleImage<'_>],
    keep: u64,
    victim: &mut [Tri],
    why: &mut [u8],
    seen: &[Tri],
    newer_exact: &mut [Option<u64>],
    first_rule: &[Option<usize>],
) {
    let threshold = |definite: u64, maybe: u64| -> Tri {
        if definite >= keep {
            Tri::True
        } else if definite + maybe < keep {
            Tri::False
        } else {
            Tri::Unknown
        }
    };
    for v in victim.iter_mut() {
        *v = Tri::False;
    }
    let floating = unordered.iter().filter(|&&i| cand[i] != Tri::False).count() as u64;
    let mut definite = 0u64;
    let mut maybe = 0u64;
    let mut g = 0;
    while g < order.len() {
        // A group of images with the same order key.
        let key = images[order[g]].order_key();
        let mut end = g;
        while end < order.len() && images[order[end]].order_key() == key {
            end += 1;
        }
        let group = &order[g..end];
        let group_candidates = group.iter().filter(|&&i| cand[i] != Tri::False).count() as u64;
        for &i in group {
            if cand[i] == Tri::False {
                continue;
            }
            let others = group_candidates - 1 + floating;
            let m = maybe + others;
            let over = threshold(definite, m);
            if over == Tri::Unknown {
                why[i] |= WHY_ORDER;
            }
            victim[i] = cand[i].and(over);
            // For the threat of a kept image: exact only when nothing is ambiguous.
            let first_here =
                first_rule[i].is_none() && seen[i] == Tri::False && cand[i] == Tri::True;
            if first_here && m == 0 {
                newer_exact[i] = Some(definite);
            }
        }
        for &i in group {
            match cand[i] {
                Tri::True => definite += 1,
                Tri::Unknown => maybe += 1,
                Tri::False => {}
            }
        }
        g = end;
    }
    // An image without a push time could be anywhere in the order.
    let all_candidates = floating + definite + maybe;
    for &i in unordered {
        if cand[i] == Tri::False {
            continue;
        }
        let over = threshold(0, all_candidates - 1);
        if over == Tri::Unknown {
            why[i] |= WHY_TIME;
        }
        victim[i] = cand[i].and(over);
    }
}

/// How far the image's one acting rule is from acting; `None` when that cannot be told
/// exactly.
fn threat(
    rule: &Rule,
    image: &LifecycleImage<'_>,
    now: Timestamp,
    newer: Option<u64>,
) -> Option<Threat> {
    let days_left = |reference: Option<Timestamp>, days: u64| -> Option<f64> {
        let age_days = (now.micros() - reference?.micros()) as f64 / MICROS_PER_DAY as f64;
        Some(days as f64 - age_days)
    };
    let (priority, action) = (rule.priority, rule.action);
    match rule.count {
        Count::ImageCountMoreThan(keep) => {
            let newer = newer?;
            Some(Threat::Pushes {
                priority,
                action,
                pushes: keep.checked_sub(newer)?,
            })
        }
        Count::SinceImagePushed { days } => {
            // Push vs restore reading (see time_victim): only when they give the same answer.
            if image.last_activated_at.is_some() && image.last_activated_at != image.pushed_at {
                return None;
            }
            days_left(image.pushed_at, days).map(|days_left| Threat::Days {
                priority,
                action,
                days_left,
            })
        }
        Count::SinceImagePulled { days } => {
            days_left(image.pull_reference(), days).map(|days_left| Threat::Days {
                priority,
                action,
                days_left,
            })
        }
        Count::SinceImageTransitioned { days } => {
            days_left(image.last_archived_at, days).map(|days_left| Threat::Days {
                priority,
                action,
                days_left,
            })
        }
    }
}
