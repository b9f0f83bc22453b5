// How many orders are in each status, and each order's status.
fromCategory("Order")
  .when({
    $init: () => ({ counts: { cart: 0, placed: 0, shipped: 0, cancelled: 0 }, status: {} }),
    OrderCreated: (s, e) => move(s, e.streamId, "cart"),
    OrderPlaced: (s, e) => move(s, e.streamId, "placed"),
    OrderShipped: (s, e) => move(s, e.streamId, "shipped"),
    OrderCancelled: (s, e) => move(s, e.streamId, "cancelled"),
  })
  .outputState();

function move(s, order, to) {
  const from = s.status[order];
  if (from) s.counts[from] -= 1;
  s.counts[to] += 1;
  s.status[order] = to;
}
