//! The demo domain: users, bank accounts and orders, simulated command by command over
//! months of time. Every command's events share a correlation id; each event's causation
//! id is the command (first event) or the event before it (placing an order withdraws
//! from the customer's account; cancelling a placed order refunds it).

use chrono::{DateTime, TimeZone, Utc};
use serde::Serialize;
use serde_json::{Value, json};
use uuid::Uuid;

use super::rng::Rng;
use crate::store::{category_of, timestamp};

/// What to generate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DemoSpec {
    pub seed: u64,
    pub events: u64,
}

/// The simulated time span starts here and lasts `SPAN_DAYS`.
fn epoch() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 3, 2, 8, 0, 0)
        .single()
        .expect("valid date")
}
const SPAN_DAYS: i64 = 240;
/// From this fraction of the span on, deposits and registrations use schema version 2.
const SCHEMA_V2_FROM: f64 = 0.55;
/// The first accounts receive a large share of the money movements: thousands of events.
const HOT_ACCOUNTS: usize = 3;
const HOT_SHARE: f64 = 0.25;

const FIRST_NAMES: &[&str] = &[
    "Ada",
    "Alan",
    "Grace",
    "Edsger",
    "Barbara",
    "Donald",
    "Margaret",
    "Linus",
    "Frances",
    "Ken",
    "Radia",
    "Dennis",
    "Hedy",
    "John",
    "Katherine",
    "Leslie",
    "Sophie",
    "Tim",
    "Joan",
    "Niklaus",
];
const LAST_NAMES: &[&str] = &[
    "Lovelace",
    "Turing",
    "Hopper",
    "Dijkstra",
    "Liskov",
    "Knuth",
    "Hamilton",
    "Torvalds",
    "Allen",
    "Thompson",
    "Perlman",
    "Ritchie",
    "Lamarr",
    "Backus",
    "Johnson",
    "Lamport",
    "Wilson",
    "Berners-Lee",
    "Clarke",
    "Wirth",
];
const PRODUCTS: &[(&str, &str, u64)] = &[
    ("SKU-1001", "Espresso beans 1kg", 18),
    ("SKU-1002", "Pour-over kettle", 45),
    ("SKU-1003", "Ceramic mug", 12),
    ("SKU-1004", "Hand grinder", 89),
    ("SKU-1005", "Paper filters (100)", 6),
    ("SKU-1006", "Milk frother", 34),
    ("SKU-1007", "Cold brew jar", 27),
    ("SKU-1008", "Digital scale", 39),
    ("SKU-1009", "Tea sampler", 22),
    ("SKU-1010", "Travel tumbler", 25),
    ("SKU-1011", "Moka pot", 31),
    ("SKU-1012", "Barista apron", 29),
];
const CARRIERS: &[&str] = &["DHL", "UPS", "PostNL", "DPD", "GLS"];
const DEPOSIT_SOURCES: &[&str] = &["salary", "transfer", "cash", "refund-partner", "interest"];
const WITHDRAW_REASONS: &[&str] = &["atm", "transfer", "card", "standing-order"];

struct User {
    stream: String,
    version: u64,
    first: &'static str,
    last: &'static str,
    active: bool,
}

struct Account {
    stream: String,
    version: u64,
    balance: i64,
    limit: i64,
    open: bool,
}

#[derive(PartialEq, Eq, Clone, Copy)]
enum OrderStatus {
    Cart,
    Placed,
    Done,
}

struct Order {
    stream: String,
    version: u64,
    account: usize,
    items: Vec<(usize, u64)>,
    status: OrderStatus,
}

/// An envelope line as `import` reads it.
#[derive(Serialize)]
struct Line<'a> {
    event_id: Uuid,
    stream_id: &'a str,
    stream_type: &'a str,
    event_type: &'a str,
    version: u64,
    schema_version: u32,
    data: Value,
    metadata: Value,
    recorded_at: String,
}

/// Produces the demo's events as envelope JSONL, one command at a time.
pub struct Generator {
    rng: Rng,
    spec: DemoSpec,
    produced: u64,
    clock_micros: i64,
    mean_gap_micros: i64,
    users: Vec<User>,
    accounts: Vec<Account>,
    orders: Vec<Order>,
    open_accounts: Vec<usize>,
    carts: Vec<usize>,
    placed: Vec<usize>,
    /// The current command's correlation id and the id of its last event.
    correlation: Uuid,
    cause: Uuid,
    planted: bool,
}

