//! Vitals, ICD-10 codes and prescription rows: every range edge and every refusal.

use docspot_domain::DomainError;
use docspot_domain::consultation::{
    FORMS, FREQUENCIES, Icd10, MAX_RX_ITEMS, ROUTES, RxItem, RxItemInput, Vitals, VitalsInput,
    parse_rx_items,
};

fn fields(errors: &[DomainError]) -> Vec<&'static str> {
    errors.iter().map(|e| e.field).collect()
}

fn only(field: &'static str, raw: &'static str) -> VitalsInput<'static> {
    let mut input = VitalsInput::default();
    match field {
        "bp" => input.bp = raw,
        "pulse" => input.pulse = raw,
        "temperature" => input.temperature = raw,
        "weight" => input.weight = raw,
        "height" => input.height = raw,
        "spo2" => input.spo2 = raw,
        _ => unreachable!("no vitals field {field}"),
    }
    input
}

/// Parses one field alone; `Ok` holds the parsed vitals, `Err` the single message.
fn one(field: &'static str, raw: &'static str) -> Result<Vitals, String> {
    Vitals::parse(only(field, raw)).map_err(|errors| {
        assert_eq!(fields(&errors), [field], "{field} = {raw:?}");
        errors[0].message.clone()
    })
}

#[test]
fn an_empty_form_records_nothing() {
    let vitals = Vitals::parse(VitalsInput {
        bp: "  ",
        ..VitalsInput::default()
    })
    .unwrap();
    assert!(vitals.is_empty());
    assert_eq!(vitals.bmi_text(), None);
    assert_eq!(vitals.bp_text(), None);
}

#[test]
fn a_full_form_is_parsed_and_shown_back() {
    let vitals = Vitals::parse(VitalsInput {
        bp: " 120 / 80 ",
        pulse: "72",
        temperature: "37.5",
        weight: "72.4",
        height: "170.5",
        spo2: "98",
    })
    .unwrap();
    assert_eq!(
        vitals,
        Vitals {
            systolic: Some(120),
            diastolic: Some(80),
            pulse: Some(72),
            temperature_dc: Some(375),
            weight_dg: Some(724),
            height_mm: Some(1705),
            spo2: Some(98),
        }
    );
    assert!(!vitals.is_empty());
    assert_eq!(vitals.bp_text().as_deref(), Some("120/80"));
    assert_eq!(vitals.pulse_text().as_deref(), Some("72 /min"));
    assert_eq!(vitals.temperature_text().as_deref(), Some("37.5 °C"));
    assert_eq!(vitals.weight_text().as_deref(), Some("72.4 kg"));
    assert_eq!(vitals.height_text().as_deref(), Some("170.5 cm"));
    assert_eq!(vitals.spo2_text().as_deref(), Some("98%"));
    // 72.4 / 1.705² = 24.905…
    assert_eq!(vitals.bmi_text().as_deref(), Some("24.9"));
    let form = vitals.form_values();
    assert_eq!(
        [
            &form.bp,
            &form.pulse,
            &form.temperature,
            &form.weight,
            &form.height,
            &form.spo2
        ],
        ["120/80", "72", "37.5", "72.4", "170.5", "98"]
    );
    assert_eq!(Vitals::parse(form.as_input()).unwrap(), vitals);
}

#[test]
fn whole_numbers_show_without_a_trailing_zero_except_temperature() {
    let vitals = Vitals::parse(VitalsInput {
        temperature: "37",
        weight: "70",
        height: "175",
        ..VitalsInput::default()
    })
    .unwrap();
    assert_eq!(vitals.temperature_text().as_deref(), Some("37.0 °C"));
    assert_eq!(vitals.weight_text().as_deref(), Some("70 kg"));
    assert_eq!(vitals.height_text().as_deref(), Some("175 cm"));
    assert_eq!(vitals.form_values().weight, "70");
    assert_eq!(vitals.bmi_text().as_deref(), Some("22.9"));
}

