//! GitHub Actions expressions: the `${{ … }}` spans of a value, and a parser for the
//! conditions of `if:` (`&&`, `||`, `!`, comparisons, `contains(…)`, `fromJSON(…)`),
//! enough to tell who a condition lets through. Anything it cannot read is `None`, which
//! callers treat as "no restriction".

/// The inner text of every `${{ … }}` in `text`, with its byte offset.
pub fn interpolations(text: &str) -> Vec<(usize, &str)> {
    let mut out = Vec::new();
    let mut rest = text;
    let mut base = 0;
    while let Some(start) = rest.find("${{") {
        let after = &rest[start + 3..];
        let Some(end) = after.find("}}") else { break };
        out.push((base + start, after[..end].trim()));
        let consumed = start + 3 + end + 2;
        base += consumed;
        rest = &rest[consumed..];
    }
    out
}

/// A parsed expression.
#[derive(Debug, Clone, PartialEq)]
pub enum Expr {
    Or(Box<Expr>, Box<Expr>),
    And(Box<Expr>, Box<Expr>),
    Not(Box<Expr>),
    /// `==`, `!=`, `<`, `<=`, `>`, `>=`.
    Cmp(&'static str, Box<Expr>, Box<Expr>),
    Call(String, Vec<Expr>),
    /// A context path, lower-cased, with `['x']` written `.x`: `github.event.comment.body`.
    Path(String),
    Str(String),
    /// Numbers, booleans, null.
    Literal(String),
}

/// Parses a condition, with or without its `${{ }}`. `None` when it is not an
/// expression we can read (or nests deeper than any real one).
pub fn parse(text: &str) -> Option<Expr> {
    let t = text.trim();
    let inner = t
        .strip_prefix("${{")
        .and_then(|r| r.strip_suffix("}}"))
        .unwrap_or(t);
    let tokens = tokenize(inner)?;
    let mut p = Parser {
        tokens,
        pos: 0,
        depth: 0,
    };
    let e = p.or()?;
    (p.pos == p.tokens.len()).then_some(e)
}

#[derive(Debug, Clone, PartialEq)]
enum Tok {
    LParen,
    RParen,
    Comma,
    Not,
    And,
    Or,
    Op(&'static str),
    Str(String),
    Ident(String),
    Literal(String),
}

fn tokenize(s: &str) -> Option<Vec<Tok>> {
    let chars: Vec<char> = s.chars().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        let next = chars.get(i + 1).copied();
        match c {
            c if c.is_whitespace() => i += 1,
            '(' => {
                out.push(Tok::LParen);
                i += 1
            }
            ')' => {
                out.push(Tok::RParen);
                i += 1
            }
            ',' => {
                out.push(Tok::Comma);
                i += 1
            }
            '&' if next == Some('&') => {
                out.push(Tok::And);
                i += 2
            }
            '|' if next == Some('|') => {
                out.push(Tok::Or);
                i += 2
            }
            '=' if next == Some('=') => {
                out.push(Tok::Op("=="));
                i += 2
            }
            '!' if next == Some('=') => {
                out.push(Tok::Op("!="));
                i += 2
            }
            '!' => {
                out.push(Tok::Not);
                i += 1
            }
            '<' | '>' => {
                let eq = next == Some('=');
                out.push(Tok::Op(match (c, eq) {
                    ('<', true) => "<=",
                    ('<', false) => "<",
                    ('>', true) => ">=",
                    _ => ">",
                }));
                i += if eq { 2 } else { 1 };
            }
            '\'' => {
                let mut v = String::new();
                i += 1;
                loop {
                    match chars.get(i) {
                        None => return None,
                        Some('\'') if chars.get(i + 1) == Some(&'\'') => {
                            v.push('\'');
                            i += 2;
                        }
                        Some('\'') => {
                            i += 1;
                            break;
                        }
                        Some(ch) => {
                            v.push(*ch);
                            i += 1;
                        }
                    }
                }
                out.push(Tok::Str(v));
            }
            c if c.is_ascii_alphabetic() || c == '_' => {
                let mut v = String::new();
                while let Some(&ch) = chars.get(i) {
                    if ch.is_ascii_alphanumeric() || matches!(ch, '_' | '-' | '.' | '*') {
                        v.push(ch);
                        i += 1;
                    } else if ch == '[' {
                        // `a['b']` → `a.b`; `a[0]` → `a.0`; `a[*]` → `a.*`.
                        let close = chars[i..].iter().position(|c| *c == ']')? + i;
                        let idx: String = chars[i + 1..close].iter().collect();
                        v.push('.');
                        v.push_str(idx.trim().trim_matches(['\'', '"']));
                        i = close + 1;
                    } else {
                        break;
                    }
                }
                let lower = v.to_ascii_lowercase();
                match lower.as_str() {
                    "true" | "false" | "null" => out.push(Tok::Literal(lower)),
                    _ => out.push(Tok::Ident(lower)),
                }
            }
            c if c.is_ascii_digit() || c == '-' => {
                let mut v = String::new();
                while let Some(&ch) = chars.get(i) {
                    if ch.is_ascii_alphanumeric() || matches!(ch, '.' | '-' | '+') {
                        v.push(ch);
                        i += 1;
                    } else {
                        break;
                    }
                }
                out.push(Tok::Literal(v));
            }
            _ => return None,
        }
    }
    Some(out)
}

/// Real conditions nest a few levels; a hostile one nesting thousands is not read.
const MAX_DEPTH: usize = 64;

struct Parser {
    tokens: Vec<Tok>,
    pos: usize,
    depth: usize,
}

impl Parser {
    fn peek(&self) -> Option<&Tok> {
        self.tokens.get(self.pos)
    }

