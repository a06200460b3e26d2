//! A clinic day in the browser, in a clinic where it is now midday, so that "later today"
//! exists whenever the test runs (see `clinic`). Arjun booked online for this afternoon.
//! Reception registers a walk-in (Kavya, who had signed up online) and issues her token,
//! then checks Arjun in; the doctor's queue page and the waiting-room board, open in two
//! more browsers, follow without being reloaded (server-sent events). The doctor sees
//! Kavya, records vitals and a prescription and signs; she logs in and finds the
//! prescription.

use super::{
    clinic::{Api, midday_clinic},
    *,
};
use crate::helpers::PW;
use reqwest::Method;
use serde_json::json;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_walk_in_and_a_booked_patient_join_the_queue_while_doctor_and_board_follow_live() {
    let Some(desk_browser) = browser().await else {
        return;
    };
    let Some(doctor_browser) = browser().await else {
        return;
    };
    let Some(tv) = browser().await else { return };
    let server = tokio::task::spawn_blocking(start_server).await.unwrap();
    let (d, doc, board) = (&desk_browser.driver, &doctor_browser.driver, &tv.driver);
    let clinic = midday_clinic(&server, "noon").await;
    let api = Api::new(&server);

    // Kavya signed up on the website earlier; Arjun too, and he booked for this afternoon.
    api.register("kavya@example.com", "Kavya Nair").await;
    api.register("arjun@example.com", "Arjun Rao").await;
    let arjun = api.login("arjun@example.com", PW).await;
    let start = clinic.slot_later_today(&api).await;
    let body = json!({"doctor_id": clinic.doctor, "visit_type_id": clinic.visit_type,
        "start": start, "reason": "Follow-up of blood pressure"});
    let appointments = format!("/api/v1/clinics/{}/appointments", clinic.id);
    api.call(Method::POST, &appointments, Some(&arjun), Some(body), 201)
        .await;

    board
        .goto(format!("{}/c/{}/board", server.url, clinic.slug))
        .await
        .unwrap();
    wait_text(board, "No tokens yet today").await;
    // The doctor opens her queue and leaves it open.
    sign_in_as(doc, &server, &clinic.doctor_email, PW).await;
    click(doc, "nav a[href$='/queue']").await;
    wait_text(doc, "Nobody waiting.").await;
    mark_page(doc).await;

    // Reception registers Kavya in the short form, links her account and issues a token.
    sign_in_as(d, &server, &clinic.desk_email, PW).await;
    click(d, "nav a[href$='/patients']").await;
    wait_text(d, "Register a patient").await;
    click(d, "main a.button[href$='/patients/new']").await;
    wait_text(d, "E-mail, address and emergency contact").await;
    fill(d, "name", "Kavya Nair").await;
    set_value(d, "sex", "female").await;
    fill(d, "age", "34").await;
    fill(d, "phone", "+91 98450 11111").await;
    assert_fits(d).await;
    click(
        d,
        "main form[action$='/patients/new'] button[type='submit']",
    )
    .await;
    wait_text(d, "Registered as P").await;
    fill(d, "email", "kavya@example.com").await;
    click(d, "main form[action$='/link'] button[type='submit']").await;
    wait_text(d, "Linked to the patient's online account.").await;
    set_value(d, "doctor", &clinic.doctor).await;
    click(
        d,
        "main form[action$='/queue/tokens'] button[type='submit']",
    )
    .await;
    wait_text(d, "Kavya Nair · Dr. Ravi Iyer: waiting.").await;
    wait_text(d, "Print the token slip").await;
    assert_fits(d).await;

    // The board shows the new token, with number and initials only; the doctor's queue
    // shows her by name. Neither page is reloaded.
    wait_text(board, "K. N.").await;
    assert!(!board.source().await.unwrap().contains("Kavya"));
    wait_text(doc, "Kavya Nair").await;
    assert_not_reloaded(doc).await;

    // While the doctor has a button of the list in focus, a change waits for her.
    doc.execute(
        "document.querySelector(\"main form[action$='/call-next'] button\").focus();",
        vec![],
    )
    .await
    .unwrap();

    // Arjun arrives for his booking; reception checks him in from today's list.
    click(d, "nav a[href$='/day']").await;
    wait_text(d, "Arjun Rao").await;
    assert_fits(d).await;
    click(d, "main form[action*='/arrive'] button").await;
    wait_text(d, "Checked in. Token 2 · Arjun Rao").await;

    // The board shows both tokens before the doctor calls anyone.
    wait_text(board, "A. R.").await;
    let tv_now = board.source().await.unwrap();
    assert!(
        tv_now.contains("K. N.") && !tv_now.contains("Arjun"),
        "{tv_now}"
    );
    // The doctor's page holds the change until the focus leaves the list, then shows it.
    wait_text(doc, "data-pending").await;
    assert!(!doc.source().await.unwrap().contains("Arjun Rao"));
    doc.execute("document.activeElement.blur();", vec![])
        .await
        .unwrap();
    wait_text(doc, "Arjun Rao").await;
    wait_text(doc, "Waiting (2)").await;
    assert!(doc.source().await.unwrap().contains("Booked "));
    assert_not_reloaded(doc).await;
    assert_fits(doc).await;

    // The doctor calls the next patient: Kavya, who came before Arjun's time.
    click(doc, "main form[action$='/call-next'] button").await;
    wait_text(doc, "Kavya Nair · Dr. Ravi Iyer: called.").await;
    wait_text(board, "Please go in").await;
    click(doc, "main form[action$='/consult'] button").await;
    wait_text(doc, "Prescription").await;
    wait_text(board, "With the doctor").await;

    // Vitals out of range are explained inline and nothing is lost.
    fill(doc, "complaints", "Fever and sore throat for 3 days").await;
    fill(doc, "pulse", "400").await;
    fill(doc, "drug_0", "Paracetamol").await;
    click(doc, "main .actions button[value='save']").await;
    wait_text(doc, "Pulse must be between 20 and 250").await;
    assert!(
        doc.source()
            .await
            .unwrap()
            .contains("Fever and sore throat")
    );
    fill(doc, "bp", "118/76").await;
    fill(doc, "pulse", "92").await;
    fill(doc, "temperature", "38.4").await;
    fill(doc, "spo2", "98").await;
    fill(doc, "diagnosis", "Acute pharyngitis").await;
    fill(doc, "icd10", "J02.9").await;
    fill(doc, "strength_0", "500 mg").await;
    fill(doc, "frequency_0", "TDS").await;
    fill(doc, "duration_0", "3 days").await;
    fill(doc, "instructions_0", "After food").await;
    // A second medicine row, without JavaScript's help: the button saves and adds a row.
    click(doc, "main button[value='add_row']").await;
    wait_text(doc, "f-drug_1").await;
    fill(doc, "drug_1", "Salt water gargles").await;
    fill(doc, "frequency_1", "QID").await;
    // Enter in a text field saves the draft and removes no medicine.
    doc.find(By::Id("f-diagnosis"))
        .await
        .unwrap()
        .send_keys(Key::Enter)
        .await
        .unwrap();
    wait_text(doc, "Draft saved").await;
    for (field, want) in [("drug_0", "Paracetamol"), ("drug_1", "Salt water gargles")] {
        let value = doc
            .find(By::Id(format!("f-{field}")))
            .await
            .unwrap()
            .prop("value")
            .await
            .unwrap();
        assert_eq!(value.as_deref(), Some(want), "{field} after Enter");
    }
    assert_fits(doc).await;
    click(doc, "main button[value='sign']").await;
    wait_text(doc, "Signed. The consultation is locked").await;
    wait_text(doc, "BP 118/76").await;
    click(doc, "main a[href$='/print']").await;
    wait_text(doc, "Reg. no.").await;
    wait_text(doc, "Salt water gargles").await;
    // On a phone the medicines stack as cards: no column is off the side.
    assert_in_view(doc, "table.rx-items td[data-label='Instructions']").await;
    assert_in_view(doc, "table.rx-items td[data-label='Route']").await;
    assert_fits(doc).await;
    // The board moves on: nobody with the doctor, Arjun next.
    wait_text(board, "board-idle").await;
    assert!(board.source().await.unwrap().contains("A. R."));

    // Kavya signs in and finds her prescription.
    sign_out(d).await;
    wait_path(d, "/login").await;
    d.goto(format!("{}/login", server.url)).await.unwrap();
    fill(d, "email", "kavya@example.com").await;
    fill(d, "password", PW).await;
    submit(d, "/login").await;
    wait_path(d, "/").await;
    click(d, "nav a[href='/prescriptions']").await;
    wait_text(d, "Acute pharyngitis").await;
    wait_text(d, "Paracetamol · 500 mg · TDS · 3 days").await;
    assert_fits(d).await;
}
