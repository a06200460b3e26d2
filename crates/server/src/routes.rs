//! Every page's address, written once. The router mounts each pattern ([`pattern`]);
//! handlers and templates build links with the function of the same name, which takes the
//! typed ids the pattern names, so a link to a patient cannot be built from a doctor's id.
//! Templates call them as `{{ routes::patient(clinic_id, p.id) }}`.

use domain::{
    AppointmentId, BillId, CashSessionId, ClinicId, ConsultationId, DoctorId, DocumentId,
    ExceptionId, MembershipId, PatientId, PrescriptionId, SessionId, TokenId, VisitTypeId,
};

/// A value that fills a path segment of type `T`: the value itself or a reference to it
/// (templates pass references).
pub trait Segment<T: ?Sized> {
    fn segment(&self) -> &T;
}

macro_rules! segments {
    ($($t:ty),* $(,)?) => {
        $(
            impl Segment<$t> for $t {
                fn segment(&self) -> &$t {
                    self
                }
            }
        )*
    };
}

segments!(
    AppointmentId,
    BillId,
    CashSessionId,
    ClinicId,
    ConsultationId,
    DoctorId,
    DocumentId,
    ExceptionId,
    MembershipId,
    PatientId,
    PrescriptionId,
    SessionId,
    TokenId,
    VisitTypeId,
);

impl Segment<str> for str {
    fn segment(&self) -> &str {
        self
    }
}
impl Segment<str> for String {
    fn segment(&self) -> &str {
        self
    }
}

/// Templates pass references, sometimes of references.
impl<T: ?Sized, S: Segment<T> + ?Sized> Segment<T> for &S {
    fn segment(&self) -> &T {
        (**self).segment()
    }
}

