//! Ambient CI credentials: the environment a CI job finds, so that clients which detect one
//! (sigstore-python through `id`, sigstore-js, cosign) sign with no `--identity-token`.
//!
//! GitHub Actions gives a job `ACTIONS_ID_TOKEN_REQUEST_URL` and `ACTIONS_ID_TOKEN_REQUEST_TOKEN`;
//! the client GETs the URL with `audience=<aud>` added to its query and `Authorization: bearer
//! <request token>`, and reads the JWT from `{"value": ...}`. GitLab CI puts the JWT itself in a
//! variable the pipeline names: `SIGSTORE_ID_TOKEN` is the one Sigstore clients read. Either way
//! the token's claims follow the job, and so do the `GITHUB_*` / `CI_*` variables beside it.
//!
//! | method | path | what |
//! |---|---|---|
//! | POST | `/ci/github-actions/job` | a [`GithubJob`] (JSON, every field optional) -> [`JobEnv`] |
//! | GET | `/ci/github-actions/idtoken` | the token request (`audience`, bearer request token) -> `{"value": JWT}` |
//! | POST | `/ci/gitlab-ci/job` | a [`GitlabJob`] -> [`JobEnv`], the JWT in `SIGSTORE_ID_TOKEN` |
//!
//! The request token is the job itself, resolved and keyed: `sigbox-gha.<base64url JSON>.<tag>`,
//! the tag a keyed hash under the issuer's grant secret. So the issuer keeps no state for it, a
//! restart with the same keys honours it, and one edited by hand is refused. Errors are plain
//! text with their status (the stack gives them its JSON error shape).

use std::collections::BTreeMap;

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::token::{CONFIG_SHA, GIT_SHA};
use crate::{DEFAULT_AUDIENCE, Issuer, MintRequest, Preset};

/// The CI systems whose ambient credentials the issuer serves.
pub const PROVIDERS: [&str; 2] = ["github-actions", "gitlab-ci"];
/// The prefix of a GitHub Actions request token of ours.
const REQUEST_TOKEN_PREFIX: &str = "sigbox-gha.";
/// The variable GitLab pipelines conventionally name their Sigstore ID token.
pub const GITLAB_TOKEN_VARIABLE: &str = "SIGSTORE_ID_TOKEN";

/// What a job endpoint answers: the variables to export, and the identity a verifier should
/// expect (Fulcio's SAN for the job's token: `https://github.com/<job_workflow_ref>` or
/// `https://<ci_config_ref_uri>`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct JobEnv {
    /// Variable name to value, as the CI would set them.
    pub env: BTreeMap<String, String>,
    /// The certificate identity (`--certificate-identity`) the job's signatures carry.
    pub certificate_identity: String,
    /// The token's `iss` (`--certificate-oidc-issuer`): this issuer.
    pub certificate_oidc_issuer: String,
}

/// A refused CI request: its status and one line naming the problem.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct CiError {
    /// The HTTP status.
    pub status: StatusCode,
    /// What was wrong.
    pub message: String,
}

impl CiError {
    fn new(status: StatusCode, message: impl Into<String>) -> Self {
        Self {
            status,
            message: message.into(),
        }
    }
    fn bad_request(message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, message)
    }
    fn unauthorized(message: impl Into<String>) -> Self {
        Self::new(StatusCode::UNAUTHORIZED, message)
    }
}

impl IntoResponse for CiError {
    fn into_response(self) -> Response {
        (self.status, self.message).into_response()
    }
}

