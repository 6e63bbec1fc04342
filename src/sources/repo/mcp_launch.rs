//! What an MCP server's command fetches and runs: the launcher (`npx`, `uvx`, `docker`…),
//! the package or image it pulls as written, its name without a version (for the
//! catalogue), and whether the version is pinned.

/// How firmly a launch names what it pulls.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Pin {
    /// An exact version (`pkg@1.2.3`, `pkg==1.2.3`), an image digest, a full commit id.
    Pinned,
    /// A reference that can move: an image tag, an npm dist-tag or range (`@next`, `@^1`),
    /// a pip range (`>=1.0`), a git branch or tag.
    Tag,
    /// No version, or `latest`: whatever the registry serves today.
    Unpinned,
}

impl Pin {
    pub fn as_str(self) -> &'static str {
        match self {
            Pin::Pinned => "pinned",
            Pin::Tag => "tag",
            Pin::Unpinned => "unpinned",
        }
    }
}

/// Where the launched code comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Origin {
    Npm,
    Pypi,
    Nuget,
    Image,
    /// A git repository or an archive URL named by the launch.
    Url,
    /// Code on the machine (`npx ./server.js`, `uvx --from ./pkg`): nothing is pulled.
    Local,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Launch {
    /// The launcher, as its command is named (`npx`, `uvx`, `docker`, `pnpm`, …).
    pub launcher: &'static str,
    pub origin: Origin,
    /// What it pulls, as written (`@scope/pkg@1.2.3`, `pkg==1.0`, `ghcr.io/o/i:tag`).
    pub spec: Option<String>,
    /// The package or image name without version, tag or digest, for the catalogue.
    pub name: Option<String>,
    /// `None` for local code and for launches whose target is not in the arguments.
    pub pin: Option<Pin>,
    /// The arguments after the package or image (a bridge's URL is among them).
    pub rest: Vec<String>,
}

/// The launch a server's `command` and `args` make, if the command is a launcher. A
/// command written with its arguments (`"npx -y pkg"`) and Windows' `cmd /c npx …` are
/// read as the launcher they run.
pub fn launch(command: &str, args: &[String]) -> Option<Launch> {
    let mut words: Vec<String> = Vec::new();
    let mut parts = command.split_whitespace();
    let first = parts.next()?;
    if launcher_name(first).is_some() || is_cmd(first) {
        words.extend(parts.map(str::to_string));
        words.extend(args.iter().cloned());
        return launch_words(first, &words);
    }
    launch_words(command, args)
}

fn is_cmd(word: &str) -> bool {
    matches!(base(word).as_str(), "cmd" | "cmd.exe")
}

/// The file name of a command, lower-cased, without a Windows `.cmd`/`.exe`/`.bat`.
fn base(command: &str) -> String {
    let name = command.rsplit(['/', '\\']).next().unwrap_or(command);
    let name = name.to_ascii_lowercase();
    for ext in [".cmd", ".exe", ".bat", ".ps1"] {
        if let Some(stem) = name.strip_suffix(ext) {
            return stem.to_string();
        }
    }
    name
}

fn launcher_name(command: &str) -> Option<&'static str> {
    Some(match base(command).as_str() {
        "npx" => "npx",
        "pnpx" => "pnpx",
        "bunx" => "bunx",
        "npm" => "npm",
        "pnpm" => "pnpm",
        "yarn" => "yarn",
        "bun" => "bun",
        "uvx" => "uvx",
        "uv" => "uv",
        "pipx" => "pipx",
        "dnx" => "dnx",
        "docker" => "docker",
        "podman" => "podman",
        _ => return None,
    })
}

