//! The results: one [`Case`] per client and scenario, rendered as a plain-text table, Markdown
//! and JUnit XML.

use std::fmt::Write as _;
use std::time::Duration;

/// What a scenario wants of the client.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Want {
    /// Sign, or accept the bundle.
    Pass,
    /// Refuse the bundle.
    Fail,
}

/// How a case came out, against the scenario and the expectations.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Status {
    /// The client did what the scenario wants.
    Ok,
    /// It did not, and `expectations.json` says so (the reason).
    KnownGap(String),
    /// It did not, and nothing says it should not: a difference.
    Unexpected,
    /// It did what the scenario wants although a gap is recorded (the reason): a difference too,
    /// the expectation is stale.
    Fixed(String),
    /// Not run (why): what it needs failed earlier.
    Skipped(String),
    /// Not run (why): the scenario has no meaning for this client (a cross row between a
    /// client that signs git commits and one that signs Sigstore bundles, DSSE for a client
    /// that signs none).
    NotApplicable(String),
}

/// What a client did under an outage (`outage/*`), beside whether that was what is wanted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Behaviour {
    /// It signed (or verified): it retried, or waited, until the service answered.
    Succeeded,
    /// It gave up with an error of its own, before the runner's limit.
    Failed,
    /// The runner stopped it at its limit.
    Hung,
    /// It died: a signal, or its runtime's crash report (a traceback, a panic).
    Crashed,
}

impl Behaviour {
    /// The word in a table cell.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Succeeded => "succeeded",
            Self::Failed => "error",
            Self::Hung => "hung",
            Self::Crashed => "crashed",
        }
    }
}

/// One client in one scenario.
#[derive(Debug, Clone)]
pub struct Case {
    /// The client's name.
    pub client: String,
    /// The scenario id (`sign/message`, `cross/sigstore-js/dsse`, `tamper/signature`, ...).
    pub scenario: String,
    /// What the scenario wants.
    pub want: Want,
    /// How it came out.
    pub status: Status,
    /// The client's output.
    pub output: String,
    /// How long the client took.
    pub time: Duration,
    /// Under an outage, what it did (the cell shows it, with the time).
    pub behaviour: Option<Behaviour>,
}

impl Case {
    /// The case differs from the expectations.
    pub fn is_difference(&self) -> bool {
        matches!(self.status, Status::Unexpected | Status::Fixed(_))
    }

    /// The table cell: the status, and under an outage what the client did and how long it
    /// took.
    fn cell(&self) -> String {
        match self.behaviour {
            Some(b) => format!(
                "{} ({} {:.1} s)",
                self.status_cell(),
                b.as_str(),
                self.time.as_secs_f64()
            ),
            None => self.status_cell().to_owned(),
        }
    }

    fn status_cell(&self) -> &'static str {
        match (&self.status, self.want) {
            (Status::Ok, Want::Pass) => "pass",
            (Status::Ok, Want::Fail) => "refused",
            (Status::KnownGap(_), _) => "gap",
            (Status::Unexpected, Want::Pass) => "FAIL",
            (Status::Unexpected, Want::Fail) => "ACCEPTED",
            (Status::Fixed(_), _) => "FIXED",
            (Status::Skipped(_), _) => "skip",
            (Status::NotApplicable(_), _) => "n/a",
        }
    }
}

/// Every case of a run.
#[derive(Debug, Clone)]
pub struct Report {
    /// The log the clients signed to: `Rekor v1`, or `Rekor v2` (the tile-based log).
    pub log: String,
    /// The clients, in the order given.
    pub clients: Vec<String>,
    /// The cases, in the order run.
    pub cases: Vec<Case>,
    /// The whole run, stack start to stop.
    pub elapsed: Duration,
}

/// At most `max` characters of `text`'s end (where clients print their error).
fn trim(text: &str, max: usize) -> String {
    let text = text.trim();
    let count = text.chars().count();
    if count <= max {
        return text.to_owned();
    }
    let tail: String = text.chars().skip(count - max).collect();
    format!("[...]{tail}")
}

fn xml_escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            // XML 1.0 forbids most control characters (terminal colour codes among them).
            c if (c as u32) < 0x20 && !matches!(c, '\n' | '\r' | '\t') => out.push('?'),
            c => out.push(c),
        }
    }
    out
}

/// Totals of a run.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Totals {
    /// Cases run.
    pub cases: usize,
    /// Cases that did what the scenario wants.
    pub ok: usize,
    /// Known gaps.
    pub gaps: usize,
    /// Differences from the expectations.
    pub differences: usize,
    /// Cases not run.
    pub skipped: usize,
    /// Cases that do not apply to the client.
    pub not_applicable: usize,
}

