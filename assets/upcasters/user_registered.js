// UserRegistered, schema 1 -> 2: {name: "Ada Lovelace", email} -> {first_name, last_name, email}.
function upcast(data, schemaVersion) {
  if (schemaVersion >= 2) return data;
  const [first_name, ...rest] = data.name.split(" ");
  return { first_name, last_name: rest.join(" "), email: data.email };
}
