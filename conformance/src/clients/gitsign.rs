//! gitsign: signs git commits keylessly (Fulcio certificate, Rekor entry) and verifies them.
//!
//! Its "bundle" is a small JSON file naming the repository, the commit and the artifact's path
//! in the commit's tree. Verifying over an artifact rebinds it: the commit object with its tree
//! replaced by one holding that artifact, the signature kept; for the signed artifact that is
//! the commit itself, byte for byte, and for any other a commit whose tree changed under the
//! old signature. gitsign takes its trust material as one PEM file per service, written here
//! from the trusted root; through TUF, from `gitsign initialize --mirror --root` and its cache.

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context, ensure};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use cms::cert::CertificateChoices;
use cms::cert::x509::Certificate;
use cms::content_info::ContentInfo;
use cms::signed_data::{CertificateSet, SignedData, SignerIdentifier, SignerInfos};
use der::asn1::{OctetString, SetOfVec};
use der::{Any, Decode, Encode};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::{Client, Outcome, SignRequest, Signs, Tamper, VerifyRequest, run};

/// The gitsign binary (`tools/install`: `gitsign` in `tools/go/tools.txt`).
#[derive(Debug, Clone)]
pub struct Gitsign {
    /// Its path.
    pub bin: PathBuf,
}

/// Where a signed commit is: what `sign` writes into the request's bundle file.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct Pointer {
    /// The repository (its work tree).
    repository: PathBuf,
    /// The commit id.
    commit: String,
    /// The artifact's path in the commit's tree.
    path: String,
    /// It was signed to the Rekor v2 log (whose key verifies it).
    #[serde(default)]
    rekor_v2: bool,
}

impl Pointer {
    fn read(file: &Path) -> anyhow::Result<Self> {
        let bytes = std::fs::read(file).with_context(|| format!("reading {}", file.display()))?;
        serde_json::from_slice(&bytes).context("not a gitsign commit pointer")
    }

    fn write(&self, file: &Path) -> anyhow::Result<()> {
        Ok(std::fs::write(file, serde_json::to_vec_pretty(self)?)?)
    }
}

/// Why the DSSE rows have no meaning for gitsign.
const NO_DSSE: &str = "gitsign signs git commits (CMS in the commit's gpgsig header), not DSSE \
                       envelopes";

/// `program` in `dir` with no environment but `PATH` and none of git's system or global
/// configuration.
fn isolated(program: impl AsRef<std::ffi::OsStr>, dir: &Path) -> Command {
    let mut cmd = Command::new(program);
    cmd.current_dir(dir).env_clear();
    if let Some(path) = std::env::var_os("PATH") {
        cmd.env("PATH", path);
    }
    cmd.env("GIT_CONFIG_NOSYSTEM", "1")
        .env("GIT_CONFIG_GLOBAL", "/dev/null");
    cmd
}

/// `git` in `repo`, isolated, its `HOME` the repository.
fn git(repo: &Path) -> Command {
    let mut cmd = isolated("git", repo);
    cmd.env("HOME", repo).env("LC_ALL", "C");
    cmd
}

/// Runs `cmd` under the runner's limit, feeding it `input`; its stdout, or an error with its
/// stderr (and how it ended, when it hung or was killed).
fn output(mut cmd: Command, input: Option<&[u8]>) -> anyhow::Result<String> {
    let done = super::process::run_limited(&mut cmd, input)
        .with_context(|| format!("starting {:?}", cmd.get_program()))?;
    ensure!(
        done.status.is_some_and(|s| s.success()),
        "{:?} {:?}: {}{}",
        cmd.get_program(),
        cmd.get_args().collect::<Vec<_>>(),
        String::from_utf8_lossy(&done.stderr),
        done.note().unwrap_or_default()
    );
    Ok(String::from_utf8(done.stdout)?.trim_end().to_owned())
}

