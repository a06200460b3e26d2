//! Patients' notification preferences: each channel on or off with when and how they
//! chose (a channel never chosen keeps its default), their texts' language and quiet
//! hours; and the addresses that asked to hear no more, whoever holds them.

use crate::{StoreResult, all_as, exec, get, ms, one_as, ts};
use domain::{
    UserId,
    preferences::{Channel, Language, QuietHours},
};
use jiff::Timestamp;
use sea_orm::ConnectionTrait;

/// One channel: on or off, and since when and by what (`None` for the default).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChannelChoice {
    pub channel: Channel,
    pub enabled: bool,
    pub changed_at: Option<Timestamp>,
    /// `account page`, `api`, `sign-up`, `STOP reply`, …
    pub source: Option<String>,
}

/// An account's preferences, defaults filled in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Preferences {
    /// Every channel, in `Channel::ALL`'s order.
    pub channels: Vec<ChannelChoice>,
    pub language: Language,
    pub quiet: Option<QuietHours>,
}

impl Preferences {
    /// Whether messages may go out on `channel`.
    pub fn allows(&self, channel: Channel) -> bool {
        self.channels
            .iter()
            .find(|c| c.channel == channel)
            .is_none_or(|c| c.enabled)
    }
}

/// `user`'s preferences.
pub async fn find<C: ConnectionTrait>(c: &C, user: UserId) -> StoreResult<Preferences> {
    let chosen = all_as(
        c,
        "SELECT channel, enabled, changed_at, source FROM notification_channels \
         WHERE user_id = $1",
        vec![user.as_uuid().into()],
        |r| {
            let channel: String = get(r, "channel")?;
            Ok(
                Channel::parse(&channel).map(|channel| -> StoreResult<ChannelChoice> {
                    Ok(ChannelChoice {
                        channel,
                        enabled: get::<i32>(r, "enabled")? == 1,
                        changed_at: Some(ts(get(r, "changed_at")?)?),
                        source: Some(get(r, "source")?),
                    })
                }),
            )
        },
    )
    .await?;
    let mut chosen: Vec<ChannelChoice> = chosen.into_iter().flatten().collect::<Result<_, _>>()?;
    let channels = Channel::ALL
        .into_iter()
        .map(
            |channel| match chosen.iter().position(|c| c.channel == channel) {
                Some(i) => chosen.swap_remove(i),
                None => ChannelChoice {
                    channel,
                    enabled: channel.on_by_default(),
                    changed_at: None,
                    source: None,
                },
            },
        )
        .collect();
    let settings = one_as(
        c,
        "SELECT language, quiet_start, quiet_end FROM notification_settings WHERE user_id = $1",
        vec![user.as_uuid().into()],
        |r| {
            let language: String = get(r, "language")?;
            Ok((
                Language::parse(&language).unwrap_or_default(),
                QuietHours::from_minutes(get(r, "quiet_start")?, get(r, "quiet_end")?),
            ))
        },
    )
    .await?;
    let (language, quiet) = settings.unwrap_or_default();
    Ok(Preferences {
        channels,
        language,
        quiet,
    })
}

/// Turns `channel` on or off for `user`, by `source`; the time of the choice moves only
/// when it changes. Answers whether it changed.
pub async fn set_channel<C: ConnectionTrait>(
    c: &C,
    user: UserId,
    channel: Channel,
    enabled: bool,
    source: &str,
    now: Timestamp,
) -> StoreResult<bool> {
    let n = exec(
        c,
        "INSERT INTO notification_channels (user_id, channel, enabled, changed_at, source) \
         VALUES ($1, $2, $3, $4, $5) ON CONFLICT (user_id, channel) DO UPDATE SET \
         enabled = excluded.enabled, changed_at = excluded.changed_at, source = excluded.source \
         WHERE notification_channels.enabled <> excluded.enabled",
        vec![
            user.as_uuid().into(),
            channel.as_str().into(),
            i32::from(enabled).into(),
            ms(now).into(),
            source.into(),
        ],
    )
    .await?;
    Ok(n == 1)
}

/// Sets `user`'s language and quiet hours.
pub async fn set_settings<C: ConnectionTrait>(
    c: &C,
    user: UserId,
    language: Language,
    quiet: Option<QuietHours>,
    now: Timestamp,
) -> StoreResult<()> {
    exec(
        c,
        "INSERT INTO notification_settings (user_id, language, quiet_start, quiet_end, \
         updated_at) VALUES ($1, $2, $3, $4, $5) ON CONFLICT (user_id) DO UPDATE SET \
         language = excluded.language, quiet_start = excluded.quiet_start, \
         quiet_end = excluded.quiet_end, updated_at = excluded.updated_at",
        vec![
            user.as_uuid().into(),
            language.as_str().into(),
            quiet.map(|q| i32::from(q.start)).into(),
            quiet.map(|q| i32::from(q.end)).into(),
            ms(now).into(),
        ],
    )
    .await?;
    Ok(())
}

/// Records that `address` asked for nothing more on `channel`. Answers whether it is new.
pub async fn opt_out<C: ConnectionTrait>(
    c: &C,
    channel: Channel,
    address: &str,
    source: &str,
    now: Timestamp,
) -> StoreResult<bool> {
    let n = exec(
        c,
        "INSERT INTO channel_opt_outs (channel, address, at, source) VALUES ($1, $2, $3, $4) \
         ON CONFLICT (channel, address) DO NOTHING",
        vec![
            channel.as_str().into(),
            address.into(),
            ms(now).into(),
            source.into(),
        ],
    )
    .await?;
    Ok(n == 1)
}

/// Takes `address` off the opt-out list of `channel`. Answers whether it was on it.
pub async fn opt_in<C: ConnectionTrait>(
    c: &C,
    channel: Channel,
    address: &str,
) -> StoreResult<bool> {
    let n = exec(
        c,
        "DELETE FROM channel_opt_outs WHERE channel = $1 AND address = $2",
        vec![channel.as_str().into(), address.into()],
    )
    .await?;
    Ok(n == 1)
}

/// When and how `address` opted out of `channel`, if it did.
pub async fn opted_out<C: ConnectionTrait>(
    c: &C,
    channel: Channel,
    address: &str,
) -> StoreResult<Option<(Timestamp, String)>> {
    one_as(
        c,
        "SELECT at, source FROM channel_opt_outs WHERE channel = $1 AND address = $2",
        vec![channel.as_str().into(), address.into()],
        |r| Ok((ts(get(r, "at")?)?, get(r, "source")?)),
    )
    .await
}
