// The balance of every account: one partition per stream.
// Deposits arrive upcast to schema 2 ({amount: {value, currency}}) by config's upcasters.
fromCategory("Account")
  .foreachStream()
  .when({
    $init: () => ({ balance: 0 }),
    MoneyDeposited: (s, e) => { s.balance += e.data.amount.value; },
    MoneyWithdrawn: (s, e) => { s.balance -= e.data.amount; },
  })
  .outputState();