/// A commit object's text with its `tree` header replaced by `tree` (or its `gpgsig` value by
/// `gpgsig`): the headers, then a blank line and the message.
fn edit_commit(text: &str, tree: Option<&str>, gpgsig: Option<&str>) -> anyhow::Result<String> {
    let (headers, message) = text
        .split_once("\n\n")
        .context("a commit without a message")?;
    let mut out = String::new();
    let mut lines = headers.lines().peekable();
    while let Some(line) = lines.next() {
        if let (Some(tree), Some(_)) = (tree, line.strip_prefix("tree ")) {
            out += &format!("tree {tree}\n");
        } else if let (Some(sig), Some(_)) = (gpgsig, line.strip_prefix("gpgsig ")) {
            // Continuation lines start with a space.
            while lines.peek().is_some_and(|l| l.starts_with(' ')) {
                lines.next();
            }
            out += &format!("gpgsig {}\n", sig.trim_end().replace('\n', "\n "));
        } else {
            out += line;
            out += "\n";
        }
    }
    Ok(format!("{out}\n{message}"))
}

/// The `gpgsig` header's value (the PEM `SIGNED MESSAGE`) of a commit object's text.
fn gpgsig(text: &str) -> anyhow::Result<String> {
    let headers = text.split_once("\n\n").map_or(text, |(h, _)| h);
    let mut lines = headers.lines();
    let first = lines
        .by_ref()
        .find_map(|l| l.strip_prefix("gpgsig "))
        .context("the commit has no gpgsig header")?;
    let mut pem = format!("{first}\n");
    for l in lines.take_while(|l| l.starts_with(' ')) {
        pem += &l[1..];
        pem += "\n";
    }
    Ok(pem)
}

/// The DER of a PEM `SIGNED MESSAGE`.
fn pem_der(pem: &str) -> anyhow::Result<Vec<u8>> {
    let (_, der) = der::pem::decode_vec(pem.as_bytes())
        .map_err(|e| anyhow::anyhow!("decoding the signature's PEM: {e}"))?;
    Ok(der)
}

fn der_pem(der: &[u8]) -> String {
    pem("SIGNED MESSAGE", der)
}

/// The CMS ContentInfo and the SignedData it holds.
fn signed_data(der: &[u8]) -> anyhow::Result<(ContentInfo, SignedData)> {
    let info = ContentInfo::from_der(der).context("not a CMS ContentInfo")?;
    let sd: SignedData = info.content.decode_as().context("not a CMS SignedData")?;
    // Decoding sorts every SET OF: a tampering must change only what it says.
    ensure!(
        info.to_der()? == der,
        "the CMS does not re-encode to its own bytes (not DER)"
    );
    Ok((info, sd))
}

/// `info` holding `sd` instead, in DER.
fn rebuild(mut info: ContentInfo, sd: &SignedData) -> anyhow::Result<Vec<u8>> {
    info.content = Any::encode_from(sd)?;
    Ok(info.to_der()?)
}

/// The CMS with one bit of the (first) signer's signature value flipped.
fn flip_cms_signature(der: &[u8]) -> anyhow::Result<Vec<u8>> {
    let (info, mut sd) = signed_data(der)?;
    let mut signers = sd.signer_infos.0.into_vec();
    let signer = signers.first_mut().context("no SignerInfos")?;
    let mut signature = signer.signature.as_bytes().to_vec();
    // The last byte: inside the ECDSA signature's s, so it stays well-formed DER.
    *signature.last_mut().context("the signature is empty")? ^= 0x01;
    signer.signature = OctetString::new(signature)?;
    sd.signer_infos = SignerInfos(SetOfVec::try_from(signers)?);
    rebuild(info, &sd)
}

/// The CMS with its certificates replaced by `cert` (DER).
fn swap_cms_certificate(der: &[u8], cert: &[u8]) -> anyhow::Result<Vec<u8>> {
    let (info, mut sd) = signed_data(der)?;
    ensure!(
        sd.certificates.is_some(),
        "the signature carries no certificates"
    );
    let cert = Certificate::from_der(cert).context("the donor certificate is not X.509")?;
    sd.certificates = Some(CertificateSet(SetOfVec::try_from(vec![
        CertificateChoices::Certificate(cert),
    ])?));
    rebuild(info, &sd)
}

