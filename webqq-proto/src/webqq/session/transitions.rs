//! Every transition of the session: what each tagged response, timer and command leads to.
//! The protocol rule behind each one is cited in place.

use std::time::Instant;

use bytes::Bytes;

use super::*;

/// A response that did not yield a result: the retcode when the server gave one.
pub(super) struct Failure {
    pub retcode: Option<i64>,
    pub text: String,
}

pub(super) fn ok_json<T: serde::de::DeserializeOwned>(
    what: &'static str,
    result: &Result<http::Response<Bytes>, TransportError>,
) -> Result<T, Failure> {
    match result {
        Ok(resp) if resp.status() == http::StatusCode::OK => {
            model::decode_result(what, resp.body()).map_err(|e| Failure {
                retcode: e.retcode(),
                text: e.to_string(),
            })
        }
        Ok(resp) => Err(Failure {
            retcode: None,
            text: format!("{what}: HTTP status {}", resp.status().as_u16()),
        }),
        Err(e) => Err(Failure {
            retcode: None,
            text: format!("{what}: {e}"),
        }),
    }
}

/// The body of a 200 response, else a description of what came instead.
fn ok_body<'a>(
    what: &str,
    result: &'a Result<http::Response<Bytes>, TransportError>,
) -> Result<&'a Bytes, String> {
    match result {
        Ok(resp) if resp.status() == http::StatusCode::OK => Ok(resp.body()),
        Ok(resp) => Err(format!("{what}: HTTP status {}", resp.status().as_u16())),
        Err(e) => Err(format!("{what}: {e}")),
    }
}

/// Protocol §4.1: `lwqq` "tries all four in turn until the server stops answering 50";
/// the profile's variant first.
fn hash_variant(default: ListHash, idx: usize) -> Option<ListHash> {
    std::iter::once(default)
        .chain(ListHash::ALL.into_iter().filter(|h| *h != default))
        .nth(idx)
}

impl Session {
    // ---- login --------------------------------------------------------------------------

    /// Starts (or restarts) a login from scratch: everything of the old session is dropped
    /// except the outbox, which is sent once online again.
    pub(super) fn begin_login(&mut self, now: Instant) {
        self.generation += 1;
        self.timers.clear();
        self.poll_inflight = false;
        self.step_failures = 0;
        self.check_restarts = 0;
        self.qr_refreshes = 0;
        self.psessionid = Secret::default();
        self.vfwebqq = Secret::default();
        self.c2c_sigs.clear();
        self.seqs.clear();
        self.refresh = None;
        self.release_stale_sig_request();
        let use_password = match self.profile.login_flow {
            LoginFlow::Password => true,
            LoginFlow::PasswordOrQr => self.cfg.password.is_some(),
            LoginFlow::QrOnly => false,
        };
        if use_password && self.cfg.password.is_none() {
            self.fail_login(LoginError::Other {
                code: 0,
                message: "this profile logs in by password and none is configured".into(),
            });
            return;
        }
        self.uin = if use_password { self.cfg.qq } else { 0 };
        if use_password {
            self.phase = Phase::LoginPage;
            self.progress(LoginStep::LoginPage);
        } else {
            self.phase = Phase::QrShow;
            self.progress(LoginStep::QrCode);
        }
        self.issue_phase_request(now);
    }

    /// Sends the request the current phase waits for (first try or retry).
    pub(super) fn issue_phase_request(&mut self, now: Instant) {
        let qq = self.cfg.qq;
        match self.phase.clone() {
            Phase::LoginPage => {
                let req = self.build(request::login_page);
                self.submit(Tag::LoginPage, req, now);
            }
            Phase::Check => {
                // Protocol §3.3: the client sets `chkuin=<qq>` before /check (harmless).
                self.out.push_back(Output::SetCookie(CookieUpdate {
                    domain: "ptlogin2.qq.com",
                    name: "chkuin".into(),
                    value: Secret::new(qq.to_string()),
                }));
                let (sig, r) = (self.login_sig.clone(), self.random_fraction());
                let req = self.build(|c| request::check(c, qq, &sig, r));
                self.submit(Tag::Check, req, now);
            }
            Phase::Captcha { cap_cd, .. } => {
                let r = self.random_fraction();
                let req = self.build(|c| request::captcha(c, qq, &cap_cd, r));
                self.submit(Tag::Captcha, req, now);
            }
            Phase::Login { check, vc } => self.issue_login(&check, &vc, now),
            Phase::QrShow => {
                let r = self.random_fraction();
                let req = self.build(|c| request::qr_show(c, r));
                self.submit(Tag::QrShow, req, now);
            }
            Phase::QrWait { .. } => {
                // Protocol §3.8: `ptqrtoken = hash33(qrsig)`, mandatory from 2017-02.
                let token = self
                    .profile
                    .ptqrtoken
                    .then(|| hash33(self.cookies.value("qrsig")));
                let action = self.rng.next_u64() % 100_000;
                let req = self.build(|c| request::qr_login(c, token, action));
                self.submit(Tag::QrLogin, req, now);
            }
            Phase::CheckSig { url } => match self.build(|c| request::check_sig(c, url.expose())) {
                Some(req) => {
                    self.submit(Tag::CheckSig, req, now);
                }
                None => self.fail_login(LoginError::Malformed(
                    "check_sig URL is not an http(s) URL on qq.com".into(),
                )),
            },
            Phase::GetVfwebqq => {
                let pt = self.cookies.value("ptwebqq").to_string();
                let req = self.build(|c| request::getvfwebqq(c, &pt));
                self.submit(Tag::GetVfwebqq, req, now);
            }
            Phase::Login2 | Phase::Relink { .. } => {
                let relink = matches!(self.phase, Phase::Relink { .. });
                let pt = self.cookies.value("ptwebqq").to_string();
                let status = self.cfg.status.clone();
                let req = self.build(|c| request::login2(c, &pt, &status, relink));
                let tag = if relink { Tag::Relink } else { Tag::Login2 };
                self.submit(tag, req, now);
            }
            Phase::Resume => {
                let req = self.build(request::online_buddies);
                self.submit(Tag::OnlineBuddies, req, now);
            }
            Phase::QuickAuth => {
                let token = self.cookies.value("supertoken").to_string();
                let req = self.build(|c| request::pt4_auth(c, &token));
                self.submit(Tag::Pt4Auth, req, now);
            }
            Phase::Idle
            | Phase::AwaitCaptcha { .. }
            | Phase::Contacts { .. }
            | Phase::Online
            | Phase::Offline => {}
        }
    }

