//! The partitions of a partitioned result: every key, filtered by what `/` typed, one
//! selected (its state is shown); a list that scrolls with its selection.

use ratatui::text::Line;

use crate::tui::chrome::group;
use crate::tui::theme::Theme;

#[derive(Default)]
pub struct Partitions {
    keys: Vec<String>,
    /// The `/` filter: keys containing it (any case) are listed.
    pub filter: Option<String>,
    /// Indices of the keys listed.
    shown: Vec<usize>,
    /// Which of those is selected.
    selected: usize,
}

impl Partitions {
    /// New keys (a result arrived): the selected key stays selected while listed.
    pub fn set_keys(&mut self, keys: Vec<String>) {
        let keep = self.selected_key().map(str::to_owned);
        self.keys = keys;
        self.refilter(keep.as_deref());
    }

    pub fn set_filter(&mut self, filter: Option<String>) {
        let keep = self.selected_key().map(str::to_owned);
        self.filter = filter.filter(|f| !f.is_empty());
        self.refilter(keep.as_deref());
    }

    fn refilter(&mut self, keep: Option<&str>) {
        let needle = self.filter.as_deref().map(str::to_lowercase);
        self.shown = self
            .keys
            .iter()
            .enumerate()
            .filter(|(_, k)| {
                needle
                    .as_deref()
                    .is_none_or(|n| k.to_lowercase().contains(n))
            })
            .map(|(i, _)| i)
            .collect();
        self.selected = keep
            .and_then(|k| self.shown.iter().position(|&i| self.keys[i] == k))
            .unwrap_or(0);
    }

    /// Moves the selection by `delta`, round the list.
    pub fn pick(&mut self, delta: isize) {
        let n = self.shown.len() as isize;
        if n > 0 {
            self.selected = (self.selected as isize + delta).rem_euclid(n) as usize;
        }
    }

    pub fn selected_key(&self) -> Option<&str> {
        self.shown
            .get(self.selected)
            .map(|&i| self.keys[i].as_str())
    }

    pub fn is_empty(&self) -> bool {
        self.keys.is_empty()
    }

    pub fn len(&self) -> usize {
        self.keys.len()
    }

    pub fn clear(&mut self) {
        *self = Partitions {
            filter: self.filter.take(),
            ..Default::default()
        };
    }

    /// "2 of 9 partitions matching \"acc\"".
    pub fn describe(&self) -> String {
        let matching = match &self.filter {
            Some(f) => format!(" matching {f:?}"),
            None => String::new(),
        };
        format!(
            "{} of {} partitions{matching}",
            group(self.shown.len() as u64),
            group(self.keys.len() as u64)
        )
    }

    /// The list, `height` rows, the selection in view.
    pub fn lines(&self, height: usize, theme: &Theme) -> Vec<Line<'static>> {
        let mut lines = Vec::new();
        if self.shown.is_empty() {
            lines.push(Line::styled("no partition matches", theme.muted));
            return lines;
        }
        let rows = height.max(1);
        let top = self
            .selected
            .saturating_sub(rows / 2)
            .min(self.shown.len().saturating_sub(rows));
        for (n, &i) in self.shown.iter().enumerate().skip(top).take(rows) {
            let key = &self.keys[i];
            lines.push(if n == self.selected {
                Line::styled(format!("▶ {key}"), theme.accent)
            } else {
                Line::raw(format!("  {key}"))
            });
        }
        lines
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn filters_and_keeps_the_selection() {
        let mut p = Partitions::default();
        p.set_keys(vec![
            "Account-1".into(),
            "Order-7".into(),
            "account-2".into(),
        ]);
        p.pick(1);
        assert_eq!(p.selected_key(), Some("Order-7"));
        p.set_filter(Some("ACC".into()));
        assert_eq!(
            p.selected_key(),
            Some("Account-1"),
            "Order-7 is filtered out"
        );
        p.pick(1);
        assert_eq!(p.selected_key(), Some("account-2"));
        p.set_keys(vec![
            "account-2".into(),
            "Account-1".into(),
            "Account-3".into(),
        ]);
        assert_eq!(
            p.selected_key(),
            Some("account-2"),
            "kept when new keys come"
        );
        p.set_filter(Some("zzz".into()));
        assert_eq!(p.selected_key(), None);
    }
}
