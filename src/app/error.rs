//! What stops a command, and the exit code each gives (DESIGN §5). Module errors (a
//! config, a rule, a snapshot, a data file) become one of these at the CLI layer.

/// Process exit codes.
pub mod exit {
    pub const OK: u8 = 0;
    pub const FINDINGS: u8 = 1;
    pub const USAGE: u8 = 2;
    pub const SOURCE_FAILED: u8 = 3;
}

/// A command that could not run. Each error names the file, line, path or argument;
/// none carries a secret value.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The command line asks for what cannot be: a path that is not there, a rule id no
    /// file defines, a baseline that is not one, a token variable that is unset.
    #[error("{0}")]
    Usage(String),
    /// Config or rule files that do not load: one line per problem.
    #[error("{}", .0.join("\n"))]
    Invalid(Vec<String>),
    /// Where output was asked to go cannot be written: the user's to fix, not a source
    /// that failed.
    #[error("cannot write {target}: {source}")]
    Output {
        /// `the report to out.json`, `into DIR`, `to standard output`.
        target: String,
        #[source]
        source: std::io::Error,
    },
    /// A saved report or inventory that `diff` or `graph --from` cannot read.
    #[error(transparent)]
    Snapshot(#[from] crate::diff::SnapshotError),
    /// The run could not finish for a reason of ours (a report that does not serialise).
    #[error("{0}")]
    Internal(String),
}

impl Error {
    /// Problems of a config or rule file, one per line.
    pub fn invalid<E: ToString>(errs: impl IntoIterator<Item = E>) -> Self {
        Error::Invalid(errs.into_iter().map(|e| e.to_string()).collect())
    }

    pub fn output(target: impl Into<String>, source: std::io::Error) -> Self {
        Error::Output {
            target: target.into(),
            source,
        }
    }

    pub fn exit_code(&self) -> u8 {
        match self {
            Error::Usage(_) | Error::Invalid(_) | Error::Output { .. } | Error::Snapshot(_) => {
                exit::USAGE
            }
            Error::Internal(_) => exit::SOURCE_FAILED,
        }
    }
}

impl From<serde_json::Error> for Error {
    fn from(e: serde_json::Error) -> Self {
        Error::Internal(format!("cannot serialise the output: {e}"))
    }
}

pub type Result<T> = std::result::Result<T, Error>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_unwritable_output_is_a_usage_error_not_a_failed_source() {
        let e = Error::output(
            "the report to /x/out.json",
            std::io::Error::from(std::io::ErrorKind::PermissionDenied),
        );
        assert_eq!(e.exit_code(), exit::USAGE);
        assert!(
            e.to_string()
                .starts_with("cannot write the report to /x/out.json: ")
        );
        assert_eq!(Error::Internal("x".into()).exit_code(), exit::SOURCE_FAILED);
    }

    #[test]
    fn invalid_files_are_one_problem_per_line() {
        let e = Error::invalid(["a.yaml:1: x", "b.yaml:2: y"]);
        assert_eq!(e.to_string(), "a.yaml:1: x\nb.yaml:2: y");
        assert_eq!(e.exit_code(), exit::USAGE);
    }
}
