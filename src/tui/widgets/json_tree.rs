//! A folding JSON tree: each object and array is a row that opens and closes; the cursor
//! names a node by its RFC 6901 pointer (for copying a JSON path).

use std::collections::HashSet;

use ratatui::style::Style;
use ratatui::text::{Line, Span};
use serde_json::Value;

use crate::tui::theme::Theme;

pub struct JsonTree {
    /// (label, value) roots, e.g. ("data", …), ("metadata", …).
    roots: Vec<(String, Value)>,
    /// Pointers of closed nodes (prefixed with the root's label).
    closed: HashSet<String>,
    /// Each root pretty-printed, once (the raw view draws it often).
    pretty: Vec<(String, String)>,
    pub cursor: usize,
}

/// NaN, Infinity or -Infinity, as a state for display marks them (JSON has no such
/// numbers: it writes null): `{"$rewind:number": "NaN"}`.
pub fn non_finite(value: &Value) -> Option<&str> {
    match value {
        Value::Object(map) if map.len() == 1 => match map.get("$rewind:number")?.as_str()? {
            number @ ("NaN" | "Infinity" | "-Infinity") => Some(number),
            _ => None,
        },
        _ => None,
    }
}

/// One visible row.
pub struct TreeRow<'a> {
    pub pointer: String,
    depth: usize,
    key: String,
    value: &'a Value,
    open: bool,
}

/// Pretty JSON, the non-finite marks written as the numbers they stand for (for the
/// raw view; the text is for reading, not parsing).
fn pretty(value: &Value) -> String {
    /// Each mark as a string no JSON escapes leave alone: NUL, the number, NUL.
    fn placeholders(value: &Value) -> Value {
        if let Some(number) = non_finite(value) {
            return Value::String(format!("\0{number}\0"));
        }
        match value {
            Value::Object(map) => Value::Object(
                map.iter()
                    .map(|(k, v)| (k.clone(), placeholders(v)))
                    .collect(),
            ),
            Value::Array(items) => Value::Array(items.iter().map(placeholders).collect()),
            other => other.clone(),
        }
    }
    let mut text = serde_json::to_string_pretty(&placeholders(value)).unwrap_or_default();
    for number in ["NaN", "Infinity", "-Infinity"] {
        text = text.replace(&format!("\"\\u0000{number}\\u0000\""), number);
    }
    text
}

impl JsonTree {
    pub fn new(roots: Vec<(String, Value)>) -> JsonTree {
        let pretty = roots
            .iter()
            .map(|(label, value)| (label.clone(), pretty(value)))
            .collect();
        JsonTree {
            roots,
            closed: HashSet::new(),
            pretty,
            cursor: 0,
        }
    }

    /// (label, pretty-printed JSON) of each root.
    pub fn pretty(&self) -> &[(String, String)] {
        &self.pretty
    }

