//! What an auto-approved shell command lets an agent do: run anything (a shell, an
//! interpreter, a command runner), reach any host, write to a code host or a package
//! registry, or call a cloud's API. A rule names a command and whether it matches more
//! after it (`Bash(git push:*)` is `git push` and anything after it).
//!
//! The lists are deliberately short and plain: a command is arbitrary shell only when it
//! is one of the programs that run whatever they are given. Commands that run the
//! repository's own scripts (`make`, `npm run`, `just`) are not counted, although an agent
//! that may also edit those scripts can make them run anything.

/// What one shell rule allows, beyond running the command it names.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Class {
    /// Why it runs any command, when it does.
    pub any: Option<&'static str>,
    /// Whether it reaches any host (`curl`, `wget`, `ssh`).
    pub network: bool,
    /// Why it writes to a code host or a package registry, when it does.
    pub code_host_write: Option<&'static str>,
    /// The cloud or cluster CLI it calls and whether only to read (`Some((cli, read))`).
    pub cloud: Option<(&'static str, bool)>,
}

const SHELLS: &[&str] = &[
    "sh",
    "bash",
    "zsh",
    "fish",
    "dash",
    "ksh",
    "csh",
    "tcsh",
    "pwsh",
    "powershell",
    "cmd",
    "cmd.exe",
    "powershell.exe",
];

const INTERPRETERS: &[&str] = &[
    "python",
    "python3",
    "python2",
    "py",
    "node",
    "deno",
    "bun",
    "ruby",
    "perl",
    "php",
    "lua",
    "Rscript",
    "osascript",
    "tclsh",
    "julia",
    "awk",
    "gawk",
];

/// Programs that run the command they are given (`sudo X`, `xargs X`, `find -exec X`).
const WRAPPERS: &[&str] = &[
    "eval", "exec", "env", "xargs", "sudo", "su", "doas", "nohup", "time", "timeout", "nice",
    "command", "builtin", "watch", "find", "parallel", "script", "ssh",
];

/// Runners of any package or command: `npx X`, `uv run X`, `docker run IMAGE CMD`.
const RUNNERS: &[&[&str]] = &[
    &["npx"],
    &["bunx"],
    &["pnpx"],
    &["uvx"],
    &["pipx", "run"],
    &["uv", "run"],
    &["uv", "tool", "run"],
    &["npm", "exec"],
    &["pnpm", "exec"],
    &["pnpm", "dlx"],
    &["yarn", "dlx"],
    &["yarn", "exec"],
    &["poetry", "run"],
    &["pipenv", "run"],
    &["bundle", "exec"],
    &["docker", "run"],
    &["docker", "exec"],
    &["podman", "run"],
    &["podman", "exec"],
    &["kubectl", "exec"],
    &["deno", "run"],
    &["go", "run"],
];

/// Flags that make an interpreter or shell run the code that follows.
const CODE_FLAGS: &[&str] = &[
    "-c",
    "-lc",
    "-ic",
    "-e",
    "-E",
    "--eval",
    "-p",
    "--print",
    "-r",
    "-Command",
    "-EncodedCommand",
    "/c",
];

const NETWORK: &[&str] = &[
    "curl",
    "wget",
    "http",
    "https",
    "xh",
    "nc",
    "ncat",
    "netcat",
    "socat",
    "telnet",
    "ftp",
    "sftp",
    "scp",
    "ssh",
    "rsync",
    "aria2c",
    "Invoke-WebRequest",
    "Invoke-RestMethod",
    "iwr",
    "irm",
];

const CLOUD: &[&str] = &[
    "aws",
    "gcloud",
    "gsutil",
    "bq",
    "az",
    "kubectl",
    "helm",
    "terraform",
    "tofu",
    "pulumi",
    "eksctl",
    "oc",
    "doctl",
    "sam",
    "cdk",
];