/// A GitHub Actions job, as `POST /ci/github-actions/job` takes it; every field is optional and
/// defaults to the `github-actions` preset's value. The claims, the `GITHUB_*` variables and the
/// certificate identity are derived from it together, so they agree.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct GithubJob {
    /// `OWNER/NAME` (default `octo-org/octo-repo`).
    pub repository: Option<String>,
    /// The git ref (default `refs/heads/main`); `refs/tags/...` makes `ref_type` `tag`.
    #[serde(rename = "ref")]
    pub git_ref: Option<String>,
    /// The commit (40 hex).
    pub sha: Option<String>,
    /// The workflow's name (`GITHUB_WORKFLOW`, default `Release`).
    pub workflow: Option<String>,
    /// The workflow file in the repository (default `.github/workflows/release.yml`).
    pub workflow_path: Option<String>,
    /// The commit of the workflow file.
    pub workflow_sha: Option<String>,
    /// A reusable workflow's `OWNER/NAME/PATH@REF`, which the certificate identity then names
    /// (default: the job's own workflow).
    pub job_workflow_ref: Option<String>,
    /// The commit of `job_workflow_ref`.
    pub job_workflow_sha: Option<String>,
    /// What triggered the run (default `push`); `pull_request` changes `sub`.
    pub event_name: Option<String>,
    /// A deployment environment; changes `sub` to `repo:R:environment:E`.
    pub environment: Option<String>,
    /// Who triggered the run (default `octocat`).
    pub actor: Option<String>,
    /// The run's id.
    pub run_id: Option<String>,
    /// The run's attempt (default `1`).
    pub run_attempt: Option<String>,
    /// The run's number.
    pub run_number: Option<String>,
    /// `github-hosted` (default) or `self-hosted`.
    pub runner_environment: Option<String>,
    /// `public` (default), `private` or `internal`.
    pub repository_visibility: Option<String>,
}

/// A [`GithubJob`] with its defaults filled in: what a request token carries.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct Github {
    repository: String,
    #[serde(rename = "ref")]
    git_ref: String,
    sha: String,
    workflow: String,
    workflow_path: String,
    workflow_sha: String,
    job_workflow_ref: String,
    job_workflow_sha: String,
    event_name: String,
    environment: Option<String>,
    actor: String,
    run_id: String,
    run_attempt: String,
    run_number: String,
    runner_environment: String,
    repository_visibility: String,
}

impl GithubJob {
    /// Fills in the defaults.
    pub(crate) fn resolve(self) -> Github {
        let repository = self
            .repository
            .unwrap_or_else(|| "octo-org/octo-repo".into());
        let git_ref = self.git_ref.unwrap_or_else(|| "refs/heads/main".into());
        let workflow_path = self
            .workflow_path
            .unwrap_or_else(|| ".github/workflows/release.yml".into());
        let workflow_sha = self.workflow_sha.unwrap_or_else(|| CONFIG_SHA.into());
        let job_workflow_ref = self
            .job_workflow_ref
            .unwrap_or_else(|| format!("{repository}/{workflow_path}@{git_ref}"));
        Github {
            sha: self.sha.unwrap_or_else(|| GIT_SHA.into()),
            workflow: self.workflow.unwrap_or_else(|| "Release".into()),
            job_workflow_sha: self
                .job_workflow_sha
                .unwrap_or_else(|| workflow_sha.clone()),
            event_name: self.event_name.unwrap_or_else(|| "push".into()),
            environment: self.environment,
            actor: self.actor.unwrap_or_else(|| "octocat".into()),
            run_id: self.run_id.unwrap_or_else(|| "1234567890".into()),
            run_attempt: self.run_attempt.unwrap_or_else(|| "1".into()),
            run_number: self.run_number.unwrap_or_else(|| "42".into()),
            runner_environment: self
                .runner_environment
                .unwrap_or_else(|| "github-hosted".into()),
            repository_visibility: self
                .repository_visibility
                .unwrap_or_else(|| "public".into()),
            repository,
            git_ref,
            workflow_path,
            workflow_sha,
            job_workflow_ref,
        }
    }
}