    /// `/login` with `p` computed by the era's scheme (protocol §3.5). A 2-field checkVC has
    /// no salt: that is the scheme-A era.
    pub(super) fn issue_login(&mut self, check: &CheckVc, vc: &str, now: Instant) {
        let Some(password) = self.cfg.password.clone() else {
            self.fail_login(LoginError::Other {
                code: 0,
                message: "no password configured".into(),
            });
            return;
        };
        let qq = self.cfg.qq;
        let scheme = match check.salt {
            None => PasswordScheme::TripleMd5,
            Some(_) => self
                .profile
                .password_scheme
                .unwrap_or(PasswordScheme::SaltedMd5),
        };
        let salt = check.salt.unwrap_or(qq.to_be_bytes());
        let p = encode_password(scheme, &password, &salt, vc, &mut self.rng);
        let verifysession = self
            .cookies
            .get("verifysession")
            .map(|s| s.expose().to_string());
        let action_ms = self.rng.next_u64() % 100_000;
        let sig = self.login_sig.clone();
        let req = self.build(|c| {
            request::login(
                c,
                &request::LoginParams {
                    qq,
                    p: &p,
                    verifycode: vc,
                    login_sig: &sig,
                    check,
                    verifysession: verifysession.as_deref(),
                    action_ms,
                },
            )
        });
        self.submit(Tag::Login, req, now);
    }

    fn step_failed(&mut self, what: String, now: Instant) {
        self.step_failures += 1;
        if self.step_failures > self.cfg.step_retries {
            self.fail_login(LoginError::Unreachable(what));
        } else {
            self.at(now + STEP_RETRY_SPACING, Action::Reissue);
        }
    }

    fn enter(&mut self, phase: Phase, step: Option<LoginStep>, now: Instant) {
        self.step_failures = 0;
        self.phase = phase;
        if let Some(step) = step {
            self.progress(step);
        }
        self.issue_phase_request(now);
    }

    fn fail_login(&mut self, e: LoginError) {
        self.go_offline(OfflineReason::LoginFailed(e));
    }

    pub(super) fn on_login_page(
        &mut self,
        result: Result<http::Response<Bytes>, TransportError>,
        now: Instant,
    ) {
        match ok_body("login page", &result) {
            Ok(body) => {
                // Protocol §3.2: the page's `g_login_sig`, else the `pt_login_sig` cookie
                // (2015-04+), else empty (accepted).
                self.login_sig = parse_login_sig(body)
                    .unwrap_or_else(|| self.cookies.value("pt_login_sig").to_string());
                self.enter(Phase::Check, Some(LoginStep::Check), now);
            }
            Err(e) => self.step_failed(e, now),
        }
    }

    pub(super) fn on_check(
        &mut self,
        result: Result<http::Response<Bytes>, TransportError>,
        now: Instant,
    ) {
        let check =
            ok_body("check", &result).and_then(|b| parse_check_vc(b).map_err(|e| e.to_string()));
        match check {
            Ok(check) => match check.outcome.clone() {
                CheckOutcome::NoCaptcha { verify_code } => self.enter(
                    Phase::Login {
                        check,
                        vc: verify_code,
                    },
                    Some(LoginStep::Login),
                    now,
                ),
                CheckOutcome::CaptchaRequired { cap_cd } => {
                    self.enter(Phase::Captcha { check, cap_cd }, None, now)
                }
            },
            Err(e) => self.step_failed(e, now),
        }
    }

    pub(super) fn on_captcha(
        &mut self,
        result: Result<http::Response<Bytes>, TransportError>,
        now: Instant,
    ) {
        let Phase::Captcha { check, cap_cd } = self.phase.clone() else {
            return;
        };
        match ok_body("captcha", &result) {
            Ok(image) => {
                let image = image.clone();
                self.step_failures = 0;
                self.phase = Phase::AwaitCaptcha { check, cap_cd };
                self.emit(Event::CaptchaRequired { image });
            }
            Err(e) => self.step_failed(e, now),
        }
    }

