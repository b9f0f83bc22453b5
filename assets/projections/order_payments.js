// Orders joined to the payments they caused, across streams, by correlation id: placing
// an order and the withdrawal from the customer's account share one correlation id.
fromAll()
  .partitionBy((e) => {
    const payment = e.eventType === "MoneyWithdrawn" && e.data.reason === "order";
    return e.eventType === "OrderPlaced" || payment ? e.metadata.correlation_id : undefined;
  })
  .when({
    $init: () => ({ order: null, total: null, account: null, paid: null }),
    OrderPlaced: (s, e) => { s.order = e.streamId; s.total = e.data.total; },
    MoneyWithdrawn: (s, e) => { s.account = e.streamId; s.paid = e.data.amount; },
  })
  .outputState();