/// The events at the end of every demo history that break the rules of event sourcing,
/// one finding of each kind for `rewind doctor` (and the tests that it finds exactly
/// these): a command-named type, a stream id without a category, a shape change without
/// a schema_version bump (three events, so it has settled), a causation id that names no
/// event, and an oversized event.
pub const PLANTED: u64 = 7;

impl Generator {
    pub fn new(spec: DemoSpec) -> Generator {
        let span = SPAN_DAYS * 86_400 * 1_000_000;
        Generator {
            rng: Rng::new(spec.seed),
            spec,
            produced: 0,
            clock_micros: epoch().timestamp_micros(),
            mean_gap_micros: (span / spec.events.max(1) as i64).max(1),
            users: Vec::new(),
            accounts: Vec::new(),
            orders: Vec::new(),
            open_accounts: Vec::new(),
            carts: Vec::new(),
            placed: Vec::new(),
            correlation: Uuid::nil(),
            cause: Uuid::nil(),
            planted: false,
        }
    }

    /// The doctor's findings (see [`PLANTED`]), as many as the history has room for.
    fn plant_doctor_findings(&mut self, out: &mut Vec<u8>) {
        let fresh = |g: &mut Generator| {
            g.clock_micros += g.rng.between(1, 2 * g.mean_gap_micros as u64) as i64;
            let millis = (g.clock_micros / 1000) as u64;
            g.correlation =
                uuid::Builder::from_unix_timestamp_millis(millis, &g.rng.bytes::<10>()).into_uuid();
            g.cause = g.correlation;
        };
        while self.remaining() > PLANTED {
            fresh(self);
            if !self.deposit(out, None) && !self.open_account(out) {
                self.register_user(out);
            }
        }
        // A command's name where an event's belongs.
        if let Some(o) = self.placed.pop() {
            fresh(self);
            let (stream, version) = (self.orders[o].stream.clone(), self.orders[o].version + 1);
            self.emit(
                out,
                &stream,
                version,
                "ShipOrder",
                json!({"carrier": "DHL"}),
                1,
            );
            self.orders[o].version = version;
            self.orders[o].status = OrderStatus::Done;
        }
        // A stream id with no `{Category}-` in front.
        if self.remaining() > 0 {
            fresh(self);
            self.emit(
                out,
                "nightly_audit",
                1,
                "AuditCompleted",
                json!({"checked": self.produced}),
                1,
            );
        }
        // The last three deposits carry a field no earlier one had, with no bump.
        for i in 0..3 {
            if self.remaining() == 0 || self.open_accounts.is_empty() {
                break;
            }
            fresh(self);
            let a = self.open_accounts[i % self.open_accounts.len()];
            let amount = 100 + 25 * i as u64;
            let (mut data, schema) = self.deposit_data(amount, "transfer");
            data["channel"] = json!("mobile");
            self.emit_to_account(out, a, "MoneyDeposited", data, schema);
            self.accounts[a].balance += amount as i64;
        }
        // Caused by an event that is not in the store.
        if self.remaining() > 0
            && let Some(&a) = self.open_accounts.first()
        {
            fresh(self);
            self.cause = uuid::Builder::from_random_bytes(self.rng.bytes::<16>()).into_uuid();
            self.emit_to_account(out, a, "OverdraftLimitSet", json!({"limit": 250}), 1);
            self.accounts[a].limit = 250;
        }
        // An order imported with thousands of lines: about 100 KB of data in one event.
        if self.remaining() > 0 {
            fresh(self);
            let n = self.orders.len() + 1;
            let stream = format!("Order-{n}");
            let items: Vec<Value> = (0..2000)
                .map(|i| {
                    let (sku, _, price) = PRODUCTS[i % PRODUCTS.len()];
                    json!({"sku": sku, "quantity": 1 + i % 3, "unit_price": price})
                })
                .collect();
            let data = json!({"customer": "User-1", "source": "bulk-import", "items": items});
            self.emit(out, &stream, 1, "OrderImported", data, 1);
            self.orders.push(Order {
                stream,
                version: 1,
                account: 0,
                items: Vec::new(),
                status: OrderStatus::Done,
            });
        }
        // Whatever room is left (a history too small for every plant): plain deposits.
        while self.remaining() > 0 {
            fresh(self);
            if !self.deposit(out, None) && !self.open_account(out) {
                self.register_user(out);
            }
        }
    }

