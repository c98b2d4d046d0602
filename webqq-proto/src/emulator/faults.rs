//! Seeded fault injection (protocol §11.4). Each [`FaultRule`] names an endpoint (its CGI name,
//! e.g. `poll2`, or none for every endpoint), an action, a probability drawn from the
//! emulator's seeded generator, and optionally how many times it may fire.
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// What a fault does to the request it hits.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum FaultAction {
    /// Answer the front proxy's HTML page for this status (502, 504, 404, 403 …).
    Status {
        /// HTTP status.
        status: u16,
    },
    /// Answer this retcode in the endpoint's error envelope. On a send, the message is still
    /// delivered with probability `delivered` (1202 "probably failed, usually delivered").
    Retcode {
        /// The retcode.
        retcode: i64,
        /// Probability that a send is delivered anyway.
        #[serde(default)]
        delivered: f64,
    },
    /// Answer exactly this JSON body.
    Body {
        /// The body.
        body: Value,
    },
    /// /login or /ptqrlogin answers `ptuiCB('<code>',…)` (3 wrong password, 4 wrong captcha,
    /// 71 banned, 65 QR expired …).
    LoginCode {
        /// The ptuiCB code.
        code: u32,
    },
    /// /login succeeds but points at the aq.qq.com "account abnormal" page (protocol §3.6).
    Abnormal,
    /// poll2 answers a `kick_message` and the session ends (protocol §6.5).
    Kick {
        /// The `reason` text.
        #[serde(default)]
        reason: String,
    },
    /// poll2 finds the session expired: 103 now and afterwards (protocol §8.2).
    Expire,
    /// Close the connection when the request arrives, writing nothing (only on a connection
    /// that already carried a request: the stale keep-alive race).
    CloseOnArrival,
    /// Write half of the response, then close.
    ResetMidResponse,
    /// Write the response this many milliseconds late.
    Delay {
        /// Milliseconds.
        ms: u64,
    },
}

/// One fault.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FaultRule {
    /// CGI name (`poll2`, `send_qun_msg2`, `login` …); `None` = every endpoint.
    #[serde(default)]
    pub endpoint: Option<String>,
    /// What to do.
    pub action: FaultAction,
    /// Probability per matching request.
    #[serde(default = "one")]
    pub probability: f64,
    /// How many more times it may fire; `None` = without end.
    #[serde(default)]
    pub times: Option<u32>,
}

fn one() -> f64 {
    1.0
}

impl FaultRule {
    /// A rule that always fires on `endpoint`.
    pub fn always(endpoint: &str, action: FaultAction) -> Self {
        FaultRule {
            endpoint: Some(endpoint.to_string()),
            action,
            probability: 1.0,
            times: None,
        }
    }

    /// A rule that fires once on `endpoint`.
    pub fn once(endpoint: &str, action: FaultAction) -> Self {
        FaultRule {
            times: Some(1),
            ..FaultRule::always(endpoint, action)
        }
    }
}

/// Faults on event delivery, each a probability per delivered event.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize, Default)]
#[serde(default)]
pub struct DeliveryFaults {
    /// The event is queued twice (same msg_id), like the capture of protocol §6.8.
    pub duplicate: f64,
    /// A poll batch is delivered in reverse order.
    pub reorder: f64,
    /// A group's `seq` skips a number before this message.
    pub seq_gap: f64,
    /// An event of an unknown `poll_type` is queued before this one.
    pub unknown_poll_type: f64,
}

/// All faults.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(default)]
pub struct Faults {
    /// Per-request faults, checked in order; the first that fires wins.
    pub rules: Vec<FaultRule>,
    /// Delivery faults.
    pub delivery: DeliveryFaults,
}