    pub(super) fn on_login(
        &mut self,
        result: Result<http::Response<Bytes>, TransportError>,
        now: Instant,
    ) {
        let cb =
            ok_body("login", &result).and_then(|b| parse_ptui_cb(b).map_err(|e| e.to_string()));
        let cb = match cb {
            Ok(cb) => cb,
            Err(e) => return self.step_failed(e, now),
        };
        match login_outcome(&cb) {
            Ok(ok) => self.after_ptlogin(ok.next_url, now),
            // Protocol §3.4/§3.6: wrong code or expired page → "restart at /check".
            Err(e) if e.is_restart_at_check() => {
                self.check_restarts += 1;
                if self.check_restarts > MAX_CHECK_RESTARTS {
                    self.fail_login(e);
                } else {
                    self.enter(Phase::Check, Some(LoginStep::Check), now);
                }
            }
            // Busy / try again / too many logins: pause, then restart at /check (the verify
            // code may be single-use).
            Err(e) if e.is_retryable() => {
                self.step_failures += 1;
                if self.step_failures > self.cfg.step_retries {
                    self.fail_login(e);
                } else {
                    self.phase = Phase::Check;
                    self.at(now + LOGIN_BUSY_PAUSE, Action::Reissue);
                }
            }
            Err(e) => self.fail_login(e),
        }
    }

    /// After `/login` or `/ptqrlogin` said 0: check_sig where the era has it (protocol §3.7).
    fn after_ptlogin(&mut self, url: Secret, now: Instant) {
        if self.profile.check_sig {
            self.enter(Phase::CheckSig { url }, Some(LoginStep::CheckSig), now);
        } else {
            self.after_check_sig(now);
        }
    }

    pub(super) fn on_check_sig(
        &mut self,
        result: Result<http::Response<Bytes>, TransportError>,
        now: Instant,
    ) {
        // Any HTTP answer will do (302 to the proxy page, or 200 with it): its cookies were
        // absorbed. Only a transport failure is retried.
        match result {
            Ok(_) => self.after_check_sig(now),
            Err(e) => self.step_failed(format!("check_sig: {e}"), now),
        }
    }

    pub(super) fn on_pt4_auth(
        &mut self,
        result: Result<http::Response<Bytes>, TransportError>,
        now: Instant,
    ) {
        if self.phase != Phase::QuickAuth {
            return;
        }
        match ok_body("pt4_auth", &result)
            .ok()
            .and_then(|b| parse_pt4_auth(b))
        {
            Some(url) => {
                let url = request::quick_check_sig_url(&url, self.profile);
                self.after_ptlogin(Secret::new(url), now);
            }
            None => self.begin_login(now),
        }
    }

    fn after_check_sig(&mut self, now: Instant) {
        if self.uin == 0 {
            // Protocol §3.8: "the QQ number is the uin/superuin cookie without its o".
            self.uin = self.cookies.qq_number().unwrap_or(self.cfg.qq);
        }
        if self.profile.getvfwebqq {
            self.enter(Phase::GetVfwebqq, Some(LoginStep::GetVfwebqq), now);
        } else {
            self.enter(Phase::Login2, Some(LoginStep::Login2), now);
        }
    }

    pub(super) fn on_qr_show(
        &mut self,
        result: Result<http::Response<Bytes>, TransportError>,
        now: Instant,
    ) {
        match ok_body("ptqrshow", &result) {
            Ok(png) => {
                let png = png.clone();
                self.step_failures = 0;
                self.emit(Event::QrCode { png });
                self.phase = Phase::QrWait { scanned: false };
                self.at(now + self.cfg.qr_poll_interval, Action::Reissue);
            }
            Err(e) => self.step_failed(e, now),
        }
    }

    pub(super) fn on_qr_login(
        &mut self,
        result: Result<http::Response<Bytes>, TransportError>,
        now: Instant,
    ) {
        let Phase::QrWait { scanned } = self.phase else {
            return;
        };
        let cb =
            ok_body("ptqrlogin", &result).and_then(|b| parse_ptui_cb(b).map_err(|e| e.to_string()));
        let cb = match cb {
            Ok(cb) => cb,
            Err(e) => return self.step_failed(e, now),
        };
        self.step_failures = 0;
        match qr_state(&cb) {
            QrState::Waiting => self.at(now + self.cfg.qr_poll_interval, Action::Reissue),
            QrState::Scanned => {
                if !scanned {
                    self.emit(Event::QrScanned);
                }
                self.phase = Phase::QrWait { scanned: true };
                self.at(now + self.cfg.qr_poll_interval, Action::Reissue);
            }
            // Protocol §3.8: 65 = expired → "fetch a new ptqrshow".
            QrState::Expired => {
                self.qr_refreshes += 1;
                self.emit(Event::QrExpired {
                    refreshes: self.qr_refreshes,
                });
                if self.qr_refreshes > self.cfg.qr_refresh_limit {
                    self.fail_login(LoginError::QrExpired);
                } else {
                    self.enter(Phase::QrShow, None, now);
                }
            }
            QrState::Confirmed(ok) => {
                self.emit(Event::QrConfirmed);
                self.after_ptlogin(ok.next_url, now);
            }
            QrState::Failed(e) => self.fail_login(e),
        }
    }

    pub(super) fn on_getvfwebqq(
        &mut self,
        result: Result<http::Response<Bytes>, TransportError>,
        now: Instant,
    ) {
        // Protocol §3.9: any non-zero retcode is a failure (even retcode 6 with a vfwebqq);
        // a 404 from an nginx node was fixed by retrying (`sj` retries 3 times).
        match ok_json::<VfwebqqResult>("getvfwebqq", &result) {
            Ok(r) => {
                self.vfwebqq = r.vfwebqq;
                self.enter(Phase::Login2, Some(LoginStep::Login2), now);
            }
            Err(f) => self.step_failed(f.text, now),
        }
    }

