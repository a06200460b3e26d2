//! Money: the ISO 4217 exponents, the one parser and the one formatter, and round trips
//! that keep every minor unit.

use docspot_domain::{Currency, Money, money::MAX_MAJOR};
use proptest::prelude::*;

fn cur(code: &str) -> Currency {
    Currency::parse(code).unwrap()
}

fn minor(code: &str, raw: &str) -> Result<i64, String> {
    Money::parse(&cur(code), raw)
        .map(|m| m.minor())
        .map_err(|e| e.message)
}

#[test]
fn exponents_follow_iso_4217() {
    for (code, exp) in [
        ("INR", 2),
        ("USD", 2),
        ("EUR", 2),
        ("JPY", 0),
        ("KRW", 0),
        ("VND", 0),
        ("XOF", 0),
        ("BIF", 0),
        ("KWD", 3),
        ("BHD", 3),
        ("TND", 3),
        ("CLF", 4),
        ("UYW", 4),
        ("ZZZ", 2),
    ] {
        assert_eq!(cur(code).minor_exponent(), exp, "{code}");
    }
}

#[test]
fn typed_amounts_read_in_major_units_with_the_currencys_decimals() {
    let cases = [
        ("INR", "500", 50_000),
        ("INR", " 450.5 ", 45_050),
        ("INR", "499.50", 49_950),
        ("INR", "0.05", 5),
        ("INR", "0", 0),
        ("INR", "007", 700),
        ("INR", "1,500", 150_000),
        ("INR", "1,500,000.25", 150_000_025),
        ("INR", "100,000,000", 10_000_000_000),
        ("JPY", "1500", 1500),
        ("JPY", "1,500", 1500),
        ("JPY", "100000000", 100_000_000),
        ("KWD", "1.25", 1250),
        ("KWD", "1.250", 1250),
        ("KWD", "0.001", 1),
        ("CLF", "2.5001", 25_001),
    ];
    for (code, raw, want) in cases {
        assert_eq!(minor(code, raw), Ok(want), "{code} {raw:?}");
    }
}

#[test]
fn malformed_amounts_are_refused_with_the_currencys_example() {
    let inr = "Enter an amount like 500 or 450.50.";
    let cases = [
        ("INR", "", inr),
        ("INR", "   ", inr),
        ("INR", "abc", inr),
        ("INR", "-1", inr),
        ("INR", "+1", inr),
        ("INR", "1e3", inr),
        ("INR", ".5", inr),
        ("INR", "5.", inr),
        ("INR", "1.2.3", inr),
        ("INR", "4,99", inr),
        ("INR", "1,5000", inr),
        ("INR", "1500,000", inr),
        ("INR", ",500", inr),
        ("INR", "1 500", inr),
        ("INR", "١٢٣", inr),
        ("INR", "1,500.", inr),
        ("JPY", "-500", "Enter a whole amount like 500."),
        ("KWD", "x", "Enter an amount like 500 or 450.500."),
    ];
    for (code, raw, want) in cases {
        assert_eq!(minor(code, raw), Err(want.to_owned()), "{code} {raw:?}");
    }
}

#[test]
fn more_decimals_than_the_currency_has_are_refused_naming_them() {
    let cases = [
        (
            "JPY",
            "1500.5",
            "JPY amounts have no decimals. Enter a whole amount like 500.",
        ),
        (
            "JPY",
            "1500.00",
            "JPY amounts have no decimals. Enter a whole amount like 500.",
        ),
        (
            "INR",
            "12.345",
            "INR amounts have at most 2 decimals. Enter an amount like 500 or 450.50.",
        ),
        (
            "KWD",
            "1.2345",
            "KWD amounts have at most 3 decimals. Enter an amount like 500 or 450.500.",
        ),
    ];
    for (code, raw, want) in cases {
        let e = Money::parse(&cur(code), raw).unwrap_err();
        assert_eq!((e.field, e.message.as_str()), ("amount", want), "{raw}");
    }
}

#[test]
fn amounts_above_the_bound_are_refused_in_any_currency() {
    let msg = Err("must be between 0 and 100,000,000".to_owned());
    for (code, raw) in [
        ("INR", "100000000.01"),
        ("INR", "100,000,001"),
        ("JPY", "100000001"),
        ("KWD", "100000000.001"),
        ("INR", "99999999999999999999999999"),
    ] {
        assert_eq!(minor(code, raw), msg, "{code} {raw}");
    }
    let inr = cur("INR");
    assert_eq!(
        Money::checked(&inr, MAX_MAJOR * 100).unwrap().minor(),
        MAX_MAJOR * 100
    );
    assert!(Money::checked(&inr, MAX_MAJOR * 100 + 1).is_err());
    assert!(Money::checked(&inr, -1).is_err());
    assert!(Money::checked(&cur("JPY"), MAX_MAJOR + 1).is_err());
    assert!(Money::checked(&cur("CLF"), MAX_MAJOR * 10_000).is_ok());
}