#[test]
fn every_range_edge_is_inside_and_one_step_beyond_is_outside() {
    let inside: &[(&str, &str)] = &[
        ("bp", "50/30"),
        ("bp", "260/160"),
        ("bp", "81/80"),
        ("pulse", "20"),
        ("pulse", "250"),
        ("temperature", "30.0"),
        ("temperature", "45.0"),
        ("temperature", "86"),
        ("temperature", "113"),
        ("weight", "0.3"),
        ("weight", "350"),
        ("height", "20"),
        ("height", "250"),
        ("spo2", "50"),
        ("spo2", "100"),
    ];
    for &(field, raw) in inside {
        assert!(
            one(field, raw).is_ok(),
            "{field} = {raw:?} should be accepted"
        );
    }
    let outside: &[(&str, &str, &str)] = &[
        ("bp", "49/30", "between 50 and 260 mmHg"),
        ("bp", "261/100", "between 50 and 260 mmHg"),
        ("bp", "120/29", "between 30 and 160 mmHg"),
        ("bp", "200/161", "between 30 and 160 mmHg"),
        ("bp", "80/80", "higher than the second"),
        ("bp", "80/120", "higher than the second"),
        (
            "pulse",
            "19",
            "Pulse must be between 20 and 250 beats per minute.",
        ),
        (
            "pulse",
            "251",
            "Pulse must be between 20 and 250 beats per minute.",
        ),
        ("temperature", "29.9", "between 30 and 45 °C"),
        ("temperature", "45.1", "between 30 and 45 °C"),
        ("temperature", "85.9", "between 86 and 113 °F"),
        ("temperature", "113.1", "between 86 and 113 °F"),
        ("weight", "0.2", "Weight must be between 0.3 and 350 kg."),
        ("weight", "350.1", "Weight must be between 0.3 and 350 kg."),
        ("height", "19.9", "Height must be between 20 and 250 cm."),
        ("height", "250.1", "Height must be between 20 and 250 cm."),
        ("spo2", "49", "between 50 and 100%"),
        ("spo2", "101", "between 50 and 100%"),
    ];
    for &(field, raw, says) in outside {
        let message = one(field, raw).expect_err(raw);
        assert!(
            message.contains(says),
            "{field} = {raw:?}: {message:?} should say {says:?}"
        );
    }
}

#[test]
fn malformed_values_get_a_message_with_an_example() {
    let cases: &[(&str, &str, &str)] = &[
        (
            "bp",
            "120",
            "Write blood pressure as systolic/diastolic, e.g. 120/80.",
        ),
        (
            "bp",
            "120-80",
            "Write blood pressure as systolic/diastolic, e.g. 120/80.",
        ),
        (
            "bp",
            "120/80/60",
            "Write blood pressure as systolic/diastolic, e.g. 120/80.",
        ),
        (
            "bp",
            "12o/80",
            "Write blood pressure as systolic/diastolic, e.g. 120/80.",
        ),
        ("pulse", "72.5", "e.g. 72."),
        ("pulse", "fast", "e.g. 72."),
        ("temperature", "normal", "e.g. 37.5"),
        ("temperature", "37..5", "e.g. 37.5"),
        ("weight", "-5", "e.g. 72.4."),
        ("weight", "72.4.1", "e.g. 72.4."),
        ("height", "5'9\"", "e.g. 170.5."),
        ("spo2", "97.5", "e.g. 98."),
    ];
    for &(field, raw, says) in cases {
        let message = one(field, raw).expect_err(raw);
        assert!(
            message.contains(says),
            "{field} = {raw:?}: {message:?} should say {says:?}"
        );
    }
}

#[test]
fn units_commas_and_spaces_typed_with_the_number_are_understood() {
    let vitals = Vitals::parse(VitalsInput {
        bp: "130/85 mmHg",
        pulse: "88 bpm",
        temperature: "37,2 °C",
        weight: "64,5 kg",
        height: "158 cm",
        spo2: "97 %",
    })
    .unwrap();
    assert_eq!(vitals.bp_text().as_deref(), Some("130/85"));
    assert_eq!(vitals.pulse, Some(88));
    assert_eq!(vitals.temperature_dc, Some(372));
    assert_eq!(vitals.weight_dg, Some(645));
    assert_eq!(vitals.height_mm, Some(1580));
    assert_eq!(vitals.spo2, Some(97));
}

