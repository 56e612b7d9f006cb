//! The development mail folder: each email the shop sends is also written there as an `.eml`
//! file, so a developer (and the end-to-end tests) can open the reset link without a mail
//! server. The outbox table holds every email either way.

use std::path::Path;

/// Writes one email; a failure is logged, never passed on (the email is in the outbox).
pub fn write(dir: &Path, to: &str, subject: &str, body: &str) {
    let name = format!(
        "{}-{}.eml",
        chrono::Utc::now().format("%Y%m%dT%H%M%S%.6fZ"),
        uuid::Uuid::new_v4().simple()
    );
    let message = format!(
        "From: Vitrine <shop@vitrine.localhost>\r\nTo: {to}\r\nSubject: {subject}\r\n\
         Content-Type: text/plain; charset=utf-8\r\n\r\n{body}"
    );
    let written =
        std::fs::create_dir_all(dir).and_then(|()| std::fs::write(dir.join(&name), message));
    match written {
        Ok(()) => {
            tracing::info!(file = %dir.join(&name).display(), "email written to the mail folder")
        }
        Err(err) => {
            tracing::warn!(error = %err, dir = %dir.display(), "cannot write to the mail folder")
        }
    }
}
