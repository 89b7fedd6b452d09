//! `sigbox env`: the environment of a CI job whose ambient credentials come from the running
//! stack, as `export` lines for `eval "$(sigbox env github-actions)"`. Clients that detect a CI
//! (sigstore-python, sigstore-js, cosign) then sign with no `--identity-token`.

use std::io::Write as _;
use std::path::PathBuf;

use anyhow::{Context, bail};
use fake_oidc::{GithubJob, GitlabJob, JobEnv};
use serde_json::Value;

#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    /// The stack's URL (default: read from `<state>/ready.json`).
    #[arg(long, env = "SIGBOX_URL", global = true)]
    url: Option<String>,
    /// State directory of the running stack, to find its URL.
    #[arg(long, env = "SIGBOX_STATE", default_value = ".sigbox", global = true)]
    state: PathBuf,
    /// Print the stack's answer as JSON (`env`, `certificate_identity`,
    /// `certificate_oidc_issuer`) instead of `export` lines.
    #[arg(long, global = true)]
    json: bool,
    #[command(subcommand)]
    provider: Provider,
}

#[derive(Debug, clap::Subcommand)]
enum Provider {
    /// GitHub Actions: `ACTIONS_ID_TOKEN_REQUEST_URL` and `_TOKEN` (the token request the
    /// clients make), `GITHUB_ACTIONS`, `CI` and the `GITHUB_*` variables of the job.
    GithubActions(Github),
    /// GitLab CI: the ID token in `SIGSTORE_ID_TOKEN` (minted now, valid 10 minutes),
    /// `GITLAB_CI`, `CI` and the `CI_*` variables of the job.
    GitlabCi(Gitlab),
}

/// The job; what is not given takes the `github-actions` preset's value.
#[derive(Debug, clap::Args)]
struct Github {
    /// OWNER/NAME [default: octo-org/octo-repo].
    #[arg(long)]
    repository: Option<String>,
    /// The git ref [default: refs/heads/main].
    #[arg(long = "ref")]
    git_ref: Option<String>,
    /// The commit.
    #[arg(long)]
    sha: Option<String>,
    /// The workflow's name [default: Release].
    #[arg(long)]
    workflow: Option<String>,
    /// The workflow file [default: .github/workflows/release.yml].
    #[arg(long)]
    workflow_path: Option<String>,
    /// A reusable workflow's OWNER/NAME/PATH@REF, which the certificate then names.
    #[arg(long)]
    job_workflow_ref: Option<String>,
    /// The triggering event [default: push].
    #[arg(long)]
    event_name: Option<String>,
    /// A deployment environment.
    #[arg(long)]
    environment: Option<String>,
    /// Who triggered the run [default: octocat].
    #[arg(long)]
    actor: Option<String>,
    /// The run id.
    #[arg(long)]
    run_id: Option<String>,
    /// The run attempt [default: 1].
    #[arg(long)]
    run_attempt: Option<String>,
    /// github-hosted or self-hosted [default: github-hosted].
    #[arg(long)]
    runner_environment: Option<String>,
}

/// The job; what is not given takes the `gitlab-ci` preset's value.
#[derive(Debug, clap::Args)]
struct Gitlab {
    /// NAMESPACE/PROJECT [default: octo-group/octo-project].
    #[arg(long)]
    project_path: Option<String>,
    /// The branch or tag [default: main].
    #[arg(long = "ref")]
    git_ref: Option<String>,
    /// branch or tag [default: branch].
    #[arg(long)]
    ref_type: Option<String>,
    /// The commit.
    #[arg(long)]
    sha: Option<String>,
    /// The pipeline file [default: .gitlab-ci.yml].
    #[arg(long)]
    ci_config_path: Option<String>,
    /// What started the pipeline [default: push].
    #[arg(long)]
    pipeline_source: Option<String>,
    /// A deployment environment.
    #[arg(long)]
    environment: Option<String>,
    /// The instance's host [default: gitlab.com].
    #[arg(long)]
    server_host: Option<String>,
    /// The token's audience [default: sigstore].
    #[arg(long)]
    audience: Option<String>,
}

pub(crate) fn run(args: Args) -> anyhow::Result<()> {
    let url = match args.url {
        Some(url) => url,
        None => crate::cmd::ready_url(&args.state)?,
    };
    let (name, body) = match args.provider {
        Provider::GithubActions(g) => (
            "github-actions",
            serde_json::to_value(GithubJob {
                repository: g.repository,
                git_ref: g.git_ref,
                sha: g.sha,
                workflow: g.workflow,
                workflow_path: g.workflow_path,
                job_workflow_ref: g.job_workflow_ref,
                event_name: g.event_name,
                environment: g.environment,
                actor: g.actor,
                run_id: g.run_id,
                run_attempt: g.run_attempt,
                runner_environment: g.runner_environment,
                ..GithubJob::default()
            })?,
        ),
        Provider::GitlabCi(g) => (
            "gitlab-ci",
            serde_json::to_value(GitlabJob {
                project_path: g.project_path,
                git_ref: g.git_ref,
                ref_type: g.ref_type,
                sha: g.sha,
                ci_config_path: g.ci_config_path,
                pipeline_source: g.pipeline_source,
                environment: g.environment,
                server_host: g.server_host,
                audience: g.audience,
                ..GitlabJob::default()
            })?,
        ),
    };
    let endpoint = format!("{}/ci/{name}/job", url.trim_end_matches('/'));
    let response = reqwest::blocking::Client::new()
        .post(&endpoint)
        .json(&body)
        .send()
        .with_context(|| format!("asking {endpoint} for a job (is `sigbox up` running?)"))?;
    let status = response.status();
    let text = response.text().context("reading the job answer")?;
    if !status.is_success() {
        let message = serde_json::from_str::<Value>(&text)
            .ok()
            .and_then(|v| v.get("message").and_then(Value::as_str).map(str::to_owned))
            .unwrap_or(text);
        bail!("{endpoint} answered {status}: {message}");
    }
    let job: JobEnv = serde_json::from_str(&text).context("parsing the job answer")?;
    let out = if args.json {
        serde_json::to_string_pretty(&job)? + "\n"
    } else {
        let mut out = format!(
            "# A {name} job, for TESTING: its credentials come from the sigbox at {url}.\n\
             # Its signatures verify with --certificate-identity {}\n\
             #   --certificate-oidc-issuer {}\n",
            job.certificate_identity, job.certificate_oidc_issuer
        );
        for (name, value) in &job.env {
            out += &format!("export {name}={}\n", shell_quote(value));
        }
        out
    };
    // `sigbox env ... | head` closes the pipe early: that is not an error.
    match std::io::stdout().lock().write_all(out.as_bytes()) {
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => Err(e).context("writing stdout"),
        _ => Ok(()),
    }
}

/// `value` as one POSIX shell word: single-quoted, a `'` inside written `'\''`.
fn shell_quote(value: &str) -> String {
    format!("'{}'", value.replace('\'', r"'\''"))
}

#[cfg(test)]
mod tests {
    use super::shell_quote;

    #[test]
    fn quoting_survives_the_shell() {
        for value in ["plain", "", "it's", "$HOME `x` \"q\" \\", "a\nb"] {
            let out = std::process::Command::new("sh")
                .args(["-c", &format!("printf %s {}", shell_quote(value))])
                .output()
                .unwrap();
            assert_eq!(String::from_utf8(out.stdout).unwrap(), value);
        }
    }
}
