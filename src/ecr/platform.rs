//! Does an image serve the task's platform? (docs/ecr.md#platforms, rules/ECR007-platform-mismatch.md)
//!
//! A multi-platform image is a Docker manifest list or an OCI image index: its entries name
//! their platform, so the answer is known. A single-platform image (Docker schema 2 or OCI
//! image manifest) keeps its platform in the config blob, which the state does not hold, so
//! the answer is unknown. Attestation entries (BuildKit provenance/SBOM) are not images and
//! are ignored.
//!
//! Only os and architecture are compared (ECR007: "no entry for the task's platform"). For
//! Windows, the host build (`os.version`) also has to fit; it is returned with the matched
//! entries but not judged here.

use std::fmt;

use serde_json::Value;

use crate::base::known::Tri;
use crate::state::ecr::Image;

pub const DOCKER_MANIFEST_LIST: &str = "application/vnd.docker.distribution.manifest.list.v2+json";
pub const OCI_INDEX: &str = "application/vnd.oci.image.index.v1+json";
pub const DOCKER_MANIFEST_V2: &str = "application/vnd.docker.distribution.manifest.v2+json";
pub const OCI_MANIFEST: &str = "application/vnd.oci.image.manifest.v1+json";
pub const DOCKER_MANIFEST_V1: &str = "application/vnd.docker.distribution.manifest.v1+json";
pub const DOCKER_MANIFEST_V1_SIGNED: &str =
    "application/vnd.docker.distribution.manifest.v1+prettyjws";

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Os {
    Linux,
    Windows,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Arch {
    Amd64,
    Arm64,
}

/// The platform a task runs on. `None` = not known (EC2 without `runtimePlatform`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TaskPlatform {
    pub os: Option<Os>,
    pub arch: Option<Arch>,
    /// The `operatingSystemFamily` value for Windows (`WINDOWS_SERVER_2022_CORE`, …).
    pub windows_family: Option<String>,
}

impl TaskPlatform {
    /// From `runtimePlatform.cpuArchitecture` / `operatingSystemFamily` as written.
    ///
    /// On Fargate a missing field takes Fargate's default (LINUX, X86_64). Elsewhere (`on_fargate`
    /// false or unknown) a missing field leaves that part unknown: the instance decides. A value
    /// that is not an ECS enum value is an error (the task definition check reports it).
    pub fn from_runtime_platform(
        cpu_architecture: Option<&str>,
        operating_system_family: Option<&str>,
        on_fargate: Tri,
    ) -> Result<TaskPlatform, String> {
        let fargate = on_fargate == Tri::True;
        let arch = match cpu_architecture {
            Some("X86_64") => Some(Arch::Amd64),
            Some("ARM64") => Some(Arch::Arm64),
            Some(other) => {
                return Err(format!(
                    "`{other}` is not a cpuArchitecture (X86_64, ARM64)"
                ));
            }
            None if fargate => Some(Arch::Amd64),
            None => None,
        };
        let (os, windows_family) = match operating_system_family {
            Some("LINUX") => (Some(Os::Linux), None),
            Some(family) if family.starts_with("WINDOWS_SERVER_") => {
                (Some(Os::Windows), Some(family.to_string()))
            }
            Some(other) => {
                return Err(format!(
                    "`{other}` is not an operatingSystemFamily (LINUX, WINDOWS_SERVER_…)"
                ));
            }
            None if fargate => (Some(Os::Linux), None),
            None => (None, None),
        };
        Ok(TaskPlatform {
            os,
            arch,
            windows_family,
        })
    }

    pub fn linux_amd64() -> TaskPlatform {
        TaskPlatform {
            os: Some(Os::Linux),
            arch: Some(Arch::Amd64),
            windows_family: None,
        }
    }
}

impl fmt::Display for TaskPlatform {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let os = match self.os {
            Some(Os::Linux) => "linux",
            Some(Os::Windows) => "windows",
            None => "?",
        };
        let arch = match self.arch {
            Some(Arch::Amd64) => "amd64",
            Some(Arch::Arm64) => "arm64",
            None => "?",
        };
        write!(f, "{os}/{arch}")
    }
}

/// A platform as a manifest names it (OCI `platform` object).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Platform {
    pub os: String,
    pub architecture: String,
    pub variant: Option<String>,
    pub os_version: Option<String>,
}

impl fmt::Display for Platform {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.os, self.architecture)?;
        if let Some(v) = &self.variant {
            write!(f, "/{v}")?;
        }
        if let Some(v) = &self.os_version {
            write!(f, " ({v})")?;
        }
        Ok(())
    }
}