/// `OWNER/NAME` with both parts non-empty and no further slash.
fn owner_of<'a>(what: &str, path: &'a str) -> Result<&'a str, CiError> {
    match path.split_once('/') {
        Some((owner, name)) if !owner.is_empty() && !name.is_empty() && !name.contains('/') => {
            Ok(owner)
        }
        _ => Err(CiError::bad_request(format!(
            "{what} {path:?} is not OWNER/NAME"
        ))),
    }
}

/// Refuses the first of `fields` (name, value) whose value is empty.
fn none_empty(fields: &[(&str, &String)]) -> Result<(), CiError> {
    match fields.iter().find(|(_, v)| v.is_empty()) {
        Some((name, _)) => Err(CiError::bad_request(format!("{name} is empty"))),
        None => Ok(()),
    }
}

impl Github {
    /// Refuses what GitHub could not have produced, naming the field.
    fn check(&self) -> Result<(), CiError> {
        owner_of("repository", &self.repository)?;
        if !self.git_ref.starts_with("refs/") {
            return Err(CiError::bad_request(format!(
                "ref {:?} is not a full git ref (refs/heads/..., refs/tags/..., refs/pull/...)",
                self.git_ref
            )));
        }
        match self.job_workflow_ref.split_once('@') {
            Some((path, r)) if path.matches('/').count() >= 2 && !r.is_empty() => {}
            _ => {
                return Err(CiError::bad_request(format!(
                    "job_workflow_ref {:?} is not OWNER/NAME/PATH@REF",
                    self.job_workflow_ref
                )));
            }
        }
        let fields = [
            ("sha", &self.sha),
            ("workflow", &self.workflow),
            ("workflow_path", &self.workflow_path),
            ("event_name", &self.event_name),
            ("actor", &self.actor),
            ("run_id", &self.run_id),
            ("run_attempt", &self.run_attempt),
        ];
        none_empty(&fields)
    }

    fn owner(&self) -> &str {
        self.repository
            .split_once('/')
            .map_or(self.repository.as_str(), |(owner, _)| owner)
    }