fn launch_words(command: &str, args: &[String]) -> Option<Launch> {
    if is_cmd(command) {
        let (flag, rest) = args.split_first()?;
        if !flag.eq_ignore_ascii_case("/c") && !flag.eq_ignore_ascii_case("/k") {
            return None;
        }
        let (inner, rest) = rest.split_first()?;
        return launch(inner, rest);
    }
    let launcher = launcher_name(command)?;
    let sub = |names: &[&str]| -> Option<&[String]> {
        let (first, rest) = args.split_first()?;
        names.contains(&first.as_str()).then_some(rest)
    };
    match launcher {
        "npx" | "pnpx" | "bunx" => Some(npm_launch(launcher, args)),
        "npm" => sub(&["exec", "x"]).map(|rest| npm_launch(launcher, rest)),
        "pnpm" | "yarn" => sub(&["dlx"]).map(|rest| npm_launch(launcher, rest)),
        "bun" => sub(&["x"]).map(|rest| npm_launch(launcher, rest)),
        "uvx" => Some(python_launch(launcher, args)),
        "uv" => {
            let rest = sub(&["tool"])?;
            let (run, rest) = rest.split_first()?;
            (run == "run").then(|| python_launch(launcher, rest))
        }
        "pipx" => sub(&["run"]).map(|rest| python_launch(launcher, rest)),
        "dnx" => Some(nuget_launch(args)),
        "docker" | "podman" => {
            let rest = sub(&["run"]).or_else(|| {
                sub(&["container"]).and_then(|r| {
                    let (run, rest) = r.split_first()?;
                    (run == "run").then_some(rest)
                })
            });
            Some(match rest {
                Some(rest) => docker_launch(launcher, rest),
                // `docker mcp gateway run`, `docker exec`: no image pulled here.
                None => Launch::none(launcher),
            })
        }
        _ => None,
    }
}

impl Launch {
    fn none(launcher: &'static str) -> Self {
        Launch {
            launcher,
            origin: Origin::Local,
            spec: None,
            name: None,
            pin: None,
            rest: Vec::new(),
        }
    }
}

/// Splits arguments into the flags' values named in `package_flags`, and positionals,
/// skipping the flags listed in `valued` with their values.
struct Scan {
    packages: Vec<String>,
    positionals: Vec<String>,
}

fn scan(args: &[String], package_flags: &[&str], valued: &[&str]) -> Scan {
    let mut out = Scan {
        packages: Vec::new(),
        positionals: Vec::new(),
    };
    let mut i = 0;
    while i < args.len() {
        let arg = &args[i];
        i += 1;
        if !out.positionals.is_empty() {
            out.positionals.push(arg.clone());
            continue;
        }
        if arg == "--" {
            continue;
        }
        if arg.starts_with('-') && arg.len() > 1 {
            let (flag, inline) = match arg.split_once('=') {
                Some((f, v)) => (f, Some(v.to_string())),
                None => (arg.as_str(), None),
            };
            let takes = package_flags.contains(&flag) || valued.contains(&flag);
            let value = match inline {
                Some(v) => Some(v),
                None if takes => {
                    i += 1;
                    args.get(i - 1).cloned()
                }
                None => None,
            };
            if package_flags.contains(&flag)
                && let Some(v) = value
            {
                out.packages.push(v);
            }
            continue;
        }
        out.positionals.push(arg.clone());
    }
    out
}

fn npm_launch(launcher: &'static str, args: &[String]) -> Launch {
    let s = scan(
        args,
        &["-p", "--package"],
        &["--registry", "--cache", "--userconfig", "-c", "--call"],
    );
    let (spec, rest) = match s.packages.first() {
        Some(p) => (Some(p.clone()), s.positionals),
        None => {
            let mut pos = s.positionals.into_iter();
            (pos.next(), pos.collect())
        }
    };
    let Some(spec) = spec else {
        return Launch::none(launcher);
    };
    let (origin, name, pin) = npm_spec(&spec);
    Launch {
        launcher,
        origin,
        spec: Some(spec),
        name,
        pin,
        rest,
    }
}

/// An npm package spec: `pkg`, `pkg@1.2.3`, `@scope/pkg@^1`, a path, a git or tarball
/// URL, `owner/repo` (GitHub).
fn npm_spec(spec: &str) -> (Origin, Option<String>, Option<Pin>) {
    if is_local(spec) {
        return (Origin::Local, None, None);
    }
    if let Some(pin) = url_pin(spec, '#') {
        return (Origin::Url, None, Some(pin));
    }
    let (name, version) = match spec.strip_prefix('@') {
        Some(rest) => match rest.split_once('@') {
            Some((n, v)) => (format!("@{n}"), Some(v)),
            None => (spec.to_string(), None),
        },
        None => match spec.split_once('@') {
            Some((n, v)) => (n.to_string(), Some(v)),
            None => (spec.to_string(), None),
        },
    };
    // An unscoped name has no slash: `owner/repo` is GitHub.
    if !name.starts_with('@') && name.contains('/') {
        let pin = match spec.split_once('#') {
            Some((_, r)) => ref_pin(r),
            None => Pin::Unpinned,
        };
        return (Origin::Url, None, Some(pin));
    }
    let pin = match version {
        None | Some("" | "latest") => Pin::Unpinned,
        Some(v) if is_exact_version(v) => Pin::Pinned,
        Some(_) => Pin::Tag,
    };
    (Origin::Npm, Some(name.to_ascii_lowercase()), Some(pin))
}

