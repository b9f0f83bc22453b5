// Each user's current email.
fromCategory("User")
  .foreachStream()
  .when({
    $init: () => ({ email: null }),
    UserRegistered: (s, e) => { s.email = e.data.email; },
    EmailChanged: (s, e) => { s.email = e.data.email; },
  })
  .outputState();