    fn ref_type(&self) -> &'static str {
        if self.git_ref.starts_with("refs/tags/") {
            "tag"
        } else {
            "branch"
        }
    }

    /// `GITHUB_REF_NAME`: the ref without `refs/heads/` or `refs/tags/` (`N/merge` for a pull).
    fn ref_name(&self) -> &str {
        ["refs/heads/", "refs/tags/", "refs/pull/"]
            .iter()
            .find_map(|p| self.git_ref.strip_prefix(p))
            .unwrap_or(&self.git_ref)
    }

    fn workflow_ref(&self) -> String {
        format!(
            "{}/{}@{}",
            self.repository, self.workflow_path, self.git_ref
        )
    }

    /// GitHub's default `sub`: by environment, then pull request, then ref.
    pub(crate) fn subject(&self) -> String {
        match (&self.environment, self.event_name.as_str()) {
            (Some(env), _) => format!("repo:{}:environment:{env}", self.repository),
            (None, "pull_request" | "pull_request_target") => {
                format!("repo:{}:pull_request", self.repository)
            }
            (None, _) => format!("repo:{}:ref:{}", self.repository, self.git_ref),
        }
    }

    /// The token's claims besides `sub` and the registered ones, named and shaped (all strings)
    /// as GitHub's OIDC token reference has them; Fulcio's `github-workflow` provider reads
    /// them for its 1.3.6.1.4.1.57264.1.8-.1.22 extensions.
    pub(crate) fn claims(&self) -> Vec<(&'static str, Value)> {
        let mut claims: Vec<(&'static str, Value)> = vec![
            ("actor", self.actor.clone().into()),
            ("actor_id", "583231".into()),
            ("base_ref", "".into()),
            ("event_name", self.event_name.clone().into()),
            ("head_ref", "".into()),
            ("job_workflow_ref", self.job_workflow_ref.clone().into()),
            ("job_workflow_sha", self.job_workflow_sha.clone().into()),
            ("ref", self.git_ref.clone().into()),
            ("ref_protected", "true".into()),
            ("ref_type", self.ref_type().into()),
            ("repository", self.repository.clone().into()),
            ("repository_id", "123456789".into()),
            ("repository_owner", self.owner().to_owned().into()),
            ("repository_owner_id", "987654321".into()),
            (
                "repository_visibility",
                self.repository_visibility.clone().into(),
            ),
            ("run_attempt", self.run_attempt.clone().into()),
            ("run_id", self.run_id.clone().into()),
            ("run_number", self.run_number.clone().into()),
            ("runner_environment", self.runner_environment.clone().into()),
            ("sha", self.sha.clone().into()),
            ("workflow", self.workflow.clone().into()),
            ("workflow_ref", self.workflow_ref().into()),
            ("workflow_sha", self.workflow_sha.clone().into()),
        ];
        if let Some(env) = &self.environment {
            claims.push(("environment", env.clone().into()));
        }
        claims
    }

    /// The variables a runner sets for the job, with the token request pair.
    fn env(&self, request_url: String, request_token: String) -> BTreeMap<String, String> {
        let vars = [
            ("CI", "true".to_owned()),
            ("GITHUB_ACTIONS", "true".to_owned()),
            ("ACTIONS_ID_TOKEN_REQUEST_URL", request_url),
            ("ACTIONS_ID_TOKEN_REQUEST_TOKEN", request_token),
            ("GITHUB_ACTOR", self.actor.clone()),
            ("GITHUB_API_URL", "https://api.github.com".to_owned()),
            ("GITHUB_EVENT_NAME", self.event_name.clone()),
            ("GITHUB_REF", self.git_ref.clone()),
            ("GITHUB_REF_NAME", self.ref_name().to_owned()),
            ("GITHUB_REF_TYPE", self.ref_type().to_owned()),
            ("GITHUB_REPOSITORY", self.repository.clone()),
            ("GITHUB_REPOSITORY_OWNER", self.owner().to_owned()),
            ("GITHUB_RUN_ATTEMPT", self.run_attempt.clone()),
            ("GITHUB_RUN_ID", self.run_id.clone()),
            ("GITHUB_RUN_NUMBER", self.run_number.clone()),
            ("GITHUB_SERVER_URL", "https://github.com".to_owned()),
            ("GITHUB_SHA", self.sha.clone()),
            ("GITHUB_WORKFLOW", self.workflow.clone()),
            ("GITHUB_WORKFLOW_REF", self.workflow_ref()),
            ("GITHUB_WORKFLOW_SHA", self.workflow_sha.clone()),
            ("RUNNER_ENVIRONMENT", self.runner_environment.clone()),
        ];
        vars.into_iter().map(|(k, v)| (k.to_owned(), v)).collect()
    }
}

/// A GitLab CI job, as `POST /ci/gitlab-ci/job` takes it; every field is optional and defaults
/// to the `gitlab-ci` preset's value.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct GitlabJob {
    /// `NAMESPACE/PROJECT` (default `octo-group/octo-project`; the namespace may be nested).
    pub project_path: Option<String>,
    /// The branch or tag name (default `main`).
    #[serde(rename = "ref")]
    pub git_ref: Option<String>,
    /// `branch` (default) or `tag`.
    pub ref_type: Option<String>,
    /// The commit (40 hex).
    pub sha: Option<String>,
    /// The pipeline definition's path in the project (default `.gitlab-ci.yml`).
    pub ci_config_path: Option<String>,
    /// What started the pipeline (default `push`).
    pub pipeline_source: Option<String>,
    /// The pipeline's id.
    pub pipeline_id: Option<String>,
    /// The job's id.
    pub job_id: Option<String>,
    /// A deployment environment (the optional `environment` claim).
    pub environment: Option<String>,
    /// The instance's host (default `gitlab.com`).
    pub server_host: Option<String>,
    /// The token's `aud` (default `sigstore`, what `id_tokens: SIGSTORE_ID_TOKEN: aud:` says).
    pub audience: Option<String>,
}

