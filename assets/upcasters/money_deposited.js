// MoneyDeposited, schema 1 -> 2: {amount: 50, source} -> {amount: {value: 50, currency: "EUR"}, source}.
// Every account of the demo is in EUR, which schema 1 left implicit.
function upcast(data, schemaVersion) {
  if (schemaVersion >= 2) return data;
  return { ...data, amount: { value: data.amount, currency: "EUR" } };
}
