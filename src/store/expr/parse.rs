//! The expression grammar, by recursive descent over a token list:
//!
//! ```text
//! expr    := and ('or' and)*
//! and     := unary ('and' unary)*
//! unary   := 'not' unary | '(' expr ')' | 'exists' field | field test
//! test    := op value | ['not'] 'in' '(' value (',' value)* ')' | ['not'] 'like' text
//! field   := name ('.' (name | "quoted key"))*
//! ```
//!
//! Each token keeps its column, so an error points at the mistake; field and value kinds
//! are checked here, so a compiled expression never fails in the database.

use super::{CmpOp, Expr, Field, FieldKind, Literal, WhereError};
use crate::store::timestamp;

#[derive(Debug, Clone, PartialEq)]
enum Token {
    /// A bare word: a field name or a keyword.
    Word(String),
    /// `'text'`.
    Single(String),
    /// `"text"`: a quoted key after a dot, else text.
    Double(String),
    Number(String),
    Op(CmpOp),
    Open,
    Close,
    Comma,
    Dot,
}

struct Lexed {
    token: Token,
    column: usize,
}

fn error(column: usize, message: impl Into<String>) -> WhereError {
    WhereError {
        column,
        message: message.into(),
    }
}

/// Whether a key can be written without quotes.
pub fn is_identifier(key: &str) -> bool {
    let mut chars = key.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_' || c == '$')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '$' || c == '-')
}

fn lex(source: &str) -> Result<Vec<Lexed>, WhereError> {
    let chars: Vec<char> = source.chars().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        let column = i + 1;
        if c.is_whitespace() {
            i += 1;
            continue;
        }
        let token = match c {
            '(' => Token::Open,
            ')' => Token::Close,
            ',' => Token::Comma,
            '.' => Token::Dot,
            '=' => {
                if chars.get(i + 1) == Some(&'=') {
                    i += 1;
                }
                Token::Op(CmpOp::Eq)
            }
            '!' if chars.get(i + 1) == Some(&'=') => {
                i += 1;
                Token::Op(CmpOp::Ne)
            }
            '<' | '>' => {
                let next = chars.get(i + 1).copied();
                let op = match (c, next) {
                    ('<', Some('=')) => Some(CmpOp::Le),
                    ('<', Some('>')) => Some(CmpOp::Ne),
                    ('>', Some('=')) => Some(CmpOp::Ge),
                    _ => None,
                };
                match op {
                    Some(op) => {
                        i += 1;
                        Token::Op(op)
                    }
                    None if c == '<' => Token::Op(CmpOp::Lt),
                    None => Token::Op(CmpOp::Gt),
                }
            }
            '\'' | '"' => {
                // Quoted: the quote doubled stands for itself.
                let mut text = String::new();
                let mut j = i + 1;
                loop {
                    match chars.get(j) {
                        None => {
                            return Err(error(column, format!("this {c}…{c} is never closed")));
                        }
                        Some(&q) if q == c && chars.get(j + 1) == Some(&c) => {
                            text.push(c);
                            j += 2;
                        }
                        Some(&q) if q == c => break,
                        Some(&other) => {
                            text.push(other);
                            j += 1;
                        }
                    }
                }
                i = j;
                if c == '\'' {
                    Token::Single(text)
                } else {
                    Token::Double(text)
                }
            }
            c if c.is_ascii_digit() || (c == '-' && next_is_digit(&chars, i)) => {
                let mut j = i + 1;
                while j < chars.len()
                    && (chars[j].is_ascii_alphanumeric()
                        || chars[j] == '.'
                        || ((chars[j] == '-' || chars[j] == '+')
                            && matches!(chars[j - 1], 'e' | 'E')))
                {
                    j += 1;
                }
                let text: String = chars[i..j].iter().collect();
                i = j - 1;
                Token::Number(text)
            }
            c if c.is_ascii_alphabetic() || c == '_' || c == '$' => {
                let mut j = i + 1;
                while j < chars.len()
                    && (chars[j].is_ascii_alphanumeric() || matches!(chars[j], '_' | '$' | '-'))
                {
                    j += 1;
                }
                let text: String = chars[i..j].iter().collect();
                i = j - 1;
                Token::Word(text)
            }
            other => return Err(error(column, format!("unexpected {other:?}"))),
        };
        out.push(Lexed { token, column });
        i += 1;
    }
    Ok(out)
}

fn next_is_digit(chars: &[char], i: usize) -> bool {
    chars.get(i + 1).is_some_and(char::is_ascii_digit)
}

struct Parser {
    tokens: Vec<Lexed>,
    at: usize,
    /// The column just past the end, for "expected … at the end".
    end: usize,
}

pub fn parse(source: &str) -> Result<Expr, WhereError> {
    let mut parser = Parser::new(source)?;
    if parser.tokens.is_empty() {
        return Err(error(1, "an empty expression (try: type = 'OrderPlaced')"));
    }
    let expr = parser.or()?;
    parser.finish("and, or or the end")?;
    Ok(expr)
}

