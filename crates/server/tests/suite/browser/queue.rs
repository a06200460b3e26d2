//! A clinic day in the browser: reception registers a walk-in (who had signed up online)
//! and issues a token; the doctor sees her, records vitals and a prescription and signs;
//! she logs in and finds the prescription. A second browser shows the waiting-room board,
//! which follows live (server-sent events, no reload).

use super::*;
use crate::helpers::PW;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_walk_in_is_registered_seen_and_prescribed_while_the_board_follows_live() {
    let Some(desk_browser) = browser().await else {
        return;
    };
    let Some(tv) = browser().await else { return };
    let server = tokio::task::spawn_blocking(start_server).await.unwrap();
    let (d, board) = (&desk_browser.driver, &tv.driver);

    // Kavya signed up on the website earlier.
    let r = reqwest::Client::new()
        .post(format!("{}/api/v1/auth/register", server.url))
        .json(&serde_json::json!({"email": "kavya@example.com", "name": "Kavya Nair", "password": PW}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201);

    board
        .goto(format!("{}/c/sunrise/board", server.url))
        .await
        .unwrap();
    wait_text(board, "No tokens yet today").await;

    // Reception registers her in the short form, links her account and issues a token.
    sign_in(d, &server, "receptionist").await;
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
    click(
        d,
        "main form[action$='/queue/tokens'] button[type='submit']",
    )
    .await;
    wait_text(d, "Kavya Nair · Dr. Ravi Iyer: waiting.").await;
    wait_text(d, "Print the token slip").await;
    assert_fits(d).await;

    // The board shows the new token without being reloaded: number and initials only.
    wait_text(board, "K. N.").await;
    assert!(!board.source().await.unwrap().contains("Kavya"));

    // The doctor calls her in and opens the consultation.
    sign_out(d).await;
    wait_path(d, "/login").await;
    sign_in(d, &server, "doctor").await;
    click(d, "nav a[href$='/queue']").await;
    wait_text(d, "Call next").await;
    click(d, "main form[action$='/call-next'] button").await;
    wait_text(d, "Kavya Nair · Dr. Ravi Iyer: called.").await;
    wait_text(board, "Please go in").await;
    click(d, "main form[action$='/consult'] button").await;
    wait_text(d, "Prescription").await;
    wait_text(board, "With the doctor").await;

    // Vitals out of range are explained inline and nothing is lost.
    fill(d, "complaints", "Fever and sore throat for 3 days").await;
    fill(d, "pulse", "400").await;
    fill(d, "drug_0", "Paracetamol").await;
    click(d, "main button[value='save']").await;
    wait_text(d, "Pulse must be between 20 and 250").await;
    assert!(d.source().await.unwrap().contains("Fever and sore throat"));
    fill(d, "bp", "118/76").await;
    fill(d, "pulse", "92").await;
    fill(d, "temperature", "38.4").await;
    fill(d, "spo2", "98").await;
    fill(d, "diagnosis", "Acute pharyngitis").await;
    fill(d, "icd10", "J02.9").await;
    fill(d, "strength_0", "500 mg").await;
    fill(d, "frequency_0", "TDS").await;
    fill(d, "duration_0", "3 days").await;
    // A second medicine row, without JavaScript's help: the button saves and adds a row.
    click(d, "main button[value='add_row']").await;
    wait_text(d, "f-drug_1").await;
    fill(d, "drug_1", "Salt water gargles").await;
    fill(d, "frequency_1", "QID").await;
    assert_fits(d).await;
    click(d, "main button[value='sign']").await;
    wait_text(d, "Signed. The consultation is locked").await;
    wait_text(d, "BP 118/76").await;
    click(d, "main a[href$='/print']").await;
    wait_text(d, "Reg. no.").await;
    wait_text(d, "Salt water gargles").await;
    wait_text(board, "board-idle").await;

    // Kavya signs in and finds her prescription.
    d.goto(format!("{}/", server.url)).await.unwrap();
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
