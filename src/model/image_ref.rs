//! Container image references, as written in a container definition's `image`.
//!
//! ECS hands the string straight to the container runtime, so the grammar that decides whether
//! it is valid is Docker's `distribution/reference` (docs/ecr.md#image-reference-grammar), with
//! its normalisation of "familiar" Docker Hub names (docs/ecr.md#docker-hub-names) and ECS's own
//! 255-character limit (docs/ecr.md#what-ecs-accepts). On top of that the registry is classified
//! (docs/ecr.md#registries): private ECR (account, region, partition),
//! ECR Public, Docker Hub, or another registry.
//!
//! The matcher is hand-written instead of a regex: it runs once per image on the hot path, and
//! walking the parts one by one lets an error name the part that is wrong ("invalid tag …")
//! where the reference implementation only says "invalid reference format".

use std::fmt;
use std::ops::Range;

/// ECS's limit on the length of `image`, in characters.
pub const ECS_IMAGE_MAX_CHARS: usize = 255;
/// `distribution/reference`'s limit on the normalised repository path.
pub const REPOSITORY_PATH_MAX: usize = 255;
/// Tags are one word character followed by up to 127 more.
pub const TAG_MAX_CHARS: usize = 128;

const DOCKER_HUB_DOMAIN: &str = "docker.io";
const DOCKER_HUB_LEGACY_DOMAIN: &str = "index.docker.io";
const DOCKER_HUB_REGISTRY_HOST: &str = "registry-1.docker.io";
const OFFICIAL_REPO_PREFIX: &str = "library/";

const PATH_RULE: &str = "each `/`-separated part is lowercase letters and digits, joined by `.`, \
                         `_`, `__` or dashes, and starts and ends with a letter or digit";
const TAG_RULE: &str = "a tag is up to 128 characters of letters, digits, `_`, `.` and `-`, \
                        and cannot start with `.` or `-`";
const HOST_RULE: &str = "a registry host is dot-separated names of letters, digits and `-` \
                         (each starting and ending with a letter or digit) or an IPv6 address \
                         in brackets, optionally followed by `:port`";

/// A parsed, valid image reference.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ImageRef {
    /// The image exactly as written; the spans index into it.
    pub text: String,
    /// Normalised registry domain: `docker.io` when none is written or it is `index.docker.io`;
    /// otherwise as written (with its port).
    pub domain: String,
    /// Normalised repository path: `library/nginx` for `nginx`; otherwise as written.
    pub path: String,
    pub tag: Option<String>,
    /// `algorithm:hex`, without the `@`.
    pub digest: Option<String>,
    pub registry: Registry,
    pub spans: RefSpans,
}

/// Byte ranges of each part as written in [`ImageRef::text`], without the `/`, `:` or `@`
/// that introduces it. `None` where the part is not written.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RefSpans {
    pub domain: Option<Range<usize>>,
    pub path: Range<usize>,
    pub tag: Option<Range<usize>>,
    pub digest: Option<Range<usize>>,
}

/// Which kind of registry serves the image.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Registry {
    /// A private ECR registry, `<account>.dkr.ecr[-fips].<region>.<suffix>` and its dual-stack
    /// `dkr-ecr` / `on.aws` forms.
    Ecr {
        account: String,
        /// Lower-cased (host names are case-insensitive; ARNs are not).
        region: String,
        partition: String,
        fips: bool,
        dual_stack: bool,
    },
    /// `public.ecr.aws`.
    EcrPublic,
    /// No domain, `docker.io`, `index.docker.io` or `registry-1.docker.io`.
    DockerHub,
    /// Any other registry: quay.io, ghcr.io, localhost:5000, …
    Other,
}

/// Why an image does not parse: a message in plain words and the byte range of the part that
/// is wrong (the whole string when no part is better).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ImageRefError {
    pub message: String,
    pub part: Range<usize>,
}

impl fmt::Display for ImageRefError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for ImageRefError {}

fn error(message: String, part: Range<usize>) -> ImageRefError {
    ImageRefError { message, part }
}

/// Parses `image` as ECS and the container runtime would, and classifies its registry.
pub fn parse(image: &str) -> Result<ImageRef, ImageRefError> {
    check_whole(image)?;

    let domain_span = split_domain(image);
    let path_start = domain_span.as_ref().map_or(0, |d| d.end + 1);
    // The path can contain neither `:` nor `@`, so the first of them ends it.
    let path_end = image
        .get(path_start..)
        .and_then(|rest| rest.find([':', '@']))
        .map_or(image.len(), |i| path_start + i);
    let path_span = path_start..path_end;
    let (tag_span, digest_span) = split_tag_and_digest(image, path_end);

    if let Some(d) = &domain_span {
        check_domain(image, d.clone(), path_end)?;
    }
    check_path(image, path_span.clone())?;
    if let Some(t) = &tag_span {
        check_tag(image, t.clone())?;
    }
    if let Some(d) = &digest_span {
        check_digest(image, d.clone())?;
    }

    let written_domain = domain_span.as_ref().map(|d| part(image, d));
    let written_path = part(image, &path_span);
    let domain = match written_domain {
        None | Some(DOCKER_HUB_LEGACY_DOMAIN) => DOCKER_HUB_DOMAIN,
        Some(d) => d,
    };
    let path = if domain == DOCKER_HUB_DOMAIN && !written_path.contains('/') {
        format!("{OFFICIAL_REPO_PREFIX}{written_path}")
    } else {
        written_path.to_string()
    };
    if path.len() > REPOSITORY_PATH_MAX {
        let why = if path.len() == written_path.len() {
            String::new()
        } else {
            format!(" once Docker Hub's `{OFFICIAL_REPO_PREFIX}` prefix is added")
        };
        return Err(error(
            format!(
                "the repository name is {} characters long{why}; at most {REPOSITORY_PATH_MAX} \
                 are allowed",
                path.len()
            ),
            path_span,
        ));
    }

    Ok(ImageRef {
        text: image.to_string(),
        domain: domain.to_string(),
        path,
        tag: tag_span.as_ref().map(|t| part(image, t).to_string()),
        digest: digest_span.as_ref().map(|d| part(image, d).to_string()),
        registry: classify(written_domain),
        spans: RefSpans {
            domain: domain_span,
            path: path_span,
            tag: tag_span,
            digest: digest_span,
        },
    })
}

/// The text of a range that this module computed itself (always on ASCII delimiters).
fn part<'a>(text: &'a str, range: &Range<usize>) -> &'a str {
    text.get(range.clone()).unwrap_or("")
}