impl Report {
    /// Scenario ids in the order first run.
    pub fn scenarios(&self) -> Vec<&str> {
        let mut out: Vec<&str> = Vec::new();
        for case in &self.cases {
            if !out.contains(&case.scenario.as_str()) {
                out.push(&case.scenario);
            }
        }
        out
    }

    /// The case of `client` in `scenario`.
    pub fn case(&self, client: &str, scenario: &str) -> Option<&Case> {
        self.cases
            .iter()
            .find(|c| c.client == client && c.scenario == scenario)
    }

    /// The counts.
    pub fn totals(&self) -> Totals {
        let mut t = Totals {
            cases: self.cases.len(),
            ..Totals::default()
        };
        for case in &self.cases {
            match case.status {
                Status::Ok => t.ok += 1,
                Status::KnownGap(_) => t.gaps += 1,
                Status::Unexpected | Status::Fixed(_) => t.differences += 1,
                Status::Skipped(_) => t.skipped += 1,
                Status::NotApplicable(_) => t.not_applicable += 1,
            }
        }
        t
    }

    /// The cases that differ from the expectations.
    pub fn differences(&self) -> impl Iterator<Item = &Case> {
        self.cases.iter().filter(|c| c.is_difference())
    }

    fn rows(&self) -> Vec<Vec<String>> {
        self.scenarios()
            .into_iter()
            .map(|s| {
                let mut row = vec![s.to_owned()];
                row.extend(
                    self.clients
                        .iter()
                        .map(|c| self.case(c, s).map_or_else(|| "-".to_owned(), Case::cell)),
                );
                row
            })
            .collect()
    }

    fn summary(&self) -> String {
        let t = self.totals();
        // "n/a" only when there are such cases: the committed reports' summaries stay as they are.
        let na = if t.not_applicable > 0 {
            format!(", {} not applicable", t.not_applicable)
        } else {
            String::new()
        };
        format!(
            "{} cases: {} as wanted, {} known gaps, {} differences, {} skipped{na}; {:.1} s",
            t.cases,
            t.ok,
            t.gaps,
            t.differences,
            t.skipped,
            self.elapsed.as_secs_f64()
        )
    }

    /// A plain-text table (scenarios down, clients across), then the differences.
    pub fn to_text(&self) -> String {
        let mut header = vec!["scenario".to_owned()];
        header.extend(self.clients.iter().cloned());
        let rows = self.rows();
        let widths: Vec<usize> = (0..header.len())
            .map(|i| {
                rows.iter()
                    .map(|r| r[i].len())
                    .chain([header[i].len()])
                    .max()
                    .unwrap_or(0)
            })
            .collect();
        let line = |cells: &[String]| {
            let mut s = String::new();
            for (cell, w) in cells.iter().zip(&widths) {
                let _ = write!(s, "{cell:<w$}  ");
            }
            s.trim_end().to_owned() + "\n"
        };
        let mut out = line(&header);
        for row in &rows {
            out += &line(row);
        }
        out += "\n";
        for case in self.differences() {
            let _ = writeln!(
                out,
                "DIFFERENCE {} {}: {}\n    {}",
                case.client,
                case.scenario,
                describe(case),
                trim(&case.output, 400).replace('\n', "\n    ")
            );
        }
        out += &self.summary();
        out += "\n";
        out
    }

