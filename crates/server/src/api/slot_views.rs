//! The slot search's answer. A month of one doctor is hundreds of slots with four times
//! each, so they are written straight into one buffer sized up front, with no `String`
//! per time: building those cost more than finding the slots.

use super::views::VisitTypeView;
use crate::app::{booking::slot_texts, local_time::zone_of, slots::DoctorSlots};
use serde::Serialize;
use store::clinics::Clinic;
use utoipa::ToSchema;
use uuid::Uuid;

/// One doctor's free slots for one visit type.
#[derive(Serialize, ToSchema)]
pub struct DoctorSlotsView {
    pub doctor_id: Uuid,
    pub doctor_name: String,
    pub visit_type: VisitTypeView,
    #[schema(value_type = Vec<crate::error::SlotView>)]
    pub slots: SlotList,
}

/// Slots serialized as [`SlotView`](crate::error::SlotView)s from borrowed text.
pub struct SlotList {
    zone: jiff::tz::TimeZone,
    slots: Vec<domain::schedule::Slot>,
}

impl Serialize for SlotList {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeSeq;
        /// The fields of `SlotView`, borrowed.
        #[derive(Serialize)]
        struct Slot<'a> {
            start: &'a str,
            end: &'a str,
            local_start: &'a str,
            local_end: &'a str,
        }
        let mut seq = s.serialize_seq(Some(self.slots.len()))?;
        for slot in &self.slots {
            let [start, end, local_start, local_end] = slot_texts(&self.zone, slot);
            seq.serialize_element(&Slot {
                start: start.as_str(),
                end: end.as_str(),
                local_start: local_start.as_str(),
                local_end: local_end.as_str(),
            })?;
        }
        seq.end()
    }
}

/// Free slots of a search.
#[derive(Serialize, ToSchema)]
pub struct SlotsView {
    /// The clinic's IANA zone; local times are in it.
    pub time_zone: String,
    /// First and last local date searched.
    pub from: String,
    pub to: String,
    pub doctors: Vec<DoctorSlotsView>,
}

impl SlotsView {
    /// The answer to a search of `clinic` over the local dates `from..=to`.
    pub fn new(
        clinic: Clinic,
        (from, to): (jiff::civil::Date, jiff::civil::Date),
        found: Vec<DoctorSlots>,
    ) -> Self {
        let zone = zone_of(&clinic);
        SlotsView {
            from: from.to_string(),
            to: to.to_string(),
            doctors: found
                .into_iter()
                .map(|d| DoctorSlotsView {
                    doctor_id: d.doctor.as_uuid(),
                    doctor_name: d.doctor_name,
                    slots: SlotList {
                        zone: zone.clone(),
                        slots: d.slots,
                    },
                    visit_type: d.visit_type.into(),
                })
                .collect(),
            time_zone: clinic.time_zone,
        }
    }

    /// About how many bytes of JSON this is (a slot takes up to ~145), to size the buffer.
    fn json_len(&self) -> usize {
        let slots: usize = self.doctors.iter().map(|d| d.slots.slots.len()).sum();
        512 * (1 + self.doctors.len()) + 150 * slots
    }
}

impl axum::response::IntoResponse for SlotsView {
    fn into_response(self) -> axum::response::Response {
        let mut body = Vec::with_capacity(self.json_len());
        match serde_json::to_writer(&mut body, &self) {
            Ok(()) => (
                [(
                    axum::http::header::CONTENT_TYPE,
                    axum::http::HeaderValue::from_static("application/json"),
                )],
                body,
            )
                .into_response(),
            Err(e) => crate::error::AppError::internal("write the slot list", &e).into_response(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::SlotList;
    use crate::app::booking::slot_views;
    use domain::schedule::Slot;

    #[test]
    fn a_slot_list_writes_what_slot_views_write() {
        let starts = [
            "1972-01-01T00:00:00Z",
            "2026-03-08T06:40:00Z",
            "2026-03-29T00:50:00Z",
            "2026-11-23T03:30:00Z",
            "2026-11-23T09:00:00.5Z",
        ];
        let slots: Vec<Slot> = starts
            .iter()
            .map(|s| {
                let start: jiff::Timestamp = s.parse().unwrap();
                Slot {
                    start,
                    end: start + jiff::SignedDuration::from_mins(15),
                }
            })
            .collect();
        for zone in [
            "UTC",
            "Asia/Kolkata",
            "America/New_York",
            "Pacific/Chatham",
            "Africa/Monrovia",
        ] {
            let clinic = store::clinics::Clinic {
                id: domain::ClinicId::new(),
                slug: "c".into(),
                name: "C".into(),
                time_zone: zone.into(),
                currency: domain::Currency::parse("INR").unwrap(),
                created_at: jiff::Timestamp::UNIX_EPOCH,
                details: Default::default(),
                country: None,
                totp_roles: Vec::new(),
            };
            let list = SlotList {
                zone: jiff::tz::TimeZone::get(zone).unwrap(),
                slots: slots.clone(),
            };
            assert_eq!(
                serde_json::to_string(&list).unwrap(),
                serde_json::to_string(&slot_views(&clinic, &slots)).unwrap(),
                "{zone}"
            );
        }
    }
}
