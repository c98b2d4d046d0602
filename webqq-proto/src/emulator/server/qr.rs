//! QR-code login (protocol §3.8): ptqrshow, the ptqrlogin state machine 66 → 67 → 0 / 65,
//! and the control hooks that scan and confirm.
use super::Server;
use super::params::Params;
use super::ptlogin::{ptui_cb, ptui_message};
use crate::emulator::faults::FaultAction;
use crate::emulator::http::{Request, Response, SetCookie};
use crate::emulator::pages;
use crate::emulator::rng::ALNUM;
use crate::emulator::timers::ms;
use crate::webqq::hash::hash33;
use http::StatusCode;
use std::time::Instant;

/// QR states (protocol §3.8): 66 → 67 → 0, or 65 after the lifetime.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum QrState {
    /// Shown, not scanned: 66.
    Waiting,
    /// Scanned, waiting for confirmation: 67.
    Scanned,
    /// Confirmed by account `qq`: the next poll answers 0.
    Confirmed(u64),
    /// Login done; the code is spent (answers 65).
    Used,
}

/// One QR code.
#[derive(Debug, Clone)]
pub(crate) struct Qr {
    pub state: QrState,
    pub shown: Instant,
}

impl Server {
    /// `ptqrshow` (protocol §3.8): a new code and its `qrsig` cookie.
    pub(super) fn ptqrshow(&mut self) -> Response {
        let qrsig = self.rng.chars(64, ALNUM);
        if self.qr_order.len() >= super::MAX_QR_CODES {
            if let Some(old) = self.qr_order.pop_front() {
                self.qrs.remove(&old);
            }
        }
        self.qrs.insert(
            qrsig.clone(),
            Qr {
                state: QrState::Waiting,
                shown: self.now,
            },
        );
        self.qr_order.push_back(qrsig.clone());
        self.events.push(crate::emulator::Event::QrShown {
            qrsig: qrsig.clone(),
        });
        Response::ok("image/png", pages::QR_PNG).with_cookie(SetCookie::new(
            "qrsig",
            qrsig,
            "ptlogin2.qq.com",
        ))
    }

    /// `ptqrlogin` (protocol §3.8).
    pub(super) fn ptqrlogin(
        &mut self,
        req: &Request,
        params: &Params,
        forced: Option<FaultAction>,
    ) -> Response {
        let qrsig = req.cookie("qrsig").unwrap_or_default();
        if self.strict.ptqrtoken {
            let token = params.number("ptqrtoken");
            if token != Some(u64::from(hash33(&qrsig))) {
                return pages::error_page(StatusCode::FORBIDDEN);
            }
        }
        if let Some(FaultAction::LoginCode { code }) = forced {
            return ptui_cb(code, 0, "", ptui_message(code), "");
        }
        let lifetime = ms(self.timing.qr_lifetime_ms);
        let now = self.now;
        let Some(qr) = self.qrs.get_mut(&qrsig) else {
            return ptui_cb(65, 0, "", ptui_message(65), "");
        };
        if now.duration_since(qr.shown) >= lifetime && !matches!(qr.state, QrState::Confirmed(_)) {
            qr.state = QrState::Used;
        }
        match qr.state {
            QrState::Waiting => ptui_cb(66, 0, "", ptui_message(66), ""),
            QrState::Scanned => ptui_cb(67, 0, "", ptui_message(67), ""),
            QrState::Used => ptui_cb(65, 0, "", ptui_message(65), ""),
            QrState::Confirmed(qq) => {
                qr.state = QrState::Used;
                let nick = self
                    .world
                    .account(qq)
                    .map(|a| a.nick.clone())
                    .unwrap_or_default();
                let login = self.mint_login(qq);
                let url = self.check_sig_url(qq, login.ptsigx.as_deref().unwrap_or(""), true);
                let resp = ptui_cb(0, 0, &url, ptui_message(0), &nick);
                self.login_cookies(resp, qq, &login)
            }
        }
    }

    /// Moves a QR code along (control API): `confirm_by` = `None` scans, `Some(qq)` confirms.
    /// `qrsig` `None` = the most recently shown live code.
    pub(crate) fn qr_advance(
        &mut self,
        qrsig: Option<&str>,
        confirm_by: Option<u64>,
    ) -> Result<String, String> {
        if let Some(qq) = confirm_by {
            if self.world.account(qq).is_none() {
                return Err(format!("account {qq} is not in the world"));
            }
        }
        let key = match qrsig {
            Some(k) => k.to_string(),
            None => self
                .qr_order
                .iter()
                .rev()
                .find(|k| {
                    self.qrs
                        .get(*k)
                        .is_some_and(|q| matches!(q.state, QrState::Waiting | QrState::Scanned))
                })
                .cloned()
                .ok_or_else(|| "no QR code is waiting".to_string())?,
        };
        let qr = self
            .qrs
            .get_mut(&key)
            .ok_or_else(|| format!("unknown qrsig {key}"))?;
        qr.state = match (qr.state, confirm_by) {
            (QrState::Waiting, None) => QrState::Scanned,
            (QrState::Waiting | QrState::Scanned, Some(qq)) => QrState::Confirmed(qq),
            (state, _) => return Err(format!("QR code is {state:?}")),
        };
        Ok(key)
    }
}