#[test]
fn fahrenheit_temperatures_are_converted_to_celsius_tenths() {
    let cases: &[(&str, u16)] = &[
        ("98.6", 370),
        ("98.6 °F", 370),
        ("99.5F", 375),
        ("86", 300),
        ("113", 450),
        ("100.4", 380),
        ("101", 383), // 38.33…
        ("102.2", 390),
        ("37.5 C", 375),
    ];
    for &(raw, dc) in cases {
        assert_eq!(
            one("temperature", raw).unwrap().temperature_dc,
            Some(dc),
            "{raw:?}"
        );
    }
    assert!(
        one("temperature", "98.6 C").is_err(),
        "a Fahrenheit number marked °C is refused"
    );
    assert!(
        one("temperature", "37 F").is_err(),
        "a Celsius number marked °F is refused"
    );
}

#[test]
fn decimals_beyond_a_tenth_are_rounded_half_up() {
    assert_eq!(one("weight", "72.45").unwrap().weight_dg, Some(725));
    assert_eq!(one("weight", "72.449").unwrap().weight_dg, Some(724));
    assert_eq!(one("height", "170.55").unwrap().height_mm, Some(1706));
    assert_eq!(
        one("temperature", "37.25").unwrap().temperature_dc,
        Some(373)
    );
}

#[test]
fn every_bad_field_is_reported_at_once() {
    let errors = Vitals::parse(VitalsInput {
        bp: "80/120",
        pulse: "300",
        temperature: "50",
        weight: "heavy",
        height: "2",
        spo2: "120",
    })
    .unwrap_err();
    assert_eq!(
        fields(&errors),
        ["bp", "pulse", "temperature", "weight", "height", "spo2"]
    );
}

#[test]
fn a_partial_blood_pressure_from_storage_is_not_shown() {
    let vitals = Vitals {
        systolic: Some(120),
        ..Vitals::default()
    };
    assert_eq!(vitals.bp_text(), None);
    assert_eq!(vitals.form_values().bp, "");
}

#[test]
fn icd10_codes_are_normalised_and_checked() {
    let accepted = [
        ("J06.9", "J06.9"),
        (" j06.9 ", "J06.9"),
        ("E11", "E11"),
        ("S52.521A", "S52.521A"),
        ("U07.1", "U07.1"),
        ("C7A.1", "C7A.1"),
        ("z00.00", "Z00.00"),
        ("J069", "J06.9"),
        ("S52521A", "S52.521A"),
    ];
    for (raw, code) in accepted {
        assert_eq!(
            Icd10::parse(raw).map(|c| c.to_string()),
            Ok(code.to_owned()),
            "{raw:?}"
        );
    }
    let refused = [
        "",
        "J",
        "J0",
        "06.9",
        "JJ6.9",
        "J06.",
        "J06.12345",
        "J06-9",
        "J06 .9",
        "J06.9.1",
        "J06.é",
        "Ü06.9",
        "S525212AB",
    ];
    for raw in refused {
        let err = Icd10::parse(raw).expect_err(raw);
        assert_eq!(err.field, "icd10");
        assert_eq!(
            err.message,
            "ICD-10 codes look like J06.9 (a letter, two characters, then optionally a dot and \
             up to four more).",
        );
    }
}

fn rx<'a>(drug: &'a str) -> RxItemInput<'a> {
    RxItemInput {
        drug,
        strength: "500 mg",
        form: "tablet",
        dose: "1 tablet",
        frequency: "TDS",
        duration: "5 days",
        route: "oral",
        instructions: "after food",
    }
}

#[test]
fn a_prescription_row_is_trimmed_and_its_inner_spaces_collapsed() {
    let item = RxItem::parse(
        RxItemInput {
            drug: "  Paracetamol  ",
            instructions: "after food,\n  with water",
            ..rx("")
        },
        1,
    )
    .unwrap();
    assert_eq!(item.drug, "Paracetamol");
    assert_eq!(item.instructions, "after food, with water");
    assert_eq!(item.frequency, "TDS");
}