    /// Markdown: the table, totals, time taken, gaps and differences.
    pub fn to_markdown(&self) -> String {
        let mut out = format!("# Client conformance, signing to {}\n\n", self.log);
        out += "Generated by `sigbox conformance` (`just conformance`; `--rekor-v2` for the \
                tile-based log) against an in-process stack on the system clock. `pass`: \
                signed or verified; `refused`: a tampered bundle, or what a fault served, \
                refused, as wanted; `gap`: a known client gap (below); `FAIL` / `ACCEPTED` / \
                `FIXED`: differences from the expectations (`conformance/expectations.json`, \
                or `conformance/expectations-rekor-v2.json` for the Rekor v2 run); `skip`: \
                what the case needs failed earlier, or the client cannot be pointed at the \
                stack's TUF repository (`tuf/*`, `fault/tuf-*`: the trusted root through TUF, \
                from root v1, one cache per client); `n/a`: the scenario has no meaning for \
                the client (below: a verify-only client signs nothing, and verifies in \
                `fault/*` and `rotate/*` what the first signing client signed; a client that \
                signs git commits verifies no Sigstore bundle, and the other way round), or \
                the fault is one Rekor v2 has nothing for, or the client did not call the \
                service an outage took down. `outage/<service>-<kind>`: the service answers \
                one request with a 429 (`Retry-After: 1`), a 503, a closed connection or half \
                an answer, or answers every request 60 s late; each client signs (for TUF: \
                verifies through TUF) under it, and the cell says what it did and in how long: \
                `succeeded`, `error` (gave up with an error of its own), `hung` (stopped by the \
                runner at 45 s) or `crashed` (a signal, or its runtime's crash report). `pass` \
                there: through a 429 or a 503 it retried and signed; under the others it did \
                not hang or crash. `rotate/<rotation>`: after the rotation the client signs, \
                verifies its first bundle (`verify-old`) and the new one; after a `-retire` \
                rotation `verify-old` is the newest bundle it signed before, signed under a \
                generation the trusted root no longer lists, and must be refused; after a \
                `tuf-root` rotation both go through TUF from root v1 with a fresh cache, where \
                the client can be pointed at TUF. `-same-subject`: a new Fulcio intermediate \
                with the old one's subject name under the old root; `-legacy-key-ids`: a TUF \
                root whose key IDs are not its keys' hashes.\n\n";
        let _ = writeln!(out, "| scenario | {} |", self.clients.join(" | "));
        let _ = writeln!(out, "|---|{}", "---|".repeat(self.clients.len()));
        for row in self.rows() {
            let _ = writeln!(out, "| {} |", row.join(" | "));
        }
        let _ = writeln!(out, "\n{}\n", self.summary());
        let gaps: Vec<&Case> = self
            .cases
            .iter()
            .filter(|c| matches!(c.status, Status::KnownGap(_)))
            .collect();
        if !gaps.is_empty() {
            out += "## Known gaps\n\n";
            for case in gaps {
                let _ = writeln!(
                    out,
                    "- {} `{}`: {}",
                    case.client,
                    case.scenario,
                    describe(case)
                );
            }
            out += "\n";
        }
        for (title, na) in [("Skipped", false), ("Not applicable", true)] {
            let groups = self.grouped(na);
            if groups.is_empty() {
                continue;
            }
            let _ = writeln!(out, "## {title}\n");
            for ((client, reason), scenarios) in groups {
                // The scenarios when they are few; a count when they are many.
                let which = if scenarios.len() <= 4 {
                    format!("`{}`", scenarios.join("`, `"))
                } else {
                    format!("{} cases", scenarios.len())
                };
                let _ = writeln!(out, "- {client}, {which}: {reason}");
            }
            out += "\n";
        }
        let diffs: Vec<&Case> = self.differences().collect();
        if !diffs.is_empty() {
            out += "## Differences\n\n";
            for case in diffs {
                let _ = writeln!(
                    out,
                    "- {} `{}`: {}\n\n  ```\n  {}\n  ```\n",
                    case.client,
                    case.scenario,
                    describe(case),
                    trim(&case.output, 800).replace('\n', "\n  ")
                );
            }
        }
        out
    }

    /// The skipped (or, with `na`, the not applicable) cases by client and reason, in the
    /// order first met: their scenarios.
    fn grouped(&self, na: bool) -> Vec<((&str, &str), Vec<&str>)> {
        let mut groups: Vec<((&str, &str), Vec<&str>)> = Vec::new();
        for case in &self.cases {
            let ((Status::Skipped(reason), false) | (Status::NotApplicable(reason), true)) =
                (&case.status, na)
            else {
                continue;
            };
            let key = (case.client.as_str(), reason.as_str());
            match groups.iter_mut().find(|(k, _)| *k == key) {
                Some((_, scenarios)) => scenarios.push(&case.scenario),
                None => groups.push((key, vec![&case.scenario])),
            }
        }
        groups
    }

