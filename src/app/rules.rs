//! `nhi-audit rules list | show | check | fields`.

use super::{Error, Output, Result, exit};
use crate::cli::{ColorChoice, InventoryFormat, RulesCommand};
use crate::pipeline;
use crate::report::term::Detail;

pub fn run(cmd: RulesCommand) -> Result<u8> {
    match cmd {
        RulesCommand::List { rule_dirs } => {
            let rules = super::load_rules(&rule_dirs)?;
            let term = super::terminal(ColorChoice::Never, false, Detail::Normal);
            Output::stdout().write(&crate::report::text::rule_list(&rules, &term))?;
            Ok(exit::OK)
        }
        RulesCommand::Show { id, rule_dirs } => {
            let rules = super::load_rules(&rule_dirs)?;
            let Some(r) = rules
                .iter()
                .find(|r| r.id.eq_ignore_ascii_case(&id) || r.name == id)
            else {
                return Err(Error::Usage(format!(
                    "no rule {id}; `nhi-audit rules list` shows them"
                )));
            };
            Output::stdout().write(&crate::report::text::rule(r))?;
            Ok(exit::OK)
        }
        RulesCommand::Check { dir } => {
            let rules = crate::rules::load_dir(&dir).map_err(Error::invalid)?;
            // Example paths were resolved against each rule's file when loading.
            let failures = pipeline::check_examples(&rules, std::path::Path::new(""));
            if failures.is_empty() {
                Output::stdout().write(&format!(
                    "{} rule(s) in {} are valid and their examples behave.\n",
                    rules.len(),
                    dir.display()
                ))?;
                Ok(exit::OK)
            } else {
                Err(Error::Usage(failures.join("\n")))
            }
        }
        RulesCommand::Fields { format } => {
            let text = match format {
                InventoryFormat::Table => {
                    let term = super::terminal(ColorChoice::Never, false, Detail::Normal);
                    let groups = crate::rules::vocabulary::field_groups();
                    crate::report::text::fields(&groups, &term)
                }
                InventoryFormat::Json => {
                    let schema = crate::model::facts::schema();
                    let mut s = serde_json::to_string_pretty(&schema)
                        .map_err(|e| Error::Internal(e.to_string()))?;
                    s.push('\n');
                    s
                }
            };
            Output::stdout().write(&text)?;
            Ok(exit::OK)
        }
    }
}
