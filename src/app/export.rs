//! `nhi-audit export aws | github | gcp | azure`: save what a live crawl reads.

use std::path::Path;

use super::{Error, Result, exit};
use crate::cli::{AzureArgs, GcpArgs, GithubArgs};
use crate::model::SourceError;

/// Creates the folder and checks it can be written, before any crawl.
fn writable_dir(output: &Path) -> Result<()> {
    let fail = |e| write_failed(output, e);
    std::fs::create_dir_all(output).map_err(fail)?;
    let probe = output.join(".nhi-audit-write-check");
    std::fs::write(&probe, b"").map_err(fail)?;
    let _ = std::fs::remove_file(&probe);
    Ok(())
}

fn write_failed(output: &Path, e: std::io::Error) -> Error {
    Error::output(format!("into {}", output.display()), e)
}

pub fn aws(
    output: &Path,
    profile: Option<String>,
    region: Option<String>,
    endpoint_url: Option<String>,
    last_accessed: bool,
) -> Result<u8> {
    writable_dir(output)?;
    let opts = crate::sources::aws::LiveOptions {
        profile,
        region,
        endpoint_url,
        concurrency: crate::sources::aws::live::DEFAULT_CONCURRENCY,
        progress: super::show_progress(),
        last_accessed,
    };
    let (input, errors) = crate::sources::aws::live::crawl(&opts);
    super::print_errors(&errors, "error");
    let Some(input) = input else {
        return Ok(exit::SOURCE_FAILED);
    };
    let files =
        crate::sources::aws::live::export(&input, output).map_err(|e| write_failed(output, e))?;
    for f in files {
        eprintln!("wrote {}", f.display());
    }
    Ok(if errors.is_empty() {
        exit::OK
    } else {
        exit::SOURCE_FAILED
    })
}

pub fn github(output: &Path, args: &GithubArgs) -> Result<u8> {
    let opts = super::github_live(args)?
        .ok_or_else(|| Error::Usage("export github needs at least one --github-org ORG".into()))?;
    writable_dir(output)?;
    let export = match crate::sources::github::crawl(&opts) {
        Ok((export, _)) => export,
        Err(e) => {
            super::print_errors(std::slice::from_ref(&e), "error");
            return Ok(exit::SOURCE_FAILED);
        }
    };
    let errors: Vec<_> = export.errors().cloned().collect();
    super::print_errors(&errors, "error");
    let path = export.write(output).map_err(|e| write_failed(output, e))?;
    eprintln!("wrote {}", path.display());
    Ok(if errors.is_empty() {
        exit::OK
    } else {
        exit::SOURCE_FAILED
    })
}

pub fn gcp(output: &Path, args: &GcpArgs) -> Result<u8> {
    let opts = super::gcp_live(args)?.ok_or_else(|| {
        Error::Usage("export gcp needs a --gcp-organization ID or a --gcp-project ID".into())
    })?;
    writable_dir(output)?;
    let crawl = crate::sources::gcp::live::crawl(&opts);
    finish(output, crawl, |crawl| {
        Ok(Written {
            files: crate::sources::gcp::write_export(crawl, &opts, output)?.len(),
            errors: &crawl.errors,
            requests: crawl.requests,
            signed_in_with: None,
        })
    })
}

pub fn azure(output: &Path, args: &AzureArgs) -> Result<u8> {
    let opts = super::azure_live(args)?
        .ok_or_else(|| Error::Usage("export azure needs --azure-tenant ID".into()))?;
    writable_dir(output)?;
    let crawl = crate::sources::azure::live::crawl(&opts);
    finish(output, crawl, |crawl| {
        Ok(Written {
            files: crate::sources::azure::write_export(crawl, &opts, output)?.len(),
            errors: &crawl.errors,
            requests: crawl.requests,
            signed_in_with: Some(crawl.signed_in_with),
        })
    })
}

/// What a cloud export wrote, and what its crawl could not read.
struct Written<'a> {
    files: usize,
    errors: &'a [SourceError],
    requests: u64,
    signed_in_with: Option<&'static str>,
}

/// A cloud crawl's end: its files written, its errors printed, and the exit code (a
/// partial read is a failed source).
fn finish<C>(
    output: &Path,
    crawl: std::result::Result<C, SourceError>,
    write: impl FnOnce(&C) -> std::io::Result<Written<'_>>,
) -> Result<u8> {
    let crawl = match crawl {
        Ok(crawl) => crawl,
        Err(e) => {
            super::print_errors(std::slice::from_ref(&e), "error");
            return Ok(exit::SOURCE_FAILED);
        }
    };
    let w = write(&crawl).map_err(|e| write_failed(output, e))?;
    super::print_errors(w.errors, "error");
    let how = w
        .signed_in_with
        .map(|c| format!(", signed in with {c}"))
        .unwrap_or_default();
    eprintln!(
        "wrote {} files into {} ({} requests{how})",
        w.files,
        output.display(),
        w.requests
    );
    Ok(if w.errors.is_empty() {
        exit::OK
    } else {
        exit::SOURCE_FAILED
    })
}