fn is_local(spec: &str) -> bool {
    spec.starts_with(['.', '/', '~', '\\'])
        || spec.starts_with("file:")
        || spec.as_bytes().get(1) == Some(&b':') && spec.as_bytes().get(2) == Some(&b'\\')
}

/// The pin of a git or archive URL (`git+https://…@ref`, `github:o/r#ref`, `https://…tgz`),
/// or `None` when `spec` is not one. `mark` is the ref separator of the ecosystem.
fn url_pin(spec: &str, mark: char) -> Option<Pin> {
    let lower = spec.to_ascii_lowercase();
    let is_git = lower.starts_with("git+")
        || lower.starts_with("git://")
        || lower.starts_with("github:")
        || lower.starts_with("gitlab:")
        || lower.starts_with("bitbucket:");
    if is_git {
        let tail = spec.rsplit('/').next().unwrap_or(spec);
        // The ref comes after the last path segment's `mark` (npm) or `@` (pip).
        return Some(
            match tail.rsplit_once(mark).or_else(|| tail.rsplit_once('#')) {
                Some((_, r)) => ref_pin(r.split('#').next().unwrap_or(r)),
                None => Pin::Unpinned,
            },
        );
    }
    (lower.starts_with("https://") || lower.starts_with("http://")).then_some(Pin::Tag)
}

/// A full commit id is pinned; a branch or tag can move.
fn ref_pin(r: &str) -> Pin {
    if r.len() == 40 && r.bytes().all(|b| b.is_ascii_hexdigit()) {
        Pin::Pinned
    } else if r.is_empty() {
        Pin::Unpinned
    } else {
        Pin::Tag
    }
}

/// `1.2.3`, `v1.2.3`, `1.2.3-beta.1`, `1.2.3+build`: one version, not a range or tag.
fn is_exact_version(v: &str) -> bool {
    let v = v.strip_prefix('=').unwrap_or(v);
    let v = v.strip_prefix('v').unwrap_or(v);
    let core = v.split(['-', '+']).next().unwrap_or(v);
    let parts: Vec<&str> = core.split('.').collect();
    parts.len() == 3
        && parts
            .iter()
            .all(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()))
}

fn python_launch(launcher: &'static str, args: &[String]) -> Launch {
    let s = scan(
        args,
        &["--from", "--spec"],
        &[
            "--with",
            "-w",
            "--with-editable",
            "--with-requirements",
            "--python",
            "-p",
            "--index",
            "--index-url",
            "-i",
            "--extra-index-url",
            "--default-index",
            "--find-links",
            "-f",
            "--directory",
            "--project",
            "--env-file",
            "--cache-dir",
            "--config-file",
            "--prerelease",
            "--resolution",
            "--refresh-package",
            "--reinstall-package",
            "--upgrade-package",
            "--pip-args",
            "--exclude-newer",
            "--torch-backend",
        ],
    );
    let (spec, rest) = match s.packages.first() {
        Some(p) => (Some(p.clone()), s.positionals),
        None => {
            let mut pos = s.positionals.into_iter();
            (pos.next(), pos.collect())
        }
    };
    let Some(spec) = spec else {
        return Launch::none(launcher);
    };
    let (origin, name, pin) = python_spec(&spec);
    Launch {
        launcher,
        origin,
        spec: Some(spec),
        name,
        pin,
        rest,
    }
}