    pub fn remaining(&self) -> u64 {
        self.spec.events - self.produced
    }

    /// Appends the next command's events (one or two lines) to `out`; false when done.
    pub fn next_command(&mut self, out: &mut Vec<u8>) -> bool {
        if self.remaining() == 0 {
            return false;
        }
        // The history ends with one of each mistake `rewind doctor` looks for.
        // (A command writes at most three events: past the point where one more could
        // leave too little room, single deposits fill up to the plants.)
        if self.remaining() <= PLANTED + 3 && !self.planted {
            self.planted = true;
            self.plant_doctor_findings(out);
            return true;
        }
        self.clock_micros += self.rng.between(1, 2 * self.mean_gap_micros as u64) as i64;
        // Command ids are UUID v7 like event ids: time-ordered, so their indexes grow at the end.
        let millis = (self.clock_micros / 1000) as u64;
        self.correlation =
            uuid::Builder::from_unix_timestamp_millis(millis, &self.rng.bytes::<10>()).into_uuid();
        self.cause = self.correlation;
        let roll = self.rng.below(1000);
        let done = match roll {
            0..40 => self.register_user(out),
            40..60 => self.change_email(out),
            60..64 => self.deactivate_user(out),
            64..94 => self.open_account(out),
            94..374 => self.deposit(out, None),
            374..554 => self.withdraw(out),
            554..569 => self.set_overdraft(out),
            569..572 => self.close_account(out),
            572..642 => self.create_order(out),
            642..762 => self.add_item(out),
            762..787 => self.remove_item(out),
            787..847 => self.place_order(out),
            847..892 => self.ship_order(out),
            892..905 => self.cancel_order(out),
            _ => self.deposit(out, None),
        };
        // Every precondition can fail early in the history; the fallbacks always succeed.
        if !done && !self.deposit(out, None) && !self.open_account(out) {
            self.register_user(out);
        }
        true
    }

    fn is_v2(&self) -> bool {
        let start = epoch().timestamp_micros();
        let span = (SPAN_DAYS * 86_400 * 1_000_000) as f64;
        (self.clock_micros - start) as f64 / span >= SCHEMA_V2_FROM
    }

    fn emit(
        &mut self,
        out: &mut Vec<u8>,
        stream: &str,
        version: u64,
        event_type: &str,
        data: Value,
        schema: u32,
    ) {
        let millis = (self.clock_micros / 1000) as u64;
        let event_id =
            uuid::Builder::from_unix_timestamp_millis(millis, &self.rng.bytes::<10>()).into_uuid();
        let recorded_at = Utc
            .timestamp_micros(self.clock_micros)
            .single()
            .expect("in range");
        let line = Line {
            event_id,
            stream_id: stream,
            stream_type: category_of(stream),
            event_type,
            version,
            schema_version: schema,
            data,
            metadata: json!({
                "correlation_id": self.correlation.to_string(),
                "causation_id": self.cause.to_string(),
            }),
            recorded_at: timestamp::format(&recorded_at),
        };
        serde_json::to_writer(&mut *out, &line).expect("serializing to memory");
        out.push(b'\n');
        self.cause = event_id;
        self.produced += 1;
        // The next event of the same command follows within milliseconds.
        self.clock_micros += self.rng.between(500, 40_000) as i64;
    }

    fn register_user(&mut self, out: &mut Vec<u8>) -> bool {
        let n = self.users.len() + 1;
        let first = *self.rng.pick(FIRST_NAMES);
        let last = *self.rng.pick(LAST_NAMES);
        let email = format!(
            "{}.{}{n}@example.com",
            first.to_lowercase(),
            last.to_lowercase()
        );
        let (data, schema) = if self.is_v2() {
            (
                json!({"first_name": first, "last_name": last, "email": email}),
                2,
            )
        } else {
            (
                json!({"name": format!("{first} {last}"), "email": email}),
                1,
            )
        };
        let stream = format!("User-{n}");
        self.emit(out, &stream, 1, "UserRegistered", data, schema);
        self.users.push(User {
            stream,
            version: 1,
            first,
            last,
            active: true,
        });
        true
    }