/// Sub-commands that only look: `aws s3 ls`, `kubectl get`, `gh pr view`.
const READ_VERBS: &[&str] = &[
    "ls",
    "list",
    "get",
    "describe",
    "show",
    "view",
    "status",
    "version",
    "--version",
    "help",
    "--help",
    "whoami",
    "current-context",
    "checks",
    "diff",
    "watch",
    "search",
    "browse",
    "plan",
    "validate",
    "fmt",
    "output",
    "logs",
    "top",
    "explain",
    "api-resources",
    "cat",
];

/// `gh` and `glab` sub-commands that write: creating, merging, commenting, running.
const HOST_WRITE_VERBS: &[&str] = &[
    "create", "merge", "edit", "close", "reopen", "comment", "delete", "review", "run", "set",
    "upload", "fork", "sync", "lock", "unlock", "transfer", "archive", "rename", "ready", "add",
    "remove", "cancel", "rerun", "enable", "disable", "develop", "pin", "unpin", "deploy",
    "approve", "update", "push", "label", "assign",
];

const PUBLISH: &[&[&str]] = &[
    &["npm", "publish"],
    &["pnpm", "publish"],
    &["yarn", "publish"],
    &["yarn", "npm", "publish"],
    &["cargo", "publish"],
    &["twine", "upload"],
    &["gem", "push"],
    &["docker", "push"],
    &["podman", "push"],
    &["poetry", "publish"],
    &["uv", "publish"],
    &["dotnet", "nuget", "push"],
];

/// The program a command starts with: its file name, after any `NAME=value` assignments.
fn program_and_args<'a>(words: &'a [&'a str]) -> (&'a str, &'a [&'a str]) {
    let start = words
        .iter()
        .position(|w| !is_assignment(w))
        .unwrap_or(words.len());
    let rest = &words[start..];
    match rest.split_first() {
        Some((first, args)) => (first.rsplit(['/', '\\']).next().unwrap_or(first), args),
        None => ("", rest),
    }
}

fn is_assignment(word: &str) -> bool {
    word.split_once('=').is_some_and(|(name, _)| {
        !name.is_empty() && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
    })
}

/// Classifies a shell rule: `command` as written (without the rule's wildcard), `open`
/// when the rule also matches whatever follows it. An empty command is any command.
pub fn classify(command: &str, open: bool) -> Class {
    let words: Vec<&str> = command.split_whitespace().collect();
    let (program, args) = program_and_args(&words);
    let mut class = Class::default();
    if program.is_empty() || program == "*" || program == "**" {
        class.any = Some("any command");
        class.network = true;
        return class;
    }
    // Only the whole program with nothing after it, or with a flag that runs the code
    // that follows, runs anything: `python:*`, `bash -c:*`; not `python scripts/x.py`.
    let bare = args.is_empty() && open;
    let code_flag = args.first().is_some_and(|a| CODE_FLAGS.contains(a));
    if SHELLS.contains(&program) && (bare || code_flag) {
        class.any = Some("a shell");
    } else if INTERPRETERS.contains(&program) && (bare || code_flag) {
        class.any = Some("an interpreter");
    } else if WRAPPERS.contains(&program) && (bare || program == "eval") {
        class.any = Some("runs the command it is given");
    } else if open
        && RUNNERS
            .iter()
            .any(|r| r[0] == program && args.len() + 1 == r.len() && args[..] == r[1..])
    {
        class.any = Some("runs any package or command");
    }
    if class.any.is_some() {
        class.network = true;
    }
    if NETWORK.contains(&program) && (open || !args.is_empty()) {
        class.network = true;
    }
    class.code_host_write = host_write(program, args, open);
    if let Some(cli) = CLOUD.iter().find(|c| **c == program) {
        let read = args.iter().any(|a| {
            READ_VERBS
                .iter()
                .any(|v| a == v || (a.starts_with(v) && a[v.len()..].starts_with('-')))
        });
        class.cloud = Some((cli, read));
    }
    class
}

