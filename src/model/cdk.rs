//! CDK container assets: images that `cdk deploy` builds and pushes itself, after a check of
//! the synthesized template runs. They are not missing from ECR before the deploy, and their tag
//! is a content hash (so never moved): the registry checks do not apply to them. The cloud
//! assembly lists them in `<stack>.assets.json`, next to `<stack>.template.json`
//! (https://docs.aws.amazon.com/cdk/v2/guide/assets.html).

use crate::base::wildcard::{Glob, Tok, push_lit, push_wild};
use std::path::{Path, PathBuf};

use super::image_ref::ImageRef;

/// The container images a cloud assembly's assets manifest says the deploy publishes.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct CdkAssets {
    /// The manifest's file name, for messages.
    pub manifest: String,
    /// (repository name, image tag); the repository name may hold `${AWS::AccountId}` /
    /// `${AWS::Region}`, which stand for anything.
    pub images: Vec<(String, String)>,
}

/// Manifests larger than this are not read (an assets manifest is a few kilobytes).
const MAX_MANIFEST_BYTES: u64 = 8 * 1024 * 1024;

/// The assets manifest next to a template: `<stack>.assets.json` for `<stack>.template.json`,
/// else the only `*.assets.json` of the folder. None when there is none or it cannot be read.
pub fn read_assets(template: &Path) -> Option<CdkAssets> {
    let dir = template
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let name = template.file_name()?.to_str()?;
    let path = match name.strip_suffix(".template.json") {
        Some(stack) => dir.join(format!("{stack}.assets.json")),
        None => {
            let mut found: Vec<PathBuf> = std::fs::read_dir(dir)
                .ok()?
                .flatten()
                .map(|e| e.path())
                .filter(|p| {
                    p.file_name()
                        .and_then(|n| n.to_str())
                        .is_some_and(|n| n.ends_with(".assets.json"))
                })
                .collect();
            if found.len() != 1 {
                return None;
            }
            found.pop()?
        }
    };
    let meta = std::fs::metadata(&path).ok()?;
    if !meta.is_file() || meta.len() > MAX_MANIFEST_BYTES {
        return None;
    }
    let text = std::fs::read_to_string(&path).ok()?;
    let mut assets = parse(&text)?;
    assets.manifest = path.file_name()?.to_string_lossy().into_owned();
    Some(assets)
}

/// Reads `dockerImages.*.destinations.*.{repositoryName, imageTag}` of a manifest.
pub fn parse(text: &str) -> Option<CdkAssets> {
    let root: serde_json::Value = serde_json::from_str(text).ok()?;
    let mut images = Vec::new();
    for image in root.get("dockerImages")?.as_object()?.values() {
        let Some(destinations) = image.get("destinations").and_then(|d| d.as_object()) else {
            continue;
        };
        for d in destinations.values() {
            if let (Some(repo), Some(tag)) = (
                d.get("repositoryName").and_then(|v| v.as_str()),
                d.get("imageTag").and_then(|v| v.as_str()),
            ) {
                images.push((repo.to_string(), tag.to_string()));
            }
        }
    }
    Some(CdkAssets {
        manifest: String::new(),
        images,
    })
}

/// Why `image` is published by the deploy itself, or None.
pub fn published(image: &ImageRef, assets: Option<&CdkAssets>) -> Option<String> {
    let tag = image.tag.as_deref()?;
    if image.digest.is_some() {
        return None;
    }
    if let Some(assets) = assets {
        let listed = assets
            .images
            .iter()
            .any(|(repo, t)| t == tag && matches_pattern(repo, &image.path));
        // The manifest decides: an asset image it does not list is a stale reference.
        return listed.then(|| {
            format!(
                "a CDK container asset listed in {}: `cdk deploy` builds and pushes it",
                assets.manifest
            )
        });
    }
    let is_hash = tag.len() == 64 && tag.bytes().all(|b| b.is_ascii_hexdigit());
    let cdk_repo = image.path.starts_with("cdk-") && image.path.contains("-container-assets-");
    (is_hash && cdk_repo).then(|| {
        format!(
            "its repository `{}` and 64-hex tag are those of a CDK container asset, which `cdk deploy` builds and pushes (no assets manifest was read to confirm it)",
            image.path
        )
    })
}

/// `cdk-hnb659fds-container-assets-${AWS::AccountId}-${AWS::Region}` against a resolved name:
/// each `${…}` stands for any text.
fn matches_pattern(pattern: &str, name: &str) -> bool {
    let mut toks = Vec::new();
    let mut rest = pattern;
    while let Some(start) = rest.find("${") {
        let Some(len) = rest[start..].find('}') else {
            break;
        };
        push_lit(&mut toks, &rest[..start]);
        push_wild(&mut toks, Tok::Star);
        rest = &rest[start + len + 1..];
    }
    push_lit(&mut toks, rest);
    Glob::from_toks(toks).is_match(name)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::image_ref;

    const HASH: &str = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

    #[test]
    fn manifest_images_are_published() {
        let manifest = format!(
            r#"{{"version": "36.0.0", "files": {{}}, "dockerImages": {{"{HASH}": {{"source": {{"directory": "asset.{HASH}"}},
            "destinations": {{"current_account-current_region": {{"repositoryName": "cdk-hnb659fds-container-assets-${{AWS::AccountId}}-${{AWS::Region}}", "imageTag": "{HASH}"}}}}}}}}}}"#
        );
        let mut assets = parse(&manifest).unwrap();
        assets.manifest = "App.assets.json".into();
        let image = image_ref::parse(&format!(
            "111122223333.dkr.ecr.us-east-1.amazonaws.com/cdk-hnb659fds-container-assets-111122223333-us-east-1:{HASH}"
        ))
        .unwrap();
        assert!(
            published(&image, Some(&assets))
                .unwrap()
                .contains("App.assets.json")
        );
        let other =
            image_ref::parse("111122223333.dkr.ecr.us-east-1.amazonaws.com/web:1.2.3").unwrap();
        assert!(published(&other, Some(&assets)).is_none());
    }

    #[test]
    fn without_a_manifest_the_name_and_hash_decide() {
        let image = image_ref::parse(&format!(
            "111122223333.dkr.ecr.us-east-1.amazonaws.com/cdk-abc-container-assets-111122223333-us-east-1:{HASH}"
        ))
        .unwrap();
        assert!(
            published(&image, None)
                .unwrap()
                .contains("no assets manifest")
        );
        let short = image_ref::parse(
            "111122223333.dkr.ecr.us-east-1.amazonaws.com/cdk-abc-container-assets-111122223333-us-east-1:v1",
        )
        .unwrap();
        assert!(published(&short, None).is_none());
    }

    #[test]
    fn patterns() {
        assert!(matches_pattern("a-${X}-b-${Y}", "a-1-b-2"));
        assert!(!matches_pattern("a-${X}-b", "a-1-c"));
        assert!(matches_pattern("plain", "plain"));
    }
}
