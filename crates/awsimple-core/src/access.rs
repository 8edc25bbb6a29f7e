//! [`AwsAccess`]: credentials, region, endpoint, timeouts and retries, shared by every service.

use std::borrow::Cow;
use std::fmt;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use aws_config::meta::region::ProvideRegion;
use aws_config::profile::{ProfileFileCredentialsProvider, ProfileFileRegionProvider};
use aws_config::retry::RetryConfig;
use aws_config::timeout::TimeoutConfig;
use aws_config::{BehaviorVersion, Region, SdkConfig};
use aws_credential_types::Credentials;
use aws_credential_types::provider::{ProvideCredentials, SharedCredentialsProvider};
use aws_runtime::env_config::file::{
    EnvConfigFileKind as ProfileFileKind, EnvConfigFiles as ProfileFiles,
};
use aws_types::os_shim_internal::{Env, Fs};
use aws_types::service_config::ServiceConfigKey;
use tokio::sync::OnceCell;
use tracing::{Instrument, debug, info_span};

use crate::error::{Error, Result, chain_message};
use crate::metrics::RequestCounter;

/// Default time allowed to open a connection.
pub const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
/// Default time allowed for one attempt of an operation (one HTTP request and its answer).
pub const DEFAULT_OPERATION_ATTEMPT_TIMEOUT: Duration = Duration::from_secs(120);
/// Default time allowed for a whole operation, retries included.
pub const DEFAULT_OPERATION_TIMEOUT: Duration = Duration::from_secs(600);
/// Default number of attempts per operation (the SDK's standard retry mode).
pub const DEFAULT_MAX_ATTEMPTS: u32 = 3;

/// Access to AWS: who you are (credentials), where (region, optional endpoint), and how requests
/// are sent (timeouts, retries). Build one and hand it to every service handle.
///
/// Cloning is cheap (one `Arc`), so share one `AwsAccess` between all the handles of a program.
///
/// ```no_run
/// # async fn demo() -> awsimple_core::Result<()> {
/// use awsimple_core::AwsAccess;
///
/// // The default chain: environment, `~/.aws` profiles, SSO, container and instance roles.
/// let access = AwsAccess::new().await?;
/// assert!(access.test().await?);
///
/// // A named profile, in another region.
/// let access = AwsAccess::builder().profile("work").region("eu-west-1").build().await?;
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct AwsAccess {
    inner: Arc<Inner>,
}

struct Inner {
    sdk_config: SdkConfig,
    region: String,
    profile: Option<String>,
    counter: RequestCounter,
    sts: aws_sdk_sts::Client,
    account_id: OnceCell<String>,
}

impl fmt::Debug for AwsAccess {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Only what identifies the configuration: never a secret, never the provider internals.
        f.debug_struct("AwsAccess")
            .field("region", &self.inner.region)
            .field("profile", &self.inner.profile)
            .field("endpoint_url", &self.endpoint_url())
            .finish_non_exhaustive()
    }
}

impl AwsAccess {
    /// Access from the default credential chain and region chain (environment variables,
    /// `AWS_PROFILE`, `~/.aws/config` and `~/.aws/credentials`, SSO, container and instance roles),
    /// with awsimple's default timeouts and retries. `AWS_ENDPOINT_URL` is honoured.
    pub async fn new() -> Result<Self> {
        Self::builder().build().await
    }

    /// A builder for every other way of configuring access.
    pub fn builder() -> AwsAccessBuilder {
        AwsAccessBuilder::default()
    }

    /// Access from an `SdkConfig` you built yourself (with `aws_config::defaults(..).load()`).
    /// It must have a region.
    pub fn from_sdk_config(sdk_config: SdkConfig) -> Result<Self> {
        Self::from_parts(sdk_config, None)
    }

    fn from_parts(sdk_config: SdkConfig, profile: Option<String>) -> Result<Self> {
        let region = sdk_config
            .region()
            .map(|r| r.as_ref().to_owned())
            .ok_or_else(|| {
                Error::config(
                    "no AWS region is configured: pass one with AwsAccess::builder().region(..), \
                     set AWS_REGION, or add `region = ...` to the profile in ~/.aws/config",
                )
            })?;
        if region.is_empty() {
            return Err(Error::config("the AWS region is empty"));
        }
        let counter = RequestCounter::new();
        let sts_config = aws_sdk_sts::config::Builder::from(&sdk_config)
            .interceptor(counter.clone())
            .build();
        Ok(Self {
            inner: Arc::new(Inner {
                sts: aws_sdk_sts::Client::from_conf(sts_config),
                sdk_config,
                region,
                profile,
                counter,
                account_id: OnceCell::new(),
            }),
        })
    }

