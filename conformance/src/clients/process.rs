//! A client's process under the runner's time limit. A client that hangs (on a slow or silent
//! service, say) is stopped, SIGTERM to its process group and SIGKILL after a grace period, and
//! reported as hanging, so that one stuck client never stalls the matrix.

use std::io::{Read, Write as _};
use std::os::unix::process::{CommandExt as _, ExitStatusExt as _};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use super::Outcome;

/// How long a client's process may run unless the runner says otherwise: far above what any
/// honest case takes, so it only ever stops a stuck client.
pub(crate) const DEFAULT_LIMIT: Duration = Duration::from_secs(300);
/// Between SIGTERM and SIGKILL.
const GRACE: Duration = Duration::from_secs(2);

/// How the last line of a hung client's output begins.
pub(crate) const HUNG: &str = "(hung: stopped by the runner after";
/// How the last line of the output of a client killed by a signal begins.
pub(crate) const KILLED: &str = "(killed by signal";

static LIMIT_MS: AtomicU64 = AtomicU64::new(DEFAULT_LIMIT.as_millis() as u64);

/// The limit of every client process started from now on, on every thread; returns the one
/// it replaces. The runner shortens it for the outage cases.
pub(crate) fn set_limit(limit: Duration) -> Duration {
    let ms = u64::try_from(limit.as_millis()).unwrap_or(u64::MAX);
    Duration::from_millis(LIMIT_MS.swap(ms, Ordering::SeqCst))
}

/// The limit now.
pub(crate) fn limit() -> Duration {
    Duration::from_millis(LIMIT_MS.load(Ordering::SeqCst))
}

/// How a limited process ended.
#[derive(Debug)]
pub(crate) struct Finished {
    /// Its exit status; `None` when it hung and was stopped.
    pub(crate) status: Option<ExitStatus>,
    pub(crate) stdout: Vec<u8>,
    pub(crate) stderr: Vec<u8>,
    /// The limit it ran under.
    pub(crate) limit: Duration,
}

impl Finished {
    /// A line saying how it ended, when that was not an exit: hung, or killed by a signal.
    pub(crate) fn note(&self) -> Option<String> {
        match self.status {
            None => Some(format!("{HUNG} {} s)", self.limit.as_secs_f64())),
            Some(s) => s.signal().map(|sig| format!("{KILLED} {sig})")),
        }
    }
}

fn reader(pipe: Option<impl Read + Send + 'static>) -> JoinHandle<Vec<u8>> {
    std::thread::spawn(move || {
        let mut buf = Vec::new();
        if let Some(mut pipe) = pipe {
            let _ = pipe.read_to_end(&mut buf);
        }
        buf
    })
}

fn signal_group(child: &Child, signal: &str) {
    // The process group is the child's own (`process_group(0)`), so its id is the child's pid.
    let _ = Command::new("kill")
        .args([&format!("-{signal}"), "--", &format!("-{}", child.id())])
        .stderr(Stdio::null())
        .status();
}

/// Runs `cmd` with `input` on its stdin (none: stdin is empty), under [`limit`].
pub(crate) fn run_limited(cmd: &mut Command, input: Option<&[u8]>) -> std::io::Result<Finished> {
    let limit = limit();
    cmd.stdin(if input.is_some() {
        Stdio::piped()
    } else {
        Stdio::null()
    })
    .stdout(Stdio::piped())
    .stderr(Stdio::piped())
    .process_group(0);
    let mut child = cmd.spawn()?;
    if let (Some(input), Some(mut stdin)) = (input, child.stdin.take()) {
        // A client that exits without reading its input is not our error.
        let _ = stdin.write_all(input);
    }
    let (stdout, stderr) = (reader(child.stdout.take()), reader(child.stderr.take()));
    let deadline = Instant::now() + limit;
    let status = loop {
        if let Some(status) = child.try_wait()? {
            break Some(status);
        }
        if Instant::now() >= deadline {
            break None;
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    if status.is_none() {
        signal_group(&child, "TERM");
        let until = Instant::now() + GRACE;
        while child.try_wait()?.is_none() && Instant::now() < until {
            std::thread::sleep(Duration::from_millis(20));
        }
        signal_group(&child, "KILL");
        let _ = child.wait();
    }
    Ok(Finished {
        status,
        stdout: stdout.join().unwrap_or_default(),
        stderr: stderr.join().unwrap_or_default(),
        limit,
    })
}

/// Runs `cmd` under [`limit`], collecting stdout then stderr, and a last line saying so when
/// it hung or was killed by a signal.
pub(crate) fn run(mut cmd: Command) -> Outcome {
    match run_limited(&mut cmd, None) {
        Ok(done) => {
            let mut output = format!(
                "{}{}",
                String::from_utf8_lossy(&done.stdout),
                String::from_utf8_lossy(&done.stderr)
            );
            if let Some(note) = done.note() {
                output = format!("{}\n{note}", output.trim_end());
            }
            Outcome {
                passed: done.status.is_some_and(|s| s.success()),
                output,
            }
        }
        Err(e) => Outcome::error(format!("starting {:?}: {e}", cmd.get_program())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_hanging_process_is_stopped_and_named() {
        let before = set_limit(Duration::from_millis(300));
        let started = Instant::now();
        let mut cmd = Command::new("sh");
        // A child of the child, too: the whole group goes.
        cmd.args(["-c", "echo started; sleep 30 & sleep 30"]);
        let out = run(cmd);
        set_limit(before);
        assert!(!out.passed);
        assert!(out.output.starts_with("started"), "{}", out.output);
        assert!(
            out.output
                .ends_with("(hung: stopped by the runner after 0.3 s)")
        );
        assert!(started.elapsed() < Duration::from_secs(20));
    }

    #[test]
    fn exits_and_input_pass_through() {
        let mut cmd = Command::new("sh");
        cmd.args(["-c", "read line; echo \"got $line\"; echo oops >&2; exit 3"]);
        let done = run_limited(&mut cmd, Some(b"hello\n")).unwrap();
        assert_eq!(done.status.and_then(|s| s.code()), Some(3));
        assert_eq!(done.stdout, b"got hello\n");
        assert_eq!(done.stderr, b"oops\n");
        assert!(done.note().is_none());
    }
}
