//! The kinds of visit a clinic offers: length, buffers, price, and who offers them.

use crate::{StoreError, StoreResult, all_as, exec, get, ms};
use domain::{ClinicId, DoctorId, VisitMode, VisitTypeId};
use sea_orm::{ConnectionTrait, QueryResult};

/// A kind of visit. `doctor_id` of `None` means every doctor of the clinic offers it.
#[derive(Debug, Clone, serde::Serialize)]
pub struct VisitType {
    pub id: VisitTypeId,
    pub clinic_id: ClinicId,
    pub doctor_id: Option<DoctorId>,
    pub name: String,
    pub duration_min: i32,
    pub buffer_before_min: i32,
    pub buffer_after_min: i32,
    pub price_minor: i64,
    /// Asked for at booking, towards the visit; 0: none.
    pub deposit_minor: i64,
    pub mode: VisitMode,
    pub is_active: bool,
}

const VT_COLS: &str = "id, clinic_id, doctor_id, name, duration_min, buffer_before_min, \
    buffer_after_min, price_minor, mode, is_active, deposit_minor";

pub(crate) fn parse_mode(mode: &str) -> StoreResult<VisitMode> {
    mode.parse()
        .map_err(|_| StoreError::Corrupt(format!("visit mode {mode}")))
}

fn vt_row(r: &QueryResult) -> StoreResult<VisitType> {
    let mode: String = get(r, "mode")?;
    Ok(VisitType {
        id: VisitTypeId::from_uuid(get(r, "id")?),
        clinic_id: ClinicId::from_uuid(get(r, "clinic_id")?),
        doctor_id: get::<Option<uuid::Uuid>>(r, "doctor_id")?.map(DoctorId::from_uuid),
        name: get(r, "name")?,
        duration_min: get(r, "duration_min")?,
        buffer_before_min: get(r, "buffer_before_min")?,
        buffer_after_min: get(r, "buffer_after_min")?,
        price_minor: get(r, "price_minor")?,
        deposit_minor: get(r, "deposit_minor")?,
        mode: parse_mode(&mode)?,
        is_active: get(r, "is_active")?,
    })
}

/// Adds a visit type; the caller has checked the values.
pub async fn insert_visit_type<C: ConnectionTrait>(
    c: &C,
    vt: &VisitType,
    now: jiff::Timestamp,
) -> StoreResult<()> {
    exec(
        c,
        &format!("INSERT INTO visit_types ({VT_COLS}, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)"),
        vec![
            vt.id.as_uuid().into(),
            vt.clinic_id.as_uuid().into(),
            vt.doctor_id.map(|d| d.as_uuid()).into(),
            vt.name.as_str().into(),
            vt.duration_min.into(),
            vt.buffer_before_min.into(),
            vt.buffer_after_min.into(),
            vt.price_minor.into(),
            vt.mode.as_str().into(),
            vt.is_active.into(),
            vt.deposit_minor.into(),
            ms(now).into(),
        ],
    )
    .await?;
    Ok(())
}

/// The clinic's active visit types; with `doctor`, those that doctor offers (clinic-wide
/// ones and their own).
pub async fn visit_types<C: ConnectionTrait>(
    c: &C,
    clinic: ClinicId,
    doctor: Option<DoctorId>,
) -> StoreResult<Vec<VisitType>> {
    match doctor {
        Some(d) => {
            all_as(
                c,
                &format!(
                    "SELECT {VT_COLS} FROM visit_types WHERE clinic_id = $1 AND is_active = $2 \
                     AND (doctor_id IS NULL OR doctor_id = $3) ORDER BY name, id"
                ),
                vec![clinic.as_uuid().into(), true.into(), d.as_uuid().into()],
                vt_row,
            )
            .await
        }
        None => {
            all_as(
                c,
                &format!(
                    "SELECT {VT_COLS} FROM visit_types WHERE clinic_id = $1 AND is_active = $2 ORDER BY name, id"
                ),
                vec![clinic.as_uuid().into(), true.into()],
                vt_row,
            )
            .await
        }
    }
}

/// Retires (or restores) a visit type of `clinic`; with `doctor`, only one of theirs.
/// Appointments already booked keep it. False when there is no such visit type, or it is
/// already so.
pub async fn set_visit_type_active<C: ConnectionTrait>(
    c: &C,
    clinic: ClinicId,
    id: VisitTypeId,
    doctor: Option<DoctorId>,
    active: bool,
) -> StoreResult<bool> {
    let mut sql = "UPDATE visit_types SET is_active = $1 WHERE clinic_id = $2 AND id = $3 \
        AND is_active = $4"
        .to_owned();
    let mut values = vec![
        active.into(),
        clinic.as_uuid().into(),
        id.as_uuid().into(),
        (!active).into(),
    ];
    if let Some(d) = doctor {
        sql.push_str(" AND doctor_id = $5");
        values.push(d.as_uuid().into());
    }
    Ok(exec(c, &sql, values).await? == 1)
}

/// One visit type of `clinic`, archived ones included (a bill prices the visit as booked).
pub async fn find_visit_type<C: ConnectionTrait>(
    c: &C,
    clinic: ClinicId,
    id: VisitTypeId,
) -> StoreResult<Option<VisitType>> {
    crate::one_as(
        c,
        &format!("SELECT {VT_COLS} FROM visit_types WHERE clinic_id = $1 AND id = $2"),
        vec![clinic.as_uuid().into(), id.as_uuid().into()],
        vt_row,
    )
    .await
}
