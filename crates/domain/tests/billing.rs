//! Bill totals never drift: whatever the lines, discounts and rounding, the lines add up to
//! the bill and every amount is a whole, non-negative number of minor units.

use docspot_domain::billing::{Discount, Line, Percent, Rounding, totals};
use proptest::prelude::*;

fn rate() -> impl Strategy<Value = Percent> {
    prop_oneof![
        Just(0u16),
        Just(500),
        Just(1200),
        Just(1800),
        Just(2800),
        0u16..=10_000
    ]
    .prop_map(|h| Percent::from_hundredths(h).unwrap())
}

fn line() -> impl Strategy<Value = Line> {
    (1u32..=50, 0i64..=5_000_000, rate(), 0u8..3, 0u16..=10_000).prop_map(
        |(quantity, unit_price, tax_rate, kind, d)| {
            let gross = i64::from(quantity) * unit_price;
            let discount = match kind {
                0 => Discount::None,
                1 => Discount::Amount(gross * i64::from(d) / 10_000),
                _ => Discount::Percent(Percent::from_hundredths(d).unwrap()),
            };
            Line {
                quantity,
                unit_price,
                tax_rate,
                discount,
            }
        },
    )
}

fn rounding() -> impl Strategy<Value = Rounding> {
    prop_oneof![Just(Rounding::PerLine), Just(Rounding::PerBill)]
}

proptest! {
    #[test]
    fn the_lines_always_add_up_to_the_bill(
        lines in prop::collection::vec(line(), 1..40),
        bill in 0u16..=10_000,
        by_amount in any::<bool>(),
        rounding in rounding(),
    ) {
        let before: i64 = lines
            .iter()
            .map(|l| {
                let g = i64::from(l.quantity) * l.unit_price;
                g - match l.discount {
                    Discount::Amount(a) => a,
                    Discount::Percent(p) => (2 * i128::from(g) * i128::from(p.hundredths()) + 10_000) as i64 / 20_000,
                    Discount::None => 0,
                }
            })
            .sum();
        let bill_discount = if by_amount {
            Discount::Amount(before * i64::from(bill) / 10_000)
        } else {
            Discount::Percent(Percent::from_hundredths(bill).unwrap())
        };
        let t = totals(&lines, bill_discount, rounding).unwrap();
        prop_assert_eq!(t.lines.len(), lines.len());
        prop_assert_eq!(t.subtotal, t.lines.iter().map(|l| l.gross).sum::<i64>());
        prop_assert_eq!(t.discount, t.lines.iter().map(|l| l.discount).sum::<i64>());
        prop_assert_eq!(t.tax, t.lines.iter().map(|l| l.tax).sum::<i64>());
        prop_assert_eq!(t.total, t.lines.iter().map(|l| l.total).sum::<i64>());
        prop_assert_eq!(t.subtotal - t.discount, t.taxable);
        prop_assert_eq!(t.taxable + t.tax, t.total);
        prop_assert_eq!(t.tax, t.bands.iter().map(|b| b.tax).sum::<i64>());
        prop_assert_eq!(t.taxable, t.bands.iter().map(|b| b.taxable).sum::<i64>());
        for l in &t.lines {
            prop_assert!(l.discount >= 0 && l.taxable >= 0 && l.tax >= 0, "{:?}", l);
            prop_assert_eq!(l.gross - l.discount, l.taxable);
            prop_assert_eq!(l.taxable + l.tax, l.total);
        }
        // Each band's tax is its exact tax rounded once (per bill) or once per line: never
        // more than half a minor unit per rounding away from the exact figure.
        for b in &t.bands {
            let exact = i128::from(b.taxable) * i128::from(b.rate.hundredths());
            let got = i128::from(b.tax) * 10_000;
            let roundings = match rounding {
                Rounding::PerBill => 1,
                Rounding::PerLine => lines.iter().filter(|l| l.tax_rate == b.rate).count() as i128,
            };
            prop_assert!((got - exact).abs() * 2 <= 10_000 * roundings, "{:?}", b);
        }
    }

    #[test]
    fn per_bill_and_per_line_rounding_differ_by_less_than_a_unit_per_line(
        lines in prop::collection::vec(line(), 1..40),
    ) {
        let a = totals(&lines, Discount::None, Rounding::PerLine).unwrap();
        let b = totals(&lines, Discount::None, Rounding::PerBill).unwrap();
        prop_assert_eq!(a.taxable, b.taxable);
        prop_assert!((a.tax - b.tax).abs() <= lines.len() as i64);
    }
}
