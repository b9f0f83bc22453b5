//! Naming rules: event types in the past tense (`OrderPlaced`, not `PlaceOrder`), stream
//! ids as `{Category}-{id}`.

/// Irregular past forms (and participles) that end in neither `-ed` nor `-d`.
const IRREGULAR: &[&str] = &[
    "begun",
    "bought",
    "brought",
    "built",
    "caught",
    "chosen",
    "cut",
    "done",
    "drawn",
    "driven",
    "fed",
    "felt",
    "found",
    "forgotten",
    "forgiven",
    "frozen",
    "given",
    "gone",
    "got",
    "gotten",
    "grown",
    "held",
    "hid",
    "hidden",
    "hit",
    "kept",
    "known",
    "laid",
    "led",
    "left",
    "lent",
    "let",
    "lost",
    "made",
    "meant",
    "met",
    "overdrawn",
    "paid",
    "put",
    "quit",
    "ran",
    "read",
    "reset",
    "rung",
    "run",
    "said",
    "sent",
    "set",
    "shed",
    "shown",
    "shut",
    "sold",
    "sought",
    "spent",
    "split",
    "spread",
    "stood",
    "stolen",
    "struck",
    "stuck",
    "sung",
    "swept",
    "taken",
    "taught",
    "thought",
    "thrown",
    "told",
    "torn",
    "undone",
    "upheld",
    "went",
    "withdrawn",
    "won",
    "worn",
    "written",
    "wrote",
];

/// The words of a type name: `OrderPlaced`, `order_placed`, `order-placed`, `order.placed`.
pub fn words(name: &str) -> Vec<String> {
    let mut words = Vec::new();
    let mut current = String::new();
    let mut previous_lower = false;
    for c in name.chars() {
        if !c.is_alphanumeric() {
            if !current.is_empty() {
                words.push(std::mem::take(&mut current));
            }
            previous_lower = false;
            continue;
        }
        if c.is_uppercase() && previous_lower && !current.is_empty() {
            words.push(std::mem::take(&mut current));
        }
        previous_lower = c.is_lowercase() || c.is_ascii_digit();
        current.extend(c.to_lowercase());
    }
    if !current.is_empty() {
        words.push(current);
    }
    words
}

/// Whether some word of the name is a past form (`Placed`, `Paid`, `Set`).
pub fn is_past_tense(name: &str) -> bool {
    words(name)
        .iter()
        .any(|w| (w.len() > 3 && w.ends_with("ed")) || IRREGULAR.contains(&w.as_str()))
}

/// Whether a stream id is `{Category}-{id}`: a category without `-`, then an id.
pub fn is_category_id(stream_id: &str) -> bool {
    match stream_id.split_once('-') {
        Some((category, id)) => {
            !category.is_empty()
                && !id.is_empty()
                && category.chars().next().is_some_and(char::is_alphabetic)
        }
        None => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn past_tense_types_pass_and_commands_do_not() {
        for ok in [
            "OrderPlaced",
            "MoneyDeposited",
            "OverdraftLimitSet",
            "order_paid",
            "UserRegistered",
            "deposited",
            "ItemAdded",
            "AccountClosed",
            "Withdrawn",
            "snapshot.taken",
        ] {
            assert!(is_past_tense(ok), "{ok}");
        }
        for bad in [
            "PlaceOrder",
            "ShipOrder",
            "Heartbeat",
            "order_create",
            "Deposit",
        ] {
            assert!(!is_past_tense(bad), "{bad}");
        }
        assert_eq!(words("HTTPRequestSent"), ["httprequest", "sent"]);
    }

    #[test]
    fn stream_ids_need_a_category_and_an_id() {
        for ok in ["Account-7", "Order-019c-uuid", "user-1", "Acc_1-x"] {
            assert!(is_category_id(ok), "{ok}");
        }
        for bad in ["nightly_audit", "Account-", "-7", "7-Account", "account7"] {
            assert!(!is_category_id(bad), "{bad}");
        }
    }
}