#[test]
fn display_shows_every_decimal_and_the_input_only_the_needed_ones() {
    let cases = [
        ("INR", 49_950, "INR 499.50", "499.50"),
        ("INR", 50_000, "INR 500.00", "500"),
        ("INR", 5, "INR 0.05", "0.05"),
        ("INR", 0, "INR 0.00", "0"),
        ("INR", -250, "INR -2.50", "-2.50"),
        ("JPY", 500, "JPY 500", "500"),
        ("KWD", 1250, "KWD 1.250", "1.250"),
        ("KWD", 1000, "KWD 1.000", "1"),
        ("CLF", 25_001, "CLF 2.5001", "2.5001"),
    ];
    for (code, minor, shown, input) in cases {
        let m = Money::new(&cur(code), minor);
        assert_eq!(
            (m.to_string(), m.major_input()),
            (shown.into(), input.into())
        );
    }
}

#[test]
fn sums_stay_in_one_currency_and_do_not_drift() {
    let inr = cur("INR");
    let tenth = Money::parse(&inr, "0.10").unwrap();
    let fifth = Money::parse(&inr, "0.20").unwrap();
    assert_eq!(tenth.checked_add(&fifth).unwrap().to_string(), "INR 0.30");
    assert_eq!(tenth.checked_add(&Money::zero(&cur("JPY"))), None);
    assert_eq!(Money::new(&inr, i64::MAX).checked_add(&tenth), None);
}

#[test]
fn hints_name_what_the_currency_accepts() {
    assert_eq!(Money::input_hint(&cur("INR")), "for example 500 or 450.50");
    assert_eq!(
        Money::input_hint(&cur("JPY")),
        "whole amounts, for example 500"
    );
    assert_eq!(Money::input_hint(&cur("KWD")), "for example 500 or 450.500");
}

/// One currency per exponent that the round trips cover.
fn currency() -> impl Strategy<Value = Currency> {
    prop::sample::select(vec!["JPY", "INR", "KWD", "CLF"]).prop_map(cur)
}

/// `n` with commas between thousands: 1500000 → `1,500,000`.
fn grouped(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 500, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn formatting_then_parsing_keeps_every_minor_unit(
        c in currency(),
        digits in 0..=12_u32,
        seed in any::<i64>(),
    ) {
        let max = MAX_MAJOR * 10_i64.pow(c.minor_exponent());
        // Every size of amount, from a few minor units to the bound.
        let m = seed.rem_euclid(10_i64.pow(digits).min(max) + 1);
        let money = Money::new(&c, m);
        prop_assert_eq!(Money::parse(&c, &money.major_input()).unwrap().minor(), m);
        let shown = money.to_string();
        let typed = shown.strip_prefix(&format!("{} ", c.as_str())).unwrap();
        prop_assert_eq!(Money::parse(&c, typed).unwrap().minor(), m);
    }

    #[test]
    fn grouped_whole_amounts_read_like_plain_ones(c in currency(), whole in 0..=MAX_MAJOR as u64) {
        let plain = Money::parse(&c, &whole.to_string()).unwrap();
        prop_assert_eq!(Money::parse(&c, &grouped(whole)).unwrap(), plain.clone());
        prop_assert_eq!(plain.minor(), whole as i64 * 10_i64.pow(c.minor_exponent()));
    }

    #[test]
    fn totals_of_typed_amounts_never_drift(
        c in currency(),
        items in prop::collection::vec((0..=MAX_MAJOR as u64, 0..10_000u64), 1..40),
    ) {
        let exp = c.minor_exponent();
        let unit = 10_u64.pow(exp);
        let mut total = Money::zero(&c);
        let (mut wholes, mut fracs) = (0_u64, 0_u64);
        for (whole, frac) in items {
            let frac = frac % unit;
            let typed = match exp {
                0 => whole.to_string(),
                _ => format!("{whole}.{frac:0width$}", width = exp as usize),
            };
            total = total.checked_add(&Money::parse(&c, &typed).unwrap()).unwrap();
            wholes += whole;
            fracs += frac;
        }
        // The same total by integer arithmetic on the typed parts, then written out.
        let (whole, frac) = (wholes + fracs / unit, fracs % unit);
        let want = match exp {
            0 => format!("{} {whole}", c.as_str()),
            _ => format!("{} {whole}.{frac:0width$}", c.as_str(), width = exp as usize),
        };
        prop_assert_eq!(total.to_string(), want);
    }
}