    pub(super) fn on_login2(
        &mut self,
        result: Result<http::Response<Bytes>, TransportError>,
        now: Instant,
    ) {
        match ok_json::<Login2Result>("login2", &result) {
            Ok(r) => {
                self.uin = r.uin;
                self.psessionid = r.psessionid;
                // Protocol §3.10: [W] keep login2's vfwebqq; [S] ignore it (getvfwebqq's).
                if !self.profile.getvfwebqq {
                    self.vfwebqq = r.vfwebqq.unwrap_or_default();
                }
                self.step_failures = 0;
                self.start_contacts(now);
            }
            Err(f) => {
                self.step_failures += 1;
                if self.step_failures > self.cfg.step_retries {
                    self.go_offline(OfflineReason::Login2Failed(f.retcode.unwrap_or(-1)));
                } else {
                    self.at(now + STEP_RETRY_SPACING, Action::Reissue);
                }
            }
        }
    }

    // ---- contacts and the post-login sequence ------------------------------------------

    fn start_contacts(&mut self, now: Instant) {
        self.phase = Phase::Contacts {
            stage: ContactsStage::Lists(4),
        };
        self.progress(LoginStep::Contacts);
        self.friends_hash = (0, self.profile.friends_hash);
        self.groups_hash = (0, self.profile.groups_hash);
        for tag in [Tag::Friends, Tag::Groups, Tag::Discussions, Tag::SelfInfo] {
            self.request_list(tag, now);
        }
    }

    fn request_list(&mut self, tag: Tag, now: Instant) {
        let (uin, pt) = (self.uin, self.cookies.value("ptwebqq").to_string());
        let (fh, gh) = (self.friends_hash.1, self.groups_hash.1);
        let req = match tag {
            Tag::Friends => self.build(|c| request::friends(c, uin, &pt, fh)),
            Tag::Groups => self.build(|c| request::groups(c, uin, &pt, gh)),
            Tag::Discussions => self.build(request::discussions),
            _ => self.build(request::self_info),
        };
        self.submit(tag, req, now);
    }

    /// Retcode 50 = wrong list hash (protocol §4.1): try the next variant. True if retried.
    fn retry_hash(&mut self, tag: Tag, now: Instant) -> bool {
        match tag {
            Tag::Friends => {
                let idx = self.friends_hash.0 + 1;
                match hash_variant(self.profile.friends_hash, idx) {
                    Some(h) if idx < HASH_VARIANTS => self.friends_hash = (idx, h),
                    _ => return false,
                }
            }
            Tag::Groups => {
                let idx = self.groups_hash.0 + 1;
                let default = self.profile.groups_hash.unwrap_or(ListHash::EcOk);
                // Before 2014-06 the group list had no hash: the first retry adds one.
                let next = if self.profile.groups_hash.is_none() {
                    idx - 1
                } else {
                    idx
                };
                match hash_variant(default, next) {
                    Some(h) if next < HASH_VARIANTS => self.groups_hash = (idx, Some(h)),
                    _ => return false,
                }
            }
            _ => return false,
        }
        self.request_list(tag, now);
        true
    }

    pub(super) fn on_list(
        &mut self,
        tag: Tag,
        result: Result<http::Response<Bytes>, TransportError>,
        now: Instant,
    ) {
        let initial = matches!(
            self.phase,
            Phase::Contacts {
                stage: ContactsStage::Lists(_)
            }
        );
        if !initial && self.refresh.is_none() {
            return;
        }
        let target = if initial {
            &mut self.contacts
        } else {
            match self.refresh.as_mut() {
                Some((_, fresh)) => fresh,
                None => return,
            }
        };
        let mut hash_wrong = false;
        match tag {
            Tag::Friends => match ok_json::<FriendsResult>("get_user_friends2", &result) {
                Ok(r) => target.set_friends(r),
                Err(f) => hash_wrong = f.retcode == Some(50),
            },
            Tag::Groups => match ok_json::<GroupsResult>("get_group_name_list_mask2", &result) {
                Ok(r) => target.set_groups(r),
                Err(f) => hash_wrong = f.retcode == Some(50),
            },
            Tag::Discussions => {
                if let Ok(r) = ok_json::<DiscussionsResult>("get_discus_list", &result) {
                    target.set_discussions(r);
                }
            }
            _ => {
                if let Ok(r) = ok_json::<SelfInfo>("get_self_info2", &result) {
                    target.me = Some(r);
                }
            }
        }
        if hash_wrong && self.retry_hash(tag, now) {
            return;
        }
        // A failed list does not block the login: the poll matters more (protocol §3.1
        // only makes get_online_buddies2 mandatory).
        if initial {
            let Phase::Contacts {
                stage: ContactsStage::Lists(n),
            } = self.phase
            else {
                return;
            };
            if n > 1 {
                self.phase = Phase::Contacts {
                    stage: ContactsStage::Lists(n - 1),
                };
            } else {
                self.phase = Phase::Contacts {
                    stage: ContactsStage::OnlineBuddies,
                };
                let req = self.build(request::online_buddies);
                self.submit(Tag::OnlineBuddies, req, now);
            }
        } else if let Some((n, fresh)) = self.refresh.take() {
            if n > 1 {
                self.refresh = Some((n - 1, fresh));
            } else {
                let diff = self.contacts.diff(&fresh);
                let me = self.contacts.me.take();
                self.contacts = fresh;
                if self.contacts.me.is_none() {
                    self.contacts.me = me;
                }
                if !diff.is_empty() {
                    self.emit(Event::ContactsChanged(diff));
                }
                if let Some(every) = self.cfg.contacts_refresh {
                    self.at(now + every, Action::Refresh);
                }
            }
        }
    }

