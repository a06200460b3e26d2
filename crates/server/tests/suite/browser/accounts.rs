//! Signing up (and confirming the address), in and out, and joining a clinic by invitation,
//! in the browser.

use super::*;
use thirtyfour::prelude::*;

// Multi-threaded: if a step panics, thirtyfour's blocking teardown must not stall the runtime.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_patient_registers_logs_out_and_logs_back_in() {
    let Some(b) = browser().await else { return };
    let server = tokio::task::spawn_blocking(start_server).await.unwrap();
    let d = &b.driver;
    let pw = "my own long passphrase";

    d.goto(format!("{}/register", server.url)).await.unwrap();
    fill(d, "name", "Priya Nair").await;
    fill(d, "email", "priya@example.com").await;
    fill(d, "password", "short").await;
    fill(d, "confirm", "short").await;
    submit(d, "/register").await;
    wait_text(d, "at least 12 characters").await;

    fill(d, "password", pw).await;
    fill(d, "confirm", pw).await;
    submit(d, "/register").await;
    // The same answer whether or not the address had an account: a message is on its
    // way; sign in with the password chosen (the address is filled in).
    wait_text(d, "We have sent a message to priya@example.com").await;
    assert_fits(d).await;
    fill(d, "password", pw).await;
    submit(d, "/login").await;
    wait_path(d, "/").await;
    wait_text(d, "Priya Nair").await;

    sign_out(d).await;
    wait_path(d, "/login").await;
    d.goto(format!("{}/account", server.url)).await.unwrap();
    wait_path(d, "/login").await;

    fill(d, "email", "priya@example.com").await;
    fill(d, "password", "wrong password here").await;
    submit(d, "/login").await;
    wait_text(d, "incorrect").await;
    fill(d, "email", "priya@example.com").await;
    fill(d, "password", pw).await;
    submit(d, "/login").await;
    wait_path(d, "/account").await;
    wait_text(d, "priya@example.com").await;
    wait_text(d, "Not confirmed").await;
    assert_fits(d).await;

    // The link mailed at sign-up opens a page whose button confirms the address.
    let token = server
        .mailed_token("priya@example.com", "/confirm-email?token=")
        .await;
    d.goto(format!("{}/confirm-email?token={token}", server.url))
        .await
        .unwrap();
    wait_text(d, "Confirm that this e-mail address belongs to you").await;
    assert_fits(d).await;
    submit(d, "/confirm-email").await;
    wait_text(d, "E-mail address confirmed").await;
    d.goto(format!("{}/account", server.url)).await.unwrap();
    wait_text(d, "Confirmed").await;
    let page = d.source().await.unwrap();
    assert!(!page.contains("Not confirmed"), "{page}");
    b.driver.quit().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_admin_invites_a_receptionist_who_sets_a_password_from_the_email_and_logs_in() {
    let Some(b) = browser().await else { return };
    let server = tokio::task::spawn_blocking(start_server).await.unwrap();
    let d = &b.driver;
    let (admin_email, admin_pw) = server.login_of("clinic admin");

    d.goto(format!("{}/login", server.url)).await.unwrap();
    fill(d, "email", &admin_email).await;
    fill(d, "password", &admin_pw).await;
    submit(d, "/login").await;
    wait_path(d, "/").await;
    d.find(By::Css("main a[href$='/staff']"))
        .await
        .expect("link to the staff page")
        .click()
        .await
        .unwrap();
    wait_text(d, "Invite a colleague").await;
    let staff_path = path(d).await;
    assert!(staff_path.ends_with("/staff"), "{staff_path}");

    fill(d, "email", "new.desk@example.com").await;
    d.find(By::Css("select[name='role'] option[value='receptionist']"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    submit(d, &format!("{staff_path}/invite")).await;
    wait_text(d, "new.desk@example.com").await;
    assert_fits(d).await;
    sign_out(d).await;
    wait_path(d, "/login").await;

    let token = server
        .mailed_token("new.desk@example.com", "/invite?token=")
        .await;
    d.goto(format!("{}/invite?token={token}", server.url))
        .await
        .unwrap();
    fill(d, "name", "Ravi Desk").await;
    fill(d, "password", "front desk passphrase").await;
    fill(d, "confirm", "front desk passphrase").await;
    submit(d, "/invite").await;
    wait_text(d, "You joined Sunrise Family Clinic").await;

    d.goto(format!("{}/invite?token={token}", server.url))
        .await
        .unwrap();
    wait_text(d, "expired").await;

    d.goto(format!("{}/login", server.url)).await.unwrap();
    fill(d, "email", "new.desk@example.com").await;
    fill(d, "password", "front desk passphrase").await;
    submit(d, "/login").await;
    wait_path(d, "/").await;
    wait_text(d, "Ravi Desk").await;
    wait_text(d, "Receptionist").await;
    b.driver.quit().await.unwrap();
}