    /// The SDK configuration, to build a client of a service awsimple does not wrap (add
    /// [`AwsAccess::request_counter`] as an interceptor to have its requests counted too).
    pub fn sdk_config(&self) -> &SdkConfig {
        &self.inner.sdk_config
    }

    /// The region, for example `us-west-2`.
    pub fn region(&self) -> &str {
        &self.inner.region
    }

    /// The profile named when this access was built, if one was.
    pub fn profile(&self) -> Option<&str> {
        self.inner.profile.as_deref()
    }

    /// The global endpoint override (from the builder, `AWS_ENDPOINT_URL` or the profile's
    /// `endpoint_url`), if any. A service may have its own: see
    /// [`AwsAccess::service_endpoint_url`].
    pub fn endpoint_url(&self) -> Option<&str> {
        self.inner.sdk_config.endpoint_url()
    }

    /// The endpoint override the SDK client of a service uses, by the SDK's own rule: an
    /// endpoint set in code ([`AwsAccessBuilder::endpoint_url`]) wins; else the service's own
    /// (`AWS_ENDPOINT_URL_<SERVICE>`, the `services` section of the profile); else the global
    /// one ([`AwsAccess::endpoint_url`]). `service_id` is the SDK's service id (`"S3"`,
    /// `"DynamoDB"`, `"SQS"`, `"SNS"`). S3 handles use path-style addressing whenever this is
    /// set, as emulators and S3-compatible stores need.
    pub fn service_endpoint_url(&self, service_id: &str) -> Option<String> {
        let config = &self.inner.sdk_config;
        if config.get_origin("endpoint_url").is_client_config() {
            return config.endpoint_url().map(str::to_owned);
        }
        let key = ServiceConfigKey::builder()
            .service_id(service_id)
            .env("AWS_ENDPOINT_URL")
            .profile("endpoint_url")
            .build()
            .ok();
        key.and_then(|key| config.service_config()?.load_config(key))
            .or_else(|| config.endpoint_url().map(str::to_owned))
    }

    /// Counts every HTTP request sent through service handles made from this access.
    pub fn request_counter(&self) -> &RequestCounter {
        &self.inner.counter
    }

    /// The access key id in use (resolves the credentials when they were not yet resolved).
    /// The secret key and session token are never exposed by awsimple.
    pub async fn access_key_id(&self) -> Result<String> {
        let provider = self.credentials_provider()?;
        let credentials = provider.provide_credentials().await.map_err(|e| {
            Error::config(format!("no usable AWS credentials: {}", chain_message(&e)))
        })?;
        Ok(credentials.access_key_id().to_owned())
    }

    fn credentials_provider(&self) -> Result<SharedCredentialsProvider> {
        self.inner.sdk_config.credentials_provider().ok_or_else(|| {
            Error::config("no credentials provider is configured (the SdkConfig has none)")
        })
    }

    /// Checks the credentials with STS GetCallerIdentity, which needs no permission.
    ///
    /// `Ok(true)`: AWS accepts the credentials. `Ok(false)`: AWS rejects them (unknown key id,
    /// wrong secret, expired token). `Err(..)`: a configuration problem (no credentials found,
    /// unknown profile) or the endpoint could not be reached.
    pub async fn test(&self) -> Result<bool> {
        match self.caller_identity().await {
            Ok(_) => Ok(true),
            Err(Error::Credentials { .. }) => Ok(false),
            Err(other) => Err(other),
        }
    }

    /// The 12-digit account id of the credentials (STS GetCallerIdentity, asked once per access).
    pub async fn account_id(&self) -> Result<String> {
        self.inner
            .account_id
            .get_or_try_init(|| self.caller_identity())
            .await
            .cloned()
    }

    async fn caller_identity(&self) -> Result<String> {
        let span = info_span!("sts.get_caller_identity", region = %self.region());
        async {
            let output = self
                .inner
                .sts
                .get_caller_identity()
                .send()
                .await
                .map_err(|e| {
                    match Error::from_sdk(e, "GetCallerIdentity", "STS caller identity") {
                        // GetCallerIdentity needs no permission: a refusal (a 403 without a code
                        // the SDK could read, as moto answers) means the credentials are rejected.
                        Error::PermissionDenied {
                            resource,
                            operation,
                            message,
                            answer,
                        } => Error::Credentials {
                            resource,
                            operation,
                            message,
                            answer,
                        },
                        other => other,
                    }
                })?;
            let account = output.account().unwrap_or_default().to_owned();
            debug!(account = %account, "credentials accepted");
            let _ = self.inner.account_id.set(account.clone());
            Ok(account)
        }
        .instrument(span)
        .await
    }
}

fn files_or_default(files: Option<&ProfileFiles>) -> ProfileFiles {
    files.cloned().unwrap_or_default()
}

