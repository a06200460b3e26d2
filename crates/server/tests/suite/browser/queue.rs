//! The front desk and the doctor run the queue in the browser while the waiting-room board,
//! open in a second browser, follows live (server-sent events, no reload).

use super::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_walk_in_is_registered_given_a_token_called_and_seen_while_the_board_follows_live() {
    let Some(desk_browser) = browser().await else {
        return;
    };
    let Some(tv) = browser().await else { return };
    let server = tokio::task::spawn_blocking(start_server).await.unwrap();
    let (d, board) = (&desk_browser.driver, &tv.driver);

    board
        .goto(format!("{}/c/sunrise/board", server.url))
        .await
        .unwrap();
    wait_text(board, "No tokens yet today").await;

    // Reception registers a walk-in in the short form and issues a token from the record.
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
    set_value(d, "priority", "elderly").await;
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

    // The doctor calls the patient in, sees them and ends the visit.
    sign_out(d).await;
    wait_path(d, "/login").await;
    sign_in(d, &server, "doctor").await;
    click(d, "nav a[href$='/queue']").await;
    wait_text(d, "Call next").await;
    click(d, "main form[action$='/call-next'] button").await;
    wait_text(d, "Kavya Nair · Dr. Ravi Iyer: called.").await;
    wait_text(board, "Please go in").await;
    click(d, "main form[action$='/start'] button").await;
    wait_text(d, "in consultation.").await;
    wait_text(board, "With the doctor").await;
    click(d, "main form[action$='/end'] button").await;
    wait_text(d, "1 seen or moved today.").await;
    wait_text(board, "board-idle").await;
    assert!(!board.source().await.unwrap().contains("K. N."));
}