#[derive(Clone, Debug, PartialEq)]
pub enum PlatformAnswer {
    /// These entries are for the task's platform.
    Serves {
        matched: Vec<Platform>,
    },
    /// No entry is; these are the platforms the image has (attestations left out).
    DoesNotServe {
        available: Vec<Platform>,
    },
    Unknown(String),
}

/// The answer for a `batch-get-image` item.
pub fn image_serves(image: &Image, want: &TaskPlatform) -> PlatformAnswer {
    match &image.image_manifest {
        Some(text) => manifest_serves(image.image_manifest_media_type.as_deref(), text, want),
        None => PlatformAnswer::Unknown("the state has no manifest for this image".into()),
    }
}

/// The answer for a manifest text and its media type (`imageManifestMediaType`; when absent,
/// the manifest's own `mediaType`, else its shape).
pub fn manifest_serves(
    media_type: Option<&str>,
    manifest: &str,
    want: &TaskPlatform,
) -> PlatformAnswer {
    let doc: Value = match serde_json::from_str(manifest) {
        Ok(v) => v,
        Err(e) => return PlatformAnswer::Unknown(format!("the manifest is not valid JSON: {e}")),
    };
    let kind = media_type
        .map(str::to_string)
        .or_else(|| {
            doc.get("mediaType")
                .and_then(Value::as_str)
                .map(str::to_string)
        })
        .or_else(|| shape_media_type(&doc).map(str::to_string));
    match kind.as_deref() {
        Some(DOCKER_MANIFEST_LIST | OCI_INDEX) => index_serves(&doc, want),
        Some(DOCKER_MANIFEST_V2 | OCI_MANIFEST) => PlatformAnswer::Unknown(
            "a single-platform image: its platform is in the config blob, which the state does not hold".into(),
        ),
        Some(DOCKER_MANIFEST_V1 | DOCKER_MANIFEST_V1_SIGNED) => schema1_serves(&doc, want),
        Some(other) => PlatformAnswer::Unknown(format!("`{other}` is not an image manifest media type")),
        None => PlatformAnswer::Unknown("the manifest's media type cannot be told".into()),
    }
}

/// OCI allows `mediaType` to be left out; tell the kind from the fields then.
fn shape_media_type(doc: &Value) -> Option<&'static str> {
    if doc.get("manifests").is_some() {
        Some(OCI_INDEX)
    } else if doc.get("config").is_some() && doc.get("layers").is_some() {
        Some(OCI_MANIFEST)
    } else if doc.get("fsLayers").is_some() {
        Some(DOCKER_MANIFEST_V1)
    } else {
        None
    }
}

fn index_serves(doc: &Value, want: &TaskPlatform) -> PlatformAnswer {
    let Some(entries) = doc.get("manifests").and_then(Value::as_array) else {
        return PlatformAnswer::Unknown("the index has no `manifests` list".into());
    };
    let mut matched = Vec::new();
    let mut available = Vec::new();
    let mut doubts: Vec<String> = Vec::new();
    for entry in entries {
        if is_attestation(entry) {
            continue;
        }
        let Some(platform) = entry.get("platform").and_then(platform_of) else {
            doubts.push("an entry without a platform".into());
            continue;
        };
        let nested = entry
            .get("mediaType")
            .and_then(Value::as_str)
            .is_some_and(|m| m == OCI_INDEX || m == DOCKER_MANIFEST_LIST);
        match platform_matches(&platform, want) {
            (Tri::True, _) if nested => doubts.push(format!("{platform} is a nested index")),
            (Tri::True, _) => matched.push(platform.clone()),
            (Tri::Unknown, why) => doubts.push(why),
            (Tri::False, _) => {}
        }
        available.push(platform);
    }
    if !matched.is_empty() {
        PlatformAnswer::Serves { matched }
    } else if !doubts.is_empty() {
        PlatformAnswer::Unknown(format!(
            "no entry is certainly for {want}: {}",
            doubts.join("; ")
        ))
    } else {
        PlatformAnswer::DoesNotServe { available }
    }
}

/// BuildKit stores provenance and SBOM attestations as index entries with platform
/// `unknown/unknown` and the annotation `vnd.docker.reference.type: attestation-manifest`.
fn is_attestation(entry: &Value) -> bool {
    let annotated = entry
        .get("annotations")
        .and_then(|a| a.get("vnd.docker.reference.type"))
        .and_then(Value::as_str)
        == Some("attestation-manifest");
    let unknown_platform = entry.get("platform").is_some_and(|p| {
        p.get("os").and_then(Value::as_str) == Some("unknown")
            && p.get("architecture").and_then(Value::as_str) == Some("unknown")
    });
    annotated || unknown_platform
}