    pub(super) fn on_online_buddies(
        &mut self,
        result: Result<http::Response<Bytes>, TransportError>,
        now: Instant,
    ) {
        let buddies = ok_json::<Vec<OnlineBuddy>>("get_online_buddies2", &result);
        match self.phase {
            // Protocol §3.11: `qqbot` tests a restored session with get_online_buddies2.
            Phase::Resume => match buddies {
                Ok(_) => self.start_contacts(now),
                // Protocol §3.11: with `supertoken` and `superuin` still in the jar a QR-era
                // session can be renewed without a scan.
                Err(_)
                    if self.profile.is_smartqq()
                        && self.cookies.get("supertoken").is_some()
                        && self.cookies.get("superuin").is_some() =>
                {
                    self.enter(Phase::QuickAuth, Some(LoginStep::Resume), now)
                }
                Err(_) => self.begin_login(now),
            },
            Phase::Contacts {
                stage: ContactsStage::OnlineBuddies,
            } => {
                if let Ok(list) = buddies {
                    for b in list {
                        self.contacts.set_status(b.uin, Some(b.status));
                    }
                }
                self.phase = Phase::Contacts {
                    stage: ContactsStage::RecentList,
                };
                let req = self.build(request::recent_list);
                self.submit(Tag::RecentList, req, now);
            }
            _ => {}
        }
    }

    pub(super) fn on_recent_list(&mut self, now: Instant) {
        // Protocol §3.1: "The official script starts polling only after get_recent_list2
        // returned" (whatever it returned).
        if self.phase
            == (Phase::Contacts {
                stage: ContactsStage::RecentList,
            })
        {
            self.go_online(now, true);
        }
    }

    fn go_online(&mut self, now: Instant, fresh_login: bool) {
        self.phase = Phase::Online;
        self.poll_failures = 0;
        if fresh_login {
            self.emit(Event::ContactsLoaded);
            if let Some(hb) = self.profile.heartbeat {
                self.heartbeat_rc = self.rng.next_u64() % 100;
                self.at(now + hb.every, Action::Heartbeat);
            }
            if let Some(every) = self.cfg.contacts_refresh {
                self.at(now + every, Action::Refresh);
            }
        }
        self.emit(Event::Online { uin: self.uin });
        self.issue_poll(now);
        self.pump_outbox(now);
    }

    pub(super) fn heartbeat(&mut self, now: Instant) {
        let Some(hb) = self.profile.heartbeat else {
            return;
        };
        if self.phase != Phase::Online {
            return;
        }
        self.heartbeat_rc += 1;
        let rc = self.heartbeat_rc;
        let req = self.build(|c| request::msg_tip(c, rc));
        self.submit(Tag::Heartbeat, req, now);
        self.at(now + hb.every, Action::Heartbeat);
    }

    pub(super) fn start_refresh(&mut self, now: Instant) {
        if self.phase != Phase::Online || self.refresh.is_some() {
            return;
        }
        self.refresh = Some((3, self.contacts.clone()));
        for tag in [Tag::Friends, Tag::Groups, Tag::Discussions] {
            self.request_list(tag, now);
        }
    }

    // ---- poll ---------------------------------------------------------------------------

    pub(super) fn issue_poll(&mut self, now: Instant) {
        if self.phase != Phase::Online || self.poll_inflight {
            return;
        }
        self.poll_inflight = true;
        let pt = self.cookies.value("ptwebqq").to_string();
        let req = self.build(|c| request::poll(c, &pt));
        self.submit(Tag::Poll, req, now);
    }

    pub(super) fn on_poll(
        &mut self,
        result: Result<http::Response<Bytes>, TransportError>,
        now: Instant,
    ) {
        self.poll_inflight = false;
        if self.phase != Phase::Online {
            return;
        }
        let reply = match &result {
            Err(_) => None,
            Ok(resp) if resp.status() == http::StatusCode::OK => decode_poll(resp.body()).ok(),
            // Protocol §6.2: [S] 2016–2017 the idle poll is a 504 from the front proxy.
            Ok(resp)
                if resp.status() == http::StatusCode::GATEWAY_TIMEOUT
                    && self.profile.idle == IdleShape::GatewayTimeout504 =>
            {
                Some(PollReply::Idle(504))
            }
            // Other 502/504/404 and errors "count as failures" (official onPollError).
            Ok(_) => None,
        };
        let Some(reply) = reply else {
            return self.poll_failure(0, now);
        };
        match reply {
            PollReply::Events(items) => {
                // A session that answers a poll is healthy: re-logins start counting anew.
                self.relogins = 0;
                self.poll_failures = 0;
                // Everything in the batch is delivered; a kick takes effect after it.
                let mut kicked = None;
                for item in items {
                    if let Some(reason) = self.dispatch_item(item, now) {
                        kicked.get_or_insert(reason);
                    }
                }
                match kicked {
                    Some(reason) => {
                        self.emit(Event::Kicked {
                            reason: reason.clone(),
                        });
                        self.go_offline(OfflineReason::Kicked(reason));
                    }
                    None => self.issue_poll(now),
                }
            }
            PollReply::Idle(_) => {
                self.relogins = 0;
                self.poll_failures = 0;
                self.issue_poll(now);
            }
            PollReply::RotatePtwebqq(p) => {
                self.poll_failures = 0;
                self.cookies.set("ptwebqq", p.expose());
                self.out.push_back(Output::SetCookie(CookieUpdate {
                    domain: "qq.com",
                    name: "ptwebqq".into(),
                    value: p,
                }));
                self.emit(Event::PtwebqqRotated);
                self.issue_poll(now);
            }
            PollReply::Relink(code) => self.start_relink(code, now),
            PollReply::Relogin(code) => self.relogin(code, now),
            PollReply::Pause(_) => self.at(now + POLL_PAUSE, Action::Poll),
            PollReply::Failure(code) => self.poll_failure(code, now),
        }
    }

