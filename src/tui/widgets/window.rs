//! A virtual list: a bounded window of rows over something far larger (a log of millions
//! of events), paged in from the store as the selection nears either end, and trimmed at
//! the other end so memory stays bounded however far one scrolls.

use std::collections::VecDeque;

pub use crate::tui::io::{Fetch, PAGE};

/// The most rows held at once.
const CAPACITY: usize = PAGE * 4;
/// Fetch more when the selection is this close to an end of the window.
const MARGIN: usize = 50;

/// A move of a list's selection.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Move {
    By(isize),
    First,
    Last,
}

impl Move {
    /// The move a navigation key makes, if it is one.
    pub fn of(action: crate::tui::keymap::Action, page: isize) -> Option<Move> {
        use crate::tui::keymap::Action;
        Some(match action {
            Action::Up => Move::By(-1),
            Action::Down => Move::By(1),
            Action::PageUp => Move::By(-page),
            Action::PageDown => Move::By(page),
            Action::First => Move::First,
            Action::Last => Move::Last,
            _ => return None,
        })
    }

    /// As rows by (an end as a move far enough to reach it).
    pub fn rows(self) -> isize {
        match self {
            Move::By(n) => n,
            Move::First => isize::MIN / 2,
            Move::Last => isize::MAX / 2,
        }
    }
}

pub struct Window<T, K> {
    rows: VecDeque<T>,
    key: fn(&T) -> K,
    selected: usize,
    at_start: bool,
    at_end: bool,
    /// The fetch under way: no second one is asked for until it answers.
    pending: Option<Fetch<K>>,
}

impl<T, K: Clone + PartialEq> Window<T, K> {
    pub fn new(key: fn(&T) -> K) -> Self {
        Window {
            rows: VecDeque::new(),
            key,
            selected: 0,
            at_start: false,
            at_end: false,
            pending: None,
        }
    }

    pub fn rows(&self) -> impl Iterator<Item = &T> {
        self.rows.iter()
    }

    pub fn len(&self) -> usize {
        self.rows.len()
    }