/// Builds an [`AwsAccess`]. Everything not set comes from the default chains.
#[derive(Default)]
pub struct AwsAccessBuilder {
    base: Option<SdkConfig>,
    profile: Option<String>,
    region: Option<String>,
    credentials: Option<Credentials>,
    endpoint_url: Option<String>,
    config_file: Option<PathBuf>,
    credentials_file: Option<PathBuf>,
    connect_timeout: Option<Duration>,
    operation_attempt_timeout: Option<Option<Duration>>,
    operation_timeout: Option<Option<Duration>>,
    max_attempts: Option<u32>,
    retry_config: Option<RetryConfig>,
}

impl fmt::Debug for AwsAccessBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AwsAccessBuilder")
            .field("profile", &self.profile)
            .field("region", &self.region)
            .field(
                "access_key_id",
                &self.credentials.as_ref().map(|c| c.access_key_id()),
            )
            .field("endpoint_url", &self.endpoint_url)
            .finish_non_exhaustive()
    }
}

impl AwsAccessBuilder {
    /// Use this named profile of `~/.aws/config` and `~/.aws/credentials` (instead of
    /// `AWS_PROFILE` or `default`). An unknown profile is an [`Error::Config`] from `build`.
    pub fn profile(mut self, name: impl Into<String>) -> Self {
        self.profile = Some(name.into());
        self
    }

    /// Use this region (instead of `AWS_REGION` or the profile's).
    pub fn region(mut self, region: impl Into<String>) -> Self {
        self.region = Some(region.into());
        self
    }

    /// Use these keys (instead of the default chain). The secret is kept by the SDK's
    /// `Credentials`, whose `Debug` redacts it.
    pub fn credentials(
        mut self,
        access_key_id: impl Into<String>,
        secret_access_key: impl Into<String>,
        session_token: Option<String>,
    ) -> Self {
        self.credentials = Some(Credentials::new(
            access_key_id,
            secret_access_key,
            session_token,
            None,
            "awsimple",
        ));
        self
    }

    /// Send every request to this endpoint (an emulator such as moto or LocalStack, or a VPC
    /// endpoint). Without it, `AWS_ENDPOINT_URL` (and `AWS_ENDPOINT_URL_<SERVICE>`) apply.
    pub fn endpoint_url(mut self, url: impl Into<String>) -> Self {
        self.endpoint_url = Some(url.into());
        self
    }

    /// Read profiles from this config file instead of `~/.aws/config` (and `AWS_CONFIG_FILE`).
    pub fn config_file(mut self, path: impl Into<PathBuf>) -> Self {
        self.config_file = Some(path.into());
        self
    }

    /// Read profiles from this credentials file instead of `~/.aws/credentials` (and
    /// `AWS_SHARED_CREDENTIALS_FILE`).
    pub fn credentials_file(mut self, path: impl Into<PathBuf>) -> Self {
        self.credentials_file = Some(path.into());
        self
    }

    /// Time allowed to open a connection (default [`DEFAULT_CONNECT_TIMEOUT`]).
    pub fn connect_timeout(mut self, timeout: Duration) -> Self {
        self.connect_timeout = Some(timeout);
        self
    }

    /// Time allowed for one attempt (default [`DEFAULT_OPERATION_ATTEMPT_TIMEOUT`]); `None`
    /// for no limit.
    pub fn operation_attempt_timeout(mut self, timeout: Option<Duration>) -> Self {
        self.operation_attempt_timeout = Some(timeout);
        self
    }

    /// Time allowed for a whole operation, retries included (default
    /// [`DEFAULT_OPERATION_TIMEOUT`]); `None` for no limit.
    pub fn operation_timeout(mut self, timeout: Option<Duration>) -> Self {
        self.operation_timeout = Some(timeout);
        self
    }

    /// Attempts per operation in the SDK's standard retry mode (default
    /// [`DEFAULT_MAX_ATTEMPTS`]; 1 disables retries).
    pub fn max_attempts(mut self, attempts: u32) -> Self {
        self.max_attempts = Some(attempts.max(1));
        self
    }

    /// A retry configuration of your own (wins over [`AwsAccessBuilder::max_attempts`]).
    pub fn retry_config(mut self, retry: RetryConfig) -> Self {
        self.retry_config = Some(retry);
        self
    }

    /// Start from an `SdkConfig` you loaded yourself; the builder's settings override it.
    pub fn sdk_config(mut self, config: SdkConfig) -> Self {
        self.base = Some(config);
        self
    }

    fn profile_files(&self) -> Option<ProfileFiles> {
        if self.config_file.is_none() && self.credentials_file.is_none() {
            return None;
        }
        let mut files = ProfileFiles::builder();
        match &self.config_file {
            Some(path) => files = files.with_file(ProfileFileKind::Config, path),
            None => files = files.include_default_config_file(true),
        }
        match &self.credentials_file {
            Some(path) => files = files.with_file(ProfileFileKind::Credentials, path),
            None => files = files.include_default_credentials_file(true),
        }
        Some(files.build())
    }