/// Checks that concern the string as a whole, before it is split into parts.
fn check_whole(image: &str) -> Result<(), ImageRefError> {
    let len = image.len();
    if image.is_empty() {
        return Err(error("the image is empty".to_string(), 0..0));
    }
    let after_leading = image.trim_start();
    if after_leading.is_empty() {
        return Err(error("the image is only whitespace".to_string(), 0..len));
    }
    let leading = len - after_leading.len();
    if leading > 0 {
        return Err(error(
            "the image starts with whitespace; remove it".to_string(),
            0..leading,
        ));
    }
    let kept = image.trim_end().len();
    if kept < len {
        return Err(error(
            "the image ends with whitespace; remove it".to_string(),
            kept..len,
        ));
    }
    let chars = image.chars().count();
    if chars > ECS_IMAGE_MAX_CHARS {
        return Err(error(
            format!(
                "the image is {chars} characters long; ECS allows at most {ECS_IMAGE_MAX_CHARS}"
            ),
            0..len,
        ));
    }
    // `ParseNormalizedNamed` refuses these so that an image ID is never taken for a name.
    if len == 64
        && image
            .bytes()
            .all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
    {
        return Err(error(
            format!(
                "`{image}` is 64 hexadecimal characters, which Docker reads as an image ID, \
                 not a repository name"
            ),
            0..len,
        ));
    }
    Ok(())
}

/// The written domain, if any, following `splitDockerDomain`: the text before the first `/`
/// is a domain when it is `localhost`, `index.docker.io`, contains `.` or `:`, or has an
/// uppercase letter (paths cannot).
fn split_domain(image: &str) -> Option<Range<usize>> {
    let slash = image.find('/')?;
    let first = &image[..slash];
    let is_domain = first == "localhost"
        || first == DOCKER_HUB_LEGACY_DOMAIN
        || first.contains(['.', ':'])
        || first.bytes().any(|b| b.is_ascii_uppercase());
    is_domain.then_some(0..slash)
}

/// Tag and digest ranges after the path: `[":" tag] ["@" digest]`.
fn split_tag_and_digest(
    image: &str,
    path_end: usize,
) -> (Option<Range<usize>>, Option<Range<usize>>) {
    let bytes = image.as_bytes();
    let len = image.len();
    let mut pos = path_end;
    let mut tag = None;
    if bytes.get(pos) == Some(&b':') {
        let start = pos + 1;
        let end = image
            .get(start..)
            .and_then(|rest| rest.find('@'))
            .map_or(len, |i| start + i);
        tag = Some(start..end);
        pos = end;
    }
    let digest = (bytes.get(pos) == Some(&b'@')).then(|| pos + 1..len);
    (tag, digest)
}

fn check_domain(image: &str, span: Range<usize>, path_end: usize) -> Result<(), ImageRefError> {
    let domain = part(image, &span);
    let host_len = host_len(domain);
    let host = domain.get(..host_len).unwrap_or(domain);
    let host_ok = if let Some(inner) = host.strip_prefix('[') {
        inner.strip_suffix(']').is_some_and(|addr| {
            !addr.is_empty() && addr.bytes().all(|b| b.is_ascii_hexdigit() || b == b':')
        })
    } else {
        is_domain_name(host)
    };
    if !host_ok {
        // The first part was taken for a host only because it has an uppercase letter; the user
        // most likely meant a Docker Hub namespace, so say what is really wrong with it.
        let by_case_only = !domain.contains(['.', ':']) && domain != "localhost";
        if by_case_only && is_path_component(domain, true) {
            return Err(error(
                format!(
                    "repository name must be lowercase: `{}`",
                    part(image, &(0..path_end))
                ),
                0..path_end,
            ));
        }
        if host.is_empty() {
            return Err(error(
                format!("the registry host is missing in `{domain}`"),
                span,
            ));
        }
        return Err(error(
            format!("invalid registry host `{host}`: {HOST_RULE}"),
            span.start..span.start + host_len,
        ));
    }
    let after_host = domain.get(host_len..).unwrap_or("");
    if after_host.is_empty() {
        return Ok(());
    }
    let Some(port) = after_host.strip_prefix(':') else {
        return Err(error(
            format!("invalid registry host `{domain}`: {HOST_RULE}"),
            span,
        ));
    };
    if port.is_empty() {
        return Err(error(
            format!("the registry port after `:` in `{domain}` is empty"),
            span,
        ));
    }
    if !port.bytes().all(|b| b.is_ascii_digit()) {
        return Err(error(
            format!("invalid registry port `{port}` in `{domain}`: a port is digits only"),
            span.start + host_len + 1..span.end,
        ));
    }
    Ok(())
}

/// Length of the host in `host[:port]`; an IPv6 host runs to its closing bracket.
fn host_len(domain: &str) -> usize {
    if domain.starts_with('[') {
        domain.find(']').map_or(domain.len(), |i| i + 1)
    } else {
        domain.find(':').unwrap_or(domain.len())
    }
}

/// `domain-component ('.' domain-component)*`, each component `[a-zA-Z0-9]` at both ends and
/// `[a-zA-Z0-9-]` inside.
fn is_domain_name(host: &str) -> bool {
    host.split('.').all(|label| {
        let bytes = label.as_bytes();
        match (bytes.first(), bytes.last()) {
            (Some(first), Some(last)) => {
                first.is_ascii_alphanumeric()
                    && last.is_ascii_alphanumeric()
                    && bytes
                        .iter()
                        .all(|b| b.is_ascii_alphanumeric() || *b == b'-')
            }
            _ => false,
        }
    })
}

/// `alphanumeric (separator alphanumeric)*` with `separator = [._] | __ | -+`. With
/// `allow_upper`, uppercase letters count as alphanumeric (to tell a case error from others).
fn is_path_component(component: &str, allow_upper: bool) -> bool {
    let is_alnum = |b: u8| {
        b.is_ascii_digit() || b.is_ascii_lowercase() || (allow_upper && b.is_ascii_uppercase())
    };
    let bytes = component.as_bytes();
    let mut i = 0;
    let mut expect_alnum = true;
    while i < bytes.len() {
        let start = i;
        if expect_alnum {
            while i < bytes.len() && is_alnum(bytes[i]) {
                i += 1;
            }
            if i == start {
                return false;
            }
        } else {
            while i < bytes.len() && !is_alnum(bytes[i]) {
                i += 1;
            }
            let separator = bytes.get(start..i).unwrap_or_default();
            let ok =
                matches!(separator, b"." | b"_" | b"__") || separator.iter().all(|b| *b == b'-');
            if !ok {
                return false;
            }
        }
        expect_alnum = !expect_alnum;
    }
    // Non-empty and ended on an alphanumeric run.
    !bytes.is_empty() && !expect_alnum
}