/// The signer's certificate (DER) of a CMS: the one its first SignerInfo names.
fn signer_certificate(der: &[u8]) -> anyhow::Result<Vec<u8>> {
    let (_, sd) = signed_data(der)?;
    let signer = sd.signer_infos.0.get(0).context("no SignerInfos")?;
    let certs: Vec<&Certificate> = sd
        .certificates
        .iter()
        .flat_map(|set| set.0.iter())
        .filter_map(|c| match c {
            CertificateChoices::Certificate(c) => Some(c),
            CertificateChoices::Other(_) => None,
        })
        .collect();
    let named = certs.iter().find(|c| match &signer.sid {
        SignerIdentifier::IssuerAndSerialNumber(id) => {
            c.tbs_certificate.issuer == id.issuer
                && c.tbs_certificate.serial_number == id.serial_number
        }
        SignerIdentifier::SubjectKeyIdentifier(_) => false,
    });
    let cert = named
        .or(certs.first())
        .context("the signature carries no certificate")?;
    Ok(cert.to_der()?)
}

/// The leaf certificate (DER) of a Sigstore bundle or of a gitsign commit pointer.
fn donor_certificate(file: &Path) -> anyhow::Result<Vec<u8>> {
    let bytes = std::fs::read(file)?;
    if let Ok(pointer) = serde_json::from_slice::<Pointer>(&bytes) {
        let text = output(commit_command(&pointer.repository, &pointer.commit), None)?;
        return signer_certificate(&pem_der(&gpgsig(&text)?)?);
    }
    crate::tamper::leaf_certificate(&bytes)
}

fn commit_command(repo: &Path, commit: &str) -> Command {
    let mut cmd = git(repo);
    cmd.args(["cat-file", "commit", commit]);
    cmd
}

/// Writes `text` as a commit object into `repo`; its id.
fn write_commit(repo: &Path, text: &str) -> anyhow::Result<String> {
    let mut cmd = git(repo);
    cmd.args(["hash-object", "-t", "commit", "-w", "--stdin"]);
    output(cmd, Some(text.as_bytes()))
}

fn pem(label: &str, der: &[u8]) -> String {
    // 64-column lines and LF, as Go's `pem.Encode` writes them.
    der::pem::encode_string(label, der::pem::LineEnding::LF, der).unwrap_or_default()
}

