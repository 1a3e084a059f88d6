//! Is a tag mutable in its repository? (docs/ecr.md#tag-mutability, rules/ECR003-mutable-tag.md)
//!
//! `imageTagMutability`:
//! - `MUTABLE` / `IMMUTABLE`: every tag.
//! - `IMMUTABLE_WITH_EXCLUSION`: tags matching an exclusion filter stay mutable.
//! - `MUTABLE_WITH_EXCLUSION`: tags matching an exclusion filter are immutable.
//!
//! Filters are `{filterType: WILDCARD, filter}`; `filter` matches `^[0-9a-zA-Z._*-]{1,128}$`
//! (API reference, ImageTagMutabilityExclusionFilter). The user guide (image-tag-mutability)
//! says to "enter tag names or use a wildcard (*) to match multiple similar tags", so a filter
//! is a whole-tag glob: without `*` it names one tag.

use crate::base::known::Tri;
use crate::base::wildcard::star_glob;
use crate::state::ecr::Repository;

/// Whether `tag` can be moved to another image in `repo`, and why when unknown.
pub fn tag_is_mutable(repo: &Repository, tag: &str) -> (Tri, Option<String>) {
    let Some(setting) = repo.image_tag_mutability.as_deref() else {
        return (
            Tri::Unknown,
            Some("the repository's imageTagMutability is not in the state".into()),
        );
    };
    let excluded = || exclusion_matches(repo, tag);
    match setting {
        "MUTABLE" => (Tri::True, None),
        "IMMUTABLE" => (Tri::False, None),
        "IMMUTABLE_WITH_EXCLUSION" => excluded(),
        "MUTABLE_WITH_EXCLUSION" => {
            let (matches, why) = excluded();
            (!matches, why)
        }
        other => (
            Tri::Unknown,
            Some(format!(
                "imageTagMutability `{other}` is not known to this tool"
            )),
        ),
    }
}

/// Whether one exclusion filter matches the tag; `None` when the filter is not a WILDCARD
/// filter with a pattern.
pub fn filter_matches(
    filter: &crate::state::ecr::TagMutabilityExclusionFilter,
    tag: &str,
) -> Option<bool> {
    match (filter.filter_type.as_deref(), filter.filter.as_deref()) {
        (Some("WILDCARD"), Some(pattern)) => Some(star_glob(pattern).is_match(tag)),
        _ => None,
    }
}

/// Whether some exclusion filter of the repository matches the tag.
fn exclusion_matches(repo: &Repository, tag: &str) -> (Tri, Option<String>) {
    let Some(filters) = &repo.image_tag_mutability_exclusion_filters else {
        return (
            Tri::Unknown,
            Some("the repository's imageTagMutabilityExclusionFilters are not in the state".into()),
        );
    };
    let mut answer = Tri::False;
    let mut why = None;
    for filter in filters {
        let this = match (filter.filter_type.as_deref(), filter.filter.as_deref()) {
            (Some("WILDCARD"), Some(pattern)) => Tri::from_bool(star_glob(pattern).is_match(tag)),
            (Some(other), Some(_)) => {
                why = Some(format!(
                    "exclusion filter type `{other}` is not known to this tool"
                ));
                Tri::Unknown
            }
            _ => {
                why = Some("an exclusion filter without filterType or filter".to_string());
                Tri::Unknown
            }
        };
        answer = answer.or(this);
    }
    match answer {
        Tri::Unknown => (Tri::Unknown, why),
        known => (known, None),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::state::ecr::TagMutabilityExclusionFilter;

    fn repo(setting: Option<&str>, filters: Option<&[(&str, &str)]>) -> Repository {
        Repository {
            image_tag_mutability: setting.map(str::to_string),
            image_tag_mutability_exclusion_filters: filters.map(|fs| {
                fs.iter()
                    .map(|(t, f)| TagMutabilityExclusionFilter {
                        filter_type: Some(t.to_string()),
                        filter: Some(f.to_string()),
                    })
                    .collect()
            }),
            ..Repository::default()
        }
    }

    #[test]
    fn plain_settings() {
        assert_eq!(
            tag_is_mutable(&repo(Some("MUTABLE"), None), "v1").0,
            Tri::True
        );
        assert_eq!(
            tag_is_mutable(&repo(Some("IMMUTABLE"), None), "v1").0,
            Tri::False
        );
        assert_eq!(tag_is_mutable(&repo(None, None), "v1").0, Tri::Unknown);
        assert_eq!(
            tag_is_mutable(&repo(Some("SOMETIMES"), None), "v1").0,
            Tri::Unknown
        );
    }

    #[test]
    fn exclusions_flip_matching_tags() {
        // The CDK example: immutable except dev-* and test-*.
        let r = repo(
            Some("IMMUTABLE_WITH_EXCLUSION"),
            Some(&[("WILDCARD", "dev-*"), ("WILDCARD", "test-*")]),
        );
        assert_eq!(tag_is_mutable(&r, "dev-42").0, Tri::True);
        assert_eq!(tag_is_mutable(&r, "test-").0, Tri::True);
        assert_eq!(tag_is_mutable(&r, "v1.2.3").0, Tri::False);
        assert_eq!(tag_is_mutable(&r, "my-dev-1").0, Tri::False);

        let r = repo(
            Some("MUTABLE_WITH_EXCLUSION"),
            Some(&[("WILDCARD", "release-*"), ("WILDCARD", "stable")]),
        );
        assert_eq!(tag_is_mutable(&r, "release-1").0, Tri::False);
        assert_eq!(tag_is_mutable(&r, "stable").0, Tri::False);
        assert_eq!(
            tag_is_mutable(&r, "stable-2").0,
            Tri::True,
            "a filter without * names one tag"
        );
        assert_eq!(tag_is_mutable(&r, "latest").0, Tri::True);
    }

    #[test]
    fn unknown_filters_are_unknown_unless_another_filter_decides() {
        let r = repo(
            Some("IMMUTABLE_WITH_EXCLUSION"),
            Some(&[("REGEX", "dev-.*"), ("WILDCARD", "latest")]),
        );
        let (answer, why) = tag_is_mutable(&r, "dev-1");
        assert_eq!(answer, Tri::Unknown);
        assert!(why.unwrap().contains("REGEX"));
        assert_eq!(tag_is_mutable(&r, "latest").0, Tri::True);
        // Exclusion setting without the filter list in the state.
        assert_eq!(
            tag_is_mutable(&repo(Some("MUTABLE_WITH_EXCLUSION"), None), "v1").0,
            Tri::Unknown
        );
        // An empty list is known: nothing is excluded.
        assert_eq!(
            tag_is_mutable(&repo(Some("MUTABLE_WITH_EXCLUSION"), Some(&[])), "v1").0,
            Tri::True
        );
    }
}
