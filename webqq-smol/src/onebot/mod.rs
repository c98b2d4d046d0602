//! A OneBot v11 gateway over a WebQQ [`Session`] (issue 9): the HTTP API, HTTP POST of
//! events (with quick operations), forward and reverse WebSocket.
//!
//! One task takes the session's events, keeps the contact book and the stable ids
//! ([`ids`]) current, turns each event into OneBot JSON ([`event`]) and hands it to every
//! transport that subscribed. Actions ([`action`]) are answered the same way whatever
//! transport carried them.
pub mod action;
pub mod auth;
mod dial;
pub mod event;
pub mod http_api;
pub mod ids;
mod listen;
pub mod message;
pub mod quick;
pub mod webhook;
pub mod ws;

use std::collections::HashMap;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicI32, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::Value;
use smol::channel::{self, Receiver, Sender};
use webqq_proto::webqq::session::{Contacts, Event};

use crate::driver::{Session, Spawner};
use ids::IdStore;

/// Events buffered per subscriber (a WebSocket, the webhook); later ones are dropped while
/// it is behind, so a slow bot never stalls the session.
pub const SUBSCRIBER_BUFFER: usize = 1024;

/// How events are written: CQ-code strings or segment arrays (`post_message_format`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum MessageFormat {
    /// `"message": "hi [CQ:face,id=14]"`.
    #[default]
    String,
    /// `"message": [{"type": "text", …}]`.
    Array,
}

/// Where and how the gateway serves.
#[derive(Clone, Default)]
pub struct GatewayConfig {
    /// HTTP API listener.
    pub http: Option<SocketAddr>,
    /// Forward WebSocket listener (`/`, `/api`, `/event`).
    pub ws: Option<SocketAddr>,
    /// Events are POSTed here (`http://` or `https://`).
    pub post_url: Option<String>,
    /// Reverse WebSocket (universal) URL (`ws://` or `wss://`).
    pub ws_reverse: Option<String>,
    /// TLS for `https://` and `wss://` bot URLs; `None`: the webpki roots only.
    pub tls: Option<Arc<futures_rustls::rustls::ClientConfig>>,
    /// Reconnection delay of the reverse WebSocket.
    pub reconnect: Duration,
    /// Required from clients (`Authorization: Bearer` or `access_token`), and sent by us.
    pub access_token: Option<String>,
    /// Signs POSTed events (`X-Signature`).
    pub secret: Option<String>,
    /// Heartbeat meta event interval; zero: none.
    pub heartbeat: Duration,
    /// The id store's file; `None`: ids live in memory only.
    pub ids_file: Option<PathBuf>,
    /// Event message format.
    pub format: MessageFormat,
    /// The account's QQ number when known before login (password login).
    pub self_id: u64,
}

impl std::fmt::Debug for GatewayConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GatewayConfig")
            .field("http", &self.http)
            .field("ws", &self.ws)
            .field("post_url", &self.post_url)
            .field("ws_reverse", &self.ws_reverse)
            .field(
                "access_token",
                &self.access_token.as_ref().map(|_| "<redacted>"),
            )
            .field("secret", &self.secret.as_ref().map(|_| "<redacted>"))
            .field("heartbeat", &self.heartbeat)
            .finish_non_exhaustive()
    }
}

impl GatewayConfig {
    /// No transport yet; 15 s heartbeats, 3 s reverse reconnection.
    pub fn new() -> Self {
        GatewayConfig {
            heartbeat: Duration::from_secs(15),
            reconnect: Duration::from_secs(3),
            ..GatewayConfig::default()
        }
    }
}

/// What every transport shares.
pub struct Core {
    session: Session,
    config: GatewayConfig,
    ids: Mutex<IdStore>,
    contacts: Mutex<Contacts>,
    self_id: AtomicU64,
    online: AtomicBool,
    next_message_id: AtomicI32,
    subscribers: Mutex<Vec<Sender<Arc<Value>>>>,
    rate_limit: smol::lock::Mutex<()>,
    /// `set_friend_add_request` calls waiting for the server's answer, by requester.
    friend_answers: Mutex<HashMap<u64, Sender<Result<(), String>>>>,
    tls: dial::ClientTls,
}

