//! A mail server for tests that speaks just enough SMTP for lettre, and keeps what it accepted.
//! A message counts as sent only once the sink has answered its DATA with `250`, as with a real
//! server; [`SmtpSink::hold_next`] makes it go quiet before that answer instead, to cut a
//! delivery off in the middle.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::Notify;

#[derive(Clone, Default)]
struct Shared {
    accepted: Arc<Mutex<Vec<String>>>,
    hold_next: Arc<AtomicBool>,
    held: Arc<Notify>,
}

pub struct SmtpSink {
    pub url: String,
    shared: Shared,
    task: tokio::task::JoinHandle<()>,
}

impl SmtpSink {
    pub async fn start() -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("smtp://{}", listener.local_addr().unwrap());
        let shared = Shared::default();
        let serving = shared.clone();
        let task = tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                tokio::spawn(converse(stream, serving.clone()));
            }
        });
        Self { url, shared, task }
    }

    /// The next message's DATA gets no answer: the sender is left waiting mid-delivery.
    pub fn hold_next(&self) {
        self.shared.hold_next.store(true, Ordering::SeqCst);
    }

    /// Waits until a message is being held.
    pub async fn held(&self) {
        self.shared.held.notified().await;
    }

    /// The messages accepted so far, headers and body as sent.
    pub fn accepted(&self) -> Vec<String> {
        self.shared.accepted.lock().unwrap().clone()
    }
}

impl Drop for SmtpSink {
    fn drop(&mut self) {
        self.task.abort();
    }
}

async fn converse(stream: TcpStream, shared: Shared) {
    let (read, mut write) = stream.into_split();
    let mut lines = BufReader::new(read).lines();
    if write.write_all(b"220 sink ESMTP\r\n").await.is_err() {
        return;
    }
    while let Ok(Some(line)) = lines.next_line().await {
        let verb = line.split_whitespace().next().unwrap_or_default().to_ascii_uppercase();
        let reply: &[u8] = match verb.as_str() {
            "EHLO" => b"250-sink\r\n250-8BITMIME\r\n250 SMTPUTF8\r\n",
            "DATA" => {
                if write.write_all(b"354 go on\r\n").await.is_err() {
                    return;
                }
                let mut message = String::new();
                while let Ok(Some(line)) = lines.next_line().await {
                    if line == "." {
                        break;
                    }
                    message.push_str(&line);
                    message.push('\n');
                }
                if shared.hold_next.swap(false, Ordering::SeqCst) {
                    shared.held.notify_one();
                    // No answer: the message is not accepted, whatever happens to the sender.
                    while let Ok(Some(_)) = lines.next_line().await {}
                    return;
                }
                shared.accepted.lock().unwrap().push(message);
                b"250 accepted\r\n"
            }
            "QUIT" => {
                let _ = write.write_all(b"221 bye\r\n").await;
                return;
            }
            _ => b"250 ok\r\n",
        };
        if write.write_all(reply).await.is_err() {
            return;
        }
    }
}
