// A bank account: balance, overdraft limit, status and a short history.
// Deposits are seen in their current shape (schema 2): assets/upcasters/money_deposited.js
// turns schema-1 deposits ({amount: 50}) into {amount: {value: 50, currency: "EUR"}}.
when({
  $init: () => ({
    status: "new",
    owner: null,
    currency: null,
    balance: 0,
    overdraft_limit: 0,
    deposits: 0,
    withdrawals: 0,
    last_activity: null,
    history: [],
  }),
  AccountOpened: (s, e) => {
    s.status = "open";
    s.owner = e.data.owner;
    s.currency = e.data.currency;
    s.opened_at = e.recordedAt;
  },
  MoneyDeposited: (s, e) => {
    s.balance += e.data.amount.value;
    s.deposits += 1;
    remember(s, e, `+${e.data.amount.value} (${e.data.source})`);
  },
  MoneyWithdrawn: (s, e) => {
    s.balance -= e.data.amount;
    s.withdrawals += 1;
    remember(s, e, `-${e.data.amount} (${e.data.order || e.data.reason})`);
  },
  OverdraftLimitSet: (s, e) => {
    s.overdraft_limit = e.data.limit;
    remember(s, e, `overdraft limit ${e.data.limit}`);
  },
  AccountClosed: (s, e) => {
    s.status = "closed";
    s.closed_reason = e.data.reason;
    remember(s, e, `closed: ${e.data.reason}`);
  },
});

// The last five movements, newest first.
function remember(s, e, what) {
  s.last_activity = e.recordedAt;
  s.history.unshift(`v${e.sequenceNumber + 1} ${e.recordedAt.slice(0, 10)} ${what}`);
  if (s.history.length > 5) s.history.length = 5;
}