fn host_write(program: &str, args: &[&str], open: bool) -> Option<&'static str> {
    let sub: Vec<&str> = args
        .iter()
        .copied()
        .filter(|a| !a.starts_with('-'))
        .collect();
    for p in PUBLISH {
        if p[0] == program && sub.len() + 1 >= p.len() && sub[..p.len() - 1] == p[1..] {
            return Some("publishes a package");
        }
        // `npm:*` covers `npm publish`.
        if p[0] == program && sub.is_empty() && open {
            return Some("publishes a package");
        }
    }
    match program {
        "git" => match sub.first() {
            Some(&"push") => Some("pushes to the remote"),
            None if open => Some("any git command, push included"),
            _ => None,
        },
        "gh" | "glab" | "hub" => match (sub.first(), sub.get(1)) {
            (None, _) if open => Some("any code-host command"),
            (Some(&"api"), _) => Some("any call to the code host's API"),
            (Some(_), None) if open => Some("any command of that group, writes included"),
            (Some(_), Some(verb)) if HOST_WRITE_VERBS.contains(verb) => {
                Some("writes to the code host")
            }
            _ => None,
        },
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn arbitrary_shell_is_only_what_runs_anything() {
        assert_eq!(classify("", true).any, Some("any command"));
        assert_eq!(classify("*", true).any, Some("any command"));
        assert_eq!(classify("bash", true).any, Some("a shell"));
        assert_eq!(classify("bash -c", true).any, Some("a shell"));
        assert_eq!(classify("sh -c", false).any, Some("a shell"));
        assert_eq!(classify("python", true).any, Some("an interpreter"));
        assert_eq!(classify("node -e", true).any, Some("an interpreter"));
        assert_eq!(
            classify("npx", true).any,
            Some("runs any package or command")
        );
        assert_eq!(
            classify("uv run", true).any,
            Some("runs any package or command")
        );
        assert_eq!(
            classify("sudo", true).any,
            Some("runs the command it is given")
        );
        assert_eq!(classify("git add", true).any, None);
        assert_eq!(classify("git", true).any, None);
        assert_eq!(classify("bash scripts/test.sh", true).any, None);
        assert_eq!(classify("python scripts/x.py", true).any, None);
        assert_eq!(classify("python", false).any, None);
        assert_eq!(classify("npx prettier", true).any, None);
        assert_eq!(classify("uv run pytest", true).any, None);
        assert_eq!(classify("echo", true).any, None);
        assert_eq!(classify("tee", true).any, None);
        assert_eq!(
            classify("FOO=1 /usr/bin/python", true).any,
            Some("an interpreter")
        );
    }

    #[test]
    fn network_code_host_and_cloud() {
        assert!(classify("curl", true).network);
        assert!(!classify("curl", false).network);
        assert!(classify("wget https://x", false).network);
        assert!(!classify("git log", true).network);
        assert!(classify("git push", true).code_host_write.is_some());
        assert!(classify("git", true).code_host_write.is_some());
        assert!(classify("git add", true).code_host_write.is_none());
        assert!(classify("gh pr create", true).code_host_write.is_some());
        assert!(classify("gh api", true).code_host_write.is_some());
        assert!(classify("gh pr view", true).code_host_write.is_none());
        assert!(classify("gh issue", true).code_host_write.is_some());
        assert!(classify("gh run list", true).code_host_write.is_none());
        assert!(classify("gh run view", true).code_host_write.is_none());
        assert!(classify("gh workflow run", true).code_host_write.is_some());
        assert!(classify("gh auth status", true).code_host_write.is_none());
        assert!(classify("npm publish", false).code_host_write.is_some());
        assert!(classify("npm test", true).code_host_write.is_none());
        assert_eq!(classify("aws", true).cloud, Some(("aws", false)));
        assert_eq!(
            classify("aws configure list-profiles", false).cloud,
            Some(("aws", true))
        );
        assert_eq!(classify("kubectl get", true).cloud, Some(("kubectl", true)));
        assert_eq!(
            classify("kubectl apply", true).cloud,
            Some(("kubectl", false))
        );
        assert_eq!(classify("gcloud", true).cloud, Some(("gcloud", false)));
        assert_eq!(classify("ls", true).cloud, None);
    }
}