fn check_path(image: &str, span: Range<usize>) -> Result<(), ImageRefError> {
    let path = part(image, &span);
    if path.is_empty() {
        return Err(error(
            "the image has no repository name".to_string(),
            0..image.len(),
        ));
    }
    let bad_char = path
        .chars()
        .find(|c| !(c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-' | '/')));
    if let Some(c) = bad_char {
        return Err(error(
            format!(
                "invalid repository name `{path}`: {} is not allowed; {PATH_RULE}",
                describe_char(c)
            ),
            span,
        ));
    }
    if path.split('/').any(str::is_empty) {
        return Err(error(
            format!("invalid repository name `{path}`: `/` must separate non-empty parts"),
            span,
        ));
    }
    if !path.split('/').all(|c| is_path_component(c, true)) {
        return Err(error(
            format!("invalid repository name `{path}`: {PATH_RULE}"),
            span,
        ));
    }
    if path.bytes().any(|b| b.is_ascii_uppercase()) {
        return Err(error(
            format!("repository name must be lowercase: `{path}`"),
            span,
        ));
    }
    Ok(())
}

fn check_tag(image: &str, span: Range<usize>) -> Result<(), ImageRefError> {
    let tag = part(image, &span);
    let is_word = |b: u8| b.is_ascii_alphanumeric() || b == b'_';
    let Some(&first) = tag.as_bytes().first() else {
        // Point at the `:` itself: an empty range cannot carry a label.
        return Err(error(
            "the tag after `:` is empty".to_string(),
            span.start.saturating_sub(1)..span.end,
        ));
    };
    let chars_ok = is_word(first) && tag.bytes().all(|b| is_word(b) || b == b'.' || b == b'-');
    if !chars_ok {
        return Err(error(format!("invalid tag `{tag}`: {TAG_RULE}"), span));
    }
    if tag.len() > TAG_MAX_CHARS {
        return Err(error(
            format!(
                "invalid tag: it is {} characters long; at most {TAG_MAX_CHARS} are allowed",
                tag.len()
            ),
            span,
        ));
    }
    Ok(())
}

fn check_digest(image: &str, span: Range<usize>) -> Result<(), ImageRefError> {
    let digest = part(image, &span);
    if digest.is_empty() {
        return Err(error(
            "the digest after `@` is empty".to_string(),
            span.start.saturating_sub(1)..span.end,
        ));
    }
    let Some((algorithm, hex)) = digest.split_once(':').filter(|(a, _)| !a.is_empty()) else {
        return Err(error(
            format!(
                "invalid digest `{digest}`: a digest is `sha256:` followed by 64 hex characters"
            ),
            span,
        ));
    };
    let algorithm_span = span.start..span.start + algorithm.len();
    // With nothing after the `:`, point at the whole digest: an empty range cannot carry a label.
    let hex_span = if hex.is_empty() {
        span.clone()
    } else {
        algorithm_span.end + 1..span.end
    };
    // The algorithms go-digest registers; the hex length is the hash size.
    let want = match algorithm {
        "sha256" => 64,
        "sha384" => 96,
        "sha512" => 128,
        _ => {
            return Err(error(
                format!(
                    "invalid digest: unsupported algorithm `{algorithm}`; use sha256, sha384 \
                     or sha512"
                ),
                algorithm_span,
            ));
        }
    };
    if let Some(c) = hex.chars().find(|c| !c.is_ascii_hexdigit()) {
        return Err(error(
            format!(
                "invalid digest: {} is not a hexadecimal digit",
                describe_char(c)
            ),
            hex_span,
        ));
    }
    if hex.len() != want {
        return Err(error(
            format!(
                "invalid digest: {algorithm} needs {want} hex characters, found {}",
                hex.len()
            ),
            hex_span,
        ));
    }
    if hex.bytes().any(|b| b.is_ascii_uppercase()) {
        return Err(error(
            "invalid digest: the hex characters must be lowercase".to_string(),
            hex_span,
        ));
    }
    Ok(())
}

/// A character as a message shows it: invisible ones by name or escape.
fn describe_char(c: char) -> String {
    match c {
        ' ' => "a space".to_string(),
        '\t' => "a tab".to_string(),
        _ if c.is_whitespace() || c.is_control() => format!("`{}`", c.escape_unicode()),
        _ => format!("`{c}`"),
    }
}

/// The registry kind from the domain as written (none: Docker Hub). Host names are compared
/// without their port and ignoring ASCII case, as DNS does.
fn classify(written_domain: Option<&str>) -> Registry {
    let Some(domain) = written_domain else {
        return Registry::DockerHub;
    };
    let host = domain.get(..host_len(domain)).unwrap_or(domain);
    let is = |name: &str| host.eq_ignore_ascii_case(name);
    if is(DOCKER_HUB_DOMAIN) || is(DOCKER_HUB_LEGACY_DOMAIN) || is(DOCKER_HUB_REGISTRY_HOST) {
        return Registry::DockerHub;
    }
    if is("public.ecr.aws") {
        return Registry::EcrPublic;
    }
    ecr_registry(host).unwrap_or(Registry::Other)
}

/// DNS suffixes of private ECR registries: (suffix, partition, dual-stack). `None` for the
/// partition means `aws`, or `aws-us-gov` for a `us-gov-` region (they share the suffix).
const ECR_SUFFIXES: &[(&str, Option<&str>, bool)] = &[
    ("amazonaws.com", None, false),
    ("amazonaws.com.cn", Some("aws-cn"), false),
    ("amazonaws.eu", Some("aws-eusc"), false),
    ("on.aws", None, true),
    ("on.amazonwebservices.com.cn", Some("aws-cn"), true),
    ("c2s.ic.gov", Some("aws-iso"), false),
    ("sc2s.sgov.gov", Some("aws-iso-b"), false),
    ("cloud.adc-e.uk", Some("aws-iso-e"), false),
    ("csp.hci.ic.gov", Some("aws-iso-f"), false),
];

/// `<12 digits>.dkr[.-]ecr[-fips].<region>.<suffix>`, the credential helper's pattern.
fn ecr_registry(host: &str) -> Option<Registry> {
    let (account, rest) = host.split_once('.')?;
    if account.len() != 12 || !account.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let rest = strip_prefix_ignore_case(rest, "dkr.ecr")
        .or_else(|| strip_prefix_ignore_case(rest, "dkr-ecr"))?;
    let (fips, rest) = match strip_prefix_ignore_case(rest, "-fips") {
        Some(after) => (true, after),
        None => (false, rest),
    };
    let (region, suffix) = rest.strip_prefix('.')?.split_once('.')?;
    let region_ok = region
        .as_bytes()
        .first()
        .is_some_and(u8::is_ascii_alphanumeric)
        && region
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
    if !region_ok {
        return None;
    }
    let region = region.to_ascii_lowercase();
    let &(_, partition, dual_stack) = ECR_SUFFIXES
        .iter()
        .find(|(known, _, _)| suffix.eq_ignore_ascii_case(known))?;
    let partition = match partition {
        Some(p) => p,
        None if region.starts_with("us-gov-") => "aws-us-gov",
        None => "aws",
    };
    Some(Registry::Ecr {
        account: account.to_string(),
        region,
        partition: partition.to_string(),
        fips,
        dual_stack,
    })
}

fn strip_prefix_ignore_case<'a>(text: &'a str, prefix: &str) -> Option<&'a str> {
    let head = text.get(..prefix.len())?;
    head.eq_ignore_ascii_case(prefix)
        .then(|| text.get(prefix.len()..))
        .flatten()
}