impl std::fmt::Debug for Core {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Core")
            .field("self_id", &self.self_id())
            .finish_non_exhaustive()
    }
}

impl Core {
    /// The account's QQ number (0 before a QR login completes).
    pub fn self_id(&self) -> u64 {
        self.self_id.load(Ordering::Relaxed)
    }

    /// The session.
    pub fn session(&self) -> &Session {
        &self.session
    }

    /// The configuration.
    pub fn config(&self) -> &GatewayConfig {
        &self.config
    }

    /// The TLS configuration of every connection to the bot.
    fn tls(&self) -> &dial::ClientTls {
        &self.tls
    }

    /// A new OneBot `message_id` (an int32 as the spec has it; wraps after 2³¹).
    pub fn message_id(&self) -> i32 {
        self.next_message_id.fetch_add(1, Ordering::Relaxed) & i32::MAX
    }

    /// Runs `f` on the id store.
    pub fn ids<R>(&self, f: impl FnOnce(&mut IdStore) -> R) -> R {
        f(&mut self.ids.lock().unwrap_or_else(|e| e.into_inner()))
    }

    /// Runs `f` on the last known contact book.
    pub fn contacts<R>(&self, f: impl FnOnce(&Contacts) -> R) -> R {
        f(&self.contacts.lock().unwrap_or_else(|e| e.into_inner()))
    }

    /// Whether the session is logged in.
    pub fn is_online(&self) -> bool {
        self.online.load(Ordering::Relaxed)
    }

    /// Events from now on.
    pub fn subscribe(&self) -> Receiver<Arc<Value>> {
        let (tx, rx) = channel::bounded(SUBSCRIBER_BUFFER);
        self.subscribers
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(tx);
        rx
    }

    /// Registers (`Some`) or takes (`None`) the waiter for the answer to `account`'s request.
    fn friend_answer_waiter(
        &self,
        account: u64,
        register: Option<Sender<Result<(), String>>>,
    ) -> Option<Sender<Result<(), String>>> {
        let mut waiters = self
            .friend_answers
            .lock()
            .unwrap_or_else(|e| e.into_inner());
        match register {
            Some(w) => waiters.insert(account, w),
            None => waiters.remove(&account),
        }
    }

    fn publish(&self, event: Value) {
        let event = Arc::new(event);
        let mut subs = self.subscribers.lock().unwrap_or_else(|e| e.into_inner());
        subs.retain(|s| !s.is_closed());
        for s in subs.iter() {
            let _ = s.try_send(Arc::clone(&event));
        }
    }
}

/// A running gateway. Dropping it stops every transport (the session is stopped with it).
pub struct Gateway {
    core: Arc<Core>,
    http: Option<SocketAddr>,
    ws: Option<SocketAddr>,
    _tasks: Vec<smol::Task<()>>,
}

impl std::fmt::Debug for Gateway {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Gateway")
            .field("http", &self.http)
            .field("ws", &self.ws)
            .finish_non_exhaustive()
    }
}

impl Gateway {
    /// Serves `session` on every transport `config` names, with tasks on `spawner`.
    pub fn start(
        spawner: &Spawner,
        session: Session,
        config: GatewayConfig,
    ) -> std::io::Result<Gateway> {
        let ids = IdStore::open(config.ids_file.clone())?;
        let core = Arc::new(Core {
            session,
            self_id: AtomicU64::new(config.self_id),
            tls: dial::ClientTls::new(config.tls.clone()),
            config,
            ids: Mutex::new(ids),
            contacts: Mutex::new(Contacts::default()),
            online: AtomicBool::new(false),
            next_message_id: AtomicI32::new(1),
            subscribers: Mutex::new(Vec::new()),
            rate_limit: smol::lock::Mutex::new(()),
            friend_answers: Mutex::new(HashMap::new()),
        });
        let mut tasks = Vec::new();
        let mut http = None;
        let mut ws = None;
        // Subscribers first, so the first events reach them.
        if let Some(url) = core.config.post_url.clone() {
            tasks.push(spawner.spawn(webhook::run(Arc::clone(&core), url, core.subscribe())));
        }
        if let Some(addr) = core.config.http {
            let (bound, task) = http_api::serve(spawner, Arc::clone(&core), addr)?;
            http = Some(bound);
            tasks.push(task);
        }
        if let Some(addr) = core.config.ws {
            let (bound, task) = ws::serve(spawner, Arc::clone(&core), addr)?;
            ws = Some(bound);
            tasks.push(task);
        }
        if let Some(url) = core.config.ws_reverse.clone() {
            tasks.push(spawner.spawn(ws::reverse(Arc::clone(&core), url)));
        }
        tasks.push(spawner.spawn(pump(Arc::clone(&core))));
        if !core.config.heartbeat.is_zero() {
            tasks.push(spawner.spawn(heartbeat(Arc::clone(&core))));
        }
        Ok(Gateway {
            core,
            http,
            ws,
            _tasks: tasks,
        })
    }