macro_rules! routes {
    ($( $(#[$doc:meta])* $name:ident ( $($arg:ident: $ty:ty),* ) => $pattern:literal; )*) => {
        /// The patterns the router mounts, by page.
        #[allow(non_upper_case_globals)]
        pub mod pattern {
            $( pub const $name: &str = $pattern; )*
        }
        $(
            $(#[$doc])*
            pub fn $name($($arg: impl Segment<$ty>),*) -> String {
                $( let $arg: &$ty = $arg.segment(); )*
                format!($pattern)
            }
        )*
        /// Every pattern, for tests.
        pub const ALL: &[&str] = &[$($pattern),*];
    };
}

routes! {
    /// The start page.
    home() => "/";
    login() => "/login";
    /// Signing in with a one-time code (patients): ask for one, then type it.
    login_code() => "/login/code";
    login_totp() => "/login/totp";
    login_code_verify() => "/login/code/verify";
    register() => "/register";
    logout() => "/logout";
    forgot_password() => "/forgot-password";
    /// Where an e-mailed reset link lands.
    reset_password() => "/reset-password";
    confirm_email() => "/confirm-email";
    /// Where an e-mailed staff invitation lands.
    invite() => "/invite";
    account() => "/account";
    /// The web app manifest, and the service worker (at the root, for its scope).
    manifest() => "/manifest.webmanifest";
    service_worker() => "/sw.js";
    account_password() => "/account/password";
    /// A new mobile number, proved by a code texted to it.
    account_phone() => "/account/phone";
    account_notifications() => "/account/notifications";
    account_totp() => "/account/totp";
    account_totp_confirm() => "/account/totp/confirm";
    account_totp_disable() => "/account/totp/disable";
    account_phone_confirm() => "/account/phone/confirm";
    account_email_confirmation() => "/account/email-confirmation";
    revoke_session(id: SessionId) => "/account/sessions/{id}/revoke";
    switch_clinic() => "/switch-clinic";
    admin_clinics() => "/admin/clinics";

    /// A clinic's public page: its doctors and their next free times.
    clinic_page(slug: str) => "/c/{slug}";
    public_doctor(slug: str, doctor_id: DoctorId) => "/c/{slug}/doctors/{doctor_id}";
    /// A patient's booking of a chosen slot.
    public_book(slug: str) => "/c/{slug}/book";
    join(slug: str) => "/c/{slug}/join";
    board(slug: str) => "/c/{slug}/board";
    board_events(slug: str) => "/c/{slug}/board/events";

    /// A patient's own appointments, prescriptions and documents, across clinics.
    my_appointments() => "/appointments";
    my_prescriptions() => "/prescriptions";
    my_documents() => "/documents";
    my_document_upload(clinic_id: ClinicId, patient_id: PatientId) => "/documents/{clinic_id}/{patient_id}";
    my_document(clinic_id: ClinicId, patient_id: PatientId, document_id: DocumentId) => "/documents/{clinic_id}/{patient_id}/{document_id}";
    /// Where an e-mailed cancel link lands.
    cancel_by_link() => "/appointments/cancel";
    my_appointment_cancel(clinic_id: ClinicId, appointment_id: AppointmentId) => "/appointments/{clinic_id}/{appointment_id}/cancel";
    prescription_print(clinic_id: ClinicId, prescription_id: PrescriptionId) => "/clinics/{clinic_id}/prescriptions/{prescription_id}/print";
    prescription_pdf(clinic_id: ClinicId, prescription_id: PrescriptionId) => "/clinics/{clinic_id}/prescriptions/{prescription_id}/pdf";
    /// The signed queue-status page a patient follows.
    queue_status(token_id: TokenId, signature: str) => "/q/{token_id}/{signature}";

    staff(clinic_id: ClinicId) => "/clinics/{clinic_id}/staff";
    staff_invite(clinic_id: ClinicId) => "/clinics/{clinic_id}/staff/invite";
    staff_deactivate(clinic_id: ClinicId, membership_id: MembershipId) => "/clinics/{clinic_id}/staff/{membership_id}/deactivate";
    /// The staff's day: appointments by doctor.
    day(clinic_id: ClinicId) => "/clinics/{clinic_id}/day";
    doctors(clinic_id: ClinicId) => "/clinics/{clinic_id}/doctors";
    doctor_profile(clinic_id: ClinicId, doctor_id: DoctorId) => "/clinics/{clinic_id}/doctors/{doctor_id}/profile";
    specialties(clinic_id: ClinicId) => "/clinics/{clinic_id}/specialties";
    /// Approve, reject or suspend a doctor (`decision`).
    doctor_decision(clinic_id: ClinicId, doctor_id: DoctorId, decision: str) => "/clinics/{clinic_id}/doctors/{doctor_id}/{decision}";
    appointment_cancel(clinic_id: ClinicId, appointment_id: AppointmentId) => "/clinics/{clinic_id}/appointments/{appointment_id}/cancel";
    appointment_reschedule(clinic_id: ClinicId, appointment_id: AppointmentId) => "/clinics/{clinic_id}/appointments/{appointment_id}/reschedule";
    /// A status move of an appointment (`action`: approve, arrive, noshow, complete).
    appointment_action(clinic_id: ClinicId, appointment_id: AppointmentId, action: str) => "/clinics/{clinic_id}/appointments/{appointment_id}/{action}";
    /// The desk's booking: pick a slot, then confirm.
    desk_book(clinic_id: ClinicId) => "/clinics/{clinic_id}/book";
    desk_book_confirm(clinic_id: ClinicId) => "/clinics/{clinic_id}/book/confirm";
    patients(clinic_id: ClinicId) => "/clinics/{clinic_id}/patients";
    new_patient(clinic_id: ClinicId) => "/clinics/{clinic_id}/patients/new";
    /// A patient's record.
    patient(clinic_id: ClinicId, patient_id: PatientId) => "/clinics/{clinic_id}/patients/{patient_id}";
    edit_patient(clinic_id: ClinicId, patient_id: PatientId) => "/clinics/{clinic_id}/patients/{patient_id}/edit";
    link_patient(clinic_id: ClinicId, patient_id: PatientId) => "/clinics/{clinic_id}/patients/{patient_id}/link";
    patient_documents(clinic_id: ClinicId, patient_id: PatientId) => "/clinics/{clinic_id}/patients/{patient_id}/documents";
    patient_document(clinic_id: ClinicId, patient_id: PatientId, document_id: DocumentId) => "/clinics/{clinic_id}/patients/{patient_id}/documents/{document_id}";
    queue(clinic_id: ClinicId) => "/clinics/{clinic_id}/queue";
    queue_events(clinic_id: ClinicId) => "/clinics/{clinic_id}/queue/events";
    queue_tokens(clinic_id: ClinicId) => "/clinics/{clinic_id}/queue/tokens";
    call_next(clinic_id: ClinicId, doctor_id: DoctorId) => "/clinics/{clinic_id}/queue/doctors/{doctor_id}/call-next";
    token_transfer(clinic_id: ClinicId, token_id: TokenId) => "/clinics/{clinic_id}/queue/tokens/{token_id}/transfer";
    token_slip(clinic_id: ClinicId, token_id: TokenId) => "/clinics/{clinic_id}/queue/tokens/{token_id}/slip";
    /// A queue move of a token (`action`: start, skip, requeue, done, …).
    token_action(clinic_id: ClinicId, token_id: TokenId, action: str) => "/clinics/{clinic_id}/queue/tokens/{token_id}/{action}";
    consult(clinic_id: ClinicId, token_id: TokenId) => "/clinics/{clinic_id}/queue/tokens/{token_id}/consult";
    consultation(clinic_id: ClinicId, consultation_id: ConsultationId) => "/clinics/{clinic_id}/consultations/{consultation_id}";
    addenda(clinic_id: ClinicId, consultation_id: ConsultationId) => "/clinics/{clinic_id}/consultations/{consultation_id}/addenda";
    schedule(clinic_id: ClinicId) => "/clinics/{clinic_id}/schedule";
    hours(clinic_id: ClinicId, doctor_id: DoctorId) => "/clinics/{clinic_id}/schedule/{doctor_id}/hours";
    time_off(clinic_id: ClinicId, doctor_id: DoctorId) => "/clinics/{clinic_id}/schedule/{doctor_id}/exceptions";
    remove_time_off(clinic_id: ClinicId, exception_id: ExceptionId) => "/clinics/{clinic_id}/schedule-exceptions/{exception_id}/remove";
    visit_types(clinic_id: ClinicId) => "/clinics/{clinic_id}/visit-types";
    archive_visit_type(clinic_id: ClinicId, visit_type_id: VisitTypeId) => "/clinics/{clinic_id}/visit-types/{visit_type_id}/archive";
    settings(clinic_id: ClinicId) => "/clinics/{clinic_id}/settings";
    settings_details(clinic_id: ClinicId) => "/clinics/{clinic_id}/settings/details";
    settings_policy(clinic_id: ClinicId) => "/clinics/{clinic_id}/settings/policy";
    settings_holidays(clinic_id: ClinicId) => "/clinics/{clinic_id}/settings/holidays";
    settings_billing(clinic_id: ClinicId) => "/clinics/{clinic_id}/settings/billing";
    /// Texts to patients and where each stands; failed ones can be sent again.
    messages(clinic_id: ClinicId) => "/clinics/{clinic_id}/settings/messages";
    settings_security(clinic_id: ClinicId) => "/clinics/{clinic_id}/settings/security";
    webhooks(clinic_id: ClinicId) => "/clinics/{clinic_id}/settings/webhooks";
    webhook_deliveries(clinic_id: ClinicId, endpoint_id: str) => "/clinics/{clinic_id}/settings/webhooks/{endpoint_id}";
    webhook_delete(clinic_id: ClinicId, endpoint_id: str) => "/clinics/{clinic_id}/settings/webhooks/{endpoint_id}/delete";
    webhook_replay(clinic_id: ClinicId, delivery_id: str) => "/clinics/{clinic_id}/settings/webhooks/replay/{delivery_id}";
    message_retry(clinic_id: ClinicId, message_id: str) => "/clinics/{clinic_id}/settings/messages/{message_id}/retry";

    /// The billing desk: today's bills and what is unpaid; a new bill.
    bills(clinic_id: ClinicId) => "/clinics/{clinic_id}/bills";
    /// One bill: the draft's lines, issuing, taking payment, voiding.
    bill(clinic_id: ClinicId, bill_id: BillId) => "/clinics/{clinic_id}/bills/{bill_id}";
    /// A bill move (`action`: issue, pay, void).
    bill_action(clinic_id: ClinicId, bill_id: BillId, action: str) => "/clinics/{clinic_id}/bills/{bill_id}/{action}";
    /// The invoice and its receipts, to print (the desk, and the bill's patient).
    bill_print(clinic_id: ClinicId, bill_id: BillId) => "/clinics/{clinic_id}/bills/{bill_id}/print";
    /// The same as a PDF download.
    bill_pdf(clinic_id: ClinicId, bill_id: BillId) => "/clinics/{clinic_id}/bills/{bill_id}/pdf";
    /// The receptionist's cash drawer: open, and the close-out.
    drawer(clinic_id: ClinicId) => "/clinics/{clinic_id}/drawer";
    drawer_close(clinic_id: ClinicId, cash_session_id: CashSessionId) => "/clinics/{clinic_id}/drawer/{cash_session_id}/close";
    /// What the clinic took, per doctor and method; `?format=csv` downloads it.
    collections(clinic_id: ClinicId) => "/clinics/{clinic_id}/reports/collections";
    /// A patient's own bills, across clinics.
    my_bills() => "/bills";
    /// Paying one's own bill online: on to the provider's checkout.
    my_bill_pay_online(clinic_id: ClinicId, bill_id: BillId) => "/bills/{clinic_id}/{bill_id}/pay-online";
    /// Where Razorpay sends the patient back, with its signed query.
    razorpay_return() => "/pay/razorpay/return";
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_link_fills_its_pattern_with_the_ids_it_is_given() {
        let (c, p) = (ClinicId::new(), PatientId::new());
        assert_eq!(patient(c, p), format!("/clinics/{c}/patients/{p}"));
        let (rc, rp) = (&c, &p);
        assert_eq!(patient(rc, rp), patient(c, p), "templates pass references");
        let (rrc, rrp) = (&rc, &rp);
        assert_eq!(
            patient(rrc, rrp),
            patient(c, p),
            "and references of references"
        );
        let slug = "sunrise".to_owned();
        assert_eq!(clinic_page("sunrise"), "/c/sunrise");
        assert_eq!(clinic_page(&slug), "/c/sunrise");
        assert_eq!(
            pattern::patient,
            "/clinics/{clinic_id}/patients/{patient_id}"
        );
    }

    #[test]
    fn no_two_pages_share_a_pattern() {
        let mut all = ALL.to_vec();
        all.sort_unstable();
        let n = all.len();
        all.dedup();
        assert_eq!(all.len(), n);
    }

    #[test]
    fn templates_build_every_page_link_with_routes() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("templates");
        let mut literal = Vec::new();
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            let text = std::fs::read_to_string(&path).unwrap();
            for attr in ["href=\"/", "action=\"/", "data-live=\"/", "formaction=\"/"] {
                for (at, _) in text.match_indices(attr) {
                    let rest = &text[at + attr.len() - 1..];
                    if !rest.starts_with("/static/") {
                        let end = rest.find('"').unwrap_or(rest.len());
                        literal.push(format!("{}: {}", path.display(), &rest[..end]));
                    }
                }
            }
        }
        assert!(
            literal.is_empty(),
            "links not built by routes: {literal:#?}"
        );
    }
}
