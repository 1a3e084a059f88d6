//! The SDK clients the collector uses, with what every call shares: the standard AWS
//! configuration (credential chain, profile, region, `AWS_*` variables, `AWS_ENDPOINT_URL`,
//! `AWS_MAX_ATTEMPTS`), a bound on concurrent calls, and a log of every API operation made (for
//! the run summary, the benchmark and the least-privilege test).
//!
//! Nothing here ever prints or stores credentials: errors are described by their AWS error
//! code and message, or by the transport failure.

use std::collections::BTreeMap;
use std::fmt;
use std::future::Future;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use aws_config::{BehaviorVersion, Region, SdkConfig};
use aws_sdk_ecr::config::interceptors::BeforeSerializationInterceptorContextRef;
use aws_sdk_ecr::config::{ConfigBag, Intercept, RuntimeComponents};
use aws_sdk_ecr::error::{BoxError, DisplayErrorContext, ProvideErrorMetadata, SdkError};
use aws_smithy_runtime_api::client::orchestrator::{HttpResponse, Metadata};
use tokio::sync::{Semaphore, SemaphorePermit};

/// At most this many API calls are in flight at once: fast, and far below the API rate limits.
pub const MAX_CONCURRENT_CALLS: usize = 8;

/// Every API operation started, as `service:Operation` (IAM action spelling: `ecr:DescribeImages`).
#[derive(Debug, Default)]
pub struct CallLog {
    count: AtomicUsize,
    calls: Mutex<Vec<String>>,
}

impl CallLog {
    fn record(&self, service: &str, operation: &str) {
        self.count.fetch_add(1, Ordering::Relaxed);
        let name = iam_action(service, operation);
        if let Ok(mut calls) = self.calls.lock() {
            calls.push(name);
        }
    }

    /// Calls made so far (for the progress line).
    pub fn count(&self) -> usize {
        self.count.load(Ordering::Relaxed)
    }

    /// Operation → number of calls.
    pub fn by_operation(&self) -> BTreeMap<String, usize> {
        let mut out = BTreeMap::new();
        if let Ok(calls) = self.calls.lock() {
            for c in calls.iter() {
                *out.entry(c.clone()).or_insert(0) += 1;
            }
        }
        out
    }
}

/// An operation as the IAM action that authorizes it (`ecr:DescribeImages`). Mostly the
/// service's name and the operation; the exceptions are named here: CloudWatch Logs actions
/// are `logs:`, and S3's ListObjectsV2 is authorized by `s3:ListBucket`
/// (https://docs.aws.amazon.com/AmazonS3/latest/API/API_ListObjectsV2.html).
pub fn iam_action(service: &str, operation: &str) -> String {
    let prefix: String = service
        .chars()
        .filter(|c| !c.is_whitespace())
        .collect::<String>()
        .to_ascii_lowercase();
    match (prefix.as_str(), operation) {
        ("cloudwatchlogs", op) => format!("logs:{op}"),
        ("s3", "ListObjectsV2") => "s3:ListBucket".to_string(),
        (p, op) => format!("{p}:{op}"),
    }
}

/// Records each operation once per execution (retries are not new operations). The operation's
/// name is in the config only once the operation's configuration is applied, so this reads it
/// before serialization (once per execution), not before execution.
#[derive(Debug)]
struct Recorder(Arc<CallLog>);

impl Intercept for Recorder {
    fn name(&self) -> &'static str {
        "ecs-preflight call log"
    }

    fn read_before_serialization(
        &self,
        _context: &BeforeSerializationInterceptorContextRef<'_>,
        _components: &RuntimeComponents,
        cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        match cfg.load::<Metadata>() {
            Some(m) => self.0.record(m.service(), m.name()),
            None => self.0.record("unknown", "UnknownOperation"),
        }
        Ok(())
    }
}

/// Where and as whom to read.
#[derive(Clone, Debug, Default)]
pub struct Target {
    pub profile: Option<String>,
    /// `--region`; else the profile's or the environment's.
    pub region: Option<String>,
}

/// The clients, cheap to clone (each is an `Arc` inside).
#[derive(Clone)]
pub struct Aws {
    sdk: SdkConfig,
    pub log: Arc<CallLog>,
    limit: Arc<Semaphore>,
    /// The region the task definitions deploy to: EC2, ECS and (globally) IAM are read there.
    pub region: String,
    pub iam: aws_sdk_iam::Client,
    pub ec2: aws_sdk_ec2::Client,
    pub ecs: aws_sdk_ecs::Client,
    pub sts: aws_sdk_sts::Client,
}

impl fmt::Debug for Aws {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // No credentials here, but no config dump either.
        write!(f, "Aws {{ region: {} }}", self.region)
    }
}

impl Aws {
    /// Loads the standard AWS configuration (or takes `config` as it is: tests point it at a
    /// local stand-in). Fails only when no region can be found.
    pub async fn connect(target: &Target, config: Option<SdkConfig>) -> Result<Aws, String> {
        let sdk = match config {
            Some(c) => c,
            None => Self::load(target).await,
        };
        Self::from_config(sdk)
    }

