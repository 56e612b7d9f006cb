//! Where emails go: an SMTP server when one is configured, otherwise the development mail folder
//! (one `.eml` file per email, which developers and the end-to-end tests open), or nowhere but
//! the log.

use std::path::PathBuf;

use anyhow::Context;
use lettre::message::header::{ContentTransferEncoding, ContentType};
use lettre::message::{Body, Mailbox};
use lettre::{AsyncFileTransport, AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};

use super::emails::Email;

#[derive(Clone)]
pub enum Mailer {
    Smtp { transport: AsyncSmtpTransport<Tokio1Executor>, from: Mailbox },
    Folder { transport: AsyncFileTransport<Tokio1Executor>, dir: PathBuf, from: Mailbox },
    LogOnly,
}

impl Mailer {
    pub fn smtp(url: &str, from: &str) -> anyhow::Result<Self> {
        let transport = AsyncSmtpTransport::<Tokio1Executor>::from_url(url)
            .context("reading VITRINE_SMTP_URL")?
            .build();
        Ok(Self::Smtp { transport, from: parse_from(from)? })
    }

    pub fn folder(dir: PathBuf, from: &str) -> anyhow::Result<Self> {
        std::fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
        let transport = AsyncFileTransport::<Tokio1Executor>::new(&dir);
        Ok(Self::Folder { transport, dir, from: parse_from(from)? })
    }

    /// Sends `email`; its Message-ID names the event, so a repeat (at-least-once delivery) can
    /// be recognised by the receiving side.
    pub async fn send(&self, email: &Email, event_id: i64) -> anyhow::Result<()> {
        let from = match self {
            Self::Smtp { from, .. } | Self::Folder { from, .. } => from.clone(),
            Self::LogOnly => {
                tracing::info!(to = %email.to, subject = %email.subject, "email (not sent: no mail transport)");
                return Ok(());
            }
        };
        let to: Mailbox = email.to.parse().with_context(|| format!("recipient {:?}", email.to))?;
        let domain = from.email.domain().to_owned();
        let message = Message::builder()
            .from(from)
            .to(to)
            .subject(&email.subject)
            .message_id(Some(format!("<event-{event_id}@{domain}>")))
            .header(ContentType::TEXT_PLAIN)
            .body(readable_body(&email.body))
            .context("building the email")?;
        match self {
            Self::Smtp { transport, .. } => {
                transport.send(message).await.context("sending through SMTP")?;
            }
            Self::Folder { transport, dir, .. } => {
                let id = transport.send(message).await.context("writing to the mail folder")?;
                tracing::info!(file = %dir.join(format!("{id}.eml")).display(), "email written to the mail folder");
            }
            Self::LogOnly => unreachable!("returned above"),
        }
        Ok(())
    }
}

/// 8-bit whenever RFC 5322 allows it (lines up to 998 bytes), so the `.eml` files and any mail
/// client's source view read as written, links included. lettre itself would switch to
/// quoted-printable past 76 characters, which breaks a long link across lines.
fn readable_body(text: &str) -> Body {
    let text = text.replace("\r\n", "\n").replace('\n', "\r\n");
    let fits = text.split("\r\n").all(|line| line.len() <= 998) && !text.contains('\0');
    if fits {
        Body::dangerous_pre_encoded(text.into_bytes(), ContentTransferEncoding::EightBit)
    } else {
        Body::new(text)
    }
}

fn parse_from(from: &str) -> anyhow::Result<Mailbox> {
    from.parse().with_context(|| format!("VITRINE_MAIL_FROM {from:?} is not an address"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bodies_stay_readable() {
        let link = format!("http://127.0.0.1:3000/account/reset?token={}", "x".repeat(43));
        let body = readable_body(&format!("Order 1\n  1 × Teapot — €3.00\n{link}\n"));
        assert_eq!(body.encoding(), ContentTransferEncoding::EightBit);
        let text = String::from_utf8(body.into_vec()).unwrap();
        assert!(text.contains(&format!("\r\n{link}\r\n")), "{text}");
    }
}
