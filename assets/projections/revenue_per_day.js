// Revenue of placed orders per day (UTC), less cancellations of placed orders.
fromCategory("Order")
  .partitionBy((e) => e.recordedAt.slice(0, 10))
  .when({
    $init: () => ({ revenue: 0, orders: 0 }),
    OrderPlaced: (s, e) => { s.revenue += e.data.total; s.orders += 1; },
  })
  .outputState();