    async fn load(target: &Target) -> SdkConfig {
        // An endpoint that accepts connections and never answers (a black hole, a stuck
        // proxy) must be given up on in about 15 s, not after three 30-second attempts: no
        // read waits more than 10 s, and no call (its retries included) lasts more than 15 s.
        let mut loader = aws_config::defaults(BehaviorVersion::latest()).timeout_config(
            aws_config::timeout::TimeoutConfig::builder()
                .connect_timeout(Duration::from_secs(5))
                .read_timeout(Duration::from_secs(10))
                .operation_attempt_timeout(Duration::from_secs(15))
                .operation_timeout(Duration::from_secs(15))
                .build(),
        );
        if let Some(p) = &target.profile {
            loader = loader.profile_name(p);
        }
        if let Some(r) = &target.region {
            loader = loader.region(Region::new(r.clone()));
        }
        loader.load().await
    }

    fn from_config(sdk: SdkConfig) -> Result<Aws, String> {
        let Some(region) = sdk.region().map(|r| r.as_ref().to_string()) else {
            return Err(
                "no AWS region: pass --region, set AWS_REGION, or set `region` in the AWS profile"
                    .to_string(),
            );
        };
        let log = Arc::new(CallLog::default());
        let iam = aws_sdk_iam::Client::from_conf(
            aws_sdk_iam::config::Builder::from(&sdk)
                .interceptor(Recorder(log.clone()))
                .build(),
        );
        let ec2 = aws_sdk_ec2::Client::from_conf(
            aws_sdk_ec2::config::Builder::from(&sdk)
                .interceptor(Recorder(log.clone()))
                .build(),
        );
        let ecs = aws_sdk_ecs::Client::from_conf(
            aws_sdk_ecs::config::Builder::from(&sdk)
                .interceptor(Recorder(log.clone()))
                .build(),
        );
        let sts = aws_sdk_sts::Client::from_conf(
            aws_sdk_sts::config::Builder::from(&sdk)
                .interceptor(Recorder(log.clone()))
                .build(),
        );
        Ok(Aws {
            sdk,
            log,
            limit: Arc::new(Semaphore::new(MAX_CONCURRENT_CALLS)),
            region,
            iam,
            ec2,
            ecs,
            sts,
        })
    }

    /// An ECR client for a registry's region (ECR is regional; the registry's region comes
    /// from the image URI).
    pub fn ecr(&self, region: &str) -> aws_sdk_ecr::Client {
        aws_sdk_ecr::Client::from_conf(
            aws_sdk_ecr::config::Builder::from(&self.sdk)
                .region(Region::new(region.to_string()))
                .interceptor(Recorder(self.log.clone()))
                .build(),
        )
    }

    /// A Secrets Manager client for a region (secrets are regional; the region comes from the
    /// secret's ARN, else the deployment region).
    pub fn secretsmanager(&self, region: &str) -> aws_sdk_secretsmanager::Client {
        aws_sdk_secretsmanager::Client::from_conf(
            aws_sdk_secretsmanager::config::Builder::from(&self.sdk)
                .region(Region::new(region.to_string()))
                .interceptor(Recorder(self.log.clone()))
                .build(),
        )
    }

    /// An SSM client for a region.
    pub fn ssm(&self, region: &str) -> aws_sdk_ssm::Client {
        aws_sdk_ssm::Client::from_conf(
            aws_sdk_ssm::config::Builder::from(&self.sdk)
                .region(Region::new(region.to_string()))
                .interceptor(Recorder(self.log.clone()))
                .build(),
        )
    }

    /// A KMS client for a region.
    pub fn kms(&self, region: &str) -> aws_sdk_kms::Client {
        aws_sdk_kms::Client::from_conf(
            aws_sdk_kms::config::Builder::from(&self.sdk)
                .region(Region::new(region.to_string()))
                .interceptor(Recorder(self.log.clone()))
                .build(),
        )
    }

    /// A CloudWatch Logs client for a region (`awslogs-region`).
    pub fn logs(&self, region: &str) -> aws_sdk_cloudwatchlogs::Client {
        aws_sdk_cloudwatchlogs::Client::from_conf(
            aws_sdk_cloudwatchlogs::config::Builder::from(&self.sdk)
                .region(Region::new(region.to_string()))
                .interceptor(Recorder(self.log.clone()))
                .build(),
        )
    }

    /// An S3 client for a region. With a custom endpoint (`AWS_ENDPOINT_URL`: a local
    /// stand-in) requests are path-style: `bucket.127.0.0.1` does not resolve.
    pub fn s3(&self, region: &str) -> aws_sdk_s3::Client {
        aws_sdk_s3::Client::from_conf(
            aws_sdk_s3::config::Builder::from(&self.sdk)
                .region(Region::new(region.to_string()))
                .force_path_style(self.sdk.endpoint_url().is_some())
                .interceptor(Recorder(self.log.clone()))
                .build(),
        )
    }