fn platform_of(value: &Value) -> Option<Platform> {
    let text = |key: &str| value.get(key).and_then(Value::as_str).map(str::to_string);
    Some(Platform {
        os: text("os")?,
        architecture: text("architecture")?,
        variant: text("variant"),
        os_version: text("os.version"),
    })
}

/// Whether one platform entry is for the task's platform, and why not known if unknown.
fn platform_matches(p: &Platform, want: &TaskPlatform) -> (Tri, String) {
    let os = match (want.os, p.os.as_str()) {
        (Some(Os::Linux), "linux") | (Some(Os::Windows), "windows") => Tri::True,
        // ECS runs Linux and Windows only.
        (None, "linux" | "windows") => Tri::Unknown,
        _ => Tri::False,
    };
    let variant = p.variant.as_deref();
    let arch = match (want.arch, p.architecture.as_str()) {
        (Some(Arch::Amd64), "amd64") if variant.is_none_or(|v| v == "v1") => Tri::True,
        (Some(Arch::Arm64), "arm64") if variant.is_none_or(|v| v == "v8") => Tri::True,
        // A variant that asks for more than the base instruction set, or the 32-bit sibling
        // the host may or may not run: not decided here.
        (Some(Arch::Amd64), "amd64" | "386") | (Some(Arch::Arm64), "arm64" | "arm") => Tri::Unknown,
        // ECS runs X86_64 and ARM64 only.
        (None, "amd64" | "arm64" | "386" | "arm") => Tri::Unknown,
        _ => Tri::False,
    };
    let answer = os.and(arch);
    let why = match (os, arch) {
        (Tri::Unknown, _) => format!("{p} (the task's operating system is not known)"),
        (_, Tri::Unknown) if want.arch.is_none() => {
            format!("{p} (the task's CPU architecture is not known)")
        }
        _ => format!("{p} may run on {want} hosts, not checked"),
    };
    (answer, why)
}

