//! What each kind of caller may do, written once. A use case asks `caller.require(cap)` (or
//! `caller.can(cap)` where a refusal reads differently); the HTTP extractors narrow by the
//! same table (`auth::extract::RoleSet` names a capability). Whose row it is (a doctor's own
//! hours, a patient's own appointment) is the use case's check on top of this.

pub use super::scope::Holder;
use Holder::{Job, Webhook};
use domain::{
    Role::{Admin, Doctor, Receptionist},
    StaffMove,
};

/// One use case or family of them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Capability {
    /// The staff's side of the clinic: the day, the queues, the patients' area.
    ClinicWork,
    /// The admin's side: doctors, staff and settings pages.
    AdministerClinic,
    /// Read any appointment of the clinic and list them (a patient reads only their own).
    ReadAppointments,
    /// Cancel or reschedule any appointment of the clinic, also after the cutoff.
    ChangeAppointments,
    /// Book for a patient other than oneself.
    BookForOthers,
    /// Approve, check in or mark a no-show.
    MoveAppointment,
    /// Mark a visit completed.
    CompleteVisit,
    /// See today's queues.
    ViewQueue,
    /// The desk's queue work: issue tokens, transfer, skip and put back any token.
    IssueTokens,
    /// Call, start and end any doctor's tokens (a doctor runs their own).
    RunAnyQueue,
    /// Find and read any patient of the clinic, their history and documents.
    ReadRecords,
    /// Register patients, correct their details, link their accounts.
    RegisterPatients,
    /// Start, write, sign and amend consultations and prescriptions; read a patient's
    /// history and any prescription.
    WriteConsultation,
    /// A doctor's weekly hours, visit types, time off and profile (a doctor their own).
    ManagePractice,
    /// Any doctor's, as above; the clinic-wide visit types and holidays.
    ManageAnyPractice,
    /// Approve, reject and suspend doctors; the clinic's specialties.
    DecideDoctors,
    /// Invite, list and remove staff.
    ManageStaff,
    /// The clinic's details, booking rules and billing settings.
    ClinicSettings,
    /// The billing desk: write, issue and read bills, take payments, run a cash drawer.
    Billing,
    /// Correct the money: void bills, refunds and credit notes, discounts beyond the
    /// desk's limit.
    CorrectBills,
}

impl Capability {
    /// What a staff move on an appointment needs.
    pub fn to_move(m: StaffMove) -> Capability {
        match m {
            StaffMove::Complete => Capability::CompleteVisit,
            StaffMove::Approve | StaffMove::Arrive | StaffMove::NoShow => {
                Capability::MoveAppointment
            }
        }
    }

    /// Every capability, in declaration order.
    pub const ALL: [Capability; 20] = [
        Capability::ClinicWork,
        Capability::AdministerClinic,
        Capability::ReadAppointments,
        Capability::ChangeAppointments,
        Capability::BookForOthers,
        Capability::MoveAppointment,
        Capability::CompleteVisit,
        Capability::ViewQueue,
        Capability::IssueTokens,
        Capability::RunAnyQueue,
        Capability::ReadRecords,
        Capability::RegisterPatients,
        Capability::WriteConsultation,
        Capability::ManagePractice,
        Capability::ManageAnyPractice,
        Capability::DecideDoctors,
        Capability::ManageStaff,
        Capability::ClinicSettings,
        Capability::Billing,
        Capability::CorrectBills,
    ];
}

const STAFF: &[Holder] = &[
    Holder::Role(Admin),
    Holder::Role(Doctor),
    Holder::Role(Receptionist),
];
const ADMIN: &[Holder] = &[Holder::Role(Admin)];

/// The policy table: who holds each capability.
pub fn holders(cap: Capability) -> &'static [Holder] {
    use Capability::*;
    match cap {
        ClinicWork | BookForOthers | MoveAppointment | ViewQueue | ReadRecords
        | RegisterPatients => STAFF,
        ReadAppointments | ChangeAppointments => &[
            Holder::Role(Admin),
            Holder::Role(Doctor),
            Holder::Role(Receptionist),
            Job,
            Webhook,
        ],
        CompleteVisit => &[Holder::Role(Admin), Holder::Role(Doctor)],
        ManagePractice => &[Holder::Role(Admin), Holder::Role(Doctor), Holder::Seed],
        IssueTokens => &[Holder::Role(Admin), Holder::Role(Receptionist)],
        // A job bills a visit's own charges (deposits, late and no-show fees).
        Billing => &[Holder::Role(Admin), Holder::Role(Receptionist), Job],
        WriteConsultation => &[Holder::Role(Doctor)],
        ManageAnyPractice | DecideDoctors => &[Holder::Role(Admin), Holder::Seed],
        AdministerClinic | RunAnyQueue | ManageStaff | ClinicSettings | CorrectBills => ADMIN,
    }
}

/// Whether `holder` holds `cap`.
pub fn holds(cap: Capability, holder: Holder) -> bool {
    holders(cap).contains(&holder)
}

#[cfg(test)]
mod tests {
    use super::{Capability, Holder, holders};

    #[test]
    fn every_capability_has_a_holder() {
        for cap in Capability::ALL {
            assert!(!holders(cap).is_empty(), "{cap:?} has no holder");
        }
    }

    /// Its place in `ALL`: a new variant does not compile until it has one.
    fn place(cap: Capability) -> usize {
        use Capability::*;
        match cap {
            ClinicWork => 0,
            AdministerClinic => 1,
            ReadAppointments => 2,
            ChangeAppointments => 3,
            BookForOthers => 4,
            MoveAppointment => 5,
            CompleteVisit => 6,
            ViewQueue => 7,
            IssueTokens => 8,
            RunAnyQueue => 9,
            ReadRecords => 10,
            RegisterPatients => 11,
            WriteConsultation => 12,
            ManagePractice => 13,
            ManageAnyPractice => 14,
            DecideDoctors => 15,
            ManageStaff => 16,
            ClinicSettings => 17,
            Billing => 18,
            CorrectBills => 19,
        }
    }

    #[test]
    fn all_lists_every_capability_once() {
        for (i, cap) in Capability::ALL.into_iter().enumerate() {
            assert_eq!(place(cap), i, "{cap:?} is out of place in ALL");
        }
    }

    #[test]
    fn staff_moves_agree_with_the_domain() {
        for m in domain::StaffMove::ALL {
            let roles: Vec<Holder> = m.roles().iter().map(|r| Holder::Role(*r)).collect();
            assert_eq!(holders(Capability::to_move(m)), roles.as_slice(), "{m:?}");
        }
    }

    #[test]
    fn patients_hold_nothing_and_admins_hold_what_any_staff_holds_but_consultations() {
        for cap in Capability::ALL {
            assert!(!holders(cap).contains(&Holder::Patient), "{cap:?}");
            let staff = holders(cap).iter().any(|h| matches!(h, Holder::Role(_)));
            if staff && cap != Capability::WriteConsultation {
                assert!(
                    holders(cap).contains(&Holder::Role(domain::Role::Admin)),
                    "{cap:?}"
                );
            }
        }
    }
}
