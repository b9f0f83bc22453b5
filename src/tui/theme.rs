//! Colours: `dark` (default), `light`, or `mono` (no colours; also chosen by `NO_COLOR`),
//! with per-role overrides from config.toml's `[theme.colors]`.

use std::str::FromStr;

use ratatui::style::{Color, Modifier, Style};
use ratatui::text::{Line, Span};

use crate::config::{ThemeConfig, ThemeName};

#[derive(Debug, Clone, PartialEq)]
pub struct Theme {
    /// The active tab.
    pub accent: Style,
    pub key: Style,
    pub string: Style,
    pub number: Style,
    /// `true`, `false`, `null`.
    pub literal: Style,
    pub muted: Style,
    /// A diff's added, removed and changed paths.
    pub added: Style,
    pub removed: Style,
    pub changed: Style,
}

impl Default for Theme {
    fn default() -> Self {
        Theme::named(ThemeName::Dark)
    }
}

impl Theme {
    pub fn named(name: ThemeName) -> Theme {
        let fg = |c: Color| Style::new().fg(c);
        match name {
            ThemeName::Dark => Theme {
                accent: Style::new()
                    .fg(Color::Black)
                    .bg(Color::Cyan)
                    .add_modifier(Modifier::BOLD),
                key: fg(Color::Cyan),
                string: fg(Color::Green),
                number: fg(Color::Yellow),
                literal: fg(Color::Magenta),
                muted: fg(Color::DarkGray),
                added: fg(Color::Green),
                removed: fg(Color::Red),
                changed: fg(Color::Yellow),
            },
            ThemeName::Light => Theme {
                accent: Style::new()
                    .fg(Color::White)
                    .bg(Color::Blue)
                    .add_modifier(Modifier::BOLD),
                key: fg(Color::Blue),
                string: fg(Color::Green),
                number: fg(Color::Red),
                literal: fg(Color::Magenta),
                muted: fg(Color::Gray),
                added: fg(Color::Green),
                removed: fg(Color::Red),
                changed: fg(Color::Magenta),
            },
            ThemeName::Mono => Theme {
                accent: Style::new().add_modifier(Modifier::REVERSED | Modifier::BOLD),
                key: Style::new().add_modifier(Modifier::BOLD),
                string: Style::new(),
                number: Style::new(),
                literal: Style::new().add_modifier(Modifier::ITALIC),
                muted: Style::new().add_modifier(Modifier::DIM),
                added: Style::new().add_modifier(Modifier::BOLD),
                removed: Style::new().add_modifier(Modifier::CROSSED_OUT),
                changed: Style::new().add_modifier(Modifier::ITALIC),
            },
        }
    }

    /// The configured theme; `no_color` (the `NO_COLOR` convention) forces `mono`.
    pub fn from_config(config: &ThemeConfig, no_color: bool) -> Result<Theme, String> {
        if no_color {
            return Ok(Theme::named(ThemeName::Mono));
        }
        let mut theme = Theme::named(config.name);
        for (role, colour) in &config.colors {
            let colour = Color::from_str(colour)
                .map_err(|_| format!("[theme.colors] {role}: unknown colour {colour:?}"))?;
            let slot = match role.as_str() {
                "accent" => {
                    theme.accent = theme.accent.bg(colour);
                    continue;
                }
                "key" => &mut theme.key,
                "string" => &mut theme.string,
                "number" => &mut theme.number,
                "literal" => &mut theme.literal,
                "muted" => &mut theme.muted,
                "added" => &mut theme.added,
                "removed" => &mut theme.removed,
                "changed" => &mut theme.changed,
                other => {
                    return Err(format!(
                        "[theme.colors]: unknown role {other:?} (accent, key, string, number, literal, muted, added, removed, changed)"
                    ));
                }
            };
            *slot = slot.fg(colour);
        }
        Ok(theme)
    }

    /// As `json`, owning its text (for panes built from a temporary string).
    pub fn json_owned(&self, pretty: &str) -> Vec<Line<'static>> {
        self.json(pretty)
            .into_iter()
            .map(|line| {
                Line::from(
                    line.spans
                        .into_iter()
                        .map(|s| Span::styled(s.content.into_owned(), s.style))
                        .collect::<Vec<_>>(),
                )
            })
            .collect()
    }

    /// Pretty-printed JSON as coloured lines: keys, strings, numbers and literals.
    pub fn json<'a>(&self, pretty: &'a str) -> Vec<Line<'a>> {
        pretty
            .lines()
            .map(|line| Line::from(self.json_line(line)))
            .collect()
    }

    fn json_line<'a>(&self, line: &'a str) -> Vec<Span<'a>> {
        let mut spans = Vec::new();
        let bytes = line.as_bytes();
        let (mut i, mut plain) = (0, 0);
        while i < bytes.len() {
            let start = i;
            let style = match bytes[i] {
                b'"' => {
                    i += 1;
                    while i < bytes.len() && bytes[i] != b'"' {
                        i += if bytes[i] == b'\\' { 2 } else { 1 };
                    }
                    i = (i + 1).min(bytes.len());
                    let is_key = line[i..].trim_start().starts_with(':');
                    if is_key { self.key } else { self.string }
                }
                b'-' | b'0'..=b'9' => {
                    while i < bytes.len()
                        && matches!(bytes[i], b'-' | b'+' | b'.' | b'e' | b'E' | b'0'..=b'9')
                    {
                        i += 1;
                    }
                    self.number
                }
                b't' | b'f' | b'n'
                    if ["true", "false", "null"]
                        .iter()
                        .any(|w| line[i..].starts_with(w)) =>
                {
                    i += ["true", "false", "null"]
                        .iter()
                        .find(|w| line[i..].starts_with(*w))
                        .map_or(1, |w| w.len());
                    self.literal
                }
                _ => {
                    i += line[i..].chars().next().map_or(1, char::len_utf8);
                    continue;
                }
            };
            if plain < start {
                spans.push(Span::raw(&line[plain..start]));
            }
            spans.push(Span::styled(&line[start..i], style));
            plain = i;
        }
        if plain < line.len() {
            spans.push(Span::raw(&line[plain..]));
        }
        spans
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn colours_json_tokens() {
        let theme = Theme::named(ThemeName::Dark);
        let spans = theme.json_line(r#"  "amount": 50, "note": "a \"b\"", "ok": true"#);
        let styled: Vec<(&str, Style)> = spans
            .iter()
            .map(|s| (s.content.as_ref(), s.style))
            .collect();
        assert!(styled.contains(&("\"amount\"", theme.key)));
        assert!(styled.contains(&("50", theme.number)));
        assert!(styled.contains(&(r#""a \"b\"""#, theme.string)));
        assert!(styled.contains(&("true", theme.literal)));
        let text: String = spans.iter().map(|s| s.content.as_ref()).collect();
        assert_eq!(text, r#"  "amount": 50, "note": "a \"b\"", "ok": true"#);
    }

    #[test]
    fn config_and_no_color() {
        let mut config = ThemeConfig::default();
        assert_eq!(
            Theme::from_config(&config, true).unwrap(),
            Theme::named(ThemeName::Mono)
        );
        config.colors.insert("key".into(), "#ff8800".into());
        assert_eq!(
            Theme::from_config(&config, false).unwrap().key,
            Style::new().fg(Color::Rgb(0xff, 0x88, 0))
        );
        config.colors.insert("key".into(), "not-a-colour".into());
        assert!(Theme::from_config(&config, false).is_err());
    }
}
