//! JavaScript syntax colours for the workbench's editor: keywords, strings, numbers and
//! comments, one line at a time (a block comment is coloured on its own lines only).

use ratatui::text::Span;

use crate::tui::theme::Theme;

const KEYWORDS: [&str; 24] = [
    "const",
    "let",
    "var",
    "function",
    "return",
    "if",
    "else",
    "for",
    "while",
    "of",
    "in",
    "new",
    "true",
    "false",
    "null",
    "undefined",
    "this",
    "typeof",
    "break",
    "continue",
    "switch",
    "case",
    "default",
    "throw",
];

/// The spans of one line of JavaScript.
pub fn highlight(line: &str, theme: &Theme) -> Vec<Span<'static>> {
    let mut spans = Vec::new();
    let chars: Vec<char> = line.chars().collect();
    let mut i = 0;
    let mut plain = String::new();
    let flush = |plain: &mut String, spans: &mut Vec<Span<'static>>| {
        if !plain.is_empty() {
            spans.push(Span::raw(std::mem::take(plain)));
        }
    };
    while i < chars.len() {
        let c = chars[i];
        let rest: String = chars[i..].iter().collect();
        let at_indent = chars[..i].iter().all(|c| c.is_whitespace());
        if rest.starts_with("//") || rest.starts_with("/*") || (at_indent && c == '*') {
            flush(&mut plain, &mut spans);
            spans.push(Span::styled(rest, theme.muted));
            return spans;
        }
        if c == '"' || c == '\'' || c == '`' {
            flush(&mut plain, &mut spans);
            let mut j = i + 1;
            while j < chars.len() && chars[j] != c {
                if chars[j] == '\\' {
                    j += 1;
                }
                j += 1;
            }
            let end = (j + 1).min(chars.len());
            spans.push(Span::styled(
                chars[i..end].iter().collect::<String>(),
                theme.string,
            ));
            i = end;
            continue;
        }
        if c.is_ascii_digit() && (i == 0 || !is_word(chars[i - 1])) {
            flush(&mut plain, &mut spans);
            let mut j = i;
            while j < chars.len() && (chars[j].is_ascii_alphanumeric() || chars[j] == '.') {
                j += 1;
            }
            spans.push(Span::styled(
                chars[i..j].iter().collect::<String>(),
                theme.number,
            ));
            i = j;
            continue;
        }
        if is_word(c) && (i == 0 || !is_word(chars[i - 1])) {
            let mut j = i;
            while j < chars.len() && is_word(chars[j]) {
                j += 1;
            }
            let word: String = chars[i..j].iter().collect();
            if KEYWORDS.contains(&word.as_str()) {
                flush(&mut plain, &mut spans);
                spans.push(Span::styled(word, theme.literal));
            } else if word.starts_with('$')
                || matches!(
                    word.as_str(),
                    "fromAll"
                        | "fromCategory"
                        | "fromStream"
                        | "fromStreams"
                        | "when"
                        | "partitionBy"
                        | "foreachStream"
                        | "outputState"
                        | "emit"
                        | "linkTo"
                )
            {
                flush(&mut plain, &mut spans);
                spans.push(Span::styled(word, theme.key));
            } else {
                plain.push_str(&word);
            }
            i = j;
            continue;
        }
        plain.push(c);
        i += 1;
    }
    flush(&mut plain, &mut spans);
    spans
}

fn is_word(c: char) -> bool {
    c.is_alphanumeric() || c == '_' || c == '$'
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn colours_keywords_strings_numbers_and_comments() {
        let theme = Theme::default();
        let spans = highlight(r#"  const n = 42; // "quoted" in a comment"#, &theme);
        let styled = |text: &str| spans.iter().find(|s| s.content == text).map(|s| s.style);
        assert_eq!(styled("const"), Some(theme.literal));
        assert_eq!(styled("42"), Some(theme.number));
        assert_eq!(styled("// \"quoted\" in a comment"), Some(theme.muted));
        let spans = highlight(
            r#"fromCategory("Account").when({ $init: () => 'x\'y' })"#,
            &theme,
        );
        let styled = |text: &str| spans.iter().find(|s| s.content == text).map(|s| s.style);
        assert_eq!(styled("fromCategory"), Some(theme.key));
        assert_eq!(styled("\"Account\""), Some(theme.string));
        assert_eq!(styled("'x\\'y'"), Some(theme.string));
        assert_eq!(styled("$init"), Some(theme.key));
        let text: String = spans.iter().map(|s| s.content.as_ref()).collect();
        assert_eq!(
            text,
            r#"fromCategory("Account").when({ $init: () => 'x\'y' })"#
        );
    }
}