impl ImageRef {
    /// The tag is exactly `latest` and no digest overrides it (IMG002).
    pub fn is_explicit_latest(&self) -> bool {
        self.tag.as_deref() == Some("latest") && self.digest.is_none()
    }

    /// Neither tag nor digest: the runtime pulls `latest` (IMG003).
    pub fn has_no_tag_or_digest(&self) -> bool {
        self.tag.is_none() && self.digest.is_none()
    }

    /// A digest is given, so the pull is pinned whatever the tag says.
    pub fn is_digest_pinned(&self) -> bool {
        self.digest.is_some()
    }

    /// The ECR repository name, for private ECR images only.
    pub fn ecr_repository_name(&self) -> Option<&str> {
        match self.registry {
            Registry::Ecr { .. } => Some(&self.path),
            _ => None,
        }
    }

    /// `arn:<partition>:ecr:<region>:<account>:repository/<path>`, for private ECR images only.
    pub fn repository_arn(&self) -> Option<String> {
        match &self.registry {
            Registry::Ecr {
                account,
                region,
                partition,
                ..
            } => Some(format!(
                "arn:{partition}:ecr:{region}:{account}:repository/{}",
                self.path
            )),
            _ => None,
        }
    }

    /// The host (with port, if written) the runtime connects to: `registry-1.docker.io` for
    /// Docker Hub, otherwise the domain.
    pub fn registry_host(&self) -> &str {
        match self.registry {
            Registry::DockerHub => DOCKER_HUB_REGISTRY_HOST,
            _ => &self.domain,
        }
    }

    /// For a private ECR image whose path Docker accepts but ECR could never have created
    /// (ECR allows no `__`, no runs of `-`, and needs 2 to 256 characters): why, pointing at
    /// the path. Such an image can never be pulled.
    pub fn ecr_repository_name_error(&self) -> Option<ImageRefError> {
        let name = self.ecr_repository_name()?;
        let problem = if name.len() < 2 {
            "it must be at least 2 characters long"
        } else if name.len() > 256 {
            "it must be at most 256 characters long"
        } else if name.contains("__") || name.contains("--") {
            "ECR allows only a single `.`, `_` or `-` between letters and digits"
        } else {
            return None;
        };
        Some(error(
            format!("`{name}` cannot be an ECR repository name: {problem}"),
            self.spans.path.clone(),
        ))
    }

    /// The name (domain and path) as the user wrote it, without tag or digest.
    pub fn name_as_written(&self) -> &str {
        self.text.get(..self.spans.path.end).unwrap_or(&self.text)
    }

    /// The pinned form `name[:tag]@digest`, keeping the user's spelling of the name and the
    /// tag (for readers), and replacing any digest already there.
    pub fn with_digest(&self, digest: &str) -> String {
        let mut out = String::with_capacity(self.spans.path.end + 80);
        out.push_str(self.name_as_written());
        if let Some(tag) = &self.tag {
            out.push(':');
            out.push_str(tag);
        }
        out.push('@');
        out.push_str(digest);
        out
    }
}

