//! Laying text out for a terminal: the width to wrap at, colour, and how much to show.
//! Wrapping only breaks at spaces, so a path, an ARN or a `file:line:column` is never
//! split across lines (a token wider than the line overflows it instead).

use unicode_width::UnicodeWidthStr;

/// How much a terminal renderer prints.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Detail {
    /// The summary only.
    Quiet,
    #[default]
    Normal,
    /// Every location, remediation, controls, suppressed findings.
    Verbose,
}

/// The terminal a renderer writes for.
#[derive(Debug, Clone, Copy)]
pub struct Term {
    /// Columns to wrap at.
    pub width: usize,
    pub color: bool,
    pub detail: Detail,
}

impl Default for Term {
    fn default() -> Self {
        Term {
            width: DEFAULT_WIDTH,
            color: false,
            detail: Detail::Normal,
        }
    }
}

/// The width used when neither `COLUMNS` nor a terminal says otherwise.
pub const DEFAULT_WIDTH: usize = 100;
/// Below this, wrapping helps no one: lines are laid out as if this wide.
const MIN_WIDTH: usize = 40;

/// ANSI styles; nothing when colour is off.
#[derive(Debug, Clone, Copy)]
pub enum Style {
    Bold,
    Dim,
    Red,
    BoldRed,
    Yellow,
    Cyan,
    Magenta,
}

impl Term {
    pub fn paint(&self, style: Style, text: &str) -> String {
        if !self.color {
            return text.to_string();
        }
        let code = match style {
            Style::Bold => "1",
            Style::Dim => "2",
            Style::Red => "31",
            Style::BoldRed => "1;31",
            Style::Yellow => "33",
            Style::Cyan => "36",
            Style::Magenta => "1;35",
        };
        format!("\x1b[{code}m{text}\x1b[0m")
    }

    /// Wraps `text` to the width: the first line starts with `first`, the next ones with
    /// `rest` (both already laid out, so their display width counts). Explicit newlines
    /// in `text` start new lines. Breaks only at spaces.
    pub fn wrap(&self, first: &str, rest: &str, text: &str) -> String {
        let width = self.width.max(MIN_WIDTH);
        let mut out = String::new();
        let mut prefix = first;
        for paragraph in text.split('\n') {
            // Text from input reaches here escaped; this keeps anything else harmless.
            let paragraph = crate::text::escape_controls(paragraph);
            let mut line = String::from(prefix);
            let mut used = visible_width(prefix);
            let mut empty = true;
            for word in paragraph.split(' ').filter(|w| !w.is_empty()) {
                let w = word.width();
                if !empty && used + 1 + w > width {
                    out.push_str(&line);
                    out.push('\n');
                    line = String::from(rest);
                    used = visible_width(rest);
                    empty = true;
                }
                if !empty {
                    line.push(' ');
                    used += 1;
                }
                line.push_str(word);
                used += w;
                empty = false;
            }
            out.push_str(line.trim_end());
            out.push('\n');
            prefix = rest;
        }
        out
    }
}

/// Display width without ANSI escape sequences.
pub fn visible_width(s: &str) -> usize {
    if !s.contains('\x1b') {
        return s.width();
    }
    let mut plain = String::with_capacity(s.len());
    let mut chars = s.chars();
    while let Some(c) = chars.next() {
        if c == '\x1b' {
            for c in chars.by_ref() {
                if c.is_ascii_alphabetic() {
                    break;
                }
            }
        } else {
            plain.push(c);
        }
    }
    plain.width()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn term(width: usize) -> Term {
        Term {
            width,
            ..Term::default()
        }
    }

    #[test]
    fn wraps_at_spaces_and_never_splits_a_token() {
        let t = term(40);
        let loc = "fixtures/demo/a/very/long/path/to/some/file/.mcp.json:9:30";
        let text = format!("held at {loc} by the agent");
        let out = t.wrap("  at ", "     ", &text);
        assert!(out.lines().any(|l| l.trim() == loc), "{out}");
        for line in out.lines() {
            assert!(!line.ends_with(' '));
        }
        let arn = "arn:aws:iam::123456789012:role/support-bedrock-agent";
        let out = t.wrap("", "", &format!("{arn} {arn}"));
        assert_eq!(out, format!("{arn}\n{arn}\n"));
    }

    #[test]
    fn short_text_stays_on_one_line_with_its_prefix() {
        let t = term(80);
        assert_eq!(t.wrap("HIGH  ", "      ", "two words"), "HIGH  two words\n");
        assert_eq!(t.wrap("a ", "  ", "one\ntwo three"), "a one\n  two three\n");
    }

    #[test]
    fn width_ignores_colour_codes() {
        let t = Term {
            color: true,
            ..term(80)
        };
        assert_eq!(visible_width(&t.paint(Style::Red, "HIGH")), 4);
    }
}
