//! A small static file server for local demos and tests. It serves one directory at `/`, plus
//! optional directories mounted at URL prefixes (so that the demo shop in www/ can load the JS
//! package from web/ without copying it), with the MIME types browsers insist on for ES modules
//! and `WebAssembly.instantiateStreaming`.

use std::fs;
use std::io;
use std::net::SocketAddr;
use std::path::{Component, Path, PathBuf};
use std::sync::Arc;
use std::thread;

use percent_encoding::percent_decode_str;
use thiserror::Error;
use tiny_http::{Header, Method, Request, Response, Server, StatusCode};

#[derive(Debug, Error)]
pub enum ServeError {
    #[error("{path} is not a directory")]
    NotADirectory { path: PathBuf },
    #[error("mount `{spec}` is not of the form /prefix=directory")]
    BadMount { spec: String },
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        addr: SocketAddr,
        source: Box<dyn std::error::Error + Send + Sync>,
    },
}

/// A directory served under a URL prefix ("" for the root).
#[derive(Debug, Clone, PartialEq)]
pub struct Mount {
    prefix: String,
    dir: PathBuf,
}

impl Mount {
    pub fn new(prefix: &str, dir: impl Into<PathBuf>) -> Result<Self, ServeError> {
        let dir = dir.into();
        if !dir.is_dir() {
            return Err(ServeError::NotADirectory { path: dir });
        }
        Ok(Self {
            prefix: prefix.trim_matches('/').to_string(),
            dir,
        })
    }

    /// Parses `/prefix=directory`.
    pub fn parse(spec: &str) -> Result<Self, ServeError> {
        match spec.split_once('=') {
            Some((prefix, dir)) if !prefix.trim_matches('/').is_empty() && !dir.is_empty() => {
                Self::new(prefix, dir)
            }
            _ => Err(ServeError::BadMount {
                spec: spec.to_string(),
            }),
        }
    }
}

/// The file for a URL path, or `None` for anything outside the mounts (including `..` tricks).
pub fn resolve(mounts: &[Mount], url: &str) -> Option<PathBuf> {
    let path = url.split(['?', '#']).next().unwrap_or_default();
    let decoded = percent_decode_str(path).decode_utf8().ok()?;
    let relative = decoded.trim_start_matches('/');
    // Longest prefix first, so a mount wins over the root for its own subtree.
    let mount = mounts
        .iter()
        .filter(|m| {
            m.prefix.is_empty()
                || relative == m.prefix
                || relative.starts_with(&format!("{}/", m.prefix))
        })
        .max_by_key(|m| m.prefix.len())?;
    let rest = relative[mount.prefix.len()..].trim_start_matches('/');
    let rest = Path::new(rest);
    if rest
        .components()
        .any(|c| !matches!(c, Component::Normal(_)))
    {
        return None;
    }
    let mut file = mount.dir.join(rest);
    if file.is_dir() {
        file.push("index.html");
    }
    file.is_file().then_some(file)
}

/// A bound server; `run` blocks and answers requests on a few threads.
pub struct StaticServer {
    server: Arc<Server>,
    mounts: Arc<Vec<Mount>>,
}

impl StaticServer {
    pub fn bind(addr: SocketAddr, mounts: Vec<Mount>) -> Result<Self, ServeError> {
        let server = Server::http(addr).map_err(|source| ServeError::Bind { addr, source })?;
        Ok(Self {
            server: Arc::new(server),
            mounts: Arc::new(mounts),
        })
    }

    /// The address actually bound (useful with port 0).
    pub fn local_addr(&self) -> Option<SocketAddr> {
        self.server.server_addr().to_ip()
    }