    /// The HTTP API's bound address.
    pub fn http_addr(&self) -> Option<SocketAddr> {
        self.http
    }

    /// The forward WebSocket's bound address.
    pub fn ws_addr(&self) -> Option<SocketAddr> {
        self.ws
    }

    /// The shared state (to call actions in process).
    pub fn core(&self) -> &Arc<Core> {
        &self.core
    }
}

/// Takes the session's events: keeps contacts and ids current, publishes OneBot events.
async fn pump(core: Arc<Core>) {
    core.publish(event::lifecycle(&core, "enable"));
    let mut joins = event::PendingJoins::default();
    while let Some(e) = core.session.next_event().await {
        match &e {
            Event::Online { uin } => {
                core.self_id.store(*uin, Ordering::Relaxed);
                core.online.store(true, Ordering::Relaxed);
            }
            Event::Offline { .. } => core.online.store(false, Ordering::Relaxed),
            Event::FriendRequestAnswered {
                account, result, ..
            } => {
                if let Some(waiter) = core.friend_answer_waiter(*account, None) {
                    let _ = waiter.try_send(result.clone());
                }
            }
            Event::ContactsLoaded
            | Event::ContactsChanged(_)
            | Event::GroupMembers { .. }
            | Event::DiscussionMembers { .. }
            | Event::QqNumber { .. } => {
                refresh_contacts(&core, matches!(e, Event::ContactsLoaded)).await
            }
            _ => {}
        }
        for out in event::convert(&core, &e, &mut joins) {
            core.publish(out);
        }
    }
    core.online.store(false, Ordering::Relaxed);
}

/// Copies the contact book, binds the ids and saves them; after a login, asks for every
/// group's and discussion's members so their users get ids too, and for the QQ numbers of the
/// friends whose record has none, where the era still answers `get_friend_uin2` (protocol
/// §5.6; once per friend, as frequent calls brought a captcha).
async fn refresh_contacts(core: &Core, new_login: bool) {
    let Ok(contacts) = core
        .session
        .with_client(move |c, _| {
            if new_login {
                let book = c.session().contacts();
                let groups: Vec<u64> = book.groups.keys().copied().collect();
                let discussions: Vec<u64> = book.discussions.keys().copied().collect();
                for g in groups {
                    c.load_group_members(g);
                }
                for d in discussions {
                    c.load_discussion_members(d);
                }
            }
            c.session().contacts().clone()
        })
        .await
    else {
        return;
    };
    let (uncertain, unnumbered) = core.ids(|ids| {
        let u = ids.rebind(&contacts, new_login);
        if let Err(e) = ids.save() {
            tracing::warn!("saving OneBot ids: {e}");
        }
        let unnumbered: Vec<u64> = contacts
            .friends
            .keys()
            .copied()
            .filter(|uin| new_login && ids.lacks_number(*uin))
            .collect();
        (u, unnumbered)
    });
    if !unnumbered.is_empty() {
        let _ = core
            .session
            .with_client(move |c, _| {
                for uin in unnumbered {
                    if !c.resolve_qq(uin) {
                        break; // not in this era
                    }
                }
            })
            .await;
    }
    *core.contacts.lock().unwrap_or_else(|e| e.into_inner()) = contacts;
    for u in uncertain {
        core.publish(event::id_uncertain(core, &u));
    }
}

async fn heartbeat(core: Arc<Core>) {
    let interval = core.config.heartbeat;
    loop {
        smol::Timer::after(interval).await;
        let good = action::is_polling(&core).await;
        core.publish(event::heartbeat(&core, good));
    }
}