    fn active_user(&mut self) -> Option<usize> {
        if self.users.is_empty() {
            return None;
        }
        let u = self.rng.below(self.users.len() as u64) as usize;
        self.users[u].active.then_some(u)
    }

    fn change_email(&mut self, out: &mut Vec<u8>) -> bool {
        let Some(u) = self.active_user() else {
            return false;
        };
        let domain = *self
            .rng
            .pick(&["example.com", "mail.test", "inbox.example"]);
        let user = &self.users[u];
        let email = format!(
            "{}.{}.{}@{domain}",
            user.first.to_lowercase(),
            user.last.to_lowercase(),
            user.version + 1
        );
        let (stream, version) = (user.stream.clone(), user.version + 1);
        self.emit(
            out,
            &stream,
            version,
            "EmailChanged",
            json!({"email": email}),
            1,
        );
        self.users[u].version = version;
        true
    }

    fn deactivate_user(&mut self, out: &mut Vec<u8>) -> bool {
        let Some(u) = self.active_user() else {
            return false;
        };
        if self.users.len() < 20 {
            return false;
        }
        let reason = *self
            .rng
            .pick(&["requested by user", "inactive for a year", "fraud review"]);
        let (stream, version) = (self.users[u].stream.clone(), self.users[u].version + 1);
        self.emit(
            out,
            &stream,
            version,
            "UserDeactivated",
            json!({"reason": reason}),
            1,
        );
        self.users[u].version = version;
        self.users[u].active = false;
        true
    }

    fn open_account(&mut self, out: &mut Vec<u8>) -> bool {
        let Some(u) = self.active_user() else {
            return false;
        };
        let n = self.accounts.len() + 1;
        let stream = format!("Account-{n}");
        let owner = self.users[u].stream.clone();
        self.emit(
            out,
            &stream,
            1,
            "AccountOpened",
            json!({"owner": owner, "currency": "EUR"}),
            1,
        );
        self.accounts.push(Account {
            stream,
            version: 1,
            balance: 0,
            limit: 0,
            open: true,
        });
        self.open_accounts.push(n - 1);
        true
    }

    /// An open account, the hot ones far more often than the rest.
    fn busy_account(&mut self) -> Option<usize> {
        if self.open_accounts.is_empty() {
            return None;
        }
        if self.accounts.len() >= HOT_ACCOUNTS && self.rng.chance(HOT_SHARE) {
            let a = self.rng.below(HOT_ACCOUNTS as u64) as usize;
            if self.accounts[a].open {
                return Some(a);
            }
        }
        Some(*self.rng.pick(&self.open_accounts))
    }

    fn deposit(&mut self, out: &mut Vec<u8>, refund: Option<(usize, u64, String)>) -> bool {
        let (a, amount, source) = match refund {
            Some(r) => r,
            None => {
                let Some(a) = self.busy_account() else {
                    return false;
                };
                let amount = self.rng.between(10, 2000);
                (a, amount, (*self.rng.pick(DEPOSIT_SOURCES)).to_owned())
            }
        };
        let (data, schema) = self.deposit_data(amount, &source);
        self.emit_to_account(out, a, "MoneyDeposited", data, schema);
        self.accounts[a].balance += amount as i64;
        true
    }

    /// A deposit's data as the history's schema version then writes it.
    fn deposit_data(&self, amount: u64, source: &str) -> (Value, u32) {
        if self.is_v2() {
            (
                json!({"amount": {"value": amount, "currency": "EUR"}, "source": source}),
                2,
            )
        } else {
            (json!({"amount": amount, "source": source}), 1)
        }
    }

    /// The next event of account `a`'s stream.
    fn emit_to_account(
        &mut self,
        out: &mut Vec<u8>,
        a: usize,
        event_type: &str,
        data: Value,
        schema: u32,
    ) {
        let (stream, version) = (
            self.accounts[a].stream.clone(),
            self.accounts[a].version + 1,
        );
        self.emit(out, &stream, version, event_type, data, schema);
        self.accounts[a].version = version;
    }

