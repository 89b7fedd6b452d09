//! The CI endpoints over HTTP: a GitHub Actions job's token request as the clients make it
//! (cosign appends `&audience=` to the URL, sigstore-js sets the query parameter, sigstore-python
//! merges it), the claims following the job, and each refusal with its status and reason; a
//! GitLab job's ID token in `SIGSTORE_ID_TOKEN`.

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::common::{NOW, start};

async fn job(s: &crate::common::Server, provider: &str, body: Value) -> (StatusCode, String) {
    let r = s
        .http
        .post(format!("{}/ci/{provider}/job", s.url))
        .json(&body)
        .send()
        .await
        .unwrap();
    (r.status(), r.text().await.unwrap())
}

async fn id_token(url: &str, bearer: Option<&str>) -> (StatusCode, String) {
    let mut req = reqwest::Client::new().get(url);
    if let Some(b) = bearer {
        req = req.header("Authorization", b);
    }
    let r = req.send().await.unwrap();
    (r.status(), r.text().await.unwrap())
}

#[tokio::test]
async fn a_github_job_answers_the_token_request_with_its_claims() {
    let s = start().await;
    let (status, body) = job(
        &s,
        "github-actions",
        json!({"repository": "acme/tool", "ref": "refs/tags/v2", "event_name": "release"}),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let answer: Value = serde_json::from_str(&body).unwrap();
    let env = &answer["env"];
    let url = env["ACTIONS_ID_TOKEN_REQUEST_URL"].as_str().unwrap();
    let token = env["ACTIONS_ID_TOKEN_REQUEST_TOKEN"].as_str().unwrap();
    assert_eq!(
        url,
        format!("{}/ci/github-actions/idtoken?api-version=2.0", s.url)
    );
    assert_eq!(env["GITHUB_REPOSITORY_OWNER"], "acme");
    assert_eq!(env["GITHUB_REF_NAME"], "v2");
    assert_eq!(
        answer["certificate_identity"],
        "https://github.com/acme/tool/.github/workflows/release.yml@refs/tags/v2"
    );
    assert_eq!(answer["certificate_oidc_issuer"], s.url);

    // cosign's way: the URL with `&audience=` appended, scheme `bearer`.
    let (status, body) = id_token(
        &format!("{url}&audience=sigstore"),
        Some(&format!("bearer {token}")),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let answer: Value = serde_json::from_str(&body).unwrap();
    let jwt = answer["value"].as_str().unwrap();
    assert_eq!(answer["count"], jwt.len());
    let claims = s.issuer.verify(jwt, "sigstore").unwrap();
    let c = &claims;
    assert_eq!(c["sub"], "repo:acme/tool:ref:refs/tags/v2");
    assert_eq!(c["repository"], "acme/tool");
    assert_eq!(c["repository_owner"], "acme");
    assert_eq!(c["ref_type"], "tag");
    assert_eq!(c["event_name"], "release");
    assert_eq!(
        c["job_workflow_ref"],
        "acme/tool/.github/workflows/release.yml@refs/tags/v2"
    );
    assert_eq!(c["iat"], NOW);

    // No audience: GitHub's default, the owner's URL.
    let (status, body) = id_token(url, Some(&format!("Bearer {token}"))).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let jwt: Value = serde_json::from_str(&body).unwrap();
    let claims = s
        .issuer
        .verify(jwt["value"].as_str().unwrap(), "https://github.com/acme")
        .unwrap();
    assert_eq!(claims["aud"], "https://github.com/acme");
}

#[tokio::test]
async fn the_token_request_refuses_what_github_would() {
    let s = start().await;
    let (_, body) = job(&s, "github-actions", json!({})).await;
    let answer: Value = serde_json::from_str(&body).unwrap();
    let url = answer["env"]["ACTIONS_ID_TOKEN_REQUEST_URL"]
        .as_str()
        .unwrap();
    let token = answer["env"]["ACTIONS_ID_TOKEN_REQUEST_TOKEN"]
        .as_str()
        .unwrap();
    let with_aud = format!("{url}&audience=sigstore");

    let (status, body) = id_token(&with_aud, None).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert!(body.contains("no Authorization header"), "{body}");
    let (status, body) = id_token(&with_aud, Some(&format!("Basic {token}"))).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert!(body.contains("not `bearer"), "{body}");
    // A request token edited by hand (its job changed) or from elsewhere.
    let (head, tag) = token.rsplit_once('.').unwrap();
    let forged = format!("{head}x.{tag}");
    for bad in [forged.as_str(), "sigbox-gha.e30.AAAA", "ghs_something"] {
        let (status, body) = id_token(&with_aud, Some(&format!("bearer {bad}"))).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "{bad}");
        assert!(body.contains("not issued by this issuer"), "{body}");
    }
    let bearer = format!("bearer {token}");
    let (status, body) = id_token(&format!("{url}&audience="), Some(&bearer)).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(body.contains("audience is empty"), "{body}");
    let (status, body) = id_token(&format!("{with_aud}&audience=x"), Some(&bearer)).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(body.contains("more than once"), "{body}");
}

#[tokio::test]
async fn bad_jobs_are_refused_with_the_reason() {
    let s = start().await;
    for (provider, body, status, says) in [
        (
            "github-actions",
            json!({"repository": "x"}),
            StatusCode::BAD_REQUEST,
            r#"repository "x" is not OWNER/NAME"#,
        ),
        (
            "github-actions",
            json!({"repo": "a/b"}),
            StatusCode::BAD_REQUEST,
            "unknown field `repo`",
        ),
        (
            "github-actions",
            json!({"ref": "main"}),
            StatusCode::BAD_REQUEST,
            "not a full git ref",
        ),
        (
            "gitlab-ci",
            json!({"ref_type": "merge_request"}),
            StatusCode::BAD_REQUEST,
            "want branch or tag",
        ),
        (
            "jenkins",
            json!({}),
            StatusCode::NOT_FOUND,
            "unknown CI provider \"jenkins\", want one of github-actions, gitlab-ci",
        ),
    ] {
        let (got, text) = job(&s, provider, body).await;
        assert_eq!(got, status, "{provider}: {text}");
        assert!(text.contains(says), "{provider}: {text}");
    }
    let r = s
        .http
        .post(format!("{}/ci/github-actions/job", s.url))
        .header("Content-Type", "text/plain")
        .body("repository=a/b")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNSUPPORTED_MEDIA_TYPE);
}