    /// JUnit XML: one testcase per client and scenario; differences are failures with the
    /// client's output (trimmed), known gaps and skips are skipped.
    pub fn to_junit(&self) -> String {
        let t = self.totals();
        let mut out = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
        let _ = writeln!(
            out,
            "<testsuites name=\"sigbox conformance\" tests=\"{}\" failures=\"{}\" time=\"{:.3}\">",
            t.cases,
            t.differences,
            self.elapsed.as_secs_f64()
        );
        let _ = writeln!(
            out,
            "  <testsuite name=\"sigbox conformance\" tests=\"{}\" failures=\"{}\" errors=\"0\" \
             skipped=\"{}\" time=\"{:.3}\">",
            t.cases,
            t.differences,
            t.gaps + t.skipped + t.not_applicable,
            self.elapsed.as_secs_f64()
        );
        for case in &self.cases {
            let _ = write!(
                out,
                "    <testcase classname=\"{}\" name=\"{}\" time=\"{:.3}\"",
                xml_escape(&case.client),
                xml_escape(&case.scenario),
                case.time.as_secs_f64()
            );
            match &case.status {
                Status::Ok => out += "/>\n",
                Status::KnownGap(reason)
                | Status::Skipped(reason)
                | Status::NotApplicable(reason) => {
                    let _ = writeln!(
                        out,
                        ">\n      <skipped message=\"{}\"/>\n    </testcase>",
                        xml_escape(reason)
                    );
                }
                Status::Unexpected | Status::Fixed(_) => {
                    let _ = writeln!(
                        out,
                        ">\n      <failure message=\"{}\">{}</failure>\n    </testcase>",
                        xml_escape(&describe(case)),
                        xml_escape(&trim(&case.output, 2000))
                    );
                }
            }
        }
        out += "  </testsuite>\n</testsuites>\n";
        out
    }
}

/// One sentence on a case's status.
fn describe(case: &Case) -> String {
    match (&case.status, case.want) {
        (Status::Ok, _) => "as wanted".to_owned(),
        (Status::KnownGap(r), _) => format!("known gap: {r}"),
        (Status::Unexpected, Want::Pass) => "failed, where it should pass".to_owned(),
        (Status::Unexpected, Want::Fail) => "accepted, where it should refuse".to_owned(),
        (Status::Fixed(r), _) => {
            format!("does what the scenario wants although a gap is recorded ({r})")
        }
        (Status::Skipped(r), _) => format!("skipped: {r}"),
        (Status::NotApplicable(r), _) => format!("not applicable: {r}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn case(client: &str, scenario: &str, want: Want, status: Status) -> Case {
        Case {
            client: client.into(),
            scenario: scenario.into(),
            want,
            status,
            output: "out <&>\u{1b}[0m".into(),
            time: Duration::from_millis(5),
            behaviour: None,
        }
    }

    #[test]
    fn renders_table_markdown_and_junit() {
        let report = Report {
            log: "Rekor v1".into(),
            clients: vec!["a".into(), "b".into()],
            cases: vec![
                case("a", "sign/message", Want::Pass, Status::Ok),
                case("b", "sign/message", Want::Pass, Status::Unexpected),
                case("a", "tamper/x", Want::Fail, Status::Ok),
                case("b", "tamper/x", Want::Fail, Status::KnownGap("why".into())),
                case("a", "tuf/x", Want::Pass, Status::Skipped("no TUF".into())),
                case("b", "tuf/x", Want::Pass, Status::Ok),
                case("a", "tuf/y", Want::Fail, Status::Skipped("no TUF".into())),
                case(
                    "b",
                    "tuf/y",
                    Want::Fail,
                    Status::NotApplicable("commits".into()),
                ),
            ],
            elapsed: Duration::from_secs(2),
        };
        let text = report.to_text();
        assert!(text.contains("sign/message  pass     FAIL\n"), "{text}");
        assert!(text.contains("tamper/x      refused  gap\n"), "{text}");
        assert!(text.contains("tuf/y         skip     n/a\n"), "{text}");
        assert!(text.contains(
            "8 cases: 3 as wanted, 1 known gaps, 1 differences, 2 skipped, 1 not applicable;"
        ));
        let md = report.to_markdown();
        assert!(md.contains("| sign/message | pass | FAIL |"), "{md}");
        assert!(
            md.contains("## Skipped\n\n- a, `tuf/x`, `tuf/y`: no TUF\n"),
            "{md}"
        );
        assert!(
            md.contains("## Not applicable\n\n- b, `tuf/y`: commits\n"),
            "{md}"
        );
        let xml = report.to_junit();
        assert!(xml.contains("tests=\"8\" failures=\"1\""), "{xml}");
        assert!(xml.contains("skipped=\"4\""), "{xml}");
        assert!(xml.contains("<skipped message=\"commits\"/>"), "{xml}");
        assert!(xml.contains("out &lt;&amp;&gt;?[0m"), "{xml}");
        assert!(xml.contains("<skipped message=\"why\"/>"));
    }

    #[test]
    fn trims_from_the_end() {
        assert_eq!(trim("abcdef", 3), "[...]def");
        assert_eq!(trim(" ab ", 3), "ab");
    }
}
