// An order: its lines, total and status through created -> placed -> shipped/cancelled.
when({
  $init: () => ({ status: "new", customer: null, account: null, lines: {}, total: 0 }),
  OrderCreated: (s, e) => {
    s.status = "cart";
    s.customer = e.data.customer;
    s.account = e.data.account;
    s.created_at = e.recordedAt;
  },
  ItemAdded: (s, e) => {
    const line = s.lines[e.data.sku] || { name: e.data.name, quantity: 0, unit_price: e.data.unit_price };
    line.quantity += e.data.quantity;
    s.lines[e.data.sku] = line;
    s.total = total(s);
  },
  ItemRemoved: (s, e) => {
    delete s.lines[e.data.sku];
    s.total = total(s);
  },
  OrderPlaced: (s, e) => {
    s.status = "placed";
    s.placed_at = e.recordedAt;
    s.charged = e.data.total;
  },
  OrderShipped: (s, e) => {
    s.status = "shipped";
    s.shipped_at = e.recordedAt;
    s.carrier = e.data.carrier;
    s.tracking = e.data.tracking;
  },
  OrderCancelled: (s, e) => {
    s.status = "cancelled";
    s.cancelled_reason = e.data.reason;
  },
});

function total(s) {
  return Object.values(s.lines).reduce((sum, l) => sum + l.quantity * l.unit_price, 0);
}