/// A [`GitlabJob`] with its defaults filled in.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Gitlab {
    project_path: String,
    git_ref: String,
    ref_type: String,
    sha: String,
    ci_config_path: String,
    pipeline_source: String,
    pipeline_id: String,
    job_id: String,
    environment: Option<String>,
    server_host: String,
    audience: String,
}

impl GitlabJob {
    /// Fills in the defaults.
    pub(crate) fn resolve(self) -> Gitlab {
        Gitlab {
            project_path: self
                .project_path
                .unwrap_or_else(|| "octo-group/octo-project".into()),
            git_ref: self.git_ref.unwrap_or_else(|| "main".into()),
            ref_type: self.ref_type.unwrap_or_else(|| "branch".into()),
            sha: self.sha.unwrap_or_else(|| GIT_SHA.into()),
            ci_config_path: self
                .ci_config_path
                .unwrap_or_else(|| ".gitlab-ci.yml".into()),
            pipeline_source: self.pipeline_source.unwrap_or_else(|| "push".into()),
            pipeline_id: self.pipeline_id.unwrap_or_else(|| "1212".into()),
            job_id: self.job_id.unwrap_or_else(|| "302".into()),
            environment: self.environment,
            server_host: self.server_host.unwrap_or_else(|| "gitlab.com".into()),
            audience: self.audience.unwrap_or_else(|| DEFAULT_AUDIENCE.into()),
        }
    }
}

impl Gitlab {
    fn check(&self) -> Result<(), CiError> {
        match self.project_path.rsplit_once('/') {
            Some((ns, p)) if !ns.is_empty() && !p.is_empty() && !ns.ends_with('/') => {}
            _ => {
                return Err(CiError::bad_request(format!(
                    "project_path {:?} is not NAMESPACE/PROJECT",
                    self.project_path
                )));
            }
        }
        if !matches!(self.ref_type.as_str(), "branch" | "tag") {
            return Err(CiError::bad_request(format!(
                "ref_type {:?}, want branch or tag",
                self.ref_type
            )));
        }
        let fields = [
            ("ref", &self.git_ref),
            ("sha", &self.sha),
            ("ci_config_path", &self.ci_config_path),
            ("server_host", &self.server_host),
            ("audience", &self.audience),
        ];
        none_empty(&fields)
    }

    fn namespace(&self) -> &str {
        self.project_path
            .rsplit_once('/')
            .map_or("", |(namespace, _)| namespace)
    }

    fn ref_path(&self) -> String {
        let kind = if self.ref_type == "tag" {
            "tags"
        } else {
            "heads"
        };
        format!("refs/{kind}/{}", self.git_ref)
    }

    /// Fulcio's `gitlab-pipeline` SAN is `https://` + this.
    fn ci_config_ref_uri(&self) -> String {
        format!(
            "{}/{}//{}@{}",
            self.server_host,
            self.project_path,
            self.ci_config_path,
            self.ref_path()
        )
    }

    /// GitLab's `sub`.
    pub(crate) fn subject(&self) -> String {
        format!(
            "project_path:{}:ref_type:{}:ref:{}",
            self.project_path, self.ref_type, self.git_ref
        )
    }