/// A field name alone (`data.amount`, `category`), as `rewind query` takes one.
pub fn field(source: &str) -> Result<Field, WhereError> {
    let mut parser = Parser::new(source)?;
    let field = parser.field()?;
    parser.finish("the end after the field")?;
    Ok(field)
}

fn describe(token: &Token) -> String {
    match token {
        Token::Word(w) => format!("'{w}'"),
        Token::Single(t) => format!("'{t}'"),
        Token::Double(t) => format!("\"{t}\""),
        Token::Number(n) => n.clone(),
        Token::Op(op) => op.sql().replace("<>", "!="),
        Token::Open => "'('".into(),
        Token::Close => "')'".into(),
        Token::Comma => "','".into(),
        Token::Dot => "'.'".into(),
    }
}

impl Parser {
    fn new(source: &str) -> Result<Parser, WhereError> {
        Ok(Parser {
            tokens: lex(source)?,
            at: 0,
            end: source.chars().count() + 1,
        })
    }

    /// Everything read, or an error naming the first token left over.
    fn finish(&self, expected: &str) -> Result<(), WhereError> {
        match self.peek() {
            Some(extra) => Err(error(
                extra.column,
                format!("expected {expected}, found {}", describe(&extra.token)),
            )),
            None => Ok(()),
        }
    }

    fn peek(&self) -> Option<&Lexed> {
        self.tokens.get(self.at)
    }

    fn column(&self) -> usize {
        self.peek().map_or(self.end, |t| t.column)
    }

    fn keyword(&mut self, word: &str) -> bool {
        let hit = matches!(self.peek(), Some(Lexed { token: Token::Word(w), .. }) if w.eq_ignore_ascii_case(word));
        if hit {
            self.at += 1;
        }
        hit
    }

    fn take(&mut self, wanted: &Token) -> bool {
        let hit = self.peek().is_some_and(|t| &t.token == wanted);
        if hit {
            self.at += 1;
        }
        hit
    }

    fn found(&self) -> String {
        self.peek()
            .map_or_else(|| "the end".to_owned(), |t| describe(&t.token))
    }

    fn or(&mut self) -> Result<Expr, WhereError> {
        let mut left = self.and()?;
        while self.keyword("or") {
            left = Expr::Or(Box::new(left), Box::new(self.and()?));
        }
        Ok(left)
    }

    fn and(&mut self) -> Result<Expr, WhereError> {
        let mut left = self.unary()?;
        while self.keyword("and") {
            left = Expr::And(Box::new(left), Box::new(self.unary()?));
        }
        Ok(left)
    }

    fn unary(&mut self) -> Result<Expr, WhereError> {
        if self.keyword("not") {
            return Ok(Expr::Not(Box::new(self.unary()?)));
        }
        if self.take(&Token::Open) {
            let inner = self.or()?;
            if !self.take(&Token::Close) {
                return Err(error(
                    self.column(),
                    format!("expected ')', found {}", self.found()),
                ));
            }
            return Ok(inner);
        }
        if self.keyword("exists") {
            let column = self.column();
            let field = self.field()?;
            if field.kind() != FieldKind::Json {
                return Err(error(
                    column,
                    format!(
                        "{} is always there: exists tests data.… and metadata.… fields",
                        field.name()
                    ),
                ));
            }
            return Ok(Expr::Exists(field));
        }
        let column = self.column();
        let field = self.field()?;
        self.test(field, column)
    }

    fn field(&mut self) -> Result<Field, WhereError> {
        let column = self.column();
        let Some(Lexed {
            token: Token::Word(name),
            ..
        }) = self.peek()
        else {
            return Err(error(
                column,
                format!(
                    "expected a field (type, stream, category, version, position, schema_version, recorded_at, data.…, metadata.…), found {}",
                    self.found()
                ),
            ));
        };
        let name = name.clone();
        self.at += 1;
        let field = match name.as_str() {
            "type" => Field::Type,
            "stream" => Field::Stream,
            "category" => Field::Category,
            "version" => Field::Version,
            "position" => Field::Position,
            "schema_version" => Field::SchemaVersion,
            "recorded_at" => Field::RecordedAt,
            "data" | "metadata" => {
                let mut keys = Vec::new();
                while self.take(&Token::Dot) {
                    let key_column = self.column();
                    match self.peek().map(|t| t.token.clone()) {
                        Some(Token::Word(key)) => keys.push(key),
                        Some(Token::Double(key)) => {
                            if key.contains('"') {
                                return Err(error(key_column, "a key cannot contain '\"'"));
                            }
                            keys.push(key)
                        }
                        Some(Token::Number(key)) if key.bytes().all(|b| b.is_ascii_digit()) => {
                            keys.push(key)
                        }
                        _ => {
                            return Err(error(
                                key_column,
                                format!("expected a key after '.', found {}", self.found()),
                            ));
                        }
                    }
                    self.at += 1;
                }
                if keys.is_empty() {
                    return Err(error(
                        self.column(),
                        format!("{name} needs a key: {name}.field"),
                    ));
                }
                if name == "data" {
                    Field::Data(keys)
                } else {
                    Field::Metadata(keys)
                }
            }
            other => {
                return Err(error(
                    column,
                    format!(
                        "no field {other:?}: type, stream, category, version, position, schema_version, recorded_at, data.…, metadata.…"
                    ),
                ));
            }
        };
        Ok(field)
    }