    pub fn run(self, threads: usize) {
        let workers: Vec<_> = (0..threads.max(1))
            .map(|_| {
                let server = Arc::clone(&self.server);
                let mounts = Arc::clone(&self.mounts);
                thread::spawn(move || {
                    for request in server.incoming_requests() {
                        if let Err(error) = respond(&mounts, request) {
                            eprintln!("tailor serve: {error}");
                        }
                    }
                })
            })
            .collect();
        for worker in workers {
            let _ = worker.join();
        }
    }
}

fn respond(mounts: &[Mount], request: Request) -> io::Result<()> {
    if !matches!(request.method(), Method::Get | Method::Head) {
        return request.respond(Response::from_string("method not allowed").with_status_code(405));
    }
    let Some(file) = resolve(mounts, request.url()) else {
        return request.respond(Response::from_string("not found").with_status_code(404));
    };
    let body = match fs::read(&file) {
        Ok(body) => body,
        Err(error) => {
            return request.respond(
                Response::from_string(format!("cannot read file: {error}")).with_status_code(500),
            );
        }
    };
    let mime = match file.extension().and_then(|e| e.to_str()) {
        // Browsers refuse ES modules and streaming wasm compilation without these exact types.
        Some("mjs" | "js") => "text/javascript".to_string(),
        Some("wasm") => "application/wasm".to_string(),
        _ => mime_guess::from_path(&file)
            .first_or_octet_stream()
            .to_string(),
    };
    let headers = [
        ("Content-Type", mime.as_str()),
        // Local development: always serve what is on disk now.
        ("Cache-Control", "no-store"),
        ("X-Content-Type-Options", "nosniff"),
    ];
    let mut response = Response::from_data(body).with_status_code(StatusCode(200));
    for (name, value) in headers {
        if let Ok(header) = Header::from_bytes(name, value) {
            response.add_header(header);
        }
    }
    request.respond(response)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tree() -> (tempfile::TempDir, Vec<Mount>) {
        let root = tempfile::tempdir().unwrap();
        let site = root.path().join("site");
        let lib = root.path().join("lib");
        fs::create_dir_all(site.join("bench")).unwrap();
        fs::create_dir_all(lib.join("pkg")).unwrap();
        fs::write(site.join("index.html"), "home").unwrap();
        fs::write(site.join("bench/index.html"), "bench").unwrap();
        fs::write(lib.join("pkg/a b.wasm"), "wasm").unwrap();
        fs::write(root.path().join("secret.txt"), "secret").unwrap();
        let mounts = vec![
            Mount::new("", &site).unwrap(),
            Mount::parse(&format!("/web={}", lib.display())).unwrap(),
        ];
        (root, mounts)
    }

    #[test]
    fn resolves_root_mounts_and_directory_indexes() {
        let (root, mounts) = tree();
        let site = root.path().join("site");
        assert_eq!(resolve(&mounts, "/"), Some(site.join("index.html")));
        assert_eq!(
            resolve(&mounts, "/bench/?n=10"),
            Some(site.join("bench/index.html"))
        );
        assert_eq!(
            resolve(&mounts, "/web/pkg/a%20b.wasm"),
            Some(root.path().join("lib/pkg/a b.wasm"))
        );
        assert_eq!(resolve(&mounts, "/missing.js"), None);
    }

    #[test]
    fn never_leaves_the_mounted_directories() {
        let (_root, mounts) = tree();
        for url in [
            "/../secret.txt",
            "/web/../../secret.txt",
            "/%2e%2e/secret.txt",
            "/web/..%2f..%2fsecret.txt",
        ] {
            assert_eq!(resolve(&mounts, url), None, "{url}");
        }
    }

    #[test]
    fn bad_mounts_are_errors() {
        assert!(matches!(
            Mount::parse("web"),
            Err(ServeError::BadMount { .. })
        ));
        assert!(matches!(
            Mount::parse("/=dir"),
            Err(ServeError::BadMount { .. })
        ));
        assert!(matches!(
            Mount::parse("/web=/no/such/dir"),
            Err(ServeError::NotADirectory { .. })
        ));
    }
}