    /// A permit to make one call (or one paginated series of calls). The semaphore is never
    /// closed, so there always is one; `None` would only let the call go unbounded.
    pub async fn permit(&self) -> Option<SemaphorePermit<'_>> {
        self.limit.acquire().await.ok()
    }

    /// The account of the credentials (`sts:GetCallerIdentity`, which needs no permission).
    pub async fn caller_account(&self) -> Result<String, String> {
        let _p = self.permit().await;
        match self.sts.get_caller_identity().send().await {
            Ok(out) => out
                .account()
                .map(str::to_string)
                .ok_or_else(|| "GetCallerIdentity returned no account".to_string()),
            Err(e) => Err(describe("sts:GetCallerIdentity", &e)),
        }
    }
}

/// The AWS error code of a failed call (`AccessDeniedException`, `NoSuchEntity`, …), if the
/// service answered.
pub fn code<E: ProvideErrorMetadata, R>(err: &SdkError<E, R>) -> Option<&str> {
    match err {
        SdkError::ServiceError(e) => e.err().code(),
        _ => None,
    }
}

/// Whether a call failed with one of these error codes.
pub fn is<E: ProvideErrorMetadata, R>(err: &SdkError<E, R>, codes: &[&str]) -> bool {
    code(err).is_some_and(|c| codes.contains(&c))
}

/// A one-line reason for the run summary: the operation, the AWS error code and message, or
/// the transport failure (timeout, no connection). Never credentials.
pub fn describe<E>(operation: &str, err: &SdkError<E, HttpResponse>) -> String
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
{
    match err {
        SdkError::ServiceError(service) => {
            let e = service.err();
            // A status without an AWS error code (a proxy, or a stand-in) still says what
            // happened.
            let status = match service.raw().status().as_u16() {
                403 => "access denied (HTTP 403)".to_string(),
                429 => "throttled (HTTP 429)".to_string(),
                n if n >= 500 => format!("server error (HTTP {n})"),
                n => format!("HTTP {n}"),
            };
            let code = e.code().unwrap_or(&status);
            match e.message() {
                Some(m) if !m.is_empty() => format!("{operation} failed: {code}: {m}"),
                _ => format!("{operation} failed: {code}"),
            }
        }
        SdkError::TimeoutError(_) => format!("{operation} timed out"),
        SdkError::DispatchFailure(e) => {
            let why = if e.is_timeout() {
                "timed out".to_string()
            } else if e.is_io() {
                "could not connect".to_string()
            } else {
                let full = DisplayErrorContext(err).to_string();
                if full.contains("loading credentials") {
                    // The SDK's error for this prints its whole internal state; say what to do.
                    "no AWS credentials could be loaded (tried the AWS_* variables, the shared \
                     config and credentials files incl. SSO profiles, and the instance metadata \
                     service): run `aws configure`, or `aws sso login --profile P` and pass \
                     `--profile P`"
                        .to_string()
                } else {
                    full
                }
            };
            format!("{operation} failed: {why}")
        }
        _ => format!("{operation} failed: {}", DisplayErrorContext(err)),
    }
}

/// Runs futures concurrently (each call inside takes a permit, so at most
/// [`MAX_CONCURRENT_CALLS`] are in flight) and returns their results in order.
pub async fn all<T, F>(futures: Vec<F>) -> Result<Vec<T>, String>
where
    F: Future<Output = T> + Send + 'static,
    T: Send + 'static,
{
    let mut set = tokio::task::JoinSet::new();
    for (i, f) in futures.into_iter().enumerate() {
        set.spawn(async move { (i, f.await) });
    }
    let mut out: Vec<(usize, T)> = Vec::new();
    while let Some(joined) = set.join_next().await {
        match joined {
            Ok(r) => out.push(r),
            Err(e) => return Err(format!("internal error in the AWS collector: {e}")),
        }
    }
    out.sort_by_key(|(i, _)| *i);
    Ok(out.into_iter().map(|(_, t)| t).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn operations_are_named_as_their_iam_actions() {
        assert_eq!(iam_action("ECR", "DescribeImages"), "ecr:DescribeImages");
        assert_eq!(
            iam_action("CloudWatch Logs", "DescribeLogGroups"),
            "logs:DescribeLogGroups"
        );
        assert_eq!(
            iam_action("CloudWatchLogs", "DescribeLogGroups"),
            "logs:DescribeLogGroups"
        );
        assert_eq!(iam_action("S3", "ListObjectsV2"), "s3:ListBucket");
        assert_eq!(iam_action("S3", "GetBucketPolicy"), "s3:GetBucketPolicy");
        assert_eq!(
            iam_action("Secrets Manager", "DescribeSecret"),
            "secretsmanager:DescribeSecret"
        );
    }
}
