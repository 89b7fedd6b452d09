//! Starting `sigbox up` as a child process and reading its ready object.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// A `sigbox up` child, killed on drop.
pub(crate) struct Up {
    pub(crate) child: Child,
    pub(crate) ready: serde_json::Value,
    pub(crate) startup: Duration,
}

impl Up {
    /// Starts `sigbox up --json --listen 127.0.0.1:0` with `extra` arguments.
    pub(crate) fn start(extra: &[&str]) -> Self {
        Self::start_in(None, extra)
    }

    pub(crate) fn start_in(dir: Option<&Path>, extra: &[&str]) -> Self {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_sigbox"));
        cmd.args(["up", "--json", "--listen", "127.0.0.1:0"])
            .args(extra);
        if let Some(dir) = dir {
            cmd.current_dir(dir);
        }
        Self::spawn(cmd)
    }

    /// Runs `cmd`, which starts `sigbox up --json` (perhaps through a wrapper that `exec`s it),
    /// and reads its ready line.
    pub(crate) fn spawn(mut cmd: Command) -> Self {
        cmd.stdout(Stdio::piped()).stderr(Stdio::inherit());
        let started = Instant::now();
        let mut child = cmd.spawn().expect("spawning sigbox up");
        let stdout = child.stdout.take().expect("piped stdout");
        let mut line = String::new();
        BufReader::new(stdout)
            .read_line(&mut line)
            .expect("reading the ready line");
        let startup = started.elapsed();
        assert!(
            !line.is_empty(),
            "sigbox up exited before printing its ready object"
        );
        let ready: serde_json::Value =
            serde_json::from_str(&line).unwrap_or_else(|e| panic!("ready line {line:?}: {e}"));
        Self {
            child,
            ready,
            startup,
        }
    }

    pub(crate) fn url(&self) -> String {
        self.ready["url"].as_str().expect("url").to_owned()
    }

    /// SIGTERM, then the exit status.
    pub(crate) fn terminate(mut self) -> std::process::ExitStatus {
        let pid = self.child.id().to_string();
        let status = Command::new("kill")
            .args(["-TERM", &pid])
            .status()
            .expect("running kill");
        assert!(status.success());
        self.child.wait().expect("waiting for sigbox")
    }

    /// SIGKILL: no shutdown code runs.
    #[allow(dead_code)] // reason: used by the crash test, which lands with the first log
    pub(crate) fn kill9(mut self) {
        self.child.kill().expect("SIGKILL");
        let _ = self.child.wait();
    }
}

impl Drop for Up {
    /// SIGTERM, so an `--ephemeral` stack removes its state directory (SIGKILL would leave
    /// RocksDB's preallocated files in the temp dir, some 150 MB a stack); SIGKILL if it has
    /// not stopped within ten seconds.
    fn drop(&mut self) {
        stop(&mut self.child, Duration::from_secs(10));
    }
}

/// Stops `child`: SIGTERM, then SIGKILL if it is still running after `grace`; reaped.
pub(crate) fn stop(child: &mut Child, grace: Duration) {
    if let Ok(None) = child.try_wait() {
        let _ = Command::new("kill")
            .args(["-TERM", &child.id().to_string()])
            .status();
        let deadline = Instant::now() + grace;
        while let Ok(None) = child.try_wait() {
            if Instant::now() > deadline {
                let _ = child.kill();
                break;
            }
            std::thread::sleep(Duration::from_millis(10));
        }
    }
    let _ = child.wait();
}

/// The Python with the pinned `sigstore` package: `$SIGBOX_PYTHON`, or the workspace's `.venv`
/// that `.ci/run` (or `just tools`) creates.
pub(crate) fn python() -> std::path::PathBuf {
    if let Some(p) = std::env::var_os("SIGBOX_PYTHON") {
        return p.into();
    }
    let venv = Path::new(
        &std::env::var_os("CARGO_MANIFEST_DIR")
            .expect("cargo sets CARGO_MANIFEST_DIR when it runs tests"),
    )
    .join("../.venv/bin/python");
    assert!(
        venv.exists(),
        "no Python with sigstore installed: run `.ci/run` or `just tools` (or set SIGBOX_PYTHON)"
    );
    venv
}

/// The Go tool labelled `label` in tools/go/tools.txt, where `tools/install` put it, found the
/// way the conformance adapters find it.
pub(crate) fn go_tool(label: &str) -> std::path::PathBuf {
    let workspace = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    conformance::Tools::from_workspace(&workspace)
        .go_tool(label)
        .unwrap_or_else(|e| panic!("{e:#}"))
}

/// Runs the `sigbox` binary: whether it succeeded, and its stdout then stderr.
pub(crate) fn sigbox(args: &[&str]) -> (bool, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_sigbox"))
        .args(args)
        .output()
        .expect("running sigbox");
    let text =
        String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr);
    (out.status.success(), text)
}