/// The canonical reference: normalised `domain/path`, then `:tag` and `@digest` as written.
/// An implicit `latest` is not added.
impl fmt::Display for ImageRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.domain, self.path)?;
        if let Some(tag) = &self.tag {
            write!(f, ":{tag}")?;
        }
        if let Some(digest) = &self.digest {
            write!(f, "@{digest}")?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SHA: &str = "sha256:ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff";
    const ECR: &str = "111122223333.dkr.ecr.us-east-1.amazonaws.com";

    fn ok(image: &str) -> ImageRef {
        match parse(image) {
            Ok(r) => r,
            Err(e) => panic!("{image:?} should parse, got {e:?}"),
        }
    }

    fn err(image: &str) -> ImageRefError {
        match parse(image) {
            Ok(r) => panic!("{image:?} should not parse, got {r:?}"),
            Err(e) => e,
        }
    }

    fn ecr(account: &str, region: &str, partition: &str, fips: bool, dual: bool) -> Registry {
        Registry::Ecr {
            account: account.to_string(),
            region: region.to_string(),
            partition: partition.to_string(),
            fips,
            dual_stack: dual,
        }
    }

    fn slice(text: &str, range: &Option<Range<usize>>) -> Option<String> {
        range.as_ref().map(|r| text[r.clone()].to_string())
    }

    // The forms the ECS documentation gives (docs/ecr.md#what-ecs-accepts).
    #[test]
    fn documented_ecs_examples() {
        let r = ok("111122223333.dkr.ecr.us-east-1.amazonaws.com/my-web-app:latest");
        assert_eq!(r.domain, ECR);
        assert_eq!(r.path, "my-web-app");
        assert_eq!(r.tag.as_deref(), Some("latest"));
        assert_eq!(
            r.registry,
            ecr("111122223333", "us-east-1", "aws", false, false)
        );
        assert!(r.is_explicit_latest());

        let r = ok("ubuntu");
        assert_eq!(
            (r.domain.as_str(), r.path.as_str()),
            ("docker.io", "library/ubuntu")
        );
        assert_eq!(r.registry, Registry::DockerHub);
        assert!(r.has_no_tag_or_digest());

        let r = ok("amazon/amazon-ecs-agent");
        assert_eq!(
            (r.domain.as_str(), r.path.as_str()),
            ("docker.io", "amazon/amazon-ecs-agent")
        );
        assert_eq!(r.registry, Registry::DockerHub);

        let r = ok("quay.io/assemblyline/ubuntu");
        assert_eq!(
            (r.domain.as_str(), r.path.as_str()),
            ("quay.io", "assemblyline/ubuntu")
        );
        assert_eq!(r.registry, Registry::Other);

        // The placeholder forms, taken literally: `repository-url` is a Docker Hub namespace,
        // `digest` is not a digest, and `aws_account_id` is not a host name.
        let r = ok("repository-url/image:tag");
        assert_eq!(r.path, "repository-url/image");
        assert_eq!(r.tag.as_deref(), Some("tag"));
        let e = err("repository-url/image@digest");
        assert!(
            e.message.starts_with("invalid digest `digest`"),
            "{}",
            e.message
        );
        assert_eq!(e.part, 21..27);
        let e = err("aws_account_id.dkr.ecr.region.amazonaws.com/my-web-app:latest");
        assert!(
            e.message
                .starts_with("invalid registry host `aws_account_id.dkr.ecr.region.amazonaws.com`"),
            "{}",
            e.message
        );
        assert_eq!(e.part, 0..43);
    }

    // Every hostname form (docs/ecr.md#registries).
    #[test]
    fn ecr_hostname_forms() {
        let aws = |region: &str, partition: &str, fips: bool, dual: bool| {
            ecr("111122223333", region, partition, fips, dual)
        };
        #[rustfmt::skip]
        let cases = [
            ("111122223333.dkr.ecr.us-east-1.amazonaws.com", aws("us-east-1", "aws", false, false)),
            ("111122223333.dkr.ecr.cn-north-1.amazonaws.com.cn", aws("cn-north-1", "aws-cn", false, false)),
            ("111122223333.dkr.ecr-fips.us-east-1.amazonaws.com", aws("us-east-1", "aws", true, false)),
            ("111122223333.dkr-ecr.us-east-1.on.aws", aws("us-east-1", "aws", false, true)),
            ("111122223333.dkr-ecr-fips.us-east-2.on.aws", aws("us-east-2", "aws", true, true)),
            ("111122223333.dkr-ecr.cn-northwest-1.on.amazonwebservices.com.cn", aws("cn-northwest-1", "aws-cn", false, true)),
            ("111122223333.dkr.ecr.us-gov-west-1.amazonaws.com", aws("us-gov-west-1", "aws-us-gov", false, false)),
            ("111122223333.dkr.ecr-fips.us-gov-east-1.amazonaws.com", aws("us-gov-east-1", "aws-us-gov", true, false)),
            ("111122223333.dkr-ecr.us-gov-west-1.on.aws", aws("us-gov-west-1", "aws-us-gov", false, true)),
            ("111122223333.dkr.ecr.us-iso-east-1.c2s.ic.gov", aws("us-iso-east-1", "aws-iso", false, false)),
            ("111122223333.dkr.ecr.us-isob-east-1.sc2s.sgov.gov", aws("us-isob-east-1", "aws-iso-b", false, false)),
            ("111122223333.dkr.ecr.eu-isoe-west-1.cloud.adc-e.uk", aws("eu-isoe-west-1", "aws-iso-e", false, false)),
            ("111122223333.dkr.ecr.us-isof-south-1.csp.hci.ic.gov", aws("us-isof-south-1", "aws-iso-f", false, false)),
            ("111122223333.dkr.ecr.eusc-de-east-1.amazonaws.eu", aws("eusc-de-east-1", "aws-eusc", false, false)),
            // Host names are case-insensitive; the port does not change the registry.
            ("111122223333.DKR.ECR.US-EAST-1.AMAZONAWS.COM", aws("us-east-1", "aws", false, false)),
            ("111122223333.dkr.ecr.us-east-1.amazonaws.com:443", aws("us-east-1", "aws", false, false)),
            ("public.ecr.aws", Registry::EcrPublic),
            ("docker.io", Registry::DockerHub),
            ("index.docker.io", Registry::DockerHub),
            ("registry-1.docker.io", Registry::DockerHub),
            ("quay.io", Registry::Other),
            ("ghcr.io", Registry::Other),
            ("localhost:5000", Registry::Other),
            // Near misses of the ECR pattern.
            ("11112222333.dkr.ecr.us-east-1.amazonaws.com", Registry::Other),
            ("111122223333.dkr.ecr.us-east-1.amazonaws.org", Registry::Other),
            ("111122223333.ecr.us-east-1.amazonaws.com", Registry::Other),
            ("111122223333.dkr.ecr.amazonaws.com", Registry::Other),
            ("111122223333.dkr.ecr.us-east-1.amazonaws.com.example.org", Registry::Other),
        ];
        for (host, want) in cases {
            let r = ok(&format!("{host}/team/app:1"));
            assert_eq!(r.registry, want, "{host}");
            let domain = if host == "index.docker.io" {
                "docker.io"
            } else {
                host
            };
            assert_eq!(r.domain, domain, "{host}");
            assert_eq!(r.path, "team/app", "{host}");
        }
    }

    #[test]
    fn ecr_public_path_is_alias_and_repository() {
        let r = ok("public.ecr.aws/amazonlinux/amazonlinux:2023");
        assert_eq!(r.registry, Registry::EcrPublic);
        assert_eq!(r.path, "amazonlinux/amazonlinux");
        assert_eq!(r.ecr_repository_name(), None);
        assert_eq!(r.repository_arn(), None);
    }

    #[test]
    fn repository_arn_per_partition() {
        let r = ok(&format!("{ECR}/team/app:1"));
        assert_eq!(r.ecr_repository_name(), Some("team/app"));
        assert_eq!(
            r.repository_arn().as_deref(),
            Some("arn:aws:ecr:us-east-1:111122223333:repository/team/app")
        );
        let r = ok(&format!(
            "111122223333.dkr.ecr.cn-north-1.amazonaws.com.cn/app@{SHA}"
        ));
        assert_eq!(
            r.repository_arn().as_deref(),
            Some("arn:aws-cn:ecr:cn-north-1:111122223333:repository/app")
        );
        let r = ok("111122223333.dkr.ecr.us-gov-west-1.amazonaws.com/app");
        assert_eq!(
            r.repository_arn().as_deref(),
            Some("arn:aws-us-gov:ecr:us-gov-west-1:111122223333:repository/app")
        );
        assert_eq!(ok("nginx").repository_arn(), None);
        assert_eq!(ok("quay.io/app").ecr_repository_name(), None);
    }

    // Docker Hub normalisation (docs/ecr.md#docker-hub-names).
    #[test]
    fn docker_hub_normalisation() {
        use Registry::{DockerHub, Other};
        let hex_name = "1a3f5e7d9c1b3a5f7e9d1c3b5a7f9e1d3c5b7a9f1e3d5d7c9b1a3f5e7d9c1b3a";
        let with_host = format!("docker.io/{hex_name}");
        let normalised = format!("library/{hex_name}");
        #[rustfmt::skip]
        let cases = [
            ("nginx", "docker.io", "library/nginx", DockerHub),
            ("nginx:1.25", "docker.io", "library/nginx", DockerHub),
            ("amazon/amazon-ecs-agent", "docker.io", "amazon/amazon-ecs-agent", DockerHub),
            ("docker.io/nginx", "docker.io", "library/nginx", DockerHub),
            ("docker.io/library/nginx", "docker.io", "library/nginx", DockerHub),
            ("library/nginx", "docker.io", "library/nginx", DockerHub),
            ("index.docker.io/x", "docker.io", "library/x", DockerHub),
            ("index.docker.io/org/x", "docker.io", "org/x", DockerHub),
            // distribution does not rewrite this host, so the path stays as written.
            ("registry-1.docker.io/x", "registry-1.docker.io", "x", DockerHub),
            ("localhost/x", "localhost", "x", Other),
            ("myhost:5000/x", "myhost:5000", "x", Other),
            ("[::1]:5000/x", "[::1]:5000", "x", Other),
            ("[2001:db8::1]/repo", "[2001:db8::1]", "repo", Other),
            ("192.168.1.1:5000/repo", "192.168.1.1:5000", "repo", Other),
            // A first part with uppercase is a host, not a namespace.
            ("LOCALDOMAIN/debian", "LOCALDOMAIN", "debian", Other),
            // No `/`: always a Docker Hub official image, even if it looks like a host.
            ("localhost:5000", "docker.io", "library/localhost", DockerHub),
            ("quay.io", "docker.io", "library/quay.io", DockerHub),
            ("foo_bar.com:8080", "docker.io", "library/foo_bar.com", DockerHub),
            ("dock__er/docker", "docker.io", "dock__er/docker", DockerHub),
            ("docker---rules/docker", "docker.io", "docker---rules/docker", DockerHub),
            // With a host, 64 hex characters are a name.
            (with_host.as_str(), "docker.io", normalised.as_str(), DockerHub),
        ];
        for (image, domain, path, registry) in cases {
            let r = ok(image);
            assert_eq!(r.domain, domain, "{image}");
            assert_eq!(r.path, path, "{image}");
            assert_eq!(r.registry, registry, "{image}");
        }
        assert_eq!(ok("localhost:5000").tag.as_deref(), Some("5000"));
    }

    #[test]
    fn spans_point_at_parts_as_written() {
        let image = format!("myhost:5000/team/app:v1.2@{SHA}");
        let r = ok(&image);
        assert_eq!(
            slice(&image, &r.spans.domain).as_deref(),
            Some("myhost:5000")
        );
        assert_eq!(&image[r.spans.path.clone()], "team/app");
        assert_eq!(slice(&image, &r.spans.tag).as_deref(), Some("v1.2"));
        assert_eq!(slice(&image, &r.spans.digest).as_deref(), Some(SHA));

        let r = ok("nginx:1.25");
        assert_eq!(r.spans.domain, None);
        assert_eq!(r.spans.path, 0..5);
        assert_eq!(r.spans.tag, Some(6..10));
        assert_eq!(r.spans.digest, None);
    }

    #[test]
    fn tag_and_digest_together() {
        let r = ok(&format!("{ECR}/app:1.4@{SHA}"));
        assert_eq!(r.tag.as_deref(), Some("1.4"));
        assert_eq!(r.digest.as_deref(), Some(SHA));
        assert!(r.is_digest_pinned());
        assert!(!r.has_no_tag_or_digest());
        // A digest overrides `latest`, so it is not "explicit latest" for IMG002.
        let r = ok(&format!("nginx:latest@{SHA}"));
        assert!(!r.is_explicit_latest());
        assert!(ok("nginx:latest").is_explicit_latest());
        assert!(!ok("nginx:Latest").is_explicit_latest());
        assert!(!ok("nginx:1").has_no_tag_or_digest());
        assert!(!ok(&format!("nginx@{SHA}")).has_no_tag_or_digest());
        let sha384 = format!("sha384:{}", "a".repeat(96));
        let sha512 = format!("sha512:{}", "0".repeat(128));
        assert_eq!(ok(&format!("x@{sha384}")).digest, Some(sha384));
        assert_eq!(ok(&format!("x@{sha512}")).digest, Some(sha512));
    }

    #[test]
    fn with_digest_keeps_the_spelling_and_the_tag() {
        assert_eq!(
            ok("nginx:1.25").with_digest(SHA),
            format!("nginx:1.25@{SHA}")
        );
        assert_eq!(ok("nginx").with_digest(SHA), format!("nginx@{SHA}"));
        assert_eq!(
            ok("index.docker.io/x:latest").with_digest(SHA),
            format!("index.docker.io/x:latest@{SHA}")
        );
        assert_eq!(
            ok(&format!("{ECR}/app:v1")).with_digest(SHA),
            format!("{ECR}/app:v1@{SHA}")
        );
        // An existing digest is replaced.
        let old = format!("sha256:{}", "0".repeat(64));
        assert_eq!(
            ok(&format!("app:v1@{old}")).with_digest(SHA),
            format!("app:v1@{SHA}")
        );
        assert_eq!(
            ok("LOCALDOMAIN/x").with_digest(SHA),
            format!("LOCALDOMAIN/x@{SHA}")
        );
    }

    #[test]
    fn display_is_canonical() {
        assert_eq!(ok("nginx").to_string(), "docker.io/library/nginx");
        assert_eq!(ok("nginx:1.25").to_string(), "docker.io/library/nginx:1.25");
        assert_eq!(ok("index.docker.io/org/x").to_string(), "docker.io/org/x");
        assert_eq!(
            ok(&format!("{ECR}/app:v1@{SHA}")).to_string(),
            format!("{ECR}/app:v1@{SHA}")
        );
    }

    #[test]
    fn registry_host() {
        assert_eq!(ok("nginx").registry_host(), "registry-1.docker.io");
        assert_eq!(ok("docker.io/x/y").registry_host(), "registry-1.docker.io");
        assert_eq!(ok("localhost:5000/x").registry_host(), "localhost:5000");
        assert_eq!(ok(&format!("{ECR}/app")).registry_host(), ECR);
    }

    #[test]
    fn ecr_repository_name_rules() {
        assert_eq!(
            ok(&format!("{ECR}/team/app")).ecr_repository_name_error(),
            None
        );
        let image = format!("{ECR}/my__app");
        let e = ok(&image).ecr_repository_name_error().unwrap();
        assert!(e.message.contains("single"), "{}", e.message);
        assert_eq!(&image[e.part], "my__app");
        assert!(
            ok(&format!("{ECR}/a--b"))
                .ecr_repository_name_error()
                .is_some()
        );
        assert!(
            ok(&format!("{ECR}/a"))
                .ecr_repository_name_error()
                .is_some()
        );
        assert_eq!(ok("my__app").ecr_repository_name_error(), None);
    }

    #[test]
    fn whole_string_errors() {
        assert_eq!(
            err(""),
            ImageRefError {
                message: "the image is empty".into(),
                part: 0..0
            }
        );
        assert_eq!(err("   ").message, "the image is only whitespace");
        assert_eq!(
            err("  nginx"),
            ImageRefError {
                message: "the image starts with whitespace; remove it".into(),
                part: 0..2
            }
        );
        assert_eq!(
            err("nginx:1\n"),
            ImageRefError {
                message: "the image ends with whitespace; remove it".into(),
                part: 7..8
            }
        );
        let long = format!("{ECR}/{}", "a".repeat(300 - ECR.len() - 1));
        assert_eq!(
            err(&long),
            ImageRefError {
                message: "the image is 300 characters long; ECS allows at most 255".into(),
                part: 0..300
            }
        );
        // 255 is allowed.
        ok(&format!("{ECR}/{}", "a".repeat(255 - ECR.len() - 1)));
        let hex = "1a3f5e7d9c1b3a5f7e9d1c3b5a7f9e1d3c5b7a9f1e3d5d7c9b1a3f5e7d9c1b3a";
        let e = err(hex);
        assert!(e.message.contains("image ID"), "{}", e.message);
        assert_eq!(e.part, 0..64);
        // With a tag it is a (strange but valid) official image name.
        ok(&format!("{hex}:1"));
    }

    #[test]
    fn path_errors() {
        assert_eq!(
            err("MyApp:1"),
            ImageRefError {
                message: "repository name must be lowercase: `MyApp`".into(),
                part: 0..5
            }
        );
        let e = err("test:5000/Uppercase/lowercase:tag");
        assert_eq!(
            e.message,
            "repository name must be lowercase: `Uppercase/lowercase`"
        );
        assert_eq!(e.part, 10..29);
        let e = err("docker/Docker");
        assert_eq!(
            (e.message.as_str(), e.part),
            ("repository name must be lowercase: `docker/Docker`", 0..13)
        );
        // `Foo_Bar` is taken for a host because of its case, but is not one.
        let e = err("Foo_Bar/app");
        assert_eq!(
            (e.message.as_str(), e.part),
            ("repository name must be lowercase: `Foo_Bar/app`", 0..11)
        );
        let e = err("aa/asdf$$^/aa");
        assert!(
            e.message
                .starts_with("invalid repository name `aa/asdf$$^/aa`: `$` is not allowed"),
            "{}",
            e.message
        );
        assert_eq!(e.part, 0..13);
        let e = err("my app:1");
        assert!(
            e.message.contains("a space is not allowed"),
            "{}",
            e.message
        );
        let e = err("docker///docker");
        assert_eq!(
            e.message,
            "invalid repository name `docker///docker`: `/` must separate non-empty parts"
        );
        for bad in [
            "-docker",
            "docker-/docker",
            "____/____",
            "_docker/_docker",
            "dock..er",
            "dock_.er",
            "dock-.er",
            "a___b",
            "org/dock-.er",
        ] {
            let e = err(bad);
            assert!(
                e.message
                    .starts_with(&format!("invalid repository name `{bad}`")),
                "{bad}: {}",
                e.message
            );
        }
        assert_eq!(err("quay.io/").message, "the image has no repository name");
        assert_eq!(err(":justtag").message, "the image has no repository name");
        assert_eq!(
            err(&format!("@{SHA}")).message,
            "the image has no repository name"
        );
        // `library/` pushes an official image's path over 255.
        let e = err(&"a".repeat(250));
        assert_eq!(
            e.message,
            "the repository name is 258 characters long once Docker Hub's `library/` prefix is added; at most 255 are allowed"
        );
        assert_eq!(e.part, 0..250);
    }

    #[test]
    fn host_errors() {
        let e = err("my_host:5000/app");
        assert!(
            e.message.starts_with("invalid registry host `my_host`"),
            "{}",
            e.message
        );
        assert_eq!(e.part, 0..7);
        let e = err("my_host.com/app");
        assert!(
            e.message.starts_with("invalid registry host `my_host.com`"),
            "{}",
            e.message
        );
        let e = err("-docker.io/docker/docker");
        assert_eq!(e.part, 0..10);
        // A dot makes the first part a host, so these are host errors.
        for bad in ["dock..er/docker", "dock_.er/docker", "dock-.er/docker"] {
            assert!(
                err(bad).message.starts_with("invalid registry host"),
                "{bad}"
            );
        }
        let e = err(":5000/app");
        assert_eq!(
            (e.message.as_str(), e.part),
            ("the registry host is missing in `:5000`", 0..5)
        );
        let e = err("myhost:50a0/app");
        assert_eq!(
            e.message,
            "invalid registry port `50a0` in `myhost:50a0`: a port is digits only"
        );
        assert_eq!(e.part, 7..11);
        assert_eq!(
            err("myhost:/app").message,
            "the registry port after `:` in `myhost:` is empty"
        );
        for bad in [
            "https://github.com/docker/docker",
            "[fc00::1]",
            "[fc00::1]:5000",
            "fc00::1:5000/debian",
            "[fe80::1%eth0]:5000/debian",
            "[2001:db8:3:4::192.0.2.33]:5000/debian",
            "[]/x",
            "[::1]x/app",
            "a..b/x",
        ] {
            err(bad);
        }
    }

    #[test]
    fn tag_errors() {
        let e = err("app:v1 .0");
        assert_eq!(
            e.message,
            "invalid tag `v1 .0`: a tag is up to 128 characters of letters, digits, `_`, `.` and `-`, and cannot start with `.` or `-`"
        );
        assert_eq!(e.part, 4..9);
        assert_eq!(err("app:-x").part, 4..6);
        assert_eq!(err("app:.x").part, 4..6);
        assert!(err("app:a:b").message.starts_with("invalid tag `a:b`"));
        assert_eq!(
            err("app:"),
            ImageRefError {
                message: "the tag after `:` is empty".into(),
                part: 3..4
            }
        );
        let e = err(&format!("app:{}", "t".repeat(129)));
        assert_eq!(
            e.message,
            "invalid tag: it is 129 characters long; at most 128 are allowed"
        );
        assert_eq!(e.part, 4..133);
        ok(&format!("app:{}", "t".repeat(128)));
        ok("app:_x");
        ok("lowercase:Uppercase");
    }

    #[test]
    fn digest_errors() {
        let e = err("app@sha256:abcdef012345");
        assert_eq!(
            e.message,
            "invalid digest: sha256 needs 64 hex characters, found 12"
        );
        assert_eq!(e.part, 11..23);
        let e = err(&format!("app@md5:{}", "a".repeat(32)));
        assert_eq!(
            e.message,
            "invalid digest: unsupported algorithm `md5`; use sha256, sha384 or sha512"
        );
        assert_eq!(e.part, 4..7);
        assert!(
            err(&format!("app@SHA256:{}", "a".repeat(64)))
                .message
                .contains("unsupported algorithm `SHA256`")
        );
        let e = err(&format!("app@sha256:{}", "A".repeat(64)));
        assert_eq!(
            e.message,
            "invalid digest: the hex characters must be lowercase"
        );
        let e = err(&format!("app@sha256:{}g", "a".repeat(63)));
        assert_eq!(e.message, "invalid digest: `g` is not a hexadecimal digit");
        let e = err("app@");
        assert_eq!(
            (e.message.as_str(), e.part),
            ("the digest after `@` is empty", 3..4)
        );
        assert!(
            err("app@sha256")
                .message
                .starts_with("invalid digest `sha256`")
        );
        assert!(
            err(&format!("app@:{}", "a".repeat(64)))
                .message
                .starts_with("invalid digest `:")
        );
        assert!(
            err(&format!("app@{SHA}:tag"))
                .message
                .contains("not a hexadecimal digit")
        );
        assert!(
            err(&format!("app@{SHA}@{SHA}"))
                .message
                .contains("not a hexadecimal digit")
        );
        assert_eq!(
            err(&format!("app@sha384:{}", "a".repeat(64))).message,
            "invalid digest: sha384 needs 96 hex characters, found 64"
        );
    }

    #[test]
    fn non_ascii_is_reported_on_char_boundaries() {
        let e = err("café/app");
        assert!(e.message.contains("`é` is not allowed"), "{}", e.message);
        let e = err("app:tést");
        assert_eq!(e.part, 4..9);
        let e = err("app\u{0}:1");
        assert!(e.message.contains("\\u{0}"), "{}", e.message);
    }

    /// xorshift64*: deterministic, no extra crate.
    struct Rng(u64);
    impl Rng {
        fn next(&mut self) -> u64 {
            self.0 ^= self.0 >> 12;
            self.0 ^= self.0 << 25;
            self.0 ^= self.0 >> 27;
            self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
        }
        fn below(&mut self, n: usize) -> usize {
            (self.next() % n as u64) as usize
        }
    }

    #[test]
    fn never_panics_and_results_are_consistent() {
        let pieces = [
            "a",
            "z",
            "0",
            "9",
            "A",
            "Z",
            "/",
            "/",
            ":",
            "@",
            ".",
            "-",
            "_",
            "__",
            "--",
            "[",
            "]",
            "::1",
            " ",
            "\t",
            "é",
            "🐳",
            "\u{0}",
            "#",
            "sha256:",
            "sha512:",
            "md5:",
            SHA,
            "ffffffffffffffff",
            "docker.io",
            "index.docker.io",
            "localhost",
            "library",
            ECR,
            "public.ecr.aws",
            "dkr-ecr",
            ".on.aws",
            ":5000",
            "latest",
            "nginx",
        ];
        let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
        let mut parsed = 0;
        for _ in 0..50_000 {
            let mut image = String::new();
            for _ in 0..rng.below(14) {
                image.push_str(pieces[rng.below(pieces.len())]);
            }
            match parse(&image) {
                Ok(r) => {
                    parsed += 1;
                    let spans = [
                        &r.spans.domain,
                        &Some(r.spans.path.clone()),
                        &r.spans.tag,
                        &r.spans.digest,
                    ];
                    for span in spans.into_iter().flatten() {
                        assert!(image.get(span.clone()).is_some(), "{image:?} {span:?}");
                    }
                    assert_eq!(slice(&image, &r.spans.tag), r.tag, "{image:?}");
                    assert_eq!(slice(&image, &r.spans.digest), r.digest, "{image:?}");
                    assert!(r.path.ends_with(&image[r.spans.path.clone()]), "{image:?}");
                    // The canonical form means the same image.
                    let canonical = r.to_string();
                    if canonical.len() <= ECS_IMAGE_MAX_CHARS {
                        let again = ok(&canonical);
                        assert_eq!(
                            (
                                &again.domain,
                                &again.path,
                                &again.tag,
                                &again.digest,
                                &again.registry
                            ),
                            (&r.domain, &r.path, &r.tag, &r.digest, &r.registry),
                            "{image:?}"
                        );
                    }
                    let pinned = r.with_digest(SHA);
                    if pinned.len() <= ECS_IMAGE_MAX_CHARS {
                        let again = ok(&pinned);
                        assert_eq!(again.digest.as_deref(), Some(SHA), "{image:?}");
                        assert_eq!((&again.path, &again.tag), (&r.path, &r.tag), "{image:?}");
                    }
                }
                Err(e) => {
                    assert!(!e.message.is_empty());
                    assert!(image.get(e.part.clone()).is_some(), "{image:?} {e:?}");
                    assert!(
                        e.part.start < e.part.end || image.is_empty(),
                        "{image:?} {e:?}"
                    );
                }
            }
        }
        // The generator must reach the success path often enough to test it.
        assert!(parsed > 1_000, "only {parsed} parsed");
    }

    /// Run with `cargo test --release -- --ignored --nocapture parse_speed`.
    #[test]
    #[ignore]
    fn parse_speed() {
        let images = [
            "nginx".to_string(),
            "nginx:1.25".to_string(),
            format!("{ECR}/team/app:v1.2.3"),
            format!("{ECR}/team/app:v1.2.3@{SHA}"),
            "public.ecr.aws/amazonlinux/amazonlinux:2023".to_string(),
            "quay.io/assemblyline/ubuntu".to_string(),
            "bad image".to_string(),
        ];
        let rounds = 200_000;
        let start = std::time::Instant::now();
        let mut ok_count = 0;
        for _ in 0..rounds {
            for image in &images {
                ok_count += usize::from(parse(std::hint::black_box(image)).is_ok());
            }
        }
        let elapsed = start.elapsed();
        let per_second = (rounds * images.len()) as f64 / elapsed.as_secs_f64();
        println!("{ok_count} ok; {per_second:.0} parses per second");
    }
}