    fn test(&mut self, field: Field, field_column: usize) -> Result<Expr, WhereError> {
        let negated = self.keyword("not");
        if self.keyword("in") {
            if !self.take(&Token::Open) {
                return Err(error(
                    self.column(),
                    format!("expected '(' after in, found {}", self.found()),
                ));
            }
            let mut values = Vec::new();
            loop {
                let column = self.column();
                let value = self.value()?;
                values.push(check(&field, CmpOp::Eq, value, column)?);
                if self.take(&Token::Comma) {
                    continue;
                }
                if self.take(&Token::Close) {
                    break;
                }
                return Err(error(
                    self.column(),
                    format!("expected ',' or ')', found {}", self.found()),
                ));
            }
            let test = Expr::In { field, values };
            return Ok(if negated {
                Expr::Not(Box::new(test))
            } else {
                test
            });
        }
        if self.keyword("like") {
            if !matches!(field.kind(), FieldKind::Text | FieldKind::Json) {
                return Err(error(
                    field_column,
                    format!("like matches text; {} is not text", field.name()),
                ));
            }
            let column = self.column();
            let pattern = match self.value()? {
                Literal::Text(p) => p,
                _ => return Err(error(column, "like takes a text pattern: 'Account-%'")),
            };
            if pattern.ends_with('\\') && !pattern.ends_with("\\\\") {
                return Err(error(
                    column,
                    "a like pattern cannot end in a lone \\ (it escapes the next character)",
                ));
            }
            let test = Expr::Like { field, pattern };
            return Ok(if negated {
                Expr::Not(Box::new(test))
            } else {
                test
            });
        }
        if negated {
            return Err(error(
                self.column(),
                format!("expected in or like after not, found {}", self.found()),
            ));
        }
        let op = match self.peek() {
            Some(Lexed {
                token: Token::Op(op),
                ..
            }) => *op,
            _ => {
                return Err(error(
                    self.column(),
                    format!(
                        "expected = != < <= > >= in or like after {}, found {}",
                        field.name(),
                        self.found()
                    ),
                ));
            }
        };
        self.at += 1;
        let column = self.column();
        let value = self.value()?;
        let value = check(&field, op, value, column)?;
        Ok(Expr::Compare { field, op, value })
    }

    fn value(&mut self) -> Result<Literal, WhereError> {
        let column = self.column();
        let token = self.peek().map(|t| t.token.clone());
        let value = match token {
            Some(Token::Single(t)) | Some(Token::Double(t)) => Literal::Text(t),
            Some(Token::Number(n)) => {
                number(&n).ok_or_else(|| error(column, format!("{n} is not a number")))?
            }
            Some(Token::Word(w)) if w.eq_ignore_ascii_case("true") => Literal::Bool(true),
            Some(Token::Word(w)) if w.eq_ignore_ascii_case("false") => Literal::Bool(false),
            Some(Token::Word(w)) if w.eq_ignore_ascii_case("null") => Literal::Null,
            Some(Token::Word(w)) => {
                return Err(error(
                    column,
                    format!("expected a value, found '{w}' (text takes quotes: '{w}')"),
                ));
            }
            _ => {
                return Err(error(
                    column,
                    format!("expected a value, found {}", self.found()),
                ));
            }
        };
        self.at += 1;
        Ok(value)
    }
}

fn number(text: &str) -> Option<Literal> {
    let value: f64 = text.parse().ok()?;
    if !value.is_finite() {
        return None;
    }
    let integer = text.parse::<i64>().ok();
    Some(Literal::Number {
        text: text.to_owned(),
        value,
        integer,
    })
}

/// The value as the field's kind takes it, or why it cannot be compared so.
fn check(field: &Field, op: CmpOp, value: Literal, column: usize) -> Result<Literal, WhereError> {
    let ordered = !matches!(op, CmpOp::Eq | CmpOp::Ne);
    let name = field.name();
    match (field.kind(), value) {
        (FieldKind::Text, Literal::Text(t)) => Ok(Literal::Text(t)),
        (FieldKind::Text, _) => Err(error(
            column,
            format!("{name} is text: compare it with a quoted value"),
        )),
        (
            FieldKind::Integer,
            Literal::Number {
                integer: Some(i),
                text,
                value,
            },
        ) => Ok(Literal::Number {
            text,
            value,
            integer: Some(i),
        }),
        (FieldKind::Integer, _) => Err(error(
            column,
            format!("{name} is a whole number: compare it with one"),
        )),
        (FieldKind::Time, Literal::Text(t)) => timestamp::parse_user_time(&t)
            .map(Literal::Time)
            .map_err(|e| error(column, e)),
        (FieldKind::Time, _) => Err(error(
            column,
            format!("{name} is a time: compare it with a quoted one, e.g. '2026-06-01'"),
        )),
        (FieldKind::Json, Literal::Bool(_) | Literal::Null) if ordered => Err(error(
            column,
            format!("{} orders numbers and text only", op.sql()),
        )),
        (FieldKind::Json, v) => Ok(v),
    }
}