    /// The token's claims besides `sub` and the registered ones, as GitLab's ID token
    /// reference has them (Fulcio's `gitlab-pipeline` provider reads most of them).
    pub(crate) fn claims(&self) -> Vec<(&'static str, Value)> {
        let mut claims: Vec<(&'static str, Value)> = vec![
            ("ci_config_ref_uri", self.ci_config_ref_uri().into()),
            ("ci_config_sha", CONFIG_SHA.into()),
            ("job_id", self.job_id.clone().into()),
            ("namespace_id", "4243".into()),
            ("namespace_path", self.namespace().to_owned().into()),
            ("pipeline_id", self.pipeline_id.clone().into()),
            ("pipeline_source", self.pipeline_source.clone().into()),
            ("project_id", "42".into()),
            ("project_path", self.project_path.clone().into()),
            ("project_visibility", "public".into()),
            ("ref", self.git_ref.clone().into()),
            ("ref_path", self.ref_path().into()),
            ("ref_protected", "true".into()),
            ("ref_type", self.ref_type.clone().into()),
            ("runner_environment", "gitlab-hosted".into()),
            ("runner_id", "1".into()),
            ("sha", self.sha.clone().into()),
            ("user_id", "1".into()),
            ("user_login", "octocat".into()),
        ];
        if let Some(env) = &self.environment {
            claims.push(("environment", env.clone().into()));
        }
        claims
    }

    fn env(&self, token: String) -> BTreeMap<String, String> {
        let mut vars = vec![
            ("CI", "true".to_owned()),
            ("GITLAB_CI", "true".to_owned()),
            (GITLAB_TOKEN_VARIABLE, token),
            ("CI_COMMIT_REF_NAME", self.git_ref.clone()),
            ("CI_COMMIT_SHA", self.sha.clone()),
            ("CI_CONFIG_PATH", self.ci_config_path.clone()),
            ("CI_JOB_ID", self.job_id.clone()),
            ("CI_PIPELINE_ID", self.pipeline_id.clone()),
            ("CI_PIPELINE_SOURCE", self.pipeline_source.clone()),
            ("CI_PROJECT_NAMESPACE", self.namespace().to_owned()),
            ("CI_PROJECT_PATH", self.project_path.clone()),
            ("CI_SERVER_HOST", self.server_host.clone()),
            ("CI_SERVER_URL", format!("https://{}", self.server_host)),
            ("GITLAB_USER_LOGIN", "octocat".to_owned()),
        ];
        vars.push(if self.ref_type == "tag" {
            ("CI_COMMIT_TAG", self.git_ref.clone())
        } else {
            ("CI_COMMIT_BRANCH", self.git_ref.clone())
        });
        if let Some(env) = &self.environment {
            vars.push(("CI_ENVIRONMENT_NAME", env.clone()));
        }
        vars.into_iter().map(|(k, v)| (k.to_owned(), v)).collect()
    }
}

impl Issuer {
    /// The environment of a GitHub Actions job: its variables with a request token for it.
    pub fn github_job(&self, job: GithubJob) -> Result<JobEnv, CiError> {
        let job = job.resolve();
        job.check()?;
        let payload = URL_SAFE_NO_PAD
            .encode(serde_json::to_vec(&job).map_err(|e| CiError::bad_request(e.to_string()))?);
        let tag = URL_SAFE_NO_PAD.encode(self.request_token_tag(&payload));
        let request_url = format!(
            "{}/ci/github-actions/idtoken?api-version=2.0",
            self.issuer_url()
        );
        let request_token = format!("{REQUEST_TOKEN_PREFIX}{payload}.{tag}");
        Ok(JobEnv {
            env: job.env(request_url, request_token),
            certificate_identity: format!("https://github.com/{}", job.job_workflow_ref),
            certificate_oidc_issuer: self.issuer_url().to_owned(),
        })
    }

    /// The environment of a GitLab CI job, its ID token minted now.
    pub fn gitlab_job(&self, job: GitlabJob) -> Result<JobEnv, CiError> {
        let job = job.resolve();
        job.check()?;
        let token = self
            .mint(&MintRequest {
                preset: Preset::GitlabCi,
                subject: Some(job.subject()),
                audience: Some(job.audience.clone()),
                claims: owned(job.claims()),
                ..MintRequest::default()
            })
            .map_err(|e| CiError::new(StatusCode::INTERNAL_SERVER_ERROR, e.to_string()))?;
        Ok(JobEnv {
            env: job.env(token),
            certificate_identity: format!("https://{}", job.ci_config_ref_uri()),
            certificate_oidc_issuer: self.issuer_url().to_owned(),
        })
    }