    /// A poll answer that completed after a relink, a re-login or `Offline` began (the
    /// generation changed while it was on its way). The server took its events off the
    /// session's queue when it answered (protocol §11.2: one outgoing-event queue per
    /// session), so its messages exist nowhere else: they are handed on, de-duplicated as
    /// always, and so are its notices. Nothing else of it counts: its retcode, a failure or a
    /// kick speak for a channel that is gone, and presence would write the old session's uins
    /// into the contact book.
    pub(super) fn on_stale_poll(
        &mut self,
        result: Result<http::Response<Bytes>, TransportError>,
        now: Instant,
    ) {
        let Ok(resp) = result else {
            return;
        };
        if resp.status() != http::StatusCode::OK {
            return;
        }
        if let Ok(PollReply::Events(items)) = decode_poll(resp.body()) {
            for item in items {
                if !matches!(
                    item.event,
                    PollEvent::Kicked { .. } | PollEvent::BuddyStatus { .. }
                ) {
                    let _ = self.dispatch_item(item, now);
                }
            }
        }
    }

    /// Protocol §6.3 "other": count a failure; "after more than 8 consecutive failures
    /// stop polling and relink". Transport failures back off 1 s per failure (at most
    /// 10 s); server codes wait the official 10 s.
    fn poll_failure(&mut self, code: i64, now: Instant) {
        self.poll_failures += 1;
        if self.poll_failures > self.cfg.poll_failure_threshold {
            return self.start_relink(code, now);
        }
        let wait = if code == 0 {
            (STEP_RETRY_SPACING * self.poll_failures).min(POLL_PAUSE)
        } else {
            POLL_PAUSE
        };
        self.at(now + wait, Action::Poll);
    }

    /// Delivers one poll item; returns the reason of a `kick_message`.
    fn dispatch_item(&mut self, item: PollItem, now: Instant) -> Option<String> {
        let ids = &item.ids;
        // Protocol §6.8: de-duplicate on (poll_type, from_uin, msg_id, msg_id2).
        if ids.msg_id != 0 || ids.msg_id2 != 0 {
            let key = (
                item.poll_type.clone(),
                ids.from_uin,
                ids.msg_id,
                ids.msg_id2,
            );
            if !self.dedup.first_time(key) {
                return None;
            }
        }
        let (chat, sender, seq, message) = match &item.event {
            PollEvent::Buddy { message } => {
                // Protocol §6.5: the official script treats from_uin 0 as "from myself".
                let own = ids.from_uin == 0 || ids.from_uin == self.uin;
                let peer = if own { ids.to_uin } else { ids.from_uin };
                (Chat::Friend(peer), ids.from_uin, None, message)
            }
            PollEvent::Group {
                gid,
                send_uin,
                seq,
                message,
                ..
            } => (Chat::Group(*gid), *send_uin, *seq, message),
            PollEvent::Discussion {
                did,
                send_uin,
                seq,
                message,
            } => (Chat::Discussion(*did), *send_uin, *seq, message),
            PollEvent::Session { id, message, .. } => (
                Chat::Session {
                    from_uin: ids.from_uin,
                    via: *id,
                },
                ids.from_uin,
                None,
                message,
            ),
            // Protocol §6.5: "stop polling, do not auto-relink"; applied after the batch.
            PollEvent::Kicked { reason } => return Some(reason.clone()),
            PollEvent::BuddyStatus { uin, status, .. } => {
                self.contacts.set_status(*uin, Some(status.clone()));
                self.emit(Event::Notice(item));
                return None;
            }
            PollEvent::Unknown { raw } => {
                let raw = raw.clone();
                self.emit(Event::Unknown { raw });
                return None;
            }
            // Protocol §6.5 `buddylist_change` names only uins: the lists are fetched again
            // for the new friend's name and category (after the notice, which the
            // application may want to match against the old book).
            PollEvent::BuddyListChange { .. } => {
                self.emit(Event::Notice(item));
                self.start_refresh(now);
                return None;
            }
            // Protocol §6.5 `sys_g_msg`: a member joined or left (`from_uin` = gid); "if
            // `new_member` is yourself you have joined a new group (refresh lists)"; the same
            // when this account left.
            PollEvent::GroupSystem { kind, raw, .. }
                if kind == "group_join" || kind == "group_leave" =>
            {
                let gid = ids.from_uin;
                let me = Some(self.uin);
                let mine = raw["new_member"].as_u64() == me || raw["old_member"].as_u64() == me;
                self.emit(Event::Notice(item));
                if mine || !self.contacts.groups.contains_key(&gid) {
                    self.start_refresh(now);
                } else {
                    self.load_group_members(gid, now);
                }
                return None;
            }
            _ => {
                self.emit(Event::Notice(item));
                return None;
            }
        };
        if let Some(seq) = seq {
            if let Some((first, last)) = self.seqs.observe(chat, seq) {
                self.emit(Event::MessagesLost { chat, first, last });
            }
        }
        let is_self = sender == self.uin || sender == 0;
        if is_self {
            self.confirm_echo(chat, &message.plain_text(), now);
        }
        let msg = IncomingMessage {
            chat,
            sender,
            time: ids.time,
            msg_id: ids.msg_id,
            seq,
            message: message.clone(),
            is_self,
        };
        self.emit(Event::Message(msg));
        None
    }

