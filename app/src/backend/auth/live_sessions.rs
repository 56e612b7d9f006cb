//! Which sessions may still act, checked on every request without a database round trip.
//!
//! An access token names its user and its session (the refresh-token family of one sign-in).
//! The token's signature says it was issued; whether it still counts, and with which role, is
//! what this cache answers: an entry per session holds the account's current role and whether
//! both the account (not disabled or deleted) and the session (not signed out or revoked) are
//! live. A miss costs one indexed query.
//!
//! Changes that end sessions or change what they may do (sign-out, password change or reset, a
//! role change, disabling or deleting an account) are committed with
//! [`LiveSessions::commit_announcing`]: this process forgets the affected entries at once, and a
//! `NOTIFY` delivered with the commit makes every other replica forget them too ([`listen`]).
//! While a replica's listener is down it may have missed a notification, so its entries are
//! then trusted only for [`FALLBACK_TTL`]; on reconnecting it forgets everything.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

use sqlx::postgres::PgListener;
use sqlx::{PgPool, Postgres, Transaction};
use uuid::Uuid;

use crate::types::Role;

/// The channel the replicas tell each other on.
pub const CHANNEL: &str = "vitrine_sessions";
/// How long an entry is trusted while the listener is down (it may have missed a change).
pub const FALLBACK_TTL: Duration = Duration::from_secs(5);
/// How long an entry is trusted while the listener is up: a bound on staleness should a
/// notification ever go astray, and on the memory of sessions nobody uses any more.
pub const MAX_AGE: Duration = Duration::from_secs(10 * 60);
/// Past this many entries the cache starts again (one entry per active session).
const MAX_ENTRIES: usize = 200_000;

/// What happened, and to whom.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Change {
    /// One session ended (sign-out).
    Session(Uuid),
    /// Every session of the account changed: it was disabled or deleted, its password or its
    /// role changed.
    User(Uuid),
}

impl Change {
    fn payload(self) -> String {
        match self {
            Change::Session(id) => format!("session:{id}"),
            Change::User(id) => format!("user:{id}"),
        }
    }

    fn parse(payload: &str) -> Option<Self> {
        let (kind, id) = payload.split_once(':')?;
        let id = id.parse().ok()?;
        match kind {
            "session" => Some(Change::Session(id)),
            "user" => Some(Change::User(id)),
            _ => None,
        }
    }
}

/// What a session may do now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Standing {
    /// Live, with the account's current role.
    Live(Role),
    /// Signed out, revoked, or the account is disabled or gone.
    Ended,
}

#[derive(Debug, Clone, Copy)]
struct Entry {
    user: Uuid,
    standing: Standing,
    loaded_at: Instant,
}

#[derive(Default)]
struct Inner {
    entries: RwLock<HashMap<Uuid, Entry>>,
    /// Counts forgettings, so a lookup that raced one does not store what it read before it.
    forgotten: AtomicU64,
    listening: AtomicBool,
}

/// The cache of session standings, shared by every request of one process.
#[derive(Clone, Default)]
pub struct LiveSessions {
    inner: Arc<Inner>,
}

impl LiveSessions {
    /// The standing of `session` of `user`, from the cache or else the database.
    pub async fn standing(
        &self,
        db: &PgPool,
        user: Uuid,
        session: Uuid,
    ) -> Result<Standing, sqlx::Error> {
        if let Some(standing) = self.cached(user, session) {
            return Ok(standing);
        }
        let forgotten = self.inner.forgotten.load(Ordering::Acquire);
        let standing = load(db, user, session).await?;
        let mut entries = self.inner.entries.write().expect("the session cache is never poisoned");
        // Something was forgotten while we read: what we read may be what was forgotten.
        if self.inner.forgotten.load(Ordering::Acquire) == forgotten {
            if entries.len() >= MAX_ENTRIES {
                entries.clear();
            }
            entries.insert(session, Entry { user, standing, loaded_at: Instant::now() });
        }
        Ok(standing)
    }

    fn cached(&self, user: Uuid, session: Uuid) -> Option<Standing> {
        let trusted_for =
            if self.inner.listening.load(Ordering::Acquire) { MAX_AGE } else { FALLBACK_TTL };
        let entries = self.inner.entries.read().expect("the session cache is never poisoned");
        entries
            .get(&session)
            .filter(|entry| entry.user == user && entry.loaded_at.elapsed() < trusted_for)
            .map(|entry| entry.standing)
    }

    /// Forgets what `change` made stale, in this process only.
    pub fn forget(&self, change: Change) {
        let mut entries = self.inner.entries.write().expect("the session cache is never poisoned");
        self.inner.forgotten.fetch_add(1, Ordering::AcqRel);
        match change {
            Change::Session(session) => {
                entries.remove(&session);
            }
            Change::User(user) => entries.retain(|_, entry| entry.user != user),
        }
    }

    fn forget_everything(&self) {
        let mut entries = self.inner.entries.write().expect("the session cache is never poisoned");
        self.inner.forgotten.fetch_add(1, Ordering::AcqRel);
        entries.clear();
    }