    /// GitHub's token request: the bearer request token names the job, `audience` the `aud`
    /// (GitHub's default, the owner's URL, when there is none).
    pub fn github_id_token(
        &self,
        authorization: Option<&str>,
        audience: Option<&str>,
    ) -> Result<String, CiError> {
        let job = self.request_token_job(authorization)?;
        let audience = match audience {
            Some("") => return Err(CiError::bad_request("audience is empty")),
            Some(a) => a.to_owned(),
            None => format!("https://github.com/{}", job.owner()),
        };
        self.mint(&MintRequest {
            preset: Preset::GithubActions,
            subject: Some(job.subject()),
            audience: Some(audience),
            claims: owned(job.claims()),
            ..MintRequest::default()
        })
        .map_err(|e| CiError::new(StatusCode::INTERNAL_SERVER_ERROR, e.to_string()))
    }

    /// The job a request token names, if it is ours.
    fn request_token_job(&self, authorization: Option<&str>) -> Result<Github, CiError> {
        let Some(authorization) = authorization else {
            return Err(CiError::unauthorized(
                "no Authorization header: the token request needs `Authorization: bearer \
                 $ACTIONS_ID_TOKEN_REQUEST_TOKEN`",
            ));
        };
        let token = match authorization.split_once(' ') {
            Some((scheme, token)) if scheme.eq_ignore_ascii_case("bearer") => token.trim(),
            _ => {
                return Err(CiError::unauthorized(
                    "Authorization is not `bearer <request token>`",
                ));
            }
        };
        let not_ours = || {
            CiError::unauthorized(
                "the request token was not issued by this issuer (get one from \
                 `sigbox env github-actions`)",
            )
        };
        let (payload, tag) = token
            .strip_prefix(REQUEST_TOKEN_PREFIX)
            .and_then(|rest| rest.split_once('.'))
            .ok_or_else(not_ours)?;
        let tag = URL_SAFE_NO_PAD.decode(tag).map_err(|_| not_ours())?;
        if tag != self.request_token_tag(payload) {
            return Err(not_ours());
        }
        let json = URL_SAFE_NO_PAD.decode(payload).map_err(|_| not_ours())?;
        serde_json::from_slice(&json).map_err(|_| not_ours())
    }

    fn request_token_tag(&self, payload: &str) -> [u8; 32] {
        crate::derive_code(
            &self.inner.grant_secret,
            "github-actions-request-token",
            0,
            &[payload],
        )
    }
}