    /// The rows as shown: children of closed nodes hidden.
    pub fn rows(&self) -> Vec<TreeRow<'_>> {
        let mut rows = Vec::new();
        for (label, value) in &self.roots {
            self.walk(label.clone(), label.clone(), value, 0, &mut rows);
        }
        rows
    }

    fn walk<'a>(
        &self,
        pointer: String,
        key: String,
        value: &'a Value,
        depth: usize,
        rows: &mut Vec<TreeRow<'a>>,
    ) {
        let open = !self.closed.contains(&pointer);
        rows.push(TreeRow {
            pointer: pointer.clone(),
            depth,
            key,
            value,
            open,
        });
        if !open || non_finite(value).is_some() {
            return;
        }
        let escape = |k: &str| k.replace('~', "~0").replace('/', "~1");
        match value {
            Value::Object(map) => {
                for (k, v) in map {
                    self.walk(
                        format!("{pointer}/{}", escape(k)),
                        k.clone(),
                        v,
                        depth + 1,
                        rows,
                    );
                }
            }
            Value::Array(items) => {
                for (i, v) in items.iter().enumerate() {
                    self.walk(format!("{pointer}/{i}"), i.to_string(), v, depth + 1, rows);
                }
            }
            _ => {}
        }
    }

    pub fn move_by(&mut self, delta: isize) {
        let last = self.rows().len().saturating_sub(1);
        self.cursor = (self.cursor as isize + delta).clamp(0, last as isize) as usize;
    }

    /// Opens or closes the object or array under the cursor.
    pub fn toggle(&mut self) {
        let pointer = match self.rows().into_iter().nth(self.cursor) {
            Some(row) if matches!(row.value, Value::Object(_) | Value::Array(_)) => row.pointer,
            _ => return,
        };
        if !self.closed.remove(&pointer) {
            self.closed.insert(pointer);
        }
    }

    /// The RFC 6901 pointer of the node under the cursor, within its root ("/items/0";
    /// the root itself is "").
    pub fn cursor_path(&self) -> Option<String> {
        let row = self.rows().into_iter().nth(self.cursor)?;
        let root_len = self
            .roots
            .iter()
            .find(|(label, _)| row.pointer.starts_with(label.as_str()))?
            .0
            .len();
        Some(row.pointer[root_len..].to_owned())
    }

    /// The pointer of the node under the cursor within the event envelope ("/data/items/0").
    pub fn cursor_pointer(&self) -> Option<String> {
        Some(format!(
            "/{}",
            self.rows().into_iter().nth(self.cursor)?.pointer
        ))
    }

    /// The rows as coloured lines, the cursor's highlighted when `focused`.
    pub fn lines(&self, theme: &Theme, focused: bool) -> Vec<Line<'static>> {
        self.rows()
            .into_iter()
            .enumerate()
            .map(|(i, row)| {
                let mut spans = vec![Span::raw("  ".repeat(row.depth))];
                let (marker, summary) = match row.value {
                    value if non_finite(value).is_some() => ("  ", String::new()),
                    Value::Object(map) => (
                        if row.open { "▾ " } else { "▸ " },
                        format!("{{{}}}", map.len()),
                    ),
                    Value::Array(items) => (
                        if row.open { "▾ " } else { "▸ " },
                        format!("[{}]", items.len()),
                    ),
                    _ => ("  ", String::new()),
                };
                spans.push(Span::raw(marker));
                spans.push(Span::styled(row.key.clone(), theme.key));
                spans.push(Span::raw(": "));
                match row.value {
                    value if let Some(number) = non_finite(value) => {
                        spans.push(Span::styled(number.to_owned(), theme.number))
                    }
                    Value::Object(_) | Value::Array(_) => {
                        spans.push(Span::styled(summary, theme.muted))
                    }
                    // JSON's escapes (quotes, control characters), not Rust's Debug, which
                    // writes a joiner or an accent as `\u{200d}`.
                    Value::String(s) => spans.push(Span::styled(
                        serde_json::to_string(s).unwrap_or_default(),
                        theme.string,
                    )),
                    Value::Number(n) => spans.push(Span::styled(n.to_string(), theme.number)),
                    other => spans.push(Span::styled(other.to_string(), theme.literal)),
                }
                let line = Line::from(spans);
                if focused && i == self.cursor {
                    line.style(Style::new().reversed())
                } else {
                    line
                }
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn non_finite_numbers_show_as_such() {
        let value = json!({"ratio": {"$rewind:number": "NaN"}, "max": [{"$rewind:number": "-Infinity"}], "ok": 1});
        let tree = JsonTree::new(vec![("state".into(), value)]);
        let text: Vec<String> = tree
            .lines(&Theme::default(), false)
            .iter()
            .map(|l| l.to_string())
            .collect();
        assert!(text.iter().any(|l| l.ends_with("ratio: NaN")), "{text:?}");
        assert!(text.iter().any(|l| l.ends_with("0: -Infinity")), "{text:?}");
        let raw = &tree.pretty()[0].1;
        assert!(
            raw.contains("\"ratio\": NaN") && raw.contains("-Infinity"),
            "{raw}"
        );
        assert!(!raw.contains("rewind:number"), "{raw}");
    }

    #[test]
    fn folds_and_names_paths() {
        let mut tree = JsonTree::new(vec![
            (
                "data".into(),
                json!({"amount": 5, "items": [{"sku": "a/b"}, 2]}),
            ),
            ("metadata".into(), json!({"c": "x"})),
        ]);
        let keys: Vec<String> = tree.rows().iter().map(|r| r.pointer.clone()).collect();
        assert_eq!(
            keys,
            [
                "data",
                "data/amount",
                "data/items",
                "data/items/0",
                "data/items/0/sku",
                "data/items/1",
                "metadata",
                "metadata/c"
            ]
        );
        tree.move_by(4);
        assert_eq!(tree.cursor_path().as_deref(), Some("/items/0/sku"));
        tree.move_by(-2);
        tree.toggle(); // close data/items
        assert_eq!(tree.rows().len(), 5);
        let text: Vec<String> = tree
            .lines(&Theme::default(), true)
            .iter()
            .map(|l| l.to_string())
            .collect();
        assert!(text.contains(&"  ▸ items: [2]".to_owned()), "{text:?}");
        tree.toggle();
        assert_eq!(tree.rows().len(), 8);
        tree.move_by(-10);
        assert_eq!(tree.cursor_path().as_deref(), Some(""));
    }
}