/// Where gitsign takes its trust from.
#[derive(Debug, Clone, Copy)]
enum Trust<'a> {
    /// One PEM file per service.
    Files(&'a TrustPems),
    /// Its TUF cache (`TUF_ROOT`), which `gitsign initialize` filled.
    Tuf(&'a Path),
}

/// The PEM files gitsign reads its trust from, written by [`TrustPems::write`].
#[derive(Debug)]
pub struct TrustPems {
    /// Every Fulcio CA certificate (`SIGSTORE_ROOT_FILE`: roots and intermediates).
    pub fulcio: PathBuf,
    /// The current CT log key (`SIGSTORE_CT_LOG_PUBLIC_KEY_FILE`: one key).
    pub ctlog: PathBuf,
    /// The current key of the Rekor log it signs to (`SIGSTORE_REKOR_PUBLIC_KEY`: one key).
    pub rekor: PathBuf,
}

/// The entry of `list` in force now: the one without an end, else the last.
fn current(list: &[Value]) -> Option<&Value> {
    list.iter()
        .rev()
        .find(|e| e["validFor"].get("end").is_none())
        .or(list.last())
}

fn b64(v: &Value) -> anyhow::Result<Vec<u8>> {
    Ok(STANDARD.decode(v.as_str().context("not a base64 string")?)?)
}

impl TrustPems {
    /// Writes into `dir` (`fulcio.pem`, `ctfe.pub`, `rekor.pub`) the PEM files of `trusted_root`
    /// for the Rekor v1 log, or with `rekor_v2` the tile-based log.
    pub fn write(trusted_root: &Path, rekor_v2: bool, dir: &Path) -> anyhow::Result<Self> {
        let root: Value = serde_json::from_slice(&std::fs::read(trusted_root)?)?;
        let list = |key: &str| root[key].as_array().cloned().unwrap_or_default();
        let mut fulcio = String::new();
        for ca in list("certificateAuthorities") {
            for cert in ca["certChain"]["certificates"]
                .as_array()
                .into_iter()
                .flatten()
            {
                fulcio += &pem("CERTIFICATE", &b64(&cert["rawBytes"])?);
            }
        }
        let ctlogs = list("ctlogs");
        let ctlog = current(&ctlogs).context("no CT log in the trusted root")?;
        // The Rekor v2 log is the one served under `/rekor-v2`.
        let tlogs: Vec<Value> = list("tlogs")
            .into_iter()
            .filter(|t| {
                t["baseUrl"]
                    .as_str()
                    .is_some_and(|u| u.contains("/rekor-v2") == rekor_v2)
            })
            .collect();
        let tlog = current(&tlogs).context("no such Rekor log in the trusted root")?;
        std::fs::create_dir_all(dir)?;
        let files = Self {
            fulcio: dir.join("fulcio.pem"),
            ctlog: dir.join("ctfe.pub"),
            rekor: dir.join("rekor.pub"),
        };
        std::fs::write(&files.fulcio, fulcio)?;
        std::fs::write(
            &files.ctlog,
            pem("PUBLIC KEY", &b64(&ctlog["publicKey"]["rawBytes"])?),
        )?;
        std::fs::write(
            &files.rekor,
            pem("PUBLIC KEY", &b64(&tlog["publicKey"]["rawBytes"])?),
        )?;
        Ok(files)
    }
}

impl Gitsign {
    /// The environment gitsign runs with (on top of [`git`]'s): the stack's services, the
    /// trust PEM files or its TUF cache, its home and log under `dir`.
    fn configure(
        &self,
        cmd: &mut Command,
        url: &str,
        trust: Trust<'_>,
        dir: &Path,
        rekor_v2: bool,
    ) {
        let rekor = if rekor_v2 {
            format!("{url}/rekor-v2")
        } else {
            url.to_owned()
        };
        cmd.env("HOME", dir.join("home"))
            .env("XDG_CONFIG_HOME", dir.join("home/.config"))
            .env("XDG_CACHE_HOME", dir.join("home/.cache"))
            .env("GITSIGN_LOG", dir.join("gitsign.log"))
            .env("GITSIGN_FULCIO_URL", url)
            .env("GITSIGN_REKOR_URL", rekor)
            .env("GITSIGN_OIDC_ISSUER", url)
            // The commit carries its Rekor entry (inclusion proof, SET): verifiable from
            // the commit alone; online mode finds it by search, and Rekor v2 has none.
            .env("GITSIGN_REKOR_MODE", "offline")
            .env("GITSIGN_REKOR_VERSION", if rekor_v2 { "2" } else { "1" });
        // No TSA: v0.17.1 cannot verify the commits it timestamps (sigstore/gitsign#867:
        // its CMS-to-bundle layer passes the TimeStampToken where a TimeStampResp goes).
        match trust {
            Trust::Files(trust) => cmd
                // Its TUF client is never reached (every key comes from a file), but its
                // cache stays here if it were.
                .env("TUF_ROOT", dir.join("home/.sigstore/root"))
                .env("SIGSTORE_ROOT_FILE", &trust.fulcio)
                .env("SIGSTORE_CT_LOG_PUBLIC_KEY_FILE", &trust.ctlog)
                .env("SIGSTORE_REKOR_PUBLIC_KEY", &trust.rekor),
            Trust::Tuf(cache) => cmd.env("TUF_ROOT", cache),
        };
    }

    fn sign_commit(&self, req: &SignRequest) -> anyhow::Result<String> {
        let repo = req.scratch.join("repo");
        std::fs::create_dir_all(&repo)?;
        output(
            {
                let mut c = git(&repo);
                c.args(["init", "-q", "-b", "main"]);
                c
            },
            None,
        )?;
        let name = req
            .artifact
            .file_name()
            .context("the artifact has no file name")?
            .to_string_lossy()
            .into_owned();
        std::fs::copy(&req.artifact, repo.join(&name))?;
        output(
            {
                let mut c = git(&repo);
                c.args(["add", "--", &name]);
                c
            },
            None,
        )?;
        let trust = TrustPems::write(&req.trusted_root, req.rekor_v2, &req.scratch.join("trust"))?;
        let mut cmd = git(&repo);
        cmd.args(["-c", "gpg.format=x509", "-c"])
            .arg(format!("gpg.x509.program={}", self.bin.display()))
            .args([
                "-c",
                "user.name=sigbox conformance",
                "-c",
                "user.email=conformance@sigbox.test",
                "commit",
                "-S",
                "-q",
                "-m",
                "an artifact for the sigbox conformance suite",
            ]);
        self.configure(
            &mut cmd,
            &req.url,
            Trust::Files(&trust),
            &req.scratch,
            req.rekor_v2,
        );
        cmd.env("GITSIGN_TOKEN_PROVIDER", "envvar")
            .env("SIGSTORE_ID_TOKEN", &req.token);
        let out = run(cmd);
        let log = std::fs::read_to_string(req.scratch.join("gitsign.log")).unwrap_or_default();
        ensure!(out.passed, "git commit -S failed:\n{}\n{log}", out.output);
        let commit = output(
            {
                let mut c = git(&repo);
                c.args(["rev-parse", "HEAD"]);
                c
            },
            None,
        )?;
        Pointer {
            repository: repo,
            commit: commit.clone(),
            path: name,
            rekor_v2: req.rekor_v2,
        }
        .write(&req.bundle)?;
        Ok(format!("{}{log}signed commit {commit}", out.output))
    }

    /// The commit `pointer` names, rebound to `artifact`: its id (the commit's own when the
    /// tree it gives is the commit's).
    fn rebind(pointer: &Pointer, artifact: &Path) -> anyhow::Result<String> {
        let repo = &pointer.repository;
        let mut cmd = git(repo);
        cmd.args(["hash-object", "-w", "--"]).arg(artifact);
        let blob = output(cmd, None)?;
        let mut cmd = git(repo);
        cmd.arg("mktree");
        let entry = format!("100644 blob {blob}\t{}\n", pointer.path);
        let tree = output(cmd, Some(entry.as_bytes()))?;
        let text = output(commit_command(repo, &pointer.commit), None)?;
        let rebound = edit_commit(&format!("{text}\n"), Some(&tree), None)?;
        write_commit(repo, &rebound)
    }

    /// `gitsign` in `dir` with nothing of the machine's configuration, trusting `trust`.
    fn gitsign(&self, req: &VerifyRequest, dir: &Path, trust: Trust<'_>, v2: bool) -> Command {
        let url = req.tuf_url.strip_suffix("/tuf").unwrap_or(&req.tuf_url);
        let mut cmd = isolated(&self.bin, dir);
        self.configure(&mut cmd, url, trust, &req.scratch, v2);
        cmd
    }

    /// Verifies with the trust in the TUF cache `tuf`, or with `None` from the PEM files of
    /// the trusted root.
    fn verify_commit(&self, req: &VerifyRequest, tuf: Option<&Path>) -> anyhow::Result<Outcome> {
        let pointer = Pointer::read(&req.bundle)?;
        let commit = Self::rebind(&pointer, &req.artifact)?;
        let pems;
        let trust = match tuf {
            Some(cache) => Trust::Tuf(cache),
            None => {
                pems = TrustPems::write(
                    &req.trusted_root,
                    pointer.rekor_v2,
                    &req.scratch.join("trust"),
                )?;
                Trust::Files(&pems)
            }
        };
        let mut cmd = self.gitsign(req, &pointer.repository, trust, pointer.rekor_v2);
        cmd.args([
            "verify",
            "--certificate-identity",
            &req.identity,
            "--certificate-oidc-issuer",
            &req.issuer,
            &commit,
        ]);
        let mut out = run(cmd);
        if commit != pointer.commit {
            out.output = format!(
                "the artifact changes the tree: commit {commit} carries {}'s signature\n{}",
                pointer.commit, out.output
            );
        }
        Ok(out)
    }
}

impl Client for Gitsign {
    fn name(&self) -> &str {
        "gitsign"
    }

    fn signs(&self) -> Signs {
        Signs::GitCommits
    }

    fn not_applicable(&self, scenario: &str) -> Option<String> {
        let dsse = scenario == "sign/dsse"
            || scenario == "verify/own-dsse"
            || (scenario.starts_with("cross/") && scenario.ends_with("/dsse"));
        dsse.then(|| NO_DSSE.to_owned())
    }

    fn sign(&self, req: &SignRequest) -> Outcome {
        match self.sign_commit(req) {
            Ok(output) => Outcome {
                passed: true,
                output,
            },
            Err(e) => Outcome::error(format!("{e:#}")),
        }
    }

    fn verify(&self, req: &VerifyRequest) -> Outcome {
        self.verify_commit(req, None)
            .unwrap_or_else(|e| Outcome::error(format!("{e:#}")))
    }

    fn no_tuf(&self) -> Option<&str> {
        None
    }

    fn verify_via_tuf(&self, req: &VerifyRequest, cache: &Path) -> Outcome {
        // `gitsign initialize` is how gitsign is pointed at a mirror and a first root; it
        // always updates from the mirror, so every case sees what the stack serves now.
        let mut init = self.gitsign(req, &req.scratch, Trust::Tuf(cache), false);
        init.args(["initialize", "--mirror", &req.tuf_url, "--root"])
            .arg(&req.tuf_root);
        let init = run(init);
        if !init.passed {
            return Outcome {
                passed: false,
                output: format!("gitsign initialize failed:\n{}", init.output),
            };
        }
        match self.verify_commit(req, Some(cache)) {
            Ok(out) => Outcome {
                passed: out.passed,
                output: format!("{}\n{}", init.output, out.output),
            },
            Err(e) => Outcome::error(format!("{e:#}")),
        }
    }

    fn tamper(&self, how: Tamper<'_>, bundle: &Path, out: &Path) -> anyhow::Result<()> {
        let pointer = Pointer::read(bundle)?;
        let text = output(commit_command(&pointer.repository, &pointer.commit), None)?;
        let der = pem_der(&gpgsig(&text)?)?;
        let der = match how {
            Tamper::Signature => flip_cms_signature(&der)?,
            Tamper::Certificate(donor) => swap_cms_certificate(&der, &donor_certificate(donor)?)?,
        };
        let edited = edit_commit(&format!("{text}\n"), None, Some(&der_pem(&der)))?;
        let commit = write_commit(&pointer.repository, &edited)?;
        Pointer { commit, ..pointer }.write(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const COMMIT: &str = "tree 1111\nauthor a <a@b> 1 +0000\ncommitter a <a@b> 1 +0000\n\
                          gpgsig -----BEGIN SIGNED MESSAGE-----\n AAEC\n \
                          -----END SIGNED MESSAGE-----\n\nmessage\n";

    #[test]
    fn edits_a_commits_tree_and_signature() {
        assert_eq!(
            gpgsig(COMMIT).unwrap(),
            "-----BEGIN SIGNED MESSAGE-----\nAAEC\n-----END SIGNED MESSAGE-----\n"
        );
        let t = edit_commit(COMMIT, Some("2222"), None).unwrap();
        assert_eq!(t, COMMIT.replace("tree 1111", "tree 2222"));
        let sig = der_pem(&[0, 1, 3]);
        let t = edit_commit(COMMIT, None, Some(&sig)).unwrap();
        assert_eq!(pem_der(&gpgsig(&t).unwrap()).unwrap(), [0, 1, 3]);
        assert!(
            t.ends_with("-----END SIGNED MESSAGE-----\n\nmessage\n"),
            "{t}"
        );
    }

    /// A SignedData as gitsign lays it out: the signer's certificate and its issuer, one
    /// SignerInfo naming the first by issuer and serial.
    fn cms(leaf: &[u8], issuer: &[u8], signature: &[u8]) -> Vec<u8> {
        use cms::cert::IssuerAndSerialNumber;
        use cms::cert::x509::spki::AlgorithmIdentifierOwned;
        use cms::content_info::CmsVersion;
        use cms::signed_data::{EncapsulatedContentInfo, SignerInfo};
        use der::asn1::ObjectIdentifier;

        let alg = |oid| AlgorithmIdentifierOwned {
            oid: ObjectIdentifier::new_unwrap(oid),
            parameters: None,
        };
        let leaf = Certificate::from_der(leaf).unwrap();
        let signer = SignerInfo {
            version: CmsVersion::V1,
            sid: SignerIdentifier::IssuerAndSerialNumber(IssuerAndSerialNumber {
                issuer: leaf.tbs_certificate.issuer.clone(),
                serial_number: leaf.tbs_certificate.serial_number.clone(),
            }),
            digest_alg: alg("2.16.840.1.101.3.4.2.1"),
            signed_attrs: None,
            signature_algorithm: alg("1.2.840.10045.4.3.2"),
            signature: OctetString::new(signature).unwrap(),
            unsigned_attrs: None,
        };
        let certs =
            [leaf, Certificate::from_der(issuer).unwrap()].map(CertificateChoices::Certificate);
        let sd = SignedData {
            version: CmsVersion::V1,
            digest_algorithms: SetOfVec::try_from(vec![alg("2.16.840.1.101.3.4.2.1")]).unwrap(),
            encap_content_info: EncapsulatedContentInfo {
                econtent_type: ObjectIdentifier::new_unwrap("1.2.840.113549.1.7.1"),
                econtent: None,
            },
            certificates: Some(CertificateSet(SetOfVec::try_from(certs.to_vec()).unwrap())),
            crls: None,
            signer_infos: SignerInfos(SetOfVec::try_from(vec![signer]).unwrap()),
        };
        ContentInfo {
            content_type: ObjectIdentifier::new_unwrap("1.2.840.113549.1.7.2"),
            content: Any::encode_from(&sd).unwrap(),
        }
        .to_der()
        .unwrap()
    }

    #[test]
    fn tampers_with_the_cms() {
        let keys = stack::KeyRing::new("gitsign-tamper");
        let (old, new) = (
            stack::fulcio::CaGeneration::new(&keys, 0, 0).unwrap(),
            stack::fulcio::CaGeneration::new(&keys, 1, 0).unwrap(),
        );
        let signature = [0x30, 0x06, 0x02, 0x01, 0x07, 0x02, 0x01, 0x08];
        let der = cms(&old.intermediate_der, &old.root_der, &signature);
        assert_eq!(signer_certificate(&der).unwrap(), old.intermediate_der);

        // One bit of the signature's last byte, nothing else.
        let flipped = flip_cms_signature(&der).unwrap();
        assert_eq!(flipped.len(), der.len());
        let diff: Vec<usize> = (0..der.len()).filter(|&i| der[i] != flipped[i]).collect();
        assert_eq!(diff.len(), 1);
        assert_eq!(flipped[diff[0]], 0x09);
        let (_, sd) = signed_data(&flipped).unwrap();
        assert_eq!(
            sd.signer_infos.0.get(0).unwrap().signature.as_bytes(),
            [0x30, 0x06, 0x02, 0x01, 0x07, 0x02, 0x01, 0x09]
        );

        // The certificates become the donor alone; the signer (and its signature) stay.
        let swapped = swap_cms_certificate(&der, &new.intermediate_der).unwrap();
        let (_, sd) = signed_data(&swapped).unwrap();
        let certs = sd.certificates.as_ref().unwrap();
        assert_eq!(certs.0.len(), 1);
        assert_eq!(signer_certificate(&swapped).unwrap(), new.intermediate_der);
        let (_, before) = signed_data(&der).unwrap();
        assert_eq!(
            sd.signer_infos.to_der().unwrap(),
            before.signer_infos.to_der().unwrap()
        );
        assert_eq!(flip_cms_signature(&swapped).unwrap().len(), swapped.len());
        assert!(swap_cms_certificate(&der, b"not a certificate").is_err());

        // Not DER (an indefinite length): refused rather than silently re-encoded.
        let mut ber = vec![0x30, 0x80];
        ber.extend_from_slice(&der[4..]);
        ber.extend_from_slice(&[0, 0]);
        assert!(signed_data(&ber).is_err());
    }
}