/// A Python requirement: `pkg`, `pkg==1.0`, `pkg[extra]>=1`, `pkg@1.0` (uv), `pkg @ URL`,
/// `git+https://…@ref`, a path.
fn python_spec(spec: &str) -> (Origin, Option<String>, Option<Pin>) {
    let spec = spec.trim();
    if is_local(spec) {
        return (Origin::Local, None, None);
    }
    if let Some(pin) = url_pin(spec, '@') {
        return (Origin::Url, None, Some(pin));
    }
    if let Some((_, url)) = spec.split_once(" @ ") {
        let (origin, _, pin) = python_spec(url);
        return (origin, None, pin);
    }
    let end = spec
        .find(|c: char| !(c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.')))
        .unwrap_or(spec.len());
    let name = pypi_normalise(&spec[..end]);
    let mut rest = spec[end..].trim_start();
    if rest.starts_with('[') {
        rest = rest.split_once(']').map_or("", |(_, r)| r).trim_start();
    }
    let rest = rest.split(';').next().unwrap_or("").trim();
    let pin = if rest.is_empty() {
        Pin::Unpinned
    } else if let Some(v) = rest.strip_prefix("===").or_else(|| rest.strip_prefix("==")) {
        if v.contains(['*', ',']) {
            Pin::Tag
        } else {
            Pin::Pinned
        }
    } else if let Some(v) = rest.strip_prefix('@') {
        match v.trim() {
            "latest" | "" => Pin::Unpinned,
            _ => Pin::Pinned,
        }
    } else {
        Pin::Tag
    };
    (Origin::Pypi, Some(name), Some(pin))
}

/// A PyPI name as PEP 503 compares them: lower case, runs of `-_.` as one `-`.
pub fn pypi_normalise(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    let mut sep = false;
    for c in name.chars() {
        if matches!(c, '-' | '_' | '.') {
            sep = true;
        } else {
            if sep && !out.is_empty() {
                out.push('-');
            }
            sep = false;
            out.push(c.to_ascii_lowercase());
        }
    }
    out
}

fn nuget_launch(args: &[String]) -> Launch {
    let s = scan(args, &[], &["--version", "--source", "--add-source"]);
    let version_flag = args
        .iter()
        .position(|a| a == "--version")
        .and_then(|i| args.get(i + 1));
    let mut pos = s.positionals.into_iter();
    let Some(spec) = pos.next() else {
        return Launch::none("dnx");
    };
    let (name, version) = match spec.split_once('@') {
        Some((n, v)) => (n.to_string(), Some(v.to_string())),
        None => (spec.clone(), version_flag.cloned()),
    };
    let pin = match version.as_deref() {
        None | Some("") => Pin::Unpinned,
        Some(v) if is_exact_version(v) => Pin::Pinned,
        Some(_) => Pin::Tag,
    };
    Launch {
        launcher: "dnx",
        origin: Origin::Nuget,
        spec: Some(spec),
        name: Some(name.to_ascii_lowercase()),
        pin: Some(pin),
        rest: pos.collect(),
    }
}

/// `docker run` flags that take no value; every other flag is taken to take one (most do).
const DOCKER_SWITCHES: &[&str] = &[
    "--rm",
    "--init",
    "--interactive",
    "--tty",
    "--detach",
    "--privileged",
    "--read-only",
    "--publish-all",
    "--no-healthcheck",
    "--oom-kill-disable",
    "--sig-proxy",
    "--quiet",
    "--disable-content-trust",
    "--help",
];

fn docker_launch(launcher: &'static str, args: &[String]) -> Launch {
    let mut i = 0;
    while i < args.len() {
        let arg = &args[i];
        i += 1;
        if arg == "--" {
            continue;
        }
        if let Some(long) = arg.strip_prefix("--") {
            if !long.contains('=') && !DOCKER_SWITCHES.contains(&arg.as_str()) {
                i += 1;
            }
            continue;
        }
        if let Some(short) = arg.strip_prefix('-') {
            // `-i`, `-it`, `-dit`: switches; `-e`, `-v`: a value follows; `-eX=1`: inline.
            let switches = short.bytes().all(|b| b"itdPq".contains(&b));
            if !switches && short.len() == 1 {
                i += 1;
            }
            continue;
        }
        let (name, pin) = image_ref(arg);
        return Launch {
            launcher,
            origin: Origin::Image,
            spec: Some(arg.clone()),
            name: Some(name),
            pin: Some(pin),
            rest: args[i..].to_vec(),
        };
    }
    Launch::none(launcher)
}

/// An image reference's name (lower-cased, Docker Hub's default registry and `library/`
/// dropped) and pin: `@sha256:…` is pinned, a tag other than `latest` can move.
pub fn image_ref(image: &str) -> (String, Pin) {
    let (rest, digest) = match image.split_once('@') {
        Some((r, d)) => (r, Some(d)),
        None => (image, None),
    };
    let slash = rest.rfind('/').map_or(0, |i| i + 1);
    let (name, tag) = match rest[slash..].split_once(':') {
        Some((_, t)) => (&rest[..slash + rest[slash..].len() - t.len() - 1], Some(t)),
        None => (rest, None),
    };
    let pin = match (digest, tag) {
        (Some(d), _) if d.starts_with("sha256:") => Pin::Pinned,
        (_, None | Some("latest" | "")) => Pin::Unpinned,
        _ => Pin::Tag,
    };
    (image_name(name), pin)
}

/// An image name as the catalogue compares them.
pub fn image_name(name: &str) -> String {
    let lower = name.to_ascii_lowercase();
    let mut name = lower.as_str();
    for registry in ["docker.io/", "index.docker.io/", "registry-1.docker.io/"] {
        if let Some(rest) = name.strip_prefix(registry) {
            name = rest;
        }
    }
    name.strip_prefix("library/").unwrap_or(name).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(command: &str, args: &[&str]) -> Launch {
        let args: Vec<String> = args.iter().map(|s| s.to_string()).collect();
        launch(command, &args).unwrap_or_else(|| panic!("{command} is not a launch"))
    }

    fn pin_of(command: &str, args: &[&str]) -> (Option<String>, Option<Pin>) {
        let l = run(command, args);
        (l.name, l.pin)
    }

    fn n(s: &str) -> Option<String> {
        Some(s.to_string())
    }

    #[test]
    fn npx_versions() {
        assert_eq!(
            pin_of("npx", &["-y", "pkg@1.2.3"]),
            (n("pkg"), Some(Pin::Pinned))
        );
        assert_eq!(pin_of("npx", &["pkg"]), (n("pkg"), Some(Pin::Unpinned)));
        assert_eq!(
            pin_of("npx", &["-y", "pkg@latest"]),
            (n("pkg"), Some(Pin::Unpinned))
        );
        assert_eq!(
            pin_of("npx", &["-y", "--package=pkg@1", "bin"]),
            (n("pkg"), Some(Pin::Tag))
        );
        assert_eq!(
            pin_of("npx", &["-p", "pkg@2.0.0", "bin", "--flag"]),
            (n("pkg"), Some(Pin::Pinned))
        );
        assert_eq!(
            pin_of("npx", &["-y", "@scope/pkg@1.2.3"]),
            (n("@scope/pkg"), Some(Pin::Pinned))
        );
        assert_eq!(
            pin_of("npx", &["-y", "@scope/pkg"]),
            (n("@scope/pkg"), Some(Pin::Unpinned))
        );
        assert_eq!(
            pin_of("npx", &["-y", "@Scope/Pkg@^1.2.0"]),
            (n("@scope/pkg"), Some(Pin::Tag))
        );
        assert_eq!(
            pin_of("npx", &["@scope/pkg@next"]),
            (n("@scope/pkg"), Some(Pin::Tag))
        );
        assert_eq!(
            pin_of("npx", &["-y", "pkg@1.2.3-beta.1"]).1,
            Some(Pin::Pinned)
        );
        // The arguments after the package are the server's.
        let l = run("npx", &["-y", "mcp-remote", "https://mcp.linear.app/sse"]);
        assert_eq!(l.rest, vec!["https://mcp.linear.app/sse".to_string()]);
    }

    #[test]
    fn npm_family_and_windows() {
        assert_eq!(
            pin_of("pnpm", &["dlx", "pkg@1.0.0"]),
            (n("pkg"), Some(Pin::Pinned))
        );
        assert_eq!(
            pin_of("npm", &["exec", "--", "pkg"]),
            (n("pkg"), Some(Pin::Unpinned))
        );
        assert_eq!(pin_of("bunx", &["pkg"]).1, Some(Pin::Unpinned));
        assert_eq!(
            pin_of("cmd", &["/c", "npx", "-y", "@scope/pkg@1.0.0"]),
            (n("@scope/pkg"), Some(Pin::Pinned))
        );
        assert_eq!(
            pin_of("C:\\Program Files\\nodejs\\npx.cmd", &["-y", "pkg"]).0,
            n("pkg")
        );
        assert_eq!(
            pin_of("npx -y pkg@1.0.0", &[]),
            (n("pkg"), Some(Pin::Pinned))
        );
        // `npm install`, `node`: not launches.
        assert!(launch("npm", &["install".to_string()]).is_none());
        assert!(launch("node", &["server.js".to_string()]).is_none());
    }

    #[test]
    fn npm_local_code_and_git() {
        let l = run("npx", &["./server.js"]);
        assert_eq!((l.origin, l.pin), (Origin::Local, None));
        let l = run(
            "npx",
            &["github:owner/repo#0123456789abcdef0123456789abcdef01234567"],
        );
        assert_eq!((l.origin, l.pin), (Origin::Url, Some(Pin::Pinned)));
        let l = run("npx", &["owner/repo"]);
        assert_eq!((l.origin, l.pin), (Origin::Url, Some(Pin::Unpinned)));
    }

    #[test]
    fn uvx_versions() {
        assert_eq!(pin_of("uvx", &["pkg==1.0"]), (n("pkg"), Some(Pin::Pinned)));
        assert_eq!(
            pin_of("uvx", &["mcp-server-fetch"]),
            (n("mcp-server-fetch"), Some(Pin::Unpinned))
        );
        assert_eq!(
            pin_of("uvx", &["awslabs.core-mcp-server@latest"]),
            (n("awslabs-core-mcp-server"), Some(Pin::Unpinned))
        );
        assert_eq!(pin_of("uvx", &["pkg@0.4.1"]), (n("pkg"), Some(Pin::Pinned)));
        assert_eq!(
            pin_of("uvx", &["--from", "pkg==1.2", "pkg-cli", "--x"]),
            (n("pkg"), Some(Pin::Pinned))
        );
        assert_eq!(
            pin_of("uvx", &["--from", "Pkg_Name[extra]>=1.0", "cli"]),
            (n("pkg-name"), Some(Pin::Tag))
        );
        assert_eq!(
            pin_of("uvx", &["--python", "3.12", "pkg"]),
            (n("pkg"), Some(Pin::Unpinned))
        );
        let sha = "0123456789abcdef0123456789abcdef01234567";
        let l = run(
            "uvx",
            &["--from", &format!("git+https://github.com/o/r@{sha}"), "r"],
        );
        assert_eq!((l.origin, l.pin), (Origin::Url, Some(Pin::Pinned)));
        let l = run("uvx", &["--from", "git+https://github.com/o/r", "r"]);
        assert_eq!(l.pin, Some(Pin::Unpinned));
        let l = run("uvx", &["--from", "git+https://github.com/o/r@main", "r"]);
        assert_eq!(l.pin, Some(Pin::Tag));
        assert_eq!(
            pin_of("pipx", &["run", "--spec", "pkg==2.0.0", "cli"]),
            (n("pkg"), Some(Pin::Pinned))
        );
        assert_eq!(
            pin_of("uv", &["tool", "run", "pkg"]),
            (n("pkg"), Some(Pin::Unpinned))
        );
        // `uv run server.py` runs local code: not a launch of a package.
        assert!(launch("uv", &["run".to_string(), "server.py".to_string()]).is_none());
    }

    #[test]
    fn docker_images() {
        let l = run(
            "docker",
            &[
                "run",
                "-i",
                "--rm",
                "-e",
                "X",
                "ghcr.io/github/github-mcp-server:v0.5.0",
            ],
        );
        assert_eq!(l.name, n("ghcr.io/github/github-mcp-server"));
        assert_eq!(l.pin, Some(Pin::Tag));
        let l = run("docker", &["run", "-it", "--rm", "mcp/fetch"]);
        assert_eq!((l.name, l.pin), (n("mcp/fetch"), Some(Pin::Unpinned)));
        let l = run(
            "docker",
            &["run", "--rm", "-i", "docker.io/mcp/fetch:latest"],
        );
        assert_eq!((l.name, l.pin), (n("mcp/fetch"), Some(Pin::Unpinned)));
        let digest = format!("mcp/fetch@sha256:{}", "a".repeat(64));
        let l = run(
            "docker",
            &["run", "-i", "--env=A=1", "-v", "/x:/y", &digest, "--arg"],
        );
        assert_eq!((l.name, l.pin), (n("mcp/fetch"), Some(Pin::Pinned)));
        assert_eq!(l.rest, vec!["--arg".to_string()]);
        let l = run(
            "podman",
            &["container", "run", "-eA=1", "localhost:5000/img:1.0"],
        );
        assert_eq!((l.name, l.pin), (n("localhost:5000/img"), Some(Pin::Tag)));
        let l = run("docker", &["run", "-i", "localhost:5000/img"]);
        assert_eq!(
            (l.name, l.pin),
            (n("localhost:5000/img"), Some(Pin::Unpinned))
        );
        // `docker mcp gateway run`: the launcher, nothing pulled.
        let l = run("docker", &["mcp", "gateway", "run"]);
        assert_eq!((l.launcher, l.pin), ("docker", None));
    }

    #[test]
    fn pypi_names_compare_as_pep_503_says() {
        assert_eq!(
            pypi_normalise("AWSLabs.Core_MCP--Server"),
            "awslabs-core-mcp-server"
        );
    }
}