    /// Commits `tx`, in which `changes` were made, and makes them felt on the very next request:
    /// here at once, and on every other replica as its listener hears the notification that
    /// PostgreSQL delivers with the commit.
    pub async fn commit_announcing(
        &self,
        mut tx: Transaction<'_, Postgres>,
        changes: &[Change],
    ) -> Result<(), sqlx::Error> {
        for change in changes {
            sqlx::query!("SELECT pg_notify($1, $2)", CHANNEL, change.payload())
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
        for change in changes {
            self.forget(*change);
        }
        Ok(())
    }

    /// Whether the listener is connected (for `/readyz` and the fallback TTL).
    pub fn is_listening(&self) -> bool {
        self.inner.listening.load(Ordering::Acquire)
    }

    fn set_listening(&self, listening: bool) {
        // Either way what is cached may have missed a change: while down, or before reconnecting.
        self.forget_everything();
        self.inner.listening.store(listening, Ordering::Release);
    }
}

async fn load(db: &PgPool, user: Uuid, session: Uuid) -> Result<Standing, sqlx::Error> {
    let row = sqlx::query!(
        r#"
        SELECT u.role AS "role: Role",
               u.disabled_at IS NULL AND u.deleted_at IS NULL
               AND EXISTS (SELECT 1 FROM refresh_tokens t
                           WHERE t.family_id = $2 AND t.user_id = u.id AND t.revoked_at IS NULL)
               AS "live!"
        FROM users u WHERE u.id = $1
        "#,
        user,
        session
    )
    .fetch_optional(db)
    .await?;
    Ok(match row {
        Some(row) if row.live => Standing::Live(row.role),
        _ => Standing::Ended,
    })
}

/// Listens for other replicas' changes until the process ends, reconnecting after a lost
/// connection (with the fallback TTL in force meanwhile).
pub async fn listen(db: PgPool, sessions: LiveSessions) {
    const RETRY: Duration = Duration::from_secs(1);
    loop {
        match PgListener::connect_with(&db).await {
            Ok(mut listener) => match listener.listen(CHANNEL).await {
                Ok(()) => {
                    sessions.set_listening(true);
                    tracing::info!("listening for session changes");
                    // `try_recv` answers `None` when the connection was lost.
                    while let Ok(Some(notification)) = listener.try_recv().await {
                        match Change::parse(notification.payload()) {
                            Some(change) => sessions.forget(change),
                            None => tracing::warn!(
                                payload = notification.payload(),
                                "unreadable session change"
                            ),
                        }
                    }
                    sessions.set_listening(false);
                    tracing::warn!("lost the session-change listener; reconnecting");
                }
                Err(err) => tracing::warn!(%err, "could not listen for session changes"),
            },
            Err(err) => tracing::warn!(%err, "could not connect the session-change listener"),
        }
        tokio::time::sleep(RETRY).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn changes_survive_the_channel() {
        for change in [Change::Session(Uuid::new_v4()), Change::User(Uuid::new_v4())] {
            assert_eq!(Change::parse(&change.payload()), Some(change));
        }
        assert_eq!(Change::parse("user:not-a-uuid"), None);
        assert_eq!(Change::parse("table:00000000-0000-0000-0000-000000000000"), None);
    }

    fn cache_with(user: Uuid, session: Uuid, standing: Standing) -> LiveSessions {
        let sessions = LiveSessions::default();
        sessions
            .inner
            .entries
            .write()
            .unwrap()
            .insert(session, Entry { user, standing, loaded_at: Instant::now() });
        sessions
    }

    #[test]
    fn forgetting_a_user_forgets_all_their_sessions_only() {
        let (user, other) = (Uuid::new_v4(), Uuid::new_v4());
        let (a, b) = (Uuid::new_v4(), Uuid::new_v4());
        let sessions = cache_with(user, a, Standing::Live(Role::Admin));
        sessions.inner.entries.write().unwrap().insert(
            b,
            Entry {
                user: other,
                standing: Standing::Live(Role::Customer),
                loaded_at: Instant::now(),
            },
        );
        sessions.forget(Change::User(user));
        assert_eq!(sessions.cached(user, a), None);
        assert_eq!(sessions.cached(other, b), Some(Standing::Live(Role::Customer)));
    }

    #[test]
    fn an_entry_answers_only_for_its_own_user() {
        let (user, session) = (Uuid::new_v4(), Uuid::new_v4());
        let sessions = cache_with(user, session, Standing::Live(Role::Staff));
        assert_eq!(sessions.cached(user, session), Some(Standing::Live(Role::Staff)));
        assert_eq!(sessions.cached(Uuid::new_v4(), session), None);
    }

    #[test]
    fn a_listener_coming_or_going_forgets_everything() {
        let (user, session) = (Uuid::new_v4(), Uuid::new_v4());
        let sessions = cache_with(user, session, Standing::Live(Role::Staff));
        sessions.set_listening(true);
        assert_eq!(sessions.cached(user, session), None);
        assert!(sessions.is_listening());
    }
}