    pub fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }

    pub fn selected_index(&self) -> usize {
        self.selected
    }

    pub fn selected(&self) -> Option<&T> {
        self.rows.get(self.selected)
    }

    pub fn is_loading(&self) -> bool {
        self.pending.is_some()
    }

    /// Whether the window holds the very first row (nothing before it).
    pub fn at_start(&self) -> bool {
        self.at_start
    }

    /// Whether the window holds the very last row (nothing after it).
    pub fn at_end(&self) -> bool {
        self.at_end
    }

    /// Starts over at the first page (dropping any fetch under way).
    pub fn reset(&mut self) -> Option<Fetch<K>> {
        self.pending = None;
        self.request(Fetch::First)
    }

    /// Moves the selection by `delta` rows; may ask for more rows.
    pub fn move_by(&mut self, delta: isize) -> Option<Fetch<K>> {
        if self.rows.is_empty() {
            return None;
        }
        let last = self.rows.len() - 1;
        self.selected = (self.selected as isize + delta).clamp(0, last as isize) as usize;
        self.more()
    }

    /// Makes `step`; may ask for rows.
    pub fn go(&mut self, step: Move) -> Option<Fetch<K>> {
        match step {
            Move::By(delta) => self.move_by(delta),
            Move::First => self.first(),
            Move::Last => self.last(),
        }
    }

    pub fn first(&mut self) -> Option<Fetch<K>> {
        if self.at_start {
            self.selected = 0;
            return None;
        }
        self.request(Fetch::First)
    }

    /// Jumps to the rows after `key`, dropping the window.
    pub fn jump_after(&mut self, key: K) -> Option<Fetch<K>> {
        self.pending = None;
        self.request(Fetch::From(key))
    }

    pub fn last(&mut self) -> Option<Fetch<K>> {
        if self.at_end {
            self.selected = self.rows.len().saturating_sub(1);
            return None;
        }
        self.request(Fetch::Last)
    }

    /// Fetches the last page again, though the end was reached: rows arrived after it.
    pub fn reload_last(&mut self) -> Option<Fetch<K>> {
        self.request(Fetch::Last)
    }

    /// Rows arrived for `fetch` (backward fetches give them newest first).
    pub fn arrived(&mut self, fetch: Fetch<K>, rows: Vec<T>) -> Option<Fetch<K>> {
        if self.pending.as_ref() != Some(&fetch) {
            return None; // an answer to a question no longer asked
        }
        self.pending = None;
        let full = rows.len() >= PAGE;
        match fetch {
            Fetch::First => {
                self.rows = rows.into();
                self.selected = 0;
                self.at_start = true;
                self.at_end = !full;
            }
            Fetch::Last => {
                self.rows = rows.into_iter().rev().collect();
                self.selected = self.rows.len().saturating_sub(1);
                self.at_end = true;
                self.at_start = !full;
            }
            Fetch::From(_) => {
                self.rows = rows.into();
                self.selected = 0;
                self.at_start = false;
                self.at_end = !full;
            }
            Fetch::After(_) => {
                self.at_end = !full;
                self.rows.extend(rows);
                while self.rows.len() > CAPACITY && self.selected > MARGIN {
                    self.rows.pop_front();
                    self.selected -= 1;
                    self.at_start = false;
                }
            }
            Fetch::Before(_) => {
                self.at_start = !full;
                for row in rows {
                    self.rows.push_front(row);
                    self.selected += 1;
                }
                while self.rows.len() > CAPACITY && self.selected + MARGIN < self.rows.len() {
                    self.rows.pop_back();
                    self.at_end = false;
                }
            }
        }
        self.more()
    }

    /// Replaces every row with a complete, known list (search results): no paging.
    pub fn replace_all(&mut self, rows: Vec<T>) {
        self.rows = rows.into();
        self.selected = 0;
        self.at_start = true;
        self.at_end = true;
        self.pending = None;
    }

    /// Rows appended live (following): added at the end when the window holds the end.
    pub fn appended(&mut self, rows: Vec<T>, keep_selection_at_end: bool) {
        if !self.at_end {
            return;
        }
        let was_at_last = self.selected + 1 >= self.rows.len();
        self.rows.extend(rows);
        if keep_selection_at_end && was_at_last {
            self.selected = self.rows.len().saturating_sub(1);
        }
        while self.rows.len() > CAPACITY && self.selected > MARGIN {
            self.rows.pop_front();
            self.selected -= 1;
            self.at_start = false;
        }
    }

    /// The fetch the selection's place calls for, if any and none is under way.
    fn more(&mut self) -> Option<Fetch<K>> {
        if self.selected + MARGIN >= self.rows.len() && !self.at_end {
            let last = self.rows.back().map(self.key)?;
            return self.request(Fetch::After(last));
        }
        if self.selected < MARGIN && !self.at_start {
            let first = self.rows.front().map(self.key)?;
            return self.request(Fetch::Before(first));
        }
        None
    }

    fn request(&mut self, fetch: Fetch<K>) -> Option<Fetch<K>> {
        if self.pending.is_some() {
            return None;
        }
        self.pending = Some(fetch.clone());
        Some(fetch)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn numbers(range: std::ops::Range<u64>) -> Vec<u64> {
        range.collect()
    }

    #[test]
    fn pages_in_both_ways_and_stays_bounded() {
        let mut w: Window<u64, u64> = Window::new(|n| *n);
        assert_eq!(w.reset(), Some(Fetch::First));
        assert_eq!(w.arrived(Fetch::First, numbers(1..201)), None);
        // Scrolling down asks for the next page near the end, once.
        assert_eq!(w.move_by(160), Some(Fetch::After(200)));
        assert_eq!(w.move_by(1), None, "one fetch at a time");
        w.arrived(Fetch::After(200), numbers(201..401));
        // Far down: the window never holds more than CAPACITY rows.
        let mut next = 400;
        for _ in 0..20 {
            if let Some(Fetch::After(k)) = w.move_by(PAGE as isize) {
                assert_eq!(k, next);
                w.arrived(Fetch::After(k), numbers(k + 1..k + 1 + PAGE as u64));
                next = k + PAGE as u64;
            }
            assert!(w.len() <= CAPACITY);
        }
        // Back up: pages come in before the first row.
        let first = *w.rows().next().unwrap();
        let selected = *w.selected().unwrap();
        let fetch = w.move_by(-((selected - first) as isize));
        assert_eq!(fetch, Some(Fetch::Before(first)));
        w.arrived(
            Fetch::Before(first),
            (first - PAGE as u64..first).rev().collect(),
        );
        assert_eq!(*w.selected().unwrap(), first);
        assert!(w.len() <= CAPACITY);
        // The last page, read backward.
        assert_eq!(w.last(), Some(Fetch::Last));
        w.arrived(Fetch::Last, (9_800..10_000).rev().collect());
        assert_eq!((w.selected().copied(), w.at_end()), (Some(9_999), true));
        // Live rows join at the end, and the selection follows the end.
        w.appended(vec![10_000, 10_001], true);
        assert_eq!(w.selected().copied(), Some(10_001));
    }
}