    fn withdraw(&mut self, out: &mut Vec<u8>) -> bool {
        let Some(a) = self.busy_account() else {
            return false;
        };
        let available = self.accounts[a].balance + self.accounts[a].limit;
        if available < 10 {
            return false;
        }
        let amount = self.rng.between(5, (available as u64).min(1500));
        let reason = *self.rng.pick(WITHDRAW_REASONS);
        self.withdraw_from(out, a, amount, json!({"amount": amount, "reason": reason}));
        true
    }

    fn withdraw_from(&mut self, out: &mut Vec<u8>, a: usize, amount: u64, data: Value) {
        self.emit_to_account(out, a, "MoneyWithdrawn", data, 1);
        self.accounts[a].balance -= amount as i64;
    }

    fn set_overdraft(&mut self, out: &mut Vec<u8>) -> bool {
        let Some(a) = self.busy_account() else {
            return false;
        };
        let limit = *self.rng.pick(&[0u64, 100, 250, 500, 1000, 2500]);
        if limit as i64 + self.accounts[a].balance < 0 {
            return false;
        }
        self.emit_to_account(out, a, "OverdraftLimitSet", json!({"limit": limit}), 1);
        self.accounts[a].limit = limit as i64;
        true
    }

    fn close_account(&mut self, out: &mut Vec<u8>) -> bool {
        if self.open_accounts.len() < 10 {
            return false;
        }
        let slot = self.rng.below(self.open_accounts.len() as u64) as usize;
        let a = self.open_accounts[slot];
        if a < HOT_ACCOUNTS
            || self
                .orders
                .iter()
                .any(|o| o.account == a && o.status != OrderStatus::Done)
        {
            return false;
        }
        let reason = *self
            .rng
            .pick(&["customer request", "moved abroad", "account merged"]);
        let balance = self.accounts[a].balance;
        let data = json!({"reason": reason, "final_balance": balance});
        self.emit_to_account(out, a, "AccountClosed", data, 1);
        self.accounts[a].open = false;
        self.open_accounts.swap_remove(slot);
        true
    }

    fn create_order(&mut self, out: &mut Vec<u8>) -> bool {
        let Some(a) = self.busy_account() else {
            return false;
        };
        let Some(u) = self.active_user() else {
            return false;
        };
        let n = self.orders.len() + 1;
        let stream = format!("Order-{n}");
        let data = json!({"customer": self.users[u].stream, "account": self.accounts[a].stream});
        self.emit(out, &stream, 1, "OrderCreated", data, 1);
        self.orders.push(Order {
            stream,
            version: 1,
            account: a,
            items: Vec::new(),
            status: OrderStatus::Cart,
        });
        self.carts.push(n - 1);
        true
    }

    fn add_item(&mut self, out: &mut Vec<u8>) -> bool {
        if self.carts.is_empty() {
            return false;
        }
        let o = *self.rng.pick(&self.carts);
        let p = self.rng.below(PRODUCTS.len() as u64) as usize;
        let quantity = self.rng.between(1, 4);
        let (sku, name, price) = PRODUCTS[p];
        let data = json!({"sku": sku, "name": name, "quantity": quantity, "unit_price": price});
        let (stream, version) = (self.orders[o].stream.clone(), self.orders[o].version + 1);
        self.emit(out, &stream, version, "ItemAdded", data, 1);
        self.orders[o].version = version;
        self.orders[o].items.push((p, quantity));
        true
    }

    fn remove_item(&mut self, out: &mut Vec<u8>) -> bool {
        if self.carts.is_empty() {
            return false;
        }
        let o = *self.rng.pick(&self.carts);
        if self.orders[o].items.is_empty() {
            return false;
        }
        let i = self.rng.below(self.orders[o].items.len() as u64) as usize;
        let (p, _) = self.orders[o].items.remove(i);
        let (stream, version) = (self.orders[o].stream.clone(), self.orders[o].version + 1);
        self.emit(
            out,
            &stream,
            version,
            "ItemRemoved",
            json!({"sku": PRODUCTS[p].0}),
            1,
        );
        self.orders[o].version = version;
        true
    }

