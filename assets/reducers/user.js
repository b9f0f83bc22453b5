// A user: name, current email (and the ones before it), active or not.
// Registrations are seen in their current shape (schema 2, first_name/last_name):
// assets/upcasters/user_registered.js splits schema-1 names.
when({
  $init: () => ({ status: "new", first_name: null, last_name: null, email: null, previous_emails: [] }),
  UserRegistered: (s, e) => {
    s.status = "active";
    s.first_name = e.data.first_name;
    s.last_name = e.data.last_name;
    s.email = e.data.email;
    s.registered_at = e.recordedAt;
  },
  EmailChanged: (s, e) => {
    if (s.email) s.previous_emails.push(s.email);
    s.email = e.data.email;
  },
  UserDeactivated: (s, e) => {
    s.status = "deactivated";
    s.deactivated_reason = e.data.reason;
  },
});