    fn eat(&mut self, t: &Tok) -> bool {
        if self.peek() == Some(t) {
            self.pos += 1;
            true
        } else {
            false
        }
    }

    fn or(&mut self) -> Option<Expr> {
        let mut left = self.and()?;
        while self.eat(&Tok::Or) {
            let right = self.and()?;
            left = Expr::Or(Box::new(left), Box::new(right));
        }
        Some(left)
    }

    fn and(&mut self) -> Option<Expr> {
        let mut left = self.cmp()?;
        while self.eat(&Tok::And) {
            let right = self.cmp()?;
            left = Expr::And(Box::new(left), Box::new(right));
        }
        Some(left)
    }

    fn cmp(&mut self) -> Option<Expr> {
        let left = self.unary()?;
        if let Some(Tok::Op(op)) = self.peek().cloned() {
            self.pos += 1;
            let right = self.unary()?;
            return Some(Expr::Cmp(op, Box::new(left), Box::new(right)));
        }
        Some(left)
    }

    fn unary(&mut self) -> Option<Expr> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return None;
        }
        let e = if self.eat(&Tok::Not) {
            Expr::Not(Box::new(self.unary()?))
        } else {
            self.primary()?
        };
        self.depth -= 1;
        Some(e)
    }

    fn primary(&mut self) -> Option<Expr> {
        match self.peek().cloned()? {
            Tok::LParen => {
                self.pos += 1;
                let e = self.or()?;
                self.eat(&Tok::RParen).then_some(e)
            }
            Tok::Str(s) => {
                self.pos += 1;
                Some(Expr::Str(s))
            }
            Tok::Literal(s) => {
                self.pos += 1;
                Some(Expr::Literal(s))
            }
            Tok::Ident(name) => {
                self.pos += 1;
                if self.eat(&Tok::LParen) {
                    let mut args = Vec::new();
                    if !self.eat(&Tok::RParen) {
                        loop {
                            args.push(self.or()?);
                            if self.eat(&Tok::RParen) {
                                break;
                            }
                            if !self.eat(&Tok::Comma) {
                                return None;
                            }
                        }
                    }
                    // `fromJSON('["a","b"]').x`-style suffixes are not read.
                    Some(Expr::Call(name, args))
                } else {
                    Some(Expr::Path(name))
                }
            }
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_interpolations() {
        let spans = interpolations("a ${{ github.event.issue.title }} b ${{secrets.X}}");
        assert_eq!(
            spans.iter().map(|s| s.1).collect::<Vec<_>>(),
            ["github.event.issue.title", "secrets.X"]
        );
        assert!(interpolations("${{ unterminated").is_empty());
    }

    #[test]
    fn parses_guards() {
        let e = parse(
            "${{ contains(fromJSON('[\"OWNER\",\"MEMBER\"]'), github.event.comment.author_association) && !github.event.pull_request.draft }}",
        )
        .unwrap();
        assert!(matches!(e, Expr::And(..)));
        let e = parse("github.event['comment'].user.login == 'Alice'").unwrap();
        assert_eq!(
            e,
            Expr::Cmp(
                "==",
                Box::new(Expr::Path("github.event.comment.user.login".into())),
                Box::new(Expr::Str("Alice".into()))
            )
        );
        assert!(parse("a == 'it''s'").is_some());
        assert!(parse("(((a)").is_none());
        let deep = format!("{}a{}", "(".repeat(500), ")".repeat(500));
        assert!(parse(&deep).is_none());
    }
}