    fn confirm_echo(&mut self, chat: Chat, text: &str, now: Instant) {
        let Some(target) = chat.reply_target() else {
            return;
        };
        if let Some(pos) = self
            .awaiting_echo
            .iter()
            .position(|(_, t, s, deadline)| *t == target && s == text && *deadline > now)
        {
            let (handle, ..) = self.awaiting_echo.remove(pos);
            self.emit(Event::Confirmed { handle });
        }
    }

    // ---- relink / relogin / offline ----------------------------------------------------

    /// Protocol §8.3: poll 120/121 or failures beyond the threshold → relink.
    fn start_relink(&mut self, retcode: i64, now: Instant) {
        self.emit(Event::Relinking { retcode });
        self.generation += 1;
        self.release_stale_sig_request();
        self.poll_inflight = false;
        self.timers.retain(|&(_, a)| a != Action::Poll);
        self.phase = Phase::Relink { attempt: 1 };
        self.issue_phase_request(now);
    }

    pub(super) fn on_relink(
        &mut self,
        result: Result<http::Response<Bytes>, TransportError>,
        now: Instant,
    ) {
        let Phase::Relink { attempt } = self.phase else {
            return;
        };
        match ok_json::<Login2Result>("login2 (relink)", &result) {
            Ok(r) => {
                self.psessionid = r.psessionid;
                // `mojo` copies an optional result.ptwebqq into its jar (protocol §3.10).
                if let Some(p) = r.ptwebqq.filter(|p| !p.is_empty()) {
                    self.cookies.set("ptwebqq", p.expose());
                    self.out.push_back(Output::SetCookie(CookieUpdate {
                        domain: "qq.com",
                        name: "ptwebqq".into(),
                        value: p,
                    }));
                }
                self.go_online(now, false);
            }
            // Protocol §3.10: 103 "NotReLogin" → full login.
            Err(f) if f.retcode == Some(103) => self.relogin(103, now),
            // 112/113/115 (or no answer) count as a failure; retry up to the limit.
            Err(f) if f.retcode.is_none_or(|c| RELINK_RETRYABLE.contains(&c)) => {
                if attempt >= self.cfg.relink_attempts {
                    self.relogin(f.retcode.unwrap_or(0), now);
                } else {
                    self.phase = Phase::Relink {
                        attempt: attempt + 1,
                    };
                    self.at(now + RELINK_SPACING, Action::Reissue);
                }
            }
            Err(f) => self.relogin(f.retcode.unwrap_or(0), now),
        }
    }

    /// Protocol §8.3: "full login (password: automatic; QR: user must scan again)".
    pub(super) fn relogin(&mut self, retcode: i64, now: Instant) {
        if matches!(self.phase, Phase::Offline) {
            return;
        }
        self.emit(Event::Relogin { retcode });
        self.relogins += 1;
        if self.relogins > self.cfg.max_relogins {
            return self.go_offline(OfflineReason::SessionLost(retcode));
        }
        self.begin_login(now);
    }

    pub(super) fn go_offline(&mut self, reason: OfflineReason) {
        self.phase = Phase::Offline;
        self.generation += 1;
        self.timers.clear();
        self.poll_inflight = false;
        // A send whose request is out may have been delivered: it gets `Uncertain`, the
        // rest `SendFailed` (never a false "failed" for a message that may have arrived).
        let head_in_flight = self.outbox.in_flight
            && self
                .inflight
                .values()
                .any(|(t, _)| matches!(t, Tag::Send(_)));
        let mut first = true;
        while let Some(p) = self.outbox.queue.pop_front() {
            if first && head_in_flight {
                self.emit(Event::Uncertain {
                    handle: p.handle,
                    retcode: None,
                });
            } else {
                self.emit(Event::SendFailed {
                    handle: p.handle,
                    reason: SendFailure::Offline,
                });
            }
            first = false;
        }
        self.outbox.in_flight = false;
        self.emit(Event::Offline { reason });
    }

    // ---- outbox -------------------------------------------------------------------------

    /// After the generation changed: a temporary-session signature request of the old
    /// generation will be ignored when it answers, so it no longer holds the outbox (else
    /// the send waiting for it never gets an outcome). A send request does hold it: its
    /// outcome survives a re-login.
    fn release_stale_sig_request(&mut self) {
        if self.outbox.in_flight {
            self.outbox.in_flight = self
                .inflight
                .values()
                .any(|(t, _)| matches!(t, Tag::Send(_)));
        }
    }