#[tokio::test]
async fn a_gitlab_job_carries_its_id_token() {
    let s = start().await;
    let (status, body) = job(
        &s,
        "gitlab-ci",
        json!({"project_path": "grp/sub/proj", "ref": "v3", "ref_type": "tag"}),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let answer: Value = serde_json::from_str(&body).unwrap();
    let env = &answer["env"];
    assert_eq!(env["GITLAB_CI"], "true");
    assert_eq!(env["CI_PROJECT_NAMESPACE"], "grp/sub");
    assert_eq!(env["CI_COMMIT_TAG"], "v3");
    assert!(env.get("CI_COMMIT_BRANCH").is_none());
    let claims = s
        .issuer
        .verify(env["SIGSTORE_ID_TOKEN"].as_str().unwrap(), "sigstore")
        .unwrap();
    let c = &claims;
    assert_eq!(c["sub"], "project_path:grp/sub/proj:ref_type:tag:ref:v3");
    assert_eq!(c["namespace_path"], "grp/sub");
    assert_eq!(
        c["ci_config_ref_uri"],
        "gitlab.com/grp/sub/proj//.gitlab-ci.yml@refs/tags/v3"
    );
    assert_eq!(
        answer["certificate_identity"],
        "https://gitlab.com/grp/sub/proj//.gitlab-ci.yml@refs/tags/v3"
    );
}
