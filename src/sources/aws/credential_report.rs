//! The IAM credential report: the raw CSV, or the JSON `GetCredentialReport` response
//! with its `Content` base64-encoded (as AWS returns it) or plain.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// One row: a user (or `<root_account>`), its password, MFA and access keys.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Row {
    pub user: String,
    pub arn: String,
    pub fields: BTreeMap<String, String>,
}

impl Row {
    pub fn get(&self, column: &str) -> Option<&str> {
        self.fields
            .get(column)
            .map(String::as_str)
            .filter(|v| !v.is_empty() && !matches!(*v, "N/A" | "no_information" | "not_supported"))
    }

    pub fn flag(&self, column: &str) -> bool {
        self.get(column) == Some("true")
    }
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct CredentialReport {
    pub generated_time: Option<String>,
    pub rows: Vec<Row>,
    /// The CSV as read, for `export aws`.
    pub csv: String,
}

/// The columns the analysis needs; a report without them is partial.
pub const REQUIRED: &[&str] = &[
    "user",
    "arn",
    "user_creation_time",
    "access_key_1_active",
    "access_key_1_last_rotated",
    "access_key_1_last_used_date",
    "access_key_2_active",
    "access_key_2_last_rotated",
    "access_key_2_last_used_date",
];

/// A file that is not a credential report.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ReportError {
    #[error("not valid JSON: {0}")]
    NotJson(String),
    #[error("the JSON has no `Content` (expected a GetCredentialReport response)")]
    NoContent,
    #[error("`Content` is neither CSV nor base64")]
    NotBase64,
    #[error("`Content` decodes to something that is not text")]
    NotText,
    #[error("the credential report is empty")]
    Empty,
    #[error("line 1: not a credential report (the header must start with `user,arn`)")]
    NoHeader,
}

/// Parses either form. Returns the report and the problems found (missing columns,
/// short rows), which are reported but do not stop the analysis.
pub fn parse(text: &str) -> Result<(CredentialReport, Vec<String>), ReportError> {
    let trimmed = text.trim_start();
    if trimmed.starts_with('{') {
        let v: serde_json::Value =
            crate::doc::from_json(text).map_err(|e| ReportError::NotJson(e.to_string()))?;
        let content = v
            .get("Content")
            .and_then(|c| c.as_str())
            .ok_or(ReportError::NoContent)?;
        let csv = if content.trim_start().starts_with("user,") {
            content.to_string()
        } else {
            use base64::Engine as _;
            let compact: String = content.chars().filter(|c| !c.is_whitespace()).collect();
            let bytes = base64::engine::general_purpose::STANDARD
                .decode(compact)
                .map_err(|_| ReportError::NotBase64)?;
            String::from_utf8(bytes).map_err(|_| ReportError::NotText)?
        };
        let generated = v
            .get("GeneratedTime")
            .and_then(|g| g.as_str())
            .map(str::to_string);
        let (mut report, problems) = parse_csv(&csv)?;
        report.generated_time = generated;
        Ok((report, problems))
    } else {
        parse_csv(text)
    }
}

fn parse_csv(csv: &str) -> Result<(CredentialReport, Vec<String>), ReportError> {
    let mut lines = csv.lines().filter(|l| !l.trim().is_empty());
    let header: Vec<&str> = lines
        .next()
        .ok_or(ReportError::Empty)?
        .split(',')
        .map(str::trim)
        .collect();
    if header.first() != Some(&"user") {
        return Err(ReportError::NoHeader);
    }
    let mut problems = Vec::new();
    let missing: Vec<&str> = REQUIRED
        .iter()
        .copied()
        .filter(|c| !header.contains(c))
        .collect();
    if !missing.is_empty() {
        problems.push(format!(
            "line 1: missing column(s) {}; key age and use cannot be judged from this report",
            missing.join(", ")
        ));
    }
    let mut rows = Vec::new();
    for (i, line) in lines.enumerate() {
        let cells: Vec<&str> = line.split(',').collect();
        if cells.len() != header.len() {
            problems.push(format!(
                "line {}: {} cells where the header has {}",
                i + 2,
                cells.len(),
                header.len()
            ));
        }
        let fields: BTreeMap<String, String> = header
            .iter()
            .zip(cells.iter())
            .map(|(h, c)| (h.to_string(), c.trim().to_string()))
            .collect();
        rows.push(Row {
            user: fields.get("user").cloned().unwrap_or_default(),
            arn: fields.get("arn").cloned().unwrap_or_default(),
            fields,
        });
    }
    Ok((
        CredentialReport {
            generated_time: None,
            rows,
            csv: csv.to_string(),
        },
        problems,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    const CSV: &str = "user,arn,user_creation_time,access_key_1_active,access_key_1_last_rotated,access_key_1_last_used_date,access_key_2_active,access_key_2_last_rotated,access_key_2_last_used_date\nbot,arn:aws:iam::1:user/bot,2024-01-01T00:00:00+00:00,true,2024-01-01T00:00:00+00:00,N/A,false,N/A,N/A\n";

    #[test]
    fn csv_and_json_forms() {
        let (r, p) = parse(CSV).unwrap();
        assert!(p.is_empty());
        assert_eq!(r.rows[0].user, "bot");
        assert!(r.rows[0].flag("access_key_1_active"));
        assert_eq!(r.rows[0].get("access_key_1_last_used_date"), None);
        let b64 = "dXNlcixhcm4KYm90LGFybjphd3M6aWFtOjoxOnVzZXIvYm90Cg==";
        let json = format!("{{\"Content\": \"{b64}\", \"ReportFormat\": \"text/csv\"}}");
        let (r, p) = parse(&json).unwrap();
        assert_eq!(r.rows[0].arn, "arn:aws:iam::1:user/bot");
        assert!(p[0].contains("missing column"));
    }
}