    pub(super) fn pump_outbox(&mut self, now: Instant) {
        if self.phase != Phase::Online || self.outbox.in_flight {
            return;
        }
        let Some(head) = self.outbox.queue.front() else {
            return;
        };
        let Some(part) = head.parts.front() else {
            return;
        };
        let (handle, target) = (head.handle, head.target);
        let text = part.plain_text();
        let last = self.outbox.last.as_ref().map(|(t, s)| (*t, s.as_str()));
        if let Some(at) = earliest_send(last, &text, self.cfg.send_interval) {
            if at > now {
                return self.at(at, Action::SendNext);
            }
        }
        let mut sig = None;
        if let Target::Session { to_uin, via } = target {
            match self.c2c_sigs.get(&(to_uin, via)) {
                Some((s, until)) if *until > now => sig = Some(s.expose().to_string()),
                _ => {
                    let req = self.build(|c| request::c2c_sig(c, to_uin, via));
                    self.submit(Tag::C2cSig { to_uin, via }, req, now);
                    self.outbox.in_flight = true;
                    return;
                }
            }
        }
        let content = part.encode_for_send();
        let msg_id = self.msg_ids.next_id();
        let face = self.contacts.me.as_ref().map_or(0, |m| m.face);
        let req = self.build(|c| request::send(c, target, &content, msg_id, face, sig.as_deref()));
        self.submit(Tag::Send(handle), req, now);
        self.outbox.in_flight = true;
        self.outbox.last = Some((now, text));
    }

    pub(super) fn on_c2c_sig(
        &mut self,
        to_uin: u64,
        via: SessionVia,
        result: Result<http::Response<Bytes>, TransportError>,
        now: Instant,
    ) {
        self.outbox.in_flight = false;
        match ok_json::<C2cMsgSig>("get_c2cmsg_sig2", &result) {
            Ok(r) if !r.value.is_empty() => {
                self.c2c_sigs
                    .insert((to_uin, via), (r.value, now + C2C_SIG_TTL));
                self.pump_outbox(now);
            }
            // Protocol §7.4: "Empty value = not allowed".
            Ok(_) => self.finish_head(Err(SendFailure::NotAllowed), now),
            Err(f) => self.finish_head(Err(SendFailure::Transport(f.text)), now),
        }
    }

    pub(super) fn on_send(
        &mut self,
        handle: MessageHandle,
        result: Result<http::Response<Bytes>, TransportError>,
        now: Instant,
    ) {
        if self.outbox.queue.front().map(|p| p.handle) != Some(handle) {
            return; // already given its outcome (went offline meanwhile)
        }
        self.outbox.in_flight = false;
        let reply = match &result {
            Ok(resp) if resp.status() == http::StatusCode::OK => {
                // A 200 the decoder cannot read was still received by the server.
                decode_send_reply(resp.body()).unwrap_or(SendReply::Uncertain(0))
            }
            // A 5xx from a front proxy says nothing about the backend: ambiguous. A 4xx
            // was refused at the door.
            Ok(resp) if resp.status().is_server_error() => SendReply::Uncertain(0),
            Ok(resp) => SendReply::Failed(-i64::from(resp.status().as_u16())),
            Err(e) if e.may_have_reached_server() => SendReply::Uncertain(0),
            Err(e) => {
                // Certainly not delivered: one more try after pacing.
                let text = e.to_string();
                return self.resend_or_fail(SendFailure::Transport(text), now);
            }
        };
        match reply {
            SendReply::Sent => self.part_done(now),
            SendReply::Uncertain(c) => {
                if let Some(head) = self.outbox.queue.front_mut() {
                    head.uncertain = Some((c != 0).then_some(c));
                }
                self.part_done(now);
            }
            // Protocol §7.6/§8.3: "send answers 100012 / 103 / 108 → full login, then
            // resend"; the server refused it, so it was not delivered.
            SendReply::SessionExpired(c) => {
                let resent = self.outbox.queue.front().is_some_and(|p| p.resent);
                if resent {
                    self.finish_head(Err(SendFailure::SessionLost(c)), now);
                } else {
                    if let Some(head) = self.outbox.queue.front_mut() {
                        head.resent = true;
                    }
                    if self.phase == Phase::Online {
                        self.relogin(c, now);
                    }
                }
            }
            SendReply::Failed(c) => self.finish_head(Err(SendFailure::Server(c)), now),
        }
    }

    fn resend_or_fail(&mut self, reason: SendFailure, now: Instant) {
        let Some(head) = self.outbox.queue.front_mut() else {
            return;
        };
        if head.resent {
            self.finish_head(Err(reason), now);
        } else {
            head.resent = true;
            self.pump_outbox(now);
        }
    }

    fn part_done(&mut self, now: Instant) {
        let Some(head) = self.outbox.queue.front_mut() else {
            return;
        };
        head.parts.pop_front();
        head.resent = false;
        if head.parts.is_empty() {
            self.finish_head(Ok(()), now);
        } else {
            self.pump_outbox(now);
        }
    }

    /// Gives the head send its one outcome and moves on.
    fn finish_head(&mut self, result: Result<(), SendFailure>, now: Instant) {
        let Some(head) = self.outbox.queue.pop_front() else {
            return;
        };
        let handle = head.handle;
        match (result, head.uncertain) {
            (Err(reason), _) => self.emit(Event::SendFailed { handle, reason }),
            (Ok(()), Some(retcode)) => {
                if self.profile.echoes_own_messages {
                    self.awaiting_echo.push((
                        handle,
                        head.target,
                        head.text.clone(),
                        now + self.cfg.echo_window,
                    ));
                }
                self.emit(Event::Uncertain { handle, retcode });
            }
            (Ok(()), None) => self.emit(Event::Sent { handle }),
        }
        self.pump_outbox(now);
    }
}