#[test]
fn prescription_text_limits_are_exact() {
    let limits: &[(&str, usize)] = &[
        ("drug", 120),
        ("strength", 40),
        ("form", 40),
        ("dose", 40),
        ("frequency", 60),
        ("duration", 40),
        ("route", 40),
        ("instructions", 300),
    ];
    for &(field, max) in limits {
        for (len, ok) in [(max, true), (max + 1, false)] {
            let text = "x".repeat(len);
            let mut input = rx("Amoxicillin");
            match field {
                "drug" => input.drug = &text,
                "strength" => input.strength = &text,
                "form" => input.form = &text,
                "dose" => input.dose = &text,
                "frequency" => input.frequency = &text,
                "duration" => input.duration = &text,
                "route" => input.route = &text,
                _ => input.instructions = &text,
            }
            match RxItem::parse(input, 3) {
                Ok(_) => assert!(ok, "{field} of {len} characters should be refused"),
                Err(errors) => {
                    assert!(!ok, "{field} of {len} characters should be accepted");
                    assert_eq!(fields(&errors), [field]);
                    assert!(
                        errors[0].message.starts_with("Row 3: "),
                        "{:?}",
                        errors[0].message
                    );
                    assert!(
                        errors[0]
                            .message
                            .contains(&format!("at most {max} characters"))
                    );
                }
            }
        }
    }
}

#[test]
fn a_row_without_a_medicine_or_with_control_characters_is_refused_with_every_error() {
    let errors = RxItem::parse(
        RxItemInput {
            drug: " ",
            dose: "1\u{0}tab",
            ..rx("")
        },
        2,
    )
    .unwrap_err();
    assert_eq!(fields(&errors), ["drug", "dose"]);
    assert_eq!(errors[0].message, "Row 2: Medicine is required.");
    assert_eq!(
        errors[1].message,
        "Row 2: Dose must not contain control characters."
    );
}

#[test]
fn blank_rows_are_dropped_and_rows_keep_their_form_numbers() {
    let blank = RxItemInput {
        route: "  ",
        ..RxItemInput::default()
    };
    assert!(blank.is_blank());
    assert!(!rx("Cetirizine").is_blank());
    let rows = [rx("Cetirizine"), blank, rx(""), blank, rx("Amoxicillin")];
    let errors = parse_rx_items(&rows).unwrap_err();
    assert_eq!(fields(&errors), ["drug"]);
    assert!(errors[0].message.starts_with("Row 3: "), "{errors:?}");

    let rows = [blank, rx("Cetirizine"), blank, rx("Amoxicillin"), blank];
    let items = parse_rx_items(&rows).unwrap();
    assert_eq!(
        items.iter().map(|i| i.drug.as_str()).collect::<Vec<_>>(),
        ["Cetirizine", "Amoxicillin"]
    );
    assert_eq!(parse_rx_items(&[blank, blank]), Ok(vec![]));
}

#[test]
fn a_prescription_lists_at_most_thirty_medicines() {
    let blank = RxItemInput::default();
    let mut rows = vec![rx("Zinc"); MAX_RX_ITEMS];
    rows.push(blank);
    assert_eq!(parse_rx_items(&rows).unwrap().len(), MAX_RX_ITEMS);
    rows.push(rx("Vitamin D"));
    let errors = parse_rx_items(&rows).unwrap_err();
    assert_eq!(fields(&errors), ["items"]);
    assert!(errors[0].message.contains("at most 30 medicines"));
}

#[test]
fn suggestion_lists_hold_the_usual_choices() {
    assert_eq!(ROUTES.len(), 12);
    assert!(ROUTES.contains(&"IM injection"));
    assert_eq!(FORMS.len(), 14);
    assert!(FORMS.contains(&"suppository"));
    assert_eq!(
        FREQUENCIES.iter().find(|(code, _)| *code == "BD"),
        Some(&("BD", "twice a day"))
    );
    // Suggestions only: a route not in the list is still accepted.
    let item = RxItem::parse(
        RxItemInput {
            route: "nebulised",
            ..rx("Salbutamol")
        },
        1,
    )
    .unwrap();
    assert_eq!(item.route, "nebulised");
}
