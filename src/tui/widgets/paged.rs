//! A list read a page at a time by key (the as-of and snapshots views): the page in hand,
//! where it starts, the starts of the pages before it (to page back), and the generation
//! of the question in flight (older answers are dropped).

pub struct PagedRows<T, K> {
    pub rows: Vec<T>,
    pub selected: usize,
    /// The page's first row follows this key (None: the first page).
    pub page_after: Option<K>,
    earlier: Vec<Option<K>>,
    pub generation: u64,
    pub loading: bool,
    page: usize,
    key: fn(&T) -> K,
}

impl<T, K: Clone> PagedRows<T, K> {
    pub fn new(page: usize, key: fn(&T) -> K) -> Self {
        PagedRows {
            rows: Vec::new(),
            selected: 0,
            page_after: None,
            earlier: Vec::new(),
            generation: 0,
            loading: false,
            page,
            key,
        }
    }

    /// A new question is about to be asked: its generation.
    pub fn ask(&mut self) -> u64 {
        self.generation += 1;
        self.loading = true;
        self.generation
    }

    pub fn arrived(&mut self, generation: u64, rows: Vec<T>) {
        if generation != self.generation {
            return;
        }
        self.loading = false;
        self.rows = rows;
        self.selected = self.selected.min(self.rows.len().saturating_sub(1));
    }

    pub fn selected_row(&self) -> Option<&T> {
        self.rows.get(self.selected)
    }

    pub fn move_selection(&mut self, delta: isize) {
        let last = self.rows.len().saturating_sub(1) as isize;
        self.selected = (self.selected as isize + delta).clamp(0, last.max(0)) as usize;
    }

    /// Moves to the next page; false when this one is the last.
    pub fn next_page(&mut self) -> bool {
        if self.rows.len() < self.page {
            return false;
        }
        let Some(last) = self.rows.last().map(self.key) else {
            return false;
        };
        self.earlier.push(self.page_after.take());
        self.page_after = Some(last);
        self.selected = 0;
        true
    }

    pub fn previous_page(&mut self) -> bool {
        match self.earlier.pop() {
            Some(start) => {
                self.page_after = start;
                self.selected = 0;
                true
            }
            None => false,
        }
    }

    /// Back to the first page.
    pub fn rewind(&mut self) {
        self.page_after = None;
        self.earlier.clear();
    }
}