    /// Fails with [`Error::Config`] when a profile was asked for (here or by `AWS_PROFILE`) but is
    /// in neither file: the SDK would only say so at the first request, far from the cause.
    async fn check_profile(&self, files: &ProfileFiles) -> Result<()> {
        let env = Env::real();
        let from_env = env.get("AWS_PROFILE").ok().filter(|p| !p.is_empty());
        let Some(wanted) = self.profile.clone().or(from_env) else {
            return Ok(());
        };
        let set =
            aws_config::profile::load(&Fs::real(), &env, files, Some(Cow::Owned(wanted.clone())))
                .await
                .map_err(|e| {
                    Error::config(format!(
                        "could not read the AWS profile files: {}",
                        chain_message(&e)
                    ))
                })?;
        if set.get_profile(&wanted).is_none() {
            let mut known: Vec<&str> = set.profiles().collect();
            known.sort_unstable();
            return Err(Error::config(format!(
                "the AWS profile `{wanted}` is not defined in the config or credentials file \
                 (profiles found: {})",
                if known.is_empty() {
                    "none".to_owned()
                } else {
                    known.join(", ")
                }
            )));
        }
        Ok(())
    }

    /// Resolves the configuration. Fails with [`Error::Config`] for an unknown profile, a missing
    /// region, or unreadable profile files; credentials themselves are checked by
    /// [`AwsAccess::test`].
    pub async fn build(self) -> Result<AwsAccess> {
        let files = self.profile_files();
        if self.credentials.is_none() || self.profile.is_some() {
            self.check_profile(&files_or_default(files.as_ref()))
                .await?;
        }

        let mut timeouts = TimeoutConfig::builder()
            .connect_timeout(self.connect_timeout.unwrap_or(DEFAULT_CONNECT_TIMEOUT));
        match self
            .operation_attempt_timeout
            .unwrap_or(Some(DEFAULT_OPERATION_ATTEMPT_TIMEOUT))
        {
            Some(t) => timeouts = timeouts.operation_attempt_timeout(t),
            None => timeouts = timeouts.disable_operation_attempt_timeout(),
        }
        match self
            .operation_timeout
            .unwrap_or(Some(DEFAULT_OPERATION_TIMEOUT))
        {
            Some(t) => timeouts = timeouts.operation_timeout(t),
            None => timeouts = timeouts.disable_operation_timeout(),
        }
        let retry = self.retry_config.clone().unwrap_or_else(|| {
            RetryConfig::standard()
                .with_max_attempts(self.max_attempts.unwrap_or(DEFAULT_MAX_ATTEMPTS))
        });

        let sdk_config = match self.base {
            Some(base) => {
                let mut builder = base.into_builder();
                if let Some(region) = self.region {
                    builder.set_region(Some(Region::new(region)));
                }
                if let Some(credentials) = self.credentials {
                    builder.set_credentials_provider(Some(SharedCredentialsProvider::new(
                        credentials,
                    )));
                }
                if let Some(url) = self.endpoint_url {
                    builder.set_endpoint_url(Some(url));
                }
                builder
                    .timeout_config(timeouts.build())
                    .retry_config(retry)
                    .build()
            }
            None => {
                let mut loader = aws_config::defaults(BehaviorVersion::latest())
                    .timeout_config(timeouts.build())
                    .retry_config(retry);
                let files_for_profile = files.clone();
                if let Some(files) = files {
                    loader = loader.profile_files(files);
                }
                let mut region = self.region.map(Region::new);
                if let Some(profile) = &self.profile {
                    // A profile named in code wins over AWS_* variables for its keys and region,
                    // as in boto3 (the SDK's default chains would let the environment win).
                    let files = files_or_default(files_for_profile.as_ref());
                    loader = loader.profile_name(profile);
                    if self.credentials.is_none() {
                        loader = loader.credentials_provider(
                            ProfileFileCredentialsProvider::builder()
                                .profile_name(profile)
                                .profile_files(files.clone())
                                .build(),
                        );
                    }
                    if region.is_none() {
                        region = ProfileFileRegionProvider::builder()
                            .profile_name(profile)
                            .profile_files(files)
                            .build()
                            .region()
                            .await;
                    }
                }
                if let Some(region) = region {
                    loader = loader.region(region);
                }
                if let Some(credentials) = self.credentials {
                    loader = loader.credentials_provider(credentials);
                }
                if let Some(url) = self.endpoint_url {
                    loader = loader.endpoint_url(url);
                }
                loader.load().await
            }
        };
        let access = AwsAccess::from_parts(sdk_config, self.profile)?;
        debug!(?access, "AWS access configured");
        Ok(access)
    }
}