    fn total(&self, o: usize) -> u64 {
        self.orders[o]
            .items
            .iter()
            .map(|&(p, q)| PRODUCTS[p].2 * q)
            .sum()
    }

    fn place_order(&mut self, out: &mut Vec<u8>) -> bool {
        if self.carts.is_empty() || self.remaining() < 2 {
            return false;
        }
        let slot = self.rng.below(self.carts.len() as u64) as usize;
        let o = self.carts[slot];
        let a = self.orders[o].account;
        let total = self.total(o);
        let account = &self.accounts[a];
        if self.orders[o].items.is_empty()
            || !account.open
            || account.balance + account.limit < total as i64
        {
            return false;
        }
        let items: u64 = self.orders[o].items.iter().map(|&(_, q)| q).sum();
        let (stream, version) = (self.orders[o].stream.clone(), self.orders[o].version + 1);
        self.emit(
            out,
            &stream,
            version,
            "OrderPlaced",
            json!({"total": total, "items": items}),
            1,
        );
        self.orders[o].version = version;
        self.orders[o].status = OrderStatus::Placed;
        self.carts.swap_remove(slot);
        self.placed.push(o);
        self.withdraw_from(
            out,
            a,
            total,
            json!({"amount": total, "reason": "order", "order": stream}),
        );
        true
    }

    fn ship_order(&mut self, out: &mut Vec<u8>) -> bool {
        if self.placed.is_empty() {
            return false;
        }
        let slot = self.rng.below(self.placed.len() as u64) as usize;
        let o = self.placed.swap_remove(slot);
        let carrier = *self.rng.pick(CARRIERS);
        let tracking = format!("{carrier}{:010}", self.rng.below(10_000_000_000));
        let (stream, version) = (self.orders[o].stream.clone(), self.orders[o].version + 1);
        self.emit(
            out,
            &stream,
            version,
            "OrderShipped",
            json!({"carrier": carrier, "tracking": tracking}),
            1,
        );
        self.orders[o].version = version;
        self.orders[o].status = OrderStatus::Done;
        true
    }

    fn cancel_order(&mut self, out: &mut Vec<u8>) -> bool {
        if self.remaining() < 2 {
            return false;
        }
        let from_placed = !self.placed.is_empty() && self.rng.chance(0.5);
        let list = if from_placed {
            &mut self.placed
        } else {
            &mut self.carts
        };
        if list.is_empty() {
            return false;
        }
        let slot = self.rng.below(list.len() as u64) as usize;
        let o = list.swap_remove(slot);
        let reason = *self
            .rng
            .pick(&["customer changed mind", "out of stock", "payment review"]);
        let (stream, version) = (self.orders[o].stream.clone(), self.orders[o].version + 1);
        self.emit(
            out,
            &stream,
            version,
            "OrderCancelled",
            json!({"reason": reason}),
            1,
        );
        self.orders[o].version = version;
        self.orders[o].status = OrderStatus::Done;
        let a = self.orders[o].account;
        if from_placed && self.accounts[a].open {
            let total = self.total(o);
            self.deposit(out, Some((a, total, format!("refund {stream}"))));
        }
        true
    }
}

/// The generator as a byte stream of JSONL, for the import path.
pub struct GeneratorReader {
    generator: Generator,
    buf: Vec<u8>,
    pos: usize,
}

impl GeneratorReader {
    pub fn new(spec: DemoSpec) -> GeneratorReader {
        GeneratorReader {
            generator: Generator::new(spec),
            buf: Vec::with_capacity(1 << 16),
            pos: 0,
        }
    }
}

impl std::io::Read for GeneratorReader {
    fn read(&mut self, out: &mut [u8]) -> std::io::Result<usize> {
        if self.pos == self.buf.len() {
            self.buf.clear();
            self.pos = 0;
            while self.buf.len() < (1 << 15) && self.generator.next_command(&mut self.buf) {}
        }
        let n = out.len().min(self.buf.len() - self.pos);
        out[..n].copy_from_slice(&self.buf[self.pos..self.pos + n]);
        self.pos += n;
        Ok(n)
    }
}