/// Docker schema 1 names the architecture in the manifest and the os in the first history
/// entry's v1Compatibility JSON.
fn schema1_serves(doc: &Value, want: &TaskPlatform) -> PlatformAnswer {
    let Some(architecture) = doc.get("architecture").and_then(Value::as_str) else {
        return PlatformAnswer::Unknown("the schema 1 manifest has no architecture".into());
    };
    let os = doc
        .get("history")
        .and_then(Value::as_array)
        .and_then(|h| h.first())
        .and_then(|h| h.get("v1Compatibility"))
        .and_then(Value::as_str)
        .and_then(|text| serde_json::from_str::<Value>(text).ok())
        .and_then(|v| v.get("os").and_then(Value::as_str).map(str::to_string));
    let Some(os) = os else {
        return PlatformAnswer::Unknown(
            "the schema 1 manifest does not name its operating system".into(),
        );
    };
    let platform = Platform {
        os,
        architecture: architecture.to_string(),
        variant: None,
        os_version: None,
    };
    match platform_matches(&platform, want) {
        (Tri::True, _) => PlatformAnswer::Serves {
            matched: vec![platform],
        },
        (Tri::False, _) => PlatformAnswer::DoesNotServe {
            available: vec![platform],
        },
        (Tri::Unknown, why) => PlatformAnswer::Unknown(why),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn entry(os: &str, arch: &str, variant: Option<&str>) -> Value {
        let mut platform = json!({"os": os, "architecture": arch});
        if let Some(v) = variant {
            platform["variant"] = json!(v);
        }
        json!({"mediaType": OCI_MANIFEST, "digest": "sha256:00", "size": 1, "platform": platform})
    }

    fn attestation() -> Value {
        json!({"mediaType": OCI_MANIFEST, "digest": "sha256:aa", "size": 1,
               "annotations": {"vnd.docker.reference.digest": "sha256:00", "vnd.docker.reference.type": "attestation-manifest"},
               "platform": {"architecture": "unknown", "os": "unknown"}})
    }

    fn index(entries: Vec<Value>) -> String {
        json!({"schemaVersion": 2, "mediaType": OCI_INDEX, "manifests": entries}).to_string()
    }

    fn fargate(cpu: Option<&str>, os: Option<&str>) -> TaskPlatform {
        TaskPlatform::from_runtime_platform(cpu, os, Tri::True).unwrap()
    }

    #[test]
    fn task_platforms() {
        assert_eq!(fargate(None, None), TaskPlatform::linux_amd64());
        assert_eq!(fargate(Some("ARM64"), None).arch, Some(Arch::Arm64));
        let win = fargate(Some("X86_64"), Some("WINDOWS_SERVER_2022_CORE"));
        assert_eq!(
            (win.os, win.windows_family.as_deref()),
            (Some(Os::Windows), Some("WINDOWS_SERVER_2022_CORE"))
        );
        let ec2 = TaskPlatform::from_runtime_platform(None, None, Tri::Unknown).unwrap();
        assert_eq!((ec2.os, ec2.arch), (None, None));
        assert!(TaskPlatform::from_runtime_platform(Some("x86_64"), None, Tri::True).is_err());
        assert!(TaskPlatform::from_runtime_platform(None, Some("MACOS"), Tri::False).is_err());
    }

    #[test]
    fn a_docker_build_index_with_attestations() {
        let text = index(vec![
            entry("linux", "amd64", None),
            entry("linux", "arm64", Some("v8")),
            attestation(),
            attestation(),
        ]);
        match manifest_serves(Some(OCI_INDEX), &text, &TaskPlatform::linux_amd64()) {
            PlatformAnswer::Serves { matched } => assert_eq!(matched[0].architecture, "amd64"),
            other => panic!("{other:?}"),
        }
        assert!(matches!(
            manifest_serves(Some(OCI_INDEX), &text, &fargate(Some("ARM64"), None)),
            PlatformAnswer::Serves { .. }
        ));
        // Only the images are listed as available, not the attestations.
        match manifest_serves(
            Some(OCI_INDEX),
            &text,
            &fargate(None, Some("WINDOWS_SERVER_2019_CORE")),
        ) {
            PlatformAnswer::DoesNotServe { available } => {
                let names: Vec<String> = available.iter().map(Platform::to_string).collect();
                assert_eq!(names, ["linux/amd64", "linux/arm64/v8"]);
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn an_arm_only_manifest_list_does_not_serve_fargate_default() {
        let text = json!({"schemaVersion": 2, "mediaType": DOCKER_MANIFEST_LIST,
                          "manifests": [entry("linux", "arm64", None)]})
        .to_string();
        // Media type taken from the document when the state does not give one.
        assert!(matches!(
            manifest_serves(None, &text, &TaskPlatform::linux_amd64()),
            PlatformAnswer::DoesNotServe { available } if available.len() == 1
        ));
    }

    #[test]
    fn an_index_with_only_attestations_serves_nothing() {
        let text = index(vec![attestation()]);
        assert_eq!(
            manifest_serves(Some(OCI_INDEX), &text, &TaskPlatform::linux_amd64()),
            PlatformAnswer::DoesNotServe { available: vec![] }
        );
    }

    #[test]
    fn single_platform_manifests_are_unknown() {
        let text = json!({"schemaVersion": 2, "mediaType": DOCKER_MANIFEST_V2,
                          "config": {"mediaType": "application/vnd.docker.container.image.v1+json", "digest": "sha256:c", "size": 1},
                          "layers": []}).to_string();
        assert!(
            matches!(manifest_serves(Some(DOCKER_MANIFEST_V2), &text, &TaskPlatform::linux_amd64()), PlatformAnswer::Unknown(r) if r.contains("config blob"))
        );
        // OCI manifest without mediaType: told by its shape.
        let text = json!({"schemaVersion": 2, "config": {}, "layers": []}).to_string();
        assert!(
            matches!(manifest_serves(None, &text, &TaskPlatform::linux_amd64()), PlatformAnswer::Unknown(r) if r.contains("config blob"))
        );
    }

    #[test]
    fn unusual_entries_make_the_answer_unknown_unless_another_matches() {
        let want = TaskPlatform::linux_amd64();
        let v3 = index(vec![
            entry("linux", "amd64", Some("v3")),
            entry("linux", "arm64", None),
        ]);
        assert!(
            matches!(manifest_serves(Some(OCI_INDEX), &v3, &want), PlatformAnswer::Unknown(r) if r.contains("amd64/v3"))
        );
        let i386 = index(vec![entry("linux", "386", None)]);
        assert!(matches!(
            manifest_serves(Some(OCI_INDEX), &i386, &want),
            PlatformAnswer::Unknown(_)
        ));
        let no_platform = index(vec![
            json!({"mediaType": OCI_MANIFEST, "digest": "sha256:1", "size": 1}),
        ]);
        assert!(matches!(
            manifest_serves(Some(OCI_INDEX), &no_platform, &want),
            PlatformAnswer::Unknown(_)
        ));
        let both = index(vec![
            entry("linux", "amd64", Some("v3")),
            entry("linux", "amd64", None),
        ]);
        assert!(matches!(
            manifest_serves(Some(OCI_INDEX), &both, &want),
            PlatformAnswer::Serves { .. }
        ));
        let nested = index(vec![
            json!({"mediaType": OCI_INDEX, "digest": "sha256:1", "size": 1, "platform": {"os": "linux", "architecture": "amd64"}}),
        ]);
        assert!(
            matches!(manifest_serves(Some(OCI_INDEX), &nested, &want), PlatformAnswer::Unknown(r) if r.contains("nested"))
        );
        let s390 = index(vec![
            entry("linux", "s390x", None),
            entry("linux", "ppc64le", None),
        ]);
        assert!(matches!(
            manifest_serves(Some(OCI_INDEX), &s390, &want),
            PlatformAnswer::DoesNotServe { .. }
        ));
    }

    #[test]
    fn an_unknown_task_platform_can_still_rule_out() {
        let ec2 = TaskPlatform::from_runtime_platform(None, None, Tri::False).unwrap();
        let s390 = index(vec![entry("linux", "s390x", None)]);
        assert!(matches!(
            manifest_serves(Some(OCI_INDEX), &s390, &ec2),
            PlatformAnswer::DoesNotServe { .. }
        ));
        let amd = index(vec![entry("linux", "amd64", None)]);
        assert!(
            matches!(manifest_serves(Some(OCI_INDEX), &amd, &ec2), PlatformAnswer::Unknown(r) if r.contains("not known"))
        );
        // Architecture known, os not: an index without that architecture is still ruled out.
        let arm_task =
            TaskPlatform::from_runtime_platform(Some("ARM64"), None, Tri::False).unwrap();
        assert!(matches!(
            manifest_serves(Some(OCI_INDEX), &amd, &arm_task),
            PlatformAnswer::DoesNotServe { .. }
        ));
    }

    #[test]
    fn windows_entries_carry_their_os_version() {
        let mut win = entry("windows", "amd64", None);
        win["platform"]["os.version"] = json!("10.0.20348.2340");
        let text = index(vec![entry("linux", "amd64", None), win]);
        match manifest_serves(
            Some(OCI_INDEX),
            &text,
            &fargate(None, Some("WINDOWS_SERVER_2022_FULL")),
        ) {
            PlatformAnswer::Serves { matched } => {
                assert_eq!(matched.len(), 1);
                assert_eq!(matched[0].os_version.as_deref(), Some("10.0.20348.2340"));
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn schema1_names_its_platform() {
        let text = json!({"schemaVersion": 1, "name": "x", "tag": "1", "architecture": "arm64",
                          "fsLayers": [], "history": [{"v1Compatibility": "{\"os\":\"linux\",\"id\":\"1\"}"}]}).to_string();
        assert!(matches!(
            manifest_serves(
                Some(DOCKER_MANIFEST_V1_SIGNED),
                &text,
                &TaskPlatform::linux_amd64()
            ),
            PlatformAnswer::DoesNotServe { .. }
        ));
        assert!(matches!(
            manifest_serves(None, &text, &fargate(Some("ARM64"), None)),
            PlatformAnswer::Serves { .. }
        ));
    }

    #[test]
    fn broken_or_missing_manifests_are_unknown() {
        let want = TaskPlatform::linux_amd64();
        assert!(matches!(
            manifest_serves(Some(OCI_INDEX), "{", &want),
            PlatformAnswer::Unknown(_)
        ));
        assert!(matches!(
            manifest_serves(Some(OCI_INDEX), "{\"manifests\": 3}", &want),
            PlatformAnswer::Unknown(_)
        ));
        assert!(matches!(
            manifest_serves(None, "{}", &want),
            PlatformAnswer::Unknown(_)
        ));
        assert!(matches!(
            manifest_serves(Some("application/vnd.cncf.helm.config.v1+json"), "{}", &want),
            PlatformAnswer::Unknown(r) if r.contains("not an image manifest")
        ));
        let image = Image {
            image_manifest: None,
            ..Image::default()
        };
        assert!(matches!(
            image_serves(&image, &want),
            PlatformAnswer::Unknown(_)
        ));
        let image = Image {
            image_manifest: Some(index(vec![entry("linux", "amd64", None)])),
            image_manifest_media_type: Some(OCI_INDEX.into()),
            ..Image::default()
        };
        assert!(matches!(
            image_serves(&image, &want),
            PlatformAnswer::Serves { .. }
        ));
    }
}
