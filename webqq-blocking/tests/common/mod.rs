//! Helpers shared by the interop tests: free ports, waiting for a server, child processes
//! that die with the test, and a one-call fetch through a driver.
#![allow(dead_code)]

use std::net::{TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::Child;
use std::time::{Duration, Instant};

use bytes::Bytes;
use webqq_blocking::Driver;
use webqq_blocking::proto::http1::{Agent, AgentConfig, RequestError, RequestOptions, Response};

/// A port on 127.0.0.1 that was free a moment ago.
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// Waits up to 10 s until something accepts connections on `port`.
pub fn wait_for_port(port: u16) -> bool {
    let until = Instant::now() + Duration::from_secs(10);
    while Instant::now() < until {
        if TcpStream::connect(("127.0.0.1", port)).is_ok() {
            return true;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    false
}

/// A fresh temporary directory (removed on drop).
pub struct TempDir(pub PathBuf);

impl TempDir {
    pub fn new(name: &str) -> TempDir {
        let dir = std::env::temp_dir().join(format!(
            "webqq-{name}-{}-{}",
            std::process::id(),
            free_port()
        ));
        std::fs::create_dir_all(&dir).unwrap();
        TempDir(dir)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// A child process killed when dropped.
pub struct Guard(pub Child);

impl Drop for Guard {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Whether `program` can be run (`program -v` or `--version` starts).
pub fn have(program: &str, arg: &str) -> bool {
    std::process::Command::new(program)
        .arg(arg)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .status()
        .is_ok()
}

/// A driver around a default agent.
pub fn driver() -> Driver<u32> {
    driver_with(AgentConfig::default())
}

/// A driver around an agent with `config`.
pub fn driver_with(config: AgentConfig) -> Driver<u32> {
    let timeout = config.connect_timeout;
    Driver::new(Agent::new(config, Instant::now()), timeout)
}

/// Sends one request and waits for its outcome.
pub fn fetch(
    driver: &mut Driver<u32>,
    method: &str,
    url: &str,
    body: &str,
) -> Result<Box<Response>, RequestError> {
    let request = http::Request::builder()
        .method(method)
        .uri(url)
        .body(Bytes::from(body.to_string()))
        .unwrap();
    driver.submit(request, RequestOptions::new(0));
    driver.next_response().expect("one request pending").2
}