fn owned(claims: Vec<(&'static str, Value)>) -> serde_json::Map<String, Value> {
    claims.into_iter().map(|(k, v)| (k.to_owned(), v)).collect()
}

/// `POST /ci/{provider}/job`.
pub(crate) async fn job(
    State(issuer): State<Issuer>,
    Path(provider): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Json<JobEnv>, CiError> {
    let json = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_none_or(|v| v.starts_with("application/json"));
    if !json {
        return Err(CiError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "a job is a JSON object (Content-Type: application/json)",
        ));
    }
    // An empty body is the default job.
    let body: &[u8] = if body.is_empty() { b"{}" } else { &body };
    let parse_error = |e: serde_json::Error| CiError::bad_request(format!("{provider} job: {e}"));
    match provider.as_str() {
        "github-actions" => issuer
            .github_job(serde_json::from_slice(body).map_err(parse_error)?)
            .map(Json),
        "gitlab-ci" => issuer
            .gitlab_job(serde_json::from_slice(body).map_err(parse_error)?)
            .map(Json),
        other => Err(unknown_provider(other)),
    }
}

fn unknown_provider(name: &str) -> CiError {
    CiError::new(
        StatusCode::NOT_FOUND,
        format!(
            "unknown CI provider {name:?}, want one of {}",
            PROVIDERS.join(", ")
        ),
    )
}

/// `GET /ci/github-actions/idtoken?api-version=2.0&audience=...`.
pub(crate) async fn github_id_token(
    State(issuer): State<Issuer>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
) -> Result<Json<IdTokenAnswer>, CiError> {
    let mut audience = None;
    for (key, value) in url::form_urlencoded::parse(query.unwrap_or_default().as_bytes()) {
        if key == "audience" {
            if audience.is_some() {
                return Err(CiError::bad_request("audience given more than once"));
            }
            audience = Some(value.into_owned());
        }
    }
    let authorization = match headers.get(header::AUTHORIZATION) {
        Some(v) => Some(
            v.to_str()
                .map_err(|_| CiError::unauthorized("Authorization is not ASCII"))?,
        ),
        None => None,
    };
    let value = issuer.github_id_token(authorization, audience.as_deref())?;
    Ok(Json(IdTokenAnswer {
        count: value.len(),
        value,
    }))
}

/// GitHub's answer to the token request.
#[derive(Debug, Serialize)]
pub(crate) struct IdTokenAnswer {
    /// The length of `value`, as GitHub's answer carries it.
    count: usize,
    /// The JWT.
    value: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_default_jobs_are_the_presets() {
        let gh = GithubJob::default().resolve();
        assert_eq!(gh.subject(), "repo:octo-org/octo-repo:ref:refs/heads/main");
        assert!(gh.check().is_ok());
        let gl = GitlabJob::default().resolve();
        assert_eq!(
            gl.ci_config_ref_uri(),
            "gitlab.com/octo-group/octo-project//.gitlab-ci.yml@refs/heads/main"
        );
        assert!(gl.check().is_ok());
    }

    #[test]
    fn subjects_and_refs_follow_github() {
        let job = |json: &str| serde_json::from_str::<GithubJob>(json).unwrap().resolve();
        let tag = job(r#"{"ref": "refs/tags/v1.2.3"}"#);
        assert_eq!((tag.ref_type(), tag.ref_name()), ("tag", "v1.2.3"));
        let pr = job(r#"{"event_name": "pull_request", "ref": "refs/pull/7/merge"}"#);
        assert_eq!(pr.subject(), "repo:octo-org/octo-repo:pull_request");
        assert_eq!(pr.ref_name(), "7/merge");
        let env = job(r#"{"environment": "prod"}"#);
        assert_eq!(env.subject(), "repo:octo-org/octo-repo:environment:prod");
        let reusable =
            job(r#"{"job_workflow_ref": "o/shared/.github/workflows/b.yml@refs/tags/v1"}"#);
        assert_eq!(
            reusable.workflow_ref(),
            "octo-org/octo-repo/.github/workflows/release.yml@refs/heads/main"
        );
        assert_eq!(
            reusable.job_workflow_ref,
            "o/shared/.github/workflows/b.yml@refs/tags/v1"
        );
    }

    #[test]
    fn bad_jobs_name_the_field() {
        let err = |json: &str| {
            serde_json::from_str::<GithubJob>(json)
                .unwrap()
                .resolve()
                .check()
                .unwrap_err()
                .message
        };
        assert!(err(r#"{"repository": "noslash"}"#).contains("repository"));
        assert!(err(r#"{"repository": "a/b/c"}"#).contains("OWNER/NAME"));
        assert!(err(r#"{"ref": "main"}"#).contains("full git ref"));
        assert!(err(r#"{"job_workflow_ref": "x"}"#).contains("job_workflow_ref"));
        assert!(err(r#"{"sha": ""}"#).contains("sha is empty"));
        let gl = GitlabJob {
            ref_type: Some("pr".into()),
            ..GitlabJob::default()
        };
        assert!(
            gl.resolve()
                .check()
                .unwrap_err()
                .message
                .contains("ref_type")
        );
        assert!(serde_json::from_str::<GithubJob>(r#"{"repo": "a/b"}"#).is_err());
    }
}
